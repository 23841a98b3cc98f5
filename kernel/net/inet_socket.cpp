#include "net/inet_socket.hpp"

#include "lib/string.hpp"

namespace eremite::net {
namespace {

constexpr int ipproto_ipv6 = 41, ipv6_v6only = 26;
constexpr int sol_socket = 1, so_protocol = 38;

}  // namespace

Errno errno_of(err_t error) {
    switch (error) {
        case ERR_OK: return Errno::none;
        case ERR_MEM:
        case ERR_BUF: return Errno::enobufs;
        case ERR_RTE: return Errno::enetunreach;
        case ERR_USE: return Errno::eaddrinuse;
        case ERR_ISCONN: return Errno::eisconn;
        case ERR_ALREADY: return Errno::ealready;
        case ERR_RST: return Errno::econnreset;
        case ERR_ABRT: return Errno::econnaborted;
        case ERR_CLSD: return Errno::enotconn;
        case ERR_VAL:
        case ERR_ARG: return Errno::einval;
        default: return Errno::eio;
    }
}

Result<int32_t> InetSocket::int_option(const void* value, uint32_t length) {
    if (length < sizeof(int32_t)) return error(Errno::einval);
    int32_t integer;
    memcpy(&integer, value, sizeof integer);
    return integer;
}

uint32_t InetSocket::put_int_option(void* value, uint32_t capacity, int32_t integer) {
    uint32_t length = min<uint32_t>(capacity, sizeof integer);
    memcpy(value, &integer, length);
    return length;
}

u8_t InetSocket::ip_type() const {
    if (family() == af_inet) return IPADDR_TYPE_V4;
    return v6_only_ ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

Result<InetAddress> InetSocket::local_address(const SocketAddress& address) const {
    InetAddress local = TRY(parse_inet_address(address, family(), dual_stack()));
    if (!is_local(local.ip)) return error(Errno::eaddrnotavail);
    return local;
}

Result<InetAddress> InetSocket::remote_address(const SocketAddress& address) const {
    InetAddress remote = TRY(parse_inet_address(address, family(), dual_stack()));
    wildcard_to_loopback(remote.ip);
    return remote;
}

void InetSocket::set_ip_type(ip_pcb& pcb) const {
    IP_SET_TYPE_VAL(pcb.local_ip, ip_type());
    IP_SET_TYPE_VAL(pcb.remote_ip, ip_type());
}

void InetSocket::prepare_bind(ip_pcb& pcb) const {
    if (reuse_address())
        ip_set_option(&pcb, SOF_REUSEADDR);
    else
        ip_reset_option(&pcb, SOF_REUSEADDR);
}

Result<void> InetSocket::set_option(int level, int name, const void* value, uint32_t length) {
    if (level == ipproto_ipv6 && name == ipv6_v6only && family() == af_inet6) {
        bool on = TRY(int_option(value, length)) != 0;
        bool before = v6_only_;
        v6_only_ = on;
        auto retyped = retype_pcb();  // EINVAL once bound, as Linux
        if (!retyped.ok()) v6_only_ = before;
        return retyped;
    }
    return Socket::set_option(level, name, value, length);
}

Result<uint32_t> InetSocket::get_option(int level, int name, void* value, uint32_t capacity) {
    if (level == sol_socket && name == so_protocol) return put_int_option(value, capacity, protocol_);
    if (level == ipproto_ipv6 && name == ipv6_v6only && family() == af_inet6)
        return put_int_option(value, capacity, v6_only_);
    return Socket::get_option(level, name, value, capacity);
}

bool routable(const ip_addr_t& destination) {
    if (destination.type != IPADDR_TYPE_V6) return true;  // lwIP's ip4_route decides
    const ip6_addr_t* address = &destination.u_addr.ip6;
    if (ip6_addr_isloopback(address)) return true;
    for (struct netif* n = netif_list; n; n = n->next) {
        if (n->name[0] == 'l' && n->name[1] == 'o') continue;
        if (netif_is_up(n) && netif_is_link_up(n)) return true;
    }
    // Not through a device; still to an address of our own (the loopback interface's).
    for (struct netif* n = netif_list; n; n = n->next)
        if (netif_get_ip6_addr_match(n, address) >= 0) return true;
    return false;
}

}  // namespace eremite::net
