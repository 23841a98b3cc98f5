// The kernel heap: power-of-two size classes from 16 to 2048 bytes carved out of whole
// pages, and whole-page runs for anything larger. Each block carries a 16-byte header
// with its class, so free() needs no size and alignment stays 16. Pages come from a
// PageSource (the frame allocator in the kernel, aligned_alloc in host tests).
// Not internally locked: callers hold the memory lock (mm/memory.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::mm {

struct PageSource {
    // Returns `count` contiguous, page-aligned pages, or nullptr.
    void* (*allocate_pages)(uint64_t count);
    void (*free_pages)(void* pages, uint64_t count);
};

class Heap {
public:
    static constexpr size_t header_size = 16;
    static constexpr size_t class_count = 8;  // 16, 32, ..., 2048 (payload + header)

    void init(PageSource source) { source_ = source; }
    void* allocate(size_t size);
    void free(void* pointer);
    uint64_t bytes_in_use() const { return bytes_in_use_; }

private:
    struct FreeBlock {
        FreeBlock* next;
    };
    PageSource source_{};
    FreeBlock* free_lists_[class_count] = {};
    uint64_t bytes_in_use_ = 0;
};

}  // namespace eremite::mm
