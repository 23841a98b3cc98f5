// epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and epoll_pwait2 over
// fs/epoll.hpp. Timeouts as poll's (wait_timeout.hpp): milliseconds for epoll_wait and
// epoll_pwait (negative: none), a timespec for epoll_pwait2 (NULL: none).
#include "fs/epoll.hpp"
#include "fs/vfs.hpp"
#include "linux/file_syscalls.hpp"
#include "linux/wait_timeout.hpp"
#include "mm/memory.hpp"

namespace eremite::linux {
namespace {

using fs::EpollEvent;
using fs::File;
using fs::Ref;

constexpr uint64_t epoll_cloexec = fs::o_cloexec;
// Events handed back per call at most (a larger maxevents gets the rest next time, as
// a level-triggered or still-marked item is reported again).
constexpr uint64_t events_per_call = 1024;
// EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event).
constexpr int64_t most_events = 0x7fffffff / sizeof(EpollEvent);

int64_t create(uint64_t flags) {
    if (flags & ~epoll_cloexec) return failure(Errno::einval);
    auto file = fs::make_epoll();
    if (!file.ok()) return failure(file.error_code());
    return result_of(fs::install_fd(file.value(), flags & epoll_cloexec));
}

// The epoll set behind a descriptor: EBADF when there is none, EINVAL when it is
// something else.
Result<Ref<File>> epoll_of(int32_t fd) {
    Ref<File> file = TRY(fs::file_of(fd));
    if (!file->is_epoll_set()) return error(Errno::einval);
    return file;
}

int64_t wait(int32_t epfd, void* app_events, int64_t max_events, const Timeout& timeout) {
    if (max_events <= 0 || max_events > most_events) return failure(Errno::einval);
    auto epoll = epoll_of(epfd);
    if (!epoll.ok()) return failure(epoll.error_code());
    File& set = *epoll.value();
    uint64_t capacity = min<uint64_t>(static_cast<uint64_t>(max_events), events_per_call);
    if (!in_app_half(app_events, capacity * sizeof(EpollEvent))) return failure(Errno::efault);
    auto* events = static_cast<EpollEvent*>(mm::allocate(capacity * sizeof(EpollEvent)));
    if (!events) return failure(Errno::enomem);
    struct Release {
        EpollEvent* events;
        ~Release() { mm::free(events); }
    } release{events};
    uint64_t count;
    for (;;) {
        uint64_t seen = fs::epoll_wakeups(set);
        count = fs::epoll_collect(set, events, capacity);
        if (count || timeout.expired()) break;
        if (!fs::epoll_wait_for_wakeup(set, seen, timeout.deadline_tsc()) && timeout.expired()) {
            count = fs::epoll_collect(set, events, capacity);  // what the last wake-up brought
            break;
        }
    }
    if (count && !copy_to_app(app_events, events, count * sizeof(EpollEvent))) return failure(Errno::efault);
    return static_cast<int64_t>(count);
}

Timeout timeout_of_milliseconds(int32_t milliseconds) {
    if (milliseconds < 0) return Timeout::infinite();
    return Timeout::after(static_cast<uint64_t>(milliseconds) * 1000000);
}

}  // namespace

int64_t sys_epoll_create(const SyscallArgs& args) {
    if (args.integer(0) <= 0) return failure(Errno::einval);  // the size hint must be positive
    return create(0);
}

int64_t sys_epoll_create1(const SyscallArgs& args) { return create(args[0]); }

int64_t sys_epoll_ctl(const SyscallArgs& args) {
    // The checks in Linux's order: the event (EFAULT), both descriptors (EBADF), then
    // the rest in fs::epoll_control.
    int32_t operation = args.integer(1);
    int32_t fd = args.integer(2);
    EpollEvent event{};
    if (operation != fs::epoll_ctl_del && !read_app(event, args.pointer<const EpollEvent>(3)))
        return failure(Errno::efault);
    auto epoll = fs::file_of(args.integer(0));
    if (!epoll.ok()) return failure(epoll.error_code());
    auto target = fs::file_of(fd);
    if (!target.ok()) return failure(target.error_code());
    return result_of(fs::epoll_control(*epoll.value(), operation, fd, *target.value(), event));
}

int64_t sys_epoll_wait(const SyscallArgs& args) {
    return wait(args.integer(0), args.pointer<void>(1), args.integer(2), timeout_of_milliseconds(args.integer(3)));
}

int64_t sys_epoll_pwait(const SyscallArgs& args) {
    if (int64_t bad = check_signal_mask(args.pointer<const void>(4), args[5])) return bad;
    return wait(args.integer(0), args.pointer<void>(1), args.integer(2), timeout_of_milliseconds(args.integer(3)));
}

int64_t sys_epoll_pwait2(const SyscallArgs& args) {
    Timeout timeout = Timeout::infinite();
    if (args[3]) {
        if (int64_t bad = read_timespec_timeout(args.pointer<const void>(3), timeout)) return bad;
    }
    if (int64_t bad = check_signal_mask(args.pointer<const void>(4), args[5])) return bad;
    return wait(args.integer(0), args.pointer<void>(1), args.integer(2), timeout);
}

}  // namespace eremite::linux
