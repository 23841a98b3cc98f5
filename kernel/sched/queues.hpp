// The scheduler's queues, as pure logic over intrusive links in Thread (so they are
// tested on the host): a FIFO run queue, and the sleepers sorted by deadline. Callers
// hold the owning CPU's lock.
#pragma once

#include <stdint.h>

#include "sched/thread.hpp"

namespace eremite::sched {

class RunQueue {
public:
    void push(Thread* thread);
    Thread* pop();  // the longest waiting, or nullptr
    // Unlinks and returns the first thread allowed on `cpu` that no CPU is still switching
    // away from (for an idle CPU stealing work), or nullptr.
    Thread* take_for(uint32_t cpu);
    // Unlinks `thread` if it is queued here (its affinity changed); false when it is not.
    bool remove(Thread* thread);
    uint32_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

private:
    void unlink(Thread* thread, Thread* previous);  // `previous` precedes it, or nullptr at the head

    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
    uint32_t size_ = 0;
};

class SleepQueue {
public:
    // Sorted by wake_deadline; among equal deadlines, first come first woken.
    void insert(Thread* thread);
    void remove(Thread* thread);
    // Unlinks and returns a thread whose deadline is <= now, earliest first, or nullptr.
    Thread* pop_expired(uint64_t now);
    uint64_t earliest() const { return head_ ? head_->wake_deadline : 0; }  // 0: nobody sleeps
    bool empty() const { return head_ == nullptr; }

private:
    Thread* head_ = nullptr;
};

// Priorities as Linux's nice values (-20 highest .. 19 lowest) set the length of a
// thread's time slice in proportion to its weight (kernel/sched/core.c's
// sched_prio_to_weight: 1024 at nice 0, about 1.25x per step), so every runnable thread
// still gets the CPU in turn, but a higher priority holds it longer.
uint64_t slice_for_nice(int nice, uint64_t base_slice);

}  // namespace eremite::sched
