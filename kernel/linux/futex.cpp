// futex(2) for a process with one thread: a wait can only end by its timeout (nobody
// else can wake it), a wake finds nobody, and FUTEX_WAKE_OP still performs its
// operation. The table of waiters arrives with threads and the scheduler.
#include "arch/x86_64/cpu.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/syscall.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

// include/uapi/linux/futex.h
enum FutexOp : int {
    futex_wait = 0,
    futex_wake = 1,
    futex_requeue = 3,
    futex_cmp_requeue = 4,
    futex_wake_op = 5,
    futex_wait_bitset = 9,
    futex_wake_bitset = 10,
};
constexpr int futex_private = 128, futex_clock_realtime = 256;

struct Timespec {
    int64_t seconds, nanoseconds;
};

bool read_word(const SyscallArgs& args, int index, uint32_t& value) {
    auto* address = args.pointer<const uint32_t>(index);
    if (reinterpret_cast<uint64_t>(address) % 4 || !app_readable(address, 4)) return false;
    value = __atomic_load_n(address, __ATOMIC_SEQ_CST);
    return true;
}

// Waits until the deadline passes: with one thread nothing else can happen meanwhile.
int64_t wait_until(uint64_t deadline_ns, bool realtime) {
    while ((realtime ? clock::realtime_ns() : clock::monotonic_ns()) < deadline_ns) arch::pause();
    return failure(Errno::etimedout);
}

int64_t wait(const SyscallArgs& args, bool absolute, bool realtime) {
    uint32_t current;
    if (!read_word(args, 0, current)) return failure(Errno::efault);
    if (current != static_cast<uint32_t>(args[2])) return failure(Errno::eagain);
    auto* timeout = args.pointer<const Timespec>(3);
    if (!timeout) {
        log::warn("futex: the app's only thread waits for a wake-up that nobody can send; it will wait forever");
        arch::halt_forever();
    }
    if (!app_readable(timeout, sizeof(Timespec))) return failure(Errno::efault);
    Timespec value;
    memcpy(&value, timeout, sizeof value);
    if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1000000000) return failure(Errno::einval);
    uint64_t span = static_cast<uint64_t>(value.seconds) * 1000000000 + static_cast<uint64_t>(value.nanoseconds);
    uint64_t now = realtime ? clock::realtime_ns() : clock::monotonic_ns();
    return wait_until(absolute ? span : now + span, realtime);
}

int64_t wake_op(const SyscallArgs& args) {
    auto* target = args.pointer<uint32_t>(4);
    if (reinterpret_cast<uint64_t>(target) % 4 || !app_writable(target, 4)) return failure(Errno::efault);
    uint32_t encoded = static_cast<uint32_t>(args[5]);
    int op = (encoded >> 28) & 7, compare = (encoded >> 24) & 15;
    int32_t operand = static_cast<int32_t>(encoded << 8) >> 20;
    if (encoded & (8u << 28)) operand = 1 << (operand & 31);  // FUTEX_OP_OPARG_SHIFT
    if (op > 4 || compare > 5) return failure(Errno::enosys);
    uint32_t old = *target;
    uint32_t updated[] = {static_cast<uint32_t>(operand), old + operand, old | operand, old & ~operand, old ^ operand};
    *target = updated[op];
    return 0;  // no thread was waiting on either word
}

}  // namespace

int64_t sys_futex(const SyscallArgs& args) {
    int op = args.integer(1);
    bool realtime = op & futex_clock_realtime;
    switch (op & ~(futex_private | futex_clock_realtime)) {
        case futex_wait: return wait(args, false, realtime);  // a relative timeout: the clock hardly matters
        case futex_wait_bitset:
            if (static_cast<uint32_t>(args[5]) == 0) return failure(Errno::einval);
            return wait(args, true, realtime);
        case futex_wake:
        case futex_requeue: {
            uint32_t ignored;
            return read_word(args, 0, ignored) ? 0 : failure(Errno::efault);
        }
        case futex_wake_bitset: {
            uint32_t ignored;
            if (static_cast<uint32_t>(args[5]) == 0) return failure(Errno::einval);
            return read_word(args, 0, ignored) ? 0 : failure(Errno::efault);
        }
        case futex_cmp_requeue: {
            uint32_t current;
            if (!read_word(args, 0, current)) return failure(Errno::efault);
            return current == static_cast<uint32_t>(args[5]) ? 0 : failure(Errno::eagain);
        }
        case futex_wake_op: return wake_op(args);
        default: return failure(Errno::enosys);
    }
}

}  // namespace eremite::linux
