#include "fs/console_file.hpp"

#include "drivers/console.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "sync/mutex.hpp"

namespace eremite::fs {
namespace {

bool tty_flags[3];
bool stdin_closed = false;
uint16_t tty_rows = 0, tty_columns = 0;
uint32_t owner_uid = 0, owner_gid = 0;

// The host's stdin arrives in a kernel buffer (the hypercall needs contiguous guest-
// physical memory) and is copied to the app from there; one reader at a time.
alignas(4096) uint8_t stdin_buffer[64 * 1024];
Mutex stdin_lock;

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

class ConsoleFile final : public File {
public:
    // `index`: the standard stream it was (0, 1, 2); 3 for /dev/tty and /dev/console.
    ConsoleFile(uint32_t flags, int32_t index, bool is_tty) : File(flags), index_(index), is_tty_(is_tty) {}

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        if (length == 0) return uint64_t{0};
        MutexGuard guard(stdin_lock);
        int64_t count = console::read_stdin(stdin_buffer, min<uint64_t>(length, sizeof stdin_buffer));
        if (count < 0) return error(static_cast<Errno>(-count));
        if (!buffer.fill(0, stdin_buffer, static_cast<uint64_t>(count))) return error(Errno::efault);
        return static_cast<uint64_t>(count);
    }

    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        // A tty opened for input accepts output too (the same device); it goes to stdout.
        auto stream = index_ == 2 ? abi::ConsoleStream::stderr_stream : abi::ConsoleStream::stdout_stream;
        // Copied to the kernel stack before the console lock is taken: the kernel never
        // touches app memory with interrupts off (mm/app_memory.hpp says why).
        uint8_t chunk[abi::console_max_record];
        for (uint64_t done = 0; done < length;) {
            uint64_t size = min<uint64_t>(length - done, sizeof chunk);
            // What was written before a bad page stays written, as on Linux.
            if (!buffer.drain(chunk, done, size)) return done ? Result<uint64_t>(done) : error(Errno::efault);
            console::write(stream, chunk, size);
            done += size;
        }
        return length;
    }

    Result<Attributes> attributes() override {
        Attributes a;
        a.device = is_tty_ ? 0x18 : 0xe;  // devpts : pipefs, as Linux reports them
        a.inode = static_cast<uint64_t>(index_) + 1;
        a.mode = is_tty_ ? (mode_char_device | 0620) : (mode_fifo | 0600);
        a.uid = owner_uid;
        a.gid = owner_gid;
        a.rdev = is_tty_ ? (136u << 8) : 0;  // /dev/pts/0
        a.block_size = is_tty_ ? 1024 : 4096;
        return a;
    }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        if (!is_tty_) return error(Errno::enotty);
        auto* out = reinterpret_cast<void*>(argument);
        switch (request) {
            case tcgets:
                if (!linux::write_app(out, sane_termios)) return error(Errno::efault);
                return int64_t{0};
            case tiocgwinsz: {
                struct Winsize {
                    uint16_t rows, columns, x_pixels, y_pixels;
                } size{tty_rows, tty_columns, 0, 0};
                if (!linux::write_app(out, size)) return error(Errno::efault);
                return int64_t{0};
            }
            default: return error(Errno::einval);
        }
    }

    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override {
        if (File::describe(buffer, capacity, length)) return true;
        const char* name = is_tty_ ? "/dev/pts/0" : "pipe:[1]";
        length = strlen(name);
        if (length > capacity) return false;
        memcpy(buffer, name, length);
        return true;
    }

private:
    int32_t index_;
    bool is_tty_;
};

Result<Ref<File>> make(uint32_t flags, int32_t index, bool is_tty) {
    auto* file = new ConsoleFile(flags, index, is_tty);
    if (!file) return error(Errno::enomem);
    return Ref<File>(file);
}

}  // namespace

void init_console(const abi::BootInfo& info) {
    tty_flags[0] = info.stdio_flags & abi::stdin_is_tty;
    tty_flags[1] = info.stdio_flags & abi::stdout_is_tty;
    tty_flags[2] = info.stdio_flags & abi::stderr_is_tty;
    stdin_closed = info.stdio_flags & abi::stdin_is_closed;
    tty_rows = info.tty_rows;
    tty_columns = info.tty_columns;
    owner_uid = info.uid;
    owner_gid = info.gid;
}

Result<Ref<File>> open_standard_stream(int32_t which) {
    if (which == 0 && stdin_closed) return error(Errno::ebadf);
    // As the shell opened them (its open() adds O_LARGEFILE on 64-bit Linux).
    return make((which == 0 ? o_rdonly : o_wronly) | o_largefile, which, tty_flags[which]);
}

Result<Ref<File>> open_console(uint32_t flags) { return make(flags, 3, true); }

}  // namespace eremite::fs
