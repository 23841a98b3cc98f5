// Robust mutexes: a thread that exits holding one hands it to the next locker with
// EOWNERDEAD (the kernel walks the dead thread's robust list), whether that locker comes
// later or is already waiting; a mutex left inconsistent becomes ENOTRECOVERABLE.
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t robust;
static volatile int locked;  // set by the owner once it holds the mutex

static const char* name(int error) {
    switch (error) {
        case 0: return "0";
        case EOWNERDEAD: return "EOWNERDEAD";
        case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
        case EBUSY: return "EBUSY";
        default: return strerror(error);
    }
}

// Locks the mutex and exits without unlocking it, after `linger_ms`.
static void* owner(void* arg) {
    int linger_ms = *(int*)arg;
    if (pthread_mutex_lock(&robust) != 0) return (void*)1;
    __atomic_store_n(&locked, 1, __ATOMIC_RELEASE);
    struct timespec pause = {0, linger_ms * 1000000L};
    nanosleep(&pause, NULL);
    return NULL;  // exits holding the mutex
}

enum { held_count = 5 };
static pthread_mutex_t held[held_count];

static void* hold_all(void* arg) {
    (void)arg;
    for (int i = 0; i < held_count; ++i) pthread_mutex_lock(&held[i]);
    return NULL;
}

static void make_robust(void) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &attr);
    pthread_mutexattr_destroy(&attr);
}

static void start_owner(pthread_t* thread, int* linger_ms) {
    locked = 0;
    pthread_create(thread, NULL, owner, linger_ms);
    while (!__atomic_load_n(&locked, __ATOMIC_ACQUIRE)) sched_yield();
}

int main(void) {
    pthread_t thread;
    int linger_ms = 0;

    // 1. The owner has exited before anyone else tries.
    make_robust();
    start_owner(&thread, &linger_ms);
    pthread_join(thread, NULL);
    printf("lock after the owner exited: %s\n", name(pthread_mutex_lock(&robust)));
    printf("consistent: %s\n", name(pthread_mutex_consistent(&robust)));
    printf("unlock: %s\n", name(pthread_mutex_unlock(&robust)));
    printf("lock again: %s\n", name(pthread_mutex_lock(&robust)));
    printf("unlock: %s\n", name(pthread_mutex_unlock(&robust)));

    // 2. A waiter is already blocked when the owner exits.
    linger_ms = 50;
    start_owner(&thread, &linger_ms);
    printf("trylock while owned: %s\n", name(pthread_mutex_trylock(&robust)));
    printf("blocking lock, owner exits meanwhile: %s\n", name(pthread_mutex_lock(&robust)));
    pthread_join(thread, NULL);
    printf("consistent: %s\n", name(pthread_mutex_consistent(&robust)));
    printf("unlock: %s\n", name(pthread_mutex_unlock(&robust)));

    // 3. Unlocked without being made consistent: no one can lock it any more.
    linger_ms = 0;
    start_owner(&thread, &linger_ms);
    pthread_join(thread, NULL);
    printf("lock: %s\n", name(pthread_mutex_lock(&robust)));
    printf("unlock without consistent: %s\n", name(pthread_mutex_unlock(&robust)));
    printf("lock: %s\n", name(pthread_mutex_lock(&robust)));

    // 4. Several robust mutexes held at exit: every one is released.
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (int i = 0; i < held_count; ++i) pthread_mutex_init(&held[i], &attr);
    pthread_create(&thread, NULL, hold_all, NULL);
    pthread_join(thread, NULL);
    int dead = 0;
    for (int i = 0; i < held_count; ++i) dead += pthread_mutex_lock(&held[i]) == EOWNERDEAD;
    printf("mutexes held at exit that came back EOWNERDEAD: %d of %d\n", dead, held_count);
    return 0;
}
