// What TCP and UDP sockets share (AF_INET, AF_INET6 over lwIP): their protocol number
// for SO_PROTOCOL, IPV6_V6ONLY (off by default, as Linux's net.ipv6.bindv6only: an
// AF_INET6 socket then also speaks IPv4, with ::ffff:a.b.c.d addresses), and lwIP's error
// codes as errno values.
#pragma once

#include "net/socket.hpp"

#include "net/inet_address.hpp"

extern "C" {
#include "lwip/err.h"
#include "lwip/ip.h"
#include "lwip/ip_addr.h"
}

namespace eremite::net {

Errno errno_of(err_t error);

// Whether some interface can carry packets to `destination`, under the stack lock. lwIP
// with a single interface (the loopback one, when there is no device) routes every IPv6
// address through it; Linux says ENETUNREACH, and so do we.
bool routable(const ip_addr_t& destination);

class InetSocket : public Socket {
public:
    InetSocket(int family, int type, int protocol, uint32_t flags) : Socket(family, type, flags), protocol_(protocol) {}

    Result<void> set_option(int level, int name, const void* value, uint32_t length) override;
    Result<uint32_t> get_option(int level, int name, void* value, uint32_t capacity) override;

protected:
    // Whether this AF_INET6 socket also speaks IPv4.
    bool dual_stack() const { return family() == af_inet6 && !v6_only_; }
    // The lwIP address type of its pcb: V4, V6 or, for a dual-stack socket, ANY.
    u8_t ip_type() const;
    // The socket's pcb takes ip_type() (after IPV6_V6ONLY changed; before bind): the
    // subclass checks its state, then calls set_ip_type.
    virtual Result<void> retype_pcb() = 0;

    // An address to bind to (EADDRNOTAVAIL for one no interface has) or to reach (the
    // wildcard meaning loopback), parsed for this socket's family.
    Result<InetAddress> local_address(const SocketAddress& address) const;
    Result<InetAddress> remote_address(const SocketAddress& address) const;

    // On the IP part of a TCP or UDP pcb (lwIP's struct ip_pcb, which both begin with),
    // under the stack lock: its address type, and SO_REUSEADDR before a bind.
    void set_ip_type(ip_pcb& pcb) const;
    void prepare_bind(ip_pcb& pcb) const;
    // An int option's value, as Linux reads one (EINVAL when shorter).
    static Result<int32_t> int_option(const void* value, uint32_t length);
    static uint32_t put_int_option(void* value, uint32_t capacity, int32_t integer);

private:
    int protocol_;
    bool v6_only_ = false;
};

// A new socket of type T once its ready() has made its lwIP pcb.
template <typename T>
Result<fs::Ref<Socket>> make_ready(int family, uint32_t flags) {
    auto* socket = new T(family, flags);
    fs::Ref<Socket> ref(socket);
    if (!socket || !socket->ready()) return error(Errno::enomem);
    return ref;
}

}  // namespace eremite::net
