// Sockets as open files: what every address family implements (AF_UNIX here; AF_INET
// and AF_INET6 join with the TCP/IP stack), and the options every socket keeps. The
// syscalls (linux/sockets.cpp) copy addresses and options between the app and the
// kernel; a family sees only kernel memory, but for the data, which moves through an
// fs::IoBuffer as for any file.
#pragma once

#include <stdint.h>

#include "fs/file.hpp"

namespace eremite::net {

// include/linux/socket.h and include/uapi/linux/net.h
inline constexpr int af_unix = 1, af_inet = 2, af_inet6 = 10;
inline constexpr int sock_stream = 1, sock_dgram = 2, sock_seqpacket = 5;
inline constexpr uint32_t msg_oob = 0x1, msg_peek = 0x2, msg_ctrunc = 0x8, msg_trunc = 0x20, msg_dontwait = 0x40,
                          msg_eor = 0x80, msg_waitall = 0x100, msg_nosignal = 0x4000, msg_cmsg_cloexec = 0x40000000;
inline constexpr int shut_rd = 0, shut_wr = 1, shut_rdwr = 2;

// A socket address in kernel memory (sockaddr_storage: at most 128 bytes).
struct SocketAddress {
    static constexpr uint32_t capacity = 128;
    uint8_t bytes[capacity];
    uint32_t length = 0;
    uint16_t family() const { return length >= 2 ? static_cast<uint16_t>(bytes[0] | bytes[1] << 8) : 0; }
};

class Socket : public fs::File {
public:
    Socket(int family, int type, uint32_t flags);

    bool is_socket() const override { return true; }
    int family() const { return family_; }
    int type() const { return type_; }
    // Each kind of socket has an inode of its own in sockfs, as fstat shows.
    uint64_t inode() const { return inode_; }

    virtual Result<void> bind(const SocketAddress& address);
    virtual Result<void> listen(int backlog);
    // A new connected socket from the queue of a listening one (`flags`: o_nonblock for
    // the new one), and the peer's address.
    virtual Result<fs::Ref<Socket>> accept(uint32_t flags, SocketAddress& peer);
    virtual Result<void> connect(const SocketAddress& address);
    // Sends or receives at most `length` bytes; `to`/`from` may be null. For message
    // sockets one call is one message; `truncated` says the message was longer.
    virtual Result<uint64_t> send(const fs::IoBuffer& data, uint64_t length, uint32_t flags,
                                  const SocketAddress* to) = 0;
    virtual Result<uint64_t> receive(const fs::IoBuffer& data, uint64_t length, uint32_t flags, SocketAddress* from,
                                     bool& truncated) = 0;
    virtual Result<void> shutdown(int how);
    virtual Result<void> local_name(SocketAddress& address);
    virtual Result<void> peer_name(SocketAddress& address);
    // Whether send/receive keep message boundaries (datagram and seqpacket sockets).
    bool keeps_boundaries() const { return type_ != sock_stream; }

    // read/write are receive/send without flags and addresses.
    Result<uint64_t> read(const fs::IoBuffer& buffer, uint64_t length, uint64_t& position) override;
    Result<uint64_t> write(const fs::IoBuffer& buffer, uint64_t length, uint64_t& position) override;
    Result<fs::Attributes> attributes() override;
    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override;

    // SOL_SOCKET options (others: ENOPROTOOPT), values in kernel memory; get_option
    // returns the length written (at most `capacity`).
    virtual Result<void> set_option(int level, int name, const void* value, uint32_t length);
    virtual Result<uint32_t> get_option(int level, int name, void* value, uint32_t capacity);

    // Pending error for SO_ERROR (taken by reading it); listening for SO_ACCEPTCONN.
    virtual int take_error() { return 0; }
    virtual bool listening() const { return false; }

protected:
    // The timeouts set with SO_RCVTIMEO/SO_SNDTIMEO as TSC deadlines from now (0: none).
    uint64_t receive_deadline() const;
    uint64_t send_deadline() const;
    uint32_t send_buffer() const { return send_buffer_; }
    bool reuse_address() const { return reuse_address_; }
    uint32_t receive_buffer() const { return receive_buffer_; }

private:
    int family_, type_;
    uint64_t inode_;
    uint32_t send_buffer_ = 212992, receive_buffer_ = 212992;  // net.core.[wr]mem_default
    uint64_t receive_timeout_ns_ = 0, send_timeout_ns_ = 0;
    bool reuse_address_ = false, reuse_port_ = false, keep_alive_ = false, pass_credentials_ = false;
    int32_t linger_on_ = 0, linger_seconds_ = 0;
};

}  // namespace eremite::net
