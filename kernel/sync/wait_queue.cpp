#include "sync/wait_queue.hpp"

namespace eremite {

void WaitQueue::enqueue(Waiter& waiter) {
    waiter.thread = sched::current();
    waiter.next = nullptr;
    waiter.previous = last_;
    if (last_)
        last_->next = &waiter;
    else
        first_ = &waiter;
    last_ = &waiter;
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

void WaitQueue::wake_one() {
    LockGuard guard(lock_);
    if (Waiter* waiter = first_) {
        sched::Thread* thread = waiter->thread;
        remove(*waiter);  // the waiter lives on its thread's stack: not touched after the wake
        sched::wake(thread);
    }
}

void WaitQueue::wake_all() {
    LockGuard guard(lock_);
    while (Waiter* waiter = first_) {
        sched::Thread* thread = waiter->thread;
        remove(*waiter);
        sched::wake(thread);
    }
}

bool WaitQueue::has_waiters() {
    LockGuard guard(lock_);
    return first_ != nullptr;
}

}  // namespace eremite
