#include "event_loop.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

#include "error.hpp"

namespace ehyve::net_user {
namespace {

// Frames taken from ehyve per wake-up before libslirp's own sockets get their turn, so a
// guest sending at full speed cannot starve the host side of its connections.
constexpr int frames_per_wakeup = 64;

// False when ehyve has closed its end.
bool pass_frames_to_network(FrameSocket& frames, UserNetwork& network) {
    for (int i = 0; i < frames_per_wakeup; ++i) {
        std::span<const uint8_t> frame;
        switch (frames.receive(frame)) {
            case FrameSocket::Receipt::frame: network.input(frame); break;
            case FrameSocket::Receipt::dropped: break;
            case FrameSocket::Receipt::empty: return true;
            case FrameSocket::Receipt::closed: return false;
        }
    }
    return true;
}

// ehyve has ended, but libslirp may still hold data the guest sent and it acknowledged
// (it is the guest's TCP peer): go on writing it to the host's sockets, without the
// guest, until no socket wants to write or 5 s have passed.
void deliver_what_is_left(UserNetwork& network, TimerList& timers) {
    const int64_t deadline = monotonic_milliseconds() + 5000;
    std::vector<pollfd> pollfds;
    for (;;) {
        int64_t now = monotonic_milliseconds();
        if (now >= deadline) return;
        timers.run_due(now);
        pollfds.clear();
        uint32_t timeout_ms = UINT32_MAX;
        network.add_poll_fds(pollfds, timeout_ms);
        if (std::none_of(pollfds.begin(), pollfds.end(), [](const pollfd& p) { return p.events & POLLOUT; })) return;
        int timeout = static_cast<int>(std::min<int64_t>(std::min<int64_t>(timeout_ms, 100), deadline - now));
        int ready = poll(pollfds.data(), pollfds.size(), timeout);
        if (ready < 0 && errno != EINTR) return;
        network.handle_poll_results(pollfds, ready < 0);
    }
}

}  // namespace

void run_event_loop(FrameSocket& frames, UserNetwork& network, TimerList& timers) {
    std::vector<pollfd> pollfds;
    for (;;) {
        timers.run_due(monotonic_milliseconds());

        pollfds.clear();
        pollfds.push_back(pollfd{frames.fd(), POLLIN, 0});  // index 0: the frame socket
        // libslirp lowers this to at most 1 s (its TCP timers); UINT32_MAX means "none".
        uint32_t timeout_ms = UINT32_MAX;
        network.add_poll_fds(pollfds, timeout_ms);
        if (auto next_timer = timers.milliseconds_until_next(monotonic_milliseconds()))
            timeout_ms = static_cast<uint32_t>(std::min<int64_t>(timeout_ms, *next_timer));
        int timeout = timeout_ms == UINT32_MAX ? -1 : static_cast<int>(std::min<uint32_t>(timeout_ms, INT32_MAX));

        int ready = poll(pollfds.data(), pollfds.size(), timeout);
        if (ready < 0 && errno != EINTR) fail_errno("poll");
        network.handle_poll_results(pollfds, ready < 0);

        // POLLHUP and POLLERR also go to receive(), which reads what ehyve sent before it
        // closed and then reports the end.
        if (ready > 0 && pollfds[0].revents != 0 && !pass_frames_to_network(frames, network)) {
            deliver_what_is_left(network, timers);
            return;
        }
    }
}

}  // namespace ehyve::net_user
