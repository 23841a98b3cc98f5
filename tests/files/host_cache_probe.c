// What hostfs's cache does for a program (host_cache_test.sh):
//   repeat PATH N          open, fstat, read and close PATH N times, as a file server
//                          does; prints the bytes read in all
//   watch PATH READY A B   reads PATH, makes READY, waits (up to 10 s) until a
//                          descriptor kept open on PATH reads A, makes READY.seen, waits
//                          until PATH opened anew holds B: what the host changes
//                          meanwhile, with how long it took to show
//   aliases DIR1 DIR2      one host directory mounted twice: a write and an unlink
//                          through one, seen through the other
//   unlinked PATH READY DONE [SIBLING]
//                          writes, reads and unlinks PATH, makes READY, waits for DONE;
//                          with SIBLING, makes it beside PATH and reads PATH again
//                          before the unlink (a name changed in between)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static ssize_t contents(const char* path, char* text, size_t capacity) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat st;
    ssize_t got = fstat(fd, &st) < 0 ? -1 : read(fd, text, capacity - 1);
    close(fd);
    if (got >= 0) text[got] = 0;
    return got;
}

static long milliseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// Until PATH holds `wanted`: read through `fd` (kept open) when it is not -1, else
// through PATH opened anew each time. Prints what it saw and after how many ms.
static int wait_for(const char* path, int fd, const char* wanted) {
    char text[256] = "";
    long start = milliseconds();
    for (int tries = 0; tries < 1000; ++tries) {
        ssize_t got = fd >= 0 ? pread(fd, text, sizeof text - 1, 0) : contents(path, text, sizeof text);
        if (fd >= 0 && got >= 0) text[got] = 0;
        if (got >= 0 && strcmp(text, wanted) == 0) {
            printf("saw %s after %ld ms\n", text, milliseconds() - start);
            return 0;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    printf("still %s after 10 s, not %s\n", text, wanted);
    return 1;
}

static void await_file(const char* path) {
    for (int tries = 0; tries < 1000 && access(path, F_OK) != 0; ++tries) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

// Written and dated a minute back, so that the guest keeps its contents (a file written in
// the last two seconds is read from the host each time).
static void make_file(const char* path, const char* text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0) perror(path);
        struct timespec past[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
        if (futimens(fd, past) < 0) perror(path);
        close(fd);
    }
}

// One host directory seen as DIR1 and DIR2: a change through one shows through the other.
static int aliases(const char* one, const char* two) {
    char a[4096], b[4096], text[64];
    snprintf(a, sizeof a, "%s/f", one);
    snprintf(b, sizeof b, "%s/f", two);
    make_file(a, "one");
    int reader = open(b, O_RDONLY);
    if (reader < 0) return 1;
    for (int i = 0; i < 3; ++i) {  // read again and again, as a cache would keep it
        ssize_t got = pread(reader, text, sizeof text - 1, 0);
        text[got > 0 ? got : 0] = 0;
    }
    printf("before: %s\n", text);
    int writer = open(a, O_WRONLY);
    if (writer < 0 || pwrite(writer, "TWO!!", 5, 0) != 5) return 1;
    close(writer);
    ssize_t got = pread(reader, text, sizeof text - 1, 0);
    text[got > 0 ? got : 0] = 0;
    printf("after a write through the other: %s\n", text);
    struct stat st;
    printf("size: %lld\n", stat(b, &st) == 0 ? (long long)st.st_size : -1ll);
    unlink(a);
    printf("stat after an unlink through the other: %s\n", stat(b, &st) == 0 ? "still there" : strerror(errno));
    close(reader);
    return 0;
}

// Writes PATH (1 MiB), reads it twice, unlinks it, makes READY and waits for DONE: the
// host meanwhile looks for a deleted file ehyve still holds open.
static int unlinked(const char* path, const char* ready, const char* done, const char* sibling) {
    static char block[1 << 20];
    memset(block, 'x', sizeof block - 1);
    block[sizeof block - 1] = 0;
    make_file(path, block);
    char text[256];
    for (int i = 0; i < 2; ++i)
        if (contents(path, text, sizeof text) < 0) return 1;
    if (sibling) {
        make_file(sibling, "");
        if (contents(path, text, sizeof text) < 0) return 1;
    }
    if (unlink(path) != 0) return 1;
    make_file(ready, "");
    await_file(done);
    printf("unlinked\n");
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 4 && strcmp(argv[1], "repeat") == 0) {
        static char text[1 << 16];
        long total = 0;
        for (long i = atol(argv[3]); i > 0; --i) {
            ssize_t got = contents(argv[2], text, sizeof text);
            if (got < 0) {
                perror(argv[2]);
                return 1;
            }
            total += got;
        }
        printf("read %ld bytes\n", total);
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "watch") == 0) {
        char text[256];
        if (contents(argv[2], text, sizeof text) < 0) return 1;
        printf("first %s\n", text);
        int kept = open(argv[2], O_RDONLY);
        int ready = open(argv[3], O_WRONLY | O_CREAT, 0644);
        if (kept < 0 || ready < 0) return 1;
        close(ready);
        if (wait_for(argv[2], kept, argv[4])) return 1;
        close(kept);
        char seen[4096];
        snprintf(seen, sizeof seen, "%s.seen", argv[3]);
        ready = open(seen, O_WRONLY | O_CREAT, 0644);
        if (ready < 0) return 1;
        close(ready);
        return wait_for(argv[2], -1, argv[5]);
    }
    if (argc == 4 && strcmp(argv[1], "aliases") == 0) return aliases(argv[2], argv[3]);
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "unlinked") == 0)
        return unlinked(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    fprintf(stderr,
            "usage: host_cache_probe repeat PATH N | watch PATH READY A B | aliases DIR1 DIR2 | "
            "unlinked PATH READY DONE [SIBLING]\n");
    return 2;
}
