#include "net/unix_socket.hpp"

#include "arch/x86_64/cpu.hpp"

#include "fs/pipe.hpp"
#include "fs/pipe_buffer.hpp"
#include "fs/vfs.hpp"
#include "lib/format.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "linux/process.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

namespace eremite::net {
namespace {

using fs::IoBuffer;
using fs::poll_hup;
using fs::poll_in;
using fs::poll_out;
using fs::poll_rdhup;
using fs::poll_rdnorm;
using fs::poll_wrnorm;
using fs::Ref;

// What a message queue holds: net.core.wmem_default, each message counted with some
// overhead as Linux counts an skb's truesize.
constexpr uint64_t queue_limit = 212992;
constexpr uint64_t message_overhead = 512;
// A stream direction buffers as much (a power-of-two size of pages at least that).
constexpr uint64_t stream_buffer = 212992;
constexpr uint32_t sun_path_offset = 2;  // offsetof(struct sockaddr_un, sun_path)
constexpr uint32_t sun_path_size = 108;
constexpr uint64_t fionread = 0x541b;  // SIOCINQ
constexpr int sol_socket = 1, so_peercred = 17;
constexpr int somaxconn = 4096;

template <typename T>
T load(const T& value) {
    return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}

// ---- messages: the receive queue of a datagram or seqpacket socket --------------------

class MessageQueue final : public fs::RefCounted {
public:
    struct Message {
        Message* next;
        uint64_t length;
        SocketAddress from;
        uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
    };

    // The receiving socket is gone: senders get ECONNREFUSED.
    void close_receiver() {
        {
            MutexGuard guard(lock_);
            __atomic_store_n(&receiver_gone_, true, __ATOMIC_RELEASE);
        }
        writers_.wake_all();
        poll_.wake_all();
    }
    // The receiving socket shut down reading: its reads end (end of file once empty).
    void shut_reading() {
        {
            MutexGuard guard(lock_);
            __atomic_store_n(&reader_shut_, true, __ATOMIC_RELEASE);
        }
        readers_.wake_all();
        poll_.wake_all();
    }
    // The connected sender shut down writing or went away: a seqpacket receiver then
    // reads end of file.
    void close_sender() {
        {
            MutexGuard guard(lock_);
            __atomic_store_n(&sender_gone_, true, __ATOMIC_RELEASE);
        }
        readers_.wake_all();
        poll_.wake_all();
    }

    Result<uint64_t> push(const IoBuffer& data, uint64_t length, bool nonblocking, uint64_t deadline,
                          const SocketAddress& from) {
        if (length + message_overhead > queue_limit) return error(Errno::emsgsize);
        auto* message = static_cast<Message*>(mm::allocate(sizeof(Message) + (length ? length : 1)));
        if (!message) return error(Errno::enobufs);
        if (length && !data.drain(message->data(), 0, length)) {
            mm::free(message);
            return error(Errno::efault);
        }
        message->next = nullptr;
        message->length = length;
        message->from = from;
        for (;;) {
            {
                MutexGuard guard(lock_);
                if (receiver_gone_) {
                    mm::free(message);
                    return error(Errno::econnrefused);
                }
                if (room_for(length)) {
                    (tail_ ? tail_->next : head_) = message;
                    tail_ = message;
                    __atomic_store_n(&bytes_, bytes_ + length + message_overhead, __ATOMIC_RELEASE);
                    __atomic_store_n(&count_, count_ + 1, __ATOMIC_RELEASE);
                    break;
                }
                if (nonblocking) {
                    mm::free(message);
                    return error(Errno::eagain);
                }
            }
            if (!writers_.wait([&] { return room_for(length) || load(receiver_gone_); }, deadline)) {
                mm::free(message);
                return error(Errno::eagain);
            }
        }
        readers_.wake_all();
        poll_.wake_all();
        return length;
    }

