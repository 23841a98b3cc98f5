/* lwIP's compiler and platform definitions for the Eremite kernel (x86-64, freestanding,
 * little-endian). */
#ifndef EREMITE_LWIP_ARCH_CC_H
#define EREMITE_LWIP_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#define BYTE_ORDER LITTLE_ENDIAN

/* No inttypes.h, ctype.h, limits.h or unistd.h in a freestanding build: lwIP uses its
 * own fallbacks, given these. */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1
#define LWIP_NO_UNISTD_H 1
#define INT_MAX 0x7fffffff
#define SSIZE_MAX 0x7fffffffffffffffL
typedef long ssize_t;
#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "lu"

/* In kernel/net/stack.cpp. */
void eremite_lwip_assert(const char* message, const char* file, int line);
void* eremite_lwip_malloc(size_t size);
void* eremite_lwip_calloc(size_t count, size_t size);
void eremite_lwip_free(void* pointer);
uint32_t eremite_lwip_random(void);

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
    } while (0)
#define LWIP_PLATFORM_ASSERT(message) eremite_lwip_assert(message, __FILE__, __LINE__)
#define LWIP_RAND() eremite_lwip_random()

#endif
