// The vDSO (AT_SYSINFO_EHDR): clock_gettime, gettimeofday, time, clock_getres and getcpu
// for glibc, musl and Go without a system call, as Linux's arch/x86/entry/vdso provides
// them (symbol version LINUX_2.6). Built as a tiny position-independent shared object
// with no relocations, embedded in the kernel image and mapped into the app. Anything it
// cannot answer (the CPU-time clocks, an unknown clock) goes to the real syscall.
#include <stdint.h>

#include "vdso/vdso_data.hpp"

using eremite::vdso::Data;

extern "C" const Data vvar_page __attribute__((visibility("hidden")));  // vdso.ld: the page below

namespace {

struct Timespec {
    int64_t seconds, nanoseconds;
};
struct Timeval {
    int64_t seconds, microseconds;
};

inline uint64_t now_since_boot() {
    const Data& d = vvar_page;
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    uint64_t ticks = ((static_cast<uint64_t>(high) << 32) | low) - d.tsc_at_boot;
    return static_cast<uint64_t>((static_cast<unsigned __int128>(ticks) * d.multiplier) >> d.shift);
}

inline long syscall2(long number, long a, long b) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return result;
}
inline long syscall3(long number, long a, long b, long c) {
    long result;
    asm volatile("syscall" : "=a"(result) : "a"(number), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return result;
}

constexpr long nr_gettimeofday = 96, nr_clock_gettime = 228, nr_clock_getres = 229, nr_getcpu = 309;

// Nanoseconds on `clock`, or -1 where the kernel must answer.
inline int64_t read_clock(int clock) {
    switch (clock) {
        case 0:
        case 5:
        case 8:
        case 11:  // REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
            return static_cast<int64_t>(vvar_page.realtime_at_boot + now_since_boot());
        case 1:
        case 4:
        case 6:
        case 7:
        case 9:  // MONOTONIC, _RAW, _COARSE, BOOTTIME, BOOTTIME_ALARM
            return static_cast<int64_t>(vvar_page.monotonic_at_boot + now_since_boot());
        default: return -1;
    }
}

}  // namespace

#define EXPORTED __attribute__((visibility("default")))

extern "C" {

EXPORTED int __vdso_clock_gettime(int clock, Timespec* ts) {
    int64_t ns = read_clock(clock);
    if (ns < 0) return static_cast<int>(syscall2(nr_clock_gettime, clock, reinterpret_cast<long>(ts)));
    ts->seconds = ns / 1000000000;
    ts->nanoseconds = ns % 1000000000;
    return 0;
}

EXPORTED int __vdso_gettimeofday(Timeval* tv, void* tz) {
    if (tz) return static_cast<int>(syscall2(nr_gettimeofday, reinterpret_cast<long>(tv), reinterpret_cast<long>(tz)));
    if (tv) {
        int64_t ns = read_clock(0);
        tv->seconds = ns / 1000000000;
        tv->microseconds = ns % 1000000000 / 1000;
    }
    return 0;
}

EXPORTED int64_t __vdso_time(int64_t* t) {
    int64_t seconds = read_clock(0) / 1000000000;
    if (t) *t = seconds;
    return seconds;
}

EXPORTED int __vdso_clock_getres(int clock, Timespec* res) {
    if (read_clock(clock) < 0) return static_cast<int>(syscall2(nr_clock_getres, clock, reinterpret_cast<long>(res)));
    if (res) *res = Timespec{0, 1};
    return 0;
}

EXPORTED int __vdso_getcpu(unsigned* cpu, unsigned* node, void* cache) {
    if (!vvar_page.has_rdtscp)
        return static_cast<int>(syscall3(nr_getcpu, reinterpret_cast<long>(cpu), reinterpret_cast<long>(node),
                                         reinterpret_cast<long>(cache)));
    unsigned low, high, aux;
    asm volatile("rdtscp" : "=a"(low), "=d"(high), "=c"(aux));
    if (cpu) *cpu = aux;
    if (node) *node = 0;
    return 0;
}

EXPORTED int clock_gettime(int, Timespec*) __attribute__((weak, alias("__vdso_clock_gettime")));
EXPORTED int gettimeofday(Timeval*, void*) __attribute__((weak, alias("__vdso_gettimeofday")));
EXPORTED int64_t time(int64_t*) __attribute__((weak, alias("__vdso_time")));
EXPORTED int clock_getres(int, Timespec*) __attribute__((weak, alias("__vdso_clock_getres")));
EXPORTED int getcpu(unsigned*, unsigned*, void*) __attribute__((weak, alias("__vdso_getcpu")));
}
