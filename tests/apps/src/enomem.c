// Asks for more memory than the VM has: Linux's default overcommit heuristic refuses a
// single allocation larger than RAM, so malloc returns NULL (and mmap ENOMEM) instead of
// the app dying later. Run by tests/cli in a 64 MiB Eremite VM; natively RAM is larger.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(void) {
    void* big = malloc(1ull << 30);
    printf("malloc(1 GiB): %s\n", big ? "succeeded" : "NULL");
    void* mapped = mmap(NULL, 1ull << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap(1 GiB): %s\n", mapped == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "mapped");
    return 0;
}
