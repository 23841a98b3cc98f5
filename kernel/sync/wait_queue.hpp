// A wait queue: threads sleep on it until a condition holds. The condition is checked
// under the queue's lock and the waiter enqueued in the same critical section, and a
// waker changes the state before it calls wake_*, which takes the same lock: so a
// wake-up can never fall between the check and the sleep. Conditions must be cheap and
// must not touch app memory (the lock is held with interrupts off).
//
// A MultiWait (below) lets one thread wait on several queues at once, as poll and
// select do. Its entries are not exclusive: a wake-up marks them and wakes their thread
// but leaves them queued, and wake_one goes on past them to an ordinary waiter (Linux's
// wake_up treats poll's entries the same way).
#pragma once

#include <stdint.h>

#include "sched/scheduler.hpp"
#include "sync/spinlock.hpp"

namespace eremite {

class MultiWait;

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
    void wake_one() { wake(false); }
    void wake_all() { wake(true); }
    bool has_waiters();

    class Listener;
    // A listener hears every wake-up of the queue until it is removed (epoll's items):
    // its callback runs with the queue's lock held and interrupts off, so it may only set
    // flags and wake other queues. Like poll's entries it stays queued and does not count
    // for wake_one.
    void add(Listener& listener);
    void remove(Listener& listener);

private:
    friend class MultiWait;
    struct Waiter {
        sched::Thread* thread = nullptr;
        Waiter* next = nullptr;
        Waiter* previous = nullptr;
        bool queued = false;
        MultiWait* multi = nullptr;    // set for a MultiWait's entry: stays queued when woken
        Listener* listener = nullptr;  // set for a listener: told, stays queued
    };
    void enqueue(Waiter& waiter);
    // Runs the scheduler, then takes the waiter off the queue if no waker did; false
    // when the deadline ended the sleep.
    bool sleep(Waiter& waiter);
    void remove(Waiter& waiter);
    // Wakes a MultiWait entry's thread, leaving the entry queued.
    static void notify(Waiter& waiter);
    void wake(bool all);

    SpinLock lock_;
    Waiter* first_ = nullptr;
    Waiter* last_ = nullptr;
};

class WaitQueue::Listener {
public:
    explicit Listener(void (*on_wake)(Listener&)) : on_wake_(on_wake) { waiter_.listener = this; }
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    bool listening() const { return waiter_.queued; }

private:
    friend class WaitQueue;
    WaitQueue::Waiter waiter_;
    void (*on_wake_)(Listener&);
};

// One thread waiting on several queues (poll, select). The thread adds one entry per
// queue, then loops: begin_check(), check every condition (taking whatever locks and
// touching whatever memory that needs: unlike WaitQueue::wait, nothing is held), and
// sleep() if none holds. A wake-up on any queue after begin_check() makes sleep() return
// at once, so none is lost between the check and the sleep. The entries stay queued
// until the MultiWait is destroyed. Each entry's storage and its queue must outlive the
// MultiWait (poll holds a reference to every polled file for as long).
class MultiWait {
public:
    class Entry {
    private:
        friend class MultiWait;
        WaitQueue::Waiter waiter;
        WaitQueue* queue = nullptr;
        Entry* next = nullptr;
    };

    MultiWait() = default;
    ~MultiWait();
    MultiWait(const MultiWait&) = delete;
    MultiWait& operator=(const MultiWait&) = delete;

    // Queues `entry` (the caller's storage, unused until now) on `queue`.
    void add(WaitQueue& queue, Entry& entry);
    // Forgets earlier wake-ups: call before checking the conditions.
    void begin_check() { __atomic_store_n(&woken_, false, __ATOMIC_SEQ_CST); }
    // Sleeps until a queue is woken after begin_check() or the TSC deadline passes
    // (0 = none); may return early. The caller checks its conditions again either way.
    void sleep(uint64_t deadline_tsc);

private:
    friend class WaitQueue;
    Entry* entries_ = nullptr;
    bool woken_ = false;
};

}  // namespace eremite
