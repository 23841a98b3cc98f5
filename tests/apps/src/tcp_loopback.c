// TCP over the loopback interface, IPv4 and IPv6: listen on an ephemeral port, accept in
// one thread while another connects, a request and its reply, 4 MiB each way with every
// byte checked, end of file after shutdown(SHUT_WR), the names of both ends, TCP_NODELAY,
// MSG_PEEK, FIONREAD, a nonblocking connect (EINPROGRESS, then writable and SO_ERROR 0),
// a nonblocking accept with nobody waiting, epoll on a listener, and the errors
// (ECONNREFUSED with no listener, EADDRINUSE, ENOTCONN, EISCONN). Ports are never
// printed: they differ run to run.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outcome.h"

#define BULK (4 * 1024 * 1024)

typedef union {
    struct sockaddr plain;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} Address;

static int family;
static socklen_t address_size(void) {
    return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}
static Address loopback(unsigned short port) {
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
static unsigned short port_of(const Address* a) {
    return ntohs(a->plain.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 10)); }

static ssize_t write_all(int fd, const uint8_t* data, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = write(fd, data + done, length - done);
        if (n <= 0) return n;
        done += (size_t)n;
    }
    return (ssize_t)done;
}
static ssize_t read_all(int fd, uint8_t* data, size_t length) {
    size_t done = 0;
    while (done < length) {
        ssize_t n = read(fd, data + done, length - done);
        if (n <= 0) return n < 0 ? n : (ssize_t)done;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static Address server_address;
// What the client thread saw, printed by the main thread after joining it (two threads
// printing would interleave differently run to run).
static char client_report[512];
static void* client(void* unused) {
    (void)unused;
    int c = socket(family, SOCK_STREAM, 0);
    if (connect(c, &server_address.plain, address_size()) != 0) {
        snprintf(client_report, sizeof client_report, "client connect: %s\n", outcome(-1));
        return NULL;
    }
    int on = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (write(c, "request", 7) != 7) return NULL;
    char reply[16] = {0};
    if (read(c, reply, 5) != 5) return NULL;
    // 4 MiB to the server, then 4 MiB back, checked on both sides.
    uint8_t* bulk = malloc(BULK);
    for (size_t i = 0; i < BULK; ++i) bulk[i] = pattern(i);
    ssize_t sent = write_all(c, bulk, BULK);
    memset(bulk, 0, BULK);
    ssize_t got = read_all(c, bulk, BULK);
    int right = got == BULK;
    for (size_t i = 0; right && i < BULK; ++i) right = bulk[i] == pattern(BULK - 1 - i);
    int at = snprintf(client_report, sizeof client_report, "client: reply '%s', sent %zd, got back %zd, content %s\n",
                      reply, sent, got, right ? "right" : "WRONG");
    free(bulk);
    shutdown(c, SHUT_WR);
    char byte;
    long last = read(c, &byte, 1);
    snprintf(client_report + at, sizeof client_report - (size_t)at,
             "client: after its SHUT_WR the server's close gives: %s\n", outcome(last));
    close(c);
    return NULL;
}

static void run(int which) {
    family = which;
    printf("---- %s\n", family == AF_INET ? "IPv4" : "IPv6");
    int listener = socket(family, SOCK_STREAM, 0);
    Address any = loopback(0);
    printf("bind: %s, ", outcome(bind(listener, &any.plain, address_size())));
    printf("listen: %s\n", outcome(listen(listener, 8)));
    socklen_t length = sizeof server_address;
    getsockname(listener, &server_address.plain, &length);
    printf("listening on an ephemeral port: %s\n", port_of(&server_address) ? "yes" : "no");
    int flag = 0;
    socklen_t size = sizeof flag;
    getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &flag, &size);
    printf("SO_ACCEPTCONN %d\n", flag);
    fcntl(listener, F_SETFL, O_NONBLOCK);
    printf("accept with nobody waiting: %s\n", outcome(accept(listener, NULL, NULL)));
    fcntl(listener, F_SETFL, 0);

    int ep = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &event);
    pthread_t thread;
    pthread_create(&thread, NULL, client, NULL);
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 5000);
    printf("epoll on the listener: %d, EPOLLIN %s\n", n, n == 1 && (out.events & EPOLLIN) ? "yes" : "no");
    Address peer;
    socklen_t peer_length = sizeof peer;
    int s = accept(listener, &peer.plain, &peer_length);
    printf("accept: %s, peer address length %u\n", s >= 0 ? "ok" : outcome(s), peer_length);
    Address local, remote;
    socklen_t local_length = sizeof local, remote_length = sizeof remote;
    getsockname(s, &local.plain, &local_length);
    getpeername(s, &remote.plain, &remote_length);
    printf("the server end's port is the listener's: %s; its peer is the accepted address: %s\n",
           port_of(&local) == port_of(&server_address) ? "yes" : "no",
           remote_length == peer_length && memcmp(&remote, &peer, peer_length) == 0 ? "yes" : "no");
    char request[16] = {0};
    long peeked = recv(s, request, 7, MSG_PEEK | MSG_WAITALL);
    int queued = -1;
    ioctl(s, FIONREAD, &queued);
    long got = read(s, request, 7);
    printf("peek: %s, FIONREAD %d, request: %s '%s'\n", outcome(peeked), queued, outcome(got), request);
    printf("reply: %s\n", outcome(write(s, "reply", 5)));
    uint8_t* bulk = malloc(BULK);
    ssize_t received = read_all(s, bulk, BULK);
    int right = received == BULK;
    for (size_t i = 0; right && i < BULK; ++i) right = bulk[i] == pattern(i);
    for (size_t i = 0; i < BULK; ++i) bulk[i] = pattern(BULK - 1 - i);
    ssize_t sent = write_all(s, bulk, BULK);
    printf("server: received %zd, content %s, sent back %zd\n", received, right ? "right" : "WRONG", sent);
    free(bulk);
    char byte;
    printf("server: end of file after the client's SHUT_WR: %s\n", outcome(read(s, &byte, 1)));
    close(s);
    pthread_join(thread, NULL);
    fputs(client_report, stdout);

    // Errors.
    int other = socket(family, SOCK_STREAM, 0);
    printf("bind to the listener's port: %s\n", outcome(bind(other, &server_address.plain, address_size())));
    printf("recv unconnected: %s, getpeername: %s\n", outcome(recv(other, &byte, 1, 0)),
           outcome(getpeername(other, &peer.plain, &peer_length)));
    close(listener);
    int refused = socket(family, SOCK_STREAM, 0);
    printf("connect with nobody listening: %s\n", outcome(connect(refused, &server_address.plain, address_size())));
    close(refused);
    close(other);

    // A nonblocking connect.
    listener = socket(family, SOCK_STREAM, 0);
    bind(listener, &any.plain, address_size());
    listen(listener, 1);
    length = sizeof server_address;
    getsockname(listener, &server_address.plain, &length);
    int c = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    long started = connect(c, &server_address.plain, address_size());
    printf("nonblocking connect: %s\n", started == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS" : outcome(started));
    struct pollfd p = {.fd = c, .events = POLLOUT};
    int polled = poll(&p, 1, 5000);
    int soerror = -1;
    size = sizeof soerror;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &soerror, &size);
    printf("then writable: %d (revents 0x%x), SO_ERROR %d\n", polled, p.revents, soerror);
    printf("connect again: %s\n", outcome(connect(c, &server_address.plain, address_size())));
    int nodelay = -1;
    size = sizeof nodelay;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size);
    printf("TCP_NODELAY by default %d, ", nodelay);
    nodelay = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size);
    printf("after setting %d\n", nodelay);
    int accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    printf("accept4 SOCK_CLOEXEC: %s\n", fcntl(accepted, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
    close(accepted);
    printf("the peer closed: read %s\n", outcome(read_all(c, (uint8_t*)&byte, 1)));
    close(c);

    // A listener closed with a connection it never accepted: that one is reset.
    int waiting = socket(family, SOCK_STREAM, 0);
    printf("connect to a listener that will not accept: %s\n",
           outcome(connect(waiting, &server_address.plain, address_size())));
    close(listener);
    printf("then the listener closes: recv %s\n", outcome(recv(waiting, &byte, 1, 0)));
    close(waiting);

    // Both ends closed cleanly (SHUT_WR each way): no error, the names stay readable.
    listener = socket(family, SOCK_STREAM, 0);
    int reuse = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    bind(listener, &any.plain, address_size());
    listen(listener, 4);
    length = sizeof server_address;
    getsockname(listener, &server_address.plain, &length);
    int a = socket(family, SOCK_STREAM, 0);
    Address wildcard = any;
    if (family == AF_INET)
        wildcard.in.sin_port = server_address.in.sin_port;
    else
        wildcard.in6.sin6_port = server_address.in6.sin6_port;
    wildcard.plain.sa_family = (sa_family_t)family;
    if (family == AF_INET)
        wildcard.in.sin_addr.s_addr = htonl(INADDR_ANY);
    else
        wildcard.in6.sin6_addr = in6addr_any;
    printf("connect to the wildcard address reaches loopback: %s\n",
           outcome(connect(a, &wildcard.plain, address_size())));
    int b = accept(listener, NULL, NULL);
    shutdown(a, SHUT_WR);
    printf("b reads end of file: %s\n", outcome(read(b, &byte, 1)));
    shutdown(b, SHUT_WR);
    printf("a reads end of file: %s\n", outcome(read(a, &byte, 1)));
    soerror = -1;
    size = sizeof soerror;
    getsockopt(a, SOL_SOCKET, SO_ERROR, &soerror, &size);
    peer_length = sizeof peer;
    long named = getpeername(a, &peer.plain, &peer_length);
    printf("after both FINs: SO_ERROR %d, getpeername %s\n", soerror, outcome(named));
    printf("send after both FINs (MSG_NOSIGNAL): %s\n", outcome(send(a, "x", 1, MSG_NOSIGNAL)));
    close(a);
    close(b);
    close(listener);
    // The port is in TIME-WAIT now; SO_REUSEADDR lets a new listener have it.
    listener = socket(family, SOCK_STREAM, 0);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    printf("bind the same port again with SO_REUSEADDR: %s\n",
           outcome(bind(listener, &server_address.plain, address_size())));
    close(listener);

    // Unconnected and refused.
    int lone = socket(family, SOCK_STREAM, 0);
    printf("send on an unconnected socket (MSG_NOSIGNAL): %s\n", outcome(send(lone, "x", 1, MSG_NOSIGNAL)));
    close(lone);
    int hopeful = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    long tried = connect(hopeful, &server_address.plain, address_size());
    printf("nonblocking connect with nobody listening: %s, ", outcome(tried));
    struct pollfd q = {.fd = hopeful, .events = POLLOUT};
    poll(&q, 1, 5000);
    soerror = -1;
    size = sizeof soerror;
    getsockopt(hopeful, SOL_SOCKET, SO_ERROR, &soerror, &size);
    printf("then SO_ERROR is ECONNREFUSED: %s\n", soerror == ECONNREFUSED ? "yes" : "no");
    close(hopeful);
    close(ep);
}

// An AF_INET6 listener on "::" takes IPv4 connections too (IPV6_V6ONLY is off by
// default) and names their peers ::ffff:a.b.c.d; with IPV6_V6ONLY it does not.
static void dual_stack(void) {
    printf("---- dual stack\n");
    for (int v6only = 0; v6only <= 1; ++v6only) {
        int listener = socket(AF_INET6, SOCK_STREAM, 0);
        int flag = -1;
        socklen_t size = sizeof flag;
        getsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &flag, &size);
        printf("IPV6_V6ONLY by default: %d; ", flag);
        setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        getsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &flag, &size);
        printf("set to %d\n", flag);
        struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
        bind(listener, (struct sockaddr*)&any, sizeof any);
        listen(listener, 2);
        socklen_t length = sizeof any;
        getsockname(listener, (struct sockaddr*)&any, &length);
        int client = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in to = {
            .sin_family = AF_INET, .sin_port = any.sin6_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        long connected = connect(client, (struct sockaddr*)&to, sizeof to);
        printf("an IPv4 client connects: %s\n", outcome(connected));
        if (connected == 0) {
            struct sockaddr_in6 peer;
            socklen_t peer_length = sizeof peer;
            int s = accept(listener, (struct sockaddr*)&peer, &peer_length);
            char text[64] = "?";
            inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
            printf("accepted: %s, peer family AF_INET6 %s, address %s\n", s >= 0 ? "yes" : "no",
                   peer.sin6_family == AF_INET6 ? "yes" : "no", text);
            printf("data across: %s\n", outcome(write(client, "v4", 2) == 2 && read(s, text, 2) == 2 ? 2 : -1));
            close(s);
        }
        close(client);
        close(listener);
    }
    int late = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    bind(late, (struct sockaddr*)&any, sizeof any);
    int on = 1;
    printf("IPV6_V6ONLY after bind: %s\n", outcome(setsockopt(late, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on)));
    close(late);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    run(AF_INET);
    run(AF_INET6);
    dual_stack();
    return 0;
}
