// File syscalls by descriptor: read and write in all their forms, lseek, stat, the
// descriptor table (close, dup, fcntl), directories (getdents64), sizes and syncs, and
// the copies between files (sendfile, copy_file_range).
#include "fs/pipe.hpp"
#include "fs/vfs.hpp"
#include "lib/string.hpp"
#include "linux/file_syscalls.hpp"
#include "linux/process.hpp"
#include "mm/memory.hpp"

namespace eremite::linux {
namespace {

using fs::File;
using fs::IoBuffer;
using fs::Ref;

constexpr uint64_t max_rw_count = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX rounded down to a page
constexpr uint64_t iov_max = 1024;

struct Iovec {
    uint64_t base;
    uint64_t length;
};

Result<Ref<File>> readable_file(int32_t fd) {
    Ref<File> file = TRY(fs::file_of(fd));
    if (!file->readable()) return error(Errno::ebadf);
    return file;
}

Result<Ref<File>> writable_file(int32_t fd) {
    Ref<File> file = TRY(fs::file_of(fd));
    if (!file->writable()) return error(Errno::ebadf);
    return file;
}

// One transfer at the file's position (offset < 0) or at `offset` (pread/pwrite).
Result<uint64_t> transfer(File& file, bool write, const IoBuffer& buffer, uint64_t length, int64_t offset) {
    length = min(length, max_rw_count);
    if (offset >= 0) {
        if (!file.seekable()) return error(Errno::espipe);
        uint64_t position = static_cast<uint64_t>(offset);
        return write ? file.write(buffer, length, position) : file.read(buffer, length, position);
    }
    // Threads sharing a description each see a position; a racing pair may both read
    // the same bytes, which Linux prevents with f_pos_lock only for seekable files.
    uint64_t position = file.position;
    auto done = write ? file.write(buffer, length, position) : file.read(buffer, length, position);
    if (done.ok() && file.seekable()) file.position = position;
    return done;
}

int64_t simple(int32_t fd, bool write, void* app_buffer, uint64_t length, int64_t offset) {
    auto file = write ? writable_file(fd) : readable_file(fd);
    if (!file.ok()) return failure(file.error_code());
    if (!in_app_half(app_buffer, min(length, max_rw_count))) return failure(Errno::efault);
    return result_of(transfer(*file.value(), write, IoBuffer::app(app_buffer), length, offset));
}

int64_t vectored(int32_t fd, bool write, const Iovec* app_vectors, uint64_t count, int64_t offset) {
    if (count > iov_max) return failure(Errno::einval);
    auto file = write ? writable_file(fd) : readable_file(fd);
    if (!file.ok()) return failure(file.error_code());
    if (offset >= 0 && !file.value()->seekable()) return failure(Errno::espipe);
    // Linux checks the whole vector first: a negative length or an overflowing total is
    // EINVAL before anything moves.
    uint64_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
        Iovec v;
        if (!read_app(v, &app_vectors[i])) return failure(Errno::efault);
        if (static_cast<int64_t>(v.length) < 0 || !checked_add(total, v.length, total) ||
            total > static_cast<uint64_t>(INT64_MAX))
            return failure(Errno::einval);
    }
    uint64_t done = 0;
    for (uint64_t i = 0; i < count; ++i) {
        Iovec v;
        if (!read_app(v, &app_vectors[i])) return done ? static_cast<int64_t>(done) : failure(Errno::efault);
        if (v.length == 0) continue;
        auto* base = reinterpret_cast<void*>(v.base);
        if (!in_app_half(base, v.length)) return done ? static_cast<int64_t>(done) : failure(Errno::efault);
        auto moved = transfer(*file.value(), write, IoBuffer::app(base), v.length,
                              offset >= 0 ? offset + static_cast<int64_t>(done) : -1);
        if (!moved.ok()) return done ? static_cast<int64_t>(done) : failure(moved.error_code());
        done += moved.value();
        if (moved.value() < v.length) break;  // a short transfer ends the call
    }
    return static_cast<int64_t>(done);
}

}  // namespace

int64_t sys_read(const SyscallArgs& args) { return simple(args.integer(0), false, args.pointer<void>(1), args[2], -1); }
int64_t sys_write(const SyscallArgs& args) { return simple(args.integer(0), true, args.pointer<void>(1), args[2], -1); }

int64_t sys_pread64(const SyscallArgs& args) {
    if (static_cast<int64_t>(args[3]) < 0) return failure(Errno::einval);
    return simple(args.integer(0), false, args.pointer<void>(1), args[2], static_cast<int64_t>(args[3]));
}
int64_t sys_pwrite64(const SyscallArgs& args) {
    if (static_cast<int64_t>(args[3]) < 0) return failure(Errno::einval);
    return simple(args.integer(0), true, args.pointer<void>(1), args[2], static_cast<int64_t>(args[3]));
}

