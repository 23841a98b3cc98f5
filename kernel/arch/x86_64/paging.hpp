// x86-64 four-level page tables. One hierarchy serves kernel and app (the app runs in
// ring 0 in the lower half; the kernel, its direct map and every stack live in the
// upper half). Every entry carries the user bit: kvm-pvm runs the guest kernel itself in
// hardware ring 3 and its shadow MMU refuses supervisor-only pages there; on plain x86
// the bit means nothing to ring-0 code as long as SMEP and SMAP stay off, which they do.
#pragma once

#include <stdint.h>

#include "lib/result.hpp"
#include "mm/address.hpp"

namespace eremite::arch {

enum PageFlags : uint64_t {
    page_present = 1ull << 0,
    page_writable = 1ull << 1,
    page_user = 1ull << 2,
    page_accessed = 1ull << 5,
    page_dirty = 1ull << 6,
    page_write_through = 1ull << 3,
    page_cache_disable = 1ull << 4,
    page_large = 1ull << 7,
    page_global = 1ull << 8,
    page_owned = 1ull << 9,  // software bit: the frame belongs to this mapping; unmap frees it
    page_no_execute = 1ull << 63,
};
inline constexpr uint64_t page_address_mask = 0x000ffffffffff000ull;

class PageTable {
public:
    PageTable() = default;  // no hierarchy yet
    // A new, empty hierarchy.
    static Result<PageTable> create();
    // Adopts the hierarchy whose root is the current CR3.
    static PageTable current();

    PhysAddr root() const { return root_; }
    void activate() const;

    Result<void> map(uint64_t virtual_address, PhysAddr frame, uint64_t flags);
    Result<void> map_large(uint64_t virtual_address, PhysAddr frame, uint64_t flags);

    // The 4 KiB leaf entry for `virtual_address`, or nullptr when no page table covers
    // it. The entry itself may be empty.
    uint64_t* leaf(uint64_t virtual_address) const;

private:
    explicit PageTable(PhysAddr root) : root_(root) {}
    Result<uint64_t*> walk_create(uint64_t virtual_address, int target_level);
    PhysAddr root_;
};

// Drops stale translations for [start, end) on this CPU: invlpg for a few pages, a CR3
// reload for more (each is a trap on kvm-pvm; see PVM.md for the costs).
void flush_tlb(uint64_t start, uint64_t end);

}  // namespace eremite::arch
