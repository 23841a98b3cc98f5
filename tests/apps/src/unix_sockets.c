// AF_UNIX sockets: stream, datagram and seqpacket pairs (boundaries, MSG_PEEK,
// MSG_DONTWAIT, MSG_TRUNC, shutdown, peers that go away, timeouts, options, FIONREAD,
// readiness), named sockets in the abstract namespace and in the file system (bind,
// listen, connect, accept across threads, names, autobind, errors), and the errors of
// socket(2) itself.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "outcome.h"

static unsigned events_of(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
    int n = poll(&p, 1, 0);
    return n == 1 ? (unsigned)p.revents : 0;
}

static void stream_pair(void) {
    int sv[2];
    printf("socketpair stream: %s\n", outcome(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)));
    printf("events of a fresh pair: 0x%x\n", events_of(sv[0]));
    printf("write: %s\n", outcome(write(sv[0], "hello", 5)));
    printf("events with data: 0x%x\n", events_of(sv[1]));
    int queued = -1;
    ioctl(sv[1], FIONREAD, &queued);
    printf("FIONREAD: %d\n", queued);
    char buffer[64] = {0};
    printf("peek 3: %s '%.3s'\n", outcome(recv(sv[1], buffer, 3, MSG_PEEK)), buffer);
    printf("read: %s '%.5s'\n", outcome(read(sv[1], buffer, sizeof buffer)), buffer);
    printf("recv on empty, MSG_DONTWAIT: %s\n", outcome(recv(sv[1], buffer, sizeof buffer, MSG_DONTWAIT)));
    printf("other way: %s, ", outcome(send(sv[1], "back", 4, 0)));
    printf("%s\n", outcome(recv(sv[0], buffer, sizeof buffer, 0)));
    // Two writes, one read that waits for all (MSG_WAITALL) from another write later.
    struct sockaddr_un name;
    socklen_t length = sizeof name;
    long named = getsockname(sv[0], (struct sockaddr*)&name, &length);
    printf("getsockname: %s, length %u, family %d\n", outcome(named), length, name.sun_family);
    length = sizeof name;
    named = getpeername(sv[0], (struct sockaddr*)&name, &length);
    printf("getpeername: %s, length %u\n", outcome(named), length);
    int value = 0;
    socklen_t size = sizeof value;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &value, &size);
    printf("SO_TYPE %d, ", value);
    getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &value, &size);
    printf("SO_DOMAIN %d, ", value);
    getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &value, &size);
    printf("SO_ACCEPTCONN %d, ", value);
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &value, &size);
    printf("SO_ERROR %d\n", value);
    value = 10000;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &value, sizeof value);
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &value, &size);
    printf("SO_SNDBUF after asking 10000: %d\n", value);
    struct ucred credentials;
    socklen_t credentials_size = sizeof credentials;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &credentials, &credentials_size);
    printf("SO_PEERCRED: pid is ours %s, uid is ours %s\n", credentials.pid == getpid() ? "yes" : "no",
           credentials.uid == getuid() ? "yes" : "no");
    printf("unknown option: %s\n", outcome(getsockopt(sv[0], SOL_SOCKET, 12345, &value, &size)));
    struct timeval timeout = {0, 50000};
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    printf("recv with a 50 ms SO_RCVTIMEO: %s\n", outcome(recv(sv[1], buffer, sizeof buffer, 0)));

    printf("shutdown SHUT_WR: %s\n", outcome(shutdown(sv[0], SHUT_WR)));
    printf("peer reads end of file: %s\n", outcome(read(sv[1], buffer, sizeof buffer)));
    printf("events of the peer: 0x%x; of the one shut: 0x%x\n", events_of(sv[1]), events_of(sv[0]));
    printf("write after SHUT_WR (MSG_NOSIGNAL): %s\n", outcome(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    printf("the peer can still write: %s, ", outcome(write(sv[1], "late", 4)));
    printf("and be read: %s\n", outcome(read(sv[0], buffer, sizeof buffer)));
    close(sv[1]);
    printf("events once the peer is closed: 0x%x\n", events_of(sv[0]));
    printf("read: %s; send: %s\n", outcome(read(sv[0], buffer, sizeof buffer)),
           outcome(send(sv[0], "x", 1, MSG_NOSIGNAL)));
    printf("shutdown with a bad how: %s\n", outcome(shutdown(sv[0], 7)));
    close(sv[0]);
}

static void message_pairs(void) {
    int sv[2];
    printf("socketpair dgram: %s\n", outcome(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv)));
    printf("FD_CLOEXEC: %s\n", fcntl(sv[0], F_GETFD) & FD_CLOEXEC ? "set" : "clear");
    send(sv[0], "hello", 5, 0);
    send(sv[0], "world!", 6, 0);
    send(sv[0], "", 0, 0);
    char buffer[64];
    printf("boundaries: %s, ", outcome(recv(sv[1], buffer, sizeof buffer, 0)));
    printf("%s, ", outcome(recv(sv[1], buffer, sizeof buffer, 0)));
    printf("%s (an empty datagram)\n", outcome(recv(sv[1], buffer, sizeof buffer, MSG_DONTWAIT)));
    send(sv[0], "0123456789", 10, 0);
    struct iovec vector = {buffer, 4};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
    long got = recvmsg(sv[1], &message, 0);
    printf("recvmsg of 4 from 10: %s, MSG_TRUNC set: %s\n", outcome(got), message.msg_flags & MSG_TRUNC ? "yes" : "no");
    send(sv[0], "0123456789", 10, 0);
    printf("recv MSG_TRUNC with room for 4: %s\n", outcome(recv(sv[1], buffer, 4, MSG_TRUNC)));
    // A message gathered from several vectors arrives as one.
    struct iovec parts[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
    struct msghdr gathered = {.msg_iov = parts, .msg_iovlen = 3};
    printf("sendmsg of 3 vectors: %s, ", outcome(sendmsg(sv[0], &gathered, 0)));
    memset(buffer, 0, sizeof buffer);
    printf("received as one: %s '%s'\n", outcome(recv(sv[1], buffer, sizeof buffer, 0)), buffer);
    struct mmsghdr many[2];
    struct iovec iov_a = {"one", 3}, iov_b = {"three", 5};
    memset(many, 0, sizeof many);
    many[0].msg_hdr.msg_iov = &iov_a;
    many[0].msg_hdr.msg_iovlen = 1;
    many[1].msg_hdr.msg_iov = &iov_b;
    many[1].msg_hdr.msg_iovlen = 1;
    long count = sendmmsg(sv[0], many, 2, 0);
    printf("sendmmsg: %s (lengths %u %u), ", outcome(count), many[0].msg_len, many[1].msg_len);
    char in_a[8], in_b[8];
    struct iovec rv_a = {in_a, 8}, rv_b = {in_b, 8};
    memset(many, 0, sizeof many);
    many[0].msg_hdr.msg_iov = &rv_a;
    many[0].msg_hdr.msg_iovlen = 1;
    many[1].msg_hdr.msg_iov = &rv_b;
    many[1].msg_hdr.msg_iovlen = 1;
    count = recvmmsg(sv[1], many, 2, MSG_DONTWAIT, NULL);
    printf("recvmmsg: %s (lengths %u %u)\n", outcome(count), many[0].msg_len, many[1].msg_len);
    close(sv[1]);
    printf("send to a closed peer: %s\n", outcome(send(sv[0], "x", 1, 0)));
    close(sv[0]);

    printf("socketpair seqpacket: %s\n", outcome(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)));
    send(sv[0], "abc", 3, 0);
    send(sv[0], "defgh", 5, 0);
    printf("boundaries: %s, ", outcome(recv(sv[1], buffer, sizeof buffer, 0)));
    printf("%s\n", outcome(recv(sv[1], buffer, sizeof buffer, 0)));
    close(sv[0]);
    printf("after the peer closed: recv %s, ", outcome(recv(sv[1], buffer, sizeof buffer, 0)));
    printf("send %s, events 0x%x\n", outcome(send(sv[1], "x", 1, MSG_NOSIGNAL)), events_of(sv[1]));
    close(sv[1]);
}