    // Copies up to `length` bytes of the oldest message into `data` and takes it off
    // (not with `peek`); returns the message's own length (more than `length`: the rest
    // was cut off). 0 at end of file: `end_of_file_on_close` and the sender gone, or the
    // reader shut down reading, with nothing queued.
    Result<uint64_t> pop(const IoBuffer& data, uint64_t length, bool nonblocking, uint64_t deadline, bool peek,
                         bool end_of_file_on_close, SocketAddress* from) {
        for (;;) {
            uint64_t size = 0;
            bool taken = false;
            {
                MutexGuard guard(lock_);
                if (Message* message = head_) {
                    uint64_t copy = min(length, message->length);
                    if (copy && !data.fill(0, message->data(), copy)) return error(Errno::efault);
                    if (from) *from = message->from;
                    size = message->length;
                    taken = true;
                    if (!peek) {
                        head_ = message->next;
                        if (!head_) tail_ = nullptr;
                        __atomic_store_n(&bytes_, bytes_ - size - message_overhead, __ATOMIC_RELEASE);
                        __atomic_store_n(&count_, count_ - 1, __ATOMIC_RELEASE);
                        mm::free(message);
                    }
                } else {
                    if (reader_shut_ || (end_of_file_on_close && sender_gone_)) return uint64_t{0};
                    if (nonblocking) return error(Errno::eagain);
                }
            }
            if (taken) {
                if (!peek) {
                    writers_.wake_all();
                    poll_.wake_all();
                }
                return size;
            }
            if (!readers_.wait(
                    [&] {
                        return load(count_) > 0 || load(reader_shut_) || (end_of_file_on_close && load(sender_gone_));
                    },
                    deadline))
                return error(Errno::eagain);
        }
    }

    uint64_t next_length() {
        MutexGuard guard(lock_);
        return head_ ? head_->length : 0;
    }
    bool readable() const { return load(count_) > 0; }
    bool writable() const { return load(bytes_) + message_overhead < queue_limit && !load(receiver_gone_); }
    bool receiver_gone() const { return load(receiver_gone_); }
    bool sender_gone() const { return load(sender_gone_); }
    WaitQueue& poll_queue() { return poll_; }

protected:
    ~MessageQueue() override {
        while (Message* message = head_) {
            head_ = message->next;
            mm::free(message);
        }
    }

private:
    bool room_for(uint64_t length) const { return load(bytes_) + length + message_overhead <= queue_limit; }

    Mutex lock_;
    WaitQueue readers_, writers_, poll_;
    Message* head_ = nullptr;
    Message* tail_ = nullptr;
    uint64_t bytes_ = 0, count_ = 0;
    bool receiver_gone_ = false, sender_gone_ = false, reader_shut_ = false;
};

// ---- the sockets --------------------------------------------------------------------

class UnixSocket;

// Every socket with a name, for connect and sendto to find (the abstract ones by their
// bytes, the ones bound to a path by their node).
Mutex names_lock;
UnixSocket* named_sockets = nullptr;
uint32_t next_autobind = 0;

class UnixSocket final : public Socket {
public:
    UnixSocket(int type, uint32_t flags) : Socket(af_unix, type, flags), incoming_relay_(this), outgoing_relay_(this) {}

    bool ready() {
        if (!keeps_boundaries()) return true;
        inbox_ = Ref<MessageQueue>(new MessageQueue);
        if (!inbox_) return false;
        inbox_->poll_queue().add(incoming_relay_);
        return true;
    }

    // ---- connecting ----

    // Makes `a` and `b` the two ends of one connection.
    static Result<void> join(UnixSocket& a, UnixSocket& b) {
        if (a.keeps_boundaries()) {
            a.set_outbox(b.inbox_);
            b.set_outbox(a.inbox_);
        } else {
            uint32_t uid = linux::process_user_id(), gid = linux::process_group_id();
            Ref<fs::PipeBuffer> ab(new fs::PipeBuffer(uid, gid)), ba(new fs::PipeBuffer(uid, gid));
            if (!ab || !ba) return error(Errno::enomem);
            (void)ab->resize(stream_buffer, true);
            (void)ba->resize(stream_buffer, true);
            a.attach_stream(ba, ab);
            b.attach_stream(ab, ba);
        }
        a.state_ = b.state_ = State::connected;
        return {};
    }

