// UDP sockets (AF_INET and AF_INET6, SOCK_DGRAM) over lwIP's raw API (net/stack.hpp).
// Datagrams lwIP delivers are queued in the socket, up to its receive buffer (more are
// dropped, as UDP does).
#pragma once

#include "net/socket.hpp"

namespace eremite::net {

Result<fs::Ref<Socket>> make_udp_socket(int family, uint32_t flags);

}  // namespace eremite::net
