// File pages from the frame allocator. A few frames stay in reserve so that a full tmpfs
// leaves the kernel the page tables, stacks and heap it needs to report ENOSPC and go on.
#include "fs/page_store.hpp"

#include "lib/utility.hpp"
#include "mm/address.hpp"
#include "mm/memory.hpp"

namespace eremite::fs::page_store {
namespace {

constexpr uint64_t reserved_frames = 512;  // 2 MiB

}  // namespace

void* allocate() {
    // The check and the allocation are not atomic: racing writers may dip a little into
    // the reserve, which is what it is for.
    if (mm::usage().free_frames <= reserved_frames) return nullptr;
    auto frame = mm::allocate_frame();
    if (!frame.ok()) return nullptr;
    return mm::to_virtual(frame.value());
}

void free(void* page) { mm::free_frames(mm::to_physical(page)); }

Usage usage() {
    mm::Usage memory = mm::usage();
    uint64_t free_pages = memory.free_frames > reserved_frames ? memory.free_frames - reserved_frames : 0;
    return Usage{memory.total_frames, free_pages};
}

}  // namespace eremite::fs::page_store