    Result<void> bind(const SocketAddress& address) override {
        if (address.length < sun_path_offset || address.length > sun_path_offset + sun_path_size ||
            address.family() != af_unix)
            return error(Errno::einval);
        MutexGuard guard(names_lock);
        if (name_.length) return error(Errno::einval);  // bound already
        if (address.length == sun_path_offset) return autobind_locked();
        if (address.bytes[sun_path_offset] == 0) {  // the abstract namespace
            if (find_abstract_locked(address)) return error(Errno::eaddrinuse);
            name_ = address;
        } else {
            char path[sun_path_size + 1];
            uint32_t length = path_of(address, path);
            Ref<fs::Node> node = TRY(make_socket_node(path));
            node_ = node;
            name_.length = sun_path_offset + length + 1;  // what getsockname gives: the path and its NUL
            memcpy(name_.bytes, address.bytes, sun_path_offset);
            memcpy(name_.bytes + sun_path_offset, path, length + 1);
        }
        register_locked();
        return {};
    }

    Result<void> listen(int backlog) override {
        if (type() == sock_dgram) return error(Errno::eopnotsupp);
        MutexGuard guard(lock_);
        if (state_ == State::connected || state_ == State::connecting || !name_.length) return error(Errno::einval);
        backlog_ = static_cast<uint32_t>(backlog < 0 ? somaxconn : min(backlog, somaxconn));
        state_ = State::listening;
        return {};
    }

    Result<void> connect(const SocketAddress& address) override {
        if (address.length >= sun_path_offset && address.family() == 0 && keeps_boundaries() && type() == sock_dgram) {
            disconnect();  // AF_UNSPEC: a datagram socket forgets its peer
            return {};
        }
        if (address.length <= sun_path_offset || address.family() != af_unix) return error(Errno::einval);
        if (type() == sock_dgram) {
            Ref<UnixSocket> target = TRY(find(address, type()));
            MutexGuard guard(lock_);
            set_outbox(target->inbox_);
            peer_ = target->name_;
            state_ = State::connected;
            return {};
        }
        {
            MutexGuard guard(lock_);
            if (state_ == State::connected) return error(Errno::eisconn);
            if (state_ == State::listening) return error(Errno::einval);
            if (state_ == State::connecting) return error(Errno::ealready);
            state_ = State::connecting;  // one connect at a time
        }
        auto connected = connect_stream(address);
        if (!connected.ok()) {
            MutexGuard guard(lock_);
            if (state_ == State::connecting) state_ = State::unconnected;
        }
        return connected;
    }

    Result<Ref<Socket>> accept(uint32_t flags, SocketAddress& peer) override {
        if (type() == sock_dgram) return error(Errno::eopnotsupp);
        uint64_t deadline = receive_deadline();
        for (;;) {
            Ref<UnixSocket> socket;
            {
                MutexGuard guard(lock_);
                if (state_ != State::listening) return error(Errno::einval);
                if (Pending* first = pending_) {
                    pending_ = first->next;
                    __atomic_store_n(&pending_count_, pending_count_ - 1, __ATOMIC_RELEASE);
                    socket = first->socket;
                    delete first;
                } else if (nonblocking()) {
                    return error(Errno::eagain);
                }
            }
            if (socket) {
                socket->set_status_flags((socket->flags() & ~fs::o_nonblock) | (flags & fs::o_nonblock));
                {
                    MutexGuard names(names_lock);
                    peer = socket->peer_;
                }
                if (!peer.length) (void)Socket::local_name(peer);  // an unnamed client: the family alone
                poll_.wake_all();                                  // room in the backlog for a blocked connect
                return Ref<Socket>(socket.get());
            }
            if (!poll_.wait([&] { return load(pending_count_) > 0 || load(state_) != State::listening; }, deadline))
                return error(Errno::eagain);
        }
    }

    // ---- data ----

