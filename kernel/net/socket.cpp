#include "net/socket.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/format.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "time/clock.hpp"

namespace eremite::net {
namespace {

constexpr uint64_t sockfs_device = 0x8;  // st_dev of sockets (sockfs, an anonymous device)
uint64_t next_inode = 0x2000;

// SOL_SOCKET options (include/uapi/asm-generic/socket.h).
constexpr int sol_socket = 1;
constexpr int so_reuseaddr = 2, so_type = 3, so_error = 4, so_sndbuf = 7, so_rcvbuf = 8, so_keepalive = 9,
              so_linger = 13, so_reuseport = 15, so_passcred = 16, so_rcvtimeo = 20, so_sndtimeo = 21,
              so_acceptconn = 30, so_protocol = 38, so_domain = 39;
// net.core.wmem_max / rmem_max, and the floors of sock_setsockopt (SOCK_MIN_SNDBUF/RCVBUF).
constexpr uint32_t buffer_max = 212992, send_buffer_min = 4608, receive_buffer_min = 2304;

struct Timeval {
    int64_t seconds, microseconds;
};
struct Linger {
    int32_t on, seconds;
};

uint64_t deadline_after(uint64_t ns) { return ns ? (arch::read_tsc() + clock::ns_to_ticks(ns)) | 1 : 0; }

Result<uint32_t> put(void* value, uint32_t capacity, const void* from, uint32_t length) {
    length = min(length, capacity);
    memcpy(value, from, length);
    return length;
}

Result<int32_t> integer_of(const void* value, uint32_t length) {
    if (length < sizeof(int32_t)) return error(Errno::einval);
    int32_t result;
    memcpy(&result, value, sizeof result);
    return result;
}

// SO_RCVTIMEO/SO_SNDTIMEO: a timeval; zero means none (sock_set_timeout).
Result<uint64_t> timeout_of(const void* value, uint32_t length) {
    if (length < sizeof(Timeval)) return error(Errno::einval);
    Timeval t;
    memcpy(&t, value, sizeof t);
    if (t.microseconds < 0 || t.microseconds >= 1000000) return error(Errno::edom);
    if (t.seconds < 0) return uint64_t{0};  // Linux: a negative time is "no wait" warning, treated as 0
    // Beyond about three years: as long as no timeout (Linux's MAX_SCHEDULE_TIMEOUT).
    if (t.seconds >= 100'000'000) return uint64_t{0};
    return static_cast<uint64_t>(t.seconds) * 1000000000 + static_cast<uint64_t>(t.microseconds) * 1000;
}

}  // namespace

Socket::Socket(int family, int type, uint32_t flags)
    : File(fs::o_rdwr | (flags & fs::o_nonblock)),
      family_(family),
      type_(type),
      inode_(__atomic_fetch_add(&next_inode, 1, __ATOMIC_RELAXED)) {}

Result<void> Socket::bind(const SocketAddress&) { return error(Errno::eopnotsupp); }
Result<void> Socket::listen(int) { return error(Errno::eopnotsupp); }
Result<fs::Ref<Socket>> Socket::accept(uint32_t, SocketAddress&) { return error(Errno::eopnotsupp); }
Result<void> Socket::connect(const SocketAddress&) { return error(Errno::eopnotsupp); }
Result<void> Socket::shutdown(int) { return error(Errno::enotconn); }

Result<void> Socket::local_name(SocketAddress& address) {
    address.length = 2;
    address.bytes[0] = static_cast<uint8_t>(family_);
    address.bytes[1] = static_cast<uint8_t>(family_ >> 8);
    return {};
}

Result<void> Socket::peer_name(SocketAddress&) { return error(Errno::enotconn); }

Result<uint64_t> Socket::read(const fs::IoBuffer& buffer, uint64_t length, uint64_t&) {
    bool truncated;
    return receive(buffer, length, 0, nullptr, truncated);
}

Result<uint64_t> Socket::write(const fs::IoBuffer& buffer, uint64_t length, uint64_t&) {
    return send(buffer, length, 0, nullptr);
}

Result<fs::Attributes> Socket::attributes() {
    fs::Attributes a;
    a.device = sockfs_device;
    a.inode = inode_;
    a.mode = fs::mode_socket | 0777;
    a.uid = linux::process_user_id();
    a.gid = linux::process_group_id();
    a.block_size = 4096;
    return a;
}

bool Socket::describe(char* buffer, uint64_t capacity, uint64_t& length) {
    char text[32];
    length = format(text, sizeof text, "socket:[%lu]", inode_);
    if (length > capacity) return false;
    memcpy(buffer, text, length);
    return true;
}

uint64_t Socket::receive_deadline() const { return deadline_after(receive_timeout_ns_); }
uint64_t Socket::send_deadline() const { return deadline_after(send_timeout_ns_); }

Result<void> Socket::set_option(int level, int name, const void* value, uint32_t length) {
    if (level != sol_socket) return error(Errno::enoprotoopt);
    switch (name) {
        case so_sndbuf:
        case so_rcvbuf: {
            // Linux doubles the value (for its bookkeeping) and clamps it (sock_setsockopt).
            int32_t wanted = TRY(integer_of(value, length));
            uint64_t size = min<uint64_t>(wanted < 0 ? 0 : static_cast<uint64_t>(wanted), buffer_max) * 2;
            if (name == so_sndbuf)
                send_buffer_ = static_cast<uint32_t>(max<uint64_t>(size, send_buffer_min));
            else
                receive_buffer_ = static_cast<uint32_t>(max<uint64_t>(size, receive_buffer_min));
            return {};
        }
        case so_rcvtimeo: receive_timeout_ns_ = TRY(timeout_of(value, length)); return {};
        case so_sndtimeo: send_timeout_ns_ = TRY(timeout_of(value, length)); return {};
        case so_reuseaddr: reuse_address_ = TRY(integer_of(value, length)) != 0; return {};
        case so_reuseport: reuse_port_ = TRY(integer_of(value, length)) != 0; return {};
        case so_keepalive: keep_alive_ = TRY(integer_of(value, length)) != 0; return {};
        case so_passcred: pass_credentials_ = TRY(integer_of(value, length)) != 0; return {};
        case so_linger: {
            if (length < sizeof(Linger)) return error(Errno::einval);
            Linger l;
            memcpy(&l, value, sizeof l);
            linger_on_ = l.on != 0;
            linger_seconds_ = l.seconds;
            return {};
        }
        case so_type:
        case so_error:
        case so_acceptconn:
        case so_protocol:
        case so_domain: return error(Errno::enoprotoopt);  // read-only
        default: return error(Errno::enoprotoopt);
    }
}

Result<uint32_t> Socket::get_option(int level, int name, void* value, uint32_t capacity) {
    if (level != sol_socket) return error(Errno::enoprotoopt);
    int32_t integer;
    switch (name) {
        case so_type: integer = type_; break;
        case so_error: integer = take_error(); break;
        case so_sndbuf: integer = static_cast<int32_t>(send_buffer_); break;
        case so_rcvbuf: integer = static_cast<int32_t>(receive_buffer_); break;
        case so_reuseaddr: integer = reuse_address_; break;
        case so_reuseport: integer = reuse_port_; break;
        case so_keepalive: integer = keep_alive_; break;
        case so_passcred: integer = pass_credentials_; break;
        case so_acceptconn: integer = listening(); break;
        case so_protocol: integer = 0; break;  // AF_UNIX: 0; the IP families say theirs
        case so_domain: integer = family_; break;
        case so_linger: {
            Linger l{linger_on_, linger_seconds_};
            return put(value, capacity, &l, sizeof l);
        }
        case so_rcvtimeo:
        case so_sndtimeo: {
            uint64_t ns = name == so_rcvtimeo ? receive_timeout_ns_ : send_timeout_ns_;
            Timeval t{static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000 / 1000)};
            return put(value, capacity, &t, sizeof t);
        }
        default: return error(Errno::enoprotoopt);
    }
    return put(value, capacity, &integer, sizeof integer);
}

}  // namespace eremite::net
