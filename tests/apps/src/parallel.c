// Two threads prove they run at the same time on different CPUs: each spins, publishing
// the CPU it is on, until it sees the other spinning on another CPU at that moment.
// Prints the same natively (on a machine with two CPUs) and in Eremite with --cpus 2.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>

static volatile int cpu_now[2] = {-1, -1};
static volatile int saw_other[2];

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void* run(void* arg) {
    int me = (int)(long)arg, other = 1 - me;
    double give_up = now() + 20;
    while (now() < give_up && !(saw_other[0] && saw_other[1])) {
        int mine = sched_getcpu();
        cpu_now[me] = mine;
        int theirs = cpu_now[other];
        if (theirs >= 0 && theirs != mine) saw_other[me] = 1;
    }
    cpu_now[me] = -1;
    return NULL;
}

int main(void) {
    pthread_t threads[2];
    for (long i = 0; i < 2; ++i) pthread_create(&threads[i], NULL, run, (void*)i);
    for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
    printf("ran at the same time on two CPUs: %s\n", saw_other[0] && saw_other[1] ? "yes" : "no");
    return 0;
}
