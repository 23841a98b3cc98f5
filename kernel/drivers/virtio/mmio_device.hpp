// A virtio device on the virtio-mmio transport (virtio 1.x, 4.2.3, register layout
// version 2): probing, feature negotiation, queue set-up and kicks. Only set-up reads
// registers (each access is an exit to the VMM); a kick is one write, which ehyve's KVM
// takes without waking the VMM (abi.hpp, "Devices").
#pragma once

#include <stdint.h>

#include "drivers/virtio/virtqueue.hpp"
#include "eremite/virtio.hpp"
#include "lib/result.hpp"

namespace eremite::virtio {

using virtio_spec::feature_event_index;
using virtio_spec::feature_version_1;

class MmioDevice {
public:
    // Maps the register window and checks the magic and version; 0 as the device id when
    // nothing (or an unsupported legacy device) is there.
    Result<void> probe(uint64_t physical_base, uint32_t window_size);
    uint32_t device_id() const { return device_id_; }

    // Resets the device and agrees on features: those of `wanted` it offers (VERSION_1
    // must be among them). Returns the agreed set; the device is ready for queues.
    Result<uint64_t> negotiate(uint64_t wanted);
    // Announces `queue` as queue `index`; false when the device has no such queue or it
    // is smaller than `queue`.
    Result<void> set_up_queue(uint16_t index, const Virtqueue& queue);
    uint16_t queue_size_max(uint16_t index);
    // The driver is ready: the device starts serving its queues.
    void set_driver_ok();
    // The device found a fault in what the driver gave it (DEVICE_NEEDS_RESET).
    bool needs_reset() const;
    void fail();

    void kick(uint16_t index) { write(virtio_spec::mmio_queue_notify, index); }

    // The device-specific configuration space, byte by byte.
    uint8_t config8(uint32_t offset) const;
    uint16_t config16(uint32_t offset) const;

private:
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value);

    volatile uint8_t* registers_ = nullptr;
    uint32_t device_id_ = 0;
};

}  // namespace eremite::virtio
