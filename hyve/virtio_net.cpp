#include "virtio_net.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "error.hpp"

namespace ehyve {
namespace {

using namespace eremite::virtio_spec;

// What the device thread waits for, as epoll data.
enum Source : uint64_t { source_stop, source_rx_kick, source_tx_kick, source_backend };

// Frames per batch before the driver gets its interrupt: it starts on the first ones
// while the device goes on filling.
constexpr int receive_batch = 32;

FileDescriptor make_eventfd() {
    FileDescriptor fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!fd.valid()) fail_errno("virtio-net: eventfd");
    return fd;
}

void drain(int fd) {
    uint64_t value;
    while (read(fd, &value, sizeof value) > 0) {
    }
}

}  // namespace

VirtioNet::VirtioNet(std::unique_ptr<NetBackend> backend, std::array<uint8_t, 6> mac, uint16_t mtu)
    : backend_(std::move(backend)), max_frame_(14 + 4 + uint32_t{mtu}) {
    std::memcpy(config_.data() + net_config_mac, mac.data(), 6);
    config_[net_config_status] = net_status_link_up;
    config_[net_config_pairs] = 1;
    std::memcpy(config_.data() + net_config_mtu, &mtu, 2);
    for (auto& kick : kicks_) kick = make_eventfd();
    interrupt_ = make_eventfd();
    stop_ = make_eventfd();
    epoll_ = FileDescriptor(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) fail_errno("virtio-net: epoll_create1");
    auto add = [this](int fd, Source source, uint32_t events) {
        epoll_event event{events, {.u64 = source}};
        if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) < 0) fail_errno("virtio-net: epoll_ctl");
    };
    add(stop_.get(), source_stop, EPOLLIN);
    add(kicks_[receive_queue].get(), source_rx_kick, EPOLLIN);
    add(kicks_[transmit_queue].get(), source_tx_kick, EPOLLIN);
    add(backend_->fd(), source_backend, 0);
}

VirtioNet::~VirtioNet() { stop(); }

uint64_t VirtioNet::features() const {
    // CSUM: the guest may leave TCP/UDP checksums to the device (net_backend.cpp).
    return feature_version_1 | feature_event_index | feature_indirect | net_feature_mac | net_feature_mtu |
           net_feature_status | net_feature_checksum;
}

void VirtioNet::start(std::span<DeviceQueue> queues, uint64_t) {
    rx_ = &queues[receive_queue];
    tx_ = &queues[transmit_queue];
    rx_held_ = tx_held_ = false;
    drain(stop_.get());
    thread_ = std::thread([this] { serve(); });
}

void VirtioNet::stop() {
    if (!thread_.joinable()) return;
    uint64_t one = 1;
    if (write(stop_.get(), &one, sizeof one) < 0) std::perror("ehyve: virtio-net stop");
    thread_.join();
    rx_ = tx_ = nullptr;
}

void VirtioNet::kick(uint16_t queue) {
    uint64_t one = 1;
    if (write(kicks_[queue].get(), &one, sizeof one) < 0) std::perror("ehyve: virtio-net kick");
}

void VirtioNet::listen_to_backend() {
    if (backend_gone_) return;  // deregistered: a hung-up fd would wake epoll for ever
    uint32_t events = 0;
    if (!rx_starved_ && !rx_->broken()) events |= EPOLLIN;
    if (tx_held_) events |= EPOLLOUT;
    if (events == backend_events_) return;
    backend_events_ = events;
    epoll_event event{events, {.u64 = source_backend}};
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, backend_->fd(), &event);
}

void VirtioNet::lose_backend() {
    if (backend_gone_) return;
    std::fprintf(stderr, "ehyve: %s: the network back-end is gone\n", describe().c_str());
    backend_gone_ = true;
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, backend_->fd(), nullptr);
}

void VirtioNet::interrupt_if_asked(DeviceQueue& queue) {
    if (!queue.should_interrupt()) return;
    uint64_t one = 1;
    if (write(interrupt_.get(), &one, sizeof one) == sizeof one) ++counters_.interrupts;
}

