#include "arch/x86_64/paging.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::arch {
namespace {

constexpr uint64_t table_flags = page_present | page_writable | page_user;

unsigned index_at(uint64_t virtual_address, int level) {  // level 4 = PML4 ... 1 = PT
    return (virtual_address >> (12 + 9 * (level - 1))) & 511;
}

uint64_t* table_at(PhysAddr address) { return mm::to_virtual<uint64_t>(address); }

}  // namespace

Result<PageTable> PageTable::create() {
    PhysAddr root = TRY(mm::allocate_zeroed_frame());
    return PageTable(root);
}

PageTable PageTable::current() { return PageTable(PhysAddr{read_cr3() & page_address_mask}); }

void PageTable::activate() const { write_cr3(root_.value); }

Result<uint64_t*> PageTable::walk_create(uint64_t virtual_address, int target_level) {
    uint64_t* table = table_at(root_);
    for (int level = 4; level > target_level; --level) {
        uint64_t& entry = table[index_at(virtual_address, level)];
        if (!(entry & page_present)) {
            PhysAddr frame = TRY(mm::allocate_zeroed_frame());
            entry = frame.value | table_flags;
        } else if (entry & page_large) {
            return error(Errno::eexist);
        }
        table = table_at(PhysAddr{entry & page_address_mask});
    }
    return &table[index_at(virtual_address, target_level)];
}

Result<void> PageTable::map(uint64_t virtual_address, PhysAddr frame, uint64_t flags) {
    uint64_t* entry = TRY(walk_create(virtual_address, 1));
    *entry = frame.value | flags | page_present | page_user;
    return {};
}

Result<void> PageTable::map_large(uint64_t virtual_address, PhysAddr frame, uint64_t flags) {
    uint64_t* entry = TRY(walk_create(virtual_address, 2));
    *entry = frame.value | flags | page_present | page_user | page_large;
    return {};
}

uint64_t* PageTable::leaf(uint64_t virtual_address) const {
    uint64_t* table = table_at(root_);
    for (int level = 4; level > 1; --level) {
        uint64_t entry = table[index_at(virtual_address, level)];
        if (!(entry & page_present) || (entry & page_large)) return nullptr;
        table = table_at(PhysAddr{entry & page_address_mask});
    }
    return &table[index_at(virtual_address, 1)];
}

void flush_tlb(uint64_t start, uint64_t end) {
    ++this_cpu().traps.tlb_flushes;
    constexpr uint64_t invlpg_limit = 8;
    if ((end - start) / page_size > invlpg_limit) {
        write_cr3(read_cr3());
        return;
    }
    for (uint64_t address = start; address < end; address += page_size) invalidate_page(address);
}

}  // namespace eremite::arch
