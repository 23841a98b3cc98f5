/* UDP request/response across a real network, both ways: the same static program runs
 * on the host and in the guest.
 *   udp_echo server PORT COUNT      echo COUNT datagrams back to their senders, then exit
 *   udp_echo client HOST PORT COUNT SIZE
 *                                   send COUNT numbered datagrams of SIZE bytes and check
 *                                   each echo; a lost one is sent again (the first may
 *                                   wait for address resolution), up to 5 times
 * HOST is numeric (IPv4 or IPv6). Prints one line and exits 0 on success. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char* what) {
    printf("udp_echo: %s: %s\n", what, strerror(errno));
    return 1;
}

static int server(int port, long count) {
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    if (s < 0) return fail("socket");
    int off = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    struct sockaddr_in6 address = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    if (bind(s, (struct sockaddr*)&address, sizeof address) < 0) return fail("bind");
    printf("udp_echo: listening on %d\n", port);
    fflush(stdout);
    char buffer[65536];
    for (long i = 0; i < count; ++i) {
        struct sockaddr_storage peer;
        socklen_t length = sizeof peer;
        ssize_t n = recvfrom(s, buffer, sizeof buffer, 0, (struct sockaddr*)&peer, &length);
        if (n < 0) return fail("recvfrom");
        if (sendto(s, buffer, n, 0, (struct sockaddr*)&peer, length) != n) return fail("sendto");
    }
    printf("udp_echo: echoed %ld datagrams\n", count);
    return 0;
}

static int client(const char* host, const char* port, long count, size_t size) {
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo* target;
    int error = getaddrinfo(host, port, &hints, &target);
    if (error) {
        printf("udp_echo: %s: %s\n", host, gai_strerror(error));
        return 1;
    }
    int s = socket(target->ai_family, SOCK_DGRAM, 0);
    if (s < 0) return fail("socket");
    if (connect(s, target->ai_addr, target->ai_addrlen) < 0) return fail("connect");
    struct timeval timeout = {.tv_sec = 1};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char* out = malloc(size);
    char* in = malloc(size + 1);
    long resent = 0;
    for (long i = 0; i < count; ++i) {
        for (size_t j = 0; j < size; ++j) out[j] = (char)(i * 31 + j);
        memcpy(out, &i, size < sizeof i ? size : sizeof i);
        int tries = 0;
        for (;;) {
            if (send(s, out, size, 0) != (ssize_t)size) return fail("send");
            ssize_t n = recv(s, in, size + 1, 0);
            if (n == (ssize_t)size && memcmp(in, out, size) == 0) break;
            if (n >= 0 && n != (ssize_t)size) {
                printf("udp_echo: datagram %ld came back with %zd bytes, not %zu\n", i, n, size);
                return 1;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return fail("recv");
            if (n < 0 && ++tries == 5) {
                printf("udp_echo: datagram %ld: no echo after 5 tries\n", i);
                return 1;
            }
            /* an echo of an earlier, resent datagram, or none yet: send again */
            ++resent;
        }
    }
    printf("udp_echo: %ld datagrams of %zu bytes echoed\n", count, size);
    if (resent) fprintf(stderr, "udp_echo: %ld resent\n", resent);
    return 0;
}

int main(int argc, char** argv) {
    if (argc == 4 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]), atol(argv[3]));
    if (argc == 6 && strcmp(argv[1], "client") == 0)
        return client(argv[2], argv[3], atol(argv[4]), (size_t)atol(argv[5]));
    fprintf(stderr, "usage: udp_echo server PORT COUNT | client HOST PORT COUNT SIZE\n");
    return 2;
}