void VirtioNet::serve() {
    // Whatever the driver queued before DRIVER_OK, and the first frames waiting.
    backend_events_ = ~0u;
    rx_starved_ = false;
    listen_to_backend();
    transmit();
    receive();
    epoll_event events[8];
    for (;;) {
        int n = epoll_wait(epoll_.get(), events, 8, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("ehyve: virtio-net epoll_wait");
            return;
        }
        ++counters_.wakeups;
        bool do_transmit = false, do_receive = false;
        for (int i = 0; i < n; ++i) {
            switch (events[i].data.u64) {
                case source_stop:
                    transmit();  // what the guest queued before it ended
                    return;
                case source_tx_kick:
                    drain(kick_fd(transmit_queue));
                    do_transmit = true;
                    break;
                case source_rx_kick:
                    drain(kick_fd(receive_queue));
                    do_receive = true;
                    break;
                case source_backend:
                    if (events[i].events & EPOLLOUT) do_transmit = true;
                    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) do_receive = true;
                    break;
            }
        }
        if (do_transmit) transmit();
        if (do_receive) receive();
    }
}

void VirtioNet::transmit() {
    DeviceQueue& queue = *tx_;
    queue.disable_kicks();
    for (;;) {
        if (!tx_held_) {
            DeviceQueue::Pop result = queue.pop(tx_chain_);
            if (result == DeviceQueue::Pop::broken) break;  // the driver must reset the device
            if (result == DeviceQueue::Pop::empty) {
                if (queue.enable_kicks()) continue;
                break;
            }
            tx_held_ = true;
        }
        // Sent only when it is a frame: a whole header, at most an MTU-sized frame, a
        // piece count the back-ends take. Anything else is used and dropped, as a NIC
        // drops what it cannot put on the wire.
        const uint64_t frame =
            tx_chain_.readable_bytes - std::min<uint64_t>(tx_chain_.readable_bytes, virtio_net_header_size);
        if (frame >= 14 && frame <= max_frame_ && tx_chain_.readable.size() <= max_frame_pieces && !backend_gone_) {
            if (!backend_->send(tx_chain_.readable)) {
                listen_to_backend();  // tx_held_: wait until the host takes frames again
                queue.enable_kicks();
                interrupt_if_asked(queue);
                return;
            }
            ++counters_.frames_out;
            if (tx_chain_.indirect) ++counters_.frames_out_indirect;
        }
        tx_held_ = false;
        queue.push(tx_chain_.head, 0);
    }
    listen_to_backend();
    interrupt_if_asked(queue);
}

void VirtioNet::receive() {
    DeviceQueue& queue = *rx_;
    int batch = 0;
    while (!backend_gone_) {
        if (!rx_held_) {
            DeviceQueue::Pop result = queue.pop(rx_chain_);
            if (result == DeviceQueue::Pop::broken) break;  // listen_to_backend stops reading
            if (result == DeviceQueue::Pop::empty) {
                if (queue.enable_kicks()) continue;
                // No buffer to receive into: leave frames in the host until the driver
                // adds some (its kick wakes us), instead of spinning on a readable fd.
                rx_starved_ = true;
                break;
            }
            queue.disable_kicks();
            rx_held_ = true;
            rx_starved_ = false;
            // A buffer no frame fits in, or in more pieces than the back-ends take.
            if (rx_chain_.writable_bytes < virtio_net_header_size + max_frame_ ||
                rx_chain_.writable.size() > max_frame_pieces) {
                rx_held_ = false;
                queue.push(rx_chain_.head, 0);
                continue;
            }
        }
        ssize_t n = backend_->receive(rx_chain_.writable);
        if (n < 0) {
            lose_backend();
            break;
        }
        if (n == 0) break;
        rx_held_ = false;
        // A TAP device reports a frame's whole length even when it was cut short.
        queue.push(rx_chain_.head, static_cast<uint32_t>(std::min<uint64_t>(n, rx_chain_.writable_bytes)));
        ++counters_.frames_in;
        if (++batch == receive_batch) {
            interrupt_if_asked(queue);
            batch = 0;
        }
    }
    listen_to_backend();
    interrupt_if_asked(queue);
}

}  // namespace ehyve
