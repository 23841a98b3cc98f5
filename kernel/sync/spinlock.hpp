// A ticket-free test-and-set spinlock, and a guard that also masks interrupts on this
// CPU for as long as the lock is held (a lock taken by an interrupt handler must never
// be interrupted by it on the same CPU).
#pragma once

#include "arch/x86_64/cpu.hpp"

namespace eremite {

class SpinLock {
public:
    void lock() {
        while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE))
            while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) arch::relax();
    }
    void unlock() { __atomic_store_n(&locked_, false, __ATOMIC_RELEASE); }

private:
    bool locked_ = false;
};

class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(SpinLock& lock) : lock_(lock), interrupts_were_enabled_(arch::disable_interrupts()) {
        lock_.lock();
    }
    ~LockGuard() {
        lock_.unlock();
        arch::restore_interrupts(interrupts_were_enabled_);
    }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    SpinLock& lock_;
    bool interrupts_were_enabled_;
};

// Holds a spinlock without touching the interrupt flag: for locks that no interrupt
// handler takes and whose holders may wait for other CPUs' interrupts (a TLB shootdown
// waits for every other CPU to acknowledge; they must be able to take the interrupt
// while spinning here).
class [[nodiscard]] SpinGuard {
public:
    explicit SpinGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinGuard() { lock_.unlock(); }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    SpinLock& lock_;
};

}  // namespace eremite
