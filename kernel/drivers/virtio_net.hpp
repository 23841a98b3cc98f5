// The virtio-net driver (virtio 1.x, 5.1) over any transport (drivers/virtio/transport.hpp):
// queue 0 receives into buffers the driver keeps posted (1,024 of 2 KiB for a 1500-byte
// MTU, fewer and larger for jumbo frames), queue 1 transmits from slots of
// the same size, each frame one ring entry (an indirect table of header and frame when
// the device offers them). TCP checksums are the device's when it offers
// (tcp_checksum.hpp); there is no segmentation offload: a frame is at most the MTU. Not
// thread-safe: the network stack's lock serialises every call.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drivers/virtio/transport.hpp"
#include "drivers/virtio/virtqueue.hpp"

namespace eremite::virtio {

class NetDriver {
public:
    // Negotiates, posts the receive buffers and starts the device.
    Result<void> init(Transport& device);

    const uint8_t* mac() const { return mac_; }
    // The device completes TCP checksums (VIRTIO_NET_F_CSUM): the stack leaves them out
    // and neither generates nor checks them on this interface; the driver marks each TCP
    // frame for the device and checks the received ones (drivers/tcp_checksum.hpp).
    bool offloads_tcp_checksum() const { return checksum_offload_; }
    uint16_t mtu() const { return mtu_; }

    // Queues one frame of `length` bytes, which fill(into, length, context) writes, and
    // kicks the device when it asked for it. With every slot in flight the frame waits
    // in a backlog, in order, until the device gives slots back (flush_transmit): a TCP
    // stack whose segment the interface refuses may not send it again until something
    // else happens. False when the frame is too long, or the backlog too, or memory is
    // out: dropped, as a NIC drops.
    using Fill = void (*)(uint8_t* into, size_t length, void* context);
    bool transmit(size_t length, Fill fill, void* context);
    // Whether frames still wait for a slot.
    bool transmit_backlogged() const { return backlog_head_ != nullptr; }
    // Sends what waits in the backlog as slots come back; with some still waiting, asks
    // for an interrupt when the device finishes the next frame. True when the backlog is
    // empty.
    bool flush_transmit();

    // Looks after a device that stops taking frames without asking for a kick (QEMU 7.2's
    // virtio-net, with event indices, stops after a burst of 256 frames while the driver
    // adds more and never comes back for them): when the device has held frames for
    // `patience` ticks without using one, kicks it again (a kick is always allowed).
    // Called by the network thread at every pass; true while the device holds frames, so
    // that the next pass comes within `patience`.
    bool watch_transmit(uint64_t now, uint64_t patience);
    // Kicks that watch_transmit gave (read without the lock: a moment's count).
    uint64_t transmit_rekicks() const { return __atomic_load_n(&transmit_rekicks_, __ATOMIC_RELAXED); }

    // Hands every received frame to `deliver` (it must copy what it keeps), gives the
    // buffers back to the device. Returns the number of frames.
    int receive(void (*deliver)(const uint8_t* frame, size_t length, void* context), void* context);
    // About to wait for the device: an interrupt on the next frame. True when frames
    // arrived meanwhile (receive again rather than wait).
    bool arm_receive_interrupt() { return rx_.arm_interrupt(); }

private:
    bool post_receive_buffer(uint8_t* buffer);
    void reclaim_transmit_slots();
    void send_in_slot(size_t length, Fill fill, void* context);
    void kick_transmit_if_asked();
    void watch_from(uint16_t used, uint64_t now);

    struct Backlogged {
        Backlogged* next;
        size_t length;
        uint8_t bytes[];
    };

    Transport* device_ = nullptr;
    Virtqueue rx_, tx_;
    uint8_t mac_[6] = {};
    uint16_t mtu_ = 1500;
    bool checksum_offload_ = false;
    bool transmit_indirect_ = false;
    uint32_t buffer_size_ = 2048;         // per receive buffer, with the header
    uint32_t transmit_slot_size_ = 2048;  // per transmit slot (virtio_net.cpp: its layout)
    uint8_t** tx_slots_ = nullptr;        // free transmit buffers, a stack
    uint16_t tx_free_ = 0;
    Backlogged* backlog_head_ = nullptr;
    Backlogged* backlog_tail_ = nullptr;
    uint32_t backlog_length_ = 0;
    // The transmit watch: since when (TSC) the device holds frames with its used index
    // at watched_used_; from the first frame published, or the last one it used.
    bool watching_ = false;
    uint16_t watched_used_ = 0;
    uint64_t watched_since_ = 0;
    uint64_t transmit_rekicks_ = 0;
};

}  // namespace eremite::virtio
