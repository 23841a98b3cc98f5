// Kernel memory: the frame allocator fed from the boot-info memory map, the kernel's own
// page tables (direct map with 2 MiB pages, the image with per-section permissions) and
// the kernel heap. All state here is guarded by one lock; nothing sleeps while holding it.
// Kernel stacks are not on the heap: they have guard pages (mm/kernel_stacks.hpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/paging.hpp"
#include "eremite/abi.hpp"
#include "lib/result.hpp"
#include "mm/address.hpp"

namespace eremite::mm {

// Takes over guest RAM as the boot info describes it and switches to the kernel's own
// page tables. Returns false (after logging why) when the memory map is unusable.
bool init(const abi::BootInfo& boot_info);

Result<PhysAddr> allocate_frame();
Result<PhysAddr> allocate_zeroed_frame();
Result<PhysAddr> allocate_frames(uint64_t count);  // contiguous, not zeroed
void free_frames(PhysAddr first, uint64_t count = 1);

void* allocate(size_t size);  // kernel heap; nullptr when memory is exhausted
void free(void* pointer);

arch::PageTable& kernel_page_table();

// Device registers at guest-physical [physical, physical + length): mapped uncached and
// not executable where the direct map would show them (devices lie outside RAM, so
// nothing else is there), and that address. Mapping a page again is harmless.
Result<volatile uint8_t*> map_device(uint64_t physical, uint64_t length);

struct Usage {
    uint64_t total_frames;
    uint64_t free_frames;
    uint64_t heap_bytes;
};
Usage usage();

}  // namespace eremite::mm
