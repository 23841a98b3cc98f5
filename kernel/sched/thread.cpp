#include "sched/thread.hpp"

#include <new>

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/extended_state.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"
#include "sched/thread_table.hpp"

namespace eremite::sched {
namespace {

int32_t next_tid = 1;  // the main thread is 1, like the pid

}  // namespace

Thread* create_app_thread() {
    void* memory = mm::allocate(sizeof(Thread));
    if (!memory) return nullptr;
    auto* thread = new (memory) Thread;
    auto stack = mm::allocate_kernel_stack();
    if (stack.ok()) thread->kernel_stack = stack.value();
    size_t state_size = arch::extended_state_size();
    thread->extended_state_allocation = mm::allocate(state_size + arch::extended_state_alignment);
    if (!thread->kernel_stack.valid() || !thread->extended_state_allocation) {
        destroy_thread(thread);
        return nullptr;
    }
    thread->kernel_stack_top = thread->kernel_stack.top();
    thread->extended_state = reinterpret_cast<void*>(
        align_up(reinterpret_cast<uint64_t>(thread->extended_state_allocation), arch::extended_state_alignment));
    memset(thread->extended_state, 0, state_size);
    thread->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    thread_table::add(thread);
    return thread;
}

extern "C" void start_kernel_thread_trampoline();  // context_switch.S

Thread* create_kernel_thread(void (*entry)(void*), void* argument) {
    void* memory = mm::allocate(sizeof(Thread));
    if (!memory) return nullptr;
    auto* thread = new (memory) Thread;
    auto stack = mm::allocate_kernel_stack();
    if (!stack.ok()) {
        thread->~Thread();
        mm::free(memory);
        return nullptr;
    }
    thread->kernel_stack = stack.value();
    thread->kernel_stack_top = thread->kernel_stack.top();
    // switch_context's frame: r15, r14, r13, r12, rbp, rbx, return address.
    auto* frame = reinterpret_cast<uint64_t*>(thread->kernel_stack_top) - 7;
    memset(frame, 0, 7 * sizeof(uint64_t));
    frame[2] = reinterpret_cast<uint64_t>(argument);  // %r13
    frame[3] = reinterpret_cast<uint64_t>(entry);     // %r12
    frame[6] = reinterpret_cast<uint64_t>(&start_kernel_thread_trampoline);
    thread->saved_rsp = reinterpret_cast<uint64_t>(frame);
    return thread;
}

extern "C" void run_kernel_thread(void (*entry)(void*), void* argument) {
    arch::enable_interrupts();
    entry(argument);
    panic("a kernel thread returned");
}

void destroy_thread(Thread* thread) {
    thread_table::remove(thread);
    mm::free_kernel_stack(thread->kernel_stack);
    mm::free(thread->extended_state_allocation);
    thread->~Thread();
    mm::free(thread);
}

}  // namespace eremite::sched
