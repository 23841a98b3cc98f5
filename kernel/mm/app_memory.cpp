#include "mm/app_memory.hpp"

#include "arch/x86_64/paging.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "linux/signals.hpp"
#include "mm/memory.hpp"
#include "smp.hpp"

namespace eremite::mm {
namespace {

AppMemory the_app_memory;

// Pages mapped around a demand-zero fault: one fault per 64 KiB instead of per 4 KiB.
constexpr uint64_t fault_around_bytes = 64 * 1024;

constexpr uint64_t pf_write = 1u << 1, pf_instruction = 1u << 4, pf_present = 1u << 0;

}  // namespace

AppMemory& app_memory() { return the_app_memory; }

uint64_t page_flags_for(uint32_t protection) {
    uint64_t flags = arch::page_present | arch::page_user;
    if (protection & prot_write) flags |= arch::page_writable;
    if (!(protection & prot_exec)) flags |= arch::page_no_execute;
    return flags;
}

namespace {

// Frames taken out of the page tables are freed only after every CPU has flushed them
// from its TLB: until then a thread on another CPU could still write to them.
class DeferredFrees {
public:
    // `io_pins`: while the host may be reading or writing app frames, none is freed.
    DeferredFrees(uint64_t start, const uint32_t& io_pins) : io_pins_(io_pins), start_(start) {}
    ~DeferredFrees() { release(end_); }
    void add(PhysAddr frame, bool was_present, uint64_t address) {
        if (count_ == capacity) release(address);
        frames_[count_++] = frame;
        mapped_ |= was_present;
        end_ = address + page_size;
    }
    void note_present(uint64_t address) {
        mapped_ = true;
        end_ = address + page_size;
    }

private:
    void release(uint64_t until) {
        if (mapped_ && until > start_) smp::shoot_down(start_, until);
        // New pins wait for the lock this caller holds; the ones held end on their own.
        if (count_)
            while (__atomic_load_n(&io_pins_, __ATOMIC_ACQUIRE)) arch::pause();
        for (size_t i = 0; i < count_; ++i) free_frames(frames_[i]);
        count_ = 0;
        mapped_ = false;
        start_ = until;
    }
    static constexpr size_t capacity = 256;
    const uint32_t& io_pins_;
    PhysAddr frames_[capacity];
    size_t count_ = 0;
    bool mapped_ = false;  // something was present: TLBs may hold it
    uint64_t start_, end_ = 0;
};

}  // namespace

void AppMemory::unmap_pages(uint64_t start, uint64_t end) {
    arch::PageTable& table = kernel_page_table();
    DeferredFrees frees(start, io_pins_);
    for (uint64_t address = start; address < end; address += page_size) {
        uint64_t* entry = table.leaf(address);
        if (!entry) {
            // No page table here: skip to the next 2 MiB boundary.
            address = align_up(address + 1, large_page_size) - page_size;
            continue;
        }
        if (*entry == 0) continue;  // a PROT_NONE page is not present but still holds its frame
        bool present = *entry & arch::page_present;
        if (*entry & arch::page_owned)
            frees.add(PhysAddr{*entry & arch::page_address_mask}, present, address);
        else if (present)
            frees.note_present(address);
        *entry = 0;
    }
}

Result<void> AppMemory::map_zeroed(uint64_t start, uint64_t end, uint32_t protection) {
    arch::PageTable& table = kernel_page_table();
    uint64_t flags = page_flags_for(protection) | arch::page_owned;
    for (uint64_t address = start; address < end; address += page_size) {
        uint64_t* entry = table.leaf(address);
        if (entry && *entry != 0) continue;
        PhysAddr frame = TRY(allocate_zeroed_frame());
        auto mapped = table.map(address, frame, flags);
        if (!mapped.ok()) {
            free_frames(frame);
            return mapped;
        }
    }
    return {};
}

Result<void> AppMemory::map_anonymous(uint64_t start, uint64_t end, uint32_t protection, RegionKind kind,
                                      bool replace) {
    SpinGuard guard(lock_);
    if (!regions_.is_free(start, end)) {
        if (!replace) return error(Errno::eexist);
        TRY(unmap_locked(start, end));
    }
    return regions_.insert(Region{start, end, protection, kind});
}

Result<void> AppMemory::map_frames(uint64_t start, uint64_t end, PhysAddr frame, uint32_t protection, RegionKind kind) {
    SpinGuard guard(lock_);
    if (!regions_.is_free(start, end)) return error(Errno::eexist);
    arch::PageTable& table = kernel_page_table();
    for (uint64_t address = start; address < end; address += page_size)
        TRY(table.map(address, frame + (address - start), page_flags_for(protection)));
    return regions_.insert(Region{start, end, protection, kind});
}

Result<void> AppMemory::populate(uint64_t start, uint64_t end) {
    SpinGuard guard(lock_);
    const Region* region = regions_.find(start);
    if (!region || region->end < end) return error(Errno::efault);
    return map_zeroed(start, end, region->protection);
}

Result<void> AppMemory::unmap(uint64_t start, uint64_t end) {
    SpinGuard guard(lock_);
    return unmap_locked(start, end);
}

bool AppMemory::touches_syscall_stubs(uint64_t start, uint64_t end) const {
    for (size_t i = regions_.first_ending_after(start); i < regions_.size() && regions_[i].start < end; ++i)
        if (regions_[i].kind == RegionKind::syscall_stubs) return true;
    return false;
}

Result<void> AppMemory::unmap_locked(uint64_t start, uint64_t end) {
    if (touches_syscall_stubs(start, end)) return error(Errno::einval);
    TRY(regions_.remove(start, end));
    unmap_pages(start, end);
    return {};
}

Result<uint64_t> AppMemory::remap(uint64_t start, uint64_t old_size, uint64_t new_size, bool may_move,
                                  uint64_t fixed_target) {
    SpinGuard guard(lock_);
    uint64_t old_end = start + old_size, new_end;
    // Linux: the old range must lie inside one mapping.
    size_t index = regions_.first_ending_after(start);
    if (index == regions_.size() || regions_[index].start > start || regions_[index].end < old_end)
        return error(Errno::efault);
    Region region = regions_[index];
    if (region.kind == RegionKind::syscall_stubs) return error(Errno::einval);
    if (!fixed_target) {
        if (new_size <= old_size) {  // shrinking: the tail goes
            TRY(unmap_locked(start + new_size, old_end));
            return start;
        }
        if (checked_add(start, new_size, new_end) && new_end <= (1ull << 47) && old_end == region.end &&
            regions_.is_free(old_end, new_end)) {
            regions_[index].end = new_end;  // growing in place: the new pages are demand-zero
            return start;
        }
        if (!may_move) return error(Errno::enomem);
    }
    uint64_t target = fixed_target;
    if (target) {
        if (!checked_add(target, new_size, new_end) || new_end > (1ull << 47) || (target < old_end && start < new_end))
            return error(Errno::einval);  // the new range may not overlap the old one
        TRY(unmap_locked(target, new_end));
    } else {
        target = TRY(regions_.find_free(new_size, 0, app_lowest_address, app_mmap_base));
    }
    // Move the page-table entries: the data stays in its frames.
    arch::PageTable& table = kernel_page_table();
    uint64_t moved = min(old_size, new_size);
    for (uint64_t offset = 0; offset < moved; offset += page_size) {
        uint64_t* from = table.leaf(start + offset);
        if (!from || *from == 0) continue;
        uint64_t entry = *from;
        auto mapped = table.map(target + offset, PhysAddr{entry & arch::page_address_mask},
                                entry & ~(arch::page_address_mask | arch::page_present));
        if (!mapped.ok()) return error(mapped.error_code());
        if (!(entry & arch::page_present)) *table.leaf(target + offset) &= ~arch::page_present;  // PROT_NONE
        *from = 0;
    }
    smp::shoot_down(start, old_end);
    Region moved_region{target, target + new_size, region.protection, region.kind};
    TRY(regions_.remove(start, old_end));
    unmap_pages(start, old_end);  // frames beyond a shrink are freed here
    TRY(regions_.insert(moved_region));
    return target;
}

Result<void> AppMemory::protect(uint64_t start, uint64_t end, uint32_t protection) {
    SpinGuard guard(lock_);
    if (!regions_.covers(start, end)) return error(Errno::enomem);  // Linux: part of it is not mapped
    if (touches_syscall_stubs(start, end)) return error(Errno::einval);
    TRY(regions_.protect(start, end, protection));
    arch::PageTable& table = kernel_page_table();
    uint64_t flags = page_flags_for(protection);
    bool was_mapped = false;
    for (uint64_t address = start; address < end; address += page_size) {
        uint64_t* entry = table.leaf(address);
        if (!entry || *entry == 0) continue;
        was_mapped |= *entry & arch::page_present;
        uint64_t keep = *entry & (arch::page_address_mask | arch::page_owned);
        // PROT_NONE: the page stays allocated but unreachable until protected again.
        *entry = protection == prot_none ? keep & ~arch::page_present : keep | flags;
    }
    if (was_mapped) smp::shoot_down(start, end);
    return {};
}

Result<void> AppMemory::discard(uint64_t start, uint64_t end) {
    SpinGuard guard(lock_);
    arch::PageTable& table = kernel_page_table();
    DeferredFrees frees(start, io_pins_);
    for (uint64_t address = start; address < end; address += page_size) {
        uint64_t* entry = table.leaf(address);
        // Only anonymous pages: frames of the app image are not ours to drop.
        if (!entry || !(*entry & arch::page_owned)) continue;
        frees.add(PhysAddr{*entry & arch::page_address_mask}, *entry & arch::page_present, address);
        *entry = 0;
    }
    return {};
}

Result<uint64_t> AppMemory::find_free(uint64_t size, uint64_t hint) {
    SpinGuard guard(lock_);
    return regions_.find_free(size, hint, app_lowest_address, app_mmap_base);
}

uint64_t AppMemory::change_break(uint64_t requested) {
    if (requested < break_start_) return break_current_;
    uint64_t old_end = align_up(break_current_, page_size);
    uint64_t new_end = align_up(requested, page_size);
    if (new_end > old_end) {
        // The overcommit heuristic, as for mmap (linux/memory.cpp): no single growth beyond RAM.
        if ((new_end - old_end) / page_size > usage().total_frames) return break_current_;
        if (!map_anonymous(old_end, new_end, prot_read | prot_write, RegionKind::heap, false).ok())
            return break_current_;  // Linux leaves the break where it was
    } else if (new_end < old_end) {
        if (!unmap(new_end, old_end).ok()) return break_current_;
    }
    break_current_ = requested;
    return break_current_;
}

bool AppMemory::handle_fault(uint64_t address, uint64_t error_code) {
    SpinGuard guard(lock_);
    const Region* found = regions_.find(address);
    if (!found) return false;
    const Region region = *found;
    if (error_code & pf_present) return false;  // the page is there: a protection violation
    if (region.protection == prot_none) return false;
    if ((error_code & pf_write) && !(region.protection & prot_write)) return false;
    if ((error_code & pf_instruction) && !(region.protection & prot_exec)) return false;
    uint64_t start = max(region.start, align_down(address, fault_around_bytes));
    uint64_t end = min(region.end, start + fault_around_bytes);
    uint64_t page = align_down(address, page_size);
    if (!map_zeroed(start, end, region.protection).ok() &&
        !map_zeroed(page, page + page_size, region.protection).ok()) {
        // Not even the one page: Linux's OOM killer would pick the app, the only process,
        // and send SIGKILL. The VM ends here, with this lock still held.
        log::raw(
            "eremite: out of memory: no frame left to page in 0x%lx for the app; killed as Linux's "
            "OOM killer would (SIGKILL)\n",
            address);
        linux::terminate_by_signal(linux::sigkill);
    }
    ++fault_count_;
    return true;
}

uint64_t AppMemory::pin_for_io(uint64_t address, uint64_t length, bool host_writes, PhysicalRun* runs, size_t capacity,
                               size_t& run_count) {
    run_count = 0;
    SpinGuard guard(lock_);
    // Taken under the lock that every free of app frames holds: a free that comes later
    // sees the pin.
    __atomic_add_fetch(&io_pins_, 1, __ATOMIC_ACQ_REL);
    uint64_t end;
    if (!checked_add(address, length, end) || end > (1ull << 47)) return 0;
    arch::PageTable& table = kernel_page_table();
    uint64_t cursor = address;
    while (cursor < end) {
        const Region* region = regions_.find(cursor);
        if (!region) break;
        const uint32_t protection = region->protection;
        if (!(protection & prot_read) || (host_writes && !(protection & prot_write))) break;
        const uint64_t page = align_down(cursor, page_size);
        uint64_t* entry = table.leaf(page);
        if (!entry || !(*entry & arch::page_present)) {
            if (!map_zeroed(page, page + page_size, protection).ok()) break;
            entry = table.leaf(page);
        }
        const uint64_t physical = (*entry & arch::page_address_mask) + (cursor - page);
        const uint64_t piece = min(end, page + page_size) - cursor;
        if (run_count && runs[run_count - 1].address + runs[run_count - 1].length == physical) {
            runs[run_count - 1].length += piece;
        } else {
            if (run_count == capacity) break;
            runs[run_count++] = PhysicalRun{physical, piece};
        }
        cursor += piece;
    }
    return cursor - address;
}

size_t AppMemory::copy_regions(Region* out, size_t capacity) {
    SpinGuard guard(lock_);
    size_t count = regions_.size();
    for (size_t i = 0; i < count && i < capacity; ++i) out[i] = regions_[i];
    return count;
}

bool AppMemory::accessible(uint64_t address, uint64_t length, bool write) {
    uint64_t end;
    if (!checked_add(address, length, end) || end > (1ull << 47)) return false;
    SpinGuard guard(lock_);
    for (uint64_t cursor = address; cursor < end;) {
        const Region* region = regions_.find(cursor);
        if (!region) return false;
        uint32_t protection = region->protection;
        if (!(protection & prot_read) || (write && !(protection & prot_write))) return false;
        cursor = region->end;
    }
    return true;
}

bool AppMemory::present(uint64_t address, uint64_t length) {
    uint64_t end;
    if (!length || !checked_add(address, length, end) || end > (1ull << 47)) return false;
    SpinGuard guard(lock_);
    arch::PageTable& table = kernel_page_table();
    for (uint64_t page = align_down(address, page_size); page < end; page += page_size) {
        uint64_t* entry = table.leaf(page);
        if (!entry || !(*entry & arch::page_present)) return false;
    }
    return true;
}

}  // namespace eremite::mm