static struct sockaddr_un abstract_name(const char* text, socklen_t* length) {
    struct sockaddr_un name;
    memset(&name, 0, sizeof name);
    name.sun_family = AF_UNIX;
    size_t n = strlen(text);
    memcpy(name.sun_path + 1, text, n);
    *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    return name;
}

static int listener;
static void* client_thread(void* argument) {
    struct sockaddr_un* name = argument;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name->sun_path + 1));
    if (name->sun_path[0]) length = sizeof *name;
    if (connect(c, (struct sockaddr*)name, length) != 0) {
        perror("connect");
        return NULL;
    }
    const char* text = "ping from the client";
    if (write(c, text, strlen(text)) < 0) perror("write");
    char reply[32] = {0};
    if (read(c, reply, sizeof reply) < 0) perror("read");
    printf("client got '%s'\n", reply);
    close(c);
    return NULL;
}

static void serve_one(struct sockaddr_un* name) {
    pthread_t thread;
    pthread_create(&thread, NULL, client_thread, name);
    struct sockaddr_un peer;
    socklen_t length = sizeof peer;
    int s = accept(listener, (struct sockaddr*)&peer, &length);
    printf("accepted: %s, peer address length %u\n", s >= 0 ? "yes" : outcome(s), length);
    char text[64] = {0};
    long got = read(s, text, sizeof text);
    printf("server got %ld bytes: '%s'\n", got, text);
    if (write(s, "pong", 4) != 4) perror("write");
    pthread_join(thread, NULL);
    printf("after the client closed, the server reads: %s\n", outcome(read(s, text, sizeof text)));
    close(s);
}

