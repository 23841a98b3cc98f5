// What sync/mutex.hpp reaches of the scheduler and the interrupt flag, for host builds of
// kernel logic that locks (tmpfs): each host thread is its own sched::Thread, and a
// thread that finds a mutex taken yields the host CPU and tries again, so the kernel's
// Mutex is a correct (if spinning) lock among host threads.
#include <sched.h>

#include "sync/wait_queue.hpp"

namespace eremite {

namespace arch {
bool disable_interrupts() { return false; }
void enable_interrupts() {}
void relax() { __builtin_ia32_pause(); }
}  // namespace arch

namespace sched {
Thread* current() {
    thread_local Thread host_thread;
    return &host_thread;
}
void prepare_to_block(uint64_t) {}
}  // namespace sched

void WaitQueue::enqueue(Waiter&) {}
void WaitQueue::remove(Waiter&) {}
bool WaitQueue::sleep(Waiter&) {
    sched_yield();
    return true;  // woken: the caller checks its condition again
}
void WaitQueue::wake(bool) {}
bool WaitQueue::has_waiters() { return false; }

}  // namespace eremite
