// Sequential file throughput in 1 MiB chunks: MB/s (10^6 bytes per second).
//
//   seq_io write DIR MIB   creates DIR/seq_io.dat, writes MIB chunks (result write_mbps),
//                          then reads them back from the start in the same process
//                          (result readback_mbps); the file is kept
//   seq_io read DIR MIB    reads the file left by "write" in a new process
//                          (result cold_read_mbps); the file is kept
//   seq_io drop DIR        (on the host) flushes the file to disk and asks the host kernel
//                          to drop its cached pages, so that the next read comes from
//                          the disk (result resident_pct: how much of the file is still
//                          cached afterwards, by mincore)
//
// Only the read and write loops are timed: not open, close or fsync (tmpfs and
// Eremite's hostfs write through, so an fsync would time different things on each).
// Every chunk carries its index in its first and last 8 bytes, checked on reading.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define CHUNK (1u << 20)
#define FILE_NAME "seq_io.dat"

static void stamp(uint64_t* chunk, uint64_t index) {
    chunk[0] = index;
    chunk[CHUNK / 8 - 1] = ~index;
}

static void check_stamp(const uint64_t* chunk, uint64_t index) {
    if (chunk[0] != index || chunk[CHUNK / 8 - 1] != ~index)
        die("chunk %llu read back wrong (starts with %llu)", (unsigned long long)index, (unsigned long long)chunk[0]);
}

static int open_in(const char* dir, int flags) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, FILE_NAME) >= sizeof path) die("%s: path too long", dir);
    int fd = open(path, flags, 0644);
    check_sys(fd, path);
    return fd;
}

static double mbps(uint64_t chunks, uint64_t ns) { return (double)chunks * CHUNK / ((double)ns / 1e9) / 1e6; }

// Reads CHUNKS chunks from the start of FD and checks them; returns the time in ns.
static uint64_t read_all(int fd, uint64_t* chunk, uint64_t chunks) {
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < chunks; ++i) {
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t got = read(fd, (char*)chunk + done, CHUNK - done);
            check_sys(got, "read");
            if (got == 0) die("read: end of file at chunk %llu", (unsigned long long)i);
            done += (size_t)got;
        }
        check_stamp(chunk, i);
    }
    uint64_t t = now_ns() - t0;
    char extra;
    if (read(fd, &extra, 1) != 0) die("read: the file is longer than %llu MiB", (unsigned long long)chunks);
    return t;
}

static void write_then_read(const char* dir, uint64_t chunks, uint64_t* chunk) {
    // A new file: a leftover from an earlier run is an error, not something to reuse.
    int fd = open_in(dir, O_RDWR | O_CREAT | O_EXCL);
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < chunks; ++i) {
        stamp(chunk, i);
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t put = write(fd, (const char*)chunk + done, CHUNK - done);
            check_sys(put, "write");
            if (put == 0) die("write: no progress at chunk %llu", (unsigned long long)i);
            done += (size_t)put;
        }
    }
    uint64_t write_ns = now_ns() - t0;
    struct stat st;
    check_sys(fstat(fd, &st), "fstat");
    if ((uint64_t)st.st_size != chunks * CHUNK)
        die("fstat: size %lld after writing %llu MiB", (long long)st.st_size, (unsigned long long)chunks);
    result("write_mbps", mbps(chunks, write_ns));
    check_sys(lseek(fd, 0, SEEK_SET), "lseek");
    result("readback_mbps", mbps(chunks, read_all(fd, chunk, chunks)));
    check_sys(close(fd), "close");
}

static void cold_read(const char* dir, uint64_t chunks, uint64_t* chunk) {
    int fd = open_in(dir, O_RDONLY);
    result("cold_read_mbps", mbps(chunks, read_all(fd, chunk, chunks)));
    check_sys(close(fd), "close");
}

static void drop_cache(const char* dir) {
    int fd = open_in(dir, O_RDONLY);
    check_sys(fdatasync(fd), "fdatasync");
    check_err(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), "posix_fadvise(POSIX_FADV_DONTNEED)");
    struct stat st;
    check_sys(fstat(fd, &st), "fstat");
    size_t size = (size_t)st.st_size;
    if (size == 0) die("%s/%s is empty", dir, FILE_NAME);
    long page = sysconf(_SC_PAGESIZE);
    void* map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap: %s", strerror(errno));
    size_t pages = (size + (size_t)page - 1) / (size_t)page;
    unsigned char* resident = malloc(pages);
    if (!resident) die("out of memory");
    check_sys(mincore(map, size, resident), "mincore");
    size_t cached = 0;
    for (size_t i = 0; i < pages; ++i) cached += resident[i] & 1;
    result("resident_pct", 100.0 * (double)cached / (double)pages);
    free(resident);
    munmap(map, size);
    check_sys(close(fd), "close");
}

static void usage(void) { die("usage: seq_io write DIR MIB | seq_io read DIR MIB | seq_io drop DIR"); }

int main(int argc, char** argv) {
    bench_name = "seq_io";
    if (argc < 3) usage();
    const char* mode = argv[1];
    const char* dir = argv[2];
    if (strcmp(mode, "drop") == 0) {
        if (argc != 3) usage();
        drop_cache(dir);
        return finish();
    }
    if (argc != 4) usage();
    char* end;
    unsigned long long mib = strtoull(argv[3], &end, 10);
    if (*end || mib == 0 || mib > (1u << 20)) die("MIB: '%s' is not a size in MiB", argv[3]);
    uint64_t* chunk = aligned_alloc(4096, CHUNK);
    if (!chunk) die("out of memory");
    memset(chunk, 0x5a, CHUNK);  // touched before timing: no first-touch faults on the buffer
    if (strcmp(mode, "write") == 0)
        write_then_read(dir, mib, chunk);
    else if (strcmp(mode, "read") == 0)
        cold_read(dir, mib, chunk);
    else
        usage();
    free(chunk);
    return finish();
}
