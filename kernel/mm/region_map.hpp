// The app's regions (what Linux calls VMAs): a sorted, non-overlapping array of
// [start, end) ranges with their protection. Pure bookkeeping, no page tables, so it is
// tested on the host; AppMemory (app_memory.hpp) keeps the page tables in step with it.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/result.hpp"
#include "lib/vector.hpp"

namespace eremite::mm {

enum Protection : uint32_t { prot_none = 0, prot_read = 1, prot_write = 2, prot_exec = 4 };

// syscall_stubs: the code that rewritten syscall sites call (linux/syscall_rewrite.hpp); the
// app cannot unmap, move or re-protect it.
enum class RegionKind : uint32_t { anonymous, image, stack, heap, syscall_stubs };

struct Region {
    uint64_t start;  // page aligned
    uint64_t end;    // page aligned, exclusive
    uint32_t protection;
    RegionKind kind;
};

class RegionMap {
public:
    size_t size() const { return regions_.size(); }
    Region& operator[](size_t i) { return regions_[i]; }
    const Region& operator[](size_t i) const { return regions_[i]; }

    // Index of the first region that ends above `address` (size() when none does).
    size_t first_ending_after(uint64_t address) const;
    // The region containing `address`, or nullptr.
    const Region* find(uint64_t address) const;
    bool is_free(uint64_t start, uint64_t end) const;
    // True when every byte of [start, end) lies in some region.
    bool covers(uint64_t start, uint64_t end) const;

    // Makes `address` a region boundary (splitting the region that contains it).
    Result<void> split_at(uint64_t address);
    Result<void> insert(const Region& region);  // [start, end) must be free
    void erase(size_t index, size_t count) { regions_.erase(index, count); }
    // Removes everything in [start, end), splitting regions at the edges.
    Result<void> remove(uint64_t start, uint64_t end);
    // Sets the protection of [start, end), splitting at the edges.
    Result<void> protect(uint64_t start, uint64_t end, uint32_t protection);

    // A free gap of `size` bytes in [floor, ceiling), searched top-down as Linux's default
    // mmap layout does; `hint` first when it is free and inside the bounds.
    Result<uint64_t> find_free(uint64_t size, uint64_t hint, uint64_t floor, uint64_t ceiling) const;

private:
    Vector<Region> regions_;
};

}  // namespace eremite::mm
