// futex(2): WAIT, WAKE, the BITSET variants, REQUEUE, CMP_REQUEUE and WAKE_OP, with
// relative and absolute timeouts on CLOCK_MONOTONIC and CLOCK_REALTIME, as Linux gives
// them (kernel/futex/). The PI and waitv operations return -ENOSYS.
#include "linux/futex.hpp"

#include "linux/futex_queue.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/string.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

// include/uapi/linux/futex.h
enum FutexOp : int {
    futex_wait = 0,
    futex_wake_op_code = 1,
    futex_requeue = 3,
    futex_cmp_requeue = 4,
    futex_wake_op = 5,
    futex_wait_bitset = 9,
    futex_wake_bitset = 10,
};
constexpr int futex_private = 128, futex_clock_realtime = 256;
constexpr uint32_t bitset_match_any = 0xffffffff;

struct Bucket {
    SpinLock lock;
    FutexQueue waiters;
};

constexpr unsigned bucket_count = 256;
Bucket buckets[bucket_count];

Bucket& bucket_for(const uint32_t* address) {
    uint64_t key = reinterpret_cast<uint64_t>(address) >> 2;
    key ^= key >> 17;
    key *= 0x9e3779b97f4a7c15ull;
    return buckets[key >> 56];
}

void wake_thread(void* thread) { sched::wake(static_cast<sched::Thread*>(thread)); }

struct Timespec {
    int64_t seconds, nanoseconds;
};

// Faults the word in (with interrupts on) and says whether it is readable app memory.
bool valid_word(const uint32_t* address) {
    uint32_t value;
    return load_app_u32(address, value);
}

// The TSC deadline of a futex timeout, 0 for none, or -1 when the timespec is invalid.
int64_t deadline_of(const Timespec* timeout, bool absolute, bool realtime) {
    if (!timeout) return 0;
    Timespec value;
    if (!read_app(value, timeout)) return -static_cast<int64_t>(Errno::efault);
    if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1000000000)
        return -static_cast<int64_t>(Errno::einval);
    uint64_t span = static_cast<uint64_t>(value.seconds) * 1000000000 + static_cast<uint64_t>(value.nanoseconds);
    if (!absolute) return static_cast<int64_t>(arch::read_tsc() + clock::ns_to_ticks(span)) | 1;
    uint64_t tsc = realtime ? clock::tsc_at_realtime(span) : clock::tsc_at_monotonic(span);
    return static_cast<int64_t>(tsc | 1);  // never 0, which means "no deadline"
}

int64_t wait(const uint32_t* address, uint32_t expected, const Timespec* timeout, bool absolute, bool realtime,
             uint32_t bitset) {
    int64_t deadline = deadline_of(timeout, absolute, realtime);
    if (deadline < 0) return deadline;
    Bucket& bucket = bucket_for(address);
    FutexWaiter waiter{sched::current(), address, bitset};
    for (;;) {
        // Fault the word in now: under the bucket lock interrupts are off, and the kernel
        // never pages app memory in with interrupts off.
        if (!valid_word(address)) return failure(Errno::efault);
        LockGuard guard(bucket.lock);
        // Compared under the bucket lock: a waker that changed the word takes the same
        // lock before it looks for waiters, so no wake-up falls between check and sleep.
        uint32_t value;
        if (!load_app_u32_locked(address, value)) continue;  // unmapped meanwhile: fault in again
        if (value != expected) return failure(Errno::eagain);
        bucket.waiters.add(&waiter);
        sched::prepare_to_block(static_cast<uint64_t>(deadline));
        break;
    }
    for (;;) {
        sched::schedule();
        // The waiter may have been requeued to another word, and so to another bucket,
        // while it slept: look in the bucket of the word it waits on now.
        for (;;) {
            const uint32_t* now_on = __atomic_load_n(&waiter.address, __ATOMIC_ACQUIRE);
            Bucket& current = bucket_for(now_on);
            LockGuard guard(current.lock);
            if (waiter.address != now_on) continue;            // requeued between the load and the lock
            if (!current.waiters.contains(&waiter)) return 0;  // a waker took it out: woken
            if (sched::current()->timed_out) {
                current.waiters.remove(&waiter);
                return failure(Errno::etimedout);
            }
            sched::prepare_to_block(static_cast<uint64_t>(deadline));  // a spurious return: wait on
            break;
        }
    }
}

