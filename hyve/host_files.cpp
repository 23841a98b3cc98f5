// Host directories for the guest (--mount): the host_file hypercall.
//
// The guest is hostile. Its kernel walks paths itself and asks about one name at a time
// inside an object it already holds a handle to (abi.hpp), so confinement rests on
// three things, each enforced here whatever the guest sends:
//
//  1. Every handle names an object reached from a mount's root by single names that
//     check_name accepted: not empty, no '/', no NUL, not "." or "..", at most
//     host_name_max bytes. `..` at a mount's root is the guest's business.
//  2. Every name is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
//     RESOLVE_NO_MAGICLINKS) and O_NOFOLLOW relative to its directory's fd: no symlink
//     is ever followed on the host. A lookup that ends on a symlink returns an O_PATH
//     handle of the link itself (RESOLVE_NO_SYMLINKS allows exactly that with
//     O_PATH | O_NOFOLLOW), which the guest reads with read_link and resolves in its
//     own tree, as Linux does under a bind mount. (1) alone would confine the guest;
//     (2) is defence in depth at no cost.
//  3. An object is opened for I/O (open, truncate, set_mode, link, set_times) through
//     /proc/self/fd/N of the O_PATH fd the lookup gave, as virtiofsd does: that opens
//     exactly the inode the guest looked up, never whatever a host process may have put
//     under the name since. So the type check made on that inode cannot be raced: only
//     regular files and directories are opened, never a FIFO (its open would block the
//     vCPU), a device or a socket. Reopening by the parent's fd and the name would need
//     O_NONBLOCK and an inode comparison to be as safe. Linux treats the target of such
//     a magic link as final: it is not followed again even when it is a symlink
//     (link of a symlink links the link; the unit tests check it). The /proc/self/fd
//     directory is opened once, before the sandbox; Landlock judges the reopened file by
//     where it really is, beneath the mount.
//
// Read-only mounts (:ro) refuse every call that writes with EROFS, for every handle
// involved, before anything happens on the host, whatever the host's permissions.
// Files and directories the guest creates or chmods get no set-user-ID bit, and files
// no set-group-ID bit (as under a nosuid mount): a hostile guest must not leave a
// set-user-ID program owned by whoever runs ehyve. It makes no devices, FIFOs or
// sockets: the ABI has no call for them.
//
// Guest memory: names and segment lists are copied out before they are checked (the
// guest may change them at any moment); data moves with preadv, pwritev, getdents64 and
// readlinkat straight between the host file and GuestMemory spans, each checked whole
// first, at most host_transfer_max bytes per call (a shorter count is a short transfer).
//
// Concurrency: every vCPU thread may serve calls at once. The handle table has its own
// lock; objects do not change after they are made, except a directory's position, which
// read_dir sets and reads under the object's lock; an object one vCPU releases while
// another uses it lives until that one is done (handle_table.hpp), so an fd number is
// never reused under a call.
//
// Errors: host errno values go back negated. The host is Linux on x86-64 like the guest,
// so the numbers mean the same on both sides (asserted below for a few).
//
// Outside of what a handle can do: a host process may move a directory the guest holds
// out of the mounted tree; the guest then keeps what it holds, as with any fd-based
// server. Symlinks the guest creates are text; host programs that follow them later are
// the host user's business.
#include "host_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <new>

#include "error.hpp"

