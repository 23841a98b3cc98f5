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
int strncmp(const char* a, const char* b, size_t count);
}
#endif
