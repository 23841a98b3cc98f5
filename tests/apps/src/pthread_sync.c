// pthread primitives end to end: barriers, rwlocks, TLS destructors, timed waits on
// condition variables and mutexes, detached threads, 1000 threads created and joined.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define WORKERS 4

static pthread_barrier_t barrier;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static long shared_value;
static pthread_key_t key;
static int destructor_runs;
static pthread_mutex_t destructor_lock = PTHREAD_MUTEX_INITIALIZER;

static void tls_destructor(void* value) {
    pthread_mutex_lock(&destructor_lock);
    destructor_runs += *(int*)value;
    pthread_mutex_unlock(&destructor_lock);
    free(value);
}

static void* worker(void* arg) {
    long id = (long)arg;
    int* mine = malloc(sizeof *mine);
    *mine = 1;
    pthread_setspecific(key, mine);
    for (int round = 0; round < 50; ++round) {
        pthread_rwlock_wrlock(&rwlock);
        shared_value += id;
        pthread_rwlock_unlock(&rwlock);
        pthread_rwlock_rdlock(&rwlock);
        volatile long seen = shared_value;
        (void)seen;
        pthread_rwlock_unlock(&rwlock);
        pthread_barrier_wait(&barrier);
    }
    return (void*)(id * 10);
}

static void* trivial(void* arg) { return arg; }

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void* try_timedlock(void* deadline) { return (void*)(long)pthread_mutex_timedlock(&held, deadline); }

int main(void) {
    pthread_barrier_init(&barrier, NULL, WORKERS);
    pthread_key_create(&key, tls_destructor);
    pthread_t threads[WORKERS];
    for (long i = 0; i < WORKERS; ++i) pthread_create(&threads[i], NULL, worker, (void*)(i + 1));
    long results = 0;
    for (int i = 0; i < WORKERS; ++i) {
        void* value;
        pthread_join(threads[i], &value);
        results += (long)value;
    }
    printf("barrier rounds done, shared=%ld, joined=%ld, tls destructors=%d\n", shared_value, results, destructor_runs);

    // A timed wait that nobody signals times out, after at least the time asked for.
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec start, deadline, end;
    clock_gettime(CLOCK_REALTIME, &start);
    deadline = start;
    deadline.tv_nsec += 30 * 1000000;
    if (deadline.tv_nsec >= 1000000000) deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
    pthread_mutex_lock(&m);
    int rc = pthread_cond_timedwait(&c, &m, &deadline);
    pthread_mutex_unlock(&m);
    clock_gettime(CLOCK_REALTIME, &end);
    long waited_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    printf("cond_timedwait: %s, waited >= 30 ms: %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "other",
           waited_ms >= 29 ? "yes" : "no");

    // A mutex held elsewhere: timedlock times out.
    pthread_mutex_lock(&held);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 10 * 1000000;
    if (deadline.tv_nsec >= 1000000000) deadline.tv_sec++, deadline.tv_nsec -= 1000000000;
    pthread_t other;
    pthread_create(&other, NULL, try_timedlock, &deadline);
    void* outcome;
    pthread_join(other, &outcome);
    pthread_mutex_unlock(&held);
    printf("mutex_timedlock on a held mutex: %s\n", (long)outcome == ETIMEDOUT ? "ETIMEDOUT" : "other");

    // 1000 threads, 100 at a time.
    long sum = 0;
    for (int batch = 0; batch < 10; ++batch) {
        pthread_t many[100];
        for (long i = 0; i < 100; ++i) pthread_create(&many[i], NULL, trivial, (void*)i);
        for (int i = 0; i < 100; ++i) {
            void* value;
            pthread_join(many[i], &value);
            sum += (long)value;
        }
    }
    printf("1000 threads joined, sum=%ld\n", sum);
    return 0;
}