    Result<uint64_t> send(const IoBuffer& data, uint64_t length, uint32_t flags, const SocketAddress* to) override {
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        bool nonblocking = this->nonblocking() || (flags & msg_dontwait);
        if (!keeps_boundaries()) {
            if (to) return error(load(state_) == State::connected ? Errno::eisconn : Errno::eopnotsupp);
            if (load(state_) != State::connected) return error(Errno::enotconn);
            if (load(shut_write_)) return broken_pipe(flags);
            bool broken;
            auto done = tx_->write(data, length, nonblocking, broken, send_deadline());
            if (broken) return broken_pipe(flags);
            return done;
        }
        Ref<MessageQueue> target;
        if (to && type() == sock_dgram) {
            Ref<UnixSocket> socket = TRY(find(*to, type()));
            target = socket->inbox_;
        } else {
            if (to && load(state_) == State::connected) return error(Errno::eisconn);
            MutexGuard guard(lock_);
            target = outbox_;
        }
        if (!target) return error(Errno::enotconn);
        if (load(shut_write_)) return error(Errno::epipe);
        auto done = target->push(data, length, nonblocking, send_deadline(), name_);
        if (!done.ok() && done.error_code() == Errno::econnrefused && type() == sock_seqpacket)
            return broken_pipe(flags);
        return done;
    }

    Result<uint64_t> receive(const IoBuffer& data, uint64_t length, uint32_t flags, SocketAddress* from,
                             bool& truncated) override {
        truncated = false;
        if (flags & msg_oob) return error(Errno::eopnotsupp);
        bool nonblocking = this->nonblocking() || (flags & msg_dontwait);
        bool peek = flags & msg_peek;
        if (from) from->length = 0;
        if (!keeps_boundaries()) {
            if (load(state_) != State::connected) return error(Errno::einval);
            if (load(shut_read_) && rx_->available() == 0) return uint64_t{0};
            uint64_t done = 0;
            do {
                auto got = rx_->read(
                    data.in_app() ? IoBuffer::app(data.address() + done) : IoBuffer::kernel(data.address() + done),
                    length - done, nonblocking, peek, receive_deadline());
                if (!got.ok()) return done ? Result<uint64_t>(done) : got;
                if (got.value() == 0) break;
                done += got.value();
            } while ((flags & msg_waitall) && !peek && done < length);
            if (from && done) *from = peer_;
            return done;
        }
        if (type() == sock_seqpacket && load(state_) != State::connected) return error(Errno::enotconn);
        auto got = inbox_->pop(data, length, nonblocking, receive_deadline(), peek, type() == sock_seqpacket, from);
        if (!got.ok()) return got;
        truncated = got.value() > length;
        return (flags & msg_trunc) ? got.value() : min(got.value(), length);
    }

    Result<void> shutdown(int how) override {
        if (how < shut_rd || how > shut_rdwr) return error(Errno::einval);
        {
            // Linux's unix_shutdown marks the socket whatever its state.
            MutexGuard guard(lock_);
            if (how != shut_wr && !shut_read_) {
                __atomic_store_n(&shut_read_, true, __ATOMIC_RELEASE);
                if (rx_) rx_->close_end(true);
                if (inbox_) inbox_->shut_reading();
            }
            if (how != shut_rd && !shut_write_) {
                __atomic_store_n(&shut_write_, true, __ATOMIC_RELEASE);
                if (tx_) tx_->close_end(false);
                if (outbox_) outbox_->close_sender();
            }
        }
        poll_.wake_all();
        if (inbox_) inbox_->poll_queue().wake_all();
        return {};
    }

    Result<void> local_name(SocketAddress& address) override {
        MutexGuard guard(names_lock);
        if (!name_.length) return Socket::local_name(address);
        address = name_;
        return {};
    }

    Result<void> peer_name(SocketAddress& address) override {
        MutexGuard guard(lock_);
        if (state_ != State::connected) return error(Errno::enotconn);
        if (!peer_.length) return Socket::local_name(address);
        address = peer_;
        return {};
    }

    Result<uint32_t> get_option(int level, int name, void* value, uint32_t capacity) override {
        if (level == sol_socket && name == so_peercred) {
            // struct ucred of the peer: this one process, when connected.
            bool connected = load(state_) == State::connected;
            int32_t credentials[3] = {connected ? linux::process_id : 0,
                                      connected ? static_cast<int32_t>(linux::process_user_id()) : -1,
                                      connected ? static_cast<int32_t>(linux::process_group_id()) : -1};
            uint32_t length = min<uint32_t>(capacity, sizeof credentials);
            memcpy(value, credentials, length);
            return length;
        }
        return Socket::get_option(level, name, value, capacity);
    }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        if (request != fionread) return error(Errno::enotty);
        uint64_t count = 0;
        if (keeps_boundaries())
            count = inbox_->next_length();
        else if (load(state_) == State::connected)
            count = rx_->available();
        else
            return error(Errno::einval);
        auto value = static_cast<int32_t>(min<uint64_t>(count, INT32_MAX));
        if (!linux::write_app(reinterpret_cast<void*>(argument), value)) return error(Errno::efault);
        return int64_t{0};
    }

