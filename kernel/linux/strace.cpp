#include "linux/strace.hpp"

#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"

namespace eremite::linux {
namespace {

bool enabled = false;

const char* const errno_names[] = {
    "0",       "EPERM",  "ENOENT", "ESRCH",  "EINTR",  "EIO",     "ENXIO",        "E2BIG",  "ENOEXEC", "EBADF",
    "ECHILD",  "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY",        "EEXIST", "EXDEV",   "ENODEV",
    "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY",  "ETXTBSY",      "EFBIG",  "ENOSPC",  "ESPIPE",
    "EROFS",   "EMLINK", "EPIPE",  "EDOM",   "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS",  "ENOTEMPTY",
    "ELOOP",
};

class Line {
public:
    void add(const char* format, ...) __attribute__((format(printf, 2, 3))) {
        va_list args;
        va_start(args, format);
        if (length_ < sizeof text_) length_ += vformat(text_ + length_, sizeof text_ - length_, format, args);
        va_end(args);
    }
    void add_quoted(const char* bytes, uint64_t count, uint64_t limit) {
        add("\"");
        for (uint64_t i = 0; i < count && i < limit; ++i) {
            unsigned char c = bytes[i];
            if (c == '\n')
                add("\\n");
            else if (c == '\t')
                add("\\t");
            else if (c == '"' || c == '\\')
                add("\\%c", c);
            else if (c >= 32 && c < 127)
                add("%c", c);
            else
                add("\\x%02x", c);
        }
        add(count > limit ? "\"..." : "\"");
    }
    void emit() {
        if (length_ > sizeof text_ - 2) length_ = sizeof text_ - 2;
        text_[length_] = '\n';
        text_[length_ + 1] = 0;
        log::raw("%s", text_);
    }

private:
    char text_[400];
    size_t length_ = 0;
};

}  // namespace

void enable_strace(bool on) { enabled = on; }
bool strace_enabled() { return enabled; }

void trace_syscall(const char* name, uint64_t number, const char* formats, const SyscallArgs& args, int64_t result,
                   bool finished) {
    Line line;
    if (name)
        line.add("%s(", name);
    else
        line.add("syscall_%lu(", number);
    size_t count = strlen(formats);
    for (size_t i = 0; i < count; ++i) {
        if (i) line.add(", ");
        uint64_t value = args[static_cast<int>(i)];
        switch (formats[i]) {
            case 'd': line.add("%ld", static_cast<int64_t>(static_cast<int32_t>(value))); break;
            case 'u': line.add("%lu", value); break;
            case 'x': line.add("0x%lx", value); break;
            case 'o': line.add("0%lo", value); break;
            case 's': {
                // Only what is shown is copied; a longer string ends in "...".
                char shown[65];
                int64_t length = copy_string_from_app(shown, reinterpret_cast<const char*>(value), sizeof shown);
                if (length == -static_cast<int64_t>(Errno::enametoolong)) length = sizeof shown;
                if (length < 0)
                    line.add("0x%lx", value);
                else
                    line.add_quoted(shown, static_cast<uint64_t>(length), 64);
                break;
            }
            case 'b': {
                uint64_t length = i + 1 < 6 ? args[static_cast<int>(i) + 1] : 0;
                char shown[32];
                if (in_app_half(reinterpret_cast<const void*>(value), length) &&
                    copy_from_app(shown, reinterpret_cast<const void*>(value), min<uint64_t>(length, sizeof shown)))
                    line.add_quoted(shown, length, sizeof shown);
                else
                    line.add("0x%lx", value);
                break;
            }
            default: line.add(value ? "0x%lx" : "NULL", value);
        }
    }
    if (!finished) {
        line.add(") = ?");
    } else if (result < 0 && result >= -4095) {
        int64_t code = -result;
        const char* errno_name =
            code < static_cast<int64_t>(sizeof errno_names / sizeof *errno_names) ? errno_names[code] : "errno";
        line.add(") = -1 %s (%ld)", errno_name, code);
    } else if (formats[0] == 'p' && count == 1 && result > 0xffff) {
        line.add(") = 0x%lx", result);
    } else {
        line.add(") = %ld", result);
    }
    line.emit();
}

}  // namespace eremite::linux
