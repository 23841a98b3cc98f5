// The virtio-mmio transport (virtio 1.x, 4.2, register layout version 2) as ehyve's
// devices present it: a register window the guest reaches through MMIO exits. Only
// set-up touches it (feature negotiation, queue addresses, the status byte); queue
// notifications are taken by KVM (ioeventfd) and interrupts leave by irqfd, so the
// running device never costs a vCPU thread an exit (abi.hpp, "Devices").
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>

#include "eremite/virtio.hpp"
#include "guest_memory.hpp"
#include "virtqueue.hpp"

namespace ehyve {

inline constexpr uint16_t max_device_queues = 2;

// What a device type adds to the transport.
class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;
    virtual uint32_t device_id() const = 0;
    virtual uint64_t features() const = 0;  // offered; VERSION_1 is always among them
    virtual uint16_t queue_count() const = 0;
    virtual uint16_t queue_size_max() const { return 256; }
    // Device-specific configuration space; bytes past its end read as 0.
    virtual std::span<const uint8_t> config() const = 0;
    // DRIVER_OK: the queues are configured and the device may serve them from now on.
    virtual void start(std::span<DeviceQueue> queues, uint64_t features) = 0;
    // A reset (or the VM's end): after stop() returns the device touches no queue.
    virtual void stop() = 0;
    // A QueueNotify write that reached ehyve rather than an ioeventfd.
    virtual void kick(uint16_t queue) = 0;
    // The driver broke a queue (a hostile or buggy ring): the device serves it no more
    // and the status says DEVICE_NEEDS_RESET.
    virtual bool broken() const { return false; }
};

class VirtioMmio {
public:
    VirtioMmio(const GuestMemory& memory, VirtioDevice& device, uint64_t base)
        : memory_(memory), device_(device), base_(base) {}
    ~VirtioMmio() { device_.stop(); }

    static constexpr uint64_t window_size = 0x1000;
    uint64_t base() const { return base_; }
    bool contains(uint64_t address) const { return address >= base_ && address - base_ < window_size; }

    // An MMIO exit inside the window; a width or offset the spec does not allow reads 0
    // and writes nothing, as a device would.
    void read(uint64_t address, uint8_t* data, uint32_t length);
    void write(uint64_t address, const uint8_t* data, uint32_t length);

private:
    uint32_t read_register(uint32_t offset);
    void write_register(uint32_t offset, uint32_t value);
    void reset();
    void set_status(uint32_t value);

    const GuestMemory& memory_;
    VirtioDevice& device_;
    const uint64_t base_;

    std::mutex mutex_;  // vCPU threads exit here concurrently
    uint32_t status_ = 0;
    uint32_t device_features_select_ = 0, driver_features_select_ = 0;
    uint64_t driver_features_ = 0;
    uint32_t queue_select_ = 0;
    struct QueueSetup {
        uint16_t size = 0;
        bool ready = false;
        DeviceQueue::Addresses addresses;
    };
    std::array<QueueSetup, max_device_queues> setup_{};
    std::array<DeviceQueue, max_device_queues> queues_{};
    bool started_ = false;
};

}  // namespace ehyve