static void named_sockets(void) {
    char unique[64];
    snprintf(unique, sizeof unique, "eremite-unix-test-%d", (int)getpid());
    socklen_t length;
    struct sockaddr_un name = abstract_name(unique, &length);
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind abstract: %s\n", outcome(bind(listener, (struct sockaddr*)&name, length)));
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind the same name again: %s\n", outcome(bind(other, (struct sockaddr*)&name, length)));
    printf("listen: %s\n", outcome(listen(listener, 4)));
    int flag = 0;
    socklen_t size = sizeof flag;
    getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &flag, &size);
    printf("SO_ACCEPTCONN %d, events while nobody connects 0x%x\n", flag, events_of(listener));
    fcntl(listener, F_SETFL, O_NONBLOCK);
    printf("accept on a nonblocking listener: %s\n", outcome(accept(listener, NULL, NULL)));
    fcntl(listener, F_SETFL, 0);
    serve_one(&name);
    socklen_t bad_length;
    struct sockaddr_un nobody = abstract_name("eremite-nobody-listens-here", &bad_length);
    printf("connect to a name nobody has: %s\n", outcome(connect(other, (struct sockaddr*)&nobody, bad_length)));
    struct sockaddr_un got;
    socklen_t got_length = sizeof got;
    getsockname(listener, (struct sockaddr*)&got, &got_length);
    printf("getsockname of the listener: the name: %s\n",
           got_length == length && memcmp(&got, &name, length) == 0 ? "yes" : "no");
    int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("connect a datagram socket to a stream listener: %s\n",
           outcome(connect(dgram, (struct sockaddr*)&name, length)));
    close(dgram);
    close(other);
    close(listener);

    // A name in the file system.
    char directory[] = "/tmp/eremite-unix-XXXXXX";
    if (!mkdtemp(directory)) return;
    struct sockaddr_un path_name;
    memset(&path_name, 0, sizeof path_name);
    path_name.sun_family = AF_UNIX;
    snprintf(path_name.sun_path, sizeof path_name.sun_path, "%s/socket", directory);
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind a path: %s\n", outcome(bind(listener, (struct sockaddr*)&path_name, sizeof path_name)));
    struct stat st;
    stat(path_name.sun_path, &st);
    printf("it is a socket node: %s\n", S_ISSOCK(st.st_mode) ? "yes" : "no");
    printf("open(2) of it: %s\n", outcome(open(path_name.sun_path, O_RDONLY)));
    got_length = sizeof got;
    getsockname(listener, (struct sockaddr*)&got, &got_length);
    printf("getsockname length is the path's plus the family and a NUL: %s\n",
           got_length == offsetof(struct sockaddr_un, sun_path) + strlen(path_name.sun_path) + 1 ? "yes" : "no");
    int again = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("bind it again: %s\n", outcome(bind(again, (struct sockaddr*)&path_name, sizeof path_name)));
    printf("connect before listen: %s\n", outcome(connect(again, (struct sockaddr*)&path_name, sizeof path_name)));
    listen(listener, 1);
    serve_one(&path_name);
    close(listener);
    printf("connect once the listener is closed: %s\n",
           outcome(connect(again, (struct sockaddr*)&path_name, sizeof path_name)));
    unlink(path_name.sun_path);
    printf("connect once the path is unlinked: %s\n",
           outcome(connect(again, (struct sockaddr*)&path_name, sizeof path_name)));
    close(again);
    rmdir(directory);

    // Datagrams between named and unnamed sockets.
    struct sockaddr_un server_name = abstract_name("eremite-unix-dgram-test", &length);
    int server = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(server, (struct sockaddr*)&server_name, length);
    int client = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("sendto the server: %s\n", outcome(sendto(client, "anon", 4, 0, (struct sockaddr*)&server_name, length)));
    struct sockaddr_un from;
    socklen_t from_length = sizeof from;
    char buffer[16];
    long received = recvfrom(server, buffer, sizeof buffer, 0, (struct sockaddr*)&from, &from_length);
    printf("recvfrom: %s, from an unnamed socket: address length %u\n", outcome(received), from_length);
    struct sockaddr_un family_only = {.sun_family = AF_UNIX};
    printf("autobind: %s, ", outcome(bind(client, (struct sockaddr*)&family_only, sizeof(sa_family_t))));
    socklen_t auto_length = sizeof got;
    getsockname(client, (struct sockaddr*)&got, &auto_length);
    printf("name length %u, abstract %s\n", auto_length, got.sun_path[0] == 0 ? "yes" : "no");
    sendto(client, "named", 5, 0, (struct sockaddr*)&server_name, length);
    from_length = sizeof from;
    recvfrom(server, buffer, sizeof buffer, 0, (struct sockaddr*)&from, &from_length);
    printf("recvfrom a named socket: address length %u, the client's name: %s\n", from_length,
           from_length == auto_length && memcmp(&from, &got, auto_length) == 0 ? "yes" : "no");
    printf("reply to it: %s, ", outcome(sendto(server, "reply", 5, 0, (struct sockaddr*)&from, from_length)));
    printf("%s\n", outcome(recv(client, buffer, sizeof buffer, 0)));
    printf("send without an address on an unconnected socket: %s\n", outcome(send(server, "x", 1, 0)));
    close(client);
    close(server);
}

