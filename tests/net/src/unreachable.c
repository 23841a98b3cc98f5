/* What a program sees when the address it wants has no route (a guest without --net, or
 * a host without a default route): an immediate ENETUNREACH, never a hang. Prints the
 * errno name of a TCP connect and a UDP send, to an IPv4 and an IPv6 documentation
 * address (RFC 5737, RFC 3849). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char* name(int e) {
    switch (e) {
        case 0: return "ok";
        case ENETUNREACH: return "ENETUNREACH";
        case EHOSTUNREACH: return "EHOSTUNREACH";
        case ETIMEDOUT: return "ETIMEDOUT";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EINPROGRESS: return "EINPROGRESS";
        default: return strerror(e);
    }
}

static void attempt(int family, int type, const char* text) {
    struct sockaddr_storage address = {0};
    socklen_t length;
    if (family == AF_INET) {
        struct sockaddr_in* a = (struct sockaddr_in*)&address;
        a->sin_family = AF_INET;
        a->sin_port = htons(80);
        inet_pton(AF_INET, text, &a->sin_addr);
        length = sizeof *a;
    } else {
        struct sockaddr_in6* a = (struct sockaddr_in6*)&address;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(80);
        inet_pton(AF_INET6, text, &a->sin6_addr);
        length = sizeof *a;
    }
    int s = socket(family, type, 0);
    int result = type == SOCK_STREAM ? connect(s, (struct sockaddr*)&address, length)
                                     : (int)sendto(s, "x", 1, 0, (struct sockaddr*)&address, length);
    printf("%s %s to %s: %s\n", type == SOCK_STREAM ? "tcp connect" : "udp sendto", family == AF_INET ? "ipv4" : "ipv6",
           text, name(result < 0 ? errno : 0));
    close(s);
}

int main(void) {
    attempt(AF_INET, SOCK_STREAM, "192.0.2.1");
    attempt(AF_INET, SOCK_DGRAM, "192.0.2.1");
    attempt(AF_INET6, SOCK_STREAM, "2001:db8::1");
    attempt(AF_INET6, SOCK_DGRAM, "2001:db8::1");
    return 0;
}