// Applies FUTEX_WAKE_OP's operation to *target (with the buckets locked); returns the
// comparison's result, or -1 when the word faulted.
int apply_wake_op(uint32_t* target, uint32_t encoded) {
    int op = (encoded >> 28) & 7, compare = (encoded >> 24) & 15;
    uint32_t operand = (encoded >> 12) & 0xfff, argument = encoded & 0xfff;
    if (encoded & (8u << 28)) operand = 1u << (operand & 31);  // FUTEX_OP_OPARG_SHIFT
    uint32_t old, updated;
    if (!load_app_u32_locked(target, old)) return -1;
    for (;;) {
        switch (op) {
            case 0: updated = operand; break;
            case 1: updated = old + operand; break;
            case 2: updated = old | operand; break;
            case 3: updated = old & ~operand; break;
            default: updated = old ^ operand; break;
        }
        bool faulted;
        if (compare_exchange_app_u32_locked(target, old, updated, faulted)) break;
        if (faulted) return -1;
    }
    auto value = static_cast<int32_t>(old), against = static_cast<int32_t>(argument << 20) >> 20;
    switch (compare) {
        case 0: return value == against;
        case 1: return value != against;
        case 2: return value < against;
        case 3: return value <= against;
        case 4: return value > against;
        default: return value >= against;
    }
}

// Locks two buckets in a fixed order (the same bucket once).
class PairGuard {
public:
    PairGuard(Bucket& a, Bucket& b) : first_(&a < &b ? a : b), second_(&a < &b ? b : a) {
        irq_ = arch::disable_interrupts();
        first_.lock.lock();
        if (&second_ != &first_) second_.lock.lock();
    }
    ~PairGuard() {
        if (&second_ != &first_) second_.lock.unlock();
        first_.lock.unlock();
        arch::restore_interrupts(irq_);
    }

private:
    Bucket& first_;
    Bucket& second_;
    bool irq_;
};

// With both buckets locked.
int64_t wake_and_requeue(Bucket& source, Bucket& target, const uint32_t* from, const uint32_t* to, uint64_t wake_count,
                         uint64_t requeue_count) {
    int64_t done = static_cast<int64_t>(source.waiters.wake(from, wake_count, bitset_match_any, wake_thread));
    uint64_t moved = source.waiters.requeue(from, to, requeue_count, target.waiters);
    return done + static_cast<int64_t>(moved);
}

int64_t requeue(const uint32_t* from, const uint32_t* to, uint64_t wake_count, uint64_t requeue_count,
                const uint32_t* compare_value) {
    if (static_cast<int64_t>(wake_count) < 0 || static_cast<int64_t>(requeue_count) < 0) return failure(Errno::einval);
    Bucket& source = bucket_for(from);
    Bucket& target = bucket_for(to);
    for (;;) {
        if (!valid_word(from) || !valid_word(to)) return failure(Errno::efault);  // faults them in
        PairGuard guard(source, target);
        uint32_t value;
        if (!load_app_u32_locked(from, value)) continue;  // unmapped meanwhile: fault in again
        if (compare_value && value != *compare_value) return failure(Errno::eagain);
        return wake_and_requeue(source, target, from, to, wake_count, requeue_count);
    }
}

}  // namespace

int64_t futex_wake(const uint32_t* address, uint64_t count, uint32_t bitset) {
    Bucket& bucket = bucket_for(address);
    LockGuard guard(bucket.lock);
    return static_cast<int64_t>(bucket.waiters.wake(address, count, bitset, wake_thread));
}

