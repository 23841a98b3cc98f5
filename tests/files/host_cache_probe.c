// What hostfs's cache does for a program (host_cache_test.sh):
//   repeat PATH N          open, fstat, read and close PATH N times, as a file server
//                          does; prints the bytes read in all
//   watch PATH READY A B   reads PATH, makes READY, waits (up to 10 s) until PATH holds
//                          A, makes READY.seen, waits until it holds B: what the host
//                          changes meanwhile
#define _GNU_SOURCE
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

static int wait_for(const char* path, const char* wanted) {
    char text[256];
    for (int tries = 0; tries < 1000; ++tries) {
        if (contents(path, text, sizeof text) >= 0 && strcmp(text, wanted) == 0) {
            printf("saw %s", text);
            return 0;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    printf("still %s after 10 s, not %s", text, wanted);
    return 1;
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
        printf("first %s", text);
        int ready = open(argv[3], O_WRONLY | O_CREAT, 0644);
        if (ready < 0) return 1;
        close(ready);
        if (wait_for(argv[2], argv[4])) return 1;
        char seen[4096];
        snprintf(seen, sizeof seen, "%s.seen", argv[3]);
        ready = open(seen, O_WRONLY | O_CREAT, 0644);
        if (ready < 0) return 1;
        close(ready);
        return wait_for(argv[2], argv[5]);
    }
    fprintf(stderr, "usage: host_cache_probe repeat PATH N | watch PATH READY A B\n");
    return 2;
}
