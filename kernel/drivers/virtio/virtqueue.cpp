#include "drivers/virtio/virtqueue.hpp"

#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"

namespace eremite::virtio {

struct Virtqueue::Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};

namespace {

constexpr uint16_t desc_next = 1;
constexpr uint16_t desc_write = 2;
constexpr uint16_t desc_indirect = 4;

// Descriptors and the available ring share the first pages, the used ring (the device's
// writes) starts on a page of its own.
uint64_t driver_area_bytes(uint16_t size) { return align_up(16ull * size + 6 + 2ull * size, 4096); }
uint64_t device_area_bytes(uint16_t size) { return align_up(6 + 8ull * size, 4096); }

bool need_event(uint16_t event, uint16_t new_index, uint16_t old_index) {
    return static_cast<uint16_t>(new_index - event - 1) < static_cast<uint16_t>(new_index - old_index);
}

}  // namespace

Result<void> Virtqueue::init(uint16_t size, bool event_index) {
    if (size == 0 || (size & (size - 1))) return error(Errno::einval);
    uint64_t bytes = driver_area_bytes(size) + device_area_bytes(size);
    auto frames = mm::allocate_frames(bytes / 4096);
    if (!frames.ok()) return error(frames.error_code());
    tokens_ = static_cast<void**>(mm::allocate(sizeof(void*) * size));
    if (!tokens_) {
        mm::free_frames(frames.value(), bytes / 4096);
        return error(Errno::enomem);
    }
    memset(tokens_, 0, sizeof(void*) * size);
    rings_ = frames.value();
    memset(mm::to_virtual(rings_), 0, bytes);
    size_ = size;
    event_index_ = event_index;
    Descriptor* d = table();
    for (uint16_t i = 0; i < size; ++i) d[i].next = static_cast<uint16_t>(i + 1);
    free_head_ = 0;
    free_count_ = size;
    return {};
}

PhysAddr Virtqueue::available() const { return rings_ + 16ull * size_; }
PhysAddr Virtqueue::used() const { return rings_ + driver_area_bytes(size_); }
Virtqueue::Descriptor* Virtqueue::table() const { return mm::to_virtual<Descriptor>(rings_); }
volatile uint16_t* Virtqueue::available_ring() const { return mm::to_virtual<volatile uint16_t>(available()); }
volatile uint8_t* Virtqueue::used_ring() const { return mm::to_virtual<volatile uint8_t>(used()); }

// One buffer of a chain; `more`: another follows (at `next`, which the caller keeps).
void Virtqueue::describe(Descriptor& entry, const Buffer& buffer, bool more) {
    entry.address = buffer.address.value;
    entry.length = buffer.length;
    entry.flags = static_cast<uint16_t>((buffer.device_writes ? desc_write : 0) | (more ? desc_next : 0));
}

bool Virtqueue::add(const Buffer* buffers, uint16_t count, void* token) {
    if (count == 0 || count > free_count_) return false;
    Descriptor* d = table();
    uint16_t head = free_head_, index = head;
    for (uint16_t i = 0; i < count; ++i) {
        describe(d[index], buffers[i], i + 1 < count);
        if (i + 1 < count) index = d[index].next;
    }
    free_head_ = d[index].next;
    free_count_ = static_cast<uint16_t>(free_count_ - count);
    make_available(head, token);
    return true;
}

bool Virtqueue::add_indirect(const Buffer* buffers, uint16_t count, PhysAddr table_memory, void* token) {
    if (count == 0 || free_count_ == 0) return false;
    // The table's entries in order: entry i's next is i + 1.
    Descriptor* chain = mm::to_virtual<Descriptor>(table_memory);
    for (uint16_t i = 0; i < count; ++i) {
        describe(chain[i], buffers[i], i + 1 < count);
        chain[i].next = static_cast<uint16_t>(i + 1);
    }
    Descriptor* d = table();
    uint16_t head = free_head_;
    Descriptor& entry = d[head];
    free_head_ = entry.next;
    --free_count_;
    entry.address = table_memory.value;
    entry.length = count * indirect_entry_size;
    entry.flags = desc_indirect;
    make_available(head, token);
    return true;
}

void Virtqueue::make_available(uint16_t head, void* token) {
    tokens_[head] = token;
    available_ring()[2 + available_index_ % size_] = head;
    ++available_index_;
}

bool Virtqueue::publish() {
    if (available_index_ == published_index_) return false;
    uint16_t old = published_index_;
    // Descriptors and ring entries before the index, the index before the device's wish.
    __atomic_thread_fence(__ATOMIC_RELEASE);
    available_ring()[1] = available_index_;
    published_index_ = available_index_;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    volatile uint8_t* used = used_ring();
    if (event_index_) {
        uint16_t avail_event = *reinterpret_cast<volatile uint16_t*>(used + 4 + 8ull * size_);
        return need_event(avail_event, available_index_, old);
    }
    return !(*reinterpret_cast<volatile uint16_t*>(used) & 1);  // VIRTQ_USED_F_NO_NOTIFY
}

uint16_t Virtqueue::device_used_index() const { return *reinterpret_cast<volatile uint16_t*>(used_ring() + 2); }

uint16_t Virtqueue::held_by_device() const { return static_cast<uint16_t>(published_index_ - device_used_index()); }

void* Virtqueue::take_used(uint32_t& written) {
    volatile uint8_t* used = used_ring();
    uint16_t device_index = device_used_index();
    if (device_index == last_used_) return nullptr;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);  // the element was written before the index
    auto* element = reinterpret_cast<volatile uint32_t*>(used + 4 + 8ull * (last_used_ % size_));
    uint32_t head = element[0];
    written = element[1];
    ++last_used_;
    if (head >= size_) return nullptr;  // a broken device; the descriptor stays lost
    void* token = tokens_[head];
    tokens_[head] = nullptr;
    // Back to the free list: the whole chain.
    Descriptor* d = table();
    uint16_t last = static_cast<uint16_t>(head), count = 1;
    while ((d[last].flags & desc_next) && count < size_) {
        last = d[last].next;
        ++count;
    }
    d[last].next = free_head_;
    free_head_ = static_cast<uint16_t>(head);
    free_count_ = static_cast<uint16_t>(free_count_ + count);
    return token;
}

bool Virtqueue::arm_interrupt() {
    volatile uint16_t* available = available_ring();
    if (event_index_)
        available[2 + size_] = last_used_;  // used_event
    else
        available[0] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return device_used_index() != last_used_;
}

}  // namespace eremite::virtio
