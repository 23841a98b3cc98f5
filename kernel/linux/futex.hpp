// Futexes: the wait queues behind pthread mutexes, condition variables, joins and
// barriers. Waiters hang in a hash table keyed by the word's address (one address space,
// so private and shared futexes are the same thing); each bucket has its own lock.
#pragma once

#include <stdint.h>

namespace eremite::linux {

// Wakes up to `count` waiters on `address` whose bitset meets `bitset`; returns how many.
int64_t futex_wake(const uint32_t* address, uint64_t count, uint32_t bitset);

// sizeof(struct robust_list_head): the list pointer, the futex offset, the pending entry.
inline constexpr uint64_t robust_list_head_size = 24;

// What Linux does for a thread that exits holding robust mutexes (exit_robust_list):
// every futex word on its robust list (`head`, set_robust_list) that still names `tid` as
// its owner gets FUTEX_OWNER_DIED and one waiter is woken, so that pthread_mutex_lock in
// another thread returns EOWNERDEAD instead of waiting forever. A bad list ends the walk.
void release_robust_futexes(uint64_t head, int32_t tid);

}  // namespace eremite::linux
