// The x86-64 CPU surface the rest of the kernel uses: CPUID, MSRs, control registers,
// FS/GS bases, the interrupt flag and halting. The interrupt flag and CR2 are where
// kvm-pvm differs from plain x86: in kvm-pvm native mode the flag is a byte in the
// vif page and CR2 is written there by the host (PVM.md). Generic code never asks
// which host it runs on; it calls these functions.
#pragma once

#include <stdint.h>

namespace eremite::arch {

// The vif page shared with kvm-pvm (PVM.md): the virtual interrupt flag, a pending
// bit the host sets while the flag is clear, and the faulting address of the last #PF.
struct Vif {
    volatile uint8_t interrupts_enabled;
    volatile uint8_t pending;
    uint8_t padding[6];
    volatile uint64_t cr2;
};
static_assert(sizeof(Vif) == 16);

// What lgdt and lidt load: a table's limit and base, padded to 16 bytes so that a GDT's
// pointer and an IDT's side by side lie 16 bytes apart (pvh_entry.S, ap_trampoline.S).
struct [[gnu::packed]] TablePointer {
    uint16_t limit;
    uint64_t base;
    uint8_t padding[6];
};
static_assert(sizeof(TablePointer) == 16);

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

inline CpuidResult cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline uint64_t read_msr(uint32_t msr) {
    uint32_t low, high;
    asm volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(msr));
    return (static_cast<uint64_t>(high) << 32) | low;
}

inline void write_msr(uint32_t msr, uint64_t value) {
    asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(value)), "d"(static_cast<uint32_t>(value >> 32)));
}

inline uint64_t read_tsc() {
    uint32_t low, high;
    asm volatile("rdtsc" : "=a"(low), "=d"(high));
    return (static_cast<uint64_t>(high) << 32) | low;
}

inline uint64_t read_cr3() {
    uint64_t value;
    asm volatile("mov %%cr3, %0" : "=r"(value));
    return value;
}
inline void write_cr3(uint64_t value) { asm volatile("mov %0, %%cr3" : : "r"(value) : "memory"); }
inline uint64_t read_cr4() {
    uint64_t value;
    asm volatile("mov %%cr4, %0" : "=r"(value));
    return value;
}
inline void write_cr4(uint64_t value) { asm volatile("mov %0, %%cr4" : : "r"(value) : "memory"); }

inline void invalidate_page(uint64_t virtual_address) {
    asm volatile("invlpg (%0)" : : "r"(virtual_address) : "memory");
}

inline void pause() { asm volatile("pause"); }

inline constexpr uint32_t msr_fs_base = 0xc0000100;
inline constexpr uint32_t msr_gs_base = 0xc0000101;

// True when the kernel switched kvm-pvm into native mode at boot (entry.S decided).
bool on_kvm_pvm();

// The current CPU's vif page. On plain x86 this is a dummy page whose `pending` byte is
// never set, so the syscall exit path needs no branch on the host type.
Vif& vif();

// FS base is the app's TLS pointer (arch_prctl(ARCH_SET_FS)); GS base is the kernel's
// per-CPU pointer and never changes after boot.
void set_fs_base(uint64_t value);
uint64_t fs_base();

// The interrupt flag. `disable` returns the previous state for `restore`.
bool disable_interrupts();
void enable_interrupts();
inline void restore_interrupts(bool enabled) {
    if (enabled) enable_interrupts();
}

// The faulting address of the #PF being handled.
uint64_t page_fault_address();

// The body of every spin-wait loop. It runs `spin_hook` (the TLB shootdown poll of
// smp.cpp): work other CPUs wait for must not depend on this CPU taking an interrupt,
// because on kvm-pvm an IPI to a vCPU that spins can stay in its local APIC for a long
// time (measured: seconds, with the flag set and nothing pending in the vif page). And on
// kvm-pvm an interrupt already flagged pending is taken here with `sti`.
void relax();
extern void (*spin_hook)();

// Stops this CPU for good (after a panic or at the end of the VM).
[[noreturn]] void halt_forever();

}  // namespace eremite::arch