    bool listening() const override { return load(state_) == State::listening; }

    uint32_t poll_events() override {
        uint32_t events = 0;
        State state = load(state_);
        bool shut_read = load(shut_read_), shut_write = load(shut_write_);
        if (state == State::listening) return load(pending_count_) ? poll_in | poll_rdnorm : 0;
        if (!keeps_boundaries()) {
            if (state != State::connected) return poll_out | poll_wrnorm | poll_hup;  // TCP_CLOSE
            bool receive_shut = shut_read || rx_->writers() == 0;
            bool send_shut = shut_write || tx_->readers() == 0;
            if (rx_->available()) events |= poll_in | poll_rdnorm;
            if (receive_shut) events |= poll_in | poll_rdnorm | poll_rdhup;
            if (receive_shut && send_shut) events |= poll_hup;
            // Writable while a quarter of the send buffer or less waits to be read.
            if (tx_->size() - tx_->space() <= send_buffer() / 4) events |= poll_out | poll_wrnorm;
            return events;
        }
        Ref<MessageQueue> outbox;
        {
            MutexGuard guard(lock_);
            outbox = outbox_;
        }
        bool receive_shut = shut_read || (type() == sock_seqpacket && inbox_->sender_gone());
        bool send_shut = shut_write || (type() == sock_seqpacket && outbox && outbox->receiver_gone());
        if (inbox_->readable()) events |= poll_in | poll_rdnorm;
        if (receive_shut) events |= poll_in | poll_rdnorm | poll_rdhup;
        if (receive_shut && send_shut) events |= poll_hup;
        if (type() == sock_seqpacket && state != State::connected) events |= poll_hup;
        // Not writable only while the peer's queue is full (a peer gone: the send fails).
        if (!outbox || outbox->writable() || outbox->receiver_gone()) events |= poll_out | poll_wrnorm;
        return events;
    }
    WaitQueue* poll_queue() override { return &poll_; }

protected:
    ~UnixSocket() override {
        incoming_relay_.stop();
        outgoing_relay_.stop();
        if (rx_ && !shut_read_) rx_->close_end(true);
        if (tx_ && !shut_write_) tx_->close_end(false);
        if (inbox_) inbox_->close_receiver();
        if (outbox_ && !shut_write_) outbox_->close_sender();
        while (Pending* pending = pending_) {  // connections never accepted are refused
            pending_ = pending->next;
            delete pending;
        }
    }

    void last_reference_dropped() override {
        {
            MutexGuard guard(names_lock);
            if (registered_) unregister_locked();
        }
        Socket::last_reference_dropped();
    }

private:
    enum class State : uint8_t { unconnected, connecting, listening, connected };

    // Wakes this socket's poll queue whenever a queue it sends to or receives from
    // changes.
    struct Relay : WaitQueue::Listener {
        explicit Relay(UnixSocket* owner) : Listener(&on_wake), owner(owner) {}
        static void on_wake(WaitQueue::Listener& listener) { static_cast<Relay&>(listener).owner->poll_.wake_all(); }
        void start(WaitQueue& queue) {
            stop();
            queue.add(*this);
            on = &queue;
        }
        void stop() {
            if (on) on->remove(*this);
            on = nullptr;
        }
        UnixSocket* owner;
        WaitQueue* on = nullptr;
    };

    struct Pending {
        Ref<UnixSocket> socket;
        Pending* next = nullptr;
    };

    void attach_stream(const Ref<fs::PipeBuffer>& receive, const Ref<fs::PipeBuffer>& send) {
        rx_ = receive;
        tx_ = send;
        rx_->open_end(true);
        tx_->open_end(false);
        incoming_relay_.start(*rx_->poll_queue());
        outgoing_relay_.start(*tx_->poll_queue());
    }

