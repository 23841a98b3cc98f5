#include "net/tcp_socket.hpp"

#include "arch/x86_64/cpu.hpp"
#include "fs/pipe.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "mm/memory.hpp"
#include "net/inet_address.hpp"
#include "net/inet_socket.hpp"
#include "net/stack.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

extern "C" {
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
}

namespace eremite::net {
namespace {

using fs::IoBuffer;
using fs::Ref;

constexpr int ipproto_tcp = 6, tcp_nodelay = 1, tcp_syncnt = 7;
// Linux's net.ipv4.tcp_syn_retries default and TCP_SYNCNT's limit (MAX_TCP_SYNCNT).
constexpr int default_syn_retries = 6, max_syn_retries = 127;
constexpr uint64_t fionread = 0x541b;
// How long a waiter sleeps before it lets lwIP's timers run (retransmissions, delayed
// ACKs): no kernel thread drives them, the threads that wait do.
constexpr uint64_t timer_step_ns = 50 * 1000 * 1000;
constexpr uint32_t send_chunk = 60 * 1024;  // bytes copied out of the app per tcp_write (at most 64 KiB)

template <typename T>
T load(const T& value) {
    return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}
template <typename T>
void store(T& to, T value) {
    __atomic_store_n(&to, value, __ATOMIC_RELEASE);
}

uint64_t deadline_or_step(uint64_t deadline) {
    uint64_t step = arch::read_tsc() + clock::ns_to_ticks(timer_step_ns);
    return deadline && deadline < step ? deadline : step;
}

class TcpSocket final : public InetSocket {
public:
    enum class State : uint8_t { unconnected, listening, connecting, connected, failed };

    TcpSocket(int family, uint32_t flags) : InetSocket(family, sock_stream, ipproto_tcp, flags) {}

    bool ready() {
        StackGuard guard;
        tcp_pcb* pcb = tcp_new_ip_type(ip_type());
        if (!pcb) return false;
        attach(pcb);
        return true;
    }

    Result<void> retype_pcb() override {
        StackGuard guard;
        if (!pcb_ || state_ != State::unconnected || pcb_->local_port) return error(Errno::einval);
        set_ip_type(*reinterpret_cast<ip_pcb*>(pcb_));
        return {};
    }

    Result<void> bind(const SocketAddress& address) override {
        InetAddress local = TRY(local_address(address));
        StackGuard guard;
        if (!pcb_ || state_ != State::unconnected) return error(Errno::einval);
        if (pcb_->local_port) return error(Errno::einval);  // bound already
        prepare_bind(*reinterpret_cast<ip_pcb*>(pcb_));
        err_t result = tcp_bind(pcb_, &local.ip, local.port);
        if (result != ERR_OK) return error(errno_of(result));
        return {};
    }

    Result<void> listen(int backlog) override {
        StackGuard guard;
        if (state_ == State::listening) return {};
        if (!pcb_ || state_ != State::unconnected) return error(Errno::einval);
        if (!pcb_->local_port) {  // Linux binds an unbound socket to an ephemeral port
            err_t bound = tcp_bind(pcb_,
                                   family() == af_inet ? IP4_ADDR_ANY
                                   : dual_stack()      ? IP_ANY_TYPE
                                                       : IP6_ADDR_ANY,
                                   0);
            if (bound != ERR_OK) return error(errno_of(bound));
        }
        // As Linux: a negative backlog or one above somaxconn is somaxconn (4096), and 0
        // is 0 (the queue then holds one connection).
        backlog_ = backlog < 0 || backlog > 4096 ? 4096 : backlog;
        err_t result;
        // lwIP drops SYNs beyond the backlog (Linux's queue holds backlog + 1), so a
        // connection it accepts is never reset afterwards.
        tcp_pcb* listener = tcp_listen_with_backlog_and_err(pcb_, static_cast<u8_t>(min(backlog_ + 1, 255)), &result);
        if (!listener) return error(errno_of(result));
        pcb_ = listener;  // the old pcb is gone
        tcp_arg(pcb_, this);
        tcp_accept(pcb_, &on_accept);
        store(state_, State::listening);
        return {};
    }

