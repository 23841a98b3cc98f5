// For the bench/net programs: a TCP connection over 127.0.0.1 to a server thread of the
// same process.
#ifndef EREMITE_BENCH_NET_LOOPBACK_H
#define EREMITE_BENCH_NET_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bench.h"

// Listens on an ephemeral port of 127.0.0.1, starts `server` with the listening socket
// (an intptr_t) as its argument, and returns a socket connected to it.
static inline int connect_to_server_thread(void* (*server)(void*), pthread_t* thread) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    check_sys(listener, "socket");
    check_sys(bind(listener, (struct sockaddr*)&addr, sizeof addr), "bind");
    check_sys(listen(listener, 1), "listen");
    check_sys(getsockname(listener, (struct sockaddr*)&addr, &len), "getsockname");
    check_err(pthread_create(thread, NULL, server, (void*)(intptr_t)listener), "pthread_create");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check_sys(fd, "socket");
    check_sys(connect(fd, (struct sockaddr*)&addr, sizeof addr), "connect");
    return fd;
}

#endif