    void set_outbox(const Ref<MessageQueue>& outbox) {
        outbox_ = outbox;
        outgoing_relay_.start(outbox_->poll_queue());
    }

    void disconnect() {
        MutexGuard guard(lock_);
        outgoing_relay_.stop();
        outbox_ = Ref<MessageQueue>();
        peer_.length = 0;
        state_ = State::unconnected;
    }

    Result<uint64_t> broken_pipe(uint32_t flags) {
        if (!(flags & msg_nosignal)) linux::raise_broken_pipe_signal();
        return error(Errno::epipe);
    }

    // Connects a stream or seqpacket socket to the listener named `address`. While the
    // backlog is full it waits without holding the listener, looking it up again every
    // millisecond: a listener closed meanwhile then refuses (ECONNREFUSED), as on Linux.
    Result<void> connect_stream(const SocketAddress& address) {
        uint64_t deadline = send_deadline();
        for (;;) {
            {
                Ref<UnixSocket> target = TRY(find(address, type()));
                auto admitted = target->admit(*this);
                if (admitted.ok() || admitted.error_code() != Errno::eagain) return admitted;
            }
            if (nonblocking()) return error(Errno::eagain);
            if (deadline && arch::read_tsc() >= deadline) return error(Errno::eagain);
            uint64_t retry = arch::read_tsc() + clock::ns_to_ticks(1000000);
            (void)poll_.wait([] { return false; }, deadline && deadline < retry ? deadline : retry);
        }
    }

    // A client connects to this listening socket: a new socket joined to it waits in the
    // backlog for accept. EAGAIN while the backlog is full.
    Result<void> admit(UnixSocket& client) {
        {
            MutexGuard guard(lock_);
            if (state_ != State::listening) return error(Errno::econnrefused);
            if (pending_count_ > backlog_) return error(Errno::eagain);
            auto* server = new UnixSocket(type(), 0);
            Ref<UnixSocket> server_ref(server);
            if (!server || !server->ready()) return error(Errno::enomem);
            TRY(join(client, *server));
            auto* pending = new Pending{server_ref};
            if (!pending) return error(Errno::enomem);  // the client sees its peer gone
            {
                MutexGuard names(names_lock);
                server->name_ = name_;
                server->peer_ = client.name_;
                client.peer_ = name_;
            }
            Pending** tail = &pending_;
            while (*tail) tail = &(*tail)->next;
            *tail = pending;
            __atomic_store_n(&pending_count_, pending_count_ + 1, __ATOMIC_RELEASE);
        }
        poll_.wake_all();
        client.poll_.wake_all();
        return {};
    }

    // ---- names (under names_lock) ----

    static uint32_t path_of(const SocketAddress& address, char* path) {
        uint32_t length = 0;
        while (sun_path_offset + length < address.length && length < sun_path_size &&
               address.bytes[sun_path_offset + length])
            path[length] = static_cast<char>(address.bytes[sun_path_offset + length]), ++length;
        path[length] = 0;
        return length;
    }

    static Result<Ref<fs::Node>> make_socket_node(const char* path) {
        fs::Location start = TRY(fs::start_for(fs::at_fdcwd, path));
        fs::ParentWalk at = TRY(fs::walk_parent(start, path));
        if (at.last.length == 0 || at.trailing_slash) return error(Errno::einval);
        auto node = at.parent.node()->make_socket(at.last, 0777 & ~fs::umask());
        if (!node.ok() && node.error_code() == Errno::eexist) return error(Errno::eaddrinuse);
        return node;
    }

    Result<void> autobind_locked() {
        // Linux picks five hex digits in the abstract namespace.
        for (uint32_t tries = 0; tries < 0x100000; ++tries) {
            SocketAddress name;
            name.bytes[0] = af_unix;
            name.bytes[1] = 0;
            name.bytes[2] = 0;
            uint32_t number = next_autobind++ & 0xfffff;
            name.length = sun_path_offset + 1 +
                          static_cast<uint32_t>(format(reinterpret_cast<char*>(name.bytes + 3), 6, "%05x", number));
            if (find_abstract_locked(name)) continue;
            name_ = name;
            register_locked();
            return {};
        }
        return error(Errno::eaddrinuse);
    }

