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
    if (thread) unlink(thread, nullptr);
    return thread;
}

Thread* RunQueue::take_for(uint32_t cpu) {
    Thread* previous = nullptr;
    for (Thread* t = head_; t; previous = t, t = t->queue_next) {
        if (!(t->affinity & (1ull << cpu)) || t->on_cpu) continue;
        unlink(t, previous);
        return t;
    }
    return nullptr;
}

void RunQueue::unlink(Thread* thread, Thread* previous) {
    if (previous)
        previous->queue_next = thread->queue_next;
    else
        head_ = thread->queue_next;
    if (tail_ == thread) tail_ = previous;
    --size_;
    thread->queue_next = nullptr;
}

bool RunQueue::remove(Thread* thread) {
    Thread* previous = nullptr;
    for (Thread* t = head_; t; previous = t, t = t->queue_next) {
        if (t != thread) continue;
        unlink(t, previous);
        return true;
    }
    return false;
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

uint64_t slice_for_nice(int nice, uint64_t base_slice) {
    static constexpr uint32_t weights[40] = {
        88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,  // -20 .. -11
        9548,  7620,  6100,  4904,  3906,  3121,  2501,  1991,  1586,  1277,   // -10 .. -1
        1024,  820,   655,   526,   423,   335,   272,   215,   172,   137,    //   0 .. 9
        110,   87,    70,    56,    45,    36,    29,    23,    18,    15,     //  10 .. 19
    };
    if (nice < -20) nice = -20;
    if (nice > 19) nice = 19;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(base_slice) * weights[nice + 20]) / 1024);
}

}  // namespace eremite::sched
