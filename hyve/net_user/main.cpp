// ehyve-net-user: the guest's user-mode network (ehyve --net user), QEMU's
// "-netdev user" in a process of its own. ehyve is linked statically for its start-up
// time and libslirp (with GLib) only comes as a shared library, so ehyve spawns this
// dynamically linked helper and its virtio-net device exchanges raw frames with it.
//
// Command line (ehyve builds it; the --forward values are the user's, passed on as
// given, so errors name them):
//
//   ehyve-net-user --fd N [--forward PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT]... [--mtu M]
//
//   --fd N        an open AF_UNIX SOCK_SEQPACKET socket inherited from ehyve (one end of
//                 a socketpair). Each message, in both directions, is exactly one raw
//                 Ethernet frame: destination MAC first, no virtio-net header, no FCS.
//   --forward     PROTO is tcp or udp. Connections (datagrams) to HOSTADDR:HOSTPORT on
//                 the host go to GUESTPORT of the guest's DHCP address, 10.0.2.15.
//                 HOSTADDR is an IPv4 address and defaults to 127.0.0.1 (QEMU's default
//                 is 0.0.0.0): the forwarded service is then reachable from this host
//                 only, not from the whole network, unless 0.0.0.0 is asked for.
//                 Repeatable; "--name=VALUE" works for every option too.
//   --mtu M       the link MTU, 1280 (IPv6's minimum) to 65521 (libslirp's maximum);
//                 default 1500. Frames from ehyve longer than M + 14 (+ 4 with an 802.1Q
//                 tag) or shorter than 14 bytes are dropped.
//
// The network is QEMU's: 10.0.2.0/24 with the host (gateway) at 10.0.2.2, also standing
// for the host's own 127.0.0.1; DNS at 10.0.2.3; DHCP handing out 10.0.2.15 first;
// IPv6 fec0::/64 with the host at fec0::2 and DNS at fec0::3 (user_network.hpp).
//
// Handshake: once the network is up and every forward listens, the helper sends one
// message of exactly one byte, value 0 ("ready"); frames follow only after it, and a
// frame is never shorter than 14 bytes, so the two cannot be confused. On any failure
// before that (bad arguments, a host port in use) it prints one line to stderr,
// "ehyve: ...", and exits with status 1 without sending the byte.
//
// End: when ehyve closes its end (end of file, hang-up or an error on the socket) the
// helper exits with status 0. It also asks the kernel for SIGKILL when its parent dies,
// so it never outlives ehyve. ehyve must spawn it from a thread that lives as long as the
// VM: PR_SET_PDEATHSIG fires when the parent *thread* ends, not the process.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "error.hpp"
#include "event_loop.hpp"
#include "frame_socket.hpp"
#include "options.hpp"
#include "timers.hpp"
#include "user_network.hpp"

namespace {

constexpr int exit_ended = 0;   // ehyve closed the frame socket (or had gone already)
constexpr int exit_failed = 1;  // could not start; the reason is on stderr

int run(int argc, char** argv) {
    using namespace ehyve::net_user;
    Options options = parse_options(argc, argv);
    FrameSocket frames(options.frame_fd, options.mtu);
    TimerList timers;  // before the network: libslirp frees its timer in slirp_cleanup
    UserNetwork network(options.mtu, frames, timers);
    for (const Forward& forward : options.forwards) network.add_forward(forward);
    if (!frames.send_ready()) return exit_ended;  // ehyve has gone: nobody to serve
    run_event_loop(frames, network, timers);
    return exit_ended;
}

}  // namespace

int main(int argc, char** argv) {
    // Die with ehyve. The parent may already have died before prctl() took effect; then
    // the helper has been re-parented and getppid() changed. (A parent that died before
    // main() even started is caught by the frame socket's end of file.)
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) return exit_ended;
    // libslirp writes to the guest's TCP peers with plain send(): a peer that has closed
    // must give EPIPE, not kill the helper (QEMU ignores SIGPIPE for the same reason).
    signal(SIGPIPE, SIG_IGN);
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ehyve: %s\n", e.what());
    }
    return exit_failed;
}
