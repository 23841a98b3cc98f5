/* big_alloc: malloc 256 MiB, write every page, verify, print "ok" and a sum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SIZE (256ul << 20)
#define PAGE 4096ul

int main(void)
{
    unsigned char *p = malloc(SIZE);
    if (p == NULL) {
        printf("malloc of 256 MiB failed\n");
        return 1;
    }
    for (size_t off = 0; off < SIZE; off += PAGE) {
        uint64_t page = off / PAGE;
        p[off] = (unsigned char)(page * 13 + 1);
        p[off + PAGE - 1] = (unsigned char)(page ^ 0x5a);
    }
    uint64_t sum = 0;
    size_t bad = 0;
    for (size_t off = 0; off < SIZE; off += PAGE) {
        uint64_t page = off / PAGE;
        if (p[off] != (unsigned char)(page * 13 + 1) || p[off + PAGE - 1] != (unsigned char)(page ^ 0x5a))
            bad++;
        sum += p[off] + p[off + PAGE - 1];
    }
    /* bytes in the middle of pages were never written: malloc of this size is fresh
     * anonymous memory, so they must read as zero */
    size_t nonzero = 0;
    for (size_t off = PAGE / 2; off < SIZE; off += PAGE)
        if (p[off] != 0)
            nonzero++;
    free(p);
    if (bad != 0 || nonzero != 0) {
        printf("FAIL: %zu bad pages, %zu non-zero untouched bytes\n", bad, nonzero);
        return 1;
    }
    printf("ok\n");
    printf("pages=%lu sum=%llu\n", SIZE / PAGE, (unsigned long long)sum);
    return 0;
}
