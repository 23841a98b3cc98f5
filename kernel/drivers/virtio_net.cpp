#include "drivers/virtio_net.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/tcp_checksum.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::virtio {
namespace {

using namespace virtio_spec;
constexpr uint64_t feature_checksum = net_feature_checksum, feature_mtu = net_feature_mtu,
                   feature_mac = net_feature_mac;
// A transmit slot: the indirect table (two entries: the header, the frame) at its start,
// the header right before the frame, the frame at frame_offset. The header and frame are
// also one contiguous buffer for a device without indirect descriptors.
constexpr uint32_t transmit_frame_offset = 64;
constexpr uint16_t receive_queue = net_receive_queue, transmit_queue = net_transmit_queue;
// Receive buffers absorb a burst the stack has not taken yet (1,000 connections answering
// at once overflow the host's TAP queue with fewer); transmit slots come back quickly.
// With large frames (a jumbo MTU) there are fewer of each, within a few MiB.
constexpr uint16_t receive_queue_size = 1024, transmit_queue_size = 256;
constexpr uint64_t receive_memory = 4ull << 20, transmit_memory = 2ull << 20;
constexpr uint32_t header_size = net_header_size;
constexpr uint32_t link_header = 18;  // Ethernet header and a VLAN tag
// Frames that wait for a transmit slot; beyond this the interface drops, as a full NIC
// queue does (TCP sends again; its segments are still in flight for it).
constexpr uint32_t max_backlog = 4096;

// A buffer for one frame and `before` bytes before it: 2 KiB ones two to a page for a
// 1500-byte MTU, contiguous pages for larger ones. The driver never gives them back.
uint32_t buffer_size_for(uint16_t mtu, uint32_t before) {
    uint32_t needed = before + link_header + mtu;
    return needed <= 2048 ? 2048 : static_cast<uint32_t>(align_up(needed, 4096));
}

uint8_t* allocate_buffer(uint32_t size) {
    static uint8_t* spare = nullptr;
    if (size == 2048 && spare) {
        uint8_t* buffer = spare;
        spare = nullptr;
        return buffer;
    }
    auto frames = mm::allocate_frames(align_up(size, 4096) / 4096);
    if (!frames.ok()) return nullptr;
    auto* first = mm::to_virtual<uint8_t>(frames.value());
    if (size == 2048) spare = first + 2048;
    return first;
}

// Entries for a queue of buffers of `size` within `memory` bytes: a power of two from 64
// up to `most`.
uint16_t entries_for(uint16_t most, uint32_t size, uint64_t memory) {
    uint16_t entries = most;
    while (entries > 64 && uint64_t{entries} * size > memory) entries /= 2;
    return entries;
}

}  // namespace

Result<void> NetDriver::init(Transport& device) {
    device_ = &device;
    uint64_t agreed = TRY(device.negotiate(feature_version_1 | feature_event_index | feature_indirect | feature_mac |
                                           feature_mtu | feature_checksum));
    checksum_offload_ = agreed & feature_checksum;
    transmit_indirect_ = agreed & feature_indirect;
    const bool event_index = agreed & feature_event_index;
    if (agreed & feature_mac)
        for (uint32_t i = 0; i < 6; ++i) mac_[i] = device.config8(net_config_mac + i);
    else
        return error(Errno::enodev);  // ehyve always gives one; a random one would do too
    if (agreed & feature_mtu) mtu_ = device.config16(net_config_mtu);
    if (mtu_ < 1280 || mtu_ > 65000) mtu_ = 1500;  // lwIP's lengths are 16 bits; IPv6 needs 1280
    buffer_size_ = buffer_size_for(mtu_, header_size);
    transmit_slot_size_ = buffer_size_for(mtu_, transmit_frame_offset);

    const uint16_t queues[] = {receive_queue, transmit_queue};
    for (uint16_t index : queues) {
        Virtqueue& queue = index == receive_queue ? rx_ : tx_;
        uint16_t size = index == receive_queue ? entries_for(receive_queue_size, buffer_size_, receive_memory)
                                               : entries_for(transmit_queue_size, transmit_slot_size_, transmit_memory);
        uint16_t most = device.queue_size_max(index);
        while (size > most && size > 64) size /= 2;  // a smaller device: as many as it takes
        if (size > most) return error(Errno::enodev);
        TRY(queue.init(size, event_index));
        TRY(device.set_up_queue(index, queue));
    }
    tx_slots_ = static_cast<uint8_t**>(mm::allocate(sizeof(uint8_t*) * tx_.size()));
    if (!tx_slots_) return error(Errno::enomem);
    for (uint16_t i = 0; i < tx_.size(); ++i) {
        uint8_t* slot = allocate_buffer(transmit_slot_size_);
        if (!slot) return error(Errno::enomem);
        tx_slots_[tx_free_++] = slot;
    }
    for (uint16_t i = 0; i < rx_.size(); ++i) {
        uint8_t* receive_buffer = allocate_buffer(buffer_size_);
        if (!receive_buffer || !post_receive_buffer(receive_buffer)) return error(Errno::enomem);
    }
    device.set_driver_ok();
    if (device.needs_reset()) return error(Errno::enodev);  // it refused our queues
    rx_.publish();
    device.kick(receive_queue);
    return {};
}

