// TCP checksum offload's two halves (kernel/drivers/tcp_checksum.cpp: the guest's
// prepare_partial, and complete, which ehyve runs for user-mode networking) against a
// plain RFC 1071 checksum computed here.
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/tcp_checksum.hpp"

namespace {

namespace tcp_checksum = eremite::tcp_checksum;

uint16_t rfc1071(const std::vector<uint8_t>& bytes) {
    uint32_t sum = 0;
    for (size_t i = 0; i < bytes.size(); i += 2)
        sum += uint32_t{bytes[i]} << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// An Ethernet frame with an IPv4 or IPv6 header and a TCP segment of `payload` bytes,
// its TCP checksum computed the textbook way.
std::vector<uint8_t> tcp_frame(bool ipv6, size_t payload) {
    std::vector<uint8_t> frame(14, 0);
    frame[12] = ipv6 ? 0x86 : 0x08;
    frame[13] = ipv6 ? 0xdd : 0x00;
    const size_t tcp_length = 20 + payload;
    std::vector<uint8_t> pseudo;
    if (ipv6) {
        std::vector<uint8_t> ip(40, 0);
        ip[0] = 0x60;
        ip[4] = static_cast<uint8_t>(tcp_length >> 8);
        ip[5] = static_cast<uint8_t>(tcp_length);
        ip[6] = 6;
        ip[7] = 64;
        for (int i = 0; i < 16; ++i)
            ip[8 + i] = static_cast<uint8_t>(0xfd + i), ip[24 + i] = static_cast<uint8_t>(i * 7);
        frame.insert(frame.end(), ip.begin(), ip.end());
        pseudo.assign(ip.begin() + 8, ip.begin() + 40);
        pseudo.insert(pseudo.end(),
                      {0, 0, static_cast<uint8_t>(tcp_length >> 8), static_cast<uint8_t>(tcp_length), 0, 0, 0, 6});
    } else {
        std::vector<uint8_t> ip = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 77, 0, 2, 10, 77, 0, 1};
        const size_t total = 20 + tcp_length;
        ip[2] = static_cast<uint8_t>(total >> 8);
        ip[3] = static_cast<uint8_t>(total);
        frame.insert(frame.end(), ip.begin(), ip.end());
        pseudo.assign(ip.begin() + 12, ip.begin() + 20);
        pseudo.insert(pseudo.end(), {0, 6, static_cast<uint8_t>(tcp_length >> 8), static_cast<uint8_t>(tcp_length)});
    }
    std::vector<uint8_t> tcp(tcp_length, 0);
    tcp[0] = 0x1f, tcp[1] = 0x90, tcp[2] = 0xc3, tcp[3] = 0x50, tcp[12] = 0x50, tcp[13] = 0x18;
    for (size_t i = 20; i < tcp_length; ++i) tcp[i] = static_cast<uint8_t>(i * 31 + 7);
    std::vector<uint8_t> covered = pseudo;
    covered.insert(covered.end(), tcp.begin(), tcp.end());
    uint16_t checksum = rfc1071(covered);
    tcp[16] = static_cast<uint8_t>(checksum >> 8);
    tcp[17] = static_cast<uint8_t>(checksum);
    frame.insert(frame.end(), tcp.begin(), tcp.end());
    return frame;
}

class TcpChecksum : public ::testing::TestWithParam<std::tuple<bool, size_t>> {};

TEST_P(TcpChecksum, ChecksTheWholeSegment) {
    auto [ipv6, payload] = GetParam();
    std::vector<uint8_t> frame = tcp_frame(ipv6, payload);
    EXPECT_TRUE(tcp_checksum::valid(frame.data(), frame.size()));
    frame[frame.size() - 1] ^= 0x40;  // one bit of data on the way
    EXPECT_FALSE(tcp_checksum::valid(frame.data(), frame.size()));
}

TEST_P(TcpChecksum, PartialThenCompletedGivesTheChecksum) {
    auto [ipv6, payload] = GetParam();
    const std::vector<uint8_t> expected = tcp_frame(ipv6, payload);
    std::vector<uint8_t> frame = expected;
    const size_t field = (ipv6 ? 14 + 40 : 14 + 20) + 16;
    frame[field] = frame[field + 1] = 0;  // what lwIP leaves for the device
    uint16_t start = 0, offset = 0;
    ASSERT_TRUE(tcp_checksum::prepare_partial(frame.data(), frame.size(), start, offset));
    EXPECT_EQ(start, field - 16);
    EXPECT_EQ(offset, 16);
    tcp_checksum::complete(frame.data(), frame.size(), start, offset);  // what the device does
    EXPECT_EQ(frame, expected);
}

INSTANTIATE_TEST_SUITE_P(Frames, TcpChecksum,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(size_t{0}, size_t{1}, size_t{1460}, size_t{8191})));

TEST(TcpChecksumFrames, CompletedZeroIsWrittenAsAllOnes) {
    std::vector<uint8_t> words = {0xff, 0xff, 0, 0};  // sums to 0xffff: its complement is 0
    tcp_checksum::complete(words.data(), words.size(), 0, 2);
    EXPECT_EQ(words[2], 0xff);
    EXPECT_EQ(words[3], 0xff);
}

TEST(TcpChecksumFrames, LeavesOtherFramesAlone) {
    std::vector<uint8_t> frame = tcp_frame(false, 100);
    uint16_t start, offset;
    std::vector<uint8_t> udp = frame;
    udp[14 + 9] = 17;  // UDP: the stack's own checksum stands
    EXPECT_FALSE(tcp_checksum::prepare_partial(udp.data(), udp.size(), start, offset));
    EXPECT_TRUE(tcp_checksum::valid(udp.data(), udp.size()));
    std::vector<uint8_t> fragment = frame;
    fragment[14 + 6] = 0x20;  // more fragments follow
    EXPECT_FALSE(tcp_checksum::prepare_partial(fragment.data(), fragment.size(), start, offset));
    EXPECT_FALSE(tcp_checksum::valid(fragment.data(), fragment.size()));  // TCP it cannot check
    // IPv6 TCP behind a fragment header: not checkable either; ICMPv6 behind hop-by-hop
    // options (MLD) passes to the stack, which checks it.
    std::vector<uint8_t> v6 = tcp_frame(true, 8);
    v6[14 + 6] = 44;
    v6.insert(v6.begin() + 14 + 40, {6, 0, 0, 1, 0, 0, 0, 1});
    EXPECT_FALSE(tcp_checksum::valid(v6.data(), v6.size()));
    std::vector<uint8_t> mld = tcp_frame(true, 8);
    mld[14 + 6] = 0;
    mld.insert(mld.begin() + 14 + 40, {58, 0, 5, 2, 0, 0, 1, 0});
    EXPECT_TRUE(tcp_checksum::valid(mld.data(), mld.size()));
    std::vector<uint8_t> arp = frame;
    arp[12] = 0x08, arp[13] = 0x06;
    EXPECT_FALSE(tcp_checksum::prepare_partial(arp.data(), arp.size(), start, offset));
    // A length field beyond the frame: nothing is read or written past its end, and the
    // TCP it claims to carry does not pass.
    std::vector<uint8_t> truncated(frame.begin(), frame.begin() + 60);
    EXPECT_FALSE(tcp_checksum::prepare_partial(truncated.data(), truncated.size(), start, offset));
    EXPECT_FALSE(tcp_checksum::valid(truncated.data(), truncated.size()));
}

}  // namespace
