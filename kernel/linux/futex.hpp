// Futexes: the wait queues behind pthread mutexes, condition variables, joins and
// barriers. Waiters hang in a hash table keyed by the word's address (one address space,
// so private and shared futexes are the same thing); each bucket has its own lock.
#pragma once

#include <stdint.h>

namespace eremite::linux {

// Wakes up to `count` waiters on `address` whose bitset meets `bitset`; returns how many.
int64_t futex_wake(const uint32_t* address, uint64_t count, uint32_t bitset);

}  // namespace eremite::linux
