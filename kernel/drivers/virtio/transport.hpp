// What a virtio driver needs from the transport its device sits on (virtio 1.x, 4): the
// virtio-mmio register window (ehyve, microvm) or a virtio-pci function (QEMU's pc and
// q35). Set-up calls are slow (each register access is an exit to the VMM); kick is the
// one hot call.
#pragma once

#include <stdint.h>

#include "drivers/virtio/virtqueue.hpp"
#include "eremite/virtio.hpp"
#include "lib/result.hpp"

namespace eremite::virtio {

using virtio_spec::feature_event_index;
using virtio_spec::feature_indirect;
using virtio_spec::feature_version_1;

class Transport {
public:
    // Resets the device and agrees on features: those of `wanted` it offers (VERSION_1
    // must be among them). Returns the agreed set; the device is ready for queues. The
    // same sequence on every transport (3.1.1), over its status and feature registers.
    Result<uint64_t> negotiate(uint64_t wanted);
    virtual uint16_t queue_size_max(uint16_t index) = 0;
    // Announces `queue` as queue `index`; an error when the device has no such queue or
    // it is smaller than `queue`.
    virtual Result<void> set_up_queue(uint16_t index, const Virtqueue& queue) = 0;
    // The driver is ready: the device starts serving its queues.
    void set_driver_ok();
    // The device found a fault in what the driver gave it (DEVICE_NEEDS_RESET).
    bool needs_reset() const { return status() & virtio_spec::status_needs_reset; }
    void fail() { set_status(static_cast<uint8_t>(status() | virtio_spec::status_failed)); }
    virtual void kick(uint16_t index) = 0;
    // The device-specific configuration space.
    virtual uint8_t config8(uint32_t offset) const = 0;
    virtual uint16_t config16(uint32_t offset) const = 0;

protected:
    ~Transport() = default;
    // The device status register; writing 0 resets the device.
    virtual uint8_t status() const = 0;
    virtual void set_status(uint8_t status) = 0;
    // 32 feature bits at a time: `word` 0 is bits 0-31, 1 is bits 32-63.
    virtual uint32_t device_features(uint32_t word) = 0;
    virtual void set_driver_features(uint32_t word, uint32_t bits) = 0;
};

}  // namespace eremite::virtio
