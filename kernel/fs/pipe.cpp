#include "fs/pipe.hpp"

#include "lib/format.hpp"
#include "lib/string.hpp"
#include "linux/app_access.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

namespace eremite::fs {
namespace {

constexpr uint64_t pipefs_device = 0xe;  // what Linux's fstat shows as pipefs's st_dev (console_file.cpp too)
constexpr uint64_t fionread = 0x541b;
// F_GETPIPE_SZ and F_SETPIPE_SZ reach a pipe end through File::ioctl, the one virtual
// call that can ask a file whether it is one. Above 32 bits, so no ioctl(2) request
// (an unsigned int on Linux) means them; the argument is a size, never a pointer.
constexpr uint64_t request_pipe_size = 0xe7e0'0000'0000'0001, request_set_pipe_size = 0xe7e0'0000'0000'0002,
                   request_set_pipe_size_privileged = 0xe7e0'0000'0000'0003;

uint64_t next_inode = 0x1000;  // pipefs inode numbers (Linux's come from get_next_ino)

Timestamp now() {
    uint64_t ns = clock::realtime_ns();
    return Timestamp{static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000)};
}

template <typename T>
T load(const T& value) {
    return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}
template <typename T>
void store(T& to, T value) {
    __atomic_store_n(&to, value, __ATOMIC_RELEASE);
}

class Pipe final : public RefCounted {
public:
    Pipe(uint32_t uid, uint32_t gid)
        : inode_(__atomic_fetch_add(&next_inode, 1, __ATOMIC_RELAXED)), uid_(uid), gid_(gid) {
        created_ = now();
        accessed_ = modified_ = created_;
    }

    void open_end(bool reader) { __atomic_add_fetch(reader ? &readers_ : &writers_, 1, __ATOMIC_ACQ_REL); }

    // The last description of an end went away: a blocked peer must learn of it.
    void close_end(bool reader) {
        {
            MutexGuard guard(lock_);
            __atomic_sub_fetch(reader ? &readers_ : &writers_, 1, __ATOMIC_ACQ_REL);
        }
        (reader ? writer_waiters_ : reader_waiters_).wake_all();
        poll_waiters_.wake_all();
    }

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, bool nonblocking) {
        if (length == 0) return uint64_t{0};
        uint64_t done = 0;
        for (;;) {
            {
                MutexGuard guard(lock_);
                if (count_ > 0) {
                    done = TRY(copy_out(buffer, min(length, count_)));
                    accessed_ = now();
                    break;
                }
                if (load(writers_) == 0) return uint64_t{0};
                if (nonblocking) return error(Errno::eagain);
            }
            reader_waiters_.wait([&] { return load(count_) > 0 || load(writers_) == 0; });
        }
        writer_waiters_.wake_all();
        poll_waiters_.wake_all();
        return done;
    }

