#include "drivers/console.hpp"

#include "drivers/hypercall.hpp"
#include "drivers/standalone.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/address.hpp"
#include "sync/spinlock.hpp"

namespace eremite::console {
namespace {

SpinLock lock;
abi::ConsoleRing* ring = nullptr;
uint8_t* ring_data = nullptr;

void copy_in(uint64_t position, const void* bytes, size_t length) {
    uint32_t mask = ring->capacity - 1;
    const auto* source = static_cast<const uint8_t*>(bytes);
    size_t first = min<size_t>(length, ring->capacity - (position & mask));
    memcpy(ring_data + (position & mask), source, first);
    memcpy(ring_data, source + first, length - first);
}

// Appends one record, asking the host to drain while the ring is too full for it.
void put_record(abi::ConsoleStream stream, const uint8_t* bytes, uint16_t length) {
    uint64_t needed = sizeof(abi::ConsoleRecordHeader) + length;
    uint64_t head = ring->head;
    while (head - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) + needed > ring->capacity)
        hypercall::call(abi::Hypercall::console_flush, nullptr);
    abi::ConsoleRecordHeader header{static_cast<uint16_t>(stream), length};
    copy_in(head, &header, sizeof header);
    copy_in(head + sizeof header, bytes, length);
    __atomic_store_n(&ring->head, head + needed, __ATOMIC_RELEASE);
}

}  // namespace

void init(const abi::BootInfo& info) {
    if (info.boot_flags & abi::boot_flag_standalone) {
        standalone::init();
        return;
    }
    ring = mm::to_virtual<abi::ConsoleRing>(PhysAddr{info.console_ring});
    ring_data = reinterpret_cast<uint8_t*>(ring + 1);
}

void write(abi::ConsoleStream stream, const void* bytes, size_t length) {
    if (standalone::active()) return standalone::write(stream, bytes, length);
    if (!ring) return;
    LockGuard guard(lock);
    const auto* cursor = static_cast<const uint8_t*>(bytes);
    while (length) {
        auto chunk = static_cast<uint16_t>(min<size_t>(length, abi::console_max_record));
        put_record(stream, cursor, chunk);
        cursor += chunk;
        length -= chunk;
    }
}

int64_t read_stdin(void* buffer, size_t length) {
    if (standalone::active()) return 0;  // no input from another VMM's serial port yet: end of file
    abi::StdinReadArgs arguments{mm::to_physical(buffer).value, length, 0};
    hypercall::call(abi::Hypercall::stdin_read, &arguments);
    return arguments.result;
}

}  // namespace eremite::console
