// parse_size: the sizes ehyve accepts on its command line.
#include <cstdint>

#include <gtest/gtest.h>

#include "size.hpp"

namespace {

using ehyve::parse_size;

TEST(ParseSize, PlainBytes) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("007"), 7u);
    EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
}

TEST(ParseSize, Suffixes) {
    EXPECT_EQ(parse_size("1K"), 1024u);
    EXPECT_EQ(parse_size("1k"), 1024u);
    EXPECT_EQ(parse_size("64M"), 64ull << 20);
    EXPECT_EQ(parse_size("512m"), 512ull << 20);
    EXPECT_EQ(parse_size("1G"), 1ull << 30);
    EXPECT_EQ(parse_size("2g"), 2ull << 30);
    EXPECT_EQ(parse_size("1T"), 1ull << 40);
    EXPECT_EQ(parse_size("0G"), 0u);
}

TEST(ParseSize, BinaryUnitSpellings) {
    EXPECT_EQ(parse_size("512MiB"), 512ull << 20);
    EXPECT_EQ(parse_size("64mib"), 64ull << 20);
    EXPECT_EQ(parse_size("1GB"), 1ull << 30);
    EXPECT_EQ(parse_size("1gb"), 1ull << 30);
    EXPECT_EQ(parse_size("4KiB"), 4096u);
}

TEST(ParseSize, LargestValuesPerSuffix) {
    EXPECT_EQ(parse_size("17179869183G"), 17179869183ull << 30);
    EXPECT_EQ(parse_size("16777215T"), 16777215ull << 40);
    EXPECT_EQ(parse_size("18014398509481983K"), 18014398509481983ull << 10);
}

TEST(ParseSize, Overflow) {
    EXPECT_EQ(parse_size("99999999999999999999"), std::nullopt);
    EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);  // 2^64
    EXPECT_EQ(parse_size("17179869184G"), std::nullopt);          // 2^34 GiB = 2^64
    EXPECT_EQ(parse_size("16777216T"), std::nullopt);
    EXPECT_EQ(parse_size("18014398509481984K"), std::nullopt);
    EXPECT_EQ(parse_size("99999999999999999999999999999999999999M"), std::nullopt);
}

TEST(ParseSize, Garbage) {
    for (const char* text : {"", "M", "G", "12X", "1.5G", "-1", "+1", " 1G", "1G ", "1 G", "1GG", "1Gi", "1MiBs",
                             "0x10", "1e3", "ten", "1M\n", "1M iB"}) {
        EXPECT_EQ(parse_size(text), std::nullopt) << "'" << text << "'";
    }
}

TEST(ParseSize, NotNulTerminated) {
    // A string_view into a longer buffer: only the view counts.
    const char text[] = "64MiB and more";
    EXPECT_EQ(parse_size(std::string_view(text, 3)), 64ull << 20);
    EXPECT_EQ(parse_size(std::string_view(text, 2)), 64u);
}

}  // namespace
