// The kernel's side of the vDSO: the data page it shares with it and the mapping of both
// into the app, just below the stack, as Linux places its vDSO.
#pragma once

#include <stdint.h>

namespace eremite::vdso {

// Fills the data page and maps it and the vDSO image into the app. Returns the vDSO's
// address (AT_SYSINFO_EHDR), or 0 when it could not be mapped (the app then uses syscalls).
uint64_t map_into_app();

// Per CPU: lets the vDSO's getcpu read the CPU index with RDTSCP.
void init_this_cpu(uint32_t cpu_index);

}  // namespace eremite::vdso