int64_t sys_readv(const SyscallArgs& args) {
    return vectored(args.integer(0), false, args.pointer<const Iovec>(1), args[2], -1);
}
int64_t sys_writev(const SyscallArgs& args) {
    return vectored(args.integer(0), true, args.pointer<const Iovec>(1), args[2], -1);
}
int64_t sys_preadv(const SyscallArgs& args) {
    if (static_cast<int64_t>(args[3]) < 0) return failure(Errno::einval);
    return vectored(args.integer(0), false, args.pointer<const Iovec>(1), args[2], static_cast<int64_t>(args[3]));
}
int64_t sys_pwritev(const SyscallArgs& args) {
    if (static_cast<int64_t>(args[3]) < 0) return failure(Errno::einval);
    return vectored(args.integer(0), true, args.pointer<const Iovec>(1), args[2], static_cast<int64_t>(args[3]));
}
// preadv2/pwritev2: offset -1 is the file position; no RWF_* flag is supported yet.
int64_t sys_preadv2(const SyscallArgs& args) {
    if (args[5]) return failure(Errno::eopnotsupp);
    auto offset = static_cast<int64_t>(args[3]);
    if (offset < -1) return failure(Errno::einval);
    return vectored(args.integer(0), false, args.pointer<const Iovec>(1), args[2], offset);
}
int64_t sys_pwritev2(const SyscallArgs& args) {
    if (args[5]) return failure(Errno::eopnotsupp);
    auto offset = static_cast<int64_t>(args[3]);
    if (offset < -1) return failure(Errno::einval);
    return vectored(args.integer(0), true, args.pointer<const Iovec>(1), args[2], offset);
}

int64_t sys_lseek(const SyscallArgs& args) {
    constexpr int seek_set = 0, seek_cur = 1, seek_end = 2, seek_data = 3, seek_hole = 4;
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    File& f = *file.value();
    if (f.seek_does_nothing()) return static_cast<int64_t>(f.position);
    if (!f.seekable()) return failure(Errno::espipe);
    auto offset = static_cast<int64_t>(args[1]);
    int64_t base;
    switch (args.integer(2)) {
        case seek_set: base = 0; break;
        case seek_cur: base = static_cast<int64_t>(f.position); break;
        case seek_end:
        case seek_data:
        case seek_hole: {
            auto size = f.size();
            if (!size.ok()) return failure(size.error_code());
            base = static_cast<int64_t>(size.value());
            break;
        }
        default: return failure(Errno::einval);
    }
    int64_t target;
    switch (args.integer(2)) {
        case seek_data:  // the whole file counts as data (holes are not reported)
            if (offset < 0 || offset >= base) return failure(Errno::enxio);
            target = offset;
            break;
        case seek_hole:
            if (offset < 0 || offset >= base) return failure(Errno::enxio);
            target = base;
            break;
        default:
            if (__builtin_add_overflow(base, offset, &target)) return failure(Errno::eoverflow);
    }
    if (target < 0) return failure(Errno::einval);
    f.position = static_cast<uint64_t>(target);
    return target;
}

int64_t sys_close(const SyscallArgs& args) { return result_of(fs::close_fd(args.integer(0))); }

int64_t sys_close_range(const SyscallArgs& args) {
    constexpr uint64_t close_range_unshare = 2, close_range_cloexec = 4;
    auto first = static_cast<uint32_t>(args[0]), last = static_cast<uint32_t>(args[1]);
    if (args[2] & ~(close_range_unshare | close_range_cloexec)) return failure(Errno::einval);
    if (first > last) return failure(Errno::einval);
    uint32_t end = min(last, fs::fd_limit() - 1);
    for (uint32_t fd = first; fd <= end && fd >= first; ++fd) {
        if (args[2] & close_range_cloexec)
            (void)fs::set_close_on_exec(static_cast<int32_t>(fd), true);
        else
            (void)fs::close_fd(static_cast<int32_t>(fd));
    }
    return 0;
}

int64_t sys_dup(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    return result_of(fs::install_fd(file.value(), false));
}

namespace {

int64_t duplicate_to(int32_t old_fd, int32_t new_fd, bool close_on_exec) {
    auto file = fs::file_of(old_fd);
    if (!file.ok()) return failure(file.error_code());
    return result_of(fs::install_fd_at(new_fd, file.value(), close_on_exec));
}

}  // namespace

