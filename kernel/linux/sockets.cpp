// The socket syscalls (net/socket.hpp): descriptors, addresses, messages and options
// between the app and the kernel. AF_UNIX is served (net/unix_socket.hpp); AF_INET and
// AF_INET6 wait for the TCP/IP stack and are EAFNOSUPPORT until then, as for a kernel
// built without IP.
#include "fs/pipe.hpp"
#include "fs/vfs.hpp"
#include "lib/log.hpp"
#include "linux/file_syscalls.hpp"
#include "mm/memory.hpp"
#include "net/tcp_socket.hpp"
#include "net/udp_socket.hpp"
#include "net/unix_socket.hpp"

namespace eremite::linux {
namespace {

using fs::IoBuffer;
using fs::Ref;
using net::Socket;
using net::SocketAddress;

constexpr uint64_t sock_type_mask = 0xf;
constexpr uint64_t sock_flags = fs::o_nonblock | fs::o_cloexec;  // SOCK_NONBLOCK, SOCK_CLOEXEC
constexpr uint64_t iovec_max = 1024;                             // UIO_MAXIOV
constexpr uint64_t message_max = 212992;                         // the most one datagram can carry (wmem_default)

struct Iovec {
    uint64_t base, length;
};
// struct msghdr and struct mmsghdr on x86-64.
struct MessageHeader {
    uint64_t name;
    uint32_t name_length;
    uint32_t pad0;
    uint64_t iov;
    uint64_t iov_length;
    uint64_t control;
    uint64_t control_length;
    int32_t flags;
    uint32_t pad1;
};
static_assert(sizeof(MessageHeader) == 56);
struct MultiMessageHeader {
    MessageHeader header;
    uint32_t length;
    uint32_t pad;
};
static_assert(sizeof(MultiMessageHeader) == 64);

Result<Ref<Socket>> socket_of(int32_t fd) {
    Ref<fs::File> file = TRY(fs::file_of(fd));
    if (!file->is_socket()) return error(Errno::enotsock);
    return Ref<Socket>(static_cast<Socket*>(file.get()));
}

Result<SocketAddress> read_address(const void* app_address, uint64_t length) {
    if (static_cast<int64_t>(static_cast<int32_t>(length)) < 0 || length > SocketAddress::capacity)
        return error(Errno::einval);
    SocketAddress address;
    address.length = static_cast<uint32_t>(length);
    if (length && !copy_from_app(address.bytes, app_address, length)) return error(Errno::efault);
    return address;
}

// Copies an address out as Linux's move_addr_to_user: at most what the app's length
// allows, and the full length into it.
Result<void> write_address(void* app_address, void* app_length, const SocketAddress& address) {
    if (!app_address) return {};
    int32_t room;
    if (!read_app(room, app_length)) return error(Errno::efault);
    if (room < 0) return error(Errno::einval);
    uint32_t copy = min<uint32_t>(static_cast<uint32_t>(room), address.length);
    if (copy && !copy_to_app(app_address, address.bytes, copy)) return error(Errno::efault);
    if (!write_app(app_length, static_cast<int32_t>(address.length))) return error(Errno::efault);
    return {};
}

Result<Ref<Socket>> make_socket(int64_t domain, uint64_t type, int64_t protocol) {
    if (type & ~(sock_type_mask | sock_flags)) return error(Errno::einval);
    int kind = static_cast<int>(type & sock_type_mask);
    uint32_t flags = static_cast<uint32_t>(type & sock_flags);
    switch (domain) {
        case net::af_unix:
            if (protocol != 0 && protocol != net::af_unix) return error(Errno::eprotonosupport);
            return net::make_unix_socket(kind, flags);
        case net::af_inet:
        case net::af_inet6: {
            constexpr int64_t ipproto_tcp = 6, ipproto_udp = 17;
            if (kind == net::sock_dgram) {
                if (protocol != 0 && protocol != ipproto_udp) return error(Errno::eprotonosupport);
                return net::make_udp_socket(static_cast<int>(domain), flags);
            }
            if (kind == net::sock_stream) {
                if (protocol != 0 && protocol != ipproto_tcp) return error(Errno::eprotonosupport);
                return net::make_tcp_socket(static_cast<int>(domain), flags);
            }
            return error(Errno::esocktnosupport);
        }
        default: return error(Errno::eafnosupport);
    }
}

int64_t install(const Ref<Socket>& socket, uint64_t flags) {
    return result_of(fs::install_fd(Ref<fs::File>(socket.get()), flags & fs::o_cloexec));
}

// The iovecs of a message, checked as Linux's import_iovec.
Result<uint64_t> read_iovecs(const MessageHeader& header, Iovec* vectors) {
    if (header.iov_length > iovec_max) return error(Errno::emsgsize);
    if (header.iov_length &&
        !copy_from_app(vectors, reinterpret_cast<const void*>(header.iov), header.iov_length * sizeof(Iovec)))
        return error(Errno::efault);
    uint64_t total = 0;
    for (uint64_t i = 0; i < header.iov_length; ++i) {
        if (static_cast<int64_t>(vectors[i].length) < 0) return error(Errno::einval);
        total += vectors[i].length;
        if (total > 0x7ffff000) return error(Errno::einval);  // MAX_RW_COUNT
    }
    return total;
}

// One message out: a stream socket takes the vectors one by one, a message socket one
// gathered message.
Result<uint64_t> send_message(Socket& socket, const MessageHeader& header, uint32_t flags) {
    if (header.control_length) return error(Errno::eopnotsupp);  // no SCM_RIGHTS/SCM_CREDENTIALS yet
    SocketAddress to;
    bool addressed = header.name && header.name_length;
    if (addressed) to = TRY(read_address(reinterpret_cast<const void*>(header.name), header.name_length));
    Iovec* vectors = new Iovec[header.iov_length ? header.iov_length : 1];
    if (!vectors) return error(Errno::enomem);
    struct Release {
        Iovec* v;
        ~Release() { delete[] v; }
    } release{vectors};
    uint64_t total = TRY(read_iovecs(header, vectors));
    if (!socket.keeps_boundaries()) {
        uint64_t done = 0;
        for (uint64_t i = 0; i < header.iov_length; ++i) {
            if (!vectors[i].length) continue;
            auto sent = socket.send(IoBuffer::app(reinterpret_cast<void*>(vectors[i].base)), vectors[i].length, flags,
                                    addressed ? &to : nullptr);
            if (!sent.ok()) return done ? Result<uint64_t>(done) : sent;
            done += sent.value();
            if (sent.value() < vectors[i].length) break;
        }
        if (!done && !total) return socket.send(IoBuffer::kernel(&total), 0, flags, addressed ? &to : nullptr);
        return done;
    }
    if (total > message_max) return error(Errno::emsgsize);
    auto* gathered = static_cast<uint8_t*>(mm::allocate(total ? total : 1));
    if (!gathered) return error(Errno::enobufs);
    struct Free {
        uint8_t* p;
        ~Free() { mm::free(p); }
    } free_gathered{gathered};
    uint64_t at = 0;
    for (uint64_t i = 0; i < header.iov_length; ++i) {
        if (vectors[i].length &&
            !copy_from_app(gathered + at, reinterpret_cast<const void*>(vectors[i].base), vectors[i].length))
            return error(Errno::efault);
        at += vectors[i].length;
    }
    return socket.send(IoBuffer::kernel(gathered), total, flags, addressed ? &to : nullptr);
}

// One message in; fills the header's name length, control length and flags.
Result<uint64_t> receive_message(Socket& socket, MessageHeader& header, uint32_t flags) {
    Iovec* vectors = new Iovec[header.iov_length ? header.iov_length : 1];
    if (!vectors) return error(Errno::enomem);
    struct Release {
        Iovec* v;
        ~Release() { delete[] v; }
    } release{vectors};
    uint64_t total = TRY(read_iovecs(header, vectors));
    SocketAddress from;
    bool truncated = false;
    uint64_t got = 0;
    if (!socket.keeps_boundaries()) {
        for (uint64_t i = 0; i < header.iov_length; ++i) {
            if (!vectors[i].length) continue;
            bool cut;
            // After the first piece, take only what is there (a stream read returns what it has).
            uint32_t piece_flags = got ? (flags | net::msg_dontwait) & ~net::msg_waitall : flags;
            auto r = socket.receive(IoBuffer::app(reinterpret_cast<void*>(vectors[i].base)), vectors[i].length,
                                    piece_flags, got ? nullptr : &from, cut);
            if (!r.ok()) {
                if (got) break;
                return r;
            }
            got += r.value();
            if (r.value() < vectors[i].length) break;
        }
    } else {
        uint64_t room = min(total, message_max);
        auto* scattered = static_cast<uint8_t*>(mm::allocate(room ? room : 1));
        if (!scattered) return error(Errno::enobufs);
        struct Free {
            uint8_t* p;
            ~Free() { mm::free(p); }
        } free_scattered{scattered};
        // With MSG_TRUNC the result is the message's whole length, as on Linux.
        auto r = socket.receive(IoBuffer::kernel(scattered), room, flags, &from, truncated);
        if (!r.ok()) return r;
        uint64_t length = min(r.value(), room);  // what was copied
        uint64_t at = 0;
        for (uint64_t i = 0; i < header.iov_length && at < length; ++i) {
            uint64_t piece = min(vectors[i].length, length - at);
            if (piece && !copy_to_app(reinterpret_cast<void*>(vectors[i].base), scattered + at, piece))
                return error(Errno::efault);
            at += piece;
        }
        got = r.value();
    }
    header.flags = truncated ? static_cast<int32_t>(net::msg_trunc) : 0;
    header.control_length = 0;
    if (header.name) {
        uint32_t copy = min(header.name_length, from.length);
        if (copy && !copy_to_app(reinterpret_cast<void*>(header.name), from.bytes, copy)) return error(Errno::efault);
        header.name_length = from.length;
    } else {
        header.name_length = 0;
    }
    return got;
}

}  // namespace

int64_t sys_socket(const SyscallArgs& args) {
    auto socket = make_socket(args.integer(0), args[1], args.integer(2));
    if (!socket.ok()) return failure(socket.error_code());
    return install(socket.value(), args[1]);
}

int64_t sys_socketpair(const SyscallArgs& args) {
    int64_t domain = args.integer(0);
    uint64_t type = args[1];
    if (type & ~(sock_type_mask | sock_flags)) return failure(Errno::einval);
    if (domain == net::af_inet || domain == net::af_inet6) return failure(Errno::eopnotsupp);
    if (domain != net::af_unix) return failure(Errno::eafnosupport);
    if (args.integer(2) != 0 && args.integer(2) != net::af_unix) return failure(Errno::eprotonosupport);
    auto pair = net::make_unix_pair(static_cast<int>(type & sock_type_mask), static_cast<uint32_t>(type & sock_flags));
    if (!pair.ok()) return failure(pair.error_code());
    int64_t first = install(pair.value().first, type);
    if (first < 0) return first;
    int64_t second = install(pair.value().second, type);
    if (second < 0) {
        (void)fs::close_fd(static_cast<int32_t>(first));
        return second;
    }
    int32_t fds[2] = {static_cast<int32_t>(first), static_cast<int32_t>(second)};
    if (!copy_to_app(args.pointer<void>(3), fds, sizeof fds)) {
        (void)fs::close_fd(fds[0]);
        (void)fs::close_fd(fds[1]);
        return failure(Errno::efault);
    }
    return 0;
}

namespace {

// bind and connect: an address in, nothing out.
int64_t address_syscall(const SyscallArgs& args, Result<void> (Socket::*operation)(const SocketAddress&)) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    auto address = read_address(args.pointer<const void>(1), args[2]);
    if (!address.ok()) return failure(address.error_code());
    return result_of((socket.value().get()->*operation)(address.value()));
}

}  // namespace

