// A wait queue: threads sleep on it until a condition holds. The condition is checked
// under the queue's lock and the waiter enqueued in the same critical section, and a
// waker changes the state before it calls wake_*, which takes the same lock: so a
// wake-up can never fall between the check and the sleep. Conditions must be cheap and
// must not touch app memory (the lock is held with interrupts off).
#pragma once

#include <stdint.h>

#include "sched/scheduler.hpp"
#include "sync/spinlock.hpp"

namespace eremite {

class WaitQueue {
public:
    // Sleeps until `ready()` is true (true) or the TSC deadline passes (false; 0 = none).
    template <typename Ready>
    bool wait(Ready ready, uint64_t deadline_tsc = 0) {
        Waiter waiter;
        for (;;) {
            {
                LockGuard guard(lock_);
                if (ready()) return true;
                enqueue(waiter);
                sched::prepare_to_block(deadline_tsc);
            }
            if (!sleep(waiter)) {
                LockGuard guard(lock_);
                return ready();
            }
        }
    }
    void wake_one();
    void wake_all();
    bool has_waiters();

private:
    struct Waiter {
        sched::Thread* thread = nullptr;
        Waiter* next = nullptr;
        Waiter* previous = nullptr;
        bool queued = false;
    };
    void enqueue(Waiter& waiter);
    // Runs the scheduler, then takes the waiter off the queue if no waker did; false
    // when the deadline ended the sleep.
    bool sleep(Waiter& waiter);
    void remove(Waiter& waiter);

    SpinLock lock_;
    Waiter* first_ = nullptr;
    Waiter* last_ = nullptr;
};

}  // namespace eremite