namespace ehyve {

using namespace eremite;

static_assert(ENOENT == 2 && EBADF == 9 && EACCES == 13 && EFAULT == 14 && EXDEV == 18 && ENOTDIR == 20 &&
                  EISDIR == 21 && EINVAL == 22 && EROFS == 30 && ENAMETOOLONG == 36 && ELOOP == 40,
              "host errno values are Linux's: the guest gets them as they are");

struct HostObject {
    FileDescriptor fd;      // O_PATH, or open for I/O (for_io)
    uint32_t mount = 0;     // which mount it was reached from
    uint32_t type = 0;      // S_IFMT bits: an inode's type never changes
    bool for_io = false;    // from open or create
    int access = O_RDONLY;  // for_io: O_RDONLY, O_WRONLY or O_RDWR
    std::mutex position;    // read_dir: lseek and getdents64 as one step
    bool is_directory() const { return type == S_IFDIR; }
};

namespace {

constexpr uint64_t path_max = 4096;  // Linux's PATH_MAX, with the NUL
constexpr int create_flags = O_ACCMODE | O_APPEND | O_TRUNC | O_EXCL | O_CREAT;
constexpr int open_flags = O_ACCMODE | O_APPEND | O_TRUNC | O_DIRECTORY;

int64_t failure() { return -static_cast<int64_t>(errno); }

// openat2 beneath `directory`, never following a symlink; -1 and errno on failure.
int open_beneath(int directory, const std::string& name, uint64_t flags, uint64_t mode = 0) {
    open_how how{};
    how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
    how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    do fd = syscall(SYS_openat2, directory, name.c_str(), &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    return static_cast<int>(fd);
}

abi::HostStat host_stat(const struct stat& s) {
    abi::HostStat h{};
    h.inode = s.st_ino;
    h.mode = s.st_mode;
    h.link_count = static_cast<uint32_t>(std::min<uint64_t>(s.st_nlink, UINT32_MAX));
    h.uid = s.st_uid;
    h.gid = s.st_gid;
    h.rdev = s.st_rdev;
    h.size = s.st_size;
    h.blocks = s.st_blocks;
    h.block_size = s.st_blksize;
    h.access_seconds = s.st_atim.tv_sec;
    h.access_nanoseconds = s.st_atim.tv_nsec;
    h.modify_seconds = s.st_mtim.tv_sec;
    h.modify_nanoseconds = s.st_mtim.tv_nsec;
    h.change_seconds = s.st_ctim.tv_sec;
    h.change_nanoseconds = s.st_ctim.tv_nsec;
    return h;
}

// The permission bits the host applies for a guest's mode (see the top of this file).
mode_t safe_mode(uint64_t mode, uint32_t type) {
    auto bits = static_cast<mode_t>(mode & 07777);
    bits &= ~S_ISUID;
    if (type != S_IFDIR) bits &= ~S_ISGID;
    return bits;
}

bool writes(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC); }

}  // namespace

int64_t check_name(std::string_view name) {
    if (name.size() > abi::host_name_max) return -ENAMETOOLONG;
    if (name.empty() || name == "." || name == "..") return -EINVAL;
    if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) return -EINVAL;
    return 0;
}

