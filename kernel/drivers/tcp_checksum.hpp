// TCP checksums in Ethernet frames, for a device that computes them (virtio-net's
// VIRTIO_NET_F_CSUM): the stack leaves a TCP segment's checksum out, the driver puts the
// pseudo-header's sum in its place and tells the device where the rest goes (Linux's
// CHECKSUM_PARTIAL); on receipt the driver checks the whole checksum itself, because
// the stack no longer does for that interface (its own looped-back segments carry none).
// Pure functions over bytes, shared with ehyve (which completes partial checksums for
// user-mode networking) and unit-tested on the host.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::tcp_checksum {

// Where the TCP segment of an IPv4 (not fragmented) or IPv6 frame lies, and the
// unfolded sum of its pseudo-header; false for any other frame.
struct Segment {
    size_t start;   // offset of the TCP header in the frame
    size_t length;  // TCP header and data
    uint32_t pseudo_header_sum;
};
bool find_segment(const uint8_t* frame, size_t length, Segment& segment);

// Writes the pseudo-header's folded sum into the segment's checksum field (the device
// adds the segment and stores the complement). Returns false for a frame without TCP.
bool prepare_partial(uint8_t* frame, size_t length, uint16_t& checksum_start, uint16_t& checksum_offset);

// What a device does with a partial checksum (NEEDS_CSUM) in a whole frame: the
// Internet checksum (RFC 1071) of frame[start..length) goes to frame[start + offset],
// big-endian, 0xffff for 0 (as Linux: 0 means "none" for UDP). The caller checked that
// start + offset + 2 <= length.
void complete(uint8_t* frame, size_t length, size_t start, size_t offset);

// Whether a received frame's TCP checksum is right: true for frames without TCP, false
// for TCP it cannot check (IP fragments, IPv6 extension headers; senders avoid both).
bool valid(const uint8_t* frame, size_t length);

}  // namespace eremite::tcp_checksum
