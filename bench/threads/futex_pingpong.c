// Futex ping-pong: two threads wake each other through raw FUTEX_WAIT/FUTEX_WAKE
// on two words (one per direction). Reports µs per round trip (A wakes B, B wakes
// A) and thousands of round trips per second. Every post calls FUTEX_WAKE; a wait
// calls FUTEX_WAIT only when the word is not yet set, as a semaphore would.
#include "bench.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int to_a, to_b;  // 1: a wake-up is pending for that thread
static atomic_int stop;

static void post(atomic_int* word) {
    atomic_store_explicit(word, 1, memory_order_release);
    if (syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) < 0)
        die("FUTEX_WAKE: %s", strerror(errno));
}

static void wait_for(atomic_int* word) {
    while (atomic_load_explicit(word, memory_order_acquire) == 0) {
        if (syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) != 0 && errno != EAGAIN &&
            errno != EINTR)
            die("FUTEX_WAIT: %s", strerror(errno));
    }
    atomic_store_explicit(word, 0, memory_order_relaxed);
}

static void* partner(void* arg) {
    (void)arg;
    for (;;) {
        wait_for(&to_b);
        if (atomic_load_explicit(&stop, memory_order_relaxed)) return NULL;
        post(&to_a);
    }
}

static void batch(long iters, void* ctx) {
    (void)ctx;
    for (long i = 0; i < iters; ++i) {
        post(&to_b);
        wait_for(&to_a);
    }
}

int main(void) {
    bench_name = "futex_pingpong";
    pthread_t t;
    check_err(pthread_create(&t, NULL, partner, NULL), "pthread_create");
    double ns = ns_per_op(batch, NULL, 20, 11);
    atomic_store(&stop, 1);
    post(&to_b);
    check_err(pthread_join(t, NULL), "pthread_join");
    result("futex_roundtrip_us", ns / 1000);
    result("futex_roundtrips_k_per_s", 1e6 / ns);
    return finish();
}
