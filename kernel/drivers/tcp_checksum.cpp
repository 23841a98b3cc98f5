#include "drivers/tcp_checksum.hpp"

namespace eremite::tcp_checksum {
namespace {

constexpr uint16_t type_ipv4 = 0x0800, type_ipv6 = 0x86dd;
constexpr uint8_t protocol_tcp = 6;
constexpr size_t ethernet_header = 14, checksum_field = 16;

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// The ones' complement sum of big-endian 16-bit words (a last odd byte padded with 0).
uint64_t sum(const uint8_t* p, size_t length) {
    uint64_t total = 0;
    size_t i = 0;
    for (; i + 1 < length; i += 2) total += load16(p + i);
    if (i < length) total += uint32_t{p[i]} << 8;
    return total;
}

uint16_t fold(uint64_t total) {
    while (total >> 16) total = (total & 0xffff) + (total >> 16);
    return static_cast<uint16_t>(total);
}

}  // namespace

bool find_segment(const uint8_t* frame, size_t length, Segment& segment) {
    if (length < ethernet_header) return false;
    const uint8_t* ip = frame + ethernet_header;
    const size_t ip_bytes = length - ethernet_header;
    const uint16_t type = load16(frame + 12);
    if (type == type_ipv4 && ip_bytes >= 20) {
        const size_t header = (ip[0] & 0xfu) * 4;
        const size_t total = load16(ip + 2);
        if ((ip[0] >> 4) != 4 || ip[9] != protocol_tcp || header < 20) return false;
        if (load16(ip + 6) & 0x3fff) return false;  // a fragment: the segment is not all here
        if (total > ip_bytes || total < header + 20) return false;
        segment.start = ethernet_header + header;
        segment.length = total - header;
        segment.pseudo_header_sum = static_cast<uint32_t>(sum(ip + 12, 8) + protocol_tcp + segment.length);
        return true;
    }
    if (type == type_ipv6 && ip_bytes >= 40) {
        // TCP right after the fixed header: lwIP puts no extension header before it.
        const size_t payload = load16(ip + 4);
        if ((ip[0] >> 4) != 6 || ip[6] != protocol_tcp || payload < 20 || payload + 40 > ip_bytes) return false;
        segment.start = ethernet_header + 40;
        segment.length = payload;
        segment.pseudo_header_sum = static_cast<uint32_t>(sum(ip + 8, 32) + protocol_tcp + segment.length);
        return true;
    }
    return false;
}

void complete(uint8_t* frame, size_t length, size_t start, size_t offset) {
    uint16_t checksum = static_cast<uint16_t>(~fold(sum(frame + start, length - start)));
    if (checksum == 0) checksum = 0xffff;
    frame[start + offset] = static_cast<uint8_t>(checksum >> 8);
    frame[start + offset + 1] = static_cast<uint8_t>(checksum);
}

bool prepare_partial(uint8_t* frame, size_t length, uint16_t& checksum_start, uint16_t& checksum_offset) {
    Segment segment;
    if (!find_segment(frame, length, segment)) return false;
    const uint16_t partial = fold(segment.pseudo_header_sum);
    frame[segment.start + checksum_field] = static_cast<uint8_t>(partial >> 8);
    frame[segment.start + checksum_field + 1] = static_cast<uint8_t>(partial);
    checksum_start = static_cast<uint16_t>(segment.start);
    checksum_offset = checksum_field;
    return true;
}

namespace {

// TCP this driver cannot check (it arrives in fragments, or behind IPv6 extension
// headers): the stack checks no TCP checksum on the interface, so it must not pass.
bool uncheckable_tcp(const uint8_t* frame, size_t length) {
    if (length < ethernet_header) return false;
    const uint8_t* ip = frame + ethernet_header;
    const size_t ip_bytes = length - ethernet_header;
    const uint16_t type = load16(frame + 12);
    if (type == type_ipv4 && ip_bytes >= 20) return ip[9] == protocol_tcp;
    if (type != type_ipv6 || ip_bytes < 40) return false;
    // Walk the extension headers (hop-by-hop 0, routing 43, fragment 44, destination
    // options 60) to the protocol behind them.
    uint8_t next = ip[6];
    size_t at = 40;
    for (int headers = 0; headers < 8; ++headers) {
        if (next != 0 && next != 43 && next != 44 && next != 60) return next == protocol_tcp;
        if (at + 8 > ip_bytes) return false;
        size_t header_length = next == 44 ? 8 : (size_t{ip[at + 1]} + 1) * 8;
        next = ip[at];
        at += header_length;
    }
    return false;
}

}  // namespace

bool valid(const uint8_t* frame, size_t length) {
    Segment segment;
    if (!find_segment(frame, length, segment)) return !uncheckable_tcp(frame, length);
    return fold(segment.pseudo_header_sum + sum(frame + segment.start, segment.length)) == 0xffff;
}

}  // namespace eremite::tcp_checksum
