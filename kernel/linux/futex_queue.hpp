// One futex hash bucket's waiters, as pure list logic (tested on the host): who waits on
// which word with which bitset, woken or moved in arrival order. The caller holds the
// bucket's lock; waking a thread is the caller's function.
#pragma once

#include <stdint.h>

namespace eremite::linux {

struct FutexWaiter {
    void* thread;  // sched::Thread*, opaque here
    const uint32_t* address;
    uint32_t bitset;
    FutexWaiter* next = nullptr;
};

class FutexQueue {
public:
    void add(FutexWaiter* waiter);  // at the back: the first to wait is the first woken
    bool contains(const FutexWaiter* waiter) const;
    void remove(FutexWaiter* waiter);

    // Unlinks up to `count` waiters on `address` whose bitset meets `bitset`, oldest
    // first, and calls `wake` with each one's thread. Returns how many.
    uint64_t wake(const uint32_t* address, uint64_t count, uint32_t bitset, void (*wake)(void* thread));

    // Moves up to `count` waiters on `from` to `target`, now waiting on `to`.
    uint64_t requeue(const uint32_t* from, const uint32_t* to, uint64_t count, FutexQueue& target);

private:
    FutexWaiter* head_ = nullptr;
};

}  // namespace eremite::linux
