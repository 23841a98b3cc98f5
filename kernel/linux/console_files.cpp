#include "linux/console_files.hpp"

#include "drivers/console.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "linux/process.hpp"
#include "linux/syscall.hpp"

namespace eremite::linux {
namespace {

struct ConsoleFile {
    bool open;
    bool is_tty;
    bool readable;
    bool writable;
};
ConsoleFile files[3];
uint16_t tty_rows = 0, tty_columns = 0;
uint32_t owner_uid = 0, owner_gid = 0;

ConsoleFile* lookup(int32_t fd) {
    if (fd < 0 || fd > 2 || !files[fd].open) return nullptr;
    return &files[fd];
}

int64_t write_to(int32_t fd, const void* bytes, uint64_t length) {
    ConsoleFile* file = lookup(fd);
    if (!file || !file->writable) return failure(Errno::ebadf);
    if (!in_app_half(bytes, length)) return failure(Errno::efault);
    // A tty opened for input accepts output too (the same device); it goes to stdout.
    auto stream = fd == 2 ? abi::ConsoleStream::stderr_stream : abi::ConsoleStream::stdout_stream;
    // Copied to the kernel stack before the console lock is taken: the kernel never
    // touches app memory with interrupts off (mm/app_memory.hpp says why).
    uint8_t chunk[abi::console_max_record];
    for (uint64_t done = 0; done < length;) {
        uint64_t size = min<uint64_t>(length - done, sizeof chunk);
        // What was written before a bad page stays written, as on Linux.
        if (!copy_from_app(chunk, static_cast<const uint8_t*>(bytes) + done, size))
            return done ? static_cast<int64_t>(done) : failure(Errno::efault);
        console::write(stream, chunk, size);
        done += size;
    }
    return static_cast<int64_t>(length);
}

// The host's stdin arrives in a kernel buffer (the hypercall needs contiguous guest-
// physical memory) and is copied to the app from there.
alignas(4096) uint8_t stdin_buffer[64 * 1024];

int64_t read_from(int32_t fd, void* bytes, uint64_t length) {
    ConsoleFile* file = lookup(fd);
    if (!file || !file->readable) return failure(Errno::ebadf);
    if (!in_app_half(bytes, length)) return failure(Errno::efault);
    if (length == 0) return 0;
    int64_t count = console::read_stdin(stdin_buffer, min<uint64_t>(length, sizeof stdin_buffer));
    if (count > 0 && !copy_to_app(bytes, stdin_buffer, count)) return failure(Errno::efault);
    return count;
}

struct Iovec {
    uint64_t base;
    uint64_t length;
};
constexpr uint64_t iov_max = 1024;

template <typename Transfer>
int64_t vectored(const SyscallArgs& args, Transfer transfer) {
    uint64_t count = args[2];
    if (count > iov_max) return failure(Errno::einval);
    auto* vectors = args.pointer<const Iovec>(1);
    int64_t total = 0;
    for (uint64_t i = 0; i < count; ++i) {
        Iovec v;
        if (!read_app(v, &vectors[i])) return failure(Errno::efault);
        if (static_cast<int64_t>(v.length) < 0) return failure(Errno::einval);
        if (v.length == 0) continue;
        int64_t done = transfer(args.integer(0), reinterpret_cast<void*>(v.base), v.length);
        if (done < 0) return total ? total : done;
        total += done;
        if (static_cast<uint64_t>(done) < v.length) break;  // a short read ends the call
    }
    return total;
}

// struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h).
struct Stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t unused[3];
};
static_assert(sizeof(Stat) == 144);

int64_t stat_of(int32_t fd, void* out) {
    ConsoleFile* file = lookup(fd);
    if (!file) return failure(Errno::ebadf);
    Stat s{};
    constexpr uint32_t s_ifchr = 0020000, s_ififo = 0010000;
    s.dev = file->is_tty ? 0x18 : 0xe;  // devpts : pipefs, as Linux reports them
    s.ino = fd + 1;
    s.nlink = 1;
    s.mode = file->is_tty ? (s_ifchr | 0620) : (s_ififo | 0600);
    s.uid = owner_uid;
    s.gid = owner_gid;
    s.rdev = file->is_tty ? ((136u << 8) | 0) : 0;  // /dev/pts/0
    s.blksize = file->is_tty ? 1024 : 4096;
    return write_app(out, s) ? 0 : failure(Errno::efault);
}

// The kernel's struct termios (asm-generic/termbits.h) with the "stty sane" defaults.
struct Termios {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t control[19];
};
constexpr Termios sane_termios = {
    0x500,   // ICRNL | IXON
    0x5,     // OPOST | ONLCR
    0xbf,    // B38400 | CS8 | CREAD
    0x8a3b,  // ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
    0,      {3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, 0, 0, 0},
};

constexpr uint64_t tcgets = 0x5401, tiocgwinsz = 0x5413;

}  // namespace

