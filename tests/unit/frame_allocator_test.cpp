// FrameAllocator over an exactly sized heap bitmap (ASan sees any access past it).
#include <algorithm>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "mm/frame_allocator.hpp"

namespace {

using eremite::Errno;
using eremite::PhysAddr;
using eremite::mm::FrameAllocator;

constexpr uint64_t page = 4096;

PhysAddr frame(uint64_t index) { return PhysAddr{index * page}; }

class Frames : public ::testing::Test {
protected:
    void init(uint64_t frame_count) {
        bitmap_.assign(FrameAllocator::bitmap_bytes(frame_count) / 8, 0);
        bitmap_.shrink_to_fit();
        allocator.init(bitmap_.empty() ? &dummy_ : bitmap_.data(), frame_count);
    }
    // The frames that are free, by asking is_free for each.
    std::vector<uint64_t> free_frames() const {
        std::vector<uint64_t> out;
        for (uint64_t i = 0; i < allocator.frame_count() + 70; ++i)
            if (allocator.is_free(frame(i))) out.push_back(i);
        return out;
    }
    // Everything: the free count agrees with is_free.
    void expect_consistent() const { EXPECT_EQ(free_frames().size(), allocator.free_count()); }

    FrameAllocator allocator;

private:
    std::vector<uint64_t> bitmap_;
    uint64_t dummy_ = 0;
};

TEST_F(Frames, BitmapBytes) {
    EXPECT_EQ(FrameAllocator::bitmap_bytes(0), 0u);
    EXPECT_EQ(FrameAllocator::bitmap_bytes(1), 8u);
    EXPECT_EQ(FrameAllocator::bitmap_bytes(64), 8u);
    EXPECT_EQ(FrameAllocator::bitmap_bytes(65), 16u);
    EXPECT_EQ(FrameAllocator::bitmap_bytes(131072), 16384u);  // 512 MiB of RAM
}

TEST_F(Frames, InitMarksEverythingUsed) {
    init(200);
    EXPECT_EQ(allocator.frame_count(), 200u);
    EXPECT_EQ(allocator.free_count(), 0u);
    EXPECT_TRUE(free_frames().empty());
    auto result = allocator.allocate();
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error_code(), Errno::enomem);
    EXPECT_FALSE(allocator.allocate_contiguous(2).ok());
}

TEST_F(Frames, InitDiscardsPreviousState) {
    init(100);
    allocator.add_free_range(PhysAddr{0}, 100 * page);
    init(100);
    EXPECT_EQ(allocator.free_count(), 0u);
    EXPECT_FALSE(allocator.allocate().ok());
}

TEST_F(Frames, AddFreeRangeFreesOnlyWholePages) {
    init(64);
    allocator.add_free_range(PhysAddr{0x1800}, 0x3000);  // [0x1800, 0x4800): frames 2 and 3
    EXPECT_EQ(free_frames(), (std::vector<uint64_t>{2, 3}));
    EXPECT_EQ(allocator.free_count(), 2u);
    allocator.add_free_range(PhysAddr{0x10100}, 0x200);   // within frame 16
    allocator.add_free_range(PhysAddr{0x11800}, 0x1000);  // halves of frames 17 and 18
    EXPECT_EQ(free_frames(), (std::vector<uint64_t>{2, 3}));
    allocator.add_free_range(PhysAddr{0x20000}, 0x1000);  // exactly frame 32
    allocator.add_free_range(PhysAddr{0x30000}, 0);
    EXPECT_EQ(free_frames(), (std::vector<uint64_t>{2, 3, 32}));
    expect_consistent();
}

TEST_F(Frames, AddingTwiceCountsOnce) {
    init(128);
    allocator.add_free_range(PhysAddr{0}, 100 * page);
    allocator.add_free_range(PhysAddr{50 * page}, 60 * page);
    EXPECT_EQ(allocator.free_count(), 110u);
    expect_consistent();
}

