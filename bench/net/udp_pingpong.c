// UDP ping-pong over loopback: one process, two threads, each with a UDP socket
// bound to 127.0.0.1 and connected to the other. The client sends a 1-byte datagram,
// the server answers with a 1-byte datagram. Reports the median over BATCHES batches
// of ROUND_TRIPS round trips (after a warm-up batch) in µs per round trip. On
// loopback with one datagram in flight nothing is expected to be lost; a lost
// datagram would hang the run (run.sh's timeout catches it).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

#define ROUND_TRIPS 20000
#define WARMUP 2000
#define BATCHES 5
#define STOP 'q'  // the client's last datagram: the server returns

static void recv_byte(int fd, char* c) {
    for (;;) {
        ssize_t n = recv(fd, c, 1, 0);
        if (n == 1) return;
        if (n >= 0) die("recv: a datagram of %zd bytes", n);
        if (errno != EINTR) die("recv: %s", strerror(errno));
    }
}

static void send_byte(int fd, char c) {
    for (;;) {
        ssize_t n = send(fd, &c, 1, 0);
        if (n == 1) return;
        if (n < 0 && errno != EINTR) die("send: %s", strerror(errno));
    }
}

static int bound_socket(struct sockaddr_in* addr) {
    *addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = 0};
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    check_sys(fd, "socket");
    check_sys(bind(fd, (struct sockaddr*)addr, sizeof *addr), "bind");
    check_sys(getsockname(fd, (struct sockaddr*)addr, &len), "getsockname");
    return fd;
}

// The server: echoes each datagram until STOP.
static void* server(void* arg) {
    int fd = (int)(intptr_t)arg;
    char c;
    for (;;) {
        recv_byte(fd, &c);
        if (c == STOP) return NULL;
        send_byte(fd, c);
    }
}

static void round_trips(int fd, long n) {
    char c = 'x', r;
    for (long i = 0; i < n; ++i) {
        send_byte(fd, c);
        recv_byte(fd, &r);
        if (r != c) die("wrong reply");
    }
}

int main(void) {
    bench_name = "udp_pingpong";
    struct sockaddr_in client_addr, server_addr;
    int client = bound_socket(&client_addr);
    int srv = bound_socket(&server_addr);
    check_sys(connect(client, (struct sockaddr*)&server_addr, sizeof server_addr), "connect (client)");
    check_sys(connect(srv, (struct sockaddr*)&client_addr, sizeof client_addr), "connect (server)");

    pthread_t t;
    check_err(pthread_create(&t, NULL, server, (void*)(intptr_t)srv), "pthread_create");

    round_trips(client, WARMUP);
    double us[BATCHES];
    for (int b = 0; b < BATCHES; ++b) {
        uint64_t t0 = now_ns();
        round_trips(client, ROUND_TRIPS);
        us[b] = (double)(now_ns() - t0) / 1000.0 / ROUND_TRIPS;
    }
    send_byte(client, STOP);
    check_err(pthread_join(t, NULL), "pthread_join");
    check_sys(close(client), "close (client)");
    check_sys(close(srv), "close (server)");

    result("udp_roundtrip_us", median(us, BATCHES));
    return finish();
}
