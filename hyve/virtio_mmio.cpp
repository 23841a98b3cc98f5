#include "virtio_mmio.hpp"

#include <cstring>

namespace ehyve {
namespace {

constexpr uint32_t magic = 0x74726976;      // "virt"
constexpr uint32_t vendor_id = 0x4d455245;  // "EREM"

enum Register : uint32_t {
    magic_value = 0x000,
    version = 0x004,
    device_id = 0x008,
    vendor = 0x00c,
    device_features = 0x010,
    device_features_select = 0x014,
    driver_features = 0x020,
    driver_features_select = 0x024,
    queue_select = 0x030,
    queue_size_max = 0x034,
    queue_size = 0x038,
    queue_ready = 0x044,
    queue_notify = virtio::mmio_queue_notify,
    interrupt_status = 0x060,
    interrupt_ack = 0x064,
    status = 0x070,
    queue_descriptors_low = 0x080,
    queue_descriptors_high = 0x084,
    queue_driver_low = 0x090,
    queue_driver_high = 0x094,
    queue_device_low = 0x0a0,
    queue_device_high = 0x0a4,
    config_generation = 0x0fc,
};

void set_half(uint64_t& value, bool high, uint32_t half) {
    value = high ? (value & 0xffffffffull) | (uint64_t{half} << 32) : (value & ~0xffffffffull) | half;
}

}  // namespace

void VirtioMmio::read(uint64_t address, uint8_t* data, uint32_t length) {
    std::memset(data, 0, length);
    uint32_t offset = static_cast<uint32_t>(address - base_);
    std::lock_guard<std::mutex> guard(mutex_);
    if (offset >= virtio::mmio_config) {
        auto config = device_.config();
        uint32_t at = offset - virtio::mmio_config;
        for (uint32_t i = 0; i < length && at + i < config.size(); ++i) data[i] = config[at + i];
        return;
    }
    if (length != 4 || offset % 4) return;  // registers are 32-bit wide (4.2.2.2)
    uint32_t value = read_register(offset);
    std::memcpy(data, &value, 4);
}

void VirtioMmio::write(uint64_t address, const uint8_t* data, uint32_t length) {
    uint32_t offset = static_cast<uint32_t>(address - base_);
    if (length != 4 || offset % 4 || offset >= virtio::mmio_config) return;  // the config space is read-only
    uint32_t value;
    std::memcpy(&value, data, 4);
    std::lock_guard<std::mutex> guard(mutex_);
    write_register(offset, value);
}

uint32_t VirtioMmio::read_register(uint32_t offset) {
    const bool queue_valid = queue_select_ < device_.queue_count();
    switch (offset) {
        case magic_value: return magic;
        case version: return 2;
        case device_id: return device_.device_id();
        case vendor: return vendor_id;
        case device_features: {
            uint64_t offered = device_.features() | virtio::feature_version_1;
            return device_features_select_ == 0 ? uint32_t(offered) : device_features_select_ == 1 ? offered >> 32 : 0;
        }
        case queue_size_max: return queue_valid ? device_.queue_size_max() : 0;
        case queue_ready: return queue_valid && setup_[queue_select_].ready;
        // Interrupts are edges to the APIC, nothing to acknowledge: report "used buffers",
        // which makes a driver that does read this look at its queues.
        case interrupt_status: return 1;
        case status: return status_ | (started_ && device_.broken() ? virtio::status_needs_reset : 0);
        case config_generation: return 0;
        default: return 0;
    }
}

void VirtioMmio::write_register(uint32_t offset, uint32_t value) {
    const bool queue_valid = queue_select_ < device_.queue_count();
    // Queue set-up is the driver's only between reset and DRIVER_OK (4.2.3.2).
    const bool may_set_up = queue_valid && !(status_ & virtio::status_driver_ok);
    QueueSetup* q = queue_valid ? &setup_[queue_select_] : nullptr;
    switch (offset) {
        case device_features_select: device_features_select_ = value; break;
        case driver_features_select: driver_features_select_ = value; break;
        case driver_features:
            if (driver_features_select_ < 2 && !(status_ & virtio::status_features_ok))
                set_half(driver_features_, driver_features_select_ == 1, value);
            break;
        case queue_select: queue_select_ = value; break;
        case queue_size:
            if (may_set_up && value <= device_.queue_size_max()) q->size = static_cast<uint16_t>(value);
            break;
        case queue_ready:
            if (may_set_up) q->ready = value & 1;
            break;
        case queue_descriptors_low:
        case queue_descriptors_high:
            if (may_set_up) set_half(q->addresses.descriptors, offset == queue_descriptors_high, value);
            break;
        case queue_driver_low:
        case queue_driver_high:
            if (may_set_up) set_half(q->addresses.available, offset == queue_driver_high, value);
            break;
        case queue_device_low:
        case queue_device_high:
            if (may_set_up) set_half(q->addresses.used, offset == queue_device_high, value);
            break;
        case queue_notify:
            if (started_ && value < device_.queue_count()) device_.kick(static_cast<uint16_t>(value));
            break;
        case status: set_status(value); break;
        default: break;  // interrupt_ack and read-only registers
    }
}

void VirtioMmio::reset() {
    if (started_) device_.stop();
    started_ = false;
    status_ = 0;
    device_features_select_ = driver_features_select_ = queue_select_ = 0;
    driver_features_ = 0;
    setup_ = {};
    for (auto& queue : queues_) queue.reset();
}

void VirtioMmio::set_status(uint32_t value) {
    if (value == 0) {
        reset();
        return;
    }
    // The driver only adds bits (3.1.1); FEATURES_OK sticks only for features we offered.
    uint32_t added = value & ~status_;
    if (added & virtio::status_features_ok) {
        uint64_t offered = device_.features() | virtio::feature_version_1;
        if ((driver_features_ & ~offered) || !(driver_features_ & virtio::feature_version_1))
            value &= ~virtio::status_features_ok;
    }
    status_ = value;
    if ((added & virtio::status_driver_ok) && !started_) {
        if (!(status_ & virtio::status_features_ok)) {
            status_ |= virtio::status_needs_reset;
            return;
        }
        const bool event_index = driver_features_ & virtio::feature_event_index;
        for (uint16_t i = 0; i < device_.queue_count(); ++i) {
            if (!setup_[i].ready) continue;
            if (!queues_[i].configure(memory_, setup_[i].size, setup_[i].addresses, event_index)) {
                status_ |= virtio::status_needs_reset;
                return;
            }
        }
        started_ = true;
        device_.start(std::span<DeviceQueue>(queues_.data(), device_.queue_count()), driver_features_);
    }
}

}  // namespace ehyve
