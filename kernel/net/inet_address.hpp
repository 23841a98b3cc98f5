// IPv4 and IPv6 socket addresses (struct sockaddr_in, sockaddr_in6) to and from lwIP's.
#pragma once

#include "net/socket.hpp"

extern "C" {
#include "lwip/ip_addr.h"
}

namespace eremite::net {

struct InetAddress {
    ip_addr_t ip;
    uint16_t port;  // host byte order
};

// The address an app passed for a socket of `family`: EINVAL when too short,
// EAFNOSUPPORT when of another family, as Linux's inet_bind and inet6_bind check. For a
// dual-stack AF_INET6 socket (IPV6_V6ONLY off) ::ffff:a.b.c.d is that IPv4 address and
// "::" is every address of both families (lwIP's IPADDR_TYPE_ANY).
Result<InetAddress> parse_inet_address(const SocketAddress& address, int family, bool dual_stack = false);
// An AF_INET6 socket sees an IPv4 address as ::ffff:a.b.c.d.
SocketAddress socket_address_of(const ip_addr_t& ip, uint16_t port, int family);
// Whether a socket may bind to `ip` here: the wildcard, a loopback address, or an
// address of an interface (the network device's). Takes the stack lock.
bool is_local(const ip_addr_t& ip);
// connect and sendto to the wildcard address reach this host, as on Linux: the
// loopback address of the same family.
void wildcard_to_loopback(ip_addr_t& ip);

}  // namespace eremite::net
