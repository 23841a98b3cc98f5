// TCP ping-pong over loopback: one process, two threads connected through
// 127.0.0.1 with TCP_NODELAY on both ends. The client sends a 1-byte request, the
// server answers with a 1-byte reply. Reports the median over BATCHES batches of
// ROUND_TRIPS round trips (after a warm-up batch) in µs per round trip.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "loopback.h"

#define ROUND_TRIPS 20000
#define WARMUP 2000
#define BATCHES 5

static void set_nodelay(int fd) {
    int one = 1;
    check_sys(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "setsockopt(TCP_NODELAY)");
}

// Reads exactly one byte; returns 0 at end of file.
static int read_byte(int fd, char* c) {
    for (;;) {
        ssize_t n = read(fd, c, 1);
        if (n == 1) return 1;
        if (n == 0) return 0;
        if (errno != EINTR) die("read: %s", strerror(errno));
    }
}

static void write_byte(int fd, char c) {
    for (;;) {
        ssize_t n = write(fd, &c, 1);
        if (n == 1) return;
        if (n < 0 && errno != EINTR) die("write: %s", strerror(errno));
    }
}

// The server: echoes each byte until the client closes.
static void* server(void* arg) {
    int listener = (int)(intptr_t)arg;
    int fd = accept(listener, NULL, NULL);
    check_sys(fd, "accept");
    check_sys(close(listener), "close (listener)");
    set_nodelay(fd);
    char c;
    while (read_byte(fd, &c)) write_byte(fd, c);
    check_sys(close(fd), "close (server)");
    return NULL;
}

static void round_trips(int fd, long n) {
    char c = 'x', r;
    for (long i = 0; i < n; ++i) {
        write_byte(fd, c);
        if (!read_byte(fd, &r)) die("the server closed the connection");
        if (r != c) die("wrong reply");
    }
}

int main(void) {
    bench_name = "tcp_pingpong";
    pthread_t t;
    int fd = connect_to_server_thread(server, &t);
    set_nodelay(fd);

    round_trips(fd, WARMUP);
    double us[BATCHES];
    for (int b = 0; b < BATCHES; ++b) {
        uint64_t t0 = now_ns();
        round_trips(fd, ROUND_TRIPS);
        us[b] = (double)(now_ns() - t0) / 1000.0 / ROUND_TRIPS;
    }
    check_sys(close(fd), "close (client)");
    check_err(pthread_join(t, NULL), "pthread_join");

    result("tcp_roundtrip_us", median(us, BATCHES));
    return finish();
}
