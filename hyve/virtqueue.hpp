// The device side of a virtio split virtqueue (virtio 1.x, 2.7): descriptor table,
// available ring written by the driver, used ring written by the device, in guest RAM.
// Everything the guest wrote is read once, copied, and checked against guest RAM before
// a pointer is formed: a descriptor index out of range, a chain longer than the queue
// (a loop), a buffer outside RAM or a nested indirect table marks the queue broken,
// and the device then stops serving it (the spec's DEVICE_NEEDS_RESET), never the host.
// With VIRTIO_F_EVENT_IDX both sides say how far the other may go before it signals.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <vector>

#include "guest_memory.hpp"

namespace ehyve {

namespace virtq {
inline constexpr uint16_t desc_next = 1;
inline constexpr uint16_t desc_write = 2;
inline constexpr uint16_t desc_indirect = 4;
inline constexpr uint16_t avail_no_interrupt = 1;  // without EVENT_IDX: the driver needs no interrupt
inline constexpr uint16_t used_no_notify = 1;      // without EVENT_IDX: the device needs no kick
inline constexpr uint16_t max_size = 32768;

// The spec's vring_need_event: whether moving an index from `old_index` to `new_index`
// passed the other side's event index.
inline bool need_event(uint16_t event, uint16_t new_index, uint16_t old_index) {
    return static_cast<uint16_t>(new_index - event - 1) < static_cast<uint16_t>(new_index - old_index);
}
}  // namespace virtq

// One buffer chain the driver made available: the device reads `readable` and writes
// into `writable`, both host views of guest RAM.
struct DescriptorChain {
    uint16_t head = 0;
    std::vector<iovec> readable;
    std::vector<iovec> writable;
    uint64_t readable_bytes = 0;
    uint64_t writable_bytes = 0;
    bool indirect = false;  // described by an indirect table
};

class DeviceQueue {
public:
    struct Addresses {
        uint64_t descriptors = 0, available = 0, used = 0;  // guest-physical
    };

    // Checks the three areas (alignment, inside RAM, size a power of two up to
    // `max_size`); false leaves the queue unconfigured.
    bool configure(const GuestMemory& memory, uint16_t size, Addresses addresses, bool event_index);
    void reset();
    bool configured() const { return size_ != 0; }
    bool broken() const { return broken_; }

    enum class Pop { chain, empty, broken };
    // Takes the next chain the driver made available, filling `chain` (its vectors are
    // reused, so a loop of pops allocates nothing).
    Pop pop(DescriptorChain& chain);
    // Gives a chain back to the driver with `written` bytes in its writable part.
    void push(uint16_t head, uint32_t written);
    // After a batch of pushes: whether the driver asked for an interrupt by now.
    bool should_interrupt();

    // The device is about to wait for a kick: ask the driver for one on its next
    // addition. Returns true when chains arrived meanwhile (pop again instead of waiting).
    bool enable_kicks();
    // The device is busy popping anyway: kicks would only cost exits.
    void disable_kicks();

private:
    bool read_descriptor(uint64_t table, uint32_t table_size, uint32_t index, struct Descriptor& out) const;
    bool add_buffer(DescriptorChain& chain, const struct Descriptor& d);
    uint16_t available_index() const;

    const GuestMemory* memory_ = nullptr;
    uint16_t size_ = 0;
    Addresses at_;
    bool event_index_ = false;
    bool broken_ = false;
    uint16_t next_available_ = 0;  // the driver's ring entries consumed so far
    uint16_t used_index_ = 0;      // what the device published
    uint16_t signalled_used_ = 0;  // used index at the last should_interrupt()
};

}  // namespace ehyve