HostFiles::HostFiles(const GuestMemory& memory, const std::vector<Mount>& mounts) : memory_(memory) {
    for (const Mount& mount : mounts) {
        MountPoint point;
        point.root = FileDescriptor(::open(mount.host_directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!point.root.valid()) fail_errno("--mount " + mount.host_directory);
        point.read_only = mount.read_only;
        mounts_.push_back(std::move(point));
    }
    if (mounts_.empty()) return;
    proc_fds_ = FileDescriptor(::open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!proc_fds_.valid()) fail_errno("--mount needs /proc/self/fd (is /proc mounted?)");
    FileDescriptor probe(open_beneath(mounts_[0].root.get(), ".", O_PATH));
    if (!probe.valid() && errno == ENOSYS) fail("--mount needs Linux 5.6 or later on the host (openat2)");
}

HostFiles::~HostFiles() = default;

void HostFiles::serve(Args& a) {
    try {
        a.result = dispatch(a);
    } catch (const std::bad_alloc&) {
        a.result = -ENOMEM;
    }
}

int64_t HostFiles::dispatch(Args& a) {
    using Op = abi::HostFileOp;
    switch (static_cast<Op>(a.op)) {
        case Op::mount_root: return mount_root(a);
        case Op::lookup: return lookup(a);
        case Op::release: return handles_.remove(a.handle) ? 0 : -EBADF;
        case Op::open: return open(a);
        case Op::create: return create(a);
        case Op::read: return transfer(a, false);
        case Op::write: return transfer(a, true);
        case Op::stat: return stat(a);
        case Op::read_dir: return read_dir(a);
        case Op::mkdir:
        case Op::unlink:
        case Op::rmdir:
        case Op::symlink: return name_operation(a);
        case Op::rename: return rename(a);
        case Op::read_link: return read_link(a);
        case Op::link: return link(a);
        case Op::truncate: return truncate(a);
        case Op::allocate: return allocate(a);
        case Op::set_mode: return set_mode(a);
        case Op::set_times: return set_times(a);
        case Op::sync: return sync(a);
        case Op::statfs: return statfs(a);
        case Op::count: break;
    }
    return -EINVAL;
}

bool HostFiles::read_only(const HostObject& object) const { return mounts_[object.mount].read_only; }

std::string HostFiles::proc_name(const HostObject& object) { return std::to_string(object.fd.get()); }

int64_t HostFiles::read_name(uint64_t address, uint64_t length, std::string& name) const {
    if (length > abi::host_name_max) return -ENAMETOOLONG;
    auto bytes = memory_.span(GuestPhysAddr{address}, length);
    if (!bytes) return -EFAULT;
    name.assign(bytes->begin(), bytes->end());  // a copy: the guest may rewrite it meanwhile
    return check_name(name);
}

int64_t HostFiles::copy_segments(const Args& a, Segments& segments) const {
    if (a.segment_count > abi::host_segments_max) return -EINVAL;
    if (a.segment_count == 0) return 0;
    auto list = memory_.span(GuestPhysAddr{a.segments}, a.segment_count * sizeof(abi::HostSegment));
    if (!list) return -EFAULT;
    std::memcpy(segments, list->data(), list->size());
    return a.segment_count;
}

int64_t HostFiles::gather(const Args& a, IoVectors& vector) const {
    Segments segments;
    int64_t count = copy_segments(a, segments);
    if (count < 0) return count;
    int64_t pieces = 0;
    uint64_t total = 0;
    for (int64_t i = 0; i < count; ++i) {
        auto bytes = memory_.span(GuestPhysAddr{segments[i].address}, segments[i].length);
        if (!bytes) return -EFAULT;  // every segment whole, also beyond what this call moves
        uint64_t take = std::min<uint64_t>(bytes->size(), abi::host_transfer_max - total);
        if (take) vector[pieces++] = iovec{bytes->data(), take};
        total += take;
    }
    return pieces;
}

int64_t HostFiles::first_segment(const Args& a, uint64_t limit, uint8_t*& data, uint64_t& length) const {
    Segments segments;
    int64_t count = copy_segments(a, segments);
    if (count < 0) return count;
    if (count == 0) return -EINVAL;
    auto bytes = memory_.span(GuestPhysAddr{segments[0].address}, segments[0].length);
    if (!bytes) return -EFAULT;
    data = bytes->data();
    length = std::min(bytes->size(), limit);
    return 0;
}

int64_t HostFiles::hand_out(std::shared_ptr<HostObject> object, Args& a) {
    struct stat info;
    if (fstat(object->fd.get(), &info) < 0) return failure();
    a.stat = host_stat(info);
    uint64_t handle = handles_.insert(std::move(object));
    if (handle == 0) return -ENFILE;  // the guest holds host_handles_max handles already
    return static_cast<int64_t>(handle);
}

int64_t HostFiles::mount_root(Args& a) {
    if (a.handle >= mounts_.size()) return -EINVAL;
    auto object = std::make_shared<HostObject>();
    object->fd = FileDescriptor(fcntl(mounts_[a.handle].root.get(), F_DUPFD_CLOEXEC, 0));
    if (!object->fd.valid()) return failure();
    object->mount = static_cast<uint32_t>(a.handle);
    object->type = S_IFDIR;
    return hand_out(std::move(object), a);
}

int64_t HostFiles::lookup(Args& a) {
    auto directory = find(a.handle);
    if (!directory) return -EBADF;
    std::string name;
    if (int64_t error = read_name(a.name, a.name_length, name)) return error;
    if (!directory->is_directory()) return -ENOTDIR;
    auto object = std::make_shared<HostObject>();
    object->fd = FileDescriptor(open_beneath(directory->fd.get(), name, O_PATH));
    if (!object->fd.valid()) return failure();
    struct stat info;
    if (fstat(object->fd.get(), &info) < 0) return failure();
    object->mount = directory->mount;
    object->type = info.st_mode & S_IFMT;
    return hand_out(std::move(object), a);
}

int64_t HostFiles::reopen(const HostObject& object, int flags, Args& a) {
    switch (object.type) {
        case S_IFREG:
            if (flags & O_DIRECTORY) return -ENOTDIR;
            break;
        case S_IFDIR:
            if (writes(flags)) return -EISDIR;
            break;
        case S_IFLNK: return -ELOOP;   // what open with O_NOFOLLOW says
        case S_IFSOCK: return -ENXIO;  // what Linux says for a socket
        default: return -EACCES;       // FIFOs and devices, as on a nodev mount
    }
    if (writes(flags) && read_only(object)) return -EROFS;
    auto opened = std::make_shared<HostObject>();
    // Follows the magic link /proc/self/fd/N: the inode `object` holds, nothing else.
    int fd;
    do fd = openat(proc_fds_.get(), proc_name(object).c_str(), flags | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    opened->fd = FileDescriptor(fd);
    if (!opened->fd.valid()) return failure();
    opened->mount = object.mount;
    opened->type = object.type;
    opened->for_io = true;
    opened->access = flags & O_ACCMODE;
    return hand_out(std::move(opened), a);
}

int64_t HostFiles::open(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if ((a.flags & ~uint64_t{open_flags}) || (a.flags & O_ACCMODE) == O_ACCMODE) return -EINVAL;
    return reopen(*object, static_cast<int>(a.flags), a);
}

int64_t HostFiles::create(Args& a) {
    auto directory = find(a.handle);
    if (!directory) return -EBADF;
    std::string name;
    if (int64_t error = read_name(a.name, a.name_length, name)) return error;
    if ((a.flags & ~uint64_t{create_flags}) || (a.flags & O_ACCMODE) == O_ACCMODE) return -EINVAL;
    if (!directory->is_directory()) return -ENOTDIR;
    if (read_only(*directory)) return -EROFS;
    const int flags = static_cast<int>(a.flags);
    // O_CREAT without O_EXCL opens what is there: but never by its name, which could be
    // a FIFO whose open blocks. So: create exclusively; if the name exists, look it up
    // and reopen that inode with the checks of `open`. If it vanishes in between, create
    // again; a name that keeps coming and going gets EEXIST after a few rounds.
    for (int attempt = 0; attempt < 8; ++attempt) {
        int fd = open_beneath(directory->fd.get(), name, (flags & (O_ACCMODE | O_APPEND)) | O_CREAT | O_EXCL | O_NOCTTY,
                              safe_mode(a.mode, S_IFREG));
        if (fd >= 0) {
            auto object = std::make_shared<HostObject>();
            object->fd = FileDescriptor(fd);
            object->mount = directory->mount;
            object->type = S_IFREG;
            object->for_io = true;
            object->access = flags & O_ACCMODE;
            return hand_out(std::move(object), a);
        }
        if (errno != EEXIST || (flags & O_EXCL)) return failure();
        HostObject existing;
        existing.fd = FileDescriptor(open_beneath(directory->fd.get(), name, O_PATH));
        if (!existing.fd.valid()) {
            if (errno == ENOENT) continue;
            return failure();
        }
        struct stat info;
        if (fstat(existing.fd.get(), &info) < 0) return failure();
        existing.mount = directory->mount;
        existing.type = info.st_mode & S_IFMT;
        return reopen(existing, flags & (O_ACCMODE | O_APPEND | O_TRUNC), a);
    }
    return -EEXIST;
}

int64_t HostFiles::transfer(Args& a, bool writing) {
    auto object = find(a.handle);
    if (!object || !object->for_io || object->access == (writing ? O_RDONLY : O_WRONLY)) return -EBADF;
    if (writing && read_only(*object)) return -EROFS;
    if (!writing && object->is_directory()) return -EISDIR;
    if (a.offset > INT64_MAX) return -EINVAL;
    iovec vector[abi::host_segments_max];
    int64_t pieces = gather(a, vector);
    if (pieces <= 0) return pieces;
    // With O_APPEND, Linux's pwritev appends whatever the offset (pwrite(2), BUGS): what
    // the ABI promises.
    const int fd = object->fd.get();
    const auto offset = static_cast<off_t>(a.offset);
    ssize_t done;
    do
        done = writing ? pwritev(fd, vector, static_cast<int>(pieces), offset)
                       : preadv(fd, vector, static_cast<int>(pieces), offset);
    while (done < 0 && errno == EINTR);
    return done < 0 ? failure() : done;
}

int64_t HostFiles::read_dir(Args& a) {
    auto object = find(a.handle);
    if (!object || !object->for_io) return -EBADF;
    if (!object->is_directory()) return -ENOTDIR;
    if (a.offset > INT64_MAX) return -EINVAL;
    uint8_t* buffer;
    uint64_t length;
    if (int64_t error = first_segment(a, std::min<uint64_t>(abi::host_transfer_max, INT_MAX), buffer, length))
        return error;
    // The guest parses the linux_dirent64 records itself; d_off is the host's cookie,
    // which comes back as `offset` for the next call.
    std::lock_guard<std::mutex> guard(object->position);
    if (lseek(object->fd.get(), static_cast<off_t>(a.offset), SEEK_SET) < 0) return failure();
    long done;
    do done = syscall(SYS_getdents64, object->fd.get(), buffer, static_cast<unsigned>(length));
    while (done < 0 && errno == EINTR);
    return done < 0 ? failure() : done;
}

int64_t HostFiles::name_operation(Args& a) {
    auto directory = find(a.handle);
    if (!directory) return -EBADF;
    std::string name;
    if (int64_t error = read_name(a.name, a.name_length, name)) return error;
    auto op = static_cast<abi::HostFileOp>(a.op);
    std::string target;
    if (op == abi::HostFileOp::symlink) {
        // The link's text: any bytes but NUL, as symlink(2) takes them.
        if (a.name2_length == 0) return -ENOENT;
        if (a.name2_length >= path_max) return -ENAMETOOLONG;
        auto bytes = memory_.span(GuestPhysAddr{a.name2}, a.name2_length);
        if (!bytes) return -EFAULT;
        target.assign(bytes->begin(), bytes->end());
        if (target.find('\0') != std::string::npos) return -EINVAL;
    }
    if (!directory->is_directory()) return -ENOTDIR;
    if (read_only(*directory)) return -EROFS;
    const int fd = directory->fd.get();
    int done;
    switch (op) {
        case abi::HostFileOp::mkdir: done = mkdirat(fd, name.c_str(), safe_mode(a.mode, S_IFDIR)); break;
        case abi::HostFileOp::unlink: done = unlinkat(fd, name.c_str(), 0); break;
        case abi::HostFileOp::rmdir: done = unlinkat(fd, name.c_str(), AT_REMOVEDIR); break;
        default: done = symlinkat(target.c_str(), fd, name.c_str()); break;
    }
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::rename(Args& a) {
    auto from = find(a.handle), to = find(a.handle2);
    if (!from || !to) return -EBADF;
    std::string name, new_name;
    if (int64_t error = read_name(a.name, a.name_length, name)) return error;
    if (int64_t error = read_name(a.name2, a.name2_length, new_name)) return error;
    if (a.flags & ~uint64_t{RENAME_NOREPLACE | RENAME_EXCHANGE}) return -EINVAL;
    if (!from->is_directory() || !to->is_directory()) return -ENOTDIR;
    if (from->mount != to->mount) return -EXDEV;  // as between two Linux mounts, before EROFS
    if (read_only(*from) || read_only(*to)) return -EROFS;
    long done = syscall(SYS_renameat2, from->fd.get(), name.c_str(), to->fd.get(), new_name.c_str(),
                        static_cast<unsigned>(a.flags));
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::read_link(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if (object->type != S_IFLNK) return -EINVAL;  // readlink(2) on anything else
    uint8_t* buffer;
    uint64_t length;
    if (int64_t error = first_segment(a, path_max, buffer, length)) return error;
    ssize_t done = readlinkat(object->fd.get(), "", reinterpret_cast<char*>(buffer), length);
    return done < 0 ? failure() : done;
}

int64_t HostFiles::link(Args& a) {
    auto object = find(a.handle), directory = find(a.handle2);
    if (!object || !directory) return -EBADF;
    std::string name;
    if (int64_t error = read_name(a.name2, a.name2_length, name)) return error;
    if (object->is_directory()) return -EPERM;  // link(2) on a directory
    if (!directory->is_directory()) return -ENOTDIR;
    if (object->mount != directory->mount) return -EXDEV;
    if (read_only(*object) || read_only(*directory)) return -EROFS;
    // linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH; the /proc/self/fd path with
    // AT_SYMLINK_FOLLOW is linkat(2)'s documented alternative, and follows only the
    // magic link (a symlink is linked as itself).
    int done =
        linkat(proc_fds_.get(), proc_name(*object).c_str(), directory->fd.get(), name.c_str(), AT_SYMLINK_FOLLOW);
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::truncate(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if (a.offset > INT64_MAX) return -EINVAL;
    if (object->is_directory()) return -EISDIR;
    if (object->type != S_IFREG) return -EINVAL;  // truncate(2) on anything but a file
    if (read_only(*object)) return -EROFS;
    const auto size = static_cast<off_t>(a.offset);
    if (object->for_io && object->access != O_RDONLY) return ftruncate(object->fd.get(), size) < 0 ? failure() : 0;
    // By handle, as truncate(2) by path: open the inode for writing just for this.
    FileDescriptor fd(openat(proc_fds_.get(), proc_name(*object).c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd.valid()) return failure();
    return ftruncate(fd.get(), size) < 0 ? failure() : 0;
}

int64_t HostFiles::allocate(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if (a.offset > INT64_MAX || a.flags == 0 || a.flags > INT64_MAX - a.offset) return -EINVAL;
    if (!object->for_io || object->access == O_RDONLY) return -EBADF;  // fallocate(2) needs a writable fd
    if (read_only(*object)) return -EROFS;
    if (object->type != S_IFREG) return object->is_directory() ? -EISDIR : -ENODEV;
    int done = fallocate(object->fd.get(), 0, static_cast<off_t>(a.offset), static_cast<off_t>(a.flags));
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::set_mode(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if (read_only(*object)) return -EROFS;
    if (object->type == S_IFLNK) return -EOPNOTSUPP;  // Linux has no modes on symlinks
    // fchmod refuses O_PATH fds; through /proc/self/fd it reaches the same inode.
    int done = fchmodat(proc_fds_.get(), proc_name(*object).c_str(), safe_mode(a.mode, object->type), 0);
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::set_times(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    if (read_only(*object)) return -EROFS;
    const timespec times[2] = {{a.times[0], a.times[1]}, {a.times[2], a.times[3]}};
    // A symlink's own times need AT_EMPTY_PATH (Linux 5.8); everything else goes through
    // /proc/self/fd, which works on older hosts too. The kernel checks the nanoseconds.
    int done = object->type == S_IFLNK ? utimensat(object->fd.get(), "", times, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)
                                       : utimensat(proc_fds_.get(), proc_name(*object).c_str(), times, 0);
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::sync(Args& a) {
    auto object = find(a.handle);
    if (!object || !object->for_io) return -EBADF;
    if (a.flags > 1) return -EINVAL;
    int done = a.flags == 1 ? fdatasync(object->fd.get()) : fsync(object->fd.get());
    return done < 0 ? failure() : 0;
}

int64_t HostFiles::stat(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    struct stat info;
    if (fstat(object->fd.get(), &info) < 0) return failure();
    a.stat = host_stat(info);
    return 0;
}

int64_t HostFiles::statfs(Args& a) {
    auto object = find(a.handle);
    if (!object) return -EBADF;
    struct statfs info;
    if (fstatfs(object->fd.get(), &info) < 0) return failure();
    a.statfs = abi::HostStatfs{static_cast<int64_t>(info.f_type),
                               static_cast<int64_t>(info.f_bsize),
                               static_cast<int64_t>(info.f_blocks),
                               static_cast<int64_t>(info.f_bfree),
                               static_cast<int64_t>(info.f_bavail),
                               static_cast<int64_t>(info.f_files),
                               static_cast<int64_t>(info.f_ffree),
                               static_cast<int64_t>(info.f_namelen),
                               static_cast<int64_t>(info.f_flags | (read_only(*object) ? ST_RDONLY : 0))};
    return 0;
}

}  // namespace ehyve
