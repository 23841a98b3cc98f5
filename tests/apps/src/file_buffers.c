// File reads and writes with unusual app buffers, in $SCRATCH (argv[1]): memory never
// touched before, unaligned, larger than one transfer, stopping at a PROT_NONE page,
// read-only; readv/writev; and a thread that unmaps and maps the buffer again while
// another reads into it. (Under Eremite with --mount, reads and writes hand the app's
// own pages to the host: these are the cases that pinning must get right.)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define FILE_BYTES (6 * MIB + 12345)

static const char* result(long value) {
    static char text[64];
    if (value >= 0) {
        snprintf(text, sizeof text, "%ld", value);
        return text;
    }
    return errno == EFAULT ? "EFAULT" : strerror(errno);
}

static uint8_t pattern(uint64_t offset) { return (uint8_t)(offset * 131 + (offset >> 12) * 7); }

static int matches(const uint8_t* data, uint64_t offset, uint64_t length) {
    for (uint64_t i = 0; i < length; ++i)
        if (data[i] != pattern(offset + i)) return 0;
    return 1;
}

static void* fresh(size_t bytes, int protection) {
    void* p = mmap(NULL, bytes, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static int fd;
static uint8_t* race_buffer;
static atomic_int racing = 1;

static void* remapper(void* unused) {
    (void)unused;
    for (int i = 0; i < 300; ++i) {
        munmap(race_buffer, 2 * MIB);
        if (mmap(race_buffer, 2 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
            MAP_FAILED)
            break;
    }
    atomic_store(&racing, 0);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc < 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: file_buffers SCRATCH_DIR\n");
        return 2;
    }
    fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;

    // Written from memory filled in place, in one call larger than any one transfer.
    uint8_t* source = fresh(FILE_BYTES, PROT_READ | PROT_WRITE);
    for (uint64_t i = 0; i < FILE_BYTES; ++i) source[i] = pattern(i);
    printf("write %d bytes in one call: %s\n", FILE_BYTES, result(write(fd, source, FILE_BYTES)));

    // Read into memory the app never touched (demand-zero pages), in one call.
    uint8_t* target = fresh(FILE_BYTES + 2 * 4096, PROT_READ | PROT_WRITE);
    printf("read it into untouched memory: %s, ", result(pread(fd, target, FILE_BYTES, 0)));
    printf("content %s\n", matches(target, 0, FILE_BYTES) ? "right" : "WRONG");

    // Unaligned buffer and offset, reaching past the end of the file.
    memset(target, 0, FILE_BYTES);
    printf("read from offset 4099 to the end into buffer+123: %s, ", result(pread(fd, target + 123, FILE_BYTES, 4099)));
    printf("content %s\n", matches(target + 123, 4099, FILE_BYTES - 4099) ? "right" : "WRONG");

    // A buffer whose second page is PROT_NONE: a read and a write stop there.
    uint8_t* fenced = fresh(3 * 4096, PROT_READ | PROT_WRITE);
    mprotect(fenced + 4096, 4096, PROT_NONE);
    printf("read 8192 into [page][PROT_NONE]: %s, ", result(pread(fd, fenced, 8192, 100)));
    printf("content %s\n", matches(fenced, 100, 4096) ? "right" : "WRONG");
    printf("read 4096 into the PROT_NONE page: %s\n", result(pread(fd, fenced + 4096, 4096, 0)));
    printf("read 100 into its last bytes and on: %s\n", result(pread(fd, fenced + 4096 - 50, 100, 0)));
    memset(fenced, 'x', 4096);
    printf("write 8192 from [page][PROT_NONE] at the end: %s, ", result(pwrite(fd, fenced, 8192, FILE_BYTES)));
    printf("write from the PROT_NONE page: %s\n", result(pwrite(fd, fenced + 4096, 4096, FILE_BYTES)));
    if (ftruncate(fd, FILE_BYTES) != 0) return 1;

    // A read-only buffer cannot be read into; it can be written from.
    uint8_t* readonly = fresh(4096, PROT_READ);
    printf("read into read-only memory: %s; ", result(pread(fd, readonly, 4096, 0)));
    printf("write from it (zeroes) at the end: %s\n", result(pwrite(fd, readonly, 4096, FILE_BYTES)));
    if (ftruncate(fd, FILE_BYTES) != 0) return 1;

    // readv and writev across several buffers, one of them untouched and one unaligned.
    uint8_t* a = fresh(3 * MIB, PROT_READ | PROT_WRITE);
    uint8_t* b = malloc(5000);
    struct iovec vectors[3] = {{a + 7, 2 * MIB + 1}, {b, 5000}, {a + 2 * MIB + 4096, 700000}};
    long total = 2 * MIB + 1 + 5000 + 700000;
    printf("readv of 3 buffers: %s, ", result(preadv(fd, vectors, 3, 333)));
    int right = matches(a + 7, 333, 2 * MIB + 1) && matches(b, 333 + 2 * MIB + 1, 5000) &&
                matches(a + 2 * MIB + 4096, 333 + 2 * MIB + 1 + 5000, 700000);
    printf("content %s\n", right ? "right" : "WRONG");
    printf("writev of them at offset 1: %s, ", result(pwritev(fd, vectors, 3, 1)));
    uint8_t* check = fresh(total, PROT_READ | PROT_WRITE);
    if (pread(fd, check, total, 1) != total) return 1;
    printf("read back %s\n", matches(check, 333, total) ? "right" : "WRONG");

    // One thread reads into a buffer while another unmaps and maps it again: each read
    // gets all, part or EFAULT; nothing else may happen (no crash, no write elsewhere).
    race_buffer = fresh(2 * MIB, PROT_READ | PROT_WRITE);
    uint8_t* canary = fresh(4096, PROT_READ | PROT_WRITE);
    memset(canary, 0x5a, 4096);
    pthread_t thread;
    if (pthread_create(&thread, NULL, remapper, NULL) != 0) return 1;
    long reads = 0;
    while (atomic_load(&racing)) {
        long got = pread(fd, race_buffer, 2 * MIB, 0);
        if (got < 0 && errno != EFAULT) printf("race: unexpected %s\n", result(got));
        ++reads;
    }
    pthread_join(thread, NULL);
    int canary_intact = 1;
    for (int i = 0; i < 4096; ++i) canary_intact &= canary[i] == 0x5a;
    printf("reads racing with munmap/mmap: done, other memory intact: %s\n", canary_intact ? "yes" : "NO");
    close(fd);
    unlink("data");
    return 0;
}
