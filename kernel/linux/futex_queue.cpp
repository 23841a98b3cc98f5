#include "linux/futex_queue.hpp"

namespace eremite::linux {

void FutexQueue::add(FutexWaiter* waiter) {
    waiter->next = nullptr;
    FutexWaiter** link = &head_;
    while (*link) link = &(*link)->next;
    *link = waiter;
}

bool FutexQueue::contains(const FutexWaiter* waiter) const {
    for (const FutexWaiter* w = head_; w; w = w->next)
        if (w == waiter) return true;
    return false;
}

void FutexQueue::remove(FutexWaiter* waiter) {
    for (FutexWaiter** link = &head_; *link; link = &(*link)->next) {
        if (*link == waiter) {
            *link = waiter->next;
            return;
        }
    }
}

uint64_t FutexQueue::wake(const uint32_t* address, uint64_t count, uint32_t bitset, void (*wake)(void* thread)) {
    uint64_t woken = 0;
    for (FutexWaiter** link = &head_; *link && woken < count;) {
        FutexWaiter* w = *link;
        if (w->address == address && (w->bitset & bitset)) {
            *link = w->next;
            void* thread = w->thread;  // read before the waiter (on its stack) may go away
            wake(thread);
            ++woken;
        } else {
            link = &w->next;
        }
    }
    return woken;
}

uint64_t FutexQueue::requeue(const uint32_t* from, const uint32_t* to, uint64_t count, FutexQueue& target) {
    uint64_t moved = 0;
    if (from == to) {  // nothing moves; count them as Linux does, without looping forever
        for (FutexWaiter* w = head_; w && moved < count; w = w->next)
            if (w->address == from) ++moved;
        return moved;
    }
    for (FutexWaiter** link = &head_; *link && moved < count;) {
        FutexWaiter* w = *link;
        if (w->address != from) {
            link = &w->next;
            continue;
        }
        *link = w->next;
        w->address = to;
        target.add(w);
        ++moved;
    }
    return moved;
}

}  // namespace eremite::linux
