#include "virtio_mmio.hpp"

#include <cstring>

namespace ehyve {
namespace {

constexpr uint32_t vendor_id = 0x4d455245;  // "EREM"

using namespace eremite::virtio_spec;

void set_half(uint64_t& value, bool high, uint32_t half) {
    value = high ? (value & 0xffffffffull) | (uint64_t{half} << 32) : (value & ~0xffffffffull) | half;
}

}  // namespace

void VirtioMmio::read(uint64_t address, uint8_t* data, uint32_t length) {
    std::memset(data, 0, length);
    uint32_t offset = static_cast<uint32_t>(address - base_);
    std::lock_guard<std::mutex> guard(mutex_);
    if (offset >= mmio_config) {
        auto config = device_.config();
        uint32_t at = offset - mmio_config;
        for (uint32_t i = 0; i < length && at + i < config.size(); ++i) data[i] = config[at + i];
        return;
    }
    if (length != 4 || offset % 4) return;  // registers are 32-bit wide (4.2.2.2)
    uint32_t value = read_register(offset);
    std::memcpy(data, &value, 4);
}

void VirtioMmio::write(uint64_t address, const uint8_t* data, uint32_t length) {
    uint32_t offset = static_cast<uint32_t>(address - base_);
    if (length != 4 || offset % 4 || offset >= mmio_config) return;  // the config space is read-only
    uint32_t value;
    std::memcpy(&value, data, 4);
    std::lock_guard<std::mutex> guard(mutex_);
    write_register(offset, value);
}

uint32_t VirtioMmio::read_register(uint32_t offset) {
    const bool queue_valid = queue_select_ < device_.queue_count();
    switch (offset) {
        case mmio_magic_value: return mmio_magic;
        case mmio_version: return mmio_layout_version;
        case mmio_device_id: return device_.device_id();
        case mmio_vendor_id: return vendor_id;
        case mmio_device_features: {
            uint64_t offered = device_.features() | feature_version_1;
            return device_features_select_ == 0 ? uint32_t(offered) : device_features_select_ == 1 ? offered >> 32 : 0;
        }
        case mmio_queue_size_max: return queue_valid ? device_.queue_size_max() : 0;
        case mmio_queue_ready: return queue_valid && setup_[queue_select_].ready;
        // Interrupts are edges to the APIC, nothing to acknowledge: report "used buffers",
        // which makes a driver that does read this look at its queues.
        case mmio_interrupt_status: return 1;
        case mmio_status: return status_ | (started_ && device_.broken() ? status_needs_reset : 0);
        case mmio_config_generation: return 0;
        default: return 0;
    }
}

void VirtioMmio::write_register(uint32_t offset, uint32_t value) {
    const bool queue_valid = queue_select_ < device_.queue_count();
    // Queue set-up is the driver's only between reset and DRIVER_OK (4.2.3.2).
    const bool may_set_up = queue_valid && !(status_ & status_driver_ok);
    QueueSetup* q = queue_valid ? &setup_[queue_select_] : nullptr;
    switch (offset) {
        case mmio_device_features_select: device_features_select_ = value; break;
        case mmio_driver_features_select: driver_features_select_ = value; break;
        case mmio_driver_features:
            if (driver_features_select_ < 2 && !(status_ & status_features_ok))
                set_half(driver_features_, driver_features_select_ == 1, value);
            break;
        case mmio_queue_select: queue_select_ = value; break;
        case mmio_queue_size:
            if (may_set_up && value <= device_.queue_size_max()) q->size = static_cast<uint16_t>(value);
            break;
        case mmio_queue_ready:
            if (may_set_up) q->ready = value & 1;
            break;
        case mmio_queue_descriptors_low:
        case mmio_queue_descriptors_high:
            if (may_set_up) set_half(q->addresses.descriptors, offset == mmio_queue_descriptors_high, value);
            break;
        case mmio_queue_driver_low:
        case mmio_queue_driver_high:
            if (may_set_up) set_half(q->addresses.available, offset == mmio_queue_driver_high, value);
            break;
        case mmio_queue_device_low:
        case mmio_queue_device_high:
            if (may_set_up) set_half(q->addresses.used, offset == mmio_queue_device_high, value);
            break;
        case mmio_queue_notify:
            if (started_ && value < device_.queue_count()) device_.kick(static_cast<uint16_t>(value));
            break;
        case mmio_status: set_status(value); break;
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
    if (added & status_features_ok) {
        uint64_t offered = device_.features() | feature_version_1;
        if ((driver_features_ & ~offered) || !(driver_features_ & feature_version_1)) value &= ~status_features_ok;
    }
    status_ = value;
    if ((added & status_driver_ok) && !started_) {
        if (!(status_ & status_features_ok)) {
            status_ |= status_needs_reset;
            return;
        }
        const bool event_index = driver_features_ & feature_event_index;
        for (uint16_t i = 0; i < device_.queue_count(); ++i) {
            if (!setup_[i].ready) continue;
            if (!queues_[i].configure(memory_, setup_[i].size, setup_[i].addresses, event_index)) {
                status_ |= status_needs_reset;
                return;
            }
        }
        started_ = true;
        device_.start(std::span<DeviceQueue>(queues_.data(), device_.queue_count()), driver_features_);
    }
}

}  // namespace ehyve
