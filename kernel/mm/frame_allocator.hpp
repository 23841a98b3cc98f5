// The physical frame allocator: one bit per 4 KiB frame of guest RAM (set = in use),
// with a search hint so that allocation is amortised O(1) while memory is plentiful.
// Pure logic over caller-provided storage, so it builds and is tested on the host too.
// Not internally locked: the caller (mm/memory.cpp) holds the memory lock.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/result.hpp"
#include "mm/address.hpp"

namespace eremite::mm {

class FrameAllocator {
public:
    // Bytes of bitmap needed for `frame_count` frames.
    static constexpr uint64_t bitmap_bytes(uint64_t frame_count) { return (frame_count + 63) / 64 * 8; }

    // Every frame starts in use; add_free_range() releases the usable ones.
    void init(uint64_t* bitmap, uint64_t frame_count);
    void add_free_range(PhysAddr base, uint64_t size);
    void reserve_range(PhysAddr base, uint64_t size);

    Result<PhysAddr> allocate();
    Result<PhysAddr> allocate_contiguous(uint64_t count);
    void free(PhysAddr frame, uint64_t count = 1);

    bool is_free(PhysAddr frame) const;
    uint64_t free_count() const { return free_count_; }
    uint64_t frame_count() const { return frame_count_; }

private:
    void set_range(uint64_t first, uint64_t count, bool used);
    bool used(uint64_t index) const { return (bitmap_[index / 64] >> (index % 64)) & 1; }

    uint64_t* bitmap_ = nullptr;
    uint64_t frame_count_ = 0;
    uint64_t free_count_ = 0;
    uint64_t hint_word_ = 0;  // no free frame below this word
};

}  // namespace eremite::mm
