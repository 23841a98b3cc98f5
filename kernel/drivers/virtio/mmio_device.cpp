#include "drivers/virtio/mmio_device.hpp"

#include "arch/x86_64/paging.hpp"
#include "mm/memory.hpp"

namespace eremite::virtio {
namespace {

enum Register : uint32_t {
    magic_value = 0x000,
    version = 0x004,
    device_id = 0x008,
    device_features = 0x010,
    device_features_select = 0x014,
    driver_features = 0x020,
    driver_features_select = 0x024,
    queue_select = 0x030,
    queue_size_max = 0x034,
    queue_size = 0x038,
    queue_ready = 0x044,
    status = 0x070,
    queue_descriptors_low = 0x080,
    queue_descriptors_high = 0x084,
    queue_driver_low = 0x090,
    queue_driver_high = 0x094,
    queue_device_low = 0x0a0,
    queue_device_high = 0x0a4,
    config = 0x100,
};

constexpr uint32_t status_acknowledge = 1, status_driver = 2, status_driver_ok = 4, status_features_ok = 8,
                   status_needs_reset = 64, status_failed = 128;
constexpr uint32_t magic = 0x74726976;  // "virt"

// Device memory: never cached, never executed (PCD | PWT).
constexpr uint64_t page_uncached = (1ull << 4) | (1ull << 3);

}  // namespace

uint32_t MmioDevice::read(uint32_t offset) const { return *reinterpret_cast<volatile uint32_t*>(registers_ + offset); }

void MmioDevice::write(uint32_t offset, uint32_t value) {
    *reinterpret_cast<volatile uint32_t*>(registers_ + offset) = value;
}

Result<void> MmioDevice::probe(uint64_t physical_base, uint32_t window_size) {
    if (physical_base % 4096 || window_size < 0x200) return error(Errno::einval);
    // Mapped where the direct map would show it: above RAM, so nothing else is there.
    uint64_t virtual_base = abi::direct_map_base + physical_base;
    for (uint64_t offset = 0; offset < window_size; offset += 4096)
        TRY(mm::kernel_page_table().map(virtual_base + offset, PhysAddr{physical_base + offset},
                                        arch::page_writable | arch::page_no_execute | page_uncached));
    registers_ = reinterpret_cast<volatile uint8_t*>(virtual_base);
    if (read(magic_value) != magic || read(version) != 2) return error(Errno::enodev);
    device_id_ = read(Register::device_id);
    return {};
}

Result<uint64_t> MmioDevice::negotiate(uint64_t wanted) {
    write(status, 0);  // reset
    write(status, status_acknowledge);
    write(status, status_acknowledge | status_driver);
    write(device_features_select, 0);
    uint64_t offered = read(device_features);
    write(device_features_select, 1);
    offered |= uint64_t{read(device_features)} << 32;
    uint64_t agreed = offered & wanted;
    if (!(agreed & feature_version_1)) {
        fail();
        return error(Errno::enodev);
    }
    write(driver_features_select, 0);
    write(driver_features, static_cast<uint32_t>(agreed));
    write(driver_features_select, 1);
    write(driver_features, static_cast<uint32_t>(agreed >> 32));
    write(status, status_acknowledge | status_driver | status_features_ok);
    if (!(read(status) & status_features_ok)) {
        fail();
        return error(Errno::enodev);
    }
    return agreed;
}

uint16_t MmioDevice::queue_size_max(uint16_t index) {
    write(queue_select, index);
    return static_cast<uint16_t>(read(Register::queue_size_max));
}

Result<void> MmioDevice::set_up_queue(uint16_t index, const Virtqueue& queue) {
    write(queue_select, index);
    if (read(queue_ready) || read(Register::queue_size_max) < queue.size()) return error(Errno::enodev);
    write(queue_size, queue.size());
    auto put = [this](uint32_t low, uint64_t address) {
        write(low, static_cast<uint32_t>(address));
        write(low + 4, static_cast<uint32_t>(address >> 32));
    };
    put(queue_descriptors_low, queue.descriptors().value);
    put(queue_driver_low, queue.available().value);
    put(queue_device_low, queue.used().value);
    write(queue_ready, 1);
    return {};
}

void MmioDevice::set_driver_ok() {
    write(status, status_acknowledge | status_driver | status_features_ok | status_driver_ok);
}

bool MmioDevice::needs_reset() const { return read(status) & status_needs_reset; }

void MmioDevice::fail() { write(status, read(status) | status_failed); }

uint8_t MmioDevice::config8(uint32_t offset) const { return registers_[config + offset]; }

uint16_t MmioDevice::config16(uint32_t offset) const {
    return *reinterpret_cast<volatile uint16_t*>(registers_ + config + offset);
}

}  // namespace eremite::virtio
