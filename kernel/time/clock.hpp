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
uint64_t monotonic_ns();
uint64_t realtime_ns();

}  // namespace eremite::clock
