// Freestanding C string and memory functions. The compiler emits calls to memcpy,
// memset, memmove and memcmp on its own, so these have C linkage.
#pragma once

#include <stddef.h>

#if __STDC_HOSTED__
#include <string.h>  // host builds of kernel logic use the C library's
#else
extern "C" {
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
void* memset(void* destination, int value, size_t count);
int memcmp(const void* a, const void* b, size_t count);
size_t strlen(const char* s);
size_t strnlen(const char* s, size_t limit);
int strcmp(const char* a, const char* b);
}
#endif

namespace eremite {

// A string that knows its length; not NUL-terminated in general.
struct StringView {
    const char* data = nullptr;
    size_t size = 0;
    constexpr StringView() = default;
    constexpr StringView(const char* d, size_t n) : data(d), size(n) {}
    StringView(const char* s) : data(s), size(strlen(s)) {}  // NOLINT: implicit from literals
    bool operator==(StringView other) const { return size == other.size && memcmp(data, other.data, size) == 0; }
};

}  // namespace eremite
