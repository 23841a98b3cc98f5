// ehyve's virtio-net device (virtio 1.x, 5.1): queue 0 receives, queue 1 transmits.
// A thread of its own serves both queues and the back-end, so no vCPU ever waits for
// the host's network: the guest's kicks arrive as eventfds that KVM signals (ioeventfd),
// its interrupts leave as an eventfd KVM turns into an APIC message (irqfd). With
// EVENT_IDX neither side signals while the other is still busy with the queue, so a
// stream of packets costs a kick and an interrupt per batch rather than per packet.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "file_descriptor.hpp"
#include "net_backend.hpp"
#include "virtio_mmio.hpp"

namespace ehyve {

class VirtioNet final : public VirtioDevice {
public:
    static constexpr uint16_t receive_queue = 0;
    static constexpr uint16_t transmit_queue = 1;

    VirtioNet(std::unique_ptr<NetBackend> backend, std::array<uint8_t, 6> mac, uint16_t mtu);
    ~VirtioNet() override;

    // The eventfd KVM signals when the guest kicks `queue`, and the one ehyve signals to
    // interrupt the guest.
    int kick_fd(uint16_t queue) const { return kicks_[queue].get(); }
    int interrupt_fd() const { return interrupt_.get(); }

    uint32_t device_id() const override { return eremite::virtio_spec::net_device_id; }
    uint64_t features() const override;
    uint16_t queue_count() const override { return 2; }
    uint16_t queue_size_max() const override { return 1024; }
    bool broken() const override { return (rx_ && rx_->broken()) || (tx_ && tx_->broken()); }
    std::span<const uint8_t> config() const override { return config_; }
    void start(std::span<DeviceQueue> queues, uint64_t features) override;
    void stop() override;
    void kick(uint16_t queue) override;

    struct Counters {
        std::atomic<uint64_t> frames_in{0}, frames_out{0}, frames_out_indirect{0}, interrupts{0}, wakeups{0};
    };
    const Counters& counters() const { return counters_; }
    std::string describe() const { return backend_->describe(); }
    uint16_t mtu() const { return static_cast<uint16_t>(max_frame_ - 18); }

private:
    void serve();
    void transmit();
    void receive();
    void interrupt_if_asked(DeviceQueue& queue);
    void listen_to_backend();
    void lose_backend();

    std::unique_ptr<NetBackend> backend_;
    std::array<uint8_t, eremite::virtio_spec::net_config_size> config_{};
    std::array<FileDescriptor, 2> kicks_;
    FileDescriptor interrupt_;
    FileDescriptor stop_;
    FileDescriptor epoll_;
    std::thread thread_;
    DeviceQueue* rx_ = nullptr;
    DeviceQueue* tx_ = nullptr;

    // Served by the device thread only.
    DescriptorChain rx_chain_, tx_chain_;
    bool rx_held_ = false;      // rx_chain_ was popped and waits for a frame
    bool tx_held_ = false;      // tx_chain_ was refused by the back-end and waits to be sent
    const uint32_t max_frame_;  // bytes without the virtio header: MTU, Ethernet header, a VLAN tag
    bool rx_starved_ = false;   // the driver gave no receive buffers: frames wait in the host
    bool backend_gone_ = false;
    uint32_t backend_events_ = 0;
    Counters counters_;
};

}  // namespace ehyve
