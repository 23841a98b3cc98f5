#include "frame_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "error.hpp"

namespace ehyve::net_user {

FrameSocket::FrameSocket(int fd, size_t mtu)
    : fd_(fd), maximum_frame_size_(ethernet_header_size + vlan_tag_size + mtu), buffer_(maximum_frame_size_) {
    const std::string name = "--fd " + std::to_string(fd);
    int domain = 0, type = 0;
    socklen_t size = sizeof(domain);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) < 0) {
        if (errno == EBADF) fail(name + ": not an open file descriptor");
        if (errno == ENOTSOCK) fail(name + ": not a socket");
        fail_errno(name);
    }
    size = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) < 0) fail_errno(name);
    if (domain != AF_UNIX || type != SOCK_SEQPACKET) fail(name + ": not an AF_UNIX SOCK_SEQPACKET socket");
    // Nothing the helper starts should inherit ehyve's frame socket (libslirp can run
    // programs for guest forwards, which the helper does not set up, but still).
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

bool FrameSocket::send_ready() {
    const uint8_t ready = 0;
    for (;;) {
        if (send(fd(), &ready, 1, MSG_NOSIGNAL) == 1) return true;
        if (errno != EINTR) return false;
    }
}

void FrameSocket::send_frame(std::span<const uint8_t> frame) {
    // Every error is a dropped frame: EAGAIN/ENOBUFS is a full buffer (see the header),
    // EPIPE/ECONNRESET a peer that has gone, which the event loop sees as a hang-up.
    // MSG_NOSIGNAL: a closed peer must not kill the helper with SIGPIPE.
    (void)send(fd(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

bool FrameSocket::peer_closed() const {
    pollfd state{fd(), POLLIN | POLLRDHUP, 0};
    return poll(&state, 1, 0) < 0 || (state.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

FrameSocket::Receipt FrameSocket::receive(std::span<const uint8_t>& frame) {
    iovec data{buffer_.data(), buffer_.size()};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    ssize_t size = recvmsg(fd(), &message, MSG_DONTWAIT);
    if (size < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return Receipt::empty;
        return Receipt::closed;
    }
    // SOCK_SEQPACKET reports end of file and an empty message alike, as 0 bytes: only the
    // socket's hang-up state tells them apart.
    if (size == 0) return peer_closed() ? Receipt::closed : Receipt::dropped;
    // A frame the guest could not have sent on this link: shorter than an Ethernet
    // header, or longer than the MTU allows (MSG_TRUNC: it did not fit the buffer).
    if ((message.msg_flags & MSG_TRUNC) != 0 || static_cast<size_t>(size) < ethernet_header_size)
        return Receipt::dropped;
    frame = std::span<const uint8_t>(buffer_.data(), static_cast<size_t>(size));
    return Receipt::frame;
}

}  // namespace ehyve::net_user
