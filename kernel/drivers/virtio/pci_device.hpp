// A virtio device on the PCI transport (virtio 1.x, 4.1), modern interface: the common,
// notify and device configuration structures that the function's vendor capabilities
// place in its memory BARs. Transitional devices (QEMU's default virtio-net-pci) offer
// the same structures beside their legacy I/O BAR, which is left alone. Interrupts come
// as MSI-X messages straight to CPU 0's local APIC (no IOAPIC, no interrupt status
// register to read), as ehyve's irqfd does for virtio-mmio.
#pragma once

#include <stdint.h>

#include "drivers/pci.hpp"
#include "drivers/virtio/transport.hpp"

namespace eremite::virtio {

class PciDevice final : public Transport {
public:
    // Whether the function at `at` is a virtio device; its device type (1: network...).
    static bool is_virtio(pci::Address at, uint32_t& device_type);

    // Maps the structures and points every queue's interrupt, through MSI-X entry 0, at
    // `vector` on the CPU with APIC id 0.
    Result<void> probe(pci::Address at, uint8_t vector);

    Result<void> set_up_queue(uint16_t index, const Virtqueue& queue) override;
    uint16_t queue_size_max(uint16_t index) override;
    void kick(uint16_t index) override;
    uint8_t config8(uint32_t offset) const override;
    uint16_t config16(uint32_t offset) const override;

private:
    uint8_t status() const override;
    void set_status(uint8_t status) override;
    uint32_t device_features(uint32_t word) override;
    void set_driver_features(uint32_t word, uint32_t bits) override;
    template <typename T>
    T read(uint32_t offset) const {
        return *reinterpret_cast<volatile T*>(common_ + offset);
    }
    template <typename T>
    void write(uint32_t offset, T value) {
        *reinterpret_cast<volatile T*>(common_ + offset) = value;
    }
    Result<volatile uint8_t*> map_structure(uint8_t bar, uint32_t offset, uint32_t length);
    Result<void> route_interrupts(uint8_t msix_capability, uint8_t vector);

    pci::Address at_{};
    volatile uint8_t* common_ = nullptr;
    volatile uint8_t* notify_ = nullptr;
    volatile uint8_t* device_ = nullptr;
    uint32_t notify_multiplier_ = 0;
    uint16_t notify_offsets_[2] = {};  // per queue, from set_up_queue
};

}  // namespace eremite::virtio
