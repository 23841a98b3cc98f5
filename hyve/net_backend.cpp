#include "net_backend.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "drivers/tcp_checksum.hpp"
#include "error.hpp"

extern char** environ;

namespace ehyve {
namespace {

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

// The pieces of a guest chain after its virtio header (at most max_frame_pieces in, so
// at most that many out).
size_t after_header(std::span<const iovec> pieces, iovec* out) {
    size_t skip = virtio_net_header_size, count = 0;
    for (const iovec& piece : pieces) {
        if (count == max_frame_pieces) break;
        if (skip >= piece.iov_len) {
            skip -= piece.iov_len;
            continue;
        }
        out[count++] = {static_cast<uint8_t*>(piece.iov_base) + skip, piece.iov_len - skip};
        skip = 0;
    }
    return count;
}

// Zeroes the header at the start of a guest chain, wherever its pieces split it.
void zero_header(std::span<const iovec> pieces) {
    size_t left = virtio_net_header_size;
    for (const iovec& piece : pieces) {
        if (!left) break;
        size_t n = std::min(left, piece.iov_len);
        std::memset(piece.iov_base, 0, n);
        left -= n;
    }
}

// The guest's virtio_net_hdr (VERSION_1 layout), copied out of its pieces once.
struct GuestHeader {
    uint8_t flags, gso_type;
    uint16_t header_length, gso_size, checksum_start, checksum_offset, buffers;
};
static_assert(sizeof(GuestHeader) == virtio_net_header_size);
constexpr uint8_t header_needs_checksum = eremite::virtio_spec::net_header_needs_checksum;

GuestHeader read_header(std::span<const iovec> pieces) {
    GuestHeader header{};
    auto* into = reinterpret_cast<uint8_t*>(&header);
    size_t done = 0;
    for (const iovec& piece : pieces) {
        size_t n = std::min(piece.iov_len, sizeof header - done);
        std::memcpy(into + done, piece.iov_base, n);
        done += n;
        if (done == sizeof header) break;
    }
    return header;
}

size_t frame_length(std::span<const iovec> pieces) {
    size_t total = 0;
    for (const iovec& piece : pieces) total += piece.iov_len;
    return total - std::min<size_t>(total, virtio_net_header_size);
}

// Whether the guest asks for a checksum the host may compute (VIRTIO_NET_F_CSUM): one
// 16-bit field inside the frame, after the Ethernet header. Anything else it wrote in
// the header is ignored.
bool wants_checksum(const GuestHeader& header, size_t length) {
    return (header.flags & header_needs_checksum) && header.checksum_start >= 14 &&
           size_t{header.checksum_start} + header.checksum_offset + 2 <= length;
}

class Tap final : public NetBackend {
public:
    Tap(FileDescriptor fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
    int fd() const override { return fd_.get(); }

    bool send(std::span<const iovec> pieces) override {
        // Our own header, never the guest's: of what it wrote only a checked checksum
        // request passes (the host kernel completes it); GSO fields and other flags
        // would reach its offload paths.
        GuestHeader guest = read_header(pieces);
        GuestHeader header{};
        if (wants_checksum(guest, frame_length(pieces))) {
            header.flags = header_needs_checksum;
            header.checksum_start = guest.checksum_start;
            header.checksum_offset = guest.checksum_offset;
        }
        iovec frame[max_frame_pieces + 1];
        frame[0] = {&header, virtio_net_header_size};
        size_t count = 1 + after_header(pieces, frame + 1);
        ssize_t n = writev(fd_.get(), frame, static_cast<int>(count));
        return n >= 0 || !would_block();  // EIO (interface down) and the like drop the frame
    }

    ssize_t receive(std::span<const iovec> pieces) override {
        ssize_t n = readv(fd_.get(), pieces.data(), static_cast<int>(pieces.size()));
        if (n >= 0) return n;
        return would_block() || errno == EINTR ? 0 : -1;
    }

    std::string describe() const override { return "tap:" + name_; }

    uint16_t host_mtu() const override {
        FileDescriptor probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        ifreq request{};
        std::memcpy(request.ifr_name, name_.c_str(), std::min(name_.size(), sizeof request.ifr_name - 1));
        if (!probe.valid() || ioctl(probe.get(), SIOCGIFMTU, &request) < 0) return 0;
        return static_cast<uint16_t>(std::clamp(request.ifr_mtu, 0, 65535));
    }

private:
    FileDescriptor fd_;
    std::string name_;
};

// The helper's socket: a frame per message, without the virtio header.
class UserNet final : public NetBackend {
public:
    UserNet(FileDescriptor socket, pid_t helper) : socket_(std::move(socket)), helper_(helper) {}
    ~UserNet() override {
        socket_.reset();  // the helper sees the end of its socket and exits
        int status;
        waitpid(helper_, &status, 0);
    }
    int fd() const override { return socket_.get(); }

