// The extended register state (x87, SSE, AVX, AVX-512) that apps use and the kernel
// never touches (-mgeneral-regs-only): enabled once per CPU, saved and restored with
// XSAVE/XRSTOR (unprivileged, so native speed on kvm-pvm) only when threads switch.
#pragma once

#include <stddef.h>

namespace eremite::arch {

// Enables XSAVE-managed state on this CPU (CR4.OSXSAVE, XCR0).
void init_extended_state();

// Bytes of an XSAVE area for what init_extended_state enabled (the FXSAVE size without
// XSAVE), and the alignment every area needs.
size_t extended_state_size();
inline constexpr size_t extended_state_alignment = 64;

void save_extended_state(void* area);
void restore_extended_state(const void* area);

}  // namespace eremite::arch
