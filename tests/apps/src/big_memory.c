// 1 GiB of allocations in 64 MiB pieces, every page written and checked, then freed;
// run with --memory 2G in Eremite.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PIECES 16
#define PIECE (64u << 20)

int main(void) {
    unsigned char* pieces[PIECES];
    for (int i = 0; i < PIECES; ++i) {
        pieces[i] = malloc(PIECE);
        if (!pieces[i]) {
            printf("malloc %d failed\n", i);
            return 1;
        }
        for (size_t offset = 0; offset < PIECE; offset += 4096) pieces[i][offset] = (unsigned char)(i + offset / 4096);
    }
    uint64_t errors = 0;
    for (int i = 0; i < PIECES; ++i) {
        for (size_t offset = 0; offset < PIECE; offset += 4096)
            if (pieces[i][offset] != (unsigned char)(i + offset / 4096)) ++errors;
        free(pieces[i]);
    }
    printf("1 GiB allocated, written and freed; errors: %llu\n", (unsigned long long)errors);
    return 0;
}
