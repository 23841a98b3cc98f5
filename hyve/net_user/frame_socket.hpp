// The helper's end of the frame socket: an AF_UNIX SOCK_SEQPACKET socket inherited from
// ehyve, one raw Ethernet frame per message in each direction (destination MAC first, no
// virtio-net header, no FCS). SOCK_SEQPACKET keeps message boundaries, so a frame is
// never split or merged, and reports ehyve's end closing as end of file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "file_descriptor.hpp"

namespace ehyve::net_user {

inline constexpr size_t ethernet_header_size = 14;  // destination, source, EtherType
inline constexpr size_t vlan_tag_size = 4;          // an 802.1Q tag after the source MAC

class FrameSocket {
public:
    // Takes ownership of `fd`. Throws HostError unless it is an AF_UNIX SOCK_SEQPACKET
    // socket. Frames longer than mtu + header (+ a VLAN tag) are refused on receipt.
    FrameSocket(int fd, size_t mtu);

    int fd() const { return fd_.get(); }

    // The one-byte "ready" message (value 0). False when ehyve has gone away.
    bool send_ready();

    // Sends one frame as one message, without blocking. When the socket buffer is full
    // (ehyve is not draining: the guest has posted no receive buffers) the frame is
    // dropped, as a NIC drops frames when its receive ring is full. Blocking instead could
    // deadlock: ehyve may itself be blocked sending us a frame while we wait here, and
    // every protocol slirp speaks already recovers from loss (TCP retransmits, DHCP and
    // DNS retry). A peer that has gone away is found by the event loop (hang-up).
    void send_frame(std::span<const uint8_t> frame);

    enum class Receipt {
        frame,    // a well-formed frame is in the buffer
        dropped,  // a message was read and dropped (too short or too long)
        empty,    // nothing queued now
        closed,   // ehyve closed its end, or the socket failed
    };
    // Reads one message without blocking; on Receipt::frame, `frame` is the frame inside
    // the receive buffer, valid until the next call.
    Receipt receive(std::span<const uint8_t>& frame);

private:
    bool peer_closed() const;

    FileDescriptor fd_;
    size_t maximum_frame_size_;
    std::vector<uint8_t> buffer_;  // one frame of the largest size allowed
};

}  // namespace ehyve::net_user