int64_t sys_futex(const SyscallArgs& args) {
    auto* address = args.pointer<uint32_t>(0);
    int op = args.integer(1);
    bool realtime = op & futex_clock_realtime;
    auto value = static_cast<uint32_t>(args[2]);
    auto* timeout = args.pointer<const Timespec>(3);
    auto value3 = static_cast<uint32_t>(args[5]);
    switch (op & ~(futex_private | futex_clock_realtime)) {
        case futex_wait: return wait(address, value, timeout, false, realtime, bitset_match_any);
        case futex_wait_bitset:
            if (value3 == 0) return failure(Errno::einval);
            return wait(address, value, timeout, true, realtime, value3);
        case futex_wake_op_code:
            if (!valid_word(address)) return failure(Errno::efault);
            return futex_wake(address, value, bitset_match_any);
        case futex_wake_bitset:
            if (value3 == 0) return failure(Errno::einval);
            if (!valid_word(address)) return failure(Errno::efault);
            return futex_wake(address, value, value3);
        case futex_requeue: return requeue(address, args.pointer<const uint32_t>(4), value, args[3], nullptr);
        case futex_cmp_requeue: return requeue(address, args.pointer<const uint32_t>(4), value, args[3], &value3);
        case futex_wake_op: {
            auto* second = args.pointer<uint32_t>(4);
            Bucket& first_bucket = bucket_for(address);
            Bucket& second_bucket = bucket_for(second);
            for (;;) {
                // Fault the second word in for writing (see wait): a compare-exchange of a
                // value with itself writes nothing but needs write access.
                uint32_t seen = 0;
                bool faulted;
                if (!valid_word(address) || !load_app_u32(second, seen)) return failure(Errno::efault);
                (void)compare_exchange_app_u32(second, seen, seen, faulted);
                if (faulted) return failure(Errno::efault);
                PairGuard guard(first_bucket, second_bucket);
                int also_second = apply_wake_op(second, value3);
                if (also_second < 0) continue;  // unmapped meanwhile: fault in again
                uint64_t woken = first_bucket.waiters.wake(address, value, bitset_match_any, wake_thread);
                if (also_second) woken += second_bucket.waiters.wake(second, args[3], bitset_match_any, wake_thread);
                return static_cast<int64_t>(woken);
            }
        }
        default: return failure(Errno::enosys);
    }
}

namespace {

constexpr uint32_t futex_waiters = 0x80000000, futex_owner_died = 0x40000000, futex_tid_mask = 0x3fffffff;
constexpr int robust_list_limit = 2048;  // ROBUST_LIST_LIMIT: a circular list ends here

// handle_futex_death: the word at `address` of a dead owner `tid`.
void release_robust_futex(uint64_t address, int32_t tid, bool pending) {
    auto* word = reinterpret_cast<uint32_t*>(address);
    uint32_t value;
    if ((address & 3) || !load_app_u32(word, value)) return;
    // A lock the thread was taking or releasing when it died: its waiters may not know.
    if (pending && value == 0) {
        futex_wake(word, 1, 0xffffffff);
        return;
    }
    for (;;) {
        if ((value & futex_tid_mask) != static_cast<uint32_t>(tid)) return;
        uint32_t died = (value & futex_waiters) | futex_owner_died;
        bool faulted;
        if (compare_exchange_app_u32(word, value, died, faulted)) break;
        if (faulted) return;
    }
    if (value & futex_waiters) futex_wake(word, 1, 0xffffffff);
}

// An entry's address with the PI flag (bit 0) taken off; PI futexes are not supported.
uint64_t entry_address(uint64_t entry, bool& pi) {
    pi = entry & 1;
    return entry & ~uint64_t{1};
}

}  // namespace

void release_robust_futexes(uint64_t head, int32_t tid) {
    if (!head) return;
    struct {
        uint64_t next;
        int64_t futex_offset;
        uint64_t pending;
    } list;
    static_assert(sizeof list == robust_list_head_size);
    if (!copy_from_app(&list, reinterpret_cast<const void*>(head), sizeof list)) return;
    bool pi;
    uint64_t pending = entry_address(list.pending, pi);
    uint64_t entry = entry_address(list.next, pi);
    for (int left = robust_list_limit; entry != head && left > 0; --left) {
        bool entry_pi = pi;
        uint64_t next;
        if (!read_app(next, reinterpret_cast<const void*>(entry))) return;
        // The pending entry is handled last, once (Linux: it may also be on the list).
        if (entry != pending && !entry_pi) release_robust_futex(entry + list.futex_offset, tid, false);
        entry = entry_address(next, pi);
    }
    bool pending_pi = list.pending & 1;
    if (pending && !pending_pi) release_robust_futex(pending + list.futex_offset, tid, true);
}

}  // namespace eremite::linux