    // EPIPE (with `broken` set) when no read end is left; the caller raises SIGPIPE.
    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, bool nonblocking, bool& broken) {
        broken = false;
        if (length == 0) return uint64_t{0};  // a null write succeeds, even with no reader (pipe_write)
        bool atomic = length <= pipe_buf;
        uint64_t done = 0;
        for (;;) {
            bool moved = false;
            Errno failed = Errno::none;
            {
                MutexGuard guard(lock_);
                if (load(readers_) == 0) {
                    broken = true;
                    failed = Errno::epipe;
                } else if (!buffer_ && !(buffer_ = static_cast<uint8_t*>(mm::allocate(capacity_)))) {
                    failed = Errno::enomem;
                } else {
                    uint64_t space = capacity_ - count_;
                    if (atomic ? space >= length : space > 0) {
                        auto copied = copy_in(buffer, done, min(space, length - done));
                        if (copied.ok()) {
                            done += copied.value();
                            moved = true;
                            modified_ = now();
                        } else {
                            failed = copied.error_code();
                        }
                    } else if (nonblocking) {
                        failed = Errno::eagain;
                    }
                }
            }
            if (moved) {
                reader_waiters_.wake_all();
                poll_waiters_.wake_all();
            }
            if (done == length) return done;
            if (failed != Errno::none) return done ? Result<uint64_t>(done) : error(failed);
            if (nonblocking && moved) return done;  // what fitted (Linux: a partial write, then EAGAIN next time)
            // Room for all of a small write, or a page of a large one, before waking up.
            uint64_t wanted = atomic ? length : min(length - done, pipe_buf);
            writer_waiters_.wait([&] { return free_space() >= wanted || load(readers_) == 0; });
        }
    }

    uint32_t poll_events(bool reader, bool writer) {
        uint32_t events = 0;
        if (reader) {
            if (load(count_) > 0) events |= poll_in | poll_rdnorm;
            if (load(writers_) == 0) events |= poll_hup;
        }
        if (writer) {
            // Linux says POLLOUT while a page slot is free: a PIPE_BUF write then fits.
            if (free_space() >= pipe_buf) events |= poll_out | poll_wrnorm;
            if (load(readers_) == 0) events |= poll_err;
        }
        return events;
    }

    WaitQueue* poll_queue() { return &poll_waiters_; }
    uint64_t available() { return load(count_); }
    uint64_t size() { return load(capacity_); }

    Result<uint64_t> resize(uint64_t wanted, bool privileged) {
        if (wanted > (1ull << 31)) return error(Errno::einval);
        uint64_t size = page_size;  // round_pipe_size: a power-of-two number of pages
        while (size < wanted) size *= 2;
        MutexGuard guard(lock_);
        // Only growing past the limit needs the privilege (pipe_set_size).
        if (size > capacity_ && size > pipe_max_size && !privileged) return error(Errno::eperm);
        if (size == capacity_) return size;
        if (count_ > size) return error(Errno::ebusy);
        uint8_t* resized = nullptr;
        if (buffer_) {
            resized = static_cast<uint8_t*>(mm::allocate(size));
            if (!resized) return error(Errno::enomem);
            uint64_t first = min(count_, capacity_ - head_);
            memcpy(resized, buffer_ + head_, first);
            memcpy(resized + first, buffer_, count_ - first);
            mm::free(buffer_);
        }
        buffer_ = resized;
        head_ = 0;
        store(capacity_, size);
        // A larger pipe may let a blocked writer in.
        writer_waiters_.wake_all();
        poll_waiters_.wake_all();
        return size;
    }

    Attributes attributes() {
        Attributes a;
        a.device = pipefs_device;
        a.inode = inode_;
        a.mode = mode_fifo | 0600;
        a.uid = uid_;
        a.gid = gid_;
        a.block_size = page_size;
        MutexGuard guard(lock_);
        a.access = accessed_;
        a.modify = modified_;
        a.change = modified_;
        return a;
    }

    uint64_t inode() const { return inode_; }

protected:
    ~Pipe() override { mm::free(buffer_); }

private:
    // Without the lock, for wait conditions and poll: the two loads are not one snapshot
    // (a resize may fall between them), so a count above the capacity reads as no room.
    uint64_t free_space() const {
        uint64_t capacity = load(capacity_), count = load(count_);
        return capacity > count ? capacity - count : 0;
    }

    // Moves `length` (≤ count_) bytes from the ring into the buffer; the lock is held.
    Result<uint64_t> copy_out(const IoBuffer& buffer, uint64_t length) {
        uint64_t first = min(length, capacity_ - head_);
        if (!buffer.fill(0, buffer_ + head_, first)) return error(Errno::efault);
        // A fault in the wrapped part still delivers the first (pipe_read: what was
        // copied counts).
        if (length > first && !buffer.fill(first, buffer_, length - first)) length = first;
        head_ = (head_ + length) % capacity_;
        store(count_, count_ - length);
        if (count_ == 0) head_ = 0;
        return length;
    }

    // Appends `length` (≤ the free space) bytes from the buffer at `at`; the lock is held.
    Result<uint64_t> copy_in(const IoBuffer& buffer, uint64_t at, uint64_t length) {
        uint64_t tail = (head_ + count_) % capacity_;
        uint64_t first = min(length, capacity_ - tail);
        if (!buffer.drain(buffer_ + tail, at, first)) return error(Errno::efault);
        if (length > first && !buffer.drain(buffer_, at + first, length - first)) length = first;
        store(count_, count_ + length);
        return length;
    }

    Mutex lock_;
    WaitQueue reader_waiters_, writer_waiters_, poll_waiters_;
    uint8_t* buffer_ = nullptr;  // allocated at the first write
    uint64_t capacity_ = pipe_default_size;
    uint64_t head_ = 0;   // where the oldest byte is
    uint64_t count_ = 0;  // bytes in the pipe
    uint32_t readers_ = 0, writers_ = 0;
    uint64_t inode_;
    uint32_t uid_, gid_;
    Timestamp created_, accessed_, modified_;
};

