#include "net/udp_socket.hpp"

#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "mm/memory.hpp"
#include "net/inet_address.hpp"
#include "net/inet_socket.hpp"
#include "net/stack.hpp"
#include "sync/wait_queue.hpp"

extern "C" {
#include "lwip/pbuf.h"
#include "lwip/udp.h"
}

namespace eremite::net {
namespace {

using fs::IoBuffer;
using fs::Ref;

constexpr int ipproto_udp = 17;
constexpr uint64_t udp_payload_max = 65507;   // 65535 - IPv4 header - UDP header
constexpr uint64_t udp6_payload_max = 65487;  // 65535 - IPv6 header - UDP header

template <typename T>
T load(const T& value) {
    return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}

class UdpSocket final : public InetSocket {
public:
    UdpSocket(int family, uint32_t flags) : InetSocket(family, sock_dgram, ipproto_udp, flags) {}

    bool ready() {
        StackGuard guard;
        pcb_ = udp_new_ip_type(ip_type());
        if (!pcb_) return false;
        udp_recv(pcb_, &on_receive, this);
        return true;
    }

    Result<void> retype_pcb() override {
        StackGuard guard;
        if (pcb_->local_port) return error(Errno::einval);
        set_ip_type(*reinterpret_cast<ip_pcb*>(pcb_));
        return {};
    }

    Result<void> bind(const SocketAddress& address) override {
        InetAddress local = TRY(local_address(address));
        StackGuard guard;
        if (pcb_->local_port) return error(Errno::einval);  // bound already
        prepare_bind(*reinterpret_cast<ip_pcb*>(pcb_));
        err_t result = udp_bind(pcb_, &local.ip, local.port);
        if (result != ERR_OK) return error(errno_of(result));
        return {};
    }

    Result<void> connect(const SocketAddress& address) override {
        if (address.length >= 2 && address.family() == 0) {  // AF_UNSPEC: forget the peer
            StackGuard guard;
            udp_disconnect(pcb_);
            return {};
        }
        InetAddress remote = TRY(remote_address(address));
        StackGuard guard;
        if (!routable(remote.ip)) return error(Errno::enetunreach);
        err_t result = udp_connect(pcb_, &remote.ip, remote.port);
        if (result != ERR_OK) return error(errno_of(result));
        return {};
    }

    Result<uint64_t> send(const IoBuffer& data, uint64_t length, uint32_t flags, const SocketAddress* to) override {
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        if (load(shut_write_)) return error(Errno::epipe);
        InetAddress target{};
        if (to) {
            target = TRY(remote_address(*to));
        }
        // lwIP's packet lengths are 16 bits, headers included.
        if (length > (family() == af_inet ? udp_payload_max : udp6_payload_max)) return error(Errno::emsgsize);
        pbuf* packet = pbuf_alloc(PBUF_TRANSPORT, static_cast<u16_t>(length), PBUF_RAM);
        if (!packet) return error(Errno::enobufs);
        if (length && !data.drain(packet->payload, 0, length)) {
            StackGuard guard;
            pbuf_free(packet);
            return error(Errno::efault);
        }
        StackGuard guard;
        err_t result;
        if (to && !routable(target.ip)) {
            pbuf_free(packet);
            return error(Errno::enetunreach);
        }
        if (to) {
            result = udp_sendto(pcb_, packet, &target.ip, target.port);
        } else if (pcb_->flags & UDP_FLAGS_CONNECTED) {
            result = udp_send(pcb_, packet);
        } else {
            pbuf_free(packet);
            return error(Errno::edestaddrreq);
        }
        pbuf_free(packet);
        if (result != ERR_OK) return error(errno_of(result));
        return length;
    }

    Result<uint64_t> receive(const IoBuffer& data, uint64_t length, uint32_t flags, SocketAddress* from,
                             bool& truncated) override {
        truncated = false;
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        bool nonblocking = this->nonblocking() || (flags & msg_dontwait);
        uint64_t deadline = receive_deadline();
        for (;;) {
            Datagram* datagram = nullptr;
            pbuf* packet = nullptr;
            SocketAddress sender;
            {
                StackGuard guard;
                if ((datagram = first_)) {
                    packet = datagram->packet;
                    sender = datagram->from;
                    if (flags & msg_peek) {
                        pbuf_ref(packet);  // another thread may take the datagram meanwhile
                    } else {
                        first_ = datagram->next;
                        if (!first_) last_ = nullptr;
                        __atomic_store_n(&count_, count_ - 1, __ATOMIC_RELEASE);
                        queued_bytes_ -= packet->tot_len;
                        mm::free(datagram);
                    }
                } else {
                    if (load(shut_read_)) return uint64_t{0};
                    if (nonblocking) return error(Errno::eagain);
                }
            }
            if (!datagram) {
                if (!readers_.wait([&] { return load(count_) > 0 || load(shut_read_); }, deadline))
                    return error(Errno::eagain);
                continue;
            }
            // This thread holds a reference to the packet (taken off the queue, or one of
            // its own for a peek): the copy needs no lock (pbufs do not change once queued).
            uint64_t size = packet->tot_len;
            uint64_t copied = 0;
            bool fault = false;
            for (pbuf* piece = packet; piece && copied < length; piece = piece->next) {
                uint64_t take = min<uint64_t>(piece->len, length - copied);
                if (!data.fill(copied, piece->payload, take)) {
                    fault = true;
                    break;
                }
                copied += take;
            }
            if (from) *from = sender;
            {
                StackGuard guard;
                pbuf_free(packet);
            }
            if (fault) return error(Errno::efault);
            truncated = size > length;
            return (flags & msg_trunc) ? size : copied;
        }
    }

