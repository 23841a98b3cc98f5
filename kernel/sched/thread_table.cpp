#include "sched/thread_table.hpp"

namespace eremite::sched::thread_table {
namespace {

SpinLock table_lock;
Thread* head = nullptr;  // doubly linked through table_previous/table_next

}  // namespace

SpinLock& lock() { return table_lock; }

void add(Thread* thread) {
    LockGuard guard(table_lock);
    thread->table_previous = nullptr;
    thread->table_next = head;
    if (head) head->table_previous = thread;
    head = thread;
    thread->listed = true;
}

void remove(Thread* thread) {
    LockGuard guard(table_lock);
    if (!thread->listed) return;
    if (thread->table_previous)
        thread->table_previous->table_next = thread->table_next;
    else
        head = thread->table_next;
    if (thread->table_next) thread->table_next->table_previous = thread->table_previous;
    thread->table_previous = thread->table_next = nullptr;
    thread->listed = false;
}

Thread* find(int32_t tid) {
    for (Thread* t = head; t; t = t->table_next)
        if (t->tid == tid) return t;
    return nullptr;
}

}  // namespace eremite::sched::thread_table
