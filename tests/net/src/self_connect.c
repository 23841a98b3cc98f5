/* A program connects to a server of its own through the address of its network
 * interface (not 127.0.0.1): bind to it, connect, one exchange. Such segments never
 * leave the guest, so they carry no checksum the device would have completed.
 *   self_connect ADDRESS   (IPv4) */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int listener;

static void* serve(void* unused) {
    (void)unused;
    int connection = accept(listener, NULL, NULL);
    char buffer[64];
    ssize_t n = read(connection, buffer, sizeof buffer);
    if (n > 0 && write(connection, buffer, (size_t)n) != n) perror("write");
    close(connection);
    return NULL;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: self_connect ADDRESS\n");
        return 2;
    }
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(7777)};
    if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) return 2;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr*)&address, sizeof address) < 0 || listen(listener, 1) < 0) {
        perror("bind");
        return 1;
    }
    pthread_t server;
    pthread_create(&server, NULL, serve, NULL);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = {.tv_sec = 5};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(s, (struct sockaddr*)&address, sizeof address) < 0) {
        perror("connect");
        return 1;
    }
    char reply[8] = {0};
    ssize_t n = -1;
    if (write(s, "ping", 4) == 4) n = read(s, reply, sizeof reply - 1);
    printf("to %s and back: %zd bytes, %s\n", argv[1], n, reply);
    pthread_join(server, NULL);
    return n == 4 ? 0 : 1;
}
