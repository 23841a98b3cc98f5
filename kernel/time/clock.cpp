#include "time/clock.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/log.hpp"

namespace eremite::clock {
namespace {

constexpr unsigned shift = 32;
uint64_t multiplier = 0;  // nanoseconds per TSC tick, << shift
uint64_t khz = 0;
uint64_t tsc_at_boot = 0;
uint64_t monotonic_at_boot = 0;
uint64_t realtime_at_boot = 0;

constexpr uint32_t msr_kvm_pvm_tsc_khz = 0x4b564d13;

uint64_t calibrated_khz(const abi::BootInfo& info) {
    if (info.tsc_khz) return info.tsc_khz;
    if (arch::on_kvm_pvm()) return arch::read_msr(msr_kvm_pvm_tsc_khz);
    // CPUID 0x15: TSC/crystal ratio and the crystal frequency, where the CPU reports both.
    if (arch::cpuid(0).eax >= 0x15) {
        auto leaf = arch::cpuid(0x15);
        if (leaf.eax && leaf.ebx && leaf.ecx) return uint64_t{leaf.ecx} * leaf.ebx / leaf.eax / 1000;
    }
    return 0;
}

}  // namespace

void init(const abi::BootInfo& info) {
    khz = calibrated_khz(info);
    if (!khz) {
        log::warn("clock: no TSC frequency known; assuming 1 GHz");
        khz = 1000000;
    }
    multiplier = (uint64_t{1000000} << shift) / khz;
    tsc_at_boot = info.tsc_at_boot;
    monotonic_at_boot = info.monotonic_ns_at_boot;
    realtime_at_boot = info.realtime_ns_at_boot;
}

uint64_t tsc_khz() { return khz; }

VdsoParameters vdso_parameters() {
    return VdsoParameters{tsc_at_boot, multiplier, shift, monotonic_at_boot, realtime_at_boot};
}

uint64_t nanoseconds_since_boot() { return ticks_to_ns(arch::read_tsc() - tsc_at_boot); }

uint64_t ticks_to_ns(uint64_t ticks) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(ticks) * multiplier) >> shift);
}

uint64_t ns_to_ticks(uint64_t nanoseconds) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(nanoseconds) * khz / 1000000);
}

uint64_t tsc_at_monotonic(uint64_t nanoseconds) {
    uint64_t since_boot = nanoseconds > monotonic_at_boot ? nanoseconds - monotonic_at_boot : 0;
    return tsc_at_boot + ns_to_ticks(since_boot);
}

uint64_t tsc_at_realtime(uint64_t nanoseconds) {
    uint64_t since_boot = nanoseconds > realtime_at_boot ? nanoseconds - realtime_at_boot : 0;
    return tsc_at_boot + ns_to_ticks(since_boot);
}

uint64_t monotonic_ns() { return monotonic_at_boot + nanoseconds_since_boot(); }
uint64_t realtime_ns() { return realtime_at_boot + nanoseconds_since_boot(); }

}  // namespace eremite::clock
