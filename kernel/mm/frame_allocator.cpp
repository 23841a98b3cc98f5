#include "mm/frame_allocator.hpp"

#include "lib/string.hpp"
#include "lib/utility.hpp"

namespace eremite::mm {

void FrameAllocator::init(uint64_t* bitmap, uint64_t frame_count) {
    bitmap_ = bitmap;
    frame_count_ = frame_count;
    free_count_ = 0;
    hint_word_ = 0;
    memset(bitmap_, 0xff, bitmap_bytes(frame_count));
}

void FrameAllocator::set_range(uint64_t first, uint64_t count, bool make_used) {
    uint64_t end = min(first + count, frame_count_);
    // Whole words at a time where the range covers them: boot frees all of RAM here.
    for (uint64_t i = first; i < end;) {
        uint64_t bits = min<uint64_t>(64 - i % 64, end - i);
        uint64_t mask = (bits == 64 ? ~0ull : ((1ull << bits) - 1)) << (i % 64);
        uint64_t& word = bitmap_[i / 64];
        uint64_t changed = make_used ? (~word & mask) : (word & mask);
        uint64_t changes = static_cast<uint64_t>(__builtin_popcountll(changed));
        if (make_used) {
            word |= mask;
            free_count_ -= changes;
        } else {
            word &= ~mask;
            free_count_ += changes;
            if (changes) hint_word_ = min(hint_word_, i / 64);
        }
        i += bits;
    }
}

void FrameAllocator::add_free_range(PhysAddr base, uint64_t size) {
    // Only whole frames inside the range are usable.
    uint64_t first = align_up(base.value, page_size) / page_size;
    uint64_t end = align_down(base.value + size, page_size) / page_size;
    if (end > first) set_range(first, end - first, false);
}

void FrameAllocator::reserve_range(PhysAddr base, uint64_t size) {
    uint64_t first = align_down(base.value, page_size) / page_size;
    uint64_t end = align_up(base.value + size, page_size) / page_size;
    if (end > first) set_range(first, end - first, true);
}

Result<PhysAddr> FrameAllocator::allocate() {
    uint64_t words = (frame_count_ + 63) / 64;
    for (uint64_t w = hint_word_; w < words; ++w) {
        if (bitmap_[w] == ~0ull) continue;
        uint64_t index = w * 64 + __builtin_ctzll(~bitmap_[w]);
        if (index >= frame_count_) break;
        hint_word_ = w;
        bitmap_[w] |= 1ull << (index % 64);
        --free_count_;
        return PhysAddr{index * page_size};
    }
    hint_word_ = words;
    return error(Errno::enomem);
}

Result<PhysAddr> FrameAllocator::allocate_contiguous(uint64_t count) {
    if (count == 0 || count > free_count_) return error(Errno::enomem);
    if (count == 1) return allocate();
    uint64_t run = 0;
    for (uint64_t i = hint_word_ * 64; i < frame_count_; ++i) {
        if (i % 64 == 0 && run == 0 && bitmap_[i / 64] == ~0ull) {
            i += 63;  // a full word cannot start a run
            continue;
        }
        run = used(i) ? 0 : run + 1;
        if (run == count) {
            uint64_t first = i + 1 - count;
            set_range(first, count, true);
            return PhysAddr{first * page_size};
        }
    }
    return error(Errno::enomem);
}

void FrameAllocator::free(PhysAddr frame, uint64_t count) { set_range(frame.value / page_size, count, false); }

bool FrameAllocator::is_free(PhysAddr frame) const {
    uint64_t index = frame.value / page_size;
    return index < frame_count_ && !used(index);
}

}  // namespace eremite::mm
