// slow_get: an HTTP/1.1 GET from a client with a tiny receive window, for
// fetch_files.sh. It writes the body to stdout and exits 0 only for a 200 whose body
// has exactly its Content-Length.
//
//   slow_get HOST_IPV4 PORT PATH
//
// Why not curl: on a host with large socket buffers (tcp_rmem/tcp_wmem autotuning,
// BBR) a reader as fast as curl never fills the server's send buffer, so a server that
// mishandles short writes still passes. A 4 KiB SO_RCVBUF, set before connect so that
// the window scale stays small, and a pause before the first read keep the server's
// window, congestion window and autotuned send buffer small: its writes come back short
// or with EAGAIN, which is the path under test.
#define _GNU_SOURCE  // strcasestr
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECEIVE_BUFFER 4096
#define HEAD_LIMIT 16384

static void fail(const char* what) {
    fprintf(stderr, "slow_get: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "slow_get: usage: slow_get HOST_IPV4 PORT PATH\n");
        return 2;
    }
    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) {
        fprintf(stderr, "slow_get: bad address %s\n", argv[1]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");
    int size = RECEIVE_BUFFER;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0) fail("setsockopt(SO_RCVBUF)");
    if (connect(fd, (struct sockaddr*)&address, sizeof address) < 0) fail("connect");

    char request[4096];
    int length =
        snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", argv[3], argv[1]);
    if (length < 0 || (size_t)length >= sizeof request) {
        errno = 0;
        fail("path too long");
    }
    if (write(fd, request, (size_t)length) != length) fail("write");

    // Let the server run into the full window before we start draining it.
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 200L * 1000 * 1000};
    nanosleep(&pause, NULL);

    static char head[HEAD_LIMIT + 1];
    size_t head_length = 0;
    char* body_start = NULL;
    while (body_start == NULL) {
        if (head_length == HEAD_LIMIT) {
            errno = 0;
            fail("response head too long");
        }
        ssize_t got = read(fd, head + head_length, HEAD_LIMIT - head_length);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail("read");
        if (got == 0) {
            errno = 0;
            fail("connection closed before the end of the response head");
        }
        head_length += (size_t)got;
        head[head_length] = '\0';
        body_start = strstr(head, "\r\n\r\n");
    }
    body_start += 4;
    if (strncmp(head, "HTTP/1.1 200 ", 13) != 0) {
        errno = 0;
        fail("status is not 200");
    }
    char* length_header = strcasestr(head, "\r\nContent-Length:");
    if (length_header == NULL || length_header > body_start) {
        errno = 0;
        fail("no Content-Length");
    }
    unsigned long long expected = strtoull(length_header + 17, NULL, 10);

    unsigned long long received = (unsigned long long)(head + head_length - body_start);
    if (fwrite(body_start, 1, (size_t)received, stdout) != (size_t)received) fail("stdout");
    static char buffer[65536];
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) fail("read");
        if (got == 0) break;
        received += (unsigned long long)got;
        if (fwrite(buffer, 1, (size_t)got, stdout) != (size_t)got) fail("stdout");
    }
    if (received != expected) {
        fprintf(stderr, "slow_get: %llu body bytes, Content-Length said %llu\n", received, expected);
        return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