int64_t sys_bind(const SyscallArgs& args) { return address_syscall(args, &Socket::bind); }

int64_t sys_listen(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    return result_of(socket.value()->listen(args.integer(1)));
}

namespace {

int64_t accept_with(int32_t fd, void* app_address, void* app_length, uint64_t flags) {
    if (flags & ~sock_flags) return failure(Errno::einval);
    auto socket = socket_of(fd);
    if (!socket.ok()) return failure(socket.error_code());
    SocketAddress peer;
    auto accepted = socket.value()->accept(static_cast<uint32_t>(flags), peer);
    if (!accepted.ok()) return failure(accepted.error_code());
    auto written = write_address(app_address, app_length, peer);
    if (!written.ok()) return failure(written.error_code());  // Linux: the connection is lost too
    return install(accepted.value(), flags);
}

}  // namespace

int64_t sys_accept(const SyscallArgs& args) {
    return accept_with(args.integer(0), args.pointer<void>(1), args.pointer<void>(2), 0);
}
int64_t sys_accept4(const SyscallArgs& args) {
    return accept_with(args.integer(0), args.pointer<void>(1), args.pointer<void>(2), args[3]);
}

int64_t sys_connect(const SyscallArgs& args) { return address_syscall(args, &Socket::connect); }

int64_t sys_sendto(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    uint64_t length = min<uint64_t>(args[2], 0x7ffff000);
    if (!in_app_half(args.pointer<void>(1), length)) return failure(Errno::efault);
    SocketAddress to;
    bool addressed = args[4] && args[5];
    if (addressed) {
        auto address = read_address(args.pointer<const void>(4), args[5]);
        if (!address.ok()) return failure(address.error_code());
        to = address.value();
    }
    return result_of(socket.value()->send(IoBuffer::app(args.pointer<void>(1)), length, static_cast<uint32_t>(args[3]),
                                          addressed ? &to : nullptr));
}

