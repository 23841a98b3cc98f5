// Kernel stacks with guard pages. Every thread's kernel stack (app threads and each CPU's
// idle thread) and every CPU's exception (IST) stacks live in the kernel-stack area
// (mm/stack_area.hpp), mapped with 4 KiB pages on frames of their own, with never-mapped
// pages below each: a stack that overflows faults on its guard, and the #PF handler (on its
// own IST stack) reports it, instead of the overflow silently writing over the kernel heap.
//
// Each stack's frames are physically contiguous, so an object on a stack has one physical
// range like any other kernel object: mm::to_physical works on it (hypercall arguments
// live on stacks), through a page-table lookup rather than the direct map's arithmetic.
//
// A freed thread stack first goes to a small cache and stays mapped: the next new thread
// takes it as it is, which is safe because its translations never changed. Beyond the
// cache a freed stack is unmapped, but its frames and its slot are recycled only after a
// TLB shootdown: until then another CPU may still hold a translation of the old stack, and
// a new stack in the same slot, or the frames' next owner, would be written through it.
// Such stacks are retired in batches, one shootdown per batch (as Linux purges lazily
// freed vmalloc areas), so a thread exit does not cost an IPI round each.
//
// Locking: one spinlock, taken with interrupts off (a stack is freed from the scheduler,
// with interrupts off), guards the slot bitmap, the cache, the retired batch and the
// area's page tables; it is never held across a shootdown. Frames come from
// mm/memory.cpp, whose lock nests inside this one. The shootdown itself may run with
// interrupts off (from the scheduler's reaping): every spin loop polls for shootdowns
// (arch::relax), so no CPU waits for this one to take an interrupt.
#pragma once

#include <stdint.h>

#include "lib/result.hpp"
#include "mm/stack_area.hpp"

namespace eremite::mm {

inline constexpr uint64_t kernel_stack_size = StackArea::stack_size;

struct KernelStack {
    uint64_t bottom = 0;  // lowest mapped byte; the guard lies just below it
    uint64_t top() const { return bottom + kernel_stack_size; }
    bool valid() const { return bottom != 0; }
};

// Sizes the slot bitmap for `total_frames` of RAM (no more stacks than RAM can hold);
// called once from mm::init. False when the heap cannot hold the bitmap.
bool init_kernel_stacks(uint64_t total_frames);

// A new 32 KiB stack with a guard below it; ENOMEM when frames or slots run out.
Result<KernelStack> allocate_kernel_stack();
// Retires a stack no CPU runs on any more (its thread is dead or never ran).
void free_kernel_stack(KernelStack stack);

// Maps `cpu`'s six exception stacks (each 12 KiB above a guard page, in the layout
// arch::init_cpu_stacks expects) and returns their start. They stay for the life of the VM.
Result<uint8_t*> map_exception_stacks(uint32_t cpu);

// True when `address` is in a guard page of a kernel stack: a #PF there is a stack
// overflow (lock-free, for the page-fault handler).
bool is_kernel_stack_guard(uint64_t address);

}  // namespace eremite::mm
