// The app's region bookkeeping (kernel/mm/region_map.hpp): what mmap, munmap, mprotect
// and mremap rely on.
#include "mm/region_map.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace eremite;
using namespace eremite::mm;

namespace {

constexpr uint64_t page = 4096;

std::vector<std::pair<uint64_t, uint64_t>> ranges(const RegionMap& map) {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (size_t i = 0; i < map.size(); ++i) out.emplace_back(map[i].start, map[i].end);
    return out;
}

Region region(uint64_t start, uint64_t end, uint32_t protection = prot_read | prot_write) {
    return Region{start, end, protection, RegionKind::anonymous};
}

}  // namespace

TEST(RegionMap, InsertKeepsOrderAndFindWorks) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(10 * page, 12 * page)).ok());
    ASSERT_TRUE(map.insert(region(2 * page, 4 * page)).ok());
    ASSERT_TRUE(map.insert(region(6 * page, 8 * page)).ok());
    EXPECT_EQ(ranges(map), (std::vector<std::pair<uint64_t, uint64_t>>{
                               {2 * page, 4 * page}, {6 * page, 8 * page}, {10 * page, 12 * page}}));
    EXPECT_EQ(map.find(2 * page)->start, 2 * page);
    EXPECT_EQ(map.find(4 * page - 1)->start, 2 * page);
    EXPECT_EQ(map.find(4 * page), nullptr);  // end is exclusive
    EXPECT_EQ(map.find(page), nullptr);
    EXPECT_EQ(map.find(12 * page), nullptr);
}

TEST(RegionMap, IsFreeAndCovers) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(2 * page, 4 * page)).ok());
    ASSERT_TRUE(map.insert(region(4 * page, 6 * page)).ok());
    EXPECT_TRUE(map.is_free(0, 2 * page));
    EXPECT_FALSE(map.is_free(page, 3 * page));
    EXPECT_TRUE(map.is_free(6 * page, 9 * page));
    EXPECT_TRUE(map.covers(2 * page, 6 * page));  // two adjacent regions
    EXPECT_FALSE(map.covers(page, 3 * page));
    EXPECT_FALSE(map.covers(5 * page, 7 * page));
}

TEST(RegionMap, RemoveSplitsAtTheEdges) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(0, 10 * page)).ok());
    ASSERT_TRUE(map.remove(3 * page, 5 * page).ok());
    EXPECT_EQ(ranges(map), (std::vector<std::pair<uint64_t, uint64_t>>{{0, 3 * page}, {5 * page, 10 * page}}));
    ASSERT_TRUE(map.remove(0, page).ok());
    ASSERT_TRUE(map.remove(9 * page, 20 * page).ok());  // beyond the end: fine, like munmap
    EXPECT_EQ(ranges(map), (std::vector<std::pair<uint64_t, uint64_t>>{{page, 3 * page}, {5 * page, 9 * page}}));
    ASSERT_TRUE(map.remove(0, 100 * page).ok());
    EXPECT_EQ(map.size(), 0u);
}

TEST(RegionMap, ProtectSplitsAndKeepsTheRest) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(0, 8 * page)).ok());
    ASSERT_TRUE(map.protect(2 * page, 4 * page, prot_read).ok());
    ASSERT_EQ(map.size(), 3u);
    EXPECT_EQ(map[0].protection, prot_read | prot_write);
    EXPECT_EQ(map[1].protection, uint32_t{prot_read});
    EXPECT_EQ(map[1].start, 2 * page);
    EXPECT_EQ(map[1].end, 4 * page);
    EXPECT_EQ(map[2].protection, prot_read | prot_write);
}

TEST(RegionMap, FindFreeIsTopDownBelowTheCeiling) {
    RegionMap map;
    const uint64_t floor = 16 * page, ceiling = 1024 * page;
    auto first = map.find_free(4 * page, 0, floor, ceiling);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first.value(), ceiling - 4 * page);
    ASSERT_TRUE(map.insert(region(first.value(), first.value() + 4 * page)).ok());
    auto second = map.find_free(page, 0, floor, ceiling);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.value(), ceiling - 5 * page);  // right below the first
}

TEST(RegionMap, FindFreeUsesAGapAndTheHint) {
    RegionMap map;
    const uint64_t floor = 0, ceiling = 100 * page;
    ASSERT_TRUE(map.insert(region(90 * page, 100 * page)).ok());
    ASSERT_TRUE(map.insert(region(50 * page, 88 * page)).ok());
    auto gap = map.find_free(2 * page, 0, floor, ceiling);  // exactly the 88..90 gap
    ASSERT_TRUE(gap.ok());
    EXPECT_EQ(gap.value(), 88 * page);
    auto below = map.find_free(3 * page, 0, floor, ceiling);  // too big for the gap
    ASSERT_TRUE(below.ok());
    EXPECT_EQ(below.value(), 47 * page);
    auto hinted = map.find_free(page, 10 * page, floor, ceiling);
    ASSERT_TRUE(hinted.ok());
    EXPECT_EQ(hinted.value(), 10 * page);
    auto taken_hint = map.find_free(page, 60 * page, floor, ceiling);  // hint inside a region
    ASSERT_TRUE(taken_hint.ok());
    EXPECT_EQ(taken_hint.value(), 89 * page);  // top-down: the top of the highest gap
}

TEST(RegionMap, FindFreeStraddlingRegionAtTheCeiling) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(95 * page, 105 * page)).ok());  // crosses the ceiling
    auto found = map.find_free(page, 0, 0, 100 * page);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found.value(), 94 * page);
}

TEST(RegionMap, ZeroHintMeansNoHint) {
    RegionMap map;
    auto found = map.find_free(page, 0, 0, 10 * page);
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found.value(), 9 * page);
}

TEST(RegionMap, FindFreeReportsExhaustion) {
    RegionMap map;
    ASSERT_TRUE(map.insert(region(0, 10 * page)).ok());
    EXPECT_FALSE(map.find_free(page, 0, 0, 10 * page).ok());
    EXPECT_FALSE(map.find_free(20 * page, 0, 0, 15 * page).ok());
}

TEST(RegionMap, ManyRegionsGrowTheArray) {
    RegionMap map;
    for (uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(map.insert(region((2 * i) * page, (2 * i + 1) * page)).ok());
    EXPECT_EQ(map.size(), 1000u);
    for (uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(map.find(2 * i * page)->start, 2 * i * page);
    EXPECT_TRUE(map.is_free(page, 2 * page));
}
