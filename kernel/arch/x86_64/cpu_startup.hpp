// Starting another CPU without ehyve (booted through PVH by another VMM): the INIT and
// STARTUP IPIs of the MP specification, to a real-mode trampoline below 1 MiB
// (ap_trampoline.S) that brings the CPU to `entry` as ehyve's start_cpu hypercall would:
// in 64-bit mode on its own GDT, TSS and boot stack, %rdi = `argument`.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::arch {

// Starts the CPU with local APIC id `apic_id` and waits until it has left the
// trampoline (which the next start reuses). False when it did not come within a second.
bool start_cpu_with_ipis(uint32_t apic_id, uint64_t entry, uint64_t argument, const abi::CpuTables& tables);

}  // namespace eremite::arch
