// Futex ping-pong: two threads wake each other through raw FUTEX_WAIT/FUTEX_WAKE
// on two words (one per direction). Reports µs per round trip (A wakes B, B wakes
// A) and thousands of round trips per second. Every post calls FUTEX_WAKE; a wait
// calls FUTEX_WAIT only when the word is not yet set, as a semaphore would. Where the
// process may use two CPUs or more, a second pair runs with each thread pinning itself
// to a different CPU (futex_roundtrip_cross_cpu_us): wherever the scheduler would rather
// keep the two together, every wake-up then crosses CPUs.
#include "bench.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
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

// Pins the calling thread to `cpu` (-1: leaves it alone).
static void pin_self(int cpu) {
    if (cpu < 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) die("sched_setaffinity: %s", strerror(errno));
}

static void* partner(void* arg) {
    pin_self((int)(intptr_t)arg);
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

// Round trips with a partner thread pinned to `partner_cpu` (-1: not pinned), in ns.
static double measure(int partner_cpu) {
    pthread_t t;
    atomic_store(&stop, 0);
    check_err(pthread_create(&t, NULL, partner, (void*)(intptr_t)partner_cpu), "pthread_create");
    double ns = ns_per_op(batch, NULL, 20, 11);
    atomic_store(&stop, 1);
    post(&to_b);
    check_err(pthread_join(t, NULL), "pthread_join");
    atomic_store(&to_a, 0);
    atomic_store(&to_b, 0);
    return ns;
}

int main(void) {
    bench_name = "futex_pingpong";
    double ns = measure(-1);
    result("futex_roundtrip_us", ns / 1000);
    result("futex_roundtrips_k_per_s", 1e6 / ns);
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 2) {
        int cpus[2], found = 0;
        for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; ++cpu)
            if (CPU_ISSET(cpu, &allowed)) cpus[found++] = cpu;
        pin_self(cpus[0]);
        result("futex_roundtrip_cross_cpu_us", measure(cpus[1]) / 1000);
    }
    return finish();
}
