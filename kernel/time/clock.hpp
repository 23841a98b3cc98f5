// Time from the TSC. ehyve reads the guest TSC and the host's clocks at the same moment
// before boot (BootInfo), so CLOCK_REALTIME and CLOCK_MONOTONIC inside the guest agree
// with the host's. Conversion is a multiply and a shift, no division, on every read.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::clock {

void init(const abi::BootInfo& boot_info);
uint64_t tsc_khz();

uint64_t nanoseconds_since_boot();
uint64_t ticks_to_ns(uint64_t ticks);
uint64_t ns_to_ticks(uint64_t nanoseconds);
// The TSC value at which CLOCK_MONOTONIC (or CLOCK_REALTIME) reads `nanoseconds`
// (the current TSC when that moment has passed).
uint64_t tsc_at_monotonic(uint64_t nanoseconds);
uint64_t tsc_at_realtime(uint64_t nanoseconds);
uint64_t monotonic_ns();
uint64_t realtime_ns();

// What the vDSO needs to compute the clocks itself (vdso/vdso_data.hpp).
struct VdsoParameters {
    uint64_t tsc_at_boot, multiplier;
    uint32_t shift;
    uint64_t monotonic_at_boot, realtime_at_boot;
};
VdsoParameters vdso_parameters();

}  // namespace eremite::clock
