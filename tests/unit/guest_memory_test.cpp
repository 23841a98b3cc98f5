// GuestMemory's bounds checks: every access is checked against the RAM size without
// overflow before a pointer is formed.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "guest_memory.hpp"

namespace {

using ehyve::GuestMemory;
using ehyve::GuestPhysAddr;
using ehyve::HostError;

constexpr uint64_t size = 1 << 20;

class GuestMemoryTest : public ::testing::Test {
protected:
    GuestMemory memory{size};
};

TEST_F(GuestMemoryTest, Basics) {
    EXPECT_EQ(memory.size(), size);
    ASSERT_NE(memory.host_base(), nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(memory.host_base()) % 4096, 0u);
    // Fresh RAM reads as zero.
    EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{0x8000}), 0u);
}

TEST_F(GuestMemoryTest, SpanBounds) {
    auto all = memory.span(GuestPhysAddr{0}, size);
    ASSERT_TRUE(all);
    EXPECT_EQ(all->data(), memory.host_base());
    EXPECT_EQ(all->size(), size);

    EXPECT_TRUE(memory.span(GuestPhysAddr{size - 4}, 4));   // exactly at the end
    EXPECT_FALSE(memory.span(GuestPhysAddr{size - 4}, 5));  // one past
    EXPECT_FALSE(memory.span(GuestPhysAddr{0}, size + 1));
    auto empty = memory.span(GuestPhysAddr{size}, 0);  // zero length at the end
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->size(), 0u);
    EXPECT_FALSE(memory.span(GuestPhysAddr{size}, 1));
    EXPECT_FALSE(memory.span(GuestPhysAddr{size + 1}, 0));
}

TEST_F(GuestMemoryTest, SpanOverflow) {
    EXPECT_FALSE(memory.span(GuestPhysAddr{UINT64_MAX - 1}, 4));  // address + length wraps to 2
    EXPECT_FALSE(memory.span(GuestPhysAddr{UINT64_MAX}, 1));
    EXPECT_FALSE(memory.span(GuestPhysAddr{UINT64_MAX}, 0));
    EXPECT_FALSE(memory.span(GuestPhysAddr{4}, UINT64_MAX - 1));  // length alone wraps
    EXPECT_FALSE(memory.span(GuestPhysAddr{4}, UINT64_MAX));
    EXPECT_FALSE(memory.span(GuestPhysAddr{size - 1}, UINT64_MAX));
    EXPECT_FALSE(memory.span(GuestPhysAddr{1ull << 63}, 1ull << 63));  // sums to exactly 2^64
}

TEST_F(GuestMemoryTest, Contains) {
    EXPECT_TRUE(memory.contains(GuestPhysAddr{0}, 0));
    EXPECT_TRUE(memory.contains(GuestPhysAddr{0}, size));
    EXPECT_TRUE(memory.contains(GuestPhysAddr{size}, 0));
    EXPECT_FALSE(memory.contains(GuestPhysAddr{1}, size));
    EXPECT_FALSE(memory.contains(GuestPhysAddr{UINT64_MAX - 1}, 4));
}

TEST_F(GuestMemoryTest, ReadBounds) {
    EXPECT_TRUE(memory.read<uint32_t>(GuestPhysAddr{size - 4}));
    EXPECT_FALSE(memory.read<uint32_t>(GuestPhysAddr{size}));
    EXPECT_FALSE(memory.read<uint64_t>(GuestPhysAddr{size - 4}));  // aligned, but runs past
    EXPECT_TRUE(memory.read<uint8_t>(GuestPhysAddr{size - 1}));
    EXPECT_FALSE(memory.read<uint8_t>(GuestPhysAddr{size}));
    EXPECT_FALSE(memory.read<uint64_t>(GuestPhysAddr{UINT64_MAX - 7}));  // aligned, wraps
    EXPECT_FALSE(memory.read<uint32_t>(GuestPhysAddr{UINT64_MAX - 1}));
}

TEST_F(GuestMemoryTest, MisalignedReadAndWrite) {
    EXPECT_FALSE(memory.read<uint64_t>(GuestPhysAddr{4}));
    EXPECT_FALSE(memory.read<uint64_t>(GuestPhysAddr{1}));
    EXPECT_FALSE(memory.read<uint32_t>(GuestPhysAddr{2}));
    EXPECT_FALSE(memory.read<uint16_t>(GuestPhysAddr{size - 1}));
    EXPECT_TRUE(memory.read<uint16_t>(GuestPhysAddr{size - 2}));
    EXPECT_TRUE(memory.read<uint8_t>(GuestPhysAddr{3}));

    EXPECT_FALSE(memory.write<uint64_t>(GuestPhysAddr{12}, ~0ull));
    EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{8}), 0u) << "a refused write changes nothing";
    EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{16}), 0u);
}