TEST_F(Frames, ReserveRangeCoversPartialPages) {
    init(128);
    allocator.add_free_range(PhysAddr{0}, 128 * page);
    allocator.reserve_range(PhysAddr{0x1800}, 0x100);   // inside frame 1
    allocator.reserve_range(PhysAddr{0x4fff}, 2);       // frames 4 and 5
    allocator.reserve_range(PhysAddr{0x8000}, 0x1000);  // exactly frame 8
    allocator.reserve_range(PhysAddr{0x9000}, 0);       // nothing
    for (uint64_t i : {1, 4, 5, 8}) EXPECT_FALSE(allocator.is_free(frame(i))) << i;
    for (uint64_t i : {0, 2, 3, 6, 7, 9}) EXPECT_TRUE(allocator.is_free(frame(i))) << i;
    EXPECT_EQ(allocator.free_count(), 124u);
    // Reserving what is already reserved changes nothing.
    allocator.reserve_range(PhysAddr{0x4000}, 0x2000);
    EXPECT_EQ(allocator.free_count(), 124u);
    expect_consistent();
}

TEST_F(Frames, RangesBeyondTheEndAreClipped) {
    init(100);  // not a multiple of 64: the last word is partial
    allocator.add_free_range(PhysAddr{0}, 1ull << 40);
    EXPECT_EQ(allocator.free_count(), 100u);
    EXPECT_FALSE(allocator.is_free(frame(100)));
    EXPECT_FALSE(allocator.is_free(frame(127)));
    allocator.add_free_range(PhysAddr{200 * page}, 100 * page);  // entirely beyond
    EXPECT_EQ(allocator.free_count(), 100u);
    allocator.reserve_range(PhysAddr{90 * page}, 1ull << 40);
    EXPECT_EQ(allocator.free_count(), 90u);
    allocator.free(frame(95), 50);  // partly beyond
    EXPECT_EQ(allocator.free_count(), 95u);
    allocator.free(frame(500), 3);  // entirely beyond
    EXPECT_EQ(allocator.free_count(), 95u);
    expect_consistent();
}

TEST_F(Frames, AllocateUntilExhausted) {
    for (uint64_t count : {1, 63, 64, 65, 100, 128, 1000}) {
        SCOPED_TRACE(testing::Message() << "frame_count " << count);
        init(count);
        allocator.add_free_range(PhysAddr{0}, count * page);
        std::set<uint64_t> seen;
        for (uint64_t i = 0; i < count; ++i) {
            auto result = allocator.allocate();
            ASSERT_TRUE(result.ok()) << i;
            uint64_t address = result.value().value;
            EXPECT_EQ(address % page, 0u);
            EXPECT_LT(address, count * page);
            EXPECT_TRUE(seen.insert(address).second) << "allocated twice: " << address;
            EXPECT_FALSE(allocator.is_free(result.value()));
        }
        EXPECT_EQ(allocator.free_count(), 0u);
        auto result = allocator.allocate();
        ASSERT_FALSE(result.ok());
        EXPECT_EQ(result.error_code(), Errno::enomem);
        // Still exhausted on a second try (the hint is past the end).
        EXPECT_FALSE(allocator.allocate().ok());
    }
}

TEST_F(Frames, FreeAndReallocate) {
    init(256);
    allocator.add_free_range(PhysAddr{0}, 256 * page);
    std::vector<PhysAddr> all;
    for (int i = 0; i < 256; ++i) all.push_back(allocator.allocate().value());
    ASSERT_FALSE(allocator.allocate().ok());

    // Free a few scattered frames; exactly those come back.
    std::set<uint64_t> freed = {3 * page, 64 * page, 127 * page, 200 * page, 255 * page};
    for (uint64_t a : freed) allocator.free(PhysAddr{a});
    EXPECT_EQ(allocator.free_count(), freed.size());
    std::set<uint64_t> again;
    for (size_t i = 0; i < freed.size(); ++i) {
        auto result = allocator.allocate();
        ASSERT_TRUE(result.ok());
        again.insert(result.value().value);
    }
    EXPECT_EQ(again, freed);
    EXPECT_FALSE(allocator.allocate().ok());

    // A frame freed below the search hint is found again.
    allocator.free(frame(0));
    auto result = allocator.allocate();
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.value(), frame(0));
}

