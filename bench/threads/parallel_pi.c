// Parallel pi: numerical integration of 4/(1+x^2) over [0,1] (midpoint rule),
// pure computation split evenly over 1 and then 2 threads. Reports the wall time
// of each (median of 3 rounds, alternating) and the speedup time(1)/time(2).
#include "bench.h"

#include <math.h>
#include <pthread.h>

enum { MAX_THREADS = 2, ROUNDS = 3 };
static const long STEPS = 400000000;

struct slice {
    long begin, end;
    double sum;
};

static void* integrate(void* arg) {
    struct slice* s = arg;
    const double h = 1.0 / (double)STEPS;
    double sum = 0;
    for (long i = s->begin; i < s->end; ++i) {
        double x = ((double)i + 0.5) * h;
        sum += 4.0 / (1.0 + x * x);
    }
    s->sum = sum * h;
    return NULL;
}

static double run(int nthreads) {
    pthread_t t[MAX_THREADS];
    struct slice s[MAX_THREADS];
    uint64_t t0 = now_ns();
    for (int i = 0; i < nthreads; ++i) {
        s[i].begin = STEPS / nthreads * i;
        s[i].end = i == nthreads - 1 ? STEPS : STEPS / nthreads * (i + 1);
        check_err(pthread_create(&t[i], NULL, integrate, &s[i]), "pthread_create");
    }
    double pi = 0;
    for (int i = 0; i < nthreads; ++i) {
        check_err(pthread_join(t[i], NULL), "pthread_join");
        pi += s[i].sum;
    }
    double seconds = (double)(now_ns() - t0) / 1e9;
    if (fabs(pi - M_PI) > 1e-9) die("%d threads computed pi = %.15f", nthreads, pi);
    return seconds;
}

int main(void) {
    bench_name = "parallel_pi";
    double t1[ROUNDS], t2[ROUNDS];
    for (int r = 0; r < ROUNDS; ++r) {
        t1[r] = run(1);
        t2[r] = run(2);
    }
    double m1 = median(t1, ROUNDS), m2 = median(t2, ROUNDS);
    result("pi_1t_s", m1);
    result("pi_2t_s", m2);
    result("pi_speedup", m1 / m2);
    return finish();
}