int64_t sys_recvfrom(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    uint64_t length = min<uint64_t>(args[2], 0x7ffff000);
    if (!in_app_half(args.pointer<void>(1), length)) return failure(Errno::efault);
    SocketAddress from;
    bool truncated;
    auto got = socket.value()->receive(IoBuffer::app(args.pointer<void>(1)), length, static_cast<uint32_t>(args[3]),
                                       &from, truncated);
    if (!got.ok()) return failure(got.error_code());
    auto written = write_address(args.pointer<void>(4), args.pointer<void>(5), from);
    if (!written.ok()) return failure(written.error_code());
    return static_cast<int64_t>(got.value());
}

int64_t sys_sendmsg(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    MessageHeader header;
    if (!read_app(header, args.pointer<const MessageHeader>(1))) return failure(Errno::efault);
    return result_of(send_message(*socket.value(), header, static_cast<uint32_t>(args[2])));
}

int64_t sys_recvmsg(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    auto* app_header = args.pointer<MessageHeader>(1);
    MessageHeader header;
    if (!read_app(header, app_header)) return failure(Errno::efault);
    auto got = receive_message(*socket.value(), header, static_cast<uint32_t>(args[2]));
    if (!got.ok()) return failure(got.error_code());
    if (!write_app(app_header, header)) return failure(Errno::efault);
    return static_cast<int64_t>(got.value());
}

