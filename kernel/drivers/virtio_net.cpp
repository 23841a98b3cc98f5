#include "drivers/virtio_net.hpp"

#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::virtio {
namespace {

constexpr uint64_t feature_mtu = 1ull << 3;
constexpr uint64_t feature_mac = 1ull << 5;
constexpr uint16_t receive_queue = 0, transmit_queue = 1;
constexpr uint16_t queue_size = 256;
constexpr uint32_t buffer_size = 2048;  // a 1500-byte MTU frame with its header and a VLAN tag
constexpr uint32_t header_size = 12;    // virtio_net_hdr with num_buffers (VERSION_1)

// Buffers of buffer_size, two per frame; the driver never gives them back.
uint8_t* allocate_buffer() {
    static uint8_t* spare = nullptr;
    if (spare) {
        uint8_t* buffer = spare;
        spare = nullptr;
        return buffer;
    }
    auto frame = mm::allocate_frame();
    if (!frame.ok()) return nullptr;
    auto* page = mm::to_virtual<uint8_t>(frame.value());
    spare = page + buffer_size;
    return page;
}

}  // namespace

Result<void> NetDriver::init(MmioDevice& device) {
    device_ = &device;
    uint64_t agreed = TRY(device.negotiate(feature_version_1 | feature_event_index | feature_mac | feature_mtu));
    const bool event_index = agreed & feature_event_index;
    if (agreed & feature_mac)
        for (uint32_t i = 0; i < 6; ++i) mac_[i] = device.config8(i);
    else
        return error(Errno::enodev);  // ehyve always gives one; a random one would do too
    if (agreed & feature_mtu) mtu_ = device.config16(10);
    if (mtu_ > buffer_size - header_size - 18 || mtu_ < 576) mtu_ = 1500;

    const uint16_t queues[] = {receive_queue, transmit_queue};
    for (uint16_t index : queues) {
        if (device.queue_size_max(index) < queue_size) return error(Errno::enodev);
        Virtqueue& queue = index == receive_queue ? rx_ : tx_;
        TRY(queue.init(queue_size, event_index));
        TRY(device.set_up_queue(index, queue));
    }
    tx_slots_ = static_cast<uint8_t**>(mm::allocate(sizeof(uint8_t*) * queue_size));
    if (!tx_slots_) return error(Errno::enomem);
    for (uint16_t i = 0; i < queue_size; ++i) {
        uint8_t* slot = allocate_buffer();
        uint8_t* receive_buffer = allocate_buffer();
        if (!slot || !receive_buffer || !post_receive_buffer(receive_buffer)) return error(Errno::enomem);
        tx_slots_[tx_free_++] = slot;
    }
    device.set_driver_ok();
    rx_.publish();
    device.kick(receive_queue);
    return {};
}

bool NetDriver::post_receive_buffer(uint8_t* buffer) {
    Buffer b{mm::to_physical(buffer), buffer_size, true};
    return rx_.add(&b, 1, buffer);
}

void NetDriver::reclaim_transmit_slots() {
    uint32_t written;
    while (void* slot = tx_.take_used(written)) tx_slots_[tx_free_++] = static_cast<uint8_t*>(slot);
}

bool NetDriver::transmit(const Piece* pieces, int count) {
    reclaim_transmit_slots();
    size_t length = 0;
    for (int i = 0; i < count; ++i) length += pieces[i].length;
    if (!tx_free_ || length + header_size > buffer_size) {
        ++counters_.dropped_out;
        return false;
    }
    // One copy into a slot: the stack's buffers may go away once this returns.
    uint8_t* slot = tx_slots_[--tx_free_];
    memset(slot, 0, header_size);
    uint8_t* at = slot + header_size;
    for (int i = 0; i < count; ++i) {
        memcpy(at, pieces[i].data, pieces[i].length);
        at += pieces[i].length;
    }
    Buffer b{mm::to_physical(slot), static_cast<uint32_t>(header_size + length), false};
    tx_.add(&b, 1, slot);
    ++counters_.frames_out;
    if (tx_.publish()) {
        ++counters_.kicks;
        device_->kick(transmit_queue);
    }
    return true;
}

int NetDriver::receive(void (*deliver)(const uint8_t*, size_t, void*), void* context) {
    int frames = 0;
    uint32_t written;
    while (void* token = rx_.take_used(written)) {
        auto* buffer = static_cast<uint8_t*>(token);
        if (written > header_size && written <= buffer_size) {
            deliver(buffer + header_size, written - header_size, context);
            ++frames;
        }
        post_receive_buffer(buffer);
    }
    counters_.frames_in += frames;
    if (rx_.publish()) {
        ++counters_.kicks;
        device_->kick(receive_queue);
    }
    return frames;
}

}  // namespace eremite::virtio
