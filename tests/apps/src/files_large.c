// A large file written and read back in $SCRATCH (tmpfs or a --mount'ed host directory
// under Eremite): 1 MiB chunks of a position-dependent pattern, then checks of the
// content, random-offset reads, a sparse extension and a shrink.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)

static void fill(uint64_t* words, uint64_t offset) {
    for (uint64_t i = 0; i < CHUNK / 8; ++i) words[i] = (offset / 8 + i) * 0x9e3779b97f4a7c15ull;
}

int main(int argc, char** argv) {
    const char* scratch = getenv("SCRATCH");
    if (!scratch) return 2;
    uint64_t megabytes = argc > 1 ? strtoull(argv[1], NULL, 10) : 512;
    mkdir(scratch, 0755);
    if (chdir(scratch) < 0) return 3;
    uint64_t* chunk = malloc(CHUNK);
    uint64_t* expected = malloc(CHUNK);
    int fd = open("big", O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) return 4;
    for (uint64_t i = 0; i < megabytes; ++i) {
        fill(chunk, i * CHUNK);
        if (write(fd, chunk, CHUNK) != CHUNK) {
            printf("write %llu failed\n", (unsigned long long)i);
            return 1;
        }
    }
    struct stat st;
    fstat(fd, &st);
    printf("size %lld MiB\n", (long long)(st.st_size >> 20));
    if (lseek(fd, 0, SEEK_SET) != 0) return 5;
    int bad = 0;
    for (uint64_t i = 0; i < megabytes; ++i) {
        ssize_t got = read(fd, chunk, CHUNK);
        fill(expected, i * CHUNK);
        if (got != CHUNK || memcmp(chunk, expected, CHUNK) != 0) ++bad;
    }
    printf("sequential read back: %d bad chunks\n", bad);
    uint64_t state = 12345;
    bad = 0;
    for (int i = 0; i < 1000; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t offset = (state >> 16) % (megabytes * CHUNK - 4096) & ~7ull;
        uint64_t word;
        if (pread(fd, &word, 8, (off_t)offset) != 8 || word != (offset / 8) * 0x9e3779b97f4a7c15ull) ++bad;
    }
    printf("random reads: %d bad\n", bad);
    if (ftruncate(fd, (off_t)(megabytes * CHUNK * 2)) != 0) return 6;
    uint64_t word = 1;
    pread(fd, &word, 8, (off_t)(megabytes * CHUNK + 12345));
    printf("extended: hole reads %llu\n", (unsigned long long)word);
    if (ftruncate(fd, 4096) != 0) return 7;
    fstat(fd, &st);
    printf("shrunk to %lld bytes\n", (long long)st.st_size);
    close(fd);
    unlink("big");
    return 0;
}
