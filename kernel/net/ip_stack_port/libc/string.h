/* The C string functions lwIP uses, from the kernel's lib/string.cpp (the kernel has no
 * C library; lwIP is compiled against the compiler's own headers and this one). */
#ifndef EREMITE_LWIP_STRING_H
#define EREMITE_LWIP_STRING_H
#include <stddef.h>
void* memcpy(void* destination, const void* source, size_t count);
void* memmove(void* destination, const void* source, size_t count);
void* memset(void* destination, int value, size_t count);
int memcmp(const void* a, const void* b, size_t count);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t count);
#endif
