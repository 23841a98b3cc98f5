#include "lib/format.hpp"

#include <stdint.h>

namespace eremite {
namespace {

struct Sink {
    char* buffer;
    size_t size;
    size_t length = 0;
    void put(char c) {
        if (length + 1 < size) buffer[length] = c;
        ++length;
    }
    void pad(char c, int count) {
        for (int i = 0; i < count; ++i) put(c);
    }
};

void put_number(Sink& out, uint64_t value, bool negative, unsigned base, bool upper, int width, bool left, bool zero) {
    char digits[24];
    int n = 0;
    const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[n++] = alphabet[value % base];
        value /= base;
    } while (value);
    int length = n + (negative ? 1 : 0);
    if (!left && !zero) out.pad(' ', width - length);
    if (negative) out.put('-');
    if (!left && zero) out.pad('0', width - length);
    while (n) out.put(digits[--n]);
    if (left) out.pad(' ', width - length);
}

}  // namespace

size_t vformat(char* buffer, size_t size, const char* format, va_list args) {
    Sink out{buffer, size};
    for (const char* p = format; *p; ++p) {
        if (*p != '%') {
            out.put(*p);
            continue;
        }
        ++p;
        bool left = false, zero = false;
        for (;; ++p) {
            if (*p == '-')
                left = true;
            else if (*p == '0')
                zero = true;
            else
                break;
        }
        int width = 0;
        if (*p == '*') {
            width = va_arg(args, int);
            ++p;
        }
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        int precision = -1;
        if (*p == '.') {
            ++p;
            precision = 0;
            if (*p == '*') {
                precision = va_arg(args, int);
                ++p;
            }
            while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
        }
        int longs = 0;
        while (*p == 'l' || *p == 'z') {
            longs += (*p == 'z') ? 2 : 1;
            ++p;
        }
        switch (*p) {
            case 'd':
            case 'i': {
                int64_t v = longs ? va_arg(args, int64_t) : va_arg(args, int);
                uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
                put_number(out, magnitude, v < 0, 10, false, width, left, zero);
                break;
            }
            case 'u':
            case 'o':
            case 'x':
            case 'X': {
                uint64_t v = longs ? va_arg(args, uint64_t) : va_arg(args, unsigned);
                int base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
                put_number(out, v, false, base, *p == 'X', width, left, zero);
                break;
            }
            case 'p': {
                // As printf: "0x" and the digits, padded as one field.
                char text[20] = {'0', 'x'};
                uintptr_t value = reinterpret_cast<uintptr_t>(va_arg(args, void*));
                int digits = 0;
                for (uintptr_t v = value; v || !digits; v >>= 4) ++digits;
                for (int i = 0; i < digits; ++i) text[2 + digits - 1 - i] = "0123456789abcdef"[(value >> (4 * i)) & 15];
                int length = 2 + digits;
                if (!left) out.pad(' ', width - length);
                for (int i = 0; i < length; ++i) out.put(text[i]);
                if (left) out.pad(' ', width - length);
                break;
            }
            case 's': {
                const char* s = va_arg(args, const char*);
                if (!s) s = "(null)";
                int length = 0;
                while ((precision < 0 || length < precision) && s[length]) ++length;  // never past the precision
                if (!left) out.pad(' ', width - length);
                for (int i = 0; i < length; ++i) out.put(s[i]);
                if (left) out.pad(' ', width - length);
                break;
            }
            case 'c':
                if (!left) out.pad(' ', width - 1);
                out.put(static_cast<char>(va_arg(args, int)));
                if (left) out.pad(' ', width - 1);
                break;
            case '%': out.put('%'); break;
            case '\0':
                --p;  // a lone '%' at the end: stop at the terminator
                break;
            default: out.put('%'); out.put(*p);
        }
    }
    if (size) buffer[out.length < size ? out.length : size - 1] = '\0';
    return out.length;
}

size_t format(char* buffer, size_t size, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    size_t n = vformat(buffer, size, fmt, args);
    va_end(args);
    return n;
}

}  // namespace eremite
