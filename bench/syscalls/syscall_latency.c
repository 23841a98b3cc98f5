// System-call latency, ns per call (median of several batches), for the paths that
// load-time syscall rewriting (issue 5) changes:
//   getppid_ns          getppid(): glibc's wrapper, a `mov $110,%eax; syscall` site
//   getppid_syscall_ns  syscall(SYS_getppid): glibc's generic syscall(), a lone
//                       `syscall` with the number in a register
//   write_devnull_ns    write() of 1 byte to /dev/null
//   pread_4k_ns         pread() of 4 KiB at offset 0 from a file in DIR (make DIR a
//                       tmpfs: natively /dev/shm, under Eremite its root /tmp)
//   futex_wake_ns       futex(FUTEX_WAKE_PRIVATE) on a private word nobody waits on
//
//   syscall_latency DIR
#include "bench.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FUTEX_WAKE_PRIVATE 129  // linux/futex.h: FUTEX_WAKE | FUTEX_PRIVATE_FLAG

struct Files {
    int devnull;
    int data;
    char buffer[4096];
};

static void getppid_batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i) sink((void*)(long)getppid());
}

static void getppid_syscall_batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i)
        if (syscall(SYS_getppid) < 0) die("getppid: %s", strerror(errno));
}

static void write_batch(long iters, void* ctx) {
    struct Files* files = ctx;
    for (long i = 0; i < iters; ++i)
        if (write(files->devnull, files->buffer, 1) != 1) die("write to /dev/null: %s", strerror(errno));
}

static void pread_batch(long iters, void* ctx) {
    struct Files* files = ctx;
    for (long i = 0; i < iters; ++i)
        if (pread(files->data, files->buffer, sizeof files->buffer, 0) != (ssize_t)sizeof files->buffer)
            die("pread: %s", strerror(errno));
}

static void futex_wake_batch(long iters, void* ctx) {
    (void)ctx;
    static int word;
    for (long i = 0; i < iters; ++i)
        if (syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) != 0)
            die("futex wake: %s", strerror(errno));
}

int main(int argc, char** argv) {
    bench_name = "syscall_latency";
    if (argc != 2) die("usage: syscall_latency DIR");

    static struct Files files;
    files.devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    check_sys(files.devnull, "open /dev/null");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/syscall_latency.dat", argv[1]) >= (int)sizeof path) die("DIR too long");
    files.data = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    check_sys(files.data, path);
    memset(files.buffer, 'x', sizeof files.buffer);
    if (write(files.data, files.buffer, sizeof files.buffer) != (ssize_t)sizeof files.buffer)
        die("write %s: %s", path, strerror(errno));
    check_sys(unlink(path), "unlink");

    result("getppid_ns", ns_per_op(getppid_batch, NULL, 20, 11));
    result("getppid_syscall_ns", ns_per_op(getppid_syscall_batch, NULL, 20, 11));
    result("write_devnull_ns", ns_per_op(write_batch, &files, 20, 11));
    result("pread_4k_ns", ns_per_op(pread_batch, &files, 20, 11));
    result("futex_wake_ns", ns_per_op(futex_wake_batch, NULL, 20, 11));
    check_sys(close(files.data), "close");
    check_sys(close(files.devnull), "close");
    return finish();
}
