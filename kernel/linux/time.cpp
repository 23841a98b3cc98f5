// clock_gettime, clock_getres, gettimeofday, time.
#include "lib/string.hpp"
#include "linux/syscall.hpp"
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
        case clock_process_cputime:
        case clock_thread_cputime:
            // One thread that has had the CPU since boot.
            return static_cast<int64_t>(clock::nanoseconds_since_boot());
        default: return -1;
    }
}

}  // namespace

int64_t sys_clock_gettime(const SyscallArgs& args) {
    int64_t now = read_clock(args.integer(0));
    if (now < 0) return failure(Errno::einval);
    if (!app_writable(args.pointer<void>(1), sizeof(Timespec))) return failure(Errno::efault);
    Timespec value{now / 1000000000, now % 1000000000};
    memcpy(args.pointer<void>(1), &value, sizeof value);
    return 0;
}

int64_t sys_clock_getres(const SyscallArgs& args) {
    if (read_clock(args.integer(0)) < 0) return failure(Errno::einval);
    if (!args[1]) return 0;
    if (!app_writable(args.pointer<void>(1), sizeof(Timespec))) return failure(Errno::efault);
    Timespec resolution{0, 1};  // the TSC resolves far below a nanosecond
    memcpy(args.pointer<void>(1), &resolution, sizeof resolution);
    return 0;
}

int64_t sys_gettimeofday(const SyscallArgs& args) {
    if (args[0]) {
        if (!app_writable(args.pointer<void>(0), sizeof(Timeval))) return failure(Errno::efault);
        auto now = static_cast<int64_t>(clock::realtime_ns());
        Timeval value{now / 1000000000, now % 1000000000 / 1000};
        memcpy(args.pointer<void>(0), &value, sizeof value);
    }
    if (args[1]) {
        struct Timezone {
            int32_t minutes_west, dst_time;
        } zone{0, 0};  // the kernel's timezone is UTC unless set with settimeofday
        if (!app_writable(args.pointer<void>(1), sizeof zone)) return failure(Errno::efault);
        memcpy(args.pointer<void>(1), &zone, sizeof zone);
    }
    return 0;
}

int64_t sys_time(const SyscallArgs& args) {
    auto seconds = static_cast<int64_t>(clock::realtime_ns() / 1000000000);
    if (args[0]) {
        if (!app_writable(args.pointer<void>(0), sizeof seconds)) return failure(Errno::efault);
        memcpy(args.pointer<void>(0), &seconds, sizeof seconds);
    }
    return seconds;
}

}  // namespace eremite::linux
