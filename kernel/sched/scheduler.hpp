// The scheduler: per-CPU run queues (FIFO within one priority for now), preemption by a
// time slice when more than one thread wants a CPU, sleeping with deadlines, and idle
// CPUs that halt. It is tickless: the local APIC timer is armed only for the earliest
// sleeper or the end of a time slice that another thread waits for, so a CPU running a
// single thread takes no timer interrupts at all.
//
// Locking: each CPU's queues are guarded by its own spinlock, taken with interrupts off.
// A thread's state changes only under the lock of the CPU whose queue holds it. A woken
// thread may sit in a run queue while its old CPU is still switching away from it: it
// runs elsewhere only after `on_cpu` drops (set in context_switch.S). Affinity is a
// hard rule: schedule() never runs a thread on a CPU outside its mask, and a thread
// found in a queue its mask no longer allows is moved to one it does.
#pragma once

#include <stdint.h>

#include "sched/thread.hpp"

namespace eremite::sched {

// Sets up this CPU's scheduler with the running boot context as its idle thread.
void init_this_cpu(uint32_t cpu_index);
uint32_t cpu_count();
void set_cpu_count(uint32_t count);

Thread* current();
uint32_t this_cpu_index();

// Restricts the current thread to the CPUs in `mask` (at least one online); it moves at
// once when this CPU is not among them.
void set_own_affinity(uint64_t mask);
// The same for another thread (kept alive by the caller, under sched/thread_table.hpp's
// lock): queued elsewhere, it moves at once; running elsewhere, its CPU is interrupted
// and gives it up; blocked, it wakes up on a CPU it may use.
void set_affinity(Thread& thread, uint64_t mask);

// Makes a new thread runnable on the least loaded CPU it may use.
void start(Thread* thread);

// A thread of the kernel's own (the network's), running entry(argument) until the VM
// ends: no app state, not counted among the app's threads, never found by a tid. Null
// when memory is exhausted.
Thread* start_kernel_thread(void (*entry)(void*), void* argument);

// Gives the CPU to the next runnable thread, if any; the current thread stays runnable
// unless it prepared to block or exited.
void schedule();
void yield();

// Blocking: mark the current thread blocked (with an optional TSC deadline) while still
// holding the lock that guards its wait condition, release that lock, then schedule().
// After schedule() returns, `current()->timed_out` says whether the deadline ended it.
void prepare_to_block(uint64_t deadline_tsc);
void wake(Thread* thread);

// Counts a thread out of the live ones; returns how many remain.
uint64_t release_thread();
// Ends the current thread (after release_thread); never returns.
[[noreturn]] void exit_current();

// Interrupts every other online CPU, so that each passes through the interrupt path's
// check at the boundary to the app (the process is exiting).
void interrupt_other_cpus();

// From the interrupt path.
void on_timer_interrupt();
void on_reschedule_interrupt();
bool reschedule_pending();

// The idle loop of this CPU (the boot context becomes the idle thread).
[[noreturn]] void idle_loop();

uint64_t live_threads();

// CPU time used by all threads so far (the running ones up to their last switch, plus
// the caller's current stretch).
uint64_t process_cpu_time_ns();

}  // namespace eremite::sched
