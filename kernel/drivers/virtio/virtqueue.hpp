// The driver side of a virtio split virtqueue (virtio 1.x, 2.7): the kernel owns the
// descriptor table and the available ring, the device writes the used ring. Buffers are
// physical ranges; each chain carries a token the driver gets back when the device is
// done with it. With EVENT_IDX (negotiated by the transport's user) the driver kicks only
// when the device asked to be told, and asks for an interrupt only when it is about to
// wait. Not thread-safe: its owner serialises (the network stack's lock).
#pragma once

#include <stdint.h>

#include "lib/result.hpp"
#include "mm/address.hpp"

namespace eremite::virtio {

struct Buffer {
    PhysAddr address;
    uint32_t length;
    bool device_writes;
};

class Virtqueue {
public:
    // Allocates the rings for `size` entries (a power of two) in contiguous, zeroed frames.
    Result<void> init(uint16_t size, bool event_index);
    uint16_t size() const { return size_; }
    PhysAddr descriptors() const { return rings_; }
    PhysAddr available() const;
    PhysAddr used() const;

    uint16_t free_count() const { return free_count_; }
    // Queues one chain; false when fewer than `count` descriptors are free.
    bool add(const Buffer* buffers, uint16_t count, void* token);
    // Queues one chain through an indirect table (VIRTIO_F_INDIRECT_DESC, when the device
    // offered it): one ring descriptor however many buffers. `table` holds `count` * 16
    // bytes of physically contiguous memory that stays the caller's and untouched until
    // the token comes back. False when no descriptor is free.
    bool add_indirect(const Buffer* buffers, uint16_t count, PhysAddr table, void* token);
    static constexpr uint32_t indirect_entry_size = 16;
    // Publishes what add() queued; true when the device must be kicked.
    bool publish();

    // The next chain the device finished (its token and the bytes it wrote), or nullptr.
    void* take_used(uint32_t& written);
    // About to wait: interrupt on the next used chain. True when one arrived meanwhile
    // (take it instead of waiting).
    bool arm_interrupt();

    // Chains published and not yet used by the device.
    uint16_t held_by_device() const;
    // The device's count of chains used (its used ring's index), taken or not.
    uint16_t device_used_index() const;

private:
    struct Descriptor;
    Descriptor* table() const;
    static void describe(Descriptor& entry, const Buffer& buffer, bool more);
    void make_available(uint16_t head, void* token);
    volatile uint16_t* available_ring() const;  // flags, idx, ring[size], used_event
    volatile uint8_t* used_ring() const;        // flags, idx, {id, len}[size], avail_event

    PhysAddr rings_;
    uint16_t size_ = 0;
    bool event_index_ = false;
    uint16_t free_head_ = 0;
    uint16_t free_count_ = 0;
    uint16_t available_index_ = 0;  // written by us, published by publish()
    uint16_t published_index_ = 0;  // what the device has seen announced
    uint16_t last_used_ = 0;
    void** tokens_ = nullptr;  // per head descriptor
};

}  // namespace eremite::virtio