    Result<Ref<Socket>> accept(uint32_t flags, SocketAddress& peer) override {
        uint64_t deadline = receive_deadline();
        for (;;) {
            {
                StackGuard guard;
                if (state_ != State::listening) return error(Errno::einval);
                if (Pending* first = pending_) {
                    pending_ = first->next;
                    store(pending_count_, pending_count_ - 1);
                    Ref<TcpSocket> socket = first->socket;
                    delete first;
                    if (socket->pcb_) {
                        tcp_backlog_accepted(socket->pcb_);
                        socket->accepted_ = true;
                        peer = socket_address_of(socket->pcb_->remote_ip, socket->pcb_->remote_port, family());
                    } else {
                        peer = socket_address_of(*IP_ANY_TYPE, 0, family());
                    }
                    socket->set_status_flags((socket->flags() & ~fs::o_nonblock) | (flags & fs::o_nonblock));
                    return Ref<Socket>(socket.get());
                }
                if (nonblocking()) return error(Errno::eagain);
            }
            if (!wait_until([&] { return load(pending_count_) > 0 || load(state_) != State::listening; }, deadline))
                return error(Errno::eagain);
        }
    }

    Result<void> connect(const SocketAddress& address) override {
        InetAddress remote = TRY(remote_address(address));
        {
            StackGuard guard;
            switch (state_) {
                case State::connected:
                    // The first connect after a nonblocking one completed reports it
                    // (0), as Linux's socket still in SS_CONNECTING does; then EISCONN.
                    if (!connect_reported_) {
                        connect_reported_ = true;
                        return {};
                    }
                    return error(Errno::eisconn);
                case State::connecting: return error(Errno::ealready);
                case State::listening: return error(Errno::eisconn);
                case State::failed:
                    // The outcome of an earlier attempt first; then a new attempt.
                    if (pending_error_ != Errno::none) return error(take_error_now());
                    if (!pcb_) {
                        tcp_pcb* pcb = tcp_new_ip_type(ip_type());
                        if (!pcb) return error(Errno::enobufs);
                        attach(pcb);
                    }
                    store(state_, State::unconnected);
                    break;
                case State::unconnected: break;
            }
            if (!pcb_) return error(Errno::einval);
            if (!routable(remote.ip)) return error(Errno::enetunreach);
            store(state_, State::connecting);
            err_t result = tcp_connect(pcb_, &remote.ip, remote.port, &on_connected);
            if (result != ERR_OK) {
                store(state_, State::unconnected);
                return error(errno_of(result));
            }
            // Linux's schedule for the SYN: the first retransmission after 1 s (RFC 6298;
            // lwIP starts at 3 s), doubling, and ETIMEDOUT once TCP_SYNCNT are
            // unanswered (checked every timer step by on_connect_poll).
            pcb_->rto = 1000 / TCP_SLOW_INTERVAL;
            tcp_poll(pcb_, &on_connect_poll, 1);
        }
        // The guard's release has delivered the SYN over loopback; an answer may be in.
        if (nonblocking()) {
            // In progress, as Linux says even when loopback has already answered; a
            // refusal is then SO_ERROR's (and the next connect's).
            StackGuard guard;
            connect_reported_ = false;
            return error(Errno::einprogress);
        }
        if (!wait_until([&] { return load(state_) != State::connecting; }, send_deadline()))
            return error(Errno::einprogress);  // SO_SNDTIMEO ran out, as on Linux
        if (load(state_) == State::connected) return {};
        return error(take_error_now());
    }

