// The local APIC in x2APIC mode (xAPIC, through its register page, where the CPU has no
// x2APIC): the per-CPU timer (TSC-deadline), end of interrupt and inter-processor
// interrupts. Every x2APIC MSR write traps on kvm-pvm (about 10 µs), so
// callers program the timer only when the earliest deadline changes (the scheduler is
// tickless) and IPIs only when a remote CPU must act now.
#pragma once

#include <stdint.h>

namespace eremite::arch::apic {

inline constexpr uint8_t timer_vector = 0x20;
inline constexpr uint8_t reschedule_vector = 0xf0;
inline constexpr uint8_t shootdown_vector = 0xf1;
inline constexpr uint8_t spurious_vector = 0xff;

// Enables this CPU's x2APIC (else its xAPIC) and its timer in TSC-deadline mode (or
// one-shot mode where the CPU lacks TSC-deadline). Returns false when there is no APIC.
bool init_this_cpu();

uint32_t this_cpu_id();

// Fires the timer interrupt once the TSC reaches `tsc` (0 disarms). Writes the MSR only
// when the deadline changes.
void set_deadline(uint64_t tsc);
// The timer fired: the hardware disarmed itself.
void timer_fired();

void end_of_interrupt();
void send_ipi(uint32_t apic_id, uint8_t vector);
// Any interrupt command (the ICR's low 32 bits: delivery mode, level, vector), e.g. the
// INIT and STARTUP IPIs that start a CPU.
void send_command(uint32_t apic_id, uint32_t command);

}  // namespace eremite::arch::apic
