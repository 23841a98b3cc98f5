// OS noise, fixed work quantum (FWQ): one thread runs the same fixed loop (about
// 20 µs of work) SAMPLES times and times each run with the TSC (lfence; rdtsc),
// which is converted to ns with a frequency measured against CLOCK_MONOTONIC.
// Everything above the minimum is time taken from the loop: interrupts, timer
// ticks, preemption, host (or hypervisor) activity.
//
//     fwq [SAMPLES [WORK_ITERS]]   (defaults: 200000 samples; WORK_ITERS 0 or
//                                   absent: calibrated to about 20 µs)
//
// Reports the work size (fwq_work_iters) so that another run can be given the
// same, and min, median, p99, p99.9, max, mean and standard deviation in ns.
#include "bench.h"

#include <math.h>

static inline uint64_t tsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

// The fixed work: a dependent chain of multiply-adds the compiler cannot shorten.
static uint64_t work(uint64_t iters, uint64_t x) {
    for (uint64_t i = 0; i < iters; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

static int compare_u64(const void* a, const void* b) {
    uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return (x > y) - (x < y);
}

static unsigned long parse(const char* s, const char* what) {
    char* end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end) die("bad %s: %s", what, s);
    return v;
}

int main(int argc, char** argv) {
    bench_name = "fwq";
    if (argc > 3) die("usage: fwq [SAMPLES [WORK_ITERS]]");
    unsigned long samples = argc > 1 ? parse(argv[1], "SAMPLES") : 200000;
    unsigned long iters = argc > 2 ? parse(argv[2], "WORK_ITERS") : 0;
    if (samples < 1000 || samples > 100000000) die("SAMPLES must be 1000 to 100000000");

    // TSC ticks per ns, against CLOCK_MONOTONIC over about 100 ms.
    uint64_t c0 = tsc(), n0 = now_ns();
    struct timespec d = {0, 100000000};
    while (nanosleep(&d, &d) != 0)
        if (errno != EINTR) die("nanosleep: %s", strerror(errno));
    uint64_t c1 = tsc(), n1 = now_ns();
    if (c1 <= c0 || n1 <= n0) die("the TSC or CLOCK_MONOTONIC did not advance");
    double ticks_per_ns = (double)(c1 - c0) / (double)(n1 - n0);

    uint64_t x = 1;
    if (iters == 0) {
        // Fastest of 500 runs of a trial size, scaled to 20 µs.
        const uint64_t trial = 10000;
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 500; ++i) {
            uint64_t t0 = tsc();
            x = work(trial, x);
            uint64_t t = tsc() - t0;
            if (t < best) best = t;
        }
        iters = (unsigned long)(trial * (20000.0 * ticks_per_ns) / (double)best);
        if (iters == 0) iters = 1;
    }

    uint64_t* s = malloc(samples * sizeof *s);
    if (!s) die("allocating %lu samples failed", samples);
    memset(s, 0, samples * sizeof *s);  // fault the pages in before timing
    for (int i = 0; i < 1000; ++i) x = work(iters, x);
    for (unsigned long i = 0; i < samples; ++i) {
        uint64_t t0 = tsc();
        x = work(iters, x);
        s[i] = tsc() - t0;
    }
    sink(&x);

    double sum = 0, sum2 = 0;
    for (unsigned long i = 0; i < samples; ++i) {
        double v = (double)s[i] / ticks_per_ns;
        sum += v;
        sum2 += v * v;
    }
    double mean = sum / (double)samples;
    double var = sum2 / (double)samples - mean * mean;
    qsort(s, samples, sizeof *s, compare_u64);
#define AT(q) ((double)s[(unsigned long)ceil((q) * (double)samples) - 1] / ticks_per_ns)
    result("fwq_work_iters", (double)iters);
    result("fwq_samples", (double)samples);
    result("fwq_tsc_ghz", ticks_per_ns);
    result("fwq_min_ns", (double)s[0] / ticks_per_ns);
    result("fwq_median_ns", AT(0.5));
    result("fwq_p99_ns", AT(0.99));
    result("fwq_p999_ns", AT(0.999));
    result("fwq_max_ns", (double)s[samples - 1] / ticks_per_ns);
    result("fwq_mean_ns", mean);
    result("fwq_stddev_ns", sqrt(var > 0 ? var : 0));
    free(s);
    return finish();
}
