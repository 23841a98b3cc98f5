// Pipes, eventfd and waiting for readiness: poll, ppoll, select and pselect6 (called as
// raw syscalls where the test is about the syscall itself, so that each one is surely
// used whatever the C library prefers). Large transfers between threads are checked
// byte by byte and summed; PIPE_BUF writes from two threads must never interleave;
// blocked reads and writes end when the other side closes. Only what is deterministic
// is printed: counts, flags, errnos, and "yes"/"no" for timing bounds.
//
// With the argument "sigpipe" it ends by writing to a pipe with no reader while SIGPIPE
// has its default action: the process dies by SIGPIPE (status 141).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

static const char* error_name(int e) {
    switch (e) {
        case 0: return "0";
        case EAGAIN: return "EAGAIN";
        case EBADF: return "EBADF";
        case EBUSY: return "EBUSY";
        case EFAULT: return "EFAULT";
        case EINVAL: return "EINVAL";
        case EPIPE: return "EPIPE";
        case EPERM: return "EPERM";
        case ESPIPE: return "ESPIPE";
        default: return "other";
    }
}

// "-1 EAGAIN" or the value.
static void show(const char* what, long result) {
    if (result < 0)
        printf("%s: -1 %s\n", what, error_name(errno));
    else
        printf("%s: %ld\n", what, result);
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static uint8_t pattern(uint64_t i) { return (uint8_t)(i * 7 + (i >> 9) + (i >> 17)); }

// ---- big transfers between two threads --------------------------------------------

struct Transfer {
    int fd;
    uint64_t total;
    int nonblocking_with_poll;
};

static void* writer_thread(void* arg) {
    struct Transfer* t = arg;
    static uint8_t chunk[200000];
    uint64_t sent = 0;
    uint32_t seed = 12345;
    while (sent < t->total) {
        seed = seed * 1103515245 + 12345;
        uint64_t size = 1 + (seed >> 8) % sizeof chunk;
        if (size > t->total - sent) size = t->total - sent;
        for (uint64_t i = 0; i < size; ++i) chunk[i] = pattern(sent + i);
        uint64_t done = 0;
        while (done < size) {
            if (t->nonblocking_with_poll) {
                struct pollfd p = {t->fd, POLLOUT, 0};
                if (poll(&p, 1, -1) != 1 || !(p.revents & POLLOUT)) {
                    printf("writer: poll failed\n");
                    return NULL;
                }
            }
            ssize_t n = write(t->fd, chunk + done, size - done);
            if (n < 0 && errno == EAGAIN && t->nonblocking_with_poll) continue;
            if (n <= 0) {
                printf("writer: write failed: %s\n", error_name(errno));
                return NULL;
            }
            done += (uint64_t)n;
        }
        sent += size;
    }
    close(t->fd);
    return NULL;
}

static void transfer(const char* name, uint64_t total, int nonblocking_with_poll) {
    int fds[2];
    if (pipe2(fds, nonblocking_with_poll ? O_NONBLOCK : 0) != 0) {
        printf("pipe2 failed\n");
        return;
    }
    struct Transfer t = {fds[1], total, nonblocking_with_poll};
    pthread_t writer;
    pthread_create(&writer, NULL, writer_thread, &t);
    static uint8_t buffer[100000];
    uint64_t received = 0, wrong = 0, sum = 0xcbf29ce484222325ull, reads = 0;  // FNV-1a
    uint32_t seed = 777;
    for (;;) {
        seed = seed * 1103515245 + 12345;
        size_t want = 1 + (seed >> 8) % sizeof buffer;
        if (nonblocking_with_poll) {
            struct pollfd p = {fds[0], POLLIN, 0};
            if (poll(&p, 1, -1) != 1) {
                printf("reader: poll failed\n");
                break;
            }
        }
        ssize_t n = read(fds[0], buffer, want);
        if (n < 0 && errno == EAGAIN && nonblocking_with_poll) continue;
        if (n < 0) {
            printf("reader: read failed: %s\n", error_name(errno));
            break;
        }
        if (n == 0) break;
        ++reads;
        for (ssize_t i = 0; i < n; ++i) {
            if (buffer[i] != pattern(received + (uint64_t)i)) ++wrong;
            sum = (sum ^ buffer[i]) * 0x100000001b3ull;
        }
        received += (uint64_t)n;
    }
    pthread_join(writer, NULL);
    close(fds[0]);
    printf("%s: received %llu bytes, %llu wrong, checksum %016llx, reads > 0: %s\n", name, (unsigned long long)received,
           (unsigned long long)wrong, (unsigned long long)sum, reads ? "yes" : "no");
}

// ---- PIPE_BUF atomicity -------------------------------------------------------------

#define RECORDS 400
static int atomic_fd;

static void* record_writer(void* arg) {
    uint8_t record[PIPE_BUF];
    memset(record, (int)(long)arg, sizeof record);
    for (int i = 0; i < RECORDS; ++i) {
        if (write(atomic_fd, record, sizeof record) != (ssize_t)sizeof record) printf("record write failed\n");
    }
    return NULL;
}

static void atomic_writes(void) {
    int fds[2];
    pipe(fds);
    atomic_fd = fds[1];
    pthread_t a, b;
    pthread_create(&a, NULL, record_writer, (void*)1L);
    pthread_create(&b, NULL, record_writer, (void*)2L);
    uint8_t record[PIPE_BUF];
    int counts[3] = {0, 0, 0}, torn = 0;
    for (int r = 0; r < 2 * RECORDS; ++r) {
        size_t got = 0;
        while (got < sizeof record) {
            ssize_t n = read(fds[0], record + got, sizeof record - got);
            if (n <= 0) break;
            got += (size_t)n;
        }
        int first = record[0];
        for (size_t i = 1; i < sizeof record; ++i)
            if (record[i] != first) {
                ++torn;
                break;
            }
        if (first == 1 || first == 2) ++counts[first];
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("atomic writes: %d from one, %d from two, %d torn\n", counts[1], counts[2], torn);
    close(fds[0]);
    close(fds[1]);
}

// ---- blocked calls ended by a close -------------------------------------------------

static void* blocked_reader(void* arg) {
    char c;
    long n = read(*(int*)arg, &c, 1);
    return (void*)n;
}

static int blocked_write_errno;
static void* blocked_writer(void* arg) {
    static char big[100000];
    long n = write(*(int*)arg, big, sizeof big);  // fills the pipe, then blocks
    blocked_write_errno = n < 0 ? errno : 0;
    return (void*)n;
}

static void blocked_calls(void) {
    int fds[2];
    pipe(fds);
    pthread_t t;
    pthread_create(&t, NULL, blocked_reader, &fds[0]);
    sleep_ms(30);
    close(fds[1]);
    void* result;
    pthread_join(t, &result);
    printf("blocked read after the last writer closed: %ld\n", (long)result);
    close(fds[0]);

    pipe(fds);
    pthread_create(&t, NULL, blocked_writer, &fds[1]);
    int queued = 0;
    while (queued < 65536) {  // the writer has filled the pipe, and so blocks (or soon will)
        sleep_ms(5);
        ioctl(fds[0], FIONREAD, &queued);
    }
    sleep_ms(20);
    close(fds[0]);
    pthread_join(t, &result);
    // Linux returns what was written before the reader went away (a partial write).
    printf("blocked write after the last reader closed: %ld (%s)\n", (long)result,
           (long)result < 0 ? error_name(blocked_write_errno) : "partial");
    close(fds[1]);

    // A dup keeps the write end open: the reader goes on blocking until both close.
    pipe(fds);
    int copy = dup(fds[1]);
    close(fds[1]);
    write(copy, "x", 1);
    char c = 0;
    long n = read(fds[0], &c, 1);
    printf("through a dup: %ld '%c'\n", n, c);
    pthread_create(&t, NULL, blocked_reader, &fds[0]);
    sleep_ms(20);
    write(copy, "y", 1);
    pthread_join(t, &result);
    printf("blocked read woken by a write through the dup: %ld\n", (long)result);
    close(copy);
    n = read(fds[0], &c, 1);
    printf("read after the dup closed too: %ld\n", n);
    close(fds[0]);
}

// ---- basic semantics ---------------------------------------------------------------

static void basics(void) {
    int fds[2];
    show("pipe", pipe(fds));
    printf("fds are consecutive: %s\n", fds[1] == fds[0] + 1 ? "yes" : "no");
    show("write 5", write(fds[1], "hello", 5));
    int available = -1;
    show("FIONREAD", ioctl(fds[0], FIONREAD, &available));
    printf("FIONREAD says %d\n", available);
    char buffer[16] = {0};
    show("read 16", read(fds[0], buffer, sizeof buffer));
    printf("got '%s'\n", buffer);
    show("read end write", write(fds[0], "x", 1));
    show("write end read", read(fds[1], buffer, 1));
    show("lseek", lseek(fds[0], 0, SEEK_SET));
    show("pread", pread(fds[0], buffer, 1, 0));

    struct stat st, other;
    fstat(fds[0], &st);
    fstat(fds[1], &other);
    printf("fstat: S_ISFIFO %s, ends share an inode: %s\n", S_ISFIFO(st.st_mode) ? "yes" : "no",
           st.st_ino == other.st_ino ? "yes" : "no");

    show("F_GETPIPE_SZ", fcntl(fds[0], F_GETPIPE_SZ));
    show("F_SETPIPE_SZ 100000", fcntl(fds[1], F_SETPIPE_SZ, 100000));
    show("F_GETPIPE_SZ", fcntl(fds[0], F_GETPIPE_SZ));
    show("F_SETPIPE_SZ 0", fcntl(fds[0], F_SETPIPE_SZ, 0));
    show("F_SETPIPE_SZ 5000", fcntl(fds[0], F_SETPIPE_SZ, 5000));
    static char data[10000];
    show("write 8192", write(fds[1], data, 8192));
    show("F_SETPIPE_SZ 4096 with 8192 in it", fcntl(fds[0], F_SETPIPE_SZ, 4096));
    show("F_SETPIPE_SZ 1 MiB", fcntl(fds[0], F_SETPIPE_SZ, 1 << 20));
    available = -1;
    ioctl(fds[1], FIONREAD, &available);
    printf("FIONREAD on the write end: %d\n", available);
    show("read 10000", read(fds[0], data, 10000));
    int e = eventfd(0, 0);
    show("F_GETPIPE_SZ on an eventfd", fcntl(e, F_GETPIPE_SZ));
    show("F_SETPIPE_SZ on an eventfd", fcntl(e, F_SETPIPE_SZ, 4096));
    close(e);
    close(fds[0]);
    close(fds[1]);

    show("pipe2 bad flags", pipe2(fds, 0x40000000));
    show("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(fds, O_CLOEXEC | O_NONBLOCK));
    printf("FD_CLOEXEC %d %d, O_NONBLOCK %s %s\n", fcntl(fds[0], F_GETFD), fcntl(fds[1], F_GETFD),
           fcntl(fds[0], F_GETFL) & O_NONBLOCK ? "yes" : "no", fcntl(fds[1], F_GETFL) & O_NONBLOCK ? "yes" : "no");
    printf("access modes: %d %d\n", fcntl(fds[0], F_GETFL) & O_ACCMODE, fcntl(fds[1], F_GETFL) & O_ACCMODE);
    int reused[2];
    pipe(reused);
    fstat(reused[0], &other);
    fstat(fds[0], &st);
    printf("two pipes have different inodes: %s\n", st.st_ino != other.st_ino ? "yes" : "no");
    close(reused[0]);
    close(reused[1]);
    close(fds[0]);
    close(fds[1]);
    show("pipe(NULL)", syscall(SYS_pipe, NULL));
}

static void nonblocking(void) {
    int fds[2];
    pipe2(fds, O_NONBLOCK);
    char c;
    show("empty nonblocking read", read(fds[0], &c, 1));
    static char page[PIPE_BUF];
    long total = 0, n;
    while ((n = write(fds[1], page, sizeof page)) > 0) total += n;
    printf("filled with PIPE_BUF writes: %ld, then %s\n", total, error_name(errno));
    show("one more byte", write(fds[1], "x", 1));
    struct pollfd p[2] = {{fds[0], POLLIN | POLLOUT, 0}, {fds[1], POLLIN | POLLOUT, 0}};
    show("poll full pipe", poll(p, 2, 0));
    printf("revents read end %#x, write end %#x\n", p[0].revents, p[1].revents);
    show("read 100", read(fds[0], page, 100));
    show("PIPE_BUF write with 100 free", write(fds[1], page, sizeof page));
    show("poll write end", poll(&p[1], 1, 0));
    show("read 4096", read(fds[0], page, sizeof page));
    show("poll write end", poll(&p[1], 1, 0));
    printf("revents write end %#x\n", p[1].revents);
    static char big[100000];
    int drain = 0;
    while (read(fds[0], big, sizeof big) > 0) ++drain;
    show("write 100000 into an empty pipe", write(fds[1], big, sizeof big));
    show("write 1 more", write(fds[1], big, 1));
    while (read(fds[0], big, sizeof big) > 0) ++drain;

    // End of file, with and without data left.
    write(fds[1], "ab", 2);
    close(fds[1]);
    p[0].events = POLLIN;
    show("poll read end, writer gone, data left", poll(p, 1, 0));
    printf("revents %#x\n", p[0].revents);
    show("read 10", read(fds[0], big, 10));
    show("read at EOF", read(fds[0], big, 10));
    show("poll read end at EOF", poll(p, 1, 0));
    printf("revents %#x\n", p[0].revents);
    close(fds[0]);

    // No reader: EPIPE (SIGPIPE is ignored here).
    pipe(fds);
    close(fds[0]);
    show("write with no reader", write(fds[1], "x", 1));
    show("write of 0 bytes with no reader", write(fds[1], "x", 0));
    p[1].fd = fds[1];
    p[1].events = POLLOUT;
    show("poll write end, reader gone", poll(&p[1], 1, 0));
    printf("revents %#x\n", p[1].revents);
    close(fds[1]);
}

// ---- poll, select, ppoll, pselect6 ------------------------------------------------

static int late_fd, late_count = 1;
static void* late_writer(void* arg) {
    sleep_ms((int)(long)arg);
    write(late_fd, "!!", (size_t)late_count);
    return NULL;
}

static void polling(void) {
    int fds[2];
    pipe(fds);
    struct pollfd p[4] = {{fds[0], POLLIN, 0}, {-1, POLLIN, 0}, {1000, POLLIN, 0}, {1, POLLOUT, 0}};
    show("poll: empty pipe, fd -1, closed fd 1000, stdout", syscall(SYS_poll, p, 4, 0));
    printf("revents %#x %#x %#x %#x\n", p[0].revents, p[1].revents, p[2].revents, p[3].revents);

    double start = now_ms();
    show("poll 50 ms on an empty pipe", syscall(SYS_poll, p, 1, 50));
    double elapsed = now_ms() - start;
    printf("waited at least 50 ms: %s\n", elapsed >= 49.9 ? "yes" : "no");

    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    show("poll with nfds above RLIMIT_NOFILE", syscall(SYS_poll, NULL, limit.rlim_cur + 1, 0));
    show("poll with a bad pointer", syscall(SYS_poll, (void*)8, 1, 0));

    // ppoll: 50 ms timeout written back as what is left (0); a ready pipe leaves most of it.
    struct timespec ts = {0, 50 * 1000000};
    start = now_ms();
    show("ppoll 50 ms", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
    elapsed = now_ms() - start;
    printf("waited at least 50 ms: %s; timespec left %ld.%09ld\n", elapsed >= 49.9 ? "yes" : "no", (long)ts.tv_sec,
           ts.tv_nsec);
    write(fds[1], "a", 1);
    ts.tv_sec = 5;
    ts.tv_nsec = 0;
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    show("ppoll on a ready pipe with a mask", syscall(SYS_ppoll, p, 1, &ts, &mask, 8));
    // Most of it, unless this machine is so loaded that a ready ppoll took seconds.
    printf("timespec left below 5 s and above 0: %s\n",
           ts.tv_sec < 5 && (ts.tv_sec > 0 || ts.tv_nsec > 0) ? "yes" : "no");
    show("ppoll with a bad mask size", syscall(SYS_ppoll, p, 1, &ts, &mask, 4));
    ts.tv_nsec = 1000000000;
    show("ppoll with a bad timespec", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
    ts.tv_sec = 0;
    ts.tv_nsec = 0;
    show("ppoll with a zero timespec", syscall(SYS_ppoll, p, 1, &ts, NULL, 8));
    printf("timespec still %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    char c;
    read(fds[0], &c, 1);

    // select: the timeval is written back.
    fd_set readable, writable;
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    struct timeval tv = {0, 50000};
    start = now_ms();
    show("select 50 ms on an empty pipe", syscall(SYS_select, fds[0] + 1, &readable, NULL, NULL, &tv));
    elapsed = now_ms() - start;
    printf("waited at least 50 ms: %s; timeval left %ld.%06ld; bit %s\n", elapsed >= 49.9 ? "yes" : "no",
           (long)tv.tv_sec, (long)tv.tv_usec, FD_ISSET(fds[0], &readable) ? "set" : "clear");
    FD_ZERO(&readable);
    FD_ZERO(&writable);
    FD_SET(fds[0], &readable);
    FD_SET(fds[1], &readable);
    FD_SET(fds[0], &writable);
    FD_SET(fds[1], &writable);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    show("select both ends for both", syscall(SYS_select, fds[1] + 1, &readable, &writable, NULL, &tv));
    printf("read end readable %d writable %d; write end readable %d writable %d\n", FD_ISSET(fds[0], &readable),
           FD_ISSET(fds[0], &writable), FD_ISSET(fds[1], &readable), FD_ISSET(fds[1], &writable));
    FD_ZERO(&readable);
    FD_SET(50, &readable);  // below 64: Linux ignores bits past its descriptor table's size
    show("select on a closed fd", syscall(SYS_select, 51, &readable, NULL, NULL, &tv));
    tv.tv_usec = -1;
    show("select with a negative timeval", syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
    tv.tv_sec = 0;
    tv.tv_usec = 1500000;  // carries into the seconds
    FD_ZERO(&writable);
    FD_SET(fds[1], &writable);
    show("select with 1.5 s in tv_usec, ready", syscall(SYS_select, fds[1] + 1, NULL, &writable, NULL, &tv));
    printf("timeval normalized and below 1.5 s: %s\n",
           tv.tv_usec < 1000000 && tv.tv_sec * 1000000 + tv.tv_usec < 1500000 ? "yes" : "no");
    show("select with nfds -1", syscall(SYS_select, -1, NULL, NULL, NULL, NULL));

    // pselect6: a timespec, written back, and {mask, size}.
    struct {
        const sigset_t* mask;
        size_t size;
    } pack = {&mask, 8}, bad_pack = {&mask, 16};
    FD_ZERO(&readable);
    FD_SET(fds[0], &readable);
    ts.tv_sec = 0;
    ts.tv_nsec = 50 * 1000000;
    start = now_ms();
    show("pselect6 50 ms", syscall(SYS_pselect6, fds[0] + 1, &readable, NULL, NULL, &ts, &pack));
    elapsed = now_ms() - start;
    printf("waited at least 50 ms: %s; timespec left %ld.%09ld\n", elapsed >= 49.9 ? "yes" : "no", (long)ts.tv_sec,
           ts.tv_nsec);
    show("pselect6 with a bad mask size", syscall(SYS_pselect6, fds[0] + 1, &readable, NULL, NULL, &ts, &bad_pack));

    // Woken by another thread: select and pselect over three pipes, one written late.
    int many[3][2];
    for (int i = 0; i < 3; ++i) pipe(many[i]);
    late_fd = many[1][1];
    pthread_t t;
    pthread_create(&t, NULL, late_writer, (void*)20L);
    FD_ZERO(&readable);
    int highest = 0;
    for (int i = 0; i < 3; ++i) {
        FD_SET(many[i][0], &readable);
        if (many[i][0] > highest) highest = many[i][0];
    }
    show("select, no timeout, woken by a write", select(highest + 1, &readable, NULL, NULL, NULL));
    printf("ready: %d %d %d\n", FD_ISSET(many[0][0], &readable), FD_ISSET(many[1][0], &readable),
           FD_ISSET(many[2][0], &readable));
    pthread_join(t, NULL);
    read(many[1][0], &c, 1);

    late_fd = many[2][1];
    pthread_create(&t, NULL, late_writer, (void*)20L);
    struct pollfd q[3];
    for (int i = 0; i < 3; ++i) q[i] = (struct pollfd){many[i][0], POLLIN, 0};
    show("poll, no timeout, woken by a write", poll(q, 3, -1));
    printf("revents %#x %#x %#x\n", q[0].revents, q[1].revents, q[2].revents);
    pthread_join(t, NULL);
    read(many[2][0], &c, 1);

    // A blocked reader and a poller on one pipe: two bytes come, so whichever looks
    // first, the poller sees one.
    pthread_create(&t, NULL, blocked_reader, &many[0][0]);
    late_fd = many[0][1];
    late_count = 2;
    pthread_t w;
    pthread_create(&w, NULL, late_writer, (void*)20L);
    struct pollfd one = {many[0][0], POLLIN, 0};
    show("poll beside a blocked reader", poll(&one, 1, 20000));
    void* result;
    pthread_join(t, &result);
    pthread_join(w, NULL);
    printf("the blocked reader got %ld\n", (long)result);

    // A writer closing wakes a poller with POLLHUP.
    close(many[1][1]);
    one.fd = many[1][0];
    show("poll read end after the writer closed", poll(&one, 1, -1));
    printf("revents %#x\n", one.revents);
    for (int i = 0; i < 3; ++i) {
        close(many[i][0]);
        if (i != 1) close(many[i][1]);
    }
    close(fds[0]);
    close(fds[1]);
}

// ---- eventfd ---------------------------------------------------------------------

static int event_fd;
static void* late_event(void* arg) {
    sleep_ms(20);
    uint64_t value = (uint64_t)(long)arg;
    write(event_fd, &value, sizeof value);
    return NULL;
}
static void* late_event_read(void* arg) {
    (void)arg;
    sleep_ms(20);
    uint64_t value;
    read(event_fd, &value, sizeof value);
    return (void*)(long)value;
}

static void eventfds(void) {
    int e = eventfd(5, 0);
    uint64_t value = 3;
    show("eventfd write 3", write(e, &value, sizeof value));
    value = 4;
    show("eventfd write 4", write(e, &value, sizeof value));
    value = 0;
    show("eventfd read", read(e, &value, sizeof value));
    printf("counter was %llu\n", (unsigned long long)value);
    uint32_t small = 0;
    show("eventfd read of 4 bytes", read(e, &small, sizeof small));
    show("eventfd write of 4 bytes", write(e, &small, sizeof small));
    show("eventfd lseek (a no-op)", lseek(e, 5, SEEK_SET));
    value = ~0ull;
    show("eventfd write of 0xffffffffffffffff", write(e, &value, sizeof value));
    uint64_t pair[2] = {1, 2};
    show("eventfd write of 16 bytes", write(e, pair, sizeof pair));
    show("eventfd write 1", write(e, pair, sizeof pair[0]));
    show("eventfd read of 16 bytes", read(e, pair, sizeof pair));
    printf("got %llu\n", (unsigned long long)pair[0]);
    struct stat st;
    fstat(e, &st);
    printf("eventfd fstat: type bits %o, permissions %o\n", st.st_mode & S_IFMT, st.st_mode & 07777);
    printf("eventfd F_GETFL access mode %d\n", fcntl(e, F_GETFL) & O_ACCMODE);
    close(e);

    e = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    printf("FD_CLOEXEC %d, O_NONBLOCK %s\n", fcntl(e, F_GETFD), fcntl(e, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    show("nonblocking read of 0", read(e, &value, sizeof value));
    struct pollfd p = {e, POLLIN | POLLOUT, 0};
    show("poll at 0", poll(&p, 1, 0));
    printf("revents %#x\n", p.revents);
    value = 0xfffffffffffffffeull;
    show("write of the largest value", write(e, &value, sizeof value));
    show("poll at the largest value", poll(&p, 1, 0));
    printf("revents %#x\n", p.revents);
    value = 1;
    show("write 1 more", write(e, &value, sizeof value));
    value = 0;
    show("write 0", write(e, &value, sizeof value));
    show("read", read(e, &value, sizeof value));
    printf("got %#llx\n", (unsigned long long)value);
    close(e);

    e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    for (int i = 0; i < 4; ++i) {
        value = 0;
        long n = read(e, &value, sizeof value);
        printf("semaphore read: %ld", n);
        if (n < 0)
            printf(" %s\n", error_name(errno));
        else
            printf(" value %llu\n", (unsigned long long)value);
    }
    close(e);
    show("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x10));
    show("eventfd (old syscall)", (e = (int)syscall(SYS_eventfd, 2)) >= 0 ? 0 : -1);
    value = 0;
    read(e, &value, sizeof value);
    printf("old eventfd started at %llu\n", (unsigned long long)value);
    close(e);

    // Woken from another thread: poll, a blocking read, a blocking write.
    event_fd = eventfd(0, 0);
    pthread_t t;
    pthread_create(&t, NULL, late_event, (void*)6L);
    p = (struct pollfd){event_fd, POLLIN, 0};
    show("poll on an eventfd, woken by a write", poll(&p, 1, -1));
    printf("revents %#x\n", p.revents);
    pthread_join(t, NULL);
    read(event_fd, &value, sizeof value);
    printf("read %llu\n", (unsigned long long)value);
    pthread_create(&t, NULL, late_event, (void*)9L);
    value = 0;
    show("blocking read woken by a write", read(event_fd, &value, sizeof value));
    printf("read %llu\n", (unsigned long long)value);
    pthread_join(t, NULL);
    value = 0xfffffffffffffffeull;
    write(event_fd, &value, sizeof value);
    pthread_create(&t, NULL, late_event_read, NULL);
    value = 5;
    show("blocking write woken by a read", write(event_fd, &value, sizeof value));
    void* result;
    pthread_join(t, &result);
    read(event_fd, &value, sizeof value);
    printf("the reader got %#lx, then the counter was %llu\n", (unsigned long)(long)result, (unsigned long long)value);
    close(event_fd);
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IONBF, 0);  // threads print too; keep the order of the calls
    signal(SIGPIPE, SIG_IGN);
    basics();
    nonblocking();
    blocked_calls();
    polling();
    eventfds();
    atomic_writes();
    transfer("4 MiB blocking", 4u << 20, 0);
    transfer("3 MiB nonblocking with poll", 3u << 20, 1);

    if (argc > 1 && strcmp(argv[1], "sigpipe") == 0) {
        signal(SIGPIPE, SIG_DFL);
        int fds[2];
        pipe(fds);
        close(fds[0]);
        printf("writing with no reader and SIGPIPE at its default\n");
        write(fds[1], "x", 1);
        printf("still alive\n");
    }
    return 0;
}
