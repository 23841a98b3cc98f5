// Sleeps until killed, with a second thread spinning on another CPU: what ehyve must be
// able to stop on SIGINT or SIGTERM.
#include <pthread.h>
#include <unistd.h>

static void* spin(void* arg) {
    volatile unsigned long* counter = arg;
    for (;;) ++*counter;
    return NULL;
}

int main(void) {
    static volatile unsigned long counter;
    pthread_t thread;
    pthread_create(&thread, NULL, spin, (void*)&counter);
    for (;;) pause();
}
