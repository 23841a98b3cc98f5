// ehyve-net-user's command line (the interface is described in main.cpp).
#pragma once

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ehyve::net_user {

// 1500, as QEMU's user networking. At least 1280, the smallest link MTU IPv6 allows
// (RFC 8200 section 5): IPv6 is always on, and a smaller MTU would break it silently.
// At most 65521, libslirp's IF_MTU_MAX (slirp_new refuses more).
inline constexpr size_t default_mtu = 1500;
inline constexpr size_t minimum_mtu = 1280;
inline constexpr size_t maximum_mtu = 65521;

enum class Protocol { tcp, udp };

// --forward PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT: connections (or datagrams) to
// HOSTADDR:HOSTPORT on the host go to the guest's GUESTPORT.
struct Forward {
    std::string spec;  // as given, to name the forward in messages
    Protocol protocol = Protocol::tcp;
    in_addr host_address{};  // network byte order; 127.0.0.1 unless given
    uint16_t host_port = 0;  // never 0
    uint16_t guest_port = 0;
};

struct Options {
    int frame_fd = -1;  // the inherited AF_UNIX SOCK_SEQPACKET socket (checked when opened)
    std::vector<Forward> forwards;
    size_t mtu = default_mtu;
};

// Throws HostError with a one-line message on bad usage.
Options parse_options(int argc, const char* const* argv);

// "127.0.0.1:8080"
std::string host_endpoint(const Forward& forward);

}  // namespace ehyve::net_user
