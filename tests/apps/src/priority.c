// Thread priorities (nice values): getpriority/setpriority on the calling thread and
// inheritance by a new thread. Raising the priority needs privilege, natively and in
// Eremite alike (both run as the same user).
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>

static void* report(void* arg) {
    (void)arg;
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    printf("new thread inherits nice %d (errno %d)\n", nice, errno);
    return NULL;
}

int main(void) {
    errno = 0;
    printf("initial nice %d (errno %d)\n", getpriority(PRIO_PROCESS, 0), errno);
    printf("setpriority(+5): %d\n", setpriority(PRIO_PROCESS, 0, 5));
    printf("now %d\n", getpriority(PRIO_PROCESS, 0));
    pthread_t thread;
    pthread_create(&thread, NULL, report, NULL);
    pthread_join(thread, NULL);
    int clamped = setpriority(PRIO_PROCESS, 0, 30);
    printf("setpriority(+30) clamps: %d, now %d\n", clamped, getpriority(PRIO_PROCESS, 0));
    int raised = setpriority(PRIO_PROCESS, 0, -3);
    printf("raising to -3: %s\n", raised == 0 ? "allowed" : (errno == EACCES ? "EACCES" : "other error"));
    return 0;
}