int64_t sys_dup2(const SyscallArgs& args) {
    if (args.integer(0) == args.integer(1)) {
        auto file = fs::file_of(args.integer(0));
        return file.ok() ? args.integer(1) : failure(file.error_code());
    }
    return duplicate_to(args.integer(0), args.integer(1), false);
}

int64_t sys_dup3(const SyscallArgs& args) {
    if (args[2] & ~static_cast<uint64_t>(fs::o_cloexec)) return failure(Errno::einval);
    if (args.integer(0) == args.integer(1)) return failure(Errno::einval);
    return duplicate_to(args.integer(0), args.integer(1), args[2] & fs::o_cloexec);
}

int64_t sys_fcntl(const SyscallArgs& args) {
    constexpr int f_dupfd = 0, f_getfd = 1, f_setfd = 2, f_getfl = 3, f_setfl = 4, f_getlk = 5, f_setlk = 6,
                  f_setlkw = 7, f_setown = 8, f_getown = 9, f_ofd_getlk = 36, f_ofd_setlk = 37, f_ofd_setlkw = 38,
                  f_dupfd_cloexec = 1030, f_setpipe_sz = 1031, f_getpipe_sz = 1032;
    constexpr uint64_t fd_cloexec = 1;
    int32_t fd = args.integer(0);
    auto file = fs::file_of(fd);
    if (!file.ok()) return failure(file.error_code());
    switch (args.integer(1)) {
        case f_dupfd:
        case f_dupfd_cloexec: {
            auto lowest = static_cast<int64_t>(args[2]);
            if (lowest < 0 || lowest >= static_cast<int64_t>(fs::fd_limit())) return failure(Errno::einval);
            return result_of(
                fs::install_fd(file.value(), args.integer(1) == f_dupfd_cloexec, static_cast<int32_t>(lowest)));
        }
        case f_getfd: {
            auto value = fs::close_on_exec(fd);
            return value.ok() ? (value.value() ? 1 : 0) : failure(value.error_code());
        }
        case f_setfd: return result_of(fs::set_close_on_exec(fd, args[2] & fd_cloexec));
        case f_getfl: return file.value()->flags();
        case f_setfl: file.value()->set_status_flags(static_cast<uint32_t>(args[2])); return 0;
        case f_getlk:
        case f_ofd_getlk: {
            // Record locks: with one process, no other process can hold a conflicting
            // POSIX lock, so the answer is always "unlocked" (l_type = F_UNLCK).
            struct Flock {
                int16_t type, whence;
                int64_t start, length;
                int32_t pid;
            } lock;
            constexpr int16_t f_unlck = 2;
            if (!read_app(lock, args.pointer<void>(2))) return failure(Errno::efault);
            lock.type = f_unlck;
            return write_app(args.pointer<void>(2), lock) ? 0 : failure(Errno::efault);
        }
        case f_setlk:
        case f_setlkw:
        case f_ofd_setlk:
        case f_ofd_setlkw:
            // Advisory locks of the only process never conflict with each other (POSIX
            // locks are per process); open-file-description locks between two
            // descriptions of this process are not tracked (docs/usage.md).
            return 0;
        case f_getown: return 0;
        case f_setown: return 0;
        case f_setpipe_sz:  // the size is an unsigned int (pipe_fcntl)
            return result_of(fs::set_pipe_size(*file.value(), static_cast<uint32_t>(args[2]), process_is_privileged()));
        case f_getpipe_sz: return result_of(fs::pipe_size(*file.value()));
        default: return failure(Errno::einval);
    }
}

int64_t sys_flock(const SyscallArgs& args) {
    constexpr uint64_t lock_sh = 1, lock_ex = 2, lock_nb = 4, lock_un = 8;
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    uint64_t op = args[1] & ~lock_nb;
    if (op != lock_sh && op != lock_ex && op != lock_un) return failure(Errno::einval);
    return 0;  // accepted: see sys_fcntl's record locks
}

int64_t sys_fstat(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    auto attributes = file.value()->attributes();
    if (!attributes.ok()) return failure(attributes.error_code());
    return write_stat(args.pointer<void>(1), attributes.value());
}

int64_t sys_fstatfs(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    fs::Node* node = file.value()->node();
    auto statistics = node ? node->statistics() : Result<fs::FileSystemStatistics>(fs::FileSystemStatistics{});
    if (!statistics.ok()) return failure(statistics.error_code());
    return write_statfs(args.pointer<void>(1), statistics.value());
}

