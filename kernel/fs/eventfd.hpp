// eventfd(2): a 64-bit counter behind a file. A write of exactly 8 bytes adds to it (blocking
// while the sum would reach 0xffffffffffffffff), a read of at least 8 bytes returns it and resets
// it to 0, or with EFD_SEMAPHORE returns 1 and decrements it (blocking while it is 0).
//
// Locking: a spinlock guards the counter (held only to change it: app memory is copied
// outside it); blocked readers and writers sleep on wait queues whose conditions read
// the counter atomically. Every change wakes the other side and the poll queue.
#pragma once

#include <stdint.h>

#include "fs/file.hpp"

namespace eremite::fs {

// `flags`: o_nonblock.
Result<Ref<File>> make_eventfd(uint64_t initial, bool semaphore, uint32_t flags);

}  // namespace eremite::fs