class PipeEnd final : public File {
public:
    PipeEnd(Pipe& pipe, uint32_t flags) : File(flags), pipe_(&pipe), reader_(readable()) { pipe_->open_end(reader_); }

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        return pipe_->read(buffer, length, nonblocking());
    }

    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        bool broken;
        auto done = pipe_->write(buffer, length, nonblocking(), broken);
        if (broken) linux::raise_broken_pipe_signal();
        return done;
    }

    Result<Attributes> attributes() override { return pipe_->attributes(); }

    Result<int64_t> ioctl(uint64_t request, uint64_t argument) override {
        switch (request) {
            case fionread: {
                auto count = static_cast<int32_t>(min<uint64_t>(pipe_->available(), INT32_MAX));
                if (!linux::write_app(reinterpret_cast<void*>(argument), count)) return error(Errno::efault);
                return int64_t{0};
            }
            case request_pipe_size: return static_cast<int64_t>(pipe_->size());
            case request_set_pipe_size:
            case request_set_pipe_size_privileged: {
                uint64_t size = TRY(pipe_->resize(argument, request == request_set_pipe_size_privileged));
                return static_cast<int64_t>(size);
            }
            default: return error(Errno::enotty);
        }
    }

    uint32_t poll_events() override { return pipe_->poll_events(reader_, !reader_); }
    WaitQueue* poll_queue() override { return pipe_->poll_queue(); }

    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override {
        char text[32];
        length = format(text, sizeof text, "pipe:[%lu]", pipe_->inode());
        if (length > capacity) return false;
        memcpy(buffer, text, length);
        return true;
    }

protected:
    ~PipeEnd() override { pipe_->close_end(reader_); }

private:
    Ref<Pipe> pipe_;
    bool reader_;
};

}  // namespace

Result<PipeEnds> make_pipe(uint32_t flags, uint32_t uid, uint32_t gid) {
    Ref<Pipe> pipe(new Pipe(uid, gid));
    if (!pipe) return error(Errno::enomem);
    uint32_t status = flags & o_nonblock;
    Ref<File> read(new PipeEnd(*pipe, o_rdonly | status));
    if (!read) return error(Errno::enomem);
    Ref<File> write(new PipeEnd(*pipe, o_wronly | status));
    if (!write) return error(Errno::enomem);
    return PipeEnds{read, write};
}

// Any file but a pipe end refuses the request one way or another: that is EBADF, as
// Linux's get_pipe_info() failing.
Result<uint64_t> pipe_size(File& file) {
    auto size = file.ioctl(request_pipe_size, 0);
    if (!size.ok() || size.value() <= 0) return error(Errno::ebadf);
    return static_cast<uint64_t>(size.value());
}

Result<uint64_t> set_pipe_size(File& file, uint64_t size, bool privileged) {
    TRY(pipe_size(file));
    int64_t done = TRY(file.ioctl(privileged ? request_set_pipe_size_privileged : request_set_pipe_size, size));
    return static_cast<uint64_t>(done);
}

}  // namespace eremite::fs
