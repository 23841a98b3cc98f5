// Where file data lives: whole 4 KiB pages, each reachable by a kernel pointer. In the
// kernel they are frames of the frame allocator seen through the direct map
// (page_store.cpp); host tests link a replacement on aligned_alloc with a settable limit
// (tests/unit/page_store_on_host.cpp), so that running out of memory can be tested.
#pragma once

#include <stdint.h>

namespace eremite::fs::page_store {

// A page (contents undefined), or nullptr when memory is exhausted. Never sleeps; safe
// from any thread.
void* allocate();
void free(void* page);

struct Usage {
    uint64_t total_pages;
    uint64_t free_pages;  // what allocate() may still hand out
};
Usage usage();

}  // namespace eremite::fs::page_store