    // `type` 0: of any type (a name is taken whatever its type).
    static UnixSocket* find_abstract_locked(const SocketAddress& address, int type = 0) {
        for (UnixSocket* s = named_sockets; s; s = s->next_named_)
            if (!s->node_ && (!type || s->type() == type) && s->name_.length == address.length &&
                !memcmp(s->name_.bytes, address.bytes, address.length))
                return s;
        return nullptr;
    }

    // The socket a name refers to: ECONNREFUSED when nobody is bound there.
    // Linux looks abstract names up by type too (another type: nobody there), and a
    // path's socket of another type is EPROTOTYPE.
    static Result<Ref<UnixSocket>> find(const SocketAddress& address, int type) {
        if (address.length <= sun_path_offset || address.length > sun_path_offset + sun_path_size ||
            address.family() != af_unix)
            return error(Errno::einval);
        Ref<fs::Node> node;
        if (address.bytes[sun_path_offset] != 0) {
            char path[sun_path_size + 1];
            path_of(address, path);
            fs::Location start = TRY(fs::start_for(fs::at_fdcwd, path));
            fs::Location location = TRY(fs::walk(start, path, fs::walk_follow));
            node = Ref<fs::Node>(location.node());
            if (node->type() != fs::NodeType::socket) return error(Errno::econnrefused);
        }
        MutexGuard guard(names_lock);
        UnixSocket* found = nullptr;
        if (node) {
            for (UnixSocket* s = named_sockets; s && !found; s = s->next_named_)
                if (s->node_.get() == node.get()) found = s;
            if (found && found->type() != type) return error(Errno::eprototype);
        } else {
            found = find_abstract_locked(address, type);
        }
        if (!found || !found->try_retain()) return error(Errno::econnrefused);
        Ref<UnixSocket> socket(found);
        found->release();
        return socket;
    }

    void register_locked() {
        next_named_ = named_sockets;
        named_sockets = this;
        registered_ = true;
    }
    void unregister_locked() {
        for (UnixSocket** link = &named_sockets; *link; link = &(*link)->next_named_) {
            if (*link == this) {
                *link = next_named_;
                break;
            }
        }
        registered_ = false;
    }

    Mutex lock_;  // the state, the peer, the backlog
    WaitQueue poll_;
    State state_ = State::unconnected;
    bool shut_read_ = false, shut_write_ = false;
    Ref<fs::PipeBuffer> rx_, tx_;       // stream: what the peer sent, what this one sends
    Ref<MessageQueue> inbox_, outbox_;  // messages: this socket's queue, the peer's
    Relay incoming_relay_, outgoing_relay_;
    SocketAddress name_, peer_;  // length 0: none
    Ref<fs::Node> node_;         // bound to a path: its socket node
    bool registered_ = false;
    UnixSocket* next_named_ = nullptr;
    Pending* pending_ = nullptr;  // listening: connections waiting for accept
    uint32_t pending_count_ = 0;
    uint32_t backlog_ = 0;
};

bool supported(int type) { return type == sock_stream || type == sock_dgram || type == sock_seqpacket; }

}  // namespace

Result<Ref<Socket>> make_unix_socket(int type, uint32_t flags) {
    if (!supported(type)) return error(Errno::esocktnosupport);
    auto* socket = new UnixSocket(type, flags);
    Ref<Socket> ref(socket);
    if (!socket || !socket->ready()) return error(Errno::enomem);
    return ref;
}

Result<SocketPair> make_unix_pair(int type, uint32_t flags) {
    if (!supported(type)) return error(Errno::esocktnosupport);
    auto* a = new UnixSocket(type, flags);
    Ref<Socket> first(a);
    auto* b = new UnixSocket(type, flags);
    Ref<Socket> second(b);
    if (!a || !b || !a->ready() || !b->ready()) return error(Errno::enomem);
    TRY(UnixSocket::join(*a, *b));
    return SocketPair{first, second};
}

}  // namespace eremite::net
