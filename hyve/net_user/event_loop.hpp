// The helper's one loop: poll() over the frame socket and libslirp's sockets, bounded by
// the nearest timer; frames from ehyve go to libslirp, which answers through the frame
// socket from inside the calls.
#pragma once

#include "frame_socket.hpp"
#include "timers.hpp"
#include "user_network.hpp"

namespace ehyve::net_user {

// Returns when ehyve closes its end of the frame socket (or the socket fails). Throws
// HostError only when poll() itself fails for a reason other than a signal.
void run_event_loop(FrameSocket& frames, UserNetwork& network, TimerList& timers);

}  // namespace ehyve::net_user
