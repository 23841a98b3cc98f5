// IoBuffer for host builds of kernel logic: app buffers are ordinary memory, except a
// range that tests mark as faulting, where a copy fails as copy_to_app does on a bad
// pointer: after copying the bytes before the bad ones.

#include <cstdint>
#include <cstring>

#include "fs/node.hpp"
#include "io_buffer_on_host.hpp"

namespace eremite::fs {
namespace {

const uint8_t* faulting_begin = nullptr;
const uint8_t* faulting_end = nullptr;

// How many bytes from `at` can be copied before the faulting range; `length` when all.
uint64_t good_bytes(const uint8_t* at, uint64_t length) {
    auto begin = reinterpret_cast<uintptr_t>(faulting_begin), end = reinterpret_cast<uintptr_t>(faulting_end);
    auto first = reinterpret_cast<uintptr_t>(at);
    if (begin >= end || first >= end || first + length <= begin) return length;
    return first < begin ? begin - first : 0;
}

}  // namespace

bool IoBuffer::fill(uint64_t at, const void* from, uint64_t length) const {
    uint64_t good = in_app_ ? good_bytes(address_ + at, length) : length;
    memcpy(address_ + at, from, good);
    return good == length;
}

bool IoBuffer::fill_zero(uint64_t at, uint64_t length) const {
    uint64_t good = in_app_ ? good_bytes(address_ + at, length) : length;
    memset(address_ + at, 0, good);
    return good == length;
}

bool IoBuffer::drain(void* to, uint64_t at, uint64_t length) const {
    uint64_t good = in_app_ ? good_bytes(address_ + at, length) : length;
    memcpy(to, address_ + at, good);
    return good == length;
}

namespace host {
void set_faulting_range(const void* begin, const void* end) {
    faulting_begin = static_cast<const uint8_t*>(begin);
    faulting_end = static_cast<const uint8_t*>(end);
}

bool app_copies_work() {
    uint8_t byte = 1;
    return !faulting_begin && IoBuffer::app(&byte).fill_zero(0, 1) && byte == 0;
}
}  // namespace host

}  // namespace eremite::fs
