#include "sched/queues.hpp"

namespace eremite::sched {

void RunQueue::push(Thread* thread) {
    thread->queue_next = nullptr;
    if (tail_)
        tail_->queue_next = thread;
    else
        head_ = thread;
    tail_ = thread;
    ++size_;
}

Thread* RunQueue::pop() {
    Thread* thread = head_;
    if (!thread) return nullptr;
    head_ = thread->queue_next;
    if (!head_) tail_ = nullptr;
    --size_;
    thread->queue_next = nullptr;
    return thread;
}

Thread* RunQueue::take_for(uint32_t cpu) {
    Thread* previous = nullptr;
    for (Thread* t = head_; t; previous = t, t = t->queue_next) {
        if (!(t->affinity & (1ull << cpu)) || t->on_cpu) continue;
        if (previous)
            previous->queue_next = t->queue_next;
        else
            head_ = t->queue_next;
        if (tail_ == t) tail_ = previous;
        --size_;
        t->queue_next = nullptr;
        return t;
    }
    return nullptr;
}

void SleepQueue::insert(Thread* thread) {
    Thread** link = &head_;
    while (*link && (*link)->wake_deadline <= thread->wake_deadline) link = &(*link)->sleep_next;
    thread->sleep_next = *link;
    *link = thread;
}

void SleepQueue::remove(Thread* thread) {
    for (Thread** link = &head_; *link; link = &(*link)->sleep_next) {
        if (*link == thread) {
            *link = thread->sleep_next;
            thread->sleep_next = nullptr;
            return;
        }
    }
}

Thread* SleepQueue::pop_expired(uint64_t now) {
    Thread* thread = head_;
    if (!thread || thread->wake_deadline > now) return nullptr;
    head_ = thread->sleep_next;
    thread->sleep_next = nullptr;
    return thread;
}

}  // namespace eremite::sched
