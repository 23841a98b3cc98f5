// The page the kernel shares with its vDSO (mapped read-only just below it in the app's
// address space): what the vDSO needs to turn the TSC into Linux's clocks without
// entering the kernel. Written once at boot, constant afterwards (there is no
// clock_settime), so readers need no sequence lock.
#pragma once

#include <stdint.h>

namespace eremite::vdso {

struct Data {
    uint64_t tsc_at_boot;
    uint64_t multiplier;  // nanoseconds per TSC tick << shift
    uint32_t shift;
    uint32_t has_rdtscp;  // TSC_AUX holds the CPU index (getcpu)
    uint64_t monotonic_at_boot;
    uint64_t realtime_at_boot;
};

}  // namespace eremite::vdso
