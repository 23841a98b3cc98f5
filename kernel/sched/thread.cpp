#include "sched/thread.hpp"

#include <new>

#include "arch/x86_64/extended_state.hpp"
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

void destroy_thread(Thread* thread) {
    thread_table::remove(thread);
    mm::free_kernel_stack(thread->kernel_stack);
    mm::free(thread->extended_state_allocation);
    thread->~Thread();
    mm::free(thread);
}

}  // namespace eremite::sched
