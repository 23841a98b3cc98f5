// A virtio device on the virtio-mmio transport (virtio 1.x, 4.2.3, register layout
// version 2): probing, feature negotiation, queue set-up and kicks. Only set-up reads
// registers (each access is an exit to the VMM); a kick is one write, which ehyve's KVM
// takes without waking the VMM (abi.hpp, "Devices").
#pragma once

#include <stdint.h>

#include "drivers/virtio/transport.hpp"

namespace eremite::virtio {

class MmioDevice final : public Transport {
public:
    // Maps the register window and checks the magic and version; 0 as the device id when
    // nothing (or an unsupported legacy device) is there.
    Result<void> probe(uint64_t physical_base, uint32_t window_size);
    uint32_t device_id() const { return device_id_; }
    // After a probe that failed: the window is a legacy (version 1) device.
    bool legacy() const { return legacy_; }

    Result<void> set_up_queue(uint16_t index, const Virtqueue& queue) override;
    uint16_t queue_size_max(uint16_t index) override;
    void kick(uint16_t index) override { write(virtio_spec::mmio_queue_notify, index); }
    uint8_t config8(uint32_t offset) const override;
    uint16_t config16(uint32_t offset) const override;
    // Takes back a level-triggered interrupt (the interrupt status register): only on a
    // line through an IOAPIC (microvm); ehyve's interrupts are messages.
    void acknowledge_interrupt();

private:
    uint8_t status() const override { return static_cast<uint8_t>(read(virtio_spec::mmio_status)); }
    void set_status(uint8_t status) override { write(virtio_spec::mmio_status, status); }
    uint32_t device_features(uint32_t word) override;
    void set_driver_features(uint32_t word, uint32_t bits) override;
    uint32_t read(uint32_t offset) const;
    void write(uint32_t offset, uint32_t value);

    volatile uint8_t* registers_ = nullptr;
    uint32_t device_id_ = 0;
    bool legacy_ = false;
};

}  // namespace eremite::virtio
