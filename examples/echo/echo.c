// echo: a blocking TCP echo server, one thread per connection.
//
//   echo PORT [ADDRESS] [--max-connections N]      (address :: by default)
//
// Each connection gets a detached thread that reads and writes back until the client
// closes its side, then closes. With --max-connections N the server accepts N
// connections, stops listening, and exits 0 once all of them have closed; tests use
// it to know the server saw every client through. SIGTERM and SIGINT exit 0 at once.
// It prints "echo: listening on PORT" once it listens (PORT 0 takes any free port).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// Threads get a small explicit stack: the default (8 MiB, from RLIMIT_STACK) would
// make a thousand clients cost gigabytes of address space in a small VM.
#define THREAD_STACK_SIZE ((size_t)128 * 1024)
#define BUFFER_SIZE ((size_t)16 * 1024)

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_closed = PTHREAD_COND_INITIALIZER;
static long open_connections;  // guarded by open_lock

static void usage(const char* problem) {
    fprintf(stderr, "echo: %s (usage: echo PORT [ADDRESS] [--max-connections N])\n", problem);
    exit(2);
}

static void fail(const char* what) {
    fprintf(stderr, "echo: %s: %s\n", what, strerror(errno));
    exit(1);
}

// Nothing to flush or release: the connections die with the process.
static void on_stop_signal(int signal_number) {
    (void)signal_number;
    _exit(0);
}

static long parse_number(const char* text, long min, long max, const char* problem) {
    char* end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max) usage(problem);
    return value;
}

// Writes all of `length` bytes, however many calls the socket needs; -1 on an error.
static int write_all(int fd, const char* data, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

static void* serve_connection(void* argument) {
    int fd = (int)(intptr_t)argument;
    char buffer[BUFFER_SIZE];
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            break;  // a reset: the client is gone, nothing to report
        }
        if (write_all(fd, buffer, (size_t)got) < 0) break;
    }
    close(fd);
    pthread_mutex_lock(&open_lock);
    if (--open_connections == 0) pthread_cond_signal(&all_closed);
    pthread_mutex_unlock(&open_lock);
    return NULL;
}

// Binds to ADDRESS (an IPv6 or IPv4 literal); for the IPv6 wildcard on a kernel
// without IPv6, falls back to the IPv4 wildcard. Returns the listening socket.
static int listen_on(const char* address_text, int port) {
    struct sockaddr_storage storage;
    memset(&storage, 0, sizeof storage);
    struct sockaddr_in6* v6 = (struct sockaddr_in6*)&storage;
    struct sockaddr_in* v4 = (struct sockaddr_in*)&storage;
    socklen_t length;
    if (inet_pton(AF_INET6, address_text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        length = sizeof *v6;
    } else if (inet_pton(AF_INET, address_text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        length = sizeof *v4;
    } else {
        usage("bad address (expected an IPv4 or IPv6 literal)");
    }

    int fd = socket(storage.ss_family, SOCK_STREAM, 0);
    if (fd < 0 && errno == EAFNOSUPPORT && storage.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) {
        memset(&storage, 0, sizeof storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        length = sizeof *v4;
        fd = socket(AF_INET, SOCK_STREAM, 0);
    }
    if (fd < 0) fail("socket");
    int on = 1;
    int off = 0;
    // Restarting while old connections sit in TIME_WAIT must not fail with EADDRINUSE.
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) fail("setsockopt(SO_REUSEADDR)");
    // Dual stack whatever net.ipv6.bindv6only says (ignored where the option is missing).
    if (storage.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (bind(fd, (struct sockaddr*)&storage, length) < 0) fail("bind");
    if (listen(fd, SOMAXCONN) < 0) fail("listen");
    return fd;
}

int main(int argc, char** argv) {
    const char* positional[2] = {NULL, NULL};
    int positional_count = 0;
    long max_connections = 0;  // 0: serve forever
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--max-connections") == 0) {
            if (i + 1 == argc) usage("--max-connections needs a number");
            max_connections = parse_number(argv[++i], 1, 1000000000L, "bad --max-connections");
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            usage("unknown option");
        } else if (positional_count < 2) {
            positional[positional_count++] = argv[i];
        } else {
            usage("too many arguments");
        }
    }
    if (positional_count == 0) usage("missing PORT");
    int port = (int)parse_number(positional[0], 0, 65535, "bad port");
    int listener = listen_on(positional[1] ? positional[1] : "::", port);

    struct sockaddr_storage bound;
    socklen_t bound_length = sizeof bound;
    if (getsockname(listener, (struct sockaddr*)&bound, &bound_length) < 0) fail("getsockname");
    int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6*)&bound)->sin6_port
                                                       : ((struct sockaddr_in*)&bound)->sin_port);

    // A client that disconnects while we write must cost its thread an EPIPE, not
    // the whole process.
    signal(SIGPIPE, SIG_IGN);
    struct sigaction stop;
    memset(&stop, 0, sizeof stop);
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    if (sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGINT, &stop, NULL) < 0) fail("sigaction");

    pthread_attr_t attributes;
    if ((errno = pthread_attr_init(&attributes)) != 0) fail("pthread_attr_init");
    if ((errno = pthread_attr_setstacksize(&attributes, THREAD_STACK_SIZE)) != 0) fail("pthread_attr_setstacksize");
    if ((errno = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED)) != 0) {
        fail("pthread_attr_setdetachstate");
    }

    printf("echo: listening on %d\n", bound_port);
    fflush(stdout);

    long accepted = 0;
    while (max_connections == 0 || accepted < max_connections) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: wait for a connection to close rather than spin.
                fprintf(stderr, "echo: accept: %s\n", strerror(errno));
                struct timespec pause = {.tv_sec = 0, .tv_nsec = 100L * 1000 * 1000};
                nanosleep(&pause, NULL);
                continue;
            }
            fail("accept");
        }
        ++accepted;
        pthread_mutex_lock(&open_lock);
        ++open_connections;
        pthread_mutex_unlock(&open_lock);
        pthread_t thread;
        int error = pthread_create(&thread, &attributes, serve_connection, (void*)(intptr_t)fd);
        if (error != 0) {
            // Out of threads (memory): turn this client away and keep serving the rest.
            fprintf(stderr, "echo: pthread_create: %s\n", strerror(error));
            close(fd);
            pthread_mutex_lock(&open_lock);
            --open_connections;
            pthread_mutex_unlock(&open_lock);
        }
    }

    // --max-connections: refuse newcomers at once, then wait for the last client.
    close(listener);
    pthread_mutex_lock(&open_lock);
    while (open_connections > 0) pthread_cond_wait(&all_closed, &open_lock);
    pthread_mutex_unlock(&open_lock);
    printf("echo: served %ld connections\n", accepted);
    return 0;
}
