// A thread: the unit the scheduler runs. Every app thread has its own kernel stack
// (syscalls and interrupts from the app run on it; 32 KiB above an unmapped guard, from
// mm/kernel_stacks.hpp), its FS base (the app's TLS) and its extended register state
// (x87/SSE/AVX, saved with XSAVE only at a thread switch: the kernel itself never touches
// those registers).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "mm/kernel_stacks.hpp"

namespace eremite::sched {

enum class ThreadState : uint8_t {
    running,   // on a CPU now
    runnable,  // in a run queue
    blocked,   // waiting for a wake-up (futex, sleep, stdin)
    dead,      // exited; its stack is freed once no CPU runs on it
};

struct Thread {
    uint64_t saved_rsp = 0;  // kernel stack pointer while switched out (context_switch.S)
    uint64_t kernel_stack_top = 0;
    uint64_t fs_base = 0;
    void* extended_state = nullptr;     // XSAVE area, 64-byte aligned; null for kernel-only threads
    bool extended_state_valid = false;  // saved at least once (or copied from the parent)
    int32_t tid = 0;
    ThreadState state = ThreadState::runnable;
    bool is_idle = false;
    bool timed_out = false;        // the last block ended by its deadline
    volatile bool on_cpu = false;  // set until the switch away from it has completed
    uint32_t cpu = 0;              // the CPU whose run queue holds it
    uint64_t affinity = ~0ull;     // CPUs it may run on
    int8_t nice = 0;               // -20 .. 19: sets the length of its time slices (queues.hpp)
    uint64_t clear_child_tid = 0;  // CLONE_CHILD_CLEARTID / set_tid_address
    uint64_t robust_list = 0;      // set_robust_list: walked when the thread exits
    uint64_t wake_deadline = 0;    // TSC; 0 = no timeout
    uint64_t slice_end = 0;        // TSC at which its time slice ends
    Thread* queue_next = nullptr;  // run queue or sleep list link
    Thread* sleep_next = nullptr;
    mm::KernelStack kernel_stack;  // what to free when the thread is reaped
    void* extended_state_allocation = nullptr;
    uint64_t cpu_time_ns = 0;
    uint64_t ran_since = 0;  // TSC when it last got the CPU
    bool listed = false;     // in sched/thread_table.hpp, found by tid
    Thread* table_previous = nullptr;
    Thread* table_next = nullptr;
};

inline constexpr uint64_t kernel_stack_size = mm::kernel_stack_size;

// A new app thread with its kernel stack and extended-state area, or nullptr when memory
// is exhausted. Its tid comes from the process's counter.
Thread* create_app_thread();
// A kernel thread whose first switch runs entry(argument) with interrupts enabled
// (sched::start_kernel_thread starts it).
Thread* create_kernel_thread(void (*entry)(void*), void* argument);
// Frees what create_app_thread allocated (for a thread that never ran).
void destroy_thread(Thread* thread);

}  // namespace eremite::sched
