// epoll: level- and edge-triggered, one-shot, EPOLLOUT and EPOLLHUP on pipes and
// eventfds, the errors of epoll_create1/epoll_ctl/epoll_wait in Linux's order, items
// that leave the set when their file closes (and stay while a dup keeps it open), a set
// inside a set (and ELOOP), poll on a set, blocking waits woken by another thread,
// timeouts, and maxevents taking every ready item in turn.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "outcome.h"

static int add(int ep, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event);
}

// One epoll_wait with a zero timeout, printed as "n: data/events ...".
static void show(const char* what, int ep, int max) {
    struct epoll_event events[8];
    int n = epoll_wait(ep, events, max, 0);
    printf("%s: %s", what, outcome(n));
    for (int i = 0; i < n; ++i) printf(" %llu/0x%x", (unsigned long long)events[i].data.u64, events[i].events);
    printf("\n");
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec / 1e9;
}

static int late_eventfd;
static void* write_later(void* unused) {
    (void)unused;
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    uint64_t one = 1;
    if (write(late_eventfd, &one, sizeof one) != sizeof one) perror("write");
    return NULL;
}

int main(void) {
    char byte = 'x';
    uint64_t one = 1;
    // The raw call: musl's epoll_create does not pass the size on.
    printf("epoll_create(0): %s\n", outcome(syscall(SYS_epoll_create, 0)));
    int sized = epoll_create(16);
    printf("epoll_create(16): %s\n", sized >= 0 ? "ok" : outcome(sized));
    close(sized);
    printf("epoll_create1(1): %s\n", outcome(epoll_create1(1)));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1(EPOLL_CLOEXEC): %s, FD_CLOEXEC %s\n", ep >= 0 ? "ok" : outcome(ep),
           fcntl(ep, F_GETFD) & FD_CLOEXEC ? "set" : "clear");

    // Level-triggered: reported for as long as the pipe has data.
    int p[2];
    if (pipe(p) != 0) return 1;
    printf("add pipe read end: %s\n", outcome(add(ep, p[0], EPOLLIN, 10)));
    show("empty pipe", ep, 8);
    if (write(p[1], &byte, 1) != 1) return 1;
    show("one byte", ep, 8);
    show("still there", ep, 8);
    if (read(p[0], &byte, 1) != 1) return 1;
    show("read", ep, 8);

    // Edge-triggered: once per wake-up, even when the state stays the same.
    int e = eventfd(0, EFD_NONBLOCK);
    printf("add eventfd, EPOLLET: %s\n", outcome(add(ep, e, EPOLLIN | EPOLLET, 20)));
    show("eventfd at 0", ep, 8);
    if (write(e, &one, sizeof one) != sizeof one) return 1;
    show("eventfd written", ep, 8);
    show("no new edge", ep, 8);
    if (write(e, &one, sizeof one) != sizeof one) return 1;
    show("written again", ep, 8);
    uint64_t counter;
    if (read(e, &counter, sizeof counter) != sizeof counter) return 1;
    printf("eventfd counter %llu\n", (unsigned long long)counter);

    // One-shot: once, until EPOLL_CTL_MOD re-arms it.
    int q[2];
    if (pipe2(q, O_NONBLOCK) != 0) return 1;
    printf("add, EPOLLONESHOT: %s\n", outcome(add(ep, q[0], EPOLLIN | EPOLLONESHOT, 30)));
    if (write(q[1], &byte, 1) != 1) return 1;
    show("one-shot fires", ep, 8);
    show("and stays quiet", ep, 8);
    struct epoll_event rearm = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 31};
    printf("mod re-arms: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_MOD, q[0], &rearm)));
    show("fires again", ep, 8);
    printf("del: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL)));
    show("after del", ep, 8);

    // EPOLLOUT on a write end: ready until the pipe is full.
    int w = epoll_create1(0);
    printf("add write end, EPOLLOUT: %s\n", outcome(add(w, q[1], EPOLLOUT, 40)));
    show("empty pipe writable", w, 8);
    char block[4096];
    memset(block, 'y', sizeof block);
    while (write(q[1], block, sizeof block) > 0) {
    }
    show("full pipe", w, 8);
    while (read(q[0], block, sizeof block) > 0) {
    }
    show("drained", w, 8);
    // The read end once the write end is closed: EPOLLHUP (and EPOLLIN with data).
    int hup = epoll_create1(0);
    add(hup, q[0], EPOLLIN | EPOLLRDHUP, 50);
    if (write(q[1], &byte, 1) != 1) return 1;
    close(q[1]);
    show("writer gone, a byte left", hup, 8);
    if (read(q[0], &byte, 1) != 1) return 1;
    show("writer gone, empty", hup, 8);

    // Errors, in Linux's order.
    printf("add again: %s\n", outcome(add(ep, p[0], EPOLLIN, 0)));
    struct epoll_event event = {.events = EPOLLIN};
    printf("mod missing: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &event)));
    printf("del missing: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], &event)));
    printf("add itself: %s\n", outcome(add(ep, ep, EPOLLIN, 0)));
    int regular = open("/", O_RDONLY | O_DIRECTORY);
    printf("add a directory: %s\n", outcome(add(ep, regular, EPOLLIN, 0)));
    printf("epfd not an epoll: %s\n", outcome(add(p[1], p[0], EPOLLIN, 0)));
    printf("bad epfd: %s; bad fd: %s\n", outcome(add(999, p[0], EPOLLIN, 0)), outcome(add(ep, 999, EPOLLIN, 0)));
    printf("NULL event: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL)));
    printf("bad op: %s\n", outcome(epoll_ctl(ep, 7, p[1], &event)));
    event.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
    printf("EPOLLEXCLUSIVE with EPOLLONESHOT: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &event)));
    struct epoll_event out[4];
    printf("wait maxevents 0: %s; ", outcome(epoll_wait(ep, out, 0, 0)));
    printf("on a pipe: %s; ", outcome(epoll_wait(p[0], out, 4, 0)));
    printf("bad fd: %s\n", outcome(epoll_wait(999, out, 4, 0)));

    // A closed file leaves the set; a dup keeps it (and its item) alive.
    int r[2];
    if (pipe(r) != 0) return 1;
    int kept = dup(r[0]);
    add(ep, r[0], EPOLLIN, 60);
    close(r[0]);
    if (write(r[1], &byte, 1) != 1) return 1;
    show("closed but dup'ed: still reported", ep, 8);
    close(kept);
    show("all descriptors closed: gone", ep, 8);
    printf("del of the closed fd: %s\n", outcome(epoll_ctl(ep, EPOLL_CTL_DEL, r[0], NULL)));
    close(r[1]);

    // A set inside a set.
    int inner = epoll_create1(0), outer = epoll_create1(0);
    int s[2];
    if (pipe(s) != 0) return 1;
    add(inner, s[0], EPOLLIN, 70);
    printf("add inner to outer: %s\n", outcome(add(outer, inner, EPOLLIN, 71)));
    printf("add outer to inner: %s\n", outcome(add(inner, outer, EPOLLIN, 72)));
    show("outer, nothing yet", outer, 8);
    if (write(s[1], &byte, 1) != 1) return 1;
    show("outer sees inner ready", outer, 8);
    struct pollfd pfd = {.fd = inner, .events = POLLIN};
    int polled = poll(&pfd, 1, 0);
    printf("poll on the inner set: %d, revents 0x%x\n", polled, pfd.revents);

    // Sets inside sets, built from the top down: Linux stops them five deep (ELOOP).
    int chain[7];
    chain[0] = epoll_create1(0);
    printf("a chain of sets:");
    for (int i = 1; i < 7; ++i) {
        chain[i] = epoll_create1(0);
        printf(" %s", outcome(add(chain[i - 1], chain[i], EPOLLIN, (uint64_t)i)));
    }
    printf("\n");
    for (int i = 0; i < 7; ++i) close(chain[i]);

    // Blocking: woken by another thread; and a timeout that runs out.
    int waiter = epoll_create1(0);
    late_eventfd = eventfd(0, 0);
    add(waiter, late_eventfd, EPOLLIN, 80);
    pthread_t thread;
    if (pthread_create(&thread, NULL, write_later, NULL) != 0) return 1;
    int n = epoll_wait(waiter, out, 4, -1);
    printf("blocking wait woken by a thread: %d, data %llu\n", n, (unsigned long long)out[0].data.u64);
    pthread_join(thread, NULL);
    if (read(late_eventfd, &counter, sizeof counter) != sizeof counter) return 1;
    double t0 = seconds();
    n = epoll_wait(waiter, out, 4, 100);
    double waited = seconds() - t0;
    printf("100 ms timeout: %d events, waited at least 100 ms: %s\n", n, waited >= 0.099 ? "yes" : "no");
    struct timespec zero = {0, 0};
    printf("epoll_pwait2 with a zero timeout: %s\n",
           outcome(syscall(SYS_epoll_pwait2, waiter, out, 4, &zero, NULL, 8)));
    printf("epoll_pwait, bad sigset size: %s\n", outcome(syscall(SYS_epoll_pwait, waiter, out, 4, 0, &zero, 3)));

    // maxevents 1 with three ready items: each call reports another one.
    int many = epoll_create1(0);
    int pipes[3][2];
    for (int i = 0; i < 3; ++i) {
        if (pipe(pipes[i]) != 0) return 1;
        add(many, pipes[i][0], EPOLLIN, 90 + i);
        if (write(pipes[i][1], &byte, 1) != 1) return 1;
    }
    int seen = 0;
    for (int i = 0; i < 3; ++i) {
        if (epoll_wait(many, out, 1, 0) == 1) seen |= 1 << (out[0].data.u64 - 90);
    }
    printf("three calls with maxevents 1 reported all three: %s\n", seen == 7 ? "yes" : "no");
    show("and all three at once", many, 8);

    // A set closed while it watches a pipe: the pipe goes on working without it.
    int gone = epoll_create1(0);
    int t[2];
    if (pipe(t) != 0) return 1;
    add(gone, t[0], EPOLLIN, 1);
    close(gone);
    printf("write to a pipe whose set was closed: %s\n", outcome(write(t[1], &byte, 1)));
    printf("and read it: %s\n", outcome(read(t[0], &byte, 1)));
    return 0;
}
