#include "user_network.hpp"

#include <arpa/inet.h>
#include <libslirp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "error.hpp"

namespace ehyve::net_user {
namespace {

in_addr ipv4(const char* text) {
    in_addr address{};
    inet_pton(AF_INET, text, &address);
    return address;
}

in6_addr ipv6(const char* text) {
    in6_addr address{};
    inet_pton(AF_INET6, text, &address);
    return address;
}

// The address DHCP hands out first: the one forwards deliver to (ehyve's guest is the
// only machine on this network, so it gets it).
const char* const guest_address = "10.0.2.15";

// A hostile guest can make libslirp report an error per frame; the first few say what
// is wrong, the rest would only flood ehyve's stderr.
constexpr int maximum_guest_errors_logged = 10;

short poll_events(int slirp_events) {
    short events = 0;
    if (slirp_events & SLIRP_POLL_IN) events |= POLLIN;
    if (slirp_events & SLIRP_POLL_OUT) events |= POLLOUT;
    if (slirp_events & SLIRP_POLL_PRI) events |= POLLPRI;
    return events;  // poll() reports POLLERR and POLLHUP without being asked
}

int slirp_events(short poll_events) {
    int events = 0;
    if (poll_events & POLLIN) events |= SLIRP_POLL_IN;
    if (poll_events & POLLOUT) events |= SLIRP_POLL_OUT;
    if (poll_events & POLLPRI) events |= SLIRP_POLL_PRI;
    if (poll_events & POLLERR) events |= SLIRP_POLL_ERR;
    if (poll_events & POLLHUP) events |= SLIRP_POLL_HUP;
    return events;
}

}  // namespace

const SlirpCb& UserNetwork::callbacks() {
    // libslirp keeps a pointer to this for the network's lifetime. `opaque` is the
    // UserNetwork, except for the timer callbacks' own cb_opaque.
    static const SlirpCb table = [] {
        SlirpCb cb{};
        cb.send_packet = [](const void* buffer, size_t size, void* opaque) -> ssize_t {
            static_cast<UserNetwork*>(opaque)->frames_.send_frame(
                std::span<const uint8_t>(static_cast<const uint8_t*>(buffer), size));
            // Sent or dropped, it is gone as far as libslirp is concerned (a negative value
            // would only make it log a GLib critical for each dropped frame).
            return static_cast<ssize_t>(size);
        };
        cb.guest_error = [](const char* message, void* opaque) {
            auto* network = static_cast<UserNetwork*>(opaque);
            if (network->guest_errors_logged_ >= maximum_guest_errors_logged) return;
            ++network->guest_errors_logged_;
            std::fprintf(stderr, "ehyve: network: guest error: %s%s\n", message,
                         network->guest_errors_logged_ == maximum_guest_errors_logged ? " (no more shown)" : "");
        };
        cb.clock_get_ns = [](void*) -> int64_t { return monotonic_nanoseconds(); };
        cb.timer_new = [](SlirpTimerCb callback, void* callback_opaque, void* opaque) -> void* {
            return static_cast<UserNetwork*>(opaque)->timers_.create(callback, callback_opaque);
        };
        cb.timer_free = [](void* timer, void* opaque) {
            static_cast<UserNetwork*>(opaque)->timers_.destroy(static_cast<TimerList::Timer*>(timer));
        };
        cb.timer_mod = [](void* timer, int64_t deadline_ms, void* opaque) {
            static_cast<UserNetwork*>(opaque)->timers_.arm(static_cast<TimerList::Timer*>(timer), deadline_ms);
        };
        // The helper hands libslirp's sockets to poll() afresh on every loop iteration
        // (add_poll_fds), so there is nothing to register; and the loop runs on the one
        // thread that libslirp's notify would have to wake.
        cb.register_poll_fd = [](int, void*) {};
        cb.unregister_poll_fd = [](int, void*) {};
        cb.notify = [](void*) {};
        // Version 4's init_completed and timer_new_opaque stay null: libslirp then uses
        // timer_new (slirp_timer_new in libslirp 4.7).
        return cb;
    }();
    return table;
}

UserNetwork::UserNetwork(size_t mtu, FrameSocket& frames, TimerList& timers) : frames_(frames), timers_(timers) {
    SlirpConfig config{};
    config.version = 4;  // SLIRP_CONFIG_VERSION_MAX of libslirp 4.7
    config.restricted = 0;
    config.in_enabled = true;
    config.vnetwork = ipv4("10.0.2.0");
    config.vnetmask = ipv4("255.255.255.0");
    config.vhost = ipv4("10.0.2.2");
    config.vdhcp_start = ipv4(guest_address);
    config.vnameserver = ipv4("10.0.2.3");
    config.in6_enabled = true;
    config.vprefix_addr6 = ipv6("fec0::");
    config.vprefix_len = 64;
    config.vhost6 = ipv6("fec0::2");
    config.vnameserver6 = ipv6("fec0::3");
    config.if_mtu = mtu;
    config.if_mru = mtu;
    // As QEMU: the guest reaches the host's own 127.0.0.1 services at 10.0.2.2.
    config.disable_host_loopback = false;
    // libslirp's emulation of old protocols (FTP, IRC, ...) rewrites payloads and is
    // documented as unsafe; the guest speaks plain TCP.
    config.enable_emu = false;
    config.disable_dns = false;
    config.disable_dhcp = false;
    slirp_ = slirp_new(&config, &callbacks(), this);
    if (slirp_ == nullptr) fail("libslirp " + std::string(slirp_version_string()) + " refused the network setup");
}

UserNetwork::~UserNetwork() { slirp_cleanup(slirp_); }

void UserNetwork::add_forward(const Forward& forward) {
    errno = 0;
    if (slirp_add_hostfwd(slirp_, forward.protocol == Protocol::udp, forward.host_address, forward.host_port,
                          ipv4(guest_address), forward.guest_port) == 0)
        return;
    // libslirp keeps bind()'s errno (tcpx_listen and udpx_listen restore it).
    std::string reason = errno != 0 ? std::string(": ") + std::strerror(errno) : " (address in use or not allowed)";
    fail("--forward " + forward.spec + ": cannot listen on " + host_endpoint(forward) + reason);
}

void UserNetwork::input(std::span<const uint8_t> frame) {
    slirp_input(slirp_, frame.data(), static_cast<int>(frame.size()));
}

void UserNetwork::add_poll_fds(std::vector<pollfd>& pollfds, uint32_t& timeout_ms) {
    slirp_pollfds_fill(
        slirp_, &timeout_ms,
        [](int fd, int events, void* opaque) -> int {
            auto& fds = *static_cast<std::vector<pollfd>*>(opaque);
            fds.push_back(pollfd{fd, poll_events(events), 0});
            return static_cast<int>(fds.size() - 1);
        },
        &pollfds);
}

void UserNetwork::handle_poll_results(std::vector<pollfd>& pollfds, bool poll_failed) {
    slirp_pollfds_poll(
        slirp_, poll_failed ? 1 : 0,
        [](int index, void* opaque) -> int {
            auto& fds = *static_cast<std::vector<pollfd>*>(opaque);
            return slirp_events(fds[static_cast<size_t>(index)].revents);
        },
        &pollfds);
}

}  // namespace ehyve::net_user
