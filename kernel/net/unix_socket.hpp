// AF_UNIX sockets inside the guest (unix(7)): SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET;
// connected pairs from socketpair(2); names in the abstract namespace (sun_path starting
// with a NUL byte) or as socket nodes in the guest's own file systems (tmpfs). Control
// messages (SCM_RIGHTS, SCM_CREDENTIALS) are not carried: sendmsg with one is
// EOPNOTSUPP, and recvmsg never returns any.
#pragma once

#include "net/socket.hpp"

namespace eremite::net {

Result<fs::Ref<Socket>> make_unix_socket(int type, uint32_t flags);

struct SocketPair {
    fs::Ref<Socket> first, second;
};
Result<SocketPair> make_unix_pair(int type, uint32_t flags);

}  // namespace eremite::net
