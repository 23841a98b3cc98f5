// A connection attempt nobody answers ends with ETIMEDOUT, after TCP_SYNCNT
// retransmissions of the SYN: over loopback, to a listener whose queue is full (listen
// with a backlog of 0 holds one connection; Linux and Eremite then drop further SYNs).
// A blocking connect (a nonblocking one waiting in poll would not time out over
// loopback alone: lwIP's timers run only while a thread waits inside a TCP call, or
// with a network device). TCP_SYNCNT's range is checked too. Times are not printed: only outcomes compare.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outcome.h"

static int attempt(int syn_count) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &syn_count, sizeof syn_count);
    return s;
}

int main(void) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    bind(listener, (struct sockaddr*)&address, sizeof address);
    printf("listen with backlog 0: %s\n", outcome(listen(listener, 0)));
    getsockname(listener, (struct sockaddr*)&address, &length);

    int value = 0;
    socklen_t size = sizeof value;
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    getsockopt(probe, IPPROTO_TCP, TCP_SYNCNT, &value, &size);
    printf("TCP_SYNCNT by default: %d\n", value);
    int bad[] = {0, -1, 128};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; ++i)
        printf("TCP_SYNCNT %d: %s\n", bad[i],
               outcome(setsockopt(probe, IPPROTO_TCP, TCP_SYNCNT, &bad[i], sizeof bad[i])));
    value = 2;
    printf("TCP_SYNCNT 2: %s\n", outcome(setsockopt(probe, IPPROTO_TCP, TCP_SYNCNT, &value, sizeof value)));
    getsockopt(probe, IPPROTO_TCP, TCP_SYNCNT, &value, &size);
    printf("reads back: %d\n", value);
    close(probe);

    int first = attempt(1);
    printf("the first connection (queued): %s\n", outcome(connect(first, (struct sockaddr*)&address, sizeof address)));

    int second = attempt(1);
    printf("the second, blocking: %s\n", outcome(connect(second, (struct sockaddr*)&address, sizeof address)));
    close(second);

    close(first);
    close(listener);
    return 0;
}
