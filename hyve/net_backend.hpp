// Where the frames of ehyve's virtio-net device go on the host (--net):
// - `tap:NAME`: a TAP device. Opened with IFF_VNET_HDR and a 12-byte header, which is
//   exactly virtio 1.x's virtio_net_hdr, so frames pass between guest RAM and the host
//   kernel in one readv/writev each, without a copy in ehyve.
// - `user`: user-mode networking without root. libslirp needs glib, which Debian ships
//   only as a shared library, and ehyve is static; so the helper ehyve-net-user
//   (hyve/net_user/) runs it in a process of its own, one Ethernet frame per message on
//   a SOCK_SEQPACKET socket pair, and ehyve adds or strips the virtio header.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "eremite/virtio.hpp"
#include "file_descriptor.hpp"

namespace ehyve {

inline constexpr uint32_t virtio_net_header_size = eremite::virtio_spec::net_header_size;
// Pieces of guest memory one frame may come in; the device drops chains with more.
inline constexpr size_t max_frame_pieces = 64;

class NetBackend {
public:
    virtual ~NetBackend() = default;
    // Polled for readable (frames waiting) and, after a refused send, writable.
    virtual int fd() const = 0;
    // One frame out: `pieces` (at most max_frame_pieces) start with the guest's
    // virtio_net_hdr, which the back-end replaces with an all-zero one: the guest
    // negotiated no offloads, so nothing it writes there may reach the host. False when the host
    // cannot take it now (try again once fd() is writable); a frame the host refuses for
    // good is dropped (true), as a NIC drops what the wire refuses.
    virtual bool send(std::span<const iovec> pieces) = 0;
    // One frame in, into `pieces` (at most max_frame_pieces; the header may span several).
    // Returns the bytes written
    // with the header, 0 when no frame waits, -1 when the back-end is gone.
    virtual ssize_t receive(std::span<const iovec> pieces) = 0;
    virtual std::string describe() const = 0;
    // The MTU the host side uses (a TAP device's), or 0 when it has none of its own.
    virtual uint16_t host_mtu() const { return 0; }
};

// Throws HostError with a one-line reason (no /dev/net/tun, no permission, not a TAP).
std::unique_ptr<NetBackend> open_tap(const std::string& name);

struct UserNetwork {
    std::string helper;                 // path of ehyve-net-user
    std::vector<std::string> forwards;  // PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT, as given
    uint16_t mtu = 1500;
};
// Starts the helper and waits until it reports that every forward listens; throws
// HostError when it cannot start (its own one-line reason is on stderr already).
std::unique_ptr<NetBackend> start_user_network(const UserNetwork& network);

}  // namespace ehyve