void init_console_files(const abi::BootInfo& info) {
    files[0] = {!(info.stdio_flags & abi::stdin_is_closed), bool(info.stdio_flags & abi::stdin_is_tty), true, false};
    files[1] = {true, bool(info.stdio_flags & abi::stdout_is_tty), false, true};
    files[2] = {true, bool(info.stdio_flags & abi::stderr_is_tty), false, true};
    tty_rows = info.tty_rows;
    tty_columns = info.tty_columns;
    owner_uid = info.uid;
    owner_gid = info.gid;
}

int64_t sys_write(const SyscallArgs& args) { return write_to(args.integer(0), args.pointer<void>(1), args[2]); }
int64_t sys_read(const SyscallArgs& args) { return read_from(args.integer(0), args.pointer<void>(1), args[2]); }
int64_t sys_writev(const SyscallArgs& args) {
    return vectored(args, [](int32_t fd, void* bytes, uint64_t length) { return write_to(fd, bytes, length); });
}
int64_t sys_readv(const SyscallArgs& args) {
    return vectored(args, [](int32_t fd, void* bytes, uint64_t length) { return read_from(fd, bytes, length); });
}

int64_t sys_close(const SyscallArgs& args) {
    ConsoleFile* file = lookup(args.integer(0));
    if (!file) return failure(Errno::ebadf);
    file->open = false;
    return 0;
}

int64_t sys_lseek(const SyscallArgs& args) {
    return lookup(args.integer(0)) ? failure(Errno::espipe) : failure(Errno::ebadf);
}

int64_t sys_fstat(const SyscallArgs& args) { return stat_of(args.integer(0), args.pointer<void>(1)); }

int64_t sys_newfstatat(const SyscallArgs& args) {
    constexpr uint64_t at_empty_path = 0x1000;
    AppPath path;
    if (int64_t error = path.copy_from(args.pointer<const char>(1))) return error;
    if (path.text[0] == 0 && (args[3] & at_empty_path)) return stat_of(args.integer(0), args.pointer<void>(2));
    return failure(Errno::enoent);  // no file system yet: no path names a file
}

int64_t sys_ioctl(const SyscallArgs& args) {
    ConsoleFile* file = lookup(args.integer(0));
    if (!file) return failure(Errno::ebadf);
    if (!file->is_tty) return failure(Errno::enotty);
    switch (args[1]) {
        case tcgets: return write_app(args.pointer<void>(2), sane_termios) ? 0 : failure(Errno::efault);
        case tiocgwinsz: {
            struct Winsize {
                uint16_t rows, columns, x_pixels, y_pixels;
            } size{tty_rows, tty_columns, 0, 0};
            return write_app(args.pointer<void>(2), size) ? 0 : failure(Errno::efault);
        }
        default: return failure(Errno::einval);
    }
}

namespace {

int64_t read_link(const char* app_path, char* buffer, int64_t size) {
    AppPath path;
    if (int64_t error = path.copy_from(app_path)) return error;
    if (size <= 0) return failure(Errno::einval);
    if (strcmp(path.text, "/proc/self/exe") != 0 && strcmp(path.text, "/proc/1/exe") != 0)
        return failure(Errno::enoent);
    const char* target = executable_path();
    int64_t count = min<int64_t>(static_cast<int64_t>(strlen(target)), size);
    // readlink does not NUL-terminate.
    return copy_to_app(buffer, target, count) ? count : failure(Errno::efault);
}

}  // namespace

int64_t sys_readlink(const SyscallArgs& args) {
    return read_link(args.pointer<const char>(0), args.pointer<char>(1), static_cast<int64_t>(args[2]));
}
int64_t sys_readlinkat(const SyscallArgs& args) {
    return read_link(args.pointer<const char>(1), args.pointer<char>(2), static_cast<int64_t>(args[3]));
}

}  // namespace eremite::linux
