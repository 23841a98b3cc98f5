// TCP sockets (AF_INET and AF_INET6, SOCK_STREAM) over lwIP's raw API (net/stack.hpp):
// received segments wait in the socket as lwIP's pbufs and open the window again as the
// app reads them; sends copy through a kernel chunk into lwIP's send buffer. lwIP's
// timers run whenever a thread enters the stack, and a thread that waits enters it every
// 50 ms.
#pragma once

#include "net/socket.hpp"

namespace eremite::net {

Result<fs::Ref<Socket>> make_tcp_socket(int family, uint32_t flags);

}  // namespace eremite::net