TEST_F(Frames, DoubleFreeDoesNotInflateTheCount) {
    init(64);
    allocator.add_free_range(PhysAddr{0}, 64 * page);
    auto a = allocator.allocate().value();
    allocator.free(a);
    allocator.free(a);
    EXPECT_EQ(allocator.free_count(), 64u);
    expect_consistent();
}

TEST_F(Frames, FreeCountBookkeeping) {
    init(300);
    allocator.add_free_range(PhysAddr{0}, 300 * page);
    uint64_t expected = 300;
    for (int round = 0; round < 5; ++round) {
        std::vector<PhysAddr> singles;
        for (int i = 0; i < 7; ++i) singles.push_back(allocator.allocate().value());
        expected -= 7;
        auto run = allocator.allocate_contiguous(13);
        ASSERT_TRUE(run.ok());
        expected -= 13;
        EXPECT_EQ(allocator.free_count(), expected);
        allocator.free(singles[2]);
        allocator.free(run.value(), 13);
        expected += 14;
        EXPECT_EQ(allocator.free_count(), expected);
        expect_consistent();
    }
}

TEST_F(Frames, IsFreeOutsideRange) {
    init(10);
    allocator.add_free_range(PhysAddr{0}, 10 * page);
    EXPECT_TRUE(allocator.is_free(frame(9)));
    EXPECT_TRUE(allocator.is_free(PhysAddr{9 * page + 123}));  // any address in the frame
    EXPECT_FALSE(allocator.is_free(frame(10)));
    EXPECT_FALSE(allocator.is_free(PhysAddr{~0ull}));
}

TEST_F(Frames, ContiguousRejectsZeroAndTooMany) {
    init(64);
    allocator.add_free_range(PhysAddr{0}, 64 * page);
    auto zero = allocator.allocate_contiguous(0);
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error_code(), Errno::enomem);
    EXPECT_FALSE(allocator.allocate_contiguous(65).ok());
    EXPECT_EQ(allocator.free_count(), 64u);
    auto all = allocator.allocate_contiguous(64);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all.value(), frame(0));
    EXPECT_EQ(allocator.free_count(), 0u);
}

TEST_F(Frames, ContiguousOne) {
    init(64);
    allocator.add_free_range(frame(5), page);
    auto one = allocator.allocate_contiguous(1);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one.value(), frame(5));
}

TEST_F(Frames, ContiguousAcrossAWordBoundary) {
    init(256);
    allocator.add_free_range(frame(60), 10 * page);  // frames 60..69: bits in words 0 and 1
    auto run = allocator.allocate_contiguous(10);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(60));
    EXPECT_EQ(allocator.free_count(), 0u);
    for (uint64_t i = 60; i < 70; ++i) EXPECT_FALSE(allocator.is_free(frame(i)));
}

TEST_F(Frames, ContiguousAfterFullWords) {
    init(512);
    allocator.add_free_range(frame(130), 128 * page);  // words 0 and 1 full, run starts in word 2
    auto run = allocator.allocate_contiguous(128);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(130));
}

TEST_F(Frames, ContiguousLongerThanAWord) {
    init(512);
    allocator.add_free_range(PhysAddr{0}, 200 * page);
    auto first = allocator.allocate_contiguous(130);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.value(), frame(0));
    auto second = allocator.allocate_contiguous(70);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.value(), frame(130));
    EXPECT_FALSE(allocator.allocate_contiguous(2).ok());
    EXPECT_EQ(allocator.free_count(), 0u);
}

