// The kernel-stack area: where every kernel stack lives, with unmapped guard pages below
// each one, and which of its thread-stack slots are taken. Pure logic (address arithmetic
// and a bitmap), built and tested on the host too; mm/kernel_stacks.cpp maps the pages,
// holds the lock and recycles the slots.
//
// The area sits at Linux's vmalloc base (where Linux's own VMAP_STACK thread stacks live),
// PML4 slot 402, far from the slot 256 that kvm-pvm reserves. Two parts:
//
//   base + cpu * 128 KiB          one block per CPU for its six IST (exception) stacks:
//                                 32 KiB never mapped, then six 16 KiB strides, each a
//                                 4 KiB guard page and a 12 KiB stack. The stride is what
//                                 arch::init_cpu_stacks expects (ist_stacks_bytes).
//   base + 1 GiB + slot * 64 KiB  one slot per thread stack: 32 KiB never mapped (the
//                                 guard), then the 32 KiB stack. Used by app threads and by
//                                 each CPU's idle thread.
//
// A guard is a page of the area below a stack that is never mapped, so an access to it
// can only mean that a stack grew past its bottom. 32 KiB of guard lets a frame of up to
// that size fault rather than jump over the guard into the next stack down.
#pragma once

#include <stdint.h>

#include "lib/result.hpp"
#include "lib/utility.hpp"

namespace eremite::mm {

class StackArea {
public:
    static constexpr uint64_t base = 0xffffc90000000000ull;

    // Per-CPU exception stacks.
    static constexpr uint32_t max_cpus = 64;
    static constexpr uint64_t exception_stack_count = 6;
    static constexpr uint64_t exception_stride = 16 * 1024;  // one stack and its guard page
    static constexpr uint64_t exception_guard_size = page_size;
    static constexpr uint64_t exception_stack_size = exception_stride - exception_guard_size;
    static constexpr uint64_t exception_block_stride = 128 * 1024;
    static constexpr uint64_t exception_block_offset =
        exception_block_stride - exception_stack_count * exception_stride;

    // Thread stacks.
    static constexpr uint64_t slots_base = base + (1ull << 30);
    static constexpr uint64_t slot_size = 64 * 1024;
    static constexpr uint64_t stack_size = 32 * 1024;
    static constexpr uint64_t guard_size = slot_size - stack_size;
    static constexpr uint64_t max_slots = 1ull << 22;  // 256 GiB of address space, 128 GiB of stacks
    static constexpr uint64_t stack_pages = stack_size / page_size;

    // The start of `cpu`'s six exception stacks (stack i is [start + i * 16 KiB,
    // start + (i + 1) * 16 KiB), its lowest page the guard).
    static constexpr uint64_t exception_stacks_of(uint32_t cpu) {
        return base + cpu * exception_block_stride + exception_block_offset;
    }
    // The lowest mapped byte of slot `slot`'s stack; the top is stack_size above it.
    static constexpr uint64_t stack_bottom(uint64_t slot) { return slots_base + slot * slot_size + guard_size; }
    static constexpr uint64_t slot_of(uint64_t stack_bottom) { return (stack_bottom - slots_base) / slot_size; }

    static constexpr uint64_t bitmap_bytes(uint64_t slot_count) { return (slot_count + 63) / 64 * 8; }

    // Every slot starts free. `bitmap` holds bitmap_bytes(slot_count) bytes.
    void init(uint64_t* bitmap, uint64_t slot_count);
    // The lowest free slot (so that stacks stay close together and share page tables).
    Result<uint64_t> allocate_slot();
    void free_slot(uint64_t slot);

    uint64_t slot_count() const { return slot_count_; }
    uint64_t slots_in_use() const { return slots_in_use_; }

    // True when `address` lies in a guard: below a stack of a slot that exists or of
    // a CPU's exception stack, and never mapped.
    bool is_guard(uint64_t address) const;

private:
    uint64_t* bitmap_ = nullptr;
    uint64_t slot_count_ = 0;
    uint64_t slots_in_use_ = 0;
    uint64_t hint_word_ = 0;  // no free slot below this word
};

static_assert(StackArea::max_cpus * StackArea::exception_block_stride <= StackArea::slots_base - StackArea::base);
static_assert(StackArea::exception_block_offset >= StackArea::exception_guard_size);

}  // namespace eremite::mm
