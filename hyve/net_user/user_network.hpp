// The guest's network, emulated by libslirp with QEMU's user-networking defaults:
//
//   10.0.2.0/24   10.0.2.2 the host (gateway; also the host's own 127.0.0.1, since
//                 host loopback is allowed), 10.0.2.3 DNS (relayed to the host's
//                 resolvers), DHCP hands out 10.0.2.15 first
//   fec0::/64     fec0::2 the host, fec0::3 DNS (router advertisements, DHCPv6)
//
// libslirp owns every host socket of the guest's connections and forwards; it needs the
// helper to poll them (add_poll_fds, handle_poll_results), to keep its timers
// (TimerList) and to carry its frames (FrameSocket). Everything runs on one thread.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "frame_socket.hpp"
#include "options.hpp"
#include "timers.hpp"

struct Slirp;
struct SlirpCb;

namespace ehyve::net_user {

class UserNetwork {
public:
    // Throws HostError when libslirp refuses the configuration. `frames` and `timers`
    // must outlive the network (libslirp frees its timer in the destructor).
    UserNetwork(size_t mtu, FrameSocket& frames, TimerList& timers);
    ~UserNetwork();
    UserNetwork(const UserNetwork&) = delete;
    UserNetwork& operator=(const UserNetwork&) = delete;

    // Listens on the forward's host address and port. Throws HostError with the line to
    // print when that fails (port in use, privileged port, address not on this host).
    void add_forward(const Forward& forward);

    // A frame from the guest (at least an Ethernet header long). libslirp checks the rest
    // and may answer at once through FrameSocket::send_frame.
    void input(std::span<const uint8_t> frame);

    // Appends libslirp's sockets to `pollfds` and lowers `timeout_ms` (UINT32_MAX: none)
    // to when its TCP timers need to run.
    void add_poll_fds(std::vector<pollfd>& pollfds, uint32_t& timeout_ms);
    // After poll(): libslirp reads and writes its ready sockets and runs its TCP timers.
    // Must follow every add_poll_fds, also when poll() failed.
    void handle_poll_results(std::vector<pollfd>& pollfds, bool poll_failed);

private:
    static const SlirpCb& callbacks();

    Slirp* slirp_ = nullptr;
    FrameSocket& frames_;
    TimerList& timers_;
    int guest_errors_logged_ = 0;
};

}  // namespace ehyve::net_user
