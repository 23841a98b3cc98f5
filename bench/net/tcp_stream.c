// TCP streaming over loopback: one process, two threads connected through
// 127.0.0.1. The sender writes TOTAL bytes in CHUNK-byte writes and closes; the
// receiver reads with CHUNK-byte reads and counts until end of file. Reports MB/s
// (10^6 bytes per second) from just before the first write to the last byte read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "loopback.h"

#define CHUNK (64 * 1024)
#define TOTAL (256L * 1024 * 1024)

static uint64_t start_ns;  // set by the sender before its first write

struct receiver_result {
    long long bytes;
    uint64_t end_ns;  // when the last byte was read
};

static void* receiver(void* arg) {
    int listener = (int)(intptr_t)arg;
    int fd = accept(listener, NULL, NULL);
    check_sys(fd, "accept");
    check_sys(close(listener), "close (listener)");
    static char buf[CHUNK];
    static struct receiver_result r;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) {
            r.bytes += n;
            if (r.bytes == TOTAL) r.end_ns = now_ns();
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            die("read: %s", strerror(errno));
        }
    }
    check_sys(close(fd), "close (receiver)");
    return &r;
}

int main(void) {
    bench_name = "tcp_stream";
    pthread_t t;
    int fd = connect_to_server_thread(receiver, &t);

    static char buf[CHUNK];
    memset(buf, 'x', sizeof buf);
    start_ns = now_ns();
    for (long sent = 0; sent < TOTAL;) {
        ssize_t n = write(fd, buf + sent % CHUNK, (size_t)(CHUNK - sent % CHUNK));
        if (n > 0)
            sent += n;
        else if (n < 0 && errno != EINTR)
            die("write: %s", strerror(errno));
    }
    check_sys(close(fd), "close (sender)");

    void* ret;
    check_err(pthread_join(t, &ret), "pthread_join");
    const struct receiver_result* r = ret;
    if (r->bytes != TOTAL) die("received %lld bytes, sent %ld", r->bytes, TOTAL);

    result("tcp_stream_mbps", (double)TOTAL / 1e6 / ((double)(r->end_ns - start_ns) / 1e9));
    return finish();
}
