#include "fs/eventfd.hpp"

#include "lib/string.hpp"
#include "sync/spinlock.hpp"
#include "sync/wait_queue.hpp"

namespace eremite::fs {
namespace {

// Linux's anonymous inode (fs/anon_inodes.c): one inode for every eventfd, mode 0600
// with no file-type bits, owned by root, on the anon_inodefs superblock.
constexpr uint64_t anon_inodefs_device = 0xf;
constexpr uint64_t anon_inode_number = 1;
constexpr uint64_t counter_max = ~0ull;  // ULLONG_MAX: never reached by a write

class EventFd final : public File {
public:
    EventFd(uint64_t initial, bool semaphore, uint32_t flags)
        : File(o_rdwr | (flags & o_nonblock)), count_(initial), semaphore_(semaphore) {}

    bool seek_does_nothing() const override { return true; }

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        if (length < sizeof(uint64_t)) return error(Errno::einval);
        uint64_t value;
        for (;;) {
            {
                LockGuard guard(lock_);
                if (count_ > 0) {
                    value = semaphore_ ? 1 : count_;
                    __atomic_store_n(&count_, count_ - value, __ATOMIC_RELEASE);
                    break;
                }
            }
            if (nonblocking()) return error(Errno::eagain);
            reader_waiters_.wait([&] { return __atomic_load_n(&count_, __ATOMIC_ACQUIRE) > 0; });
        }
        writer_waiters_.wake_all();
        poll_waiters_.wake_all();
        // As eventfd_read: the count is taken even when the copy then fails.
        if (!buffer.fill(0, &value, sizeof value)) return error(Errno::efault);
        return sizeof value;
    }

    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        if (length != sizeof(uint64_t)) return error(Errno::einval);  // exactly 8 (a read may ask more)
        uint64_t value;
        if (!buffer.drain(&value, 0, sizeof value)) return error(Errno::efault);
        if (value == counter_max) return error(Errno::einval);
        // It fits while counter_max - count > value: the sum stays below counter_max.
        auto fits = [&] { return counter_max - __atomic_load_n(&count_, __ATOMIC_ACQUIRE) > value; };
        for (;;) {
            {
                LockGuard guard(lock_);
                if (counter_max - count_ > value) {
                    __atomic_store_n(&count_, count_ + value, __ATOMIC_RELEASE);
                    break;
                }
            }
            if (nonblocking()) return error(Errno::eagain);
            writer_waiters_.wait(fits);
        }
        if (value) {
            reader_waiters_.wake_all();
            poll_waiters_.wake_all();
        }
        return sizeof value;
    }

    Result<Attributes> attributes() override {
        Attributes a;
        a.device = anon_inodefs_device;
        a.inode = anon_inode_number;
        a.mode = 0600;
        a.block_size = 4096;
        return a;
    }

    // eventfd_poll.
    uint32_t poll_events() override {
        uint64_t count = __atomic_load_n(&count_, __ATOMIC_ACQUIRE);
        uint32_t events = 0;
        if (count > 0) events |= poll_in | poll_rdnorm;
        if (count == counter_max) events |= poll_err;
        if (counter_max - 1 > count) events |= poll_out | poll_wrnorm;
        return events;
    }
    WaitQueue* poll_queue() override { return &poll_waiters_; }

    bool describe(char* buffer, uint64_t capacity, uint64_t& length) override {
        return describe_as("anon_inode:[eventfd]", buffer, capacity, length);
    }

private:
    SpinLock lock_;
    uint64_t count_;
    bool semaphore_;
    WaitQueue reader_waiters_, writer_waiters_, poll_waiters_;
};

}  // namespace

Result<Ref<File>> make_eventfd(uint64_t initial, bool semaphore, uint32_t flags) {
    auto* file = new EventFd(initial, semaphore, flags);
    if (!file) return error(Errno::enomem);
    return Ref<File>(file);
}

}  // namespace eremite::fs
