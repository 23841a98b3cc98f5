// UDP over the loopback interface, IPv4 (127.0.0.1) and IPv6 (::1): bind to an ephemeral
// port, sendto/recvfrom with the sender's address, connect/send/recv, getsockname and
// getpeername, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, FIONREAD, poll, a blocking recv woken
// by another thread, and the errors (EADDRINUSE, EADDRNOTAVAIL, EDESTADDRREQ, EINVAL,
// EAFNOSUPPORT, ENOTCONN). Port numbers are never printed: they differ run to run.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "outcome.h"

typedef union {
    struct sockaddr plain;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} Address;

static Address loopback(int family, unsigned short port) {
    Address a;
    memset(&a, 0, sizeof a);
    if (family == AF_INET) {
        a.in.sin_family = AF_INET;
        a.in.sin_port = htons(port);
        a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else {
        a.in6.sin6_family = AF_INET6;
        a.in6.sin6_port = htons(port);
        a.in6.sin6_addr = in6addr_loopback;
    }
    return a;
}

static socklen_t size_of(int family) {
    return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static unsigned short port_of(int fd) {
    Address a;
    socklen_t length = sizeof a;
    getsockname(fd, &a.plain, &length);
    return ntohs(a.plain.sa_family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
}

static void* send_later(void* argument) {
    Address* to = argument;
    struct timespec pause = {0, 50 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int s = socket(to->plain.sa_family, SOCK_DGRAM, 0);
    sendto(s, "late", 4, 0, &to->plain, size_of(to->plain.sa_family));
    close(s);
    return NULL;
}

static void run(int family) {
    const char* name = family == AF_INET ? "IPv4" : "IPv6";
    printf("---- %s\n", name);
    int server = socket(family, SOCK_DGRAM, 0);
    printf("socket: %s\n", server >= 0 ? "ok" : outcome(server));
    Address any = loopback(family, 0);
    printf("bind to the loopback address, port 0: %s\n", outcome(bind(server, &any.plain, size_of(family))));
    unsigned short port = port_of(server);
    printf("an ephemeral port was chosen: %s\n", port ? "yes" : "no");
    Address to = loopback(family, port);
    int client = socket(family, SOCK_DGRAM, 0);
    printf("sendto: %s\n", outcome(sendto(client, "hello", 5, 0, &to.plain, size_of(family))));
    printf("the client got a port: %s\n", port_of(client) ? "yes" : "no");
    int pending = -1;
    ioctl(server, FIONREAD, &pending);
    struct pollfd p = {.fd = server, .events = POLLIN | POLLOUT};
    int ready = poll(&p, 1, 0);
    printf("FIONREAD %d, poll %d revents 0x%x\n", pending, ready, p.revents);
    char buffer[64] = {0};
    printf("peek: %s\n", outcome(recv(server, buffer, sizeof buffer, MSG_PEEK)));
    Address from;
    socklen_t from_length = sizeof from;
    long got = recvfrom(server, buffer, sizeof buffer, 0, &from.plain, &from_length);
    int from_loopback = family == AF_INET ? from.in.sin_addr.s_addr == htonl(INADDR_LOOPBACK)
                                          : memcmp(&from.in6.sin6_addr, &in6addr_loopback, 16) == 0;
    unsigned short from_port = ntohs(family == AF_INET ? from.in.sin_port : from.in6.sin6_port);
    printf("recvfrom: %s '%.5s', from length %u, loopback %s, the client's port %s\n", outcome(got), buffer,
           from_length, from_loopback ? "yes" : "no", from_port == port_of(client) ? "yes" : "no");
    printf("nothing left, MSG_DONTWAIT: %s\n", outcome(recv(server, buffer, sizeof buffer, MSG_DONTWAIT)));
    long sent = sendto(server, "a longer reply", 14, 0, &from.plain, from_length);
    printf("reply: %s, ", outcome(sent));
    printf("received with room for 4 and MSG_TRUNC: %s\n", outcome(recv(client, buffer, 4, MSG_TRUNC)));
    sent = sendto(client, "", 0, 0, &to.plain, size_of(family));
    printf("an empty datagram: %s, ", outcome(sent));
    printf("%s\n", outcome(recv(server, buffer, sizeof buffer, 0)));

    printf("connect: %s\n", outcome(connect(client, &to.plain, size_of(family))));
    Address peer;
    socklen_t peer_length = sizeof peer;
    getpeername(client, &peer.plain, &peer_length);
    printf("getpeername is the server: %s\n",
           peer_length == size_of(family) && memcmp(&peer, &to, peer_length) == 0 ? "yes" : "no");
    sent = send(client, "connected", 9, 0);
    printf("send: %s, ", outcome(sent));
    printf("recv: %s\n", outcome(recv(server, buffer, sizeof buffer, 0)));
    Address unspecified = {.plain = {.sa_family = AF_UNSPEC}};
    long disconnected = connect(client, &unspecified.plain, sizeof unspecified);
    printf("connect AF_UNSPEC: %s, ", outcome(disconnected));
    printf("then send: %s\n", outcome(send(client, "x", 1, 0)));

    pthread_t thread;
    pthread_create(&thread, NULL, send_later, &to);
    got = recv(server, buffer, sizeof buffer, 0);
    printf("a blocking recv woken by another thread: %s\n", outcome(got));
    pthread_join(thread, NULL);

    int other = socket(family, SOCK_DGRAM, 0);
    printf("bind to the server's port again: %s\n", outcome(bind(other, &to.plain, size_of(family))));
    Address foreign = loopback(family, 0);
    if (family == AF_INET)
        foreign.in.sin_addr.s_addr = inet_addr("10.1.2.3");
    else
        inet_pton(AF_INET6, "2001:db8::1", &foreign.in6.sin6_addr);
    printf("bind to an address no interface has: %s\n", outcome(bind(other, &foreign.plain, size_of(family))));
    printf("bind with a short address: %s\n", outcome(bind(other, &any.plain, 8)));
    Address wrong = loopback(family == AF_INET ? AF_INET6 : AF_INET, 0);
    printf("bind with the other family: %s\n", outcome(bind(other, &wrong.plain, size_of(family))));
    printf("getpeername unconnected: %s\n", outcome(getpeername(other, &peer.plain, &peer_length)));
    close(other);
    close(client);
    close(server);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    run(AF_INET);
    run(AF_INET6);
    return 0;
}
