// The kernel-stack area (kernel/mm/stack_area.hpp): slot bookkeeping over an exactly
// sized bitmap, and which addresses are guards.
#include "mm/stack_area.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

using namespace eremite;
using namespace eremite::mm;

namespace {

constexpr uint64_t page = 4096;

class Slots : public ::testing::Test {
protected:
    void init(uint64_t slot_count) {
        bitmap_.assign(StackArea::bitmap_bytes(slot_count) / 8, 0);
        bitmap_.shrink_to_fit();
        area.init(bitmap_.data(), slot_count);
    }
    StackArea area;

private:
    std::vector<uint64_t> bitmap_;
};

}  // namespace

TEST(StackAreaLayout, SlotsAreGuardThenStack) {
    EXPECT_EQ(StackArea::stack_bottom(0), StackArea::slots_base + StackArea::guard_size);
    EXPECT_EQ(StackArea::stack_bottom(1) - StackArea::stack_bottom(0), StackArea::slot_size);
    EXPECT_EQ(StackArea::slot_of(StackArea::stack_bottom(12345)), 12345u);
    EXPECT_GE(StackArea::guard_size, page);
    // The area is in the upper half, outside kvm-pvm's reserved PML4 slot 256 and the
    // direct map's slot 273.
    constexpr uint64_t pml4_slot = (StackArea::base >> 39) & 511;
    EXPECT_NE(pml4_slot, 256u);
    EXPECT_NE(pml4_slot, 273u);
    EXPECT_GE(pml4_slot, 256u);
    EXPECT_EQ((StackArea::stack_bottom(StackArea::max_slots - 1) >> 39) & 511, pml4_slot);
}

TEST(StackAreaLayout, ExceptionStacksMatchTheTssLayout) {
    // arch::init_cpu_stacks puts stack i's top at start + (i + 1) * 16 KiB.
    EXPECT_EQ(StackArea::exception_stack_count * StackArea::exception_stride, 6u * 16 * 1024);
    for (uint32_t cpu = 0; cpu < StackArea::max_cpus; ++cpu) {
        uint64_t start = StackArea::exception_stacks_of(cpu);
        EXPECT_EQ(start % page, 0u);
        EXPECT_LT(start + 6 * 16 * 1024, StackArea::slots_base);
        if (cpu) {
            EXPECT_GE(start, StackArea::exception_stacks_of(cpu - 1) + 6 * 16 * 1024 + page);
        }
    }
}

TEST_F(Slots, LowestFreeFirstAndReuse) {
    init(200);
    for (uint64_t i = 0; i < 200; ++i) {
        auto slot = area.allocate_slot();
        ASSERT_TRUE(slot.ok());
        EXPECT_EQ(slot.value(), i);
    }
    EXPECT_EQ(area.slots_in_use(), 200u);
    EXPECT_FALSE(area.allocate_slot().ok());
    area.free_slot(130);
    area.free_slot(7);
    EXPECT_EQ(area.slots_in_use(), 198u);
    EXPECT_EQ(area.allocate_slot().value(), 7u);
    EXPECT_EQ(area.allocate_slot().value(), 130u);
    EXPECT_FALSE(area.allocate_slot().ok());
}

TEST_F(Slots, FreeingTwiceOrOutOfRangeChangesNothing) {
    init(10);
    ASSERT_EQ(area.allocate_slot().value(), 0u);
    area.free_slot(0);
    area.free_slot(0);
    area.free_slot(10);
    area.free_slot(~0ull);
    EXPECT_EQ(area.slots_in_use(), 0u);
    EXPECT_EQ(area.allocate_slot().value(), 0u);
}

TEST_F(Slots, ChurnNeverHandsOutATakenSlot) {
    init(1000);
    std::set<uint64_t> taken;
    uint64_t state = 1;
    for (int step = 0; step < 20000; ++step) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        if ((state >> 33) % 3 != 0 || taken.empty()) {
            auto slot = area.allocate_slot();
            if (taken.size() == 1000) {
                EXPECT_FALSE(slot.ok());
                continue;
            }
            ASSERT_TRUE(slot.ok());
            EXPECT_TRUE(taken.insert(slot.value()).second);
            EXPECT_LT(slot.value(), 1000u);
        } else {
            auto it = taken.begin();
            std::advance(it, (state >> 20) % taken.size());
            area.free_slot(*it);
            taken.erase(it);
        }
        ASSERT_EQ(area.slots_in_use(), taken.size());
    }
}

TEST_F(Slots, SlotCountIsCapped) {
    std::vector<uint64_t> bitmap(StackArea::bitmap_bytes(StackArea::max_slots) / 8);
    area.init(bitmap.data(), StackArea::max_slots * 4);
    EXPECT_EQ(area.slot_count(), StackArea::max_slots);
}

TEST_F(Slots, GuardsOfThreadStacks) {
    init(100);
    for (uint64_t slot : {0ull, 1ull, 99ull}) {
        uint64_t bottom = StackArea::stack_bottom(slot);
        EXPECT_TRUE(area.is_guard(bottom - 1));
        EXPECT_TRUE(area.is_guard(bottom - 8));
        EXPECT_TRUE(area.is_guard(bottom - StackArea::guard_size));
        EXPECT_FALSE(area.is_guard(bottom));
        EXPECT_FALSE(area.is_guard(bottom + StackArea::stack_size - 1));
    }
    // No guard past the last slot, nor outside the area.
    EXPECT_FALSE(area.is_guard(StackArea::stack_bottom(100) - 1));
    EXPECT_FALSE(area.is_guard(StackArea::base - 1));
    EXPECT_FALSE(area.is_guard(0));
    EXPECT_FALSE(area.is_guard(0xffffffff80000000ull));
}

TEST_F(Slots, GuardsOfExceptionStacks) {
    init(1);
    for (uint32_t cpu : {0u, 1u, 63u}) {
        uint64_t start = StackArea::exception_stacks_of(cpu);
        for (uint64_t i = 0; i < StackArea::exception_stack_count; ++i) {
            uint64_t stride = start + i * StackArea::exception_stride;
            EXPECT_TRUE(area.is_guard(stride));
            EXPECT_TRUE(area.is_guard(stride + page - 1));
            EXPECT_FALSE(area.is_guard(stride + page));                             // the stack's bottom
            EXPECT_FALSE(area.is_guard(stride + StackArea::exception_stride - 8));  // its top
        }
        EXPECT_TRUE(area.is_guard(start - 1));
    }
    EXPECT_FALSE(area.is_guard(StackArea::base + StackArea::max_cpus * StackArea::exception_block_stride));
}
