// The app's half of the address space: a sorted list of regions (what Linux calls
// VMAs), each with its protection, and the page tables that back them. Anonymous
// memory is demand-zero: a page fault inside a region maps zeroed frames, a few pages
// at a time (each fault costs microseconds on kvm-pvm). Protections are enforced in the
// page tables, so a write to a read-only page faults and becomes SIGSEGV.
//
// One lock guards the regions and the lower half of the page tables; the fault handler
// takes it too, so no code may touch app memory while holding it. It is held with
// interrupts on (SpinGuard): a change of mappings waits for the other CPUs to flush their
// TLBs, and a CPU spinning here must still take that interrupt. For the same reason the
// kernel never touches app memory with interrupts off (a fault there could wait for this
// lock while its holder waits for that CPU).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/result.hpp"
#include "mm/address.hpp"
#include "mm/region_map.hpp"
#include "sync/spinlock.hpp"

namespace eremite::mm {

// Where things go, as on Linux x86-64 (no randomisation yet).
inline constexpr uint64_t app_lowest_address = 0x10000;  // vm.mmap_min_addr
inline constexpr uint64_t app_stack_top = 0x7ffffffff000;
inline constexpr uint64_t app_stack_size = 8ull << 20;  // RLIMIT_STACK
inline constexpr uint64_t app_mmap_base = app_stack_top - (128ull << 20);
inline constexpr uint64_t app_pie_base = 0x555555554000;  // ELF_ET_DYN_BASE

// A piece of guest-physical memory behind app pages (for a transfer by the host).
struct PhysicalRun {
    uint64_t address;
    uint64_t length;
};

class AppMemory {
public:
    // Maps [start, end) with fresh zeroed or demand-zero memory. Fails with EEXIST when
    // `replace` is false and something is mapped there already.
    Result<void> map_anonymous(uint64_t start, uint64_t end, uint32_t protection, RegionKind kind, bool replace);
    // Maps [start, end) onto existing physical frames beginning at `frame` (not owned:
    // unmapping does not free them).
    Result<void> map_frames(uint64_t start, uint64_t end, PhysAddr frame, uint32_t protection, RegionKind kind);
    // Backs [start, end) inside a region with fresh zeroed frames now.
    Result<void> populate(uint64_t start, uint64_t end);

    Result<void> unmap(uint64_t start, uint64_t end);
    // mremap: resizes the mapping [start, start + old_size), in place when it can, else
    // (when `may_move`) by moving its page-table entries (not its data) to a free range or
    // to `fixed_target`. Returns the new address.
    Result<uint64_t> remap(uint64_t start, uint64_t old_size, uint64_t new_size, bool may_move, uint64_t fixed_target);
    Result<void> protect(uint64_t start, uint64_t end, uint32_t protection);
    // Drops the pages of [start, end): the next access sees zeroes (MADV_DONTNEED).
    Result<void> discard(uint64_t start, uint64_t end);
    // A free gap of `size` bytes below app_mmap_base, searched top-down; `hint` first.
    Result<uint64_t> find_free(uint64_t size, uint64_t hint);

    // Program break (brk): set by the loader, moved by the brk syscall.
    void set_break_start(uint64_t address) { break_start_ = break_current_ = address; }
    uint64_t change_break(uint64_t requested);

    // Called from the #PF handler: true when the fault was demand paging and the access
    // may be retried, false when it is a real violation.
    bool handle_fault(uint64_t address, uint64_t error_code);

    // True when every byte of [address, address + length) may be accessed this way.
    bool accessible(uint64_t address, uint64_t length, bool write);
    // True when every page of [address, address + length) is mapped and present now, so
    // that reading it cannot fault (for exception handlers, which must not fault).
    bool present(uint64_t address, uint64_t length);

    // Readies [address, address + length) for a transfer the host makes straight into
    // (`host_writes`) or out of app memory: its pages are made present (demand-zero pages
    // are mapped now) and described as runs of guest-physical memory, adjacent frames
    // merged, at most `capacity` runs. Returns the bytes described: fewer than `length`
    // when a page may not be accessed that way or the runs are full, 0 when the first
    // page may not. Every call holds a pin until unpin_for_io(), whatever it returned:
    // while any pin is held no frame of the app is freed (munmap, mremap and
    // MADV_DONTNEED wait), so the host never touches a frame that went elsewhere. Nothing
    // between the two calls may touch app memory or wait for another thread.
    uint64_t pin_for_io(uint64_t address, uint64_t length, bool host_writes, PhysicalRun* runs, size_t capacity,
                        size_t& run_count);
    void unpin_for_io() { __atomic_sub_fetch(&io_pins_, 1, __ATOMIC_RELEASE); }
    uint64_t fault_count() const { return fault_count_; }

    // Copies the regions in address order into `out`, at most `capacity` of them, and
    // returns how many there are: when that is more, the caller asks again with more room
    // (/proc/self/maps).
    size_t copy_regions(Region* out, size_t capacity);

private:
    void unmap_pages(uint64_t start, uint64_t end);
    Result<void> unmap_locked(uint64_t start, uint64_t end);
    // The syscall stubs stay as the kernel mapped them: unmap, mprotect and mremap over
    // them fail with EINVAL.
    bool touches_syscall_stubs(uint64_t start, uint64_t end) const;
    Result<void> map_zeroed(uint64_t start, uint64_t end, uint32_t protection);

    SpinLock lock_;
    RegionMap regions_;
    uint64_t break_start_ = 0;
    uint64_t break_current_ = 0;
    uint64_t fault_count_ = 0;
    uint32_t io_pins_ = 0;  // transfers by the host in flight (pin_for_io)
};

AppMemory& app_memory();

// The page-table flags for a protection.
uint64_t page_flags_for(uint32_t protection);

}  // namespace eremite::mm
