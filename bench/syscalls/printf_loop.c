// stdio to stdout: 1,000,000 lines of printf("line %d\n", i), then fflush, timed as a
// whole; the median of 3 rounds in ms. Run it with stdout redirected to /dev/null (on
// the host for ehyve): glibc then buffers stdout fully and writes it 4 KiB at a time.
// The lines go to stdout, so the result goes to stderr:
//     result name=printf_1m_ms value=NUMBER
#include "bench.h"

enum { lines = 1000000, rounds = 3 };

int main(void) {
    bench_name = "printf_loop";
    double ms[rounds];
    for (int round = 0; round < rounds; ++round) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < lines; ++i)
            if (printf("line %d\n", i) < 0) die("printf failed");
        if (fflush(stdout) != 0) die("fflush(stdout): %s", strerror(errno));
        ms[round] = (double)(now_ns() - t0) / 1e6;
    }
    fprintf(stderr, "result name=printf_1m_ms value=%.6g\n", median(ms, rounds));
    return 0;
}
