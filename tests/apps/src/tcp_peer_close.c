// What a TCP end sees when its peer closes, as event loops rely on it: after the peer's
// shutdown(SHUT_WR) epoll reports EPOLLIN|EPOLLRDHUP (edge-triggered: once), poll
// reports POLLRDHUP, read returns 0 while the other direction still carries data; after
// the peer's close the last bytes it sent are still read first. IPv4 and IPv6 over
// loopback.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "outcome.h"

static const char* events_text(unsigned events) {
    static char text[96];
    text[0] = 0;
    if (events & EPOLLIN) strcat(text, "IN ");
    if (events & EPOLLOUT) strcat(text, "OUT ");
    if (events & EPOLLRDHUP) strcat(text, "RDHUP ");
    if (events & EPOLLHUP) strcat(text, "HUP ");
    if (events & EPOLLERR) strcat(text, "ERR ");
    if (!text[0]) strcpy(text, "none");
    return text;
}

// A connected pair over loopback of `family`: *client and *server.
static int connect_pair(int family, int* client, int* server) {
    struct sockaddr_storage address = {0};
    socklen_t length;
    if (family == AF_INET) {
        struct sockaddr_in* a = (struct sockaddr_in*)&address;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        length = sizeof *a;
    } else {
        struct sockaddr_in6* a = (struct sockaddr_in6*)&address;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        length = sizeof *a;
    }
    int listener = socket(family, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr*)&address, length) < 0 || listen(listener, 1) < 0) return -1;
    getsockname(listener, (struct sockaddr*)&address, &length);
    *client = socket(family, SOCK_STREAM, 0);
    if (connect(*client, (struct sockaddr*)&address, length) < 0) return -1;
    *server = accept(listener, NULL, NULL);
    close(listener);
    return *server < 0 ? -1 : 0;
}

// Waits for the edge, up to 2 s.
static unsigned wait_events(int epoll) {
    struct epoll_event event;
    int n = epoll_wait(epoll, &event, 1, 2000);
    return n == 1 ? event.events : 0;
}

static void run(int family) {
    printf("%s:\n", family == AF_INET ? "IPv4" : "IPv6");
    int client, server;
    if (connect_pair(family, &client, &server) < 0) {
        printf("  no connection: %s\n", strerror(errno));
        return;
    }
    int epoll = epoll_create1(0);
    struct epoll_event watch = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = server};
    epoll_ctl(epoll, EPOLL_CTL_ADD, server, &watch);
    struct epoll_event none;
    printf("  before anything: %d ready\n", epoll_wait(epoll, &none, 1, 0));

    printf("  client sends 5 bytes: %s\n", outcome(send(client, "hello", 5, 0)));
    printf("  server's events: %s\n", events_text(wait_events(epoll)));
    printf("  client shutdown(SHUT_WR): %s\n", outcome(shutdown(client, SHUT_WR)));
    printf("  server's events: %s\n", events_text(wait_events(epoll)));
    printf("  again (edge-triggered): %d ready\n", epoll_wait(epoll, &none, 1, 100));
    char buffer[64];
    printf("  server reads: %s\n", outcome(read(server, buffer, sizeof buffer)));
    printf("  server reads again: %s (end of file)\n", outcome(read(server, buffer, sizeof buffer)));
    struct pollfd p = {.fd = server, .events = POLLIN | POLLOUT | POLLRDHUP};
    poll(&p, 1, 0);
    printf("  poll: %s%s%s\n", p.revents & POLLIN ? "IN " : "", p.revents & POLLOUT ? "OUT " : "",
           p.revents & POLLRDHUP ? "RDHUP" : "");
    printf("  server still sends 6 bytes: %s\n", outcome(send(server, "world!", 6, MSG_NOSIGNAL)));
    ssize_t got = recv(client, buffer, 6, MSG_WAITALL);
    printf("  client reads them: %s (%.*s)\n", outcome(got), got > 0 ? (int)got : 0, buffer);
    printf("  server closes: %s\n", outcome(close(server)));
    printf("  client reads: %s (end of file)\n", outcome(recv(client, buffer, sizeof buffer, 0)));
    close(client);
    close(epoll);
}

int main(void) {
    run(AF_INET);
    run(AF_INET6);
    return 0;
}