    Result<uint64_t> send(const IoBuffer& data, uint64_t length, uint32_t flags, const SocketAddress* to) override {
        (void)to;  // as Linux's tcp_sendmsg: the address of a sendto is not looked at
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        bool nonblocking = this->nonblocking() || (flags & msg_dontwait);
        uint64_t deadline = send_deadline();
        auto* chunk = static_cast<uint8_t*>(mm::allocate(send_chunk));
        if (!chunk) return error(Errno::enobufs);
        struct Free {
            uint8_t* p;
            ~Free() { mm::free(p); }
        } free_chunk{chunk};
        uint64_t done = 0;
        bool must_wait = false;
        while (done < length) {
            if (must_wait) {
                must_wait = false;
                if (nonblocking) return done ? Result<uint64_t>(done) : error(Errno::eagain);
                if (!wait_until([&] { return send_can_go_on(); }, deadline))
                    return done ? Result<uint64_t>(done) : error(Errno::eagain);
            }
            uint64_t room = 0;
            Errno failed = Errno::none;
            bool connecting = false;
            {
                StackGuard guard;
                if (state_ == State::connecting) {
                    connecting = true;
                } else if (state_ == State::failed) {
                    failed = pending_error_ != Errno::none ? pending_error_ : Errno::epipe;
                    pending_error_ = Errno::none;
                } else if (state_ != State::connected || shut_write_ || !pcb_) {
                    failed = Errno::epipe;  // Linux: EPIPE (and SIGPIPE) when not connected
                } else {
                    room = tcp_sndbuf(pcb_);
                }
            }
            if (connecting) {  // as Linux's sk_stream_wait_connect
                if (nonblocking) return error(Errno::eagain);
                if (!wait_until([&] { return load(state_) != State::connecting; }, deadline))
                    return error(Errno::eagain);
                continue;
            }
            if (failed != Errno::none) {
                if (done) return done;
                if (failed == Errno::epipe && !(flags & msg_nosignal)) linux::raise_broken_pipe_signal();
                return error(failed);
            }
            if (room == 0) {
                if (nonblocking) return done ? Result<uint64_t>(done) : error(Errno::eagain);
                if (!wait_until([&] { return send_can_go_on(); }, deadline))
                    return done ? Result<uint64_t>(done) : error(Errno::eagain);
                continue;
            }
            uint64_t piece = min<uint64_t>(min<uint64_t>(room, send_chunk), length - done);
            if (!data.drain(chunk, done, piece)) return done ? Result<uint64_t>(done) : error(Errno::efault);
            StackGuard guard;
            if (!pcb_ || state_ != State::connected) continue;  // failed meanwhile: reported above
            err_t result = tcp_write(pcb_, chunk, static_cast<u16_t>(piece), TCP_WRITE_FLAG_COPY);
            if (result == ERR_MEM) {
                // lwIP's queue is full (or memory is short): wait for acknowledgements.
                store(send_space_, uint32_t{0});
                must_wait = true;
                continue;
            }
            if (result != ERR_OK) return done ? Result<uint64_t>(done) : error(errno_of(result));
            tcp_output(pcb_);
            store(send_space_, static_cast<uint32_t>(tcp_sndbuf(pcb_)));
            done += piece;
        }
        return done;
    }

    Result<uint64_t> receive(const IoBuffer& data, uint64_t length, uint32_t flags, SocketAddress* from,
                             bool& truncated) override {
        truncated = false;
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        if (from) from->length = 0;
        bool nonblocking = this->nonblocking() || (flags & msg_dontwait);
        bool peek = flags & msg_peek;
        uint64_t deadline = receive_deadline();
        uint64_t done = 0;
        for (;;) {
            {
                StackGuard guard;
                if (received_) {
                    done += take(data, done, length - done, peek);
                    if (done == length || peek || !(flags & msg_waitall)) return done;
                } else if (done) {
                    if (!(flags & msg_waitall) || peer_closed_ || state_ == State::failed) return done;
                } else {
                    if (state_ == State::listening || state_ == State::unconnected) return error(Errno::enotconn);
                    if (peer_closed_ || shut_read_) return uint64_t{0};
                    if (state_ == State::failed) {
                        Errno failed = pending_error_;
                        pending_error_ = Errno::none;
                        if (failed == Errno::none) return uint64_t{0};
                        return error(failed);
                    }
                }
                if (nonblocking) return done ? Result<uint64_t>(done) : error(Errno::eagain);
            }
            if (!wait_until(
                    [&] {
                        return (load(received_bytes_) > 0 || load(peer_closed_) || load(shut_read_) ||
                                load(state_) == State::failed) &&
                               load(state_) != State::connecting;
                    },
                    deadline))
                return done ? Result<uint64_t>(done) : error(Errno::eagain);
        }
    }

    Result<void> shutdown(int how) override {
        if (how < shut_rd || how > shut_rdwr) return error(Errno::einval);
        Pending* dropped = nullptr;
        {
            StackGuard guard;
            if (state_ == State::listening) {
                // Linux stops listening on SHUT_RD: a blocked accept returns EINVAL, the
                // connections nobody accepted are reset.
                if (how == shut_wr) return error(Errno::enotconn);
                detach(pcb_);
                tcp_close(pcb_);
                pcb_ = nullptr;
                dropped = pending_;
                pending_ = nullptr;
                store(pending_count_, uint32_t{0});
                store(state_, State::failed);
            } else {
                if (state_ != State::connected) return error(Errno::enotconn);
                if (how != shut_wr) store(shut_read_, true);
                if (how != shut_rd && !shut_write_) {
                    store(shut_write_, true);
                    if (pcb_) tcp_shutdown(pcb_, 0, 1);  // our FIN
                    if (peer_closed_) finish();
                }
            }
            while (Pending* pending = dropped) {  // freed under the lock: nested guards do nothing
                dropped = pending->next;
                delete pending;
            }
        }
        wake();
        return {};
    }