TEST_F(GuestMemoryTest, WriteBoundsAndRoundTrip) {
    EXPECT_TRUE(memory.write<uint64_t>(GuestPhysAddr{size - 8}, 0x0123456789abcdefull));
    EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{size - 8}), 0x0123456789abcdefull);
    EXPECT_EQ(memory.read<uint32_t>(GuestPhysAddr{size - 8}), 0x89abcdefu);  // little-endian
    EXPECT_FALSE(memory.write<uint64_t>(GuestPhysAddr{size}, 1));
    EXPECT_FALSE(memory.write<uint32_t>(GuestPhysAddr{UINT64_MAX - 3}, 1));

    struct Pair {
        uint64_t a, b;
    };
    EXPECT_TRUE(memory.write(GuestPhysAddr{0x100}, Pair{1, 2}));
    auto pair = memory.read<Pair>(GuestPhysAddr{0x100});
    ASSERT_TRUE(pair);
    EXPECT_EQ(pair->a, 1u);
    EXPECT_EQ(pair->b, 2u);
    EXPECT_FALSE(memory.write(GuestPhysAddr{size - 8}, Pair{1, 2}));
}

TEST_F(GuestMemoryTest, AtThrowsOutsideRam) {
    EXPECT_NO_THROW(memory.at<uint64_t>(GuestPhysAddr{size - 8}));
    EXPECT_NO_THROW(memory.at<uint8_t[4096]>(GuestPhysAddr{size - 4096}));
    EXPECT_THROW(memory.at<uint64_t>(GuestPhysAddr{size - 4}), HostError);
    EXPECT_THROW(memory.at<uint8_t[4096]>(GuestPhysAddr{size - 4095}), HostError);
    EXPECT_THROW(memory.at<uint64_t>(GuestPhysAddr{UINT64_MAX - 3}), HostError);
    *memory.at<uint32_t>(GuestPhysAddr{0x40}) = 77;
    EXPECT_EQ(memory.read<uint32_t>(GuestPhysAddr{0x40}), 77u);
}

// A temporary file with recognisable contents, removed at the end of the test.
class TempFile {
public:
    explicit TempFile(size_t size) {
        char path[] = "/tmp/eremite_unit_XXXXXX";
        fd_ = mkstemp(path);
        EXPECT_GE(fd_, 0);
        unlink(path);
        contents_.resize(size);
        for (size_t i = 0; i < size; ++i) contents_[i] = static_cast<uint8_t>(i * 13 + 5);
        EXPECT_EQ(write(fd_, contents_.data(), size), static_cast<ssize_t>(size));
    }
    ~TempFile() { close(fd_); }
    int fd() const { return fd_; }
    const std::vector<uint8_t>& contents() const { return contents_; }
    std::vector<uint8_t> read_back() const {
        std::vector<uint8_t> bytes(contents_.size());
        EXPECT_EQ(pread(fd_, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
        return bytes;
    }

private:
    int fd_ = -1;
    std::vector<uint8_t> contents_;
};

TEST_F(GuestMemoryTest, MapFileShowsTheFileAndKeepsItPrivate) {
    TempFile file(5000);
    ASSERT_TRUE(memory.write<uint64_t>(GuestPhysAddr{0x12000}, 0x1122334455667788));  // after the mapping
    memory.map_file(GuestPhysAddr{0x10000}, file.fd(), 5000);
    auto mapped = memory.span(GuestPhysAddr{0x10000}, 5000);
    ASSERT_TRUE(mapped);
    EXPECT_TRUE(std::equal(mapped->begin(), mapped->end(), file.contents().begin()));
    // The rest of the last page reads as zero; the page after it is untouched RAM.
    EXPECT_EQ(memory.read<uint8_t>(GuestPhysAddr{0x10000 + 5000}), 0u);
    EXPECT_EQ(memory.read<uint8_t>(GuestPhysAddr{0x11fff}), 0u);
    EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{0x12000}), 0x1122334455667788u);
    // A guest write changes guest RAM, never the file.
    ASSERT_TRUE(memory.write<uint32_t>(GuestPhysAddr{0x10100}, 0xdeadbeef));
    EXPECT_EQ(memory.read<uint32_t>(GuestPhysAddr{0x10100}), 0xdeadbeefu);
    EXPECT_EQ(file.read_back(), file.contents());
}

TEST_F(GuestMemoryTest, MapFileChecksItsRange) {
    TempFile file(4096);
    EXPECT_THROW(memory.map_file(GuestPhysAddr{0x10001}, file.fd(), 100), HostError);  // not page aligned
    EXPECT_THROW(memory.map_file(GuestPhysAddr{size}, file.fd(), 4096), HostError);
    EXPECT_THROW(memory.map_file(GuestPhysAddr{size - 4096}, file.fd(), 8192), HostError);
    EXPECT_THROW(memory.map_file(GuestPhysAddr{UINT64_MAX - 4095}, file.fd(), 8192), HostError);
    EXPECT_THROW(memory.map_file(GuestPhysAddr{0}, -1, 4096), HostError);           // mmap fails
    EXPECT_NO_THROW(memory.map_file(GuestPhysAddr{size - 4096}, file.fd(), 4096));  // the last page
    EXPECT_EQ(memory.read<uint8_t>(GuestPhysAddr{size - 4096 + 1}), file.contents()[1]);
}

TEST(GuestMemory, LargeReservationIsLazy) {
    // 16 GiB reserved; only the touched pages cost anything.
    try {
        GuestMemory memory(16ull << 30);
        EXPECT_TRUE(memory.write<uint64_t>(GuestPhysAddr{(16ull << 30) - 8}, 42));
        EXPECT_EQ(memory.read<uint64_t>(GuestPhysAddr{(16ull << 30) - 8}), 42u);
    } catch (const HostError& e) {
        GTEST_SKIP() << e.what();
    }
}

}  // namespace
