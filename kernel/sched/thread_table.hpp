// Threads by tid, for the syscalls that name another thread of the app
// (sched_setaffinity, getpriority, get_robust_list, ...). A thread is listed from
// create_app_thread until it exits (or is destroyed without having run); once unlisted
// its tid gives ESRCH, as a thread that has exited does on Linux.
#pragma once

#include <stdint.h>

#include "sched/thread.hpp"
#include "sync/spinlock.hpp"

namespace eremite::sched::thread_table {

void add(Thread* thread);
void remove(Thread* thread);  // harmless for a thread not listed

SpinLock& lock();
Thread* find(int32_t tid);  // under lock()

// Runs `visit` on the listed thread with this tid while the table's lock (interrupts off)
// keeps it from being freed; false when there is none. `visit` must not block or touch
// app memory.
template <typename Visit>
bool visit(int32_t tid, Visit&& visit) {
    LockGuard guard(lock());
    Thread* thread = find(tid);
    if (!thread) return false;
    visit(*thread);
    return true;
}

}  // namespace eremite::sched::thread_table
