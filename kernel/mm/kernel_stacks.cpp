#include "mm/kernel_stacks.hpp"

#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/paging.hpp"
#include "eremite/abi.hpp"
#include "lib/log.hpp"
#include "mm/memory.hpp"
#include "smp.hpp"
#include "sync/spinlock.hpp"

namespace eremite::mm {
namespace {

static_assert(arch::ist_stacks_bytes == StackArea::exception_stack_count * StackArea::exception_stride,
              "the exception-stack layout must match what arch::init_cpu_stacks expects");
static_assert(StackArea::stack_size % page_size == 0);
static_assert(StackArea::max_cpus >= abi::max_cpus);

// Present, writable, not executable, and not global: a CR3 reload (what a shootdown of
// more than a few pages does) must drop these translations too.
constexpr uint64_t stack_page_flags = arch::page_writable | arch::page_no_execute | arch::page_owned;

// Freed stacks kept mapped for the next threads, as Linux keeps two per CPU
// (NR_CACHED_STACKS, kernel/fork.c): taking one back costs no mapping, no first-touch
// faults (about 10 µs a page under kvm-pvm's shadow MMU) and no shootdown, because its
// translations never changed. Four hold 128 KiB.
constexpr uint64_t cache_capacity = 4;
// Freed stacks beyond the cache wait for a shootdown, eight at a time (256 KiB at most).
constexpr uint64_t retire_batch = 8;

struct RetiredBatch {
    uint64_t slots[retire_batch];
    uint64_t count = 0;
};

SpinLock lock;
StackArea area;
uint64_t cached[cache_capacity];  // slots with a complete, unchanged mapping
uint64_t cached_count = 0;
RetiredBatch retired;

// Maps `pages` fresh, physically contiguous frames from `bottom` up (mm::to_physical then
// holds for objects on the stack). On failure the pages mapped so far stay mapped, their
// frames owned by the mapping: the caller retires the range like any stack.
Result<void> map_stack_pages(uint64_t bottom, uint64_t pages) {
    PhysAddr frames = TRY(allocate_frames(pages));
    LockGuard guard(lock);
    arch::PageTable& table = kernel_page_table();
    for (uint64_t i = 0; i < pages; ++i) {
        auto mapped = table.map(bottom + i * page_size, frames + i * page_size, stack_page_flags);
        if (!mapped.ok()) {  // out of frames for a page table
            free_frames(frames + i * page_size, pages - i);
            return mapped;
        }
    }
    return {};
}

// Unmaps the stacks of a batch of retired slots, shoots their translations down on every
// CPU, and only then gives their frames and slots back. Called without the lock.
void recycle(const RetiredBatch& batch) {
    if (!batch.count) return;
    PhysAddr frames[retire_batch * StackArea::stack_pages];
    uint64_t frame_count = 0;
    uint64_t low = ~0ull, high = 0;
    {
        LockGuard guard(lock);
        arch::PageTable& table = kernel_page_table();
        for (uint64_t i = 0; i < batch.count; ++i) {
            uint64_t bottom = StackArea::stack_bottom(batch.slots[i]);
            low = min(low, bottom);
            high = max(high, bottom + StackArea::stack_size);
            for (uint64_t page = 0; page < StackArea::stack_pages; ++page) {
                uint64_t* entry = table.leaf(bottom + page * page_size);
                if (!entry || !(*entry & arch::page_present)) continue;
                frames[frame_count++] = PhysAddr{*entry & arch::page_address_mask};
                *entry = 0;
            }
        }
    }
    // Every CPU, not only those that ran the threads: a CPU may also have loaded a
    // translation speculatively. A CPU that is idle now is not waited for; it drops all
    // its translations before it runs a thread again (smp::leave_idle).
    smp::shoot_down(low, high);
    for (uint64_t i = 0; i < frame_count; ++i) free_frames(frames[i], 1);
    LockGuard guard(lock);
    for (uint64_t i = 0; i < batch.count; ++i) area.free_slot(batch.slots[i]);
}

// Takes the retired stacks out of the shared batch, so that they can be recycled outside
// the lock.
RetiredBatch take_retired() {
    LockGuard guard(lock);
    RetiredBatch batch = retired;
    retired.count = 0;
    return batch;
}

// Adds a slot to the retired batch; a full batch is recycled at once.
void retire(uint64_t slot) {
    RetiredBatch full;
    {
        LockGuard guard(lock);
        retired.slots[retired.count++] = slot;
        if (retired.count == retire_batch) {
            full = retired;
            retired.count = 0;
        }
    }
    recycle(full);
}

// A stack in a fresh slot.
Result<KernelStack> map_new_stack() {
    uint64_t slot;
    {
        LockGuard guard(lock);
        slot = TRY(area.allocate_slot());
    }
    KernelStack stack{StackArea::stack_bottom(slot)};
    auto mapped = map_stack_pages(stack.bottom, StackArea::stack_pages);
    if (!mapped.ok()) {
        retire(slot);  // what was mapped goes back through a shootdown
        return error(mapped.error_code());
    }
    return stack;
}

}  // namespace

bool init_kernel_stacks(uint64_t total_frames) {
    uint64_t slot_count = min(total_frames / StackArea::stack_pages, StackArea::max_slots);
    auto* bitmap = static_cast<uint64_t*>(allocate(StackArea::bitmap_bytes(slot_count)));
    if (!bitmap) return false;
    area.init(bitmap, slot_count);
    return true;
}

Result<KernelStack> allocate_kernel_stack() {
    {
        LockGuard guard(lock);
        if (cached_count) return KernelStack{StackArea::stack_bottom(cached[--cached_count])};
    }
    auto stack = map_new_stack();
    if (stack.ok()) return stack;
    // Slots or frames may be held by retired stacks: recycle them now and try once more.
    RetiredBatch batch = take_retired();
    if (!batch.count) return stack;
    recycle(batch);
    return map_new_stack();
}

void free_kernel_stack(KernelStack stack) {
    if (!stack.valid()) return;
    uint64_t slot = StackArea::slot_of(stack.bottom);
    {
        LockGuard guard(lock);
        if (cached_count < cache_capacity) {
            cached[cached_count++] = slot;
            return;
        }
    }
    retire(slot);
}

Result<uint8_t*> map_exception_stacks(uint32_t cpu) {
    if (cpu >= StackArea::max_cpus) return error(Errno::einval);
    uint64_t start = StackArea::exception_stacks_of(cpu);
    // Each stack's lowest page stays unmapped: its guard. A failure leaves the pages mapped
    // so far in place (a CPU that cannot get its stacks is not started again).
    for (uint64_t i = 0; i < StackArea::exception_stack_count; ++i)
        TRY(map_stack_pages(start + i * StackArea::exception_stride + StackArea::exception_guard_size,
                            StackArea::exception_stack_size / page_size));
    return reinterpret_cast<uint8_t*>(start);
}

bool is_kernel_stack_guard(uint64_t address) { return area.is_guard(address); }

PhysAddr kernel_stack_to_physical(uint64_t address) {
    uint64_t* entry = kernel_page_table().leaf(address);
    if (!entry || !(*entry & arch::page_present))
        panic("no physical address for 0x%lx: not a mapped kernel stack page", address);
    return PhysAddr{(*entry & arch::page_address_mask) + address % page_size};
}

}  // namespace eremite::mm
