#include "drivers/virtio/pci_device.hpp"

#include "mm/memory.hpp"

namespace eremite::virtio {
namespace {

using namespace virtio_spec;

constexpr uint16_t vendor_virtio = 0x1af4;
constexpr uint8_t capability_vendor = 0x09, capability_msix = 0x11;
// virtio_pci_cap.cfg_type
constexpr uint8_t structure_common = 1, structure_notify = 2, structure_device = 4;
// struct virtio_pci_common_cfg (4.1.4.3)
constexpr uint32_t device_feature_select = 0x00, device_feature = 0x04, driver_feature_select = 0x08,
                   driver_feature = 0x0c, device_status = 0x14, queue_select = 0x16, queue_size = 0x18,
                   queue_msix_vector = 0x1a, queue_enable = 0x1c, queue_notify_off = 0x1e, queue_desc = 0x20,
                   queue_driver = 0x28, queue_device = 0x30;

}  // namespace

bool PciDevice::is_virtio(pci::Address at, uint32_t& device_type) {
    uint32_t id = pci::read32(at, 0);
    uint16_t vendor = id & 0xffff, device = static_cast<uint16_t>(id >> 16);
    if (vendor != vendor_virtio || device < 0x1000 || device > 0x107f) return false;
    // Modern ids are 0x1040 + type; transitional ones (0x1000-0x103f) say the type in
    // their subsystem id.
    device_type = device >= 0x1040 ? device - 0x1040u : pci::read16(at, 0x2e);
    return true;
}

Result<volatile uint8_t*> PciDevice::map_structure(uint8_t bar, uint32_t offset, uint32_t length) {
    pci::Bar b = pci::memory_bar(at_, bar);
    if (!b.address || offset > b.size || length > b.size - offset) return error(Errno::enodev);
    return mm::map_device(b.address + offset, length);  // in the PCI hole, above RAM
}

Result<void> PciDevice::probe(pci::Address at, uint8_t vector) {
    at_ = at;
    if (!(pci::read16(at, pci::config_status) & pci::status_capabilities)) return error(Errno::enodev);
    uint8_t msix = 0;
    for (uint8_t cap = pci::read8(at, pci::config_capabilities) & 0xfc, steps = 0; cap && steps < 48;
         cap = pci::read8(at, static_cast<uint8_t>(cap + 1)) & 0xfc, ++steps) {
        uint8_t id = pci::read8(at, cap);
        if (id == capability_msix) msix = cap;
        if (id != capability_vendor) continue;
        uint8_t type = pci::read8(at, static_cast<uint8_t>(cap + 3)),
                bar = pci::read8(at, static_cast<uint8_t>(cap + 4));
        uint32_t offset = pci::read32(at, static_cast<uint8_t>(cap + 8)),
                 length = pci::read32(at, static_cast<uint8_t>(cap + 12));
        if (type == structure_common && !common_) {
            common_ = TRY(map_structure(bar, offset, length));
        } else if (type == structure_notify && !notify_) {
            notify_ = TRY(map_structure(bar, offset, length));
            notify_multiplier_ = pci::read32(at, static_cast<uint8_t>(cap + 16));
        } else if (type == structure_device && !device_) {
            device_ = TRY(map_structure(bar, offset, length));
        }
    }
    if (!common_ || !notify_ || !device_ || !msix) return error(Errno::enodev);  // legacy-only, or no MSI-X
    pci::enable(at);
    return route_interrupts(msix, vector);
}

Result<void> PciDevice::route_interrupts(uint8_t msix_capability, uint8_t vector) {
    uint32_t table = pci::read32(at_, static_cast<uint8_t>(msix_capability + 4));
    volatile uint8_t* entries = TRY(map_structure(static_cast<uint8_t>(table & 7), table & ~7u, 16));
    // Entry 0: a fixed interrupt with `vector` to APIC id 0, physical destination mode.
    auto* entry = reinterpret_cast<volatile uint32_t*>(entries);
    entry[0] = 0xfee00000u;
    entry[1] = 0;
    entry[2] = vector;
    entry[3] = 0;  // unmasked
    uint16_t control = pci::read16(at_, static_cast<uint8_t>(msix_capability + 2));
    control = static_cast<uint16_t>((control | 0x8000) & ~0x4000);  // MSI-X on, function not masked
    pci::write16(at_, static_cast<uint8_t>(msix_capability + 2), control);
    return {};
}

uint8_t PciDevice::status() const { return read<uint8_t>(device_status); }

void PciDevice::set_status(uint8_t status) { write<uint8_t>(device_status, status); }

uint32_t PciDevice::device_features(uint32_t word) {
    write<uint32_t>(device_feature_select, word);
    return read<uint32_t>(device_feature);
}

void PciDevice::set_driver_features(uint32_t word, uint32_t bits) {
    write<uint32_t>(driver_feature_select, word);
    write<uint32_t>(driver_feature, bits);
}

uint16_t PciDevice::queue_size_max(uint16_t index) {
    write<uint16_t>(queue_select, index);
    return read<uint16_t>(queue_size);
}

Result<void> PciDevice::set_up_queue(uint16_t index, const Virtqueue& queue) {
    if (index >= 2) return error(Errno::einval);
    write<uint16_t>(queue_select, index);
    uint16_t largest = read<uint16_t>(queue_size);
    if (largest == 0 || read<uint16_t>(queue_enable) || largest < queue.size()) return error(Errno::enodev);
    write<uint16_t>(queue_size, queue.size());
    write<uint64_t>(queue_desc, queue.descriptors().value);
    write<uint64_t>(queue_driver, queue.available().value);
    write<uint64_t>(queue_device, queue.used().value);
    write<uint16_t>(queue_msix_vector, 0);
    if (read<uint16_t>(queue_msix_vector) != 0) return error(Errno::enodev);  // the device has no vector for it
    notify_offsets_[index] = read<uint16_t>(queue_notify_off);
    write<uint16_t>(queue_enable, 1);
    return {};
}

void PciDevice::kick(uint16_t index) {
    *reinterpret_cast<volatile uint16_t*>(notify_ + uint64_t{notify_offsets_[index & 1]} * notify_multiplier_) = index;
}

uint8_t PciDevice::config8(uint32_t offset) const { return device_[offset]; }

uint16_t PciDevice::config16(uint32_t offset) const { return *reinterpret_cast<volatile uint16_t*>(device_ + offset); }

}  // namespace eremite::virtio
