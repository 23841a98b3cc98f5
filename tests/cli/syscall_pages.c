// What syscall rewriting adds to the address space, seen from the app (cli_test.sh
// syscall_pages): page 0 readable, the stub pages listed in /proc/self/maps and sealed.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void) {
    static char maps[65536];
    FILE* file = fopen("/proc/self/maps", "r");
    size_t length = file ? fread(maps, 1, sizeof maps - 1, file) : 0;
    maps[length] = 0;
    if (file) fclose(file);
    printf("maps lists [syscalls]: %s\n", strstr(maps, "[syscalls]") ? "yes" : "no");
    int unmapped = munmap((void*)0, 4096);
    printf("munmap of page 0: %s\n", unmapped == 0 ? "0" : strerror(errno));
    int protected = mprotect((void*)0, 4096, PROT_READ | PROT_WRITE);
    printf("mprotect of page 0: %s\n", protected == 0 ? "0" : strerror(errno));
    return 0;
}
