// sched_setaffinity is honoured: a thread pinned to a CPU runs there (sched_getcpu says so),
// at once, also when the CPU asked for is the other one. Run with two CPUs.
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>

static int run_on(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
    return sched_getcpu();
}

int main(void) {
    for (int round = 0; round < 3; ++round) printf("pinned to 1, runs on %d; pinned to 0, runs on %d\n", run_on(1), run_on(0));
    cpu_set_t set;
    sched_getaffinity(0, sizeof set, &set);
    printf("affinity now has %d CPU(s), CPU 0 among them: %s\n", CPU_COUNT(&set), CPU_ISSET(0, &set) ? "yes" : "no");
    return 0;
}
