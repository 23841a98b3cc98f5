// IoBuffer in the kernel: app memory through the fault-tolerant copies.
#include "fs/node.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"

namespace eremite::fs {

bool IoBuffer::fill(uint64_t at, const void* from, uint64_t length) const {
    if (in_app_) return linux::copy_to_app(address_ + at, from, length);
    memcpy(address_ + at, from, length);
    return true;
}

bool IoBuffer::fill_zero(uint64_t at, uint64_t length) const {
    if (in_app_) return linux::clear_app(address_ + at, length);
    memset(address_ + at, 0, length);
    return true;
}

bool IoBuffer::drain(void* to, uint64_t at, uint64_t length) const {
    if (in_app_) return linux::copy_from_app(to, address_ + at, length);
    memcpy(to, address_ + at, length);
    return true;
}

}  // namespace eremite::fs
