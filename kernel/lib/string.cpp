#include "lib/string.hpp"

#include <stdint.h>

// memcpy and memset use `rep movsb/stosb`, fast on every CPU with ERMS. They must never
// run before the kvm-pvm native-mode switch: its bootstrap emulator executes string
// instructions wrongly (PVM.md); only the assembly boot path runs before the switch.
extern "C" {

void* memcpy(void* destination, const void* source, size_t count) {
    asm volatile("rep movsb" : "+D"(destination), "+S"(source), "+c"(count) : : "memory");
    return destination;
}

void* memmove(void* destination, const void* source, size_t count) {
    auto* d = static_cast<uint8_t*>(destination);
    const auto* s = static_cast<const uint8_t*>(source);
    if (d <= s || d >= s + count) return memcpy(destination, source, count);
    while (count--) d[count] = s[count];
    return destination;
}

void* memset(void* destination, int value, size_t count) {
    void* result = destination;
    asm volatile("rep stosb" : "+D"(destination), "+c"(count) : "a"(value) : "memory");
    return result;
}

int memcmp(const void* a, const void* b, size_t count) {
    const auto* x = static_cast<const uint8_t*>(a);
    const auto* y = static_cast<const uint8_t*>(b);
    for (size_t i = 0; i < count; ++i)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

size_t strnlen(const char* s, size_t limit) {
    size_t n = 0;
    while (n < limit && s[n]) ++n;
    return n;
}

int strcmp(const char* a, const char* b) {
    while (*a && *a == *b) ++a, ++b;
    return static_cast<uint8_t>(*a) - static_cast<uint8_t>(*b);
}
int strncmp(const char* a, const char* b, size_t count) {
    for (; count; --count, ++a, ++b)
        if (*a != *b || !*a) return static_cast<uint8_t>(*a) - static_cast<uint8_t>(*b);
    return 0;
}
}
