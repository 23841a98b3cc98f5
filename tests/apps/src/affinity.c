// sched_setaffinity is honoured: a thread pinned to a CPU runs there (sched_getcpu says so),
// at once, also when the CPU asked for is the other one. The same for another thread of
// the process, named by its tid, while it runs on a CPU and while it is blocked; its mask
// and robust list read by tid; tids of exited threads are ESRCH. Run with two CPUs.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int run_on(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) return -1;
    return sched_getcpu();
}

static atomic_int worker_tid;
static atomic_int worker_cpu = -1;  // where the worker last saw itself run
static atomic_int spin = 1;
static atomic_long worker_robust_list;
static int wake_pipe[2];

static void* worker(void* unused) {
    (void)unused;
    long head = 0;
    size_t length = 0;
    syscall(SYS_get_robust_list, 0, &head, &length);
    atomic_store(&worker_robust_list, head);
    atomic_store(&worker_tid, (int)syscall(SYS_gettid));
    while (atomic_load(&spin)) atomic_store(&worker_cpu, sched_getcpu());
    char byte;
    if (read(wake_pipe[0], &byte, 1) != 1) return NULL;  // blocked here while main pins it
    atomic_store(&worker_cpu, sched_getcpu());
    return NULL;
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

static int pin(int tid, int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof set, &set);
}

// Whether the worker reports running on `cpu` within five seconds.
static const char* seen_on(int cpu) {
    for (double until = seconds() + 5; seconds() < until; sched_yield())
        if (atomic_load(&worker_cpu) == cpu) return "yes";
    return "no";
}

static const char* error_name(int result) {
    if (result == 0) return "success";
    return errno == ESRCH ? "ESRCH" : errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT" : strerror(errno);
}

int main(void) {
    for (int round = 0; round < 3; ++round)
        printf("pinned to 1, runs on %d; pinned to 0, runs on %d\n", run_on(1), run_on(0));
    cpu_set_t set;
    sched_getaffinity(0, sizeof set, &set);
    printf("affinity now has %d CPU(s), CPU 0 among them: %s\n", CPU_COUNT(&set), CPU_ISSET(0, &set) ? "yes" : "no");
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CPU_SET(1, &set);
    sched_setaffinity(0, sizeof set, &set);  // main may run anywhere again

    if (pipe(wake_pipe) != 0) return 1;
    pthread_t thread;
    if (pthread_create(&thread, NULL, worker, NULL) != 0) return 1;
    while (!atomic_load(&worker_tid)) sched_yield();
    int tid = atomic_load(&worker_tid);

    // A running thread moves when another thread pins it.
    for (int round = 0; round < 2; ++round) {
        for (int cpu = 1; cpu >= 0; --cpu) {
            atomic_store(&worker_cpu, -1);
            int result = pin(tid, cpu);
            printf("running worker pinned to %d: %s, seen there: %s\n", cpu, error_name(result), seen_on(cpu));
        }
    }
    sched_getaffinity(tid, sizeof set, &set);
    printf("worker's affinity by tid: %d CPU(s), CPU 0 among them: %s\n", CPU_COUNT(&set),
           CPU_ISSET(0, &set) ? "yes" : "no");
    long head = 0;
    size_t length = 0;
    long result = syscall(SYS_get_robust_list, tid, &head, &length);
    printf("worker's robust list by tid: %s, the one it set: %s, length %zu\n", error_name((int)result),
           head == atomic_load(&worker_robust_list) ? "yes" : "no", length);

    // A blocked thread wakes up on the CPU it was pinned to while it slept.
    atomic_store(&spin, 0);
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);  // the worker is in read() by now
    atomic_store(&worker_cpu, -1);
    printf("blocked worker pinned to 1: %s\n", error_name(pin(tid, 1)));
    if (write(wake_pipe[1], "x", 1) != 1) return 1;
    pthread_join(thread, NULL);
    printf("woken worker ran on %d\n", atomic_load(&worker_cpu));

    // Tids that name no thread. (Linux clears the tid that pthread_join waits for a
    // little before the thread is gone: wait for that.)
    int gone = 0;
    for (double until = seconds() + 5; !gone && seconds() < until; sched_yield())
        gone = sched_getaffinity(tid, sizeof set, &set) != 0 && errno == ESRCH;
    printf("exited worker's tid gone: %s; ", gone ? "yes" : "no");
    printf("setaffinity %s, ", error_name(pin(tid, 0)));
    printf("get_robust_list %s\n", error_name((int)syscall(SYS_get_robust_list, tid, &head, &length)));
    printf("tid 999999: %s; tid -5: %s\n", error_name(sched_getaffinity(999999, sizeof set, &set)),
           error_name(sched_getaffinity(-5, sizeof set, &set)));
    // Which check comes first, as Linux orders them.
    printf("tid 999999 with length 4: %s; ", error_name(sched_getaffinity(999999, 4, &set)));
    printf("with a bad mask pointer: %s; ", error_name(sched_setaffinity(999999, sizeof set, NULL)));
    printf("empty mask: %s\n", error_name(sched_setaffinity(0, 0, &set)));
    return 0;
}