int64_t sys_ioctl(const SyscallArgs& args) {
    constexpr uint64_t fionclex = 0x5450, fioclex = 0x5451, fionbio = 0x5421;
    int32_t fd = args.integer(0);
    auto file = fs::file_of(fd);
    if (!file.ok()) return failure(file.error_code());
    // The request is an unsigned int on Linux: the upper half of the register is not part of it.
    uint64_t request = static_cast<uint32_t>(args[1]);
    switch (request) {
        case fioclex: return result_of(fs::set_close_on_exec(fd, true));
        case fionclex: return result_of(fs::set_close_on_exec(fd, false));
        case fionbio: {
            int32_t on;
            if (!read_app(on, args.pointer<void>(2))) return failure(Errno::efault);
            uint32_t flags = file.value()->flags();
            file.value()->set_status_flags(on ? flags | fs::o_nonblock : flags & ~fs::o_nonblock);
            return 0;
        }
        default: return result_of(file.value()->ioctl(request, args[2]));
    }
}

int64_t sys_ftruncate(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    auto length = static_cast<int64_t>(args[1]);
    if (length < 0) return failure(Errno::einval);
    fs::Node* node = file.value()->node();
    if (!node || node->type() != fs::NodeType::regular || !file.value()->writable()) return failure(Errno::einval);
    return result_of(node->truncate(static_cast<uint64_t>(length)));
}

int64_t sys_fallocate(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    auto offset = static_cast<int64_t>(args[2]), length = static_cast<int64_t>(args[3]);
    if (offset < 0 || length <= 0) return failure(Errno::einval);
    if (!file.value()->writable()) return failure(Errno::ebadf);
    if (args[1] != 0) return failure(Errno::eopnotsupp);  // only mode 0: allocate and extend
    return result_of(file.value()->allocate(static_cast<uint64_t>(offset), static_cast<uint64_t>(length)));
}

namespace {

int64_t sync_file(int32_t fd) {
    auto file = fs::file_of(fd);
    if (!file.ok()) return failure(file.error_code());
    fs::Node* node = file.value()->node();
    if (!node) return failure(Errno::einval);
    return result_of(node->sync());
}

}  // namespace

int64_t sys_fsync(const SyscallArgs& args) { return sync_file(args.integer(0)); }
int64_t sys_fdatasync(const SyscallArgs& args) { return sync_file(args.integer(0)); }
int64_t sys_syncfs(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    return file.ok() ? 0 : failure(file.error_code());
}
// Host files are written through at once (hostfs has no cache to flush); tmpfs has no
// backing store.
int64_t sys_sync(const SyscallArgs&) { return 0; }

int64_t sys_fchmod(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    fs::Node* node = file.value()->node();
    if (!node) return failure(Errno::eperm);
    return result_of(node->set_mode(static_cast<uint32_t>(args[1]) & fs::mode_permission_mask));
}

int64_t sys_fchown(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    fs::Node* node = file.value()->node();
    if (!node) return failure(Errno::eperm);
    return result_of(node->set_owner(static_cast<uint32_t>(args[1]), static_cast<uint32_t>(args[2])));
}

int64_t sys_fchdir(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    const fs::Location* location = file.value()->location();
    if (!location || !location->node()->is_directory()) return failure(Errno::enotdir);
    fs::set_working_directory(*location);
    return 0;
}

namespace {

// getdents64's records (struct linux_dirent64), written straight to the app's buffer.
class DirentWriter final : public fs::DirectoryListing {
public:
    DirentWriter(uint8_t* app_buffer, uint64_t capacity) : buffer_(app_buffer), capacity_(capacity) {}

    bool add(const fs::DirectoryEntry& entry) override {
        uint64_t length = align_up(19 + entry.name.length + 1, 8);
        if (used_ + length > capacity_) return false;
        uint8_t record[19 + fs::name_max + 1 + 8] = {};
        uint64_t next = entry.next_cookie;
        auto record_length = static_cast<uint16_t>(length);
        memcpy(record, &entry.inode, 8);
        memcpy(record + 8, &next, 8);
        memcpy(record + 16, &record_length, 2);
        record[18] = fs::dirent_type_of(entry.type);
        memcpy(record + 19, entry.name.text, entry.name.length);
        if (!copy_to_app(buffer_ + used_, record, length)) {
            faulted_ = true;
            return false;
        }
        used_ += length;
        cookie_ = next;
        return true;
    }
    uint64_t used() const { return used_; }
    uint64_t cookie() const { return cookie_; }
    bool faulted() const { return faulted_; }

private:
    uint8_t* buffer_;
    uint64_t capacity_;
    uint64_t used_ = 0;
    uint64_t cookie_ = 0;
    bool faulted_ = false;
};

}  // namespace

