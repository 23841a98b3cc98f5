#include "virtqueue.hpp"

#include <atomic>

namespace ehyve {

struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(Descriptor) == 16);

namespace {

// Ring layout (virtio 1.x, 2.7.6 and 2.7.8): available = flags, idx, ring[size],
// used_event; used = flags, idx, {id, len}[size], avail_event.
uint64_t available_bytes(uint16_t size) { return 6 + 2ull * size; }
uint64_t used_bytes(uint16_t size) { return 6 + 8ull * size; }

// The rings are shared with vCPUs that run at the same time: fields are read and written
// whole, with the orderings the spec's memory barriers ask for.
uint16_t load16(const GuestMemory& memory, uint64_t address) {
    return __atomic_load_n(reinterpret_cast<uint16_t*>(memory.span({address}, 2)->data()), __ATOMIC_ACQUIRE);
}
void store16(const GuestMemory& memory, uint64_t address, uint16_t value) {
    __atomic_store_n(reinterpret_cast<uint16_t*>(memory.span({address}, 2)->data()), value, __ATOMIC_RELEASE);
}

}  // namespace

bool DeviceQueue::configure(const GuestMemory& memory, uint16_t size, Addresses addresses, bool event_index) {
    reset();
    if (size == 0 || size > virtq::max_size || (size & (size - 1))) return false;
    if (addresses.descriptors % 16 || addresses.available % 2 || addresses.used % 4) return false;
    if (!memory.contains({addresses.descriptors}, 16ull * size) ||
        !memory.contains({addresses.available}, available_bytes(size)) ||
        !memory.contains({addresses.used}, used_bytes(size)))
        return false;
    memory_ = &memory;
    size_ = size;
    at_ = addresses;
    event_index_ = event_index;
    return true;
}

void DeviceQueue::reset() {
    memory_ = nullptr;
    size_ = 0;
    at_ = {};
    broken_ = false;
    next_available_ = used_index_ = signalled_used_ = 0;
}

uint16_t DeviceQueue::available_index() const { return load16(*memory_, at_.available + 2); }

bool DeviceQueue::read_descriptor(uint64_t table, uint32_t table_size, uint32_t index, Descriptor& out) const {
    if (index >= table_size) return false;
    auto bytes = memory_->span({table + 16ull * index}, sizeof(Descriptor));
    if (!bytes) return false;
    std::memcpy(&out, bytes->data(), sizeof out);
    return true;
}

bool DeviceQueue::add_buffer(DescriptorChain& chain, const Descriptor& d) {
    if (d.length == 0) return true;
    auto bytes = memory_->span({d.address}, d.length);
    if (!bytes) return false;
    iovec piece{bytes->data(), d.length};
    if (d.flags & virtq::desc_write) {
        chain.writable.push_back(piece);
        chain.writable_bytes += d.length;
    } else {
        // The spec puts every device-readable buffer before the writable ones.
        if (!chain.writable.empty()) return false;
        chain.readable.push_back(piece);
        chain.readable_bytes += d.length;
    }
    return true;
}

DeviceQueue::Pop DeviceQueue::pop(DescriptorChain& chain) {
    if (!size_ || broken_) return Pop::broken;
    uint16_t available = available_index();
    if (available == next_available_) return Pop::empty;
    if (static_cast<uint16_t>(available - next_available_) > size_) {
        broken_ = true;  // the driver claims more entries than the ring has
        return Pop::broken;
    }
    // The entry and the descriptors it names were written before the index (acquire above).
    uint16_t head = load16(*memory_, at_.available + 4 + 2ull * (next_available_ % size_));
    ++next_available_;
    chain.head = head;
    chain.readable.clear();
    chain.writable.clear();
    chain.readable_bytes = chain.writable_bytes = 0;
    chain.indirect = false;

    uint64_t table = at_.descriptors;
    uint32_t table_size = size_;
    uint32_t index = head;
    bool indirect = false;
    // A chain visits each descriptor at most once: more steps than descriptors is a loop.
    for (uint32_t steps = 0;; ++steps) {
        Descriptor d;
        if (steps >= table_size || !read_descriptor(table, table_size, index, d)) break;
        if (d.flags & virtq::desc_indirect) {
            // Only as the main chain's single entry point, never nested (2.7.5.3.1).
            if (indirect || (d.flags & virtq::desc_next) || d.length % 16 || d.length == 0 ||
                d.length / 16 > virtq::max_size || !memory_->contains({d.address}, d.length))
                break;
            indirect = chain.indirect = true;
            table = d.address;
            table_size = d.length / 16;
            index = 0;
            steps = ~0u;  // restarts at 0 for the indirect table
            continue;
        }
        if (!add_buffer(chain, d)) break;
        if (!(d.flags & virtq::desc_next)) return Pop::chain;
        index = d.next;
    }
    broken_ = true;
    return Pop::broken;
}

void DeviceQueue::push(uint16_t head, uint32_t written) {
    if (!size_ || broken_) return;
    uint64_t element = at_.used + 4 + 8ull * (used_index_ % size_);
    auto bytes = memory_->span({element}, 8);
    uint32_t values[2] = {head, written};
    std::memcpy(bytes->data(), values, sizeof values);
    ++used_index_;
    store16(*memory_, at_.used + 2, used_index_);  // release: the element is visible first
}

bool DeviceQueue::should_interrupt() {
    if (!size_ || broken_) return false;
    // The used index must be visible before the driver's wish is read (the spec's mb()).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint16_t old = signalled_used_;
    signalled_used_ = used_index_;
    if (old == used_index_) return false;
    if (!event_index_) return !(load16(*memory_, at_.available) & virtq::avail_no_interrupt);
    uint16_t used_event = load16(*memory_, at_.available + 4 + 2ull * size_);
    return virtq::need_event(used_event, used_index_, old);
}

bool DeviceQueue::enable_kicks() {
    if (!size_ || broken_) return false;
    if (event_index_)
        store16(*memory_, at_.used + 4 + 8ull * size_, next_available_);
    else
        store16(*memory_, at_.used, 0);
    // Publish the wish before looking again, or a chain added in between is missed.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return available_index() != next_available_;
}

void DeviceQueue::disable_kicks() {
    if (!size_ || broken_ || event_index_) return;  // with EVENT_IDX the old event index already lags
    store16(*memory_, at_.used, virtq::used_no_notify);
}

}  // namespace ehyve
