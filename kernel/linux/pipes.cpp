// pipe, pipe2, eventfd, eventfd2 (fs/pipe.hpp and fs/eventfd.hpp hold the objects), and
// the SIGPIPE a write to a pipe without readers raises.
#include "fs/eventfd.hpp"
#include "fs/pipe.hpp"
#include "fs/vfs.hpp"
#include "linux/file_syscalls.hpp"
#include "linux/process.hpp"
#include "linux/signals.hpp"

namespace eremite::linux {

void raise_broken_pipe_signal() {
    // As kill(getpid(), SIGPIPE) would: ignored or blocked, it does nothing and the write
    // returns EPIPE; by default it ends the app with status 128 + 13. Linux sends it to
    // the writing thread, which for a single process comes to the same until handlers run.
    SyscallArgs args{{static_cast<uint64_t>(process_id), static_cast<uint64_t>(sigpipe)}};
    (void)sys_kill(args);
}

namespace {

// pipe2 flags. O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not supported: EINVAL,
// as Linux without CONFIG_WATCH_QUEUE answers the latter.
constexpr uint64_t pipe2_flags = fs::o_cloexec | fs::o_nonblock;

int64_t make_pipe(int32_t* app_fds, uint64_t flags) {
    if (flags & ~pipe2_flags) return failure(Errno::einval);
    auto ends = fs::make_pipe(static_cast<uint32_t>(flags), process_user_id(), process_group_id());
    if (!ends.ok()) return failure(ends.error_code());
    bool close_on_exec = flags & fs::o_cloexec;
    auto read_fd = fs::install_fd(ends.value().read, close_on_exec);
    if (!read_fd.ok()) return failure(read_fd.error_code());
    auto write_fd = fs::install_fd(ends.value().write, close_on_exec);
    if (!write_fd.ok()) {
        (void)fs::close_fd(read_fd.value());
        return failure(write_fd.error_code());
    }
    int32_t fds[2] = {read_fd.value(), write_fd.value()};
    if (!copy_to_app(app_fds, fds, sizeof fds)) {
        // Linux installs the descriptors only after the copy; here they are taken back.
        (void)fs::close_fd(fds[0]);
        (void)fs::close_fd(fds[1]);
        return failure(Errno::efault);
    }
    return 0;
}

// EFD_SEMAPHORE; EFD_CLOEXEC and EFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK.
constexpr uint64_t efd_semaphore = 1;
constexpr uint64_t eventfd_flags = efd_semaphore | fs::o_cloexec | fs::o_nonblock;

int64_t make_eventfd(uint32_t initial, uint64_t flags) {
    if (flags & ~eventfd_flags) return failure(Errno::einval);
    auto file = fs::make_eventfd(initial, flags & efd_semaphore, static_cast<uint32_t>(flags));
    if (!file.ok()) return failure(file.error_code());
    return result_of(fs::install_fd(file.value(), flags & fs::o_cloexec));
}

}  // namespace

int64_t sys_pipe(const SyscallArgs& args) { return make_pipe(args.pointer<int32_t>(0), 0); }
int64_t sys_pipe2(const SyscallArgs& args) { return make_pipe(args.pointer<int32_t>(0), args[1]); }

int64_t sys_eventfd(const SyscallArgs& args) { return make_eventfd(static_cast<uint32_t>(args[0]), 0); }
int64_t sys_eventfd2(const SyscallArgs& args) {
    return make_eventfd(static_cast<uint32_t>(args[0]), static_cast<uint32_t>(args[1]));
}

}  // namespace eremite::linux