int64_t sys_getdents64(const SyscallArgs& args) {
    auto file = fs::file_of(args.integer(0));
    if (!file.ok()) return failure(file.error_code());
    File& f = *file.value();
    uint64_t capacity = min<uint64_t>(args[2], max_rw_count);
    if (!in_app_half(args.pointer<void>(1), capacity)) return failure(Errno::efault);
    DirentWriter writer(args.pointer<uint8_t>(1), capacity);
    auto listed = f.read_directory(f.position, writer);
    if (!listed.ok()) return failure(listed.error_code());
    if (writer.faulted() && writer.used() == 0) return failure(Errno::efault);
    if (writer.used() == 0 && writer.cookie() == 0) {
        // Either the end of the directory or a buffer too small for the next entry:
        // ask once more with room to tell them apart.
        struct Probe final : fs::DirectoryListing {
            bool seen = false;
            bool add(const fs::DirectoryEntry&) override {
                seen = true;
                return false;
            }
        } probe;
        auto again = f.read_directory(f.position, probe);
        if (again.ok() && probe.seen) return failure(Errno::einval);
        return 0;
    }
    f.position = writer.cookie();
    return static_cast<int64_t>(writer.used());
}

namespace {

// Copies up to `length` bytes between two files through a kernel buffer: sendfile and
// copy_file_range. A null offset pointer means the file's own position.
int64_t copy_between(int32_t in_fd, int64_t* app_in_offset, int32_t out_fd, int64_t* app_out_offset, uint64_t length) {
    auto in = readable_file(in_fd);
    if (!in.ok()) return failure(in.error_code());
    auto out = writable_file(out_fd);
    if (!out.ok()) return failure(out.error_code());
    int64_t in_offset = -1, out_offset = -1;
    if (app_in_offset) {
        if (!read_app(in_offset, app_in_offset)) return failure(Errno::efault);
        if (in_offset < 0) return failure(Errno::einval);
    }
    if (app_out_offset) {
        if (!read_app(out_offset, app_out_offset)) return failure(Errno::efault);
        if (out_offset < 0) return failure(Errno::einval);
    }
    constexpr uint64_t chunk_size = 64 * 1024;
    auto* chunk = static_cast<uint8_t*>(mm::allocate(chunk_size));
    if (!chunk) return failure(Errno::enomem);
    length = min(length, max_rw_count);
    uint64_t done = 0;
    Errno failed = Errno::none;
    while (done < length) {
        uint64_t want = min(length - done, chunk_size);
        auto got = transfer(*in.value(), false, IoBuffer::kernel(chunk), want,
                            in_offset >= 0 ? in_offset + static_cast<int64_t>(done) : -1);
        if (!got.ok()) {
            failed = got.error_code();
            break;
        }
        if (got.value() == 0) break;
        auto put = transfer(*out.value(), true, IoBuffer::kernel(chunk), got.value(),
                            out_offset >= 0 ? out_offset + static_cast<int64_t>(done) : -1);
        if (!put.ok()) {
            failed = put.error_code();
            break;
        }
        done += put.value();
        if (put.value() < got.value() || got.value() < want) break;
    }
    mm::free(chunk);
    if (done == 0 && failed != Errno::none) return failure(failed);
    auto moved = static_cast<int64_t>(done);
    if (app_in_offset && !write_app(app_in_offset, in_offset + moved)) return failure(Errno::efault);
    if (app_out_offset && !write_app(app_out_offset, out_offset + moved)) return failure(Errno::efault);
    return moved;
}

}  // namespace

int64_t sys_sendfile(const SyscallArgs& args) {
    return copy_between(args.integer(1), args.pointer<int64_t>(2), args.integer(0), nullptr, args[3]);
}

int64_t sys_copy_file_range(const SyscallArgs& args) {
    if (args[5] != 0) return failure(Errno::einval);
    auto in = fs::file_of(args.integer(0));
    auto out = fs::file_of(args.integer(2));
    if (!in.ok() || !out.ok()) return failure(Errno::ebadf);
    fs::Node* a = in.value()->node();
    fs::Node* b = out.value()->node();
    if (!a || !b || a->is_directory() || b->is_directory())
        return failure(a && a->is_directory() ? Errno::eisdir : Errno::einval);
    if (a->type() != fs::NodeType::regular || b->type() != fs::NodeType::regular) return failure(Errno::einval);
    return copy_between(args.integer(0), args.pointer<int64_t>(1), args.integer(2), args.pointer<int64_t>(3), args[4]);
}

}  // namespace eremite::linux
