#include "mm/stack_area.hpp"

#include "lib/string.hpp"

namespace eremite::mm {

void StackArea::init(uint64_t* bitmap, uint64_t slot_count) {
    bitmap_ = bitmap;
    slot_count_ = min(slot_count, max_slots);
    slots_in_use_ = 0;
    hint_word_ = 0;
    memset(bitmap_, 0, bitmap_bytes(slot_count_));
}

Result<uint64_t> StackArea::allocate_slot() {
    uint64_t words = (slot_count_ + 63) / 64;
    for (uint64_t w = hint_word_; w < words; ++w) {
        if (bitmap_[w] == ~0ull) continue;
        uint64_t slot = w * 64 + __builtin_ctzll(~bitmap_[w]);
        if (slot >= slot_count_) break;
        bitmap_[w] |= 1ull << (slot % 64);
        hint_word_ = w;
        ++slots_in_use_;
        return slot;
    }
    return error(Errno::enomem);
}

void StackArea::free_slot(uint64_t slot) {
    if (slot >= slot_count_) return;
    uint64_t bit = 1ull << (slot % 64);
    if (!(bitmap_[slot / 64] & bit)) return;  // not taken: nothing to give back
    bitmap_[slot / 64] &= ~bit;
    --slots_in_use_;
    hint_word_ = min(hint_word_, slot / 64);
}

bool StackArea::is_guard(uint64_t address) const {
    if (address < base) return false;
    if (address < slots_base) {
        uint64_t cpu = (address - base) / exception_block_stride;
        if (cpu >= max_cpus) return false;
        uint64_t offset = (address - base) % exception_block_stride;
        // The unmapped space below the block, or the guard page of one of its stacks.
        return offset < exception_block_offset ||
               (offset - exception_block_offset) % exception_stride < exception_guard_size;
    }
    uint64_t slot = (address - slots_base) / slot_size;
    return slot < slot_count_ && (address - slots_base) % slot_size < guard_size;
}

}  // namespace eremite::mm