TEST_F(Frames, ContiguousSkipsRunsThatAreTooShort) {
    init(256);
    allocator.add_free_range(frame(10), 5 * page);   // 5 frames
    allocator.add_free_range(frame(62), 4 * page);   // 4 frames across words 0/1
    allocator.add_free_range(frame(100), 8 * page);  // 8 frames
    auto run = allocator.allocate_contiguous(6);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(100));
    EXPECT_EQ(allocator.free_count(), 11u);
    expect_consistent();
}

TEST_F(Frames, ContiguousRunAtTheVeryEnd) {
    init(100);
    allocator.add_free_range(frame(90), 10 * page);
    auto run = allocator.allocate_contiguous(10);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(90));
    // The bits past frame_count are not part of any run.
    init(100);
    allocator.add_free_range(frame(95), 100 * page);
    EXPECT_EQ(allocator.free_count(), 5u);
    EXPECT_FALSE(allocator.allocate_contiguous(6).ok());
    EXPECT_TRUE(allocator.allocate_contiguous(5).ok());
}

TEST_F(Frames, ContiguousFailsWhenFragmented) {
    init(512);
    for (uint64_t i = 0; i < 512; i += 2) allocator.add_free_range(frame(i), page);
    EXPECT_EQ(allocator.free_count(), 256u);
    auto run = allocator.allocate_contiguous(2);
    ASSERT_FALSE(run.ok());
    EXPECT_EQ(run.error_code(), Errno::enomem);
    EXPECT_EQ(allocator.free_count(), 256u);
    // Single frames still work.
    EXPECT_TRUE(allocator.allocate_contiguous(1).ok());
    EXPECT_TRUE(allocator.allocate().ok());
}

TEST_F(Frames, ContiguousFindsRunBelowAnAllocatedHint) {
    init(256);
    allocator.add_free_range(PhysAddr{0}, 256 * page);
    // Use everything, then free a run low down and a run high up.
    ASSERT_TRUE(allocator.allocate_contiguous(256).ok());
    allocator.free(frame(200), 20);
    allocator.free(frame(5), 20);
    auto run = allocator.allocate_contiguous(20);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(5));
    run = allocator.allocate_contiguous(20);
    ASSERT_TRUE(run.ok());
    EXPECT_EQ(run.value(), frame(200));
}

TEST_F(Frames, MixedSinglesAndRunsNeverOverlap) {
    init(1000);
    allocator.add_free_range(PhysAddr{0}, 1000 * page);
    std::vector<int> owner(1000, -1);
    std::vector<std::pair<uint64_t, uint64_t>> live;  // first frame, count
    uint64_t seed = 12345;
    auto next = [&] {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return seed >> 33;
    };
    for (int step = 0; step < 3000; ++step) {
        uint64_t action = next() % 10;
        if (action < 6) {
            uint64_t count = 1 + next() % 40;
            auto result = count == 1 && next() % 2 ? allocator.allocate() : allocator.allocate_contiguous(count);
            if (!result.ok()) continue;
            uint64_t first = result.value().value / page;
            ASSERT_LE(first + count, 1000u);
            for (uint64_t f = first; f < first + count; ++f) {
                ASSERT_EQ(owner[f], -1) << "frame " << f << " handed out twice";
                owner[f] = step;
            }
            live.push_back({first, count});
        } else if (!live.empty()) {
            size_t k = next() % live.size();
            auto [first, count] = live[k];
            for (uint64_t f = first; f < first + count; ++f) owner[f] = -1;
            allocator.free(frame(first), count);
            live.erase(live.begin() + static_cast<long>(k));
        }
        uint64_t in_use = 0;
        for (auto& [first, count] : live) in_use += count;
        ASSERT_EQ(allocator.free_count(), 1000 - in_use);
    }
    expect_consistent();
}

}  // namespace