    Result<void> local_name(SocketAddress& address) override {
        StackGuard guard;
        if (!pcb_) {
            address = finished_ ? local_cache_ : socket_address_of(*IP_ANY_TYPE, 0, family());
            return {};
        }
        address = socket_address_of(pcb_->local_ip, pcb_->local_port, family());
        return {};
    }

    Result<void> peer_name(SocketAddress& address) override {
        StackGuard guard;
        // Once both FINs are done Linux's socket is closed: no peer any more.
        if (state_ != State::connected || !pcb_) return error(Errno::enotconn);
        address = socket_address_of(pcb_->remote_ip, pcb_->remote_port, family());
        return {};
    }

    Result<void> set_option(int level, int name, const void* value, uint32_t length) override {
        if (level == ipproto_tcp && name == tcp_syncnt) {
            int count = TRY(int_option(value, length));
            if (count < 1 || count > max_syn_retries) return error(Errno::einval);
            store(syn_retries_, static_cast<uint8_t>(count));
            return {};
        }
        if (level != ipproto_tcp || name != tcp_nodelay) return InetSocket::set_option(level, name, value, length);
        bool on = TRY(int_option(value, length)) != 0;
        StackGuard guard;
        store(no_delay_, on);
        if (pcb_ && state_ != State::listening) {
            if (on)
                tcp_nagle_disable(pcb_);
            else
                tcp_nagle_enable(pcb_);
        }
        return {};
    }

    Result<uint32_t> get_option(int level, int name, void* value, uint32_t capacity) override {
        if (level == ipproto_tcp && name == tcp_nodelay) return put_int_option(value, capacity, load(no_delay_));
        if (level == ipproto_tcp && name == tcp_syncnt) return put_int_option(value, capacity, load(syn_retries_));
        return InetSocket::get_option(level, name, value, capacity);
    }

    int take_error() override {
        StackGuard guard;
        return static_cast<int>(take_error_now());
    }
    bool listening() const override { return load(state_) == State::listening; }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        if (request != fionread) return error(Errno::enotty);
        if (load(state_) == State::listening) return error(Errno::einval);
        auto count = static_cast<int32_t>(min<uint64_t>(load(received_bytes_), INT32_MAX));
        if (!linux::write_app(reinterpret_cast<void*>(argument), count)) return error(Errno::efault);
        return int64_t{0};
    }

