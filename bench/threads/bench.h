// Small helpers shared by the bench/threads programs. These are ordinary static
// Linux programs: nothing here knows about Eremite.
//
// Every program prints its results on stdout as machine-readable lines
//     result name=NAME value=NUMBER
// (bench/threads/run.sh parses them), diagnostics on stderr, and exits non-zero
// on any failure.
#ifndef EREMITE_BENCH_THREADS_BENCH_H
#define EREMITE_BENCH_THREADS_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char* bench_name = "bench";

__attribute__((format(printf, 1, 2), noreturn)) static inline void die(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", bench_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

// For functions that return 0 or an errno value (the pthread family).
static inline void check_err(int err, const char* what) {
    if (err != 0) die("%s: %s", what, strerror(err));
}

// For functions that return -1 and set errno.
static inline void check_sys(long rc, const char* what) {
    if (rc == -1) die("%s: %s", what, strerror(errno));
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    check_sys(clock_gettime(CLOCK_MONOTONIC, &ts), "clock_gettime(CLOCK_MONOTONIC)");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

// Keeps the compiler from optimising away work whose result is P.
static inline void sink(const void* p) {
    __asm__ volatile("" : : "r"(p) : "memory");
}

static inline void result(const char* name, double value) {
    if (printf("result name=%s value=%.6g\n", name, value) < 0) die("writing stdout failed");
}

// Call at the end of main: a result that could not be written is a failure.
static inline int finish(void) {
    if (fflush(stdout) != 0 || ferror(stdout)) die("writing stdout failed");
    return 0;
}

static inline int compare_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

// Median of N values (sorts them in place).
static inline double median(double* v, int n) {
    qsort(v, (size_t)n, sizeof *v, compare_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs ITERS iterations of the operation under test.
typedef void (*batch_fn)(long iters, void* ctx);

// Median cost of one iteration of FN in ns: the batch size is doubled until one
// batch takes at least BATCH_MS (which also warms up), then BATCHES batches are
// timed.
#define MAX_BATCHES 64
static inline double ns_per_op(batch_fn fn, void* ctx, double batch_ms, int batches) {
    if (batches < 1 || batches > MAX_BATCHES) die("ns_per_op: bad batch count %d", batches);
    long iters = 1;
    for (;;) {
        uint64_t t0 = now_ns();
        fn(iters, ctx);
        uint64_t t = now_ns() - t0;
        if ((double)t >= batch_ms * 1e6) break;
        if (iters > (1L << 40)) die("ns_per_op: the operation takes no time");
        iters *= 2;
    }
    double per_op[MAX_BATCHES];
    for (int i = 0; i < batches; ++i) {
        uint64_t t0 = now_ns();
        fn(iters, ctx);
        per_op[i] = (double)(now_ns() - t0) / (double)iters;
    }
    return median(per_op, batches);
}

#endif
