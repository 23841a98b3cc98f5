#include "mm/memory.hpp"

#include <new>

#include "arch/x86_64/paging.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/frame_allocator.hpp"
#include "mm/heap.hpp"
#include "mm/kernel_stacks.hpp"
#include "sync/spinlock.hpp"

// Section boundaries from kernel.ld.
extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __kernel_end[];

namespace eremite::mm {
namespace {

SpinLock lock;
FrameAllocator frames;
Heap heap;
alignas(arch::PageTable) uint8_t kernel_table_storage[sizeof(arch::PageTable)];
arch::PageTable* kernel_table = nullptr;
uint64_t ram_frames = 0;  // frames of RAM: those below ram_size outside the holes

void* heap_pages(uint64_t count) {
    auto frames_run = frames.allocate_contiguous(count);
    return frames_run.ok() ? to_virtual(frames_run.value()) : nullptr;
}
void heap_free_pages(void* pages, uint64_t count) { frames.free(to_physical(pages), count); }

// Places the allocator's bitmap in the first usable range large enough.
bool place_bitmap(const abi::BootInfo& info, uint64_t frame_count) {
    uint64_t bytes = align_up(FrameAllocator::bitmap_bytes(frame_count), page_size);
    for (uint32_t i = 0; i < info.memory_range_count; ++i) {
        const abi::MemoryRange& range = info.memory_ranges[i];
        if (range.kind != abi::MemoryKind::usable || range.size < bytes) continue;
        frames.init(to_virtual<uint64_t>(PhysAddr{range.base}), frame_count);
        for (uint32_t j = 0; j < info.memory_range_count; ++j) {
            const abi::MemoryRange& usable = info.memory_ranges[j];
            if (usable.kind == abi::MemoryKind::usable) frames.add_free_range(PhysAddr{usable.base}, usable.size);
        }
        frames.reserve_range(PhysAddr{range.base}, bytes);
        return true;
    }
    return false;
}

Result<void> map_kernel_range(arch::PageTable& table, const char* start, const char* end, uint64_t flags) {
    for (uint64_t address = reinterpret_cast<uint64_t>(start); address < reinterpret_cast<uint64_t>(end);
         address += page_size)
        TRY(table.map(address, PhysAddr{address - abi::kernel_virtual_base}, flags | arch::page_global));
    return {};
}

// Whether the 2 MiB block at `base` holds RAM the boot info describes. Not the holes
// between ranges (a PC's below 4 GiB, where device registers live): mm::map_device maps
// those page by page, uncached.
bool holds_ram(const abi::BootInfo& info, uint64_t base) {
    for (uint32_t i = 0; i < info.memory_range_count; ++i) {
        const abi::MemoryRange& range = info.memory_ranges[i];
        if (range.base < base + large_page_size && base < range.base + range.size) return true;
    }
    return false;
}

Result<void> build_kernel_page_table(const abi::BootInfo& info) {
    arch::PageTable table = TRY(arch::PageTable::create());
    constexpr uint64_t data_flags = arch::page_writable | arch::page_no_execute;
    for (uint64_t offset = 0; offset < info.ram_size; offset += large_page_size)
        if (holds_ram(info, offset))
            TRY(table.map_large(abi::direct_map_base + offset, PhysAddr{offset}, data_flags | arch::page_global));
    TRY(map_kernel_range(table, __text_start, __text_end, 0));
    TRY(map_kernel_range(table, __rodata_start, __rodata_end, arch::page_no_execute));
    TRY(map_kernel_range(table, __data_start, __kernel_end, data_flags));
    kernel_table = new (kernel_table_storage) arch::PageTable(table);
    kernel_table->activate();
    return {};
}

}  // namespace

bool init(const abi::BootInfo& info) {
    uint64_t frame_count = info.ram_size / page_size;
    for (uint32_t i = 0; i < info.memory_range_count; ++i) ram_frames += info.memory_ranges[i].size / page_size;
    if (!place_bitmap(info, frame_count)) {
        log::error("memory: no usable range can hold the frame bitmap");
        return false;
    }
    heap.init(PageSource{heap_pages, heap_free_pages});
    if (!build_kernel_page_table(info).ok()) {
        log::error("memory: out of frames while building the kernel page table");
        return false;
    }
    if (!init_kernel_stacks(ram_frames)) {
        log::error("memory: out of memory for the kernel-stack slots");
        return false;
    }
    log::debug("memory: %lu MiB of RAM, %lu frames free", ram_frames >> 8, frames.free_count());
    return true;
}

Result<PhysAddr> allocate_frame() {
    LockGuard guard(lock);
    return frames.allocate();
}

Result<PhysAddr> allocate_zeroed_frame() {
    PhysAddr frame = TRY(allocate_frame());
    memset(to_virtual(frame), 0, page_size);
    return frame;
}

Result<PhysAddr> allocate_frames(uint64_t count) {
    LockGuard guard(lock);
    return frames.allocate_contiguous(count);
}

void free_frames(PhysAddr first, uint64_t count) {
    LockGuard guard(lock);
    frames.free(first, count);
}

void* allocate(size_t size) {
    LockGuard guard(lock);
    return heap.allocate(size);
}

void free(void* pointer) {
    LockGuard guard(lock);
    heap.free(pointer);
}

arch::PageTable& kernel_page_table() { return *kernel_table; }

Result<volatile uint8_t*> map_device(uint64_t physical, uint64_t length) {
    constexpr uint64_t flags =
        arch::page_writable | arch::page_no_execute | arch::page_cache_disable | arch::page_write_through;
    for (uint64_t page = physical & ~(page_size - 1); page < physical + length; page += page_size)
        TRY(kernel_table->map(abi::direct_map_base + page, PhysAddr{page}, flags));
    return reinterpret_cast<volatile uint8_t*>(abi::direct_map_base + physical);
}

Usage usage() {
    LockGuard guard(lock);
    return Usage{ram_frames, frames.free_count(), heap.bytes_in_use()};
}

}  // namespace eremite::mm
