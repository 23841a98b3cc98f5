// Reserves more than the VM's RAM without committing it (MAP_NORESERVE passes Linux's
// overcommit check) and then touches every page: the out-of-memory killer ends it with
// SIGKILL. Run by tests/cli in a 32 MiB Eremite VM (natively RAM is larger).
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
    const size_t size = 256u << 20;
    volatile char* memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (memory == MAP_FAILED) {
        puts("mmap failed");
        return 1;
    }
    for (size_t offset = 0; offset < size; offset += 4096) memory[offset] = 1;
    puts("touched all of it");
    return 0;
}
