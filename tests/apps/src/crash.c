// Ends the way argv[1] says; natively the shell reports 128+signal, and so must Eremite.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

// Recurses until the 8 MiB stack runs out (the limit keeps the compiler from proving
// the recursion infinite; it is never reached).
static int recurse(volatile char* previous, long depth) {
    volatile char frame[4096];
    frame[0] = previous ? previous[0] + 1 : 0;
    if (depth > (1L << 40)) return frame[0];
    return recurse(frame, depth + 1) + frame[0];
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    const char* how = argv[1];
    printf("crashing by %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "abort")) abort();
    if (!strcmp(how, "raise_term")) raise(SIGTERM);
    if (!strcmp(how, "ud2")) __asm__ volatile("ud2");
    if (!strcmp(how, "divide")) {
        volatile int zero = 0;
        printf("%d\n", 1 / zero);
    }
    if (!strcmp(how, "readonly_write")) {
        char* page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        page[0] = 1;
        mprotect(page, 4096, PROT_READ);
        printf("still readable: %d\n", page[0]);
        fflush(stdout);
        *(volatile char*)page = 2;
    }
    if (!strcmp(how, "text_write")) *(volatile char*)(void*)main = 0;
    if (!strcmp(how, "stack_overflow")) return recurse(NULL, 0);
    // Calls through a null and a small function pointer: under Eremite page 0 holds the
    // slide that rewritten syscall sites call into, and it must still end the app.
    if (!strcmp(how, "null_call") || !strcmp(how, "small_call")) {
        void (*volatile function)(void) = (void (*)(void))(uintptr_t)(strcmp(how, "null_call") ? 0x27 : 0);
        function();
    }
    if (!strcmp(how, "ignored_signal")) {
        signal(SIGUSR1, SIG_IGN);
        raise(SIGUSR1);
        puts("SIGUSR1 ignored");
        return 7;
    }
    puts("unknown way to crash");
    return 3;
}
