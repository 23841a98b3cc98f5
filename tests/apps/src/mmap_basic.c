/* mmap_basic: anonymous mmap/munmap/mprotect, and brk growth and shrink. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
}

static char *sys_brk(void *addr)
{
    return (char *)syscall(SYS_brk, addr);
}

int main(void)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    report("page size is 4096", page == 4096);

    /* anonymous private mapping: zero-filled, writable */
    size_t len = 64 * page;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap 64 pages", p != MAP_FAILED);
    if (p == MAP_FAILED)
        return 1;
    report("mmap result page-aligned", ((uintptr_t)p & (page - 1)) == 0);
    int zero = 1;
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0)
            zero = 0;
    report("fresh anonymous memory is zero", zero);
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(i * 3);

    /* make it read-only, then only read */
    report("mprotect PROT_READ", mprotect(p, len, PROT_READ) == 0);
    unsigned long sum = 0;
    int intact = 1;
    for (size_t i = 0; i < len; i++) {
        sum += p[i];
        if (p[i] != (unsigned char)(i * 3))
            intact = 0;
    }
    report("contents intact after mprotect", intact);
    printf("sum=%lu\n", sum);
    report("mprotect back to PROT_READ|PROT_WRITE", mprotect(p, len, PROT_READ | PROT_WRITE) == 0);
    p[0] = 0xEE;
    report("write after restoring PROT_WRITE", p[0] == 0xEE);

    /* unmap a hole in the middle, then the rest */
    report("munmap middle pages", munmap(p + 16 * page, 16 * page) == 0);
    report("pages around the hole still readable", p[15 * page] == (unsigned char)(15 * page * 3) &&
                                                       p[32 * page] == (unsigned char)(32 * page * 3));
    report("munmap first part", munmap(p, 16 * page) == 0);
    report("munmap last part", munmap(p + 32 * page, 32 * page) == 0);

    /* MAP_FIXED into a range we own */
    unsigned char *q = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap 8 pages", q != MAP_FAILED);
    memset(q, 0x11, 8 * page);
    unsigned char *r = mmap(q + 2 * page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("MAP_FIXED lands at the requested address", r == q + 2 * page);
    report("MAP_FIXED replaced pages are zero", r[0] == 0 && r[2 * page - 1] == 0);
    report("neighbours of MAP_FIXED untouched", q[2 * page - 1] == 0x11 && q[4 * page] == 0x11);
    report("munmap 8 pages", munmap(q, 8 * page) == 0);

    /* a big mapping, touched sparsely */
    size_t big = 64ul << 20;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap 64 MiB", b != MAP_FAILED);
    if (b != MAP_FAILED) {
        for (size_t off = 0; off < big; off += 1ul << 20)
            b[off] = 1;
        unsigned n = 0;
        for (size_t off = 0; off < big; off += 1ul << 20)
            n += b[off];
        report("64 MiB mapping touched per MiB", n == 64);
        report("munmap 64 MiB", munmap(b, big) == 0);
    }

    /* invalid arguments */
    errno = 0;
    void *bad = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("mmap of length 0 fails with EINVAL", bad == MAP_FAILED && errno == EINVAL);
    errno = 0;
    report("munmap of unaligned address fails with EINVAL", munmap((char *)q + 1, page) == -1 && errno == EINVAL);

    /* brk through the raw system call (musl's sbrk() refuses to move the break).
     * Nothing is printed until the break is back where it was, so stdio's own
     * allocations cannot interleave with ours. */
    {
        char *start = sys_brk(NULL);
        int query_ok = start != NULL && start != (char *)-1;
        int grow_ok = sys_brk(start + 16 * page) == start + 16 * page;
        int use_ok = 1;
        if (grow_ok) {
            memset(start, 0x5A, 16 * page);
            for (size_t i = 0; i < 16 * page; i++)
                if ((unsigned char)start[i] != 0x5A)
                    use_ok = 0;
        }
        int shrink_ok = grow_ok && sys_brk(start + 8 * page) == start + 8 * page;
        int intact_ok = shrink_ok && (unsigned char)start[8 * page - 1] == 0x5A;
        int regrow_ok = shrink_ok && sys_brk(start + 16 * page) == start + 16 * page;
        int regrown_zero = regrow_ok && start[8 * page] == 0 && start[16 * page - 1] == 0;
        int restore_ok = sys_brk(start) == start;
        int refuse_ok = sys_brk((void *)page) == start; /* below the heap: refused, break unchanged */
        report("brk(0) returns the break", query_ok);
        report("brk grows by 16 pages", grow_ok);
        report("grown heap is usable", use_ok);
        report("brk shrinks by 8 pages", shrink_ok);
        report("remaining heap intact", intact_ok);
        report("brk grows again", regrow_ok);
        report("pages given back and regrown are zero", regrown_zero);
        report("brk back to the start", restore_ok);
        report("brk below the heap start is refused", refuse_ok);
    }

    /* sbrk: glibc moves the break with it; musl only answers sbrk(0) */
    {
        char *s0 = sbrk(0);
        int zero_ok = s0 != (char *)-1;
#ifdef __GLIBC__
        char *old = sbrk((intptr_t)(4 * page));
        int grow_ok = old == s0 && sbrk(0) == s0 + 4 * page;
        if (grow_ok)
            memset(s0, 0x33, 4 * page);
        old = sbrk(-(intptr_t)(4 * page));
        int shrink_ok = old == s0 + 4 * page && sbrk(0) == s0;
#endif
        report("sbrk(0) works", zero_ok);
#ifdef __GLIBC__
        report("sbrk grows by 4 pages", grow_ok);
        report("sbrk shrinks by 4 pages", shrink_ok);
#endif
    }

    printf("mmap_basic: %s\n", failures == 0 ? "ok" : "FAIL");
    return failures == 0 ? 0 : 1;
}
