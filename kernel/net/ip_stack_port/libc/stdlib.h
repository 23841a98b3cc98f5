/* lwIP's mem.c includes this for malloc and free when MEM_LIBC_MALLOC is set; the port
 * maps those to the kernel heap (lwipopts.h: mem_clib_malloc and friends). netif.c
 * parses interface numbers with atoi (kernel/net/stack.cpp). */
#ifndef EREMITE_LWIP_STDLIB_H
#define EREMITE_LWIP_STDLIB_H
#include <stddef.h>
int atoi(const char* text);
#endif
