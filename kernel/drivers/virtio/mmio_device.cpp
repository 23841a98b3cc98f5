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

Result<uint64_t> MmioDevice::negotiate(uint64_t wanted) {
    write(mmio_status, 0);  // reset
    write(mmio_status, status_acknowledge);
    write(mmio_status, status_acknowledge | status_driver);
    write(mmio_device_features_select, 0);
    uint64_t offered = read(mmio_device_features);
    write(mmio_device_features_select, 1);
    offered |= uint64_t{read(mmio_device_features)} << 32;
    uint64_t agreed = offered & wanted;
    if (!(agreed & feature_version_1)) {
        fail();
        return error(Errno::enodev);
    }
    write(mmio_driver_features_select, 0);
    write(mmio_driver_features, static_cast<uint32_t>(agreed));
    write(mmio_driver_features_select, 1);
    write(mmio_driver_features, static_cast<uint32_t>(agreed >> 32));
    write(mmio_status, status_acknowledge | status_driver | status_features_ok);
    if (!(read(mmio_status) & status_features_ok)) {
        fail();
        return error(Errno::enodev);
    }
    return agreed;
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

void MmioDevice::set_driver_ok() {
    write(mmio_status, status_acknowledge | status_driver | status_features_ok | status_driver_ok);
}

void MmioDevice::acknowledge_interrupt() { write(mmio_interrupt_ack, read(mmio_interrupt_status)); }

bool MmioDevice::needs_reset() const { return read(mmio_status) & status_needs_reset; }

void MmioDevice::fail() { write(mmio_status, read(mmio_status) | status_failed); }

uint8_t MmioDevice::config8(uint32_t offset) const { return registers_[mmio_config + offset]; }

uint16_t MmioDevice::config16(uint32_t offset) const {
    return *reinterpret_cast<volatile uint16_t*>(registers_ + mmio_config + offset);
}

}  // namespace eremite::virtio
