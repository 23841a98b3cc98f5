// The rewrite-plan cache's file format and its check that a plan fits the app.
#include "rewrite_cache.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace ehyve {
namespace {

RewritePlan sample_plan() {
    RewritePlan plan;
    plan.stats.sites = 4;
    plan.stats.direct = 1;
    plan.stats.through_rax = 1;
    plan.stats.site_stub = 1;
    plan.stats.red_zone = 1;
    SyscallPatch direct{16, 5, {0xe8, 1, 2, 3, 4}};
    SyscallPatch lone{40, 2, {0xff, 0xd0}};
    SyscallPatch stub{60, 5, {0xe8, 9, 9, 9, 9}};
    plan.patches = {direct, lone, stub};
    plan.call_sites = {0x401028};
    plan.site_stubs = {0x4c, 0x8b, 0x4c, 0x24, 0x10, 0x65, 0xff, 0x24, 0x25, 0x38, 0, 0, 0, 0xcc, 0xcc, 0xcc};
    return plan;
}

// A file whose bytes fit sample_plan(): a syscall after each 5-byte patch, at the lone one.
std::vector<uint8_t> sample_file() {
    std::vector<uint8_t> file(100, 0x90);
    for (size_t at : {21, 40, 65}) file[at] = 0x0f, file[at + 1] = 0x05;
    return file;
}

void expect_same(const RewritePlan& a, const RewritePlan& b) {
    EXPECT_EQ(serialize_plan(a), serialize_plan(b));
    ASSERT_EQ(a.patches.size(), b.patches.size());
    for (size_t i = 0; i < a.patches.size(); ++i) {
        EXPECT_EQ(a.patches[i].file_offset, b.patches[i].file_offset);
        EXPECT_EQ(a.patches[i].length, b.patches[i].length);
        EXPECT_EQ(0, std::memcmp(a.patches[i].bytes, b.patches[i].bytes, sizeof a.patches[i].bytes));
    }
    EXPECT_EQ(a.call_sites, b.call_sites);
    EXPECT_EQ(a.site_stubs, b.site_stubs);
    EXPECT_EQ(a.stats.trapping(), b.stats.trapping());
    EXPECT_EQ(a.stats.site_stub, b.stats.site_stub);
}

TEST(RewriteCache, RoundTrip) {
    RewritePlan plan = sample_plan();
    auto back = deserialize_plan(serialize_plan(plan));
    ASSERT_TRUE(back);
    expect_same(plan, *back);
    auto empty = deserialize_plan(serialize_plan(RewritePlan{}));
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->patches.empty());
}

TEST(RewriteCache, EveryTruncationAndExtensionIsRefused) {
    std::string bytes = serialize_plan(sample_plan());
    for (size_t length = 0; length < bytes.size(); ++length)
        EXPECT_FALSE(deserialize_plan(std::string_view(bytes).substr(0, length))) << length;
    EXPECT_FALSE(deserialize_plan(bytes + "x"));
}

TEST(RewriteCache, HostileCountsAndRandomBytesNeverCrash) {
    std::string bytes = serialize_plan(sample_plan());
    std::mt19937 random(7);
    for (int round = 0; round < 3000; ++round) {
        std::string mutated = bytes;
        for (int flips = 1 + random() % 4; flips > 0; --flips) mutated[random() % mutated.size()] = char(random());
        (void)deserialize_plan(mutated);  // ASan/UBSan watch; the result may or may not parse
    }
    std::string huge = bytes.substr(0, 8 + sizeof(RewriteStats));
    uint64_t count = ~uint64_t{0};
    huge.append(reinterpret_cast<const char*>(&count), sizeof count);
    EXPECT_FALSE(deserialize_plan(huge));
}

TEST(RewriteCache, PlanFitsOnlyItsFile) {
    std::vector<uint8_t> file = sample_file();
    EXPECT_TRUE(plan_fits(sample_plan(), file));
    for (size_t at : {21, 40, 65}) {
        std::vector<uint8_t> other = file;
        other[at + 1] = 0x04;  // no longer a syscall where a patch expects one
        EXPECT_FALSE(plan_fits(sample_plan(), other)) << at;
    }
    EXPECT_FALSE(plan_fits(sample_plan(), std::span(file).first(66)));  // the last syscall cut off
    RewritePlan bad = sample_plan();
    bad.patches[0].length = 0;
    EXPECT_FALSE(plan_fits(bad, file));
    bad = sample_plan();
    bad.patches[0].file_offset = UINT64_MAX - 2;
    EXPECT_FALSE(plan_fits(bad, file));
}

}  // namespace
}  // namespace ehyve
