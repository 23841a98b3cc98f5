// clock_gettime(CLOCK_MONOTONIC) through libc, ns per call (median of several
// batches). Whether libc answers from a vDSO or with a system call is not this
// program's business.
#include "bench.h"

static void batch(long iters, void* ctx) {
    (void)ctx;
    struct timespec ts, last = {0, 0};
    for (long i = 0; i < iters; ++i) {
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) die("clock_gettime: %s", strerror(errno));
        if (ts.tv_sec < last.tv_sec || (ts.tv_sec == last.tv_sec && ts.tv_nsec < last.tv_nsec))
            die("CLOCK_MONOTONIC went backwards");
        last = ts;
    }
    sink(&last);
}

int main(void) {
    bench_name = "clock_gettime";
    result("clock_gettime_ns", ns_per_op(batch, NULL, 20, 11));
    return finish();
}
