#include "sync/wait_queue.hpp"

namespace eremite {

// Poll entries and listeners go first, ordinary waiters last in arrival order: a
// wake_one then tells every entry and listener and stops at the first ordinary waiter.
void WaitQueue::enqueue(Waiter& waiter) {
    if (!waiter.listener) waiter.thread = sched::current();
    if (waiter.multi || waiter.listener) {
        waiter.previous = nullptr;
        waiter.next = first_;
        if (first_)
            first_->previous = &waiter;
        else
            last_ = &waiter;
        first_ = &waiter;
    } else {
        waiter.next = nullptr;
        waiter.previous = last_;
        if (last_)
            last_->next = &waiter;
        else
            first_ = &waiter;
        last_ = &waiter;
    }
    waiter.queued = true;
}

void WaitQueue::remove(Waiter& waiter) {
    if (waiter.previous)
        waiter.previous->next = waiter.next;
    else
        first_ = waiter.next;
    if (waiter.next)
        waiter.next->previous = waiter.previous;
    else
        last_ = waiter.previous;
    waiter.queued = false;
}

bool WaitQueue::sleep(Waiter& waiter) {
    sched::schedule();
    LockGuard guard(lock_);
    if (waiter.queued) remove(waiter);  // a deadline or a spurious return, not a waker
    return !sched::current()->timed_out;
}

void WaitQueue::notify(Waiter& waiter) {
    // Marked before the wake: MultiWait::sleep reads the mark after it prepared to
    // block, so either it sees the mark or this wake finds it blocked.
    __atomic_store_n(&waiter.multi->woken_, true, __ATOMIC_SEQ_CST);
    sched::wake(waiter.thread);
}

void WaitQueue::add(Listener& listener) {
    LockGuard guard(lock_);
    if (!listener.waiter_.queued) enqueue(listener.waiter_);
}

void WaitQueue::remove(Listener& listener) {
    LockGuard guard(lock_);
    if (listener.waiter_.queued) remove(listener.waiter_);
}

// Poll waiters (MultiWait entries) and listeners are told and stay queued, as Linux's poll entries;
// ordinary waiters are taken off and woken, one of them or all.
void WaitQueue::wake(bool all) {
    LockGuard guard(lock_);
    for (Waiter* waiter = first_; waiter;) {
        Waiter* next = waiter->next;
        if (waiter->multi) {
            notify(*waiter);
        } else if (waiter->listener) {
            waiter->listener->on_wake_(*waiter->listener);
        } else {
            sched::Thread* thread = waiter->thread;
            remove(*waiter);  // the waiter lives on its thread's stack: not touched after the wake
            sched::wake(thread);
            if (!all) return;  // entries and listeners come first (enqueue): all were told
        }
        waiter = next;
    }
}

bool WaitQueue::has_waiters() {
    LockGuard guard(lock_);
    return first_ != nullptr;
}

void MultiWait::add(WaitQueue& queue, Entry& entry) {
    entry.queue = &queue;
    entry.waiter = WaitQueue::Waiter{};
    entry.waiter.multi = this;
    entry.next = entries_;
    entries_ = &entry;
    LockGuard guard(queue.lock_);
    queue.enqueue(entry.waiter);
}

void MultiWait::sleep(uint64_t deadline_tsc) {
    if (__atomic_load_n(&woken_, __ATOMIC_SEQ_CST)) return;
    sched::prepare_to_block(deadline_tsc);
    // A wake-up between begin_check() and prepare_to_block found the thread still
    // running and only marked it: undo the block, as that wake-up would have.
    if (__atomic_load_n(&woken_, __ATOMIC_SEQ_CST)) sched::wake(sched::current());
    sched::schedule();
}

MultiWait::~MultiWait() {
    // Under each queue's lock: once unlinked, no waker of that queue can reach the entry
    // (wakers notify only with the lock held).
    for (Entry* entry = entries_; entry; entry = entry->next) {
        LockGuard guard(entry->queue->lock_);
        if (entry->waiter.queued) entry->queue->remove(entry->waiter);
    }
}

}  // namespace eremite