    uint32_t poll_events() override {
        State state = load(state_);
        if (state == State::listening) return load(pending_count_) ? fs::poll_in | fs::poll_rdnorm : 0;
        uint32_t events = 0;
        bool receive_shut = load(peer_closed_) || load(shut_read_);
        bool send_shut = load(shut_write_);
        if (state == State::failed)
            return fs::poll_in | fs::poll_rdnorm | fs::poll_out | fs::poll_wrnorm | fs::poll_hup |
                   (load(pending_error_) != Errno::none ? fs::poll_err : 0);
        if (state == State::unconnected || (receive_shut && send_shut)) events |= fs::poll_hup;
        if (receive_shut) events |= fs::poll_in | fs::poll_rdnorm | fs::poll_rdhup;
        if (state != State::connecting) {
            if (load(received_bytes_)) events |= fs::poll_in | fs::poll_rdnorm;
            if (send_shut || state == State::unconnected || load(send_space_) > 0)
                events |= fs::poll_out | fs::poll_wrnorm;
        }
        return events;
    }
    WaitQueue* poll_queue() override { return &poll_; }

protected:
    ~TcpSocket() override {
        StackGuard guard;
        if (pcb_) {
            tcp_pcb* pcb = pcb_;
            detach(pcb);
            bool never_accepted = state_ != State::listening && !accepted_;
            if (never_accepted) tcp_backlog_accepted(pcb);
            // As Linux: a connection nobody accepted, or closed with data unread, is
            // reset; otherwise closing goes on in lwIP (FIN, TIME-WAIT) without this socket.
            if (never_accepted || received_bytes_ || tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        }
        if (received_) pbuf_free(received_);
        while (Pending* pending = pending_) {
            pending_ = pending->next;
            delete pending;
        }
    }

private:
    struct Pending {
        Ref<TcpSocket> socket;
        Pending* next = nullptr;
    };

    void attach(tcp_pcb* pcb) {
        pcb_ = pcb;
        tcp_arg(pcb, this);
        tcp_recv(pcb, &on_receive);
        tcp_sent(pcb, &on_sent);
        tcp_err(pcb, &on_error);
        store(send_space_, static_cast<uint32_t>(tcp_sndbuf(pcb)));
    }

    static void detach(tcp_pcb* pcb) {
        tcp_arg(pcb, nullptr);
        if (pcb->state != LISTEN) {
            tcp_recv(pcb, nullptr);
            tcp_sent(pcb, nullptr);
            tcp_err(pcb, nullptr);
        } else {
            tcp_accept(pcb, nullptr);
        }
    }

    // Sleeps until `ready` or the deadline (0: none); every timer step it enters the
    // stack so that lwIP's timers run. False on the deadline.
    template <typename Ready>
    bool wait_until(Ready ready, uint64_t deadline) {
        for (;;) {
            if (poll_.wait(ready, deadline_or_step(deadline))) return true;
            if (deadline && arch::read_tsc() >= deadline) return ready();
            StackGuard guard;  // its release runs the timers that are due
        }
    }

    void wake() { poll_.wake_all(); }

    // What a blocked send waits for: room in lwIP's send buffer, or a reason to stop.
    bool send_can_go_on() const {
        return load(send_space_) > 0 || load(state_) != State::connected || load(shut_write_);
    }

    // Moves up to `length` received bytes into `data` at `at` (under the stack lock);
    // returns how many. Consumed bytes open the receive window again.
    uint64_t take(const IoBuffer& data, uint64_t at, uint64_t length, bool peek) {
        uint64_t copied = 0;
        uint64_t skip = 0;
        for (pbuf* piece = received_; piece && copied < length; piece = piece->next) {
            uint64_t available = piece->len - skip;
            uint64_t count = min(available, length - copied);
            if (!data.fill(at + copied, static_cast<uint8_t*>(piece->payload) + skip, count)) break;
            copied += count;
            skip = 0;
        }
        if (peek || !copied) return copied;
        uint64_t left = copied;
        while (left) {
            uint16_t step = static_cast<uint16_t>(min<uint64_t>(left, 0xffff));
            received_ = pbuf_free_header(received_, step);
            left -= step;
        }
        store(received_bytes_, received_bytes_ - copied);
        if (pcb_) tcp_recved(pcb_, static_cast<u16_t>(min<uint64_t>(copied, 0xffff)));
        for (uint64_t more = copied > 0xffff ? copied - 0xffff : 0; more && pcb_;) {
            uint16_t step = static_cast<uint16_t>(min<uint64_t>(more, 0xffff));
            tcp_recved(pcb_, step);
            more -= step;
        }
        return copied;
    }

    // Both directions are closed (our FIN sent, the peer's received): lwIP finishes the
    // connection on its own and frees the pcb (TIME-WAIT, LAST-ACK) without telling, so
    // the socket lets go of it now and keeps its name for getsockname.
    void finish() {
        if (!pcb_) return;
        local_cache_ = socket_address_of(pcb_->local_ip, pcb_->local_port, family());
        detach(pcb_);
        pcb_ = nullptr;
        finished_ = true;
    }

    Errno take_error_now() {
        Errno error = pending_error_;
        pending_error_ = Errno::none;
        return error;
    }

    // ---- lwIP's callbacks, under the stack lock ----

    static err_t on_accept(void* argument, tcp_pcb* pcb, err_t error) {
        auto* listener = static_cast<TcpSocket*>(argument);
        if (!listener || error != ERR_OK || !pcb) return ERR_VAL;
        auto* socket = new TcpSocket(listener->family(), 0);
        Ref<TcpSocket> ref(socket);
        auto* pending = socket ? new Pending{ref} : nullptr;
        if (!pending) return ERR_MEM;  // lwIP aborts the connection
        socket->attach(pcb);
        socket->state_ = State::connected;
        socket->accepted_ = false;
        if (listener->no_delay_) tcp_nagle_disable(pcb);
        tcp_backlog_delayed(pcb);  // counted until accept(2) takes it
        Pending** tail = &listener->pending_;
        while (*tail) tail = &(*tail)->next;
        *tail = pending;
        store(listener->pending_count_, listener->pending_count_ + 1);
        listener->wake();
        return ERR_OK;
    }

    // While connecting: one retransmission of the SYN more than allowed ends it.
    static err_t on_connect_poll(void* argument, tcp_pcb* pcb) {
        auto* socket = static_cast<TcpSocket*>(argument);
        if (pcb->state != SYN_SENT) {
            tcp_poll(pcb, nullptr, 0);
            return ERR_OK;
        }
        if (!socket || pcb->nrtx <= socket->syn_retries_) return ERR_OK;
        tcp_abort(pcb);  // on_error reports ETIMEDOUT
        return ERR_ABRT;
    }

    static err_t on_connected(void* argument, tcp_pcb* pcb, err_t) {
        auto* socket = static_cast<TcpSocket*>(argument);
        if (!socket) return ERR_OK;
        tcp_poll(pcb, nullptr, 0);
        if (socket->no_delay_) tcp_nagle_disable(pcb);
        store(socket->send_space_, static_cast<uint32_t>(tcp_sndbuf(pcb)));
        store(socket->state_, State::connected);
        socket->accepted_ = true;
        socket->wake();
        return ERR_OK;
    }

    static err_t on_receive(void* argument, tcp_pcb* pcb, pbuf* packet, err_t) {
        auto* socket = static_cast<TcpSocket*>(argument);
        if (!socket) {
            if (packet) pbuf_free(packet);
            return ERR_OK;
        }
        if (!packet) {
            store(socket->peer_closed_, true);  // the peer's FIN
            if (socket->shut_write_) socket->finish();
        } else {
            if (socket->received_)
                pbuf_cat(socket->received_, packet);
            else
                socket->received_ = packet;
            store(socket->received_bytes_, socket->received_bytes_ + packet->tot_len);
            // Over loopback, acknowledge at once: a delayed ACK only stalls a sender whose
            // next segment Nagle holds back, and costs nothing there. Through a device
            // every frame costs, so lwIP's own rule stands (every second segment at
            // once), and the rest goes out within a millisecond (ack_soon) unless the
            // program's answer carries it first.
            if (peer_inside_the_guest(*pcb))
                tcp_ack_now(pcb);
            else
                ack_soon();
        }
        socket->wake();
        return ERR_OK;
    }

    static err_t on_sent(void* argument, tcp_pcb* pcb, u16_t) {
        auto* socket = static_cast<TcpSocket*>(argument);
        if (!socket) return ERR_OK;
        store(socket->send_space_, static_cast<uint32_t>(tcp_sndbuf(pcb)));
        socket->wake();
        return ERR_OK;
    }

    // The pcb is gone (reset, aborted): lwIP freed it.
    static void on_error(void* argument, err_t error) {
        auto* socket = static_cast<TcpSocket*>(argument);
        if (!socket) return;
        socket->pcb_ = nullptr;
        Errno code = errno_of(error);
        if (socket->state_ == State::connecting && error == ERR_RST) code = Errno::econnrefused;
        // A connection attempt lwIP gives up (its SYNs unanswered) timed out, as Linux says.
        if (socket->state_ == State::connecting && error == ERR_ABRT) code = Errno::etimedout;
        socket->pending_error_ = code;
        store(socket->state_, State::failed);
        socket->wake();
    }

    tcp_pcb* pcb_ = nullptr;
    State state_ = State::unconnected;
    pbuf* received_ = nullptr;  // what arrived and is not read yet
    uint64_t received_bytes_ = 0;
    uint32_t send_space_ = 0;
    bool peer_closed_ = false, shut_read_ = false, shut_write_ = false, no_delay_ = false;
    uint8_t syn_retries_ = default_syn_retries;  // TCP_SYNCNT
    bool accepted_ = true;                       // false while an accepted pcb still counts in its listener's backlog
    bool connect_reported_ = true;               // false after EINPROGRESS until connect(2) reports the outcome
    bool finished_ = false;                      // both FINs done: the pcb was left to lwIP (finish())
    SocketAddress local_cache_;
    Errno pending_error_ = Errno::none;
    Pending* pending_ = nullptr;  // listening: connections waiting for accept
    uint32_t pending_count_ = 0;
    int backlog_ = 1;
    WaitQueue poll_;
};

}  // namespace

Result<Ref<Socket>> make_tcp_socket(int family, uint32_t flags) { return make_ready<TcpSocket>(family, flags); }

}  // namespace eremite::net
