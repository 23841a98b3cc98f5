// printf-style formatting into a caller's buffer, for the kernel log, panics and the
// syscall tracer. Supports %d %i %u %x %X %p %s %c %% with the flags '-' and '0', a
// width, a precision for %s (including '*'), and the length modifiers l, ll, z.
#pragma once

#include <stdarg.h>
#include <stddef.h>

namespace eremite {

// Writes at most `size` bytes including the terminating NUL; returns the length the
// full output would have had (as vsnprintf does).
size_t vformat(char* buffer, size_t size, const char* format, va_list args);
size_t format(char* buffer, size_t size, const char* format, ...) __attribute__((format(printf, 3, 4)));

}  // namespace eremite