    Result<void> shutdown(int how) override {
        if (how < shut_rd || how > shut_rdwr) return error(Errno::einval);
        bool connected;
        {
            StackGuard guard;
            connected = pcb_->flags & UDP_FLAGS_CONNECTED;
        }
        // As Linux's inet_shutdown: the socket is shut down (a blocked receive returns)
        // even when it is not connected, which is still ENOTCONN.
        if (how != shut_wr) __atomic_store_n(&shut_read_, true, __ATOMIC_RELEASE);
        if (how != shut_rd) __atomic_store_n(&shut_write_, true, __ATOMIC_RELEASE);
        readers_.wake_all();
        poll_.wake_all();
        if (!connected) return error(Errno::enotconn);
        return {};
    }

    Result<void> local_name(SocketAddress& address) override {
        StackGuard guard;
        address = socket_address_of(pcb_->local_ip, pcb_->local_port, family());
        return {};
    }

    Result<void> peer_name(SocketAddress& address) override {
        StackGuard guard;
        if (!(pcb_->flags & UDP_FLAGS_CONNECTED)) return error(Errno::enotconn);
        address = socket_address_of(pcb_->remote_ip, pcb_->remote_port, family());
        return {};
    }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override;

    uint32_t poll_events() override {
        uint32_t events = fs::poll_out | fs::poll_wrnorm;
        if (load(count_) > 0 || load(shut_read_)) events |= fs::poll_in | fs::poll_rdnorm;
        return events;
    }
    WaitQueue* poll_queue() override { return &poll_; }

protected:
    ~UdpSocket() override {
        StackGuard guard;
        if (pcb_) udp_remove(pcb_);
        while (Datagram* datagram = first_) {
            first_ = datagram->next;
            pbuf_free(datagram->packet);
            mm::free(datagram);
        }
    }

private:
    struct Datagram {
        Datagram* next;
        pbuf* packet;
        SocketAddress from;
    };

    // lwIP hands over a datagram (under the stack lock): it is queued, or dropped when
    // the receive buffer is full, as UDP does.
    static void on_receive(void* argument, udp_pcb*, pbuf* packet, const ip_addr_t* address, u16_t port) {
        auto& socket = *static_cast<UdpSocket*>(argument);
        if (socket.queued_bytes_ && socket.queued_bytes_ + packet->tot_len > socket.receive_buffer()) {
            pbuf_free(packet);
            return;
        }
        auto* datagram = static_cast<Datagram*>(mm::allocate(sizeof(Datagram)));
        if (!datagram) {
            pbuf_free(packet);
            return;
        }
        datagram->next = nullptr;
        datagram->packet = packet;
        datagram->from = socket_address_of(*address, port, socket.family());
        (socket.last_ ? socket.last_->next : socket.first_) = datagram;
        socket.last_ = datagram;
        socket.queued_bytes_ += packet->tot_len;
        __atomic_store_n(&socket.count_, socket.count_ + 1, __ATOMIC_RELEASE);
        socket.readers_.wake_all();
        socket.poll_.wake_all();
    }

    udp_pcb* pcb_ = nullptr;
    Datagram* first_ = nullptr;  // the receive queue, under the stack lock
    Datagram* last_ = nullptr;
    uint64_t count_ = 0, queued_bytes_ = 0;
    bool shut_read_ = false, shut_write_ = false;
    WaitQueue readers_, poll_;
};

Result<int64_t> UdpSocket::ioctl(uint64_t request, uint64_t argument) {
    constexpr uint64_t fionread = 0x541b;  // SIOCINQ: the size of the next datagram
    if (request != fionread) return error(Errno::enotty);
    int32_t size;
    {
        StackGuard guard;
        size = first_ ? first_->packet->tot_len : 0;
    }
    if (!linux::write_app(reinterpret_cast<void*>(argument), size)) return error(Errno::efault);
    return int64_t{0};
}

}  // namespace

Result<Ref<Socket>> make_udp_socket(int family, uint32_t flags) { return make_ready<UdpSocket>(family, flags); }

}  // namespace eremite::net
