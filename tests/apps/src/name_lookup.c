// Name lookups a network program makes before it connects: getaddrinfo of numeric
// addresses, of "localhost" and of service names, AI_PASSIVE, getservbyname and
// getprotobyname (from /etc/hosts, /etc/services and /etc/protocols), then a connection
// to a listener found that way.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char* host, const char* service, int family, int flags) {
    struct addrinfo hints, *list = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = flags;
    int rc = getaddrinfo(host, service, &hints, &list);
    printf("getaddrinfo(%s, %s):", host ? host : "NULL", service);
    if (rc) printf(" %s", gai_strerror(rc));
    for (struct addrinfo* a = list; a; a = a->ai_next) {
        char text[64];
        const void* where = a->ai_family == AF_INET ? (const void*)&((struct sockaddr_in*)a->ai_addr)->sin_addr
                                                    : (const void*)&((struct sockaddr_in6*)a->ai_addr)->sin6_addr;
        unsigned port = ntohs(a->ai_family == AF_INET ? ((struct sockaddr_in*)a->ai_addr)->sin_port
                                                      : ((struct sockaddr_in6*)a->ai_addr)->sin6_port);
        inet_ntop(a->ai_family, where, text, sizeof text);
        printf(" [%s]:%u", text, port);
    }
    printf("\n");
    if (list) freeaddrinfo(list);
}

int main(void) {
    show("127.0.0.1", "http", AF_UNSPEC, 0);
    show("localhost", "80", AF_INET, 0);
    show("::1", "8080", AF_INET6, 0);
    show(NULL, "8080", AF_INET, AI_PASSIVE);
    show(NULL, "https", AF_INET6, AI_PASSIVE);
    show("127.0.0.1", "no-such-service", AF_INET, 0);
    struct servent* http = getservbyname("http", "tcp");
    printf("getservbyname(http, tcp): %d\n", http ? ntohs((unsigned short)http->s_port) : -1);
    struct protoent* tcp = getprotobyname("tcp");
    printf("getprotobyname(tcp): %d\n", tcp ? tcp->p_proto : -1);

    // A listener on an ephemeral port of localhost, reached through getaddrinfo.
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(listener, (struct sockaddr*)&any, sizeof any);
    listen(listener, 1);
    socklen_t length = sizeof any;
    getsockname(listener, (struct sockaddr*)&any, &length);
    char port[16];
    snprintf(port, sizeof port, "%u", ntohs(any.sin_port));
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo("localhost", port, &hints, &found);
    int c = found ? socket(found->ai_family, found->ai_socktype, found->ai_protocol) : -1;
    int connected = found && c >= 0 && connect(c, found->ai_addr, found->ai_addrlen) == 0;
    printf("connect to localhost:<the listener's port> through getaddrinfo: %s\n", rc == 0 && connected ? "yes" : "no");
    if (found) freeaddrinfo(found);
    close(c);
    close(listener);
    return 0;
}
