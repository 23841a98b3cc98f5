#include "net/inet_address.hpp"

#include "lib/string.hpp"
#include "net/stack.hpp"

extern "C" {
#include "lwip/netif.h"
}

namespace eremite::net {
namespace {

// include/uapi/linux/in.h and in6.h
struct SockaddrIn {
    uint16_t family;
    uint16_t port;  // network byte order
    uint32_t address;
    uint8_t zero[8];
};
static_assert(sizeof(SockaddrIn) == 16);
struct SockaddrIn6 {
    uint16_t family;
    uint16_t port;
    uint32_t flow_info;
    uint8_t address[16];
    uint32_t scope_id;
};
static_assert(sizeof(SockaddrIn6) == 28);
constexpr uint32_t sockaddr_in6_minimum = 24;  // SIN6_LEN_RFC2133: without the scope id

uint16_t swap16(uint16_t value) { return static_cast<uint16_t>(value << 8 | value >> 8); }

}  // namespace

Result<InetAddress> parse_inet_address(const SocketAddress& address, int family, bool dual_stack) {
    InetAddress result{};
    if (family == af_inet) {
        if (address.length < sizeof(SockaddrIn)) return error(Errno::einval);
        SockaddrIn in;
        memcpy(&in, address.bytes, sizeof in);
        if (in.family != af_inet) return error(Errno::eafnosupport);
        ip_addr_set_ip4_u32_val(result.ip, in.address);
        IP_SET_TYPE_VAL(result.ip, IPADDR_TYPE_V4);
        result.port = swap16(in.port);
        return result;
    }
    if (address.length < sockaddr_in6_minimum) return error(Errno::einval);
    SockaddrIn6 in6{};
    memcpy(&in6, address.bytes, min<uint32_t>(address.length, sizeof in6));
    if (in6.family != af_inet6) return error(Errno::eafnosupport);
    result.port = swap16(in6.port);
    static constexpr uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (dual_stack && !memcmp(in6.address, v4_mapped_prefix, 12)) {
        // ::ffff:a.b.c.d: the IPv4 address itself, for a dual-stack socket.
        uint32_t v4;
        memcpy(&v4, in6.address + 12, 4);
        ip_addr_set_ip4_u32_val(result.ip, v4);
        IP_SET_TYPE_VAL(result.ip, IPADDR_TYPE_V4);
        return result;
    }
    IP_SET_TYPE_VAL(result.ip, IPADDR_TYPE_V6);
    memcpy(ip_2_ip6(&result.ip)->addr, in6.address, 16);
    ip6_addr_clear_zone(ip_2_ip6(&result.ip));
    // "::" of a dual-stack socket is every address of both families.
    if (dual_stack && ip6_addr_isany(ip_2_ip6(&result.ip))) IP_SET_TYPE_VAL(result.ip, IPADDR_TYPE_ANY);
    return result;
}

SocketAddress socket_address_of(const ip_addr_t& ip, uint16_t port, int family) {
    SocketAddress address;
    if (family == af_inet) {
        SockaddrIn in{};
        in.family = af_inet;
        in.port = swap16(port);
        in.address = IP_IS_V4_VAL(ip) ? ip4_addr_get_u32(ip_2_ip4(&ip)) : 0;
        memcpy(address.bytes, &in, sizeof in);
        address.length = sizeof in;
        return address;
    }
    SockaddrIn6 in6{};
    in6.family = af_inet6;
    in6.port = swap16(port);
    if (IP_IS_V4_VAL(ip)) {  // a dual-stack socket's IPv4 peer: ::ffff:a.b.c.d
        in6.address[10] = in6.address[11] = 0xff;
        uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(&ip));
        memcpy(in6.address + 12, &v4, 4);
    } else if (IP_IS_V6_VAL(ip)) {
        memcpy(in6.address, ip_2_ip6(&ip)->addr, 16);
    }
    memcpy(address.bytes, &in6, sizeof in6);
    address.length = sizeof in6;
    return address;
}

bool is_local(const ip_addr_t& ip) {
    if (ip_addr_isany(&ip)) return true;
    if (IP_IS_V4_VAL(ip) && ip4_addr_isloopback(ip_2_ip4(&ip))) return true;
    if (IP_IS_V6_VAL(ip) && ip6_addr_isloopback(ip_2_ip6(&ip))) return true;
    StackGuard guard;  // the interfaces and their addresses
    for (struct netif* n = netif_list; n; n = n->next) {
        if (IP_IS_V4_VAL(ip) && ip4_addr_cmp(ip_2_ip4(&ip), netif_ip4_addr(n))) return true;
        if (IP_IS_V6_VAL(ip) && netif_get_ip6_addr_match(n, ip_2_ip6(&ip)) >= 0) return true;
    }
    return false;
}

void wildcard_to_loopback(ip_addr_t& ip) {
    if (IP_IS_ANY_TYPE_VAL(ip)) IP_SET_TYPE_VAL(ip, IPADDR_TYPE_V6);
    if (!ip_addr_isany(&ip)) return;
    if (IP_IS_V4_VAL(ip))
        ip_addr_set_loopback(0, &ip);
    else
        ip_addr_set_loopback(1, &ip);
}

}  // namespace eremite::net
