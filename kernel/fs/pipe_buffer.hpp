// The buffer behind a pipe (pipe(7)) and behind a connected AF_UNIX stream socket, one
// per direction: a byte ring between read ends and write ends, counted so that a reader
// sees end of file once every write end is gone and a writer gets EPIPE once every read
// end is. As on Linux: 64 KiB by default, resizable (F_SETPIPE_SZ) between a page and
// /proc/sys/fs/pipe-max-size (1 MiB; more for root); writes of at most PIPE_BUF bytes are
// atomic; a read returns what is there (at least a byte).
//
// Locking: a sleeping Mutex guards the ring and the counts, and data moves between the
// ring and app memory with it held (it may page-fault; no spinlock is held and
// interrupts are on). Blocked readers and writers sleep on their own wait queues, whose
// conditions read the counts atomically; every change of state wakes the matching queue
// and the poll queue after the change.
#pragma once

#include <stdint.h>

#include "fs/file.hpp"
#include "fs/pipe.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"
#include "sync/wait_queue.hpp"

namespace eremite::fs {

inline constexpr uint64_t pipefs_device = 0xe;  // what Linux's fstat shows as pipefs's st_dev

namespace pipe_detail {
Timestamp now();
template <typename T>
T load(const T& value) {
    return __atomic_load_n(&value, __ATOMIC_ACQUIRE);
}
template <typename T>
void store(T& to, T value) {
    __atomic_store_n(&to, value, __ATOMIC_RELEASE);
}
}  // namespace pipe_detail

class PipeBuffer final : public RefCounted {
public:
    PipeBuffer(uint32_t uid, uint32_t gid);

    void open_end(bool reader) { __atomic_add_fetch(reader ? &readers_ : &writers_, 1, __ATOMIC_ACQ_REL); }

    // The last description of an end went away: a blocked peer must learn of it.
    // (A reader end closed while a thread still reads: a socket shut down for reading,
    // whose blocked reads then end too.)
    void close_end(bool reader) {
        {
            MutexGuard guard(lock_);
            __atomic_sub_fetch(reader ? &readers_ : &writers_, 1, __ATOMIC_ACQ_REL);
        }
        writer_waiters_.wake_all();
        reader_waiters_.wake_all();
        poll_waiters_.wake_all();
    }

    // `peek` leaves the bytes in the ring (MSG_PEEK); a TSC `deadline` (0: none) ends a
    // blocked read with EAGAIN (SO_RCVTIMEO).
    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, bool nonblocking, bool peek = false,
                          uint64_t deadline = 0) {
        if (length == 0) return uint64_t{0};
        uint64_t done = 0;
        for (;;) {
            {
                MutexGuard guard(lock_);
                if (count_ > 0) {
                    done = TRY(copy_out(buffer, min(length, count_), peek));
                    accessed_ = pipe_detail::now();
                    break;
                }
                if (pipe_detail::load(writers_) == 0 || pipe_detail::load(readers_) == 0) return uint64_t{0};
                if (nonblocking) return error(Errno::eagain);
            }
            if (!reader_waiters_.wait(
                    [&] {
                        return pipe_detail::load(count_) > 0 || pipe_detail::load(writers_) == 0 ||
                               pipe_detail::load(readers_) == 0;
                    },
                    deadline))
                return error(Errno::eagain);
        }
        if (!peek) {
            writer_waiters_.wake_all();
            poll_waiters_.wake_all();
        }
        return done;
    }

    // EPIPE (with `broken` set) when no read end is left; the caller raises SIGPIPE. A
    // TSC `deadline` (0: none) ends a blocked write (SO_SNDTIMEO): what was written, or
    // EAGAIN.
    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, bool nonblocking, bool& broken,
                           uint64_t deadline = 0) {
        broken = false;
        if (length == 0) return uint64_t{0};  // a null write succeeds, even with no reader (pipe_write)
        bool atomic = length <= pipe_buf;
        uint64_t done = 0;
        for (;;) {
            bool moved = false;
            Errno failed = Errno::none;
            {
                MutexGuard guard(lock_);
                if (pipe_detail::load(readers_) == 0) {
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
                            modified_ = pipe_detail::now();
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
            if (!writer_waiters_.wait([&] { return free_space() >= wanted || pipe_detail::load(readers_) == 0; },
                                      deadline))
                return done ? Result<uint64_t>(done) : error(Errno::eagain);
        }
    }

    uint32_t readers() const { return pipe_detail::load(readers_); }
    uint32_t writers() const { return pipe_detail::load(writers_); }
    uint64_t space() const { return free_space(); }

    uint32_t poll_events(bool reader, bool writer) {
        uint32_t events = 0;
        if (reader) {
            if (pipe_detail::load(count_) > 0) events |= poll_in | poll_rdnorm;
            if (pipe_detail::load(writers_) == 0) events |= poll_hup;
        }
        if (writer) {
            // Linux says POLLOUT while a page slot is free: a PIPE_BUF write then fits.
            if (free_space() >= pipe_buf) events |= poll_out | poll_wrnorm;
            if (pipe_detail::load(readers_) == 0) events |= poll_err;
        }
        return events;
    }

    WaitQueue* poll_queue() { return &poll_waiters_; }
    uint64_t available() { return pipe_detail::load(count_); }
    uint64_t size() { return pipe_detail::load(capacity_); }

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
        pipe_detail::store(capacity_, size);
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
    ~PipeBuffer() override;

private:
    // Without the lock, for wait conditions and poll: the two loads are not one snapshot
    // (a resize may fall between them), so a count above the capacity reads as no room.
    uint64_t free_space() const {
        uint64_t capacity = pipe_detail::load(capacity_), count = pipe_detail::load(count_);
        return capacity > count ? capacity - count : 0;
    }

    // Moves `length` (≤ count_) bytes from the ring into the buffer; the lock is held.
    Result<uint64_t> copy_out(const IoBuffer& buffer, uint64_t length, bool peek) {
        uint64_t first = min(length, capacity_ - head_);
        if (!buffer.fill(0, buffer_ + head_, first)) return error(Errno::efault);
        // A fault in the wrapped part still delivers the first (pipe_read: what was
        // copied counts).
        if (length > first && !buffer.fill(first, buffer_, length - first)) length = first;
        if (peek) return length;
        head_ = (head_ + length) % capacity_;
        pipe_detail::store(count_, count_ - length);
        if (count_ == 0) head_ = 0;
        return length;
    }

    // Appends `length` (≤ the free space) bytes from the buffer at `at`; the lock is held.
    Result<uint64_t> copy_in(const IoBuffer& buffer, uint64_t at, uint64_t length) {
        uint64_t tail = (head_ + count_) % capacity_;
        uint64_t first = min(length, capacity_ - tail);
        if (!buffer.drain(buffer_ + tail, at, first)) return error(Errno::efault);
        if (length > first && !buffer.drain(buffer_, at + first, length - first)) length = first;
        pipe_detail::store(count_, count_ + length);
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

}  // namespace eremite::fs