    bool send(std::span<const iovec> pieces) override {
        iovec frame[max_frame_pieces];
        size_t count = after_header(pieces, frame);
        // libslirp takes whole frames: a checksum the guest left to the device is
        // computed here, on a copy (the guest's buffer is its own).
        GuestHeader guest = read_header(pieces);
        size_t length = frame_length(pieces);
        if (wants_checksum(guest, length)) {
            copy_.resize(length);
            size_t at = 0;
            for (size_t i = 0; i < count; ++i) {
                std::memcpy(copy_.data() + at, frame[i].iov_base, frame[i].iov_len);
                at += frame[i].iov_len;
            }
            eremite::tcp_checksum::complete(copy_.data(), length, guest.checksum_start, guest.checksum_offset);
            frame[0] = {copy_.data(), length};
            count = 1;
        }
        msghdr message{};
        message.msg_iov = frame;
        message.msg_iovlen = count;
        ssize_t n = sendmsg(socket_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        return n >= 0 || !would_block();
    }

    ssize_t receive(std::span<const iovec> pieces) override {
        zero_header(pieces);  // no offloads: an all-zero header
        iovec frame[max_frame_pieces];
        size_t count = after_header(pieces, frame);
        msghdr message{};
        message.msg_iov = frame;
        message.msg_iovlen = count;
        ssize_t n = recvmsg(socket_.get(), &message, MSG_DONTWAIT);
        if (n > 0) return n + virtio_net_header_size;
        if (n < 0 && (would_block() || errno == EINTR)) return 0;
        return -1;  // the helper is gone
    }

    std::string describe() const override { return "user"; }

private:
    FileDescriptor socket_;
    pid_t helper_;
    std::vector<uint8_t> copy_;
};

}  // namespace

std::unique_ptr<NetBackend> open_tap(const std::string& name) {
    const std::string what = "--net tap:" + name;
    if (name.empty() || name.size() >= IFNAMSIZ) fail(what + ": an interface name has 1 to 15 characters");
    FileDescriptor fd(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) fail_errno(what + ": cannot open /dev/net/tun");
    ifreq request{};
    std::memcpy(request.ifr_name, name.c_str(), name.size());
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (ioctl(fd.get(), TUNSETIFF, &request) < 0) {
        if (errno == EPERM)
            fail(what + ": not allowed to attach to it (create it for this user first: ip tuntap add " + name +
                 " mode tap user $USER)");
        if (errno == EINVAL || errno == EBUSY)
            fail_errno(what + ": cannot attach (not a TAP device, or in use without multi-queue)");
        fail_errno(what + ": cannot attach");
    }
    int header_size = virtio_net_header_size;
    if (ioctl(fd.get(), TUNSETVNETHDRSZ, &header_size) < 0) fail_errno(what + ": TUNSETVNETHDRSZ");
    // The guest negotiates no offloads: the host must hand it whole, checksummed frames.
    if (ioctl(fd.get(), TUNSETOFFLOAD, 0) < 0) fail_errno(what + ": TUNSETOFFLOAD");
    return std::make_unique<Tap>(std::move(fd), name);
}

std::unique_ptr<NetBackend> start_user_network(const UserNetwork& network) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) fail_errno("--net user: socketpair");
    FileDescriptor ours(pair[0]), theirs(pair[1]);

    // The helper gets its end as fd 3 (dup2 clears close-on-exec there); nothing else leaks.
    constexpr int helper_fd = 3;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, theirs.get(), helper_fd);
    std::vector<std::string> arguments = {network.helper, "--fd", std::to_string(helper_fd), "--mtu",
                                          std::to_string(network.mtu)};
    for (const auto& forward : network.forwards) {
        arguments.push_back("--forward");
        arguments.push_back(forward);
    }
    std::vector<char*> argv;
    for (auto& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t pid;
    int error = posix_spawn(&pid, network.helper.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (error) {
        errno = error;
        fail_errno("--net user: cannot start " + network.helper);
    }
    theirs.reset();

    // The ready byte, or the end of the socket when the helper gave up (and said why).
    pollfd wait{ours.get(), POLLIN, 0};
    char ready = 1;
    ssize_t n = -1;
    if (poll(&wait, 1, 10000) == 1) n = recv(ours.get(), &ready, 1, 0);
    if (n != 1 || ready != 0) {
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        fail("--net user: the user-mode network did not start" +
             std::string(n == 0 ? " (the reason is above)" : " (no answer from " + network.helper + ")"));
    }
    if (fcntl(ours.get(), F_SETFL, O_NONBLOCK) < 0) fail_errno("--net user: fcntl");
    return std::make_unique<UserNet>(std::move(ours), pid);
}

}  // namespace ehyve