bool NetDriver::post_receive_buffer(uint8_t* buffer) {
    Buffer b{mm::to_physical(buffer), buffer_size_, true};
    return rx_.add(&b, 1, buffer);
}

void NetDriver::reclaim_transmit_slots() {
    uint32_t written;
    while (void* slot = tx_.take_used(written)) tx_slots_[tx_free_++] = static_cast<uint8_t*>(slot);
}

void NetDriver::send_in_slot(size_t length, Fill fill, void* context) {
    // One copy into a slot: the stack's buffers may go away once transmit returns.
    uint8_t* slot = tx_slots_[--tx_free_];
    uint8_t* frame = slot + transmit_frame_offset;
    uint8_t* header = frame - header_size;
    memset(header, 0, header_size);
    fill(frame, length, context);
    uint16_t start, offset;
    if (checksum_offload_ && tcp_checksum::prepare_partial(frame, length, start, offset)) {
        header[0] = net_header_needs_checksum;  // csum_start and csum_offset: little-endian, as x86
        memcpy(header + net_header_checksum_start, &start, 2);
        memcpy(header + net_header_checksum_offset, &offset, 2);
    }
    // Indirect: one ring entry per frame, the header a descriptor of its own; else one
    // buffer of both.
    if (transmit_indirect_) {
        static_assert(2 * Virtqueue::indirect_entry_size <= transmit_frame_offset - header_size);
        Buffer pieces[2] = {{mm::to_physical(header), header_size, false},
                            {mm::to_physical(frame), static_cast<uint32_t>(length), false}};
        tx_.add_indirect(pieces, 2, mm::to_physical(slot), slot);
    } else {
        Buffer b{mm::to_physical(header), static_cast<uint32_t>(header_size + length), false};
        tx_.add(&b, 1, slot);
    }
}

void NetDriver::kick_transmit_if_asked() {
    if (tx_.publish()) {
        device_->kick(transmit_queue);
    }
    // The watch's clock starts with the first frame the device holds, not at the network
    // thread's next pass, which may come only with lwIP's next timer.
    if (!watching_ && tx_.held_by_device()) watch_from(tx_.device_used_index(), arch::read_tsc());
}

void NetDriver::watch_from(uint16_t used, uint64_t now) {
    watching_ = true;
    watched_used_ = used;
    watched_since_ = now;
}

bool NetDriver::transmit(size_t length, Fill fill, void* context) {
    if (length + transmit_frame_offset > transmit_slot_size_) return false;  // dropped
    reclaim_transmit_slots();
    if (!backlog_head_ && tx_free_) {
        send_in_slot(length, fill, context);
        kick_transmit_if_asked();
        return true;
    }
    // Behind the frames already waiting, so that the order on the wire stays.
    auto* waiting =
        backlog_length_ < max_backlog ? static_cast<Backlogged*>(mm::allocate(sizeof(Backlogged) + length)) : nullptr;
    if (!waiting) return false;  // dropped, as a full NIC queue drops
    waiting->next = nullptr;
    waiting->length = length;
    fill(waiting->bytes, length, context);
    if (backlog_tail_)
        backlog_tail_->next = waiting;
    else
        backlog_head_ = waiting;
    backlog_tail_ = waiting;
    ++backlog_length_;
    flush_transmit();
    return true;
}

bool NetDriver::flush_transmit() {
    for (;;) {
        reclaim_transmit_slots();
        while (backlog_head_ && tx_free_) {
            Backlogged* frame = backlog_head_;
            backlog_head_ = frame->next;
            if (!backlog_head_) backlog_tail_ = nullptr;
            --backlog_length_;
            send_in_slot(
                frame->length, [](uint8_t* into, size_t length, void* from) { memcpy(into, from, length); },
                frame->bytes);
            mm::free(frame);
        }
        kick_transmit_if_asked();
        if (!backlog_head_) return true;
        // Wait for the device to finish a frame; it may have done so meanwhile.
        if (!tx_.arm_interrupt()) return false;
    }
}

bool NetDriver::watch_transmit(uint64_t now, uint64_t patience) {
    if (tx_.held_by_device() == 0) {
        watching_ = false;
        return false;
    }
    const uint16_t used = tx_.device_used_index();
    if (!watching_ || used != watched_used_) {
        watch_from(used, now);
    } else if (now - watched_since_ >= patience) {
        device_->kick(transmit_queue);
        __atomic_store_n(&transmit_rekicks_, transmit_rekicks_ + 1, __ATOMIC_RELAXED);
        watched_since_ = now;
    }
    return true;
}

int NetDriver::receive(void (*deliver)(const uint8_t*, size_t, void*), void* context) {
    int frames = 0;
    uint32_t written;
    while (void* token = rx_.take_used(written)) {
        auto* buffer = static_cast<uint8_t*>(token);
        // The stack checks no TCP checksum on this interface when the device offloads
        // them (tcp_checksum.hpp): the driver does, before the stack sees the frame.
        if (written > header_size && written <= buffer_size_ &&
            (!checksum_offload_ || tcp_checksum::valid(buffer + header_size, written - header_size))) {
            deliver(buffer + header_size, written - header_size, context);
            ++frames;
        }
        post_receive_buffer(buffer);
    }
    if (rx_.publish()) {
        device_->kick(receive_queue);
    }
    return frames;
}

}  // namespace eremite::virtio