static int blocked_fd;
static long blocked_result = -2;
static void* blocked_reader(void* unused) {
    (void)unused;
    char byte;
    blocked_result = recv(blocked_fd, &byte, 1, 0);
    return NULL;
}

static void errors_and_readiness(void) {
    printf("socket(12345, ...): %s\n", outcome(socket(12345, SOCK_STREAM, 0)));
    printf("socket(AF_UNIX, SOCK_STREAM, 7): %s\n", outcome(socket(AF_UNIX, SOCK_STREAM, 7)));
    printf("socket with unknown flags: %s\n", outcome(socket(AF_UNIX, SOCK_STREAM | 0x100, 0)));
    int p[2];
    if (pipe(p) != 0) return;
    struct sockaddr_un name = {.sun_family = AF_UNIX};
    printf("bind on a pipe: %s\n", outcome(bind(p[0], (struct sockaddr*)&name, sizeof name)));
    close(p[0]);
    close(p[1]);
    int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    char byte;
    printf("unconnected stream: send %s, recv %s, getpeername %s, events 0x%x\n",
           outcome(send(unconnected, "x", 1, MSG_NOSIGNAL)), outcome(recv(unconnected, &byte, 1, 0)),
           outcome(getpeername(unconnected, NULL, NULL)), events_of(unconnected));
    printf("listen on an unbound socket: %s\n", outcome(listen(unconnected, 1)));
    printf("shutdown of an unconnected socket: %s\n", outcome(shutdown(unconnected, SHUT_RDWR)));
    close(unconnected);

    // shutdown(SHUT_RD) ends a recv that another thread is blocked in, stream and datagram.
    int types[2] = {SOCK_STREAM, SOCK_DGRAM};
    for (int t = 0; t < 2; ++t) {
        int pair[2];
        socketpair(AF_UNIX, types[t], 0, pair);
        blocked_fd = pair[1];
        pthread_t thread;
        pthread_create(&thread, NULL, blocked_reader, NULL);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
        shutdown(pair[1], SHUT_RD);
        pthread_join(thread, NULL);
        printf("%s: a recv blocked before SHUT_RD returns %ld\n", t ? "dgram" : "stream", blocked_result);
        close(pair[0]);
        close(pair[1]);
    }

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    int ep = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = sv[1]};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &event);
    struct epoll_event out[2];
    printf("epoll, nothing yet: %d\n", epoll_wait(ep, out, 2, 0));
    write(sv[0], "x", 1);
    int n = epoll_wait(ep, out, 2, 0);
    printf("epoll after a write: %d, events 0x%x\n", n, n > 0 ? out[0].events : 0);
    shutdown(sv[0], SHUT_WR);
    n = epoll_wait(ep, out, 2, 0);
    printf("epoll after the peer's SHUT_WR: %d, events 0x%x\n", n, n > 0 ? out[0].events : 0);
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    stream_pair();
    message_pairs();
    named_sockets();
    errors_and_readiness();
    return 0;
}