int64_t sys_sendmmsg(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    auto* app_messages = args.pointer<MultiMessageHeader>(1);
    uint64_t count = min<uint64_t>(args[2], iovec_max);  // UIO_MAXIOV messages at most
    uint64_t sent = 0;
    for (; sent < count; ++sent) {
        MultiMessageHeader message;
        if (!read_app(message, app_messages + sent)) break;
        auto done = send_message(*socket.value(), message.header, static_cast<uint32_t>(args[3]));
        if (!done.ok()) {
            if (sent) break;
            return failure(done.error_code());
        }
        message.length = static_cast<uint32_t>(done.value());
        if (!write_app(&app_messages[sent].length, message.length)) break;
    }
    return static_cast<int64_t>(sent);
}

int64_t sys_recvmmsg(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    if (args[4]) {
        // A timeout is checked only between messages on Linux too; here it is not
        // supported: refused rather than ignored.
        return failure(Errno::einval);
    }
    auto* app_messages = args.pointer<MultiMessageHeader>(1);
    uint64_t count = min<uint64_t>(args[2], iovec_max);
    uint32_t flags = static_cast<uint32_t>(args[3]);
    constexpr uint32_t msg_waitforone = 0x10000;
    uint64_t received = 0;
    for (; received < count; ++received) {
        MultiMessageHeader message;
        if (!read_app(message, app_messages + received)) break;
        uint32_t these = flags & ~msg_waitforone;
        if (received && (flags & msg_waitforone)) these |= net::msg_dontwait;
        auto got = receive_message(*socket.value(), message.header, these);
        if (!got.ok()) {
            if (received) break;
            return failure(got.error_code());
        }
        message.length = static_cast<uint32_t>(got.value());
        if (!write_app(app_messages + received, message)) break;
    }
    return static_cast<int64_t>(received);
}

int64_t sys_shutdown(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    return result_of(socket.value()->shutdown(args.integer(1)));
}

namespace {

// getsockname and getpeername: one of the socket's names out to the app.
int64_t name_syscall(const SyscallArgs& args, Result<void> (Socket::*name_of)(SocketAddress&)) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    SocketAddress address;
    auto named = (socket.value().get()->*name_of)(address);
    if (!named.ok()) return failure(named.error_code());
    return result_of(write_address(args.pointer<void>(1), args.pointer<void>(2), address));
}

}  // namespace

int64_t sys_getsockname(const SyscallArgs& args) { return name_syscall(args, &Socket::local_name); }
int64_t sys_getpeername(const SyscallArgs& args) { return name_syscall(args, &Socket::peer_name); }

int64_t sys_setsockopt(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    uint64_t length = args[4];
    if (static_cast<int32_t>(length) < 0) return failure(Errno::einval);
    uint8_t value[64] = {};
    uint32_t copy = static_cast<uint32_t>(min<uint64_t>(length, sizeof value));
    if (copy && !copy_from_app(value, args.pointer<const void>(3), copy)) return failure(Errno::efault);
    return result_of(socket.value()->set_option(args.integer(1), args.integer(2), value, copy));
}

int64_t sys_getsockopt(const SyscallArgs& args) {
    auto socket = socket_of(args.integer(0));
    if (!socket.ok()) return failure(socket.error_code());
    int32_t room;
    if (!read_app(room, args.pointer<const void>(4))) return failure(Errno::efault);
    if (room < 0) return failure(Errno::einval);
    uint8_t value[64] = {};
    auto length = socket.value()->get_option(args.integer(1), args.integer(2), value,
                                             min<uint32_t>(static_cast<uint32_t>(room), sizeof value));
    if (!length.ok()) return failure(length.error_code());
    if (length.value() && !copy_to_app(args.pointer<void>(3), value, length.value())) return failure(Errno::efault);
    if (!write_app(args.pointer<void>(4), static_cast<int32_t>(length.value()))) return failure(Errno::efault);
    return 0;
}

}  // namespace eremite::linux
