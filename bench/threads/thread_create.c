// Thread creation: µs per pthread_create + pthread_join pair, 1000 pairs in a
// row after a warm-up; the median of 5 such rounds.
#include "bench.h"

#include <pthread.h>

enum { PAIRS = 1000, ROUNDS = 5, WARMUP = 50 };

static void* thread_main(void* arg) {
    return (char*)arg + 1;
}

static void pair(long i) {
    pthread_t t;
    char* arg = (char*)0x1000 + i;
    check_err(pthread_create(&t, NULL, thread_main, arg), "pthread_create");
    void* ret;
    check_err(pthread_join(t, &ret), "pthread_join");
    if (ret != arg + 1) die("the thread returned the wrong value");
}

int main(void) {
    bench_name = "thread_create";
    for (long i = 0; i < WARMUP; ++i) pair(i);
    double us[ROUNDS];
    for (int r = 0; r < ROUNDS; ++r) {
        uint64_t t0 = now_ns();
        for (long i = 0; i < PAIRS; ++i) pair(i);
        us[r] = (double)(now_ns() - t0) / PAIRS / 1000;
    }
    result("thread_create_join_us", median(us, ROUNDS));
    return finish();
}
