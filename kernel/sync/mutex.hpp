// A sleeping mutex for long critical sections that may touch app memory (and so take
// page faults) or wait for the host: file systems, pipes. A thread that finds it taken
// sleeps on a wait queue instead of spinning. Not for interrupt handlers.
#pragma once

#include "sched/scheduler.hpp"
#include "sync/wait_queue.hpp"

namespace eremite {

class Mutex {
public:
    void lock() {
        sched::Thread* self = sched::current();
        if (!try_take(self)) waiters_.wait([&] { return try_take(self); });
    }
    void unlock() {
        __atomic_store_n(&owner_, nullptr, __ATOMIC_RELEASE);
        // A locker that saw it taken is queued before it sleeps (wait_queue.hpp): this
        // wake-up reaches it, and it tries again.
        waiters_.wake_one();
    }
    bool held_by_me() const { return __atomic_load_n(&owner_, __ATOMIC_RELAXED) == sched::current(); }

private:
    bool try_take(sched::Thread* self) {
        sched::Thread* expected = nullptr;
        return __atomic_compare_exchange_n(&owner_, &expected, self, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    }

    sched::Thread* owner_ = nullptr;
    WaitQueue waiters_;
};

class [[nodiscard]] MutexGuard {
public:
    explicit MutexGuard(Mutex& mutex) : mutex_(mutex) { mutex_.lock(); }
    ~MutexGuard() { mutex_.unlock(); }
    MutexGuard(const MutexGuard&) = delete;
    MutexGuard& operator=(const MutexGuard&) = delete;

private:
    Mutex& mutex_;
};

}  // namespace eremite
