// System-call latency: getppid through syscall(SYS_getppid), ns per call
// (median of several batches). syscall() keeps libc from caching the answer.
#include "bench.h"

#include <sys/syscall.h>
#include <unistd.h>

static void batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i) {
        long rc = syscall(SYS_getppid);
        if (rc < 0) die("getppid: %s", strerror(errno));
    }
}

int main(void) {
    bench_name = "syscall_getppid";
    result("getppid_ns", ns_per_op(batch, NULL, 20, 11));
    return finish();
}
