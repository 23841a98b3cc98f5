// sched_yield: ns per call with one thread, then a ping-pong of two threads that
// hand a turn back and forth and call sched_yield while they wait for it: ns per
// round trip (thread A -> thread B -> thread A). On one CPU every hand-off needs
// a switch to the other thread; on two CPUs each thread yields on its own CPU.
#include "bench.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

static void yield_batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i)
        if (sched_yield() != 0) die("sched_yield: %s", strerror(errno));
}

static atomic_int turn;  // 0: A's turn, 1: B's turn
static atomic_int stop;

static void yield_checked(void) {
    if (sched_yield() != 0) die("sched_yield: %s", strerror(errno));
}

// Thread B: waits for its turn and gives it back, until told to stop.
static void* partner(void* arg) {
    (void)arg;
    for (;;) {
        while (atomic_load_explicit(&turn, memory_order_acquire) != 1) {
            if (atomic_load_explicit(&stop, memory_order_relaxed)) return NULL;
            yield_checked();
        }
        atomic_store_explicit(&turn, 0, memory_order_release);
    }
}

// Thread A: ITERS round trips.
static void pingpong_batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i) {
        atomic_store_explicit(&turn, 1, memory_order_release);
        while (atomic_load_explicit(&turn, memory_order_acquire) != 0) yield_checked();
    }
}

int main(void) {
    bench_name = "sched_yield";
    result("sched_yield_ns", ns_per_op(yield_batch, NULL, 20, 11));

    pthread_t t;
    check_err(pthread_create(&t, NULL, partner, NULL), "pthread_create");
    double rt = ns_per_op(pingpong_batch, NULL, 20, 11);
    atomic_store(&stop, 1);
    check_err(pthread_join(t, NULL), "pthread_join");
    result("yield_pingpong_ns", rt);
    return finish();
}
