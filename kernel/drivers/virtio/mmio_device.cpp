#include "drivers/virtio/mmio_device.hpp"

#include "mm/memory.hpp"

namespace eremite::virtio {
namespace {

using namespace virtio_spec;

}  // namespace

uint32_t MmioDevice::read(uint32_t offset) const { return *reinterpret_cast<volatile uint32_t*>(registers_ + offset); }

void MmioDevice::write(uint32_t offset, uint32_t value) {
    *reinterpret_cast<volatile uint32_t*>(registers_ + offset) = value;
}

Result<void> MmioDevice::probe(uint64_t physical_base, uint32_t window_size) {
    if (physical_base % 0x100 || window_size < 0x200) return error(Errno::einval);
    // microvm's windows are 512 bytes apart, several to a page.
    registers_ = TRY(mm::map_device(physical_base, window_size));
    legacy_ = read(mmio_magic_value) == mmio_magic && read(mmio_version) == 1;
    if (read(mmio_magic_value) != mmio_magic || read(mmio_version) != mmio_layout_version) return error(Errno::enodev);
    device_id_ = read(mmio_device_id);
    return {};
}

uint32_t MmioDevice::device_features(uint32_t word) {
    write(mmio_device_features_select, word);
    return read(mmio_device_features);
}

void MmioDevice::set_driver_features(uint32_t word, uint32_t bits) {
    write(mmio_driver_features_select, word);
    write(mmio_driver_features, bits);
}

uint16_t MmioDevice::queue_size_max(uint16_t index) {
    write(mmio_queue_select, index);
    return static_cast<uint16_t>(read(mmio_queue_size_max));
}

Result<void> MmioDevice::set_up_queue(uint16_t index, const Virtqueue& queue) {
    write(mmio_queue_select, index);
    if (read(mmio_queue_ready) || read(mmio_queue_size_max) < queue.size()) return error(Errno::enodev);
    write(mmio_queue_size, queue.size());
    auto put = [this](uint32_t low, uint64_t address) {
        write(low, static_cast<uint32_t>(address));
        write(low + 4, static_cast<uint32_t>(address >> 32));
    };
    put(mmio_queue_descriptors_low, queue.descriptors().value);
    put(mmio_queue_driver_low, queue.available().value);
    put(mmio_queue_device_low, queue.used().value);
    write(mmio_queue_ready, 1);
    return {};
}

void MmioDevice::acknowledge_interrupt() { write(mmio_interrupt_ack, read(mmio_interrupt_status)); }

uint8_t MmioDevice::config8(uint32_t offset) const { return registers_[mmio_config + offset]; }

uint16_t MmioDevice::config16(uint32_t offset) const {
    return *reinterpret_cast<volatile uint16_t*>(registers_ + mmio_config + offset);
}

}  // namespace eremite::virtio
