// main exits while another thread spins forever: the whole process ends with main's
// status (exit_group), on Linux and in Eremite, on any number of CPUs.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void* spin(void* arg) {
    volatile unsigned long* counter = arg;
    for (;;) ++*counter;
    return NULL;
}

int main(void) {
    static volatile unsigned long counter;
    pthread_t thread;
    pthread_create(&thread, NULL, spin, (void*)&counter);
    struct timespec pause = {0, 50 * 1000000};
    nanosleep(&pause, NULL);
    printf("spinner made progress: %s\n", counter > 0 ? "yes" : "no");
    fflush(stdout);
    exit(3);
}
