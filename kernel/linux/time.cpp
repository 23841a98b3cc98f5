// clock_gettime, clock_getres, gettimeofday, time.
#include "arch/x86_64/cpu.hpp"
#include "lib/string.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

struct Timespec {
    int64_t seconds;
    int64_t nanoseconds;
};
struct Timeval {
    int64_t seconds;
    int64_t microseconds;
};

// include/uapi/linux/time.h
enum ClockId : int32_t {
    clock_realtime = 0,
    clock_monotonic = 1,
    clock_process_cputime = 2,
    clock_thread_cputime = 3,
    clock_monotonic_raw = 4,
    clock_realtime_coarse = 5,
    clock_monotonic_coarse = 6,
    clock_boottime = 7,
    clock_realtime_alarm = 8,
    clock_boottime_alarm = 9,
    clock_tai = 11,
};

// Nanoseconds on `clock`, or -1 for a clock Eremite does not have.
int64_t read_clock(int32_t clock) {
    switch (clock) {
        case clock_realtime:
        case clock_realtime_coarse:
        case clock_realtime_alarm:
        case clock_tai:  // TAI offset is 0 until someone sets it, as on a fresh Linux boot
            return static_cast<int64_t>(clock::realtime_ns());
        case clock_monotonic:
        case clock_monotonic_raw:
        case clock_monotonic_coarse:
        case clock_boottime:
        case clock_boottime_alarm: return static_cast<int64_t>(clock::monotonic_ns());
        case clock_process_cputime: return static_cast<int64_t>(sched::process_cpu_time_ns());
        case clock_thread_cputime: {
            sched::Thread* self = sched::current();
            return static_cast<int64_t>(self->cpu_time_ns + clock::ticks_to_ns(arch::read_tsc() - self->ran_since));
        }
        default: return -1;
    }
}

// Reads and checks a timespec from the app: nanoseconds, or a negative errno.
int64_t read_timespec(const void* address) {
    Timespec value;
    if (!read_app(value, address)) return -static_cast<int64_t>(Errno::efault);
    if (value.seconds < 0 || value.nanoseconds < 0 || value.nanoseconds >= 1000000000)
        return -static_cast<int64_t>(Errno::einval);
    if (value.seconds > 9000000000) value.seconds = 9000000000;  // ~285 years: effectively forever
    return value.seconds * 1000000000 + value.nanoseconds;
}

// Blocks the calling thread until the TSC passes `deadline`; other threads run meanwhile.
void sleep_until(uint64_t deadline) {
    while (arch::read_tsc() < deadline) {
        sched::prepare_to_block(deadline);
        sched::schedule();
    }
}

}  // namespace

int64_t sys_nanosleep(const SyscallArgs& args) {
    int64_t span = read_timespec(args.pointer<void>(0));
    if (span < 0) return span;
    sleep_until(arch::read_tsc() + clock::ns_to_ticks(static_cast<uint64_t>(span)));
    return 0;  // never interrupted by a signal, so `rem` stays untouched
}

int64_t sys_clock_nanosleep(const SyscallArgs& args) {
    constexpr uint64_t timer_abstime = 1;
    int32_t clock = args.integer(0);
    bool realtime;
    switch (clock) {
        case clock_realtime:
        case clock_tai: realtime = true; break;
        case clock_monotonic:
        case clock_boottime: realtime = false; break;
        case clock_thread_cputime: return failure(Errno::einval);
        default: return failure(Errno::enotsup);
    }
    int64_t span = read_timespec(args.pointer<void>(2));
    if (span < 0) return span;
    uint64_t deadline;
    if (args[1] & timer_abstime)
        deadline = realtime ? clock::tsc_at_realtime(static_cast<uint64_t>(span))
                            : clock::tsc_at_monotonic(static_cast<uint64_t>(span));
    else
        deadline = arch::read_tsc() + clock::ns_to_ticks(static_cast<uint64_t>(span));
    sleep_until(deadline);
    return 0;
}

int64_t sys_clock_gettime(const SyscallArgs& args) {
    int64_t now = read_clock(args.integer(0));
    if (now < 0) return failure(Errno::einval);
    Timespec value{now / 1000000000, now % 1000000000};
    return write_app(args.pointer<void>(1), value) ? 0 : failure(Errno::efault);
}

int64_t sys_clock_getres(const SyscallArgs& args) {
    if (read_clock(args.integer(0)) < 0) return failure(Errno::einval);
    if (!args[1]) return 0;
    Timespec resolution{0, 1};  // the TSC resolves far below a nanosecond
    return write_app(args.pointer<void>(1), resolution) ? 0 : failure(Errno::efault);
}

int64_t sys_gettimeofday(const SyscallArgs& args) {
    if (args[0]) {
        auto now = static_cast<int64_t>(clock::realtime_ns());
        Timeval value{now / 1000000000, now % 1000000000 / 1000};
        if (!write_app(args.pointer<void>(0), value)) return failure(Errno::efault);
    }
    if (args[1]) {
        struct Timezone {
            int32_t minutes_west, dst_time;
        } zone{0, 0};  // the kernel's timezone is UTC unless set with settimeofday
        if (!write_app(args.pointer<void>(1), zone)) return failure(Errno::efault);
    }
    return 0;
}

int64_t sys_time(const SyscallArgs& args) {
    auto seconds = static_cast<int64_t>(clock::realtime_ns() / 1000000000);
    if (args[0]) {
        if (!write_app(args.pointer<void>(0), seconds)) return failure(Errno::efault);
    }
    return seconds;
}

}  // namespace eremite::linux
