// Mutex contention: N threads (1, then 2) increment one counter under one
// pthread_mutex for a fixed time; total lock+increment+unlock operations per
// second, in millions (median of 3 rounds of 300 ms).
#include "bench.h"

#include <pthread.h>
#include <stdatomic.h>

enum { MAX_THREADS = 2, ROUNDS = 3, ROUND_MS = 300 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;
static atomic_int stop;

static void* worker(void* arg) {
    unsigned long* mine = arg;
    unsigned long n = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        check_err(pthread_mutex_lock(&lock), "pthread_mutex_lock");
        ++counter;
        check_err(pthread_mutex_unlock(&lock), "pthread_mutex_unlock");
        ++n;
    }
    *mine = n;
    return NULL;
}

static double round_mops(int nthreads) {
    pthread_t t[MAX_THREADS];
    unsigned long done[MAX_THREADS];
    counter = 0;
    atomic_store(&stop, 0);
    uint64_t t0 = now_ns();
    for (int i = 0; i < nthreads; ++i) check_err(pthread_create(&t[i], NULL, worker, &done[i]), "pthread_create");
    struct timespec d = {0, ROUND_MS * 1000000L};
    while (nanosleep(&d, &d) != 0)
        if (errno != EINTR) die("nanosleep: %s", strerror(errno));
    atomic_store(&stop, 1);
    unsigned long total = 0;
    for (int i = 0; i < nthreads; ++i) {
        check_err(pthread_join(t[i], NULL), "pthread_join");
        total += done[i];
    }
    uint64_t elapsed = now_ns() - t0;
    if (total != counter) die("lost updates: %lu increments counted, counter is %lu", total, counter);
    if (total == 0) die("no thread got the lock in %d ms", ROUND_MS);
    return (double)total / ((double)elapsed / 1e9) / 1e6;
}

int main(void) {
    bench_name = "mutex_contention";
    for (int n = 1; n <= MAX_THREADS; ++n) {
        double mops[ROUNDS];
        for (int r = 0; r < ROUNDS; ++r) mops[r] = round_mops(n);
        char name[64];
        snprintf(name, sizeof name, "mutex_%dt_mops", n);
        result(name, median(mops, ROUNDS));
    }
    return finish();
}
