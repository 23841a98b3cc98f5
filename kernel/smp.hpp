// The other CPUs. Under ehyve every vCPU exists from the start but runs only when the
// boot CPU asks for it (the start_cpu hypercall), once memory, the IDT and the scheduler
// are ready. Each CPU then switches kvm-pvm to native mode itself (ap_start in entry.S),
// loads the kernel's page table, its IST stacks, its local APIC, and joins the scheduler
// as an idle CPU. The boot CPU does not wait: the app starts at once, and threads spread
// to the other CPUs as they come online.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::smp {

// What ap_start and ap_main receive in %rdi. The first field is read by assembly.
struct ApStart {
    uint64_t pvm_switch_value;  // vif page | feature bits for MSR 0x4b564d10; 0 on plain x86
    uint32_t cpu_index;
    uint32_t reserved0;
    void* per_cpu;        // arch::PerCpu
    uint8_t* ist_stacks;  // arch::ist_stacks_bytes
    abi::CpuTables tables;
};

void start_other_cpus(const abi::BootInfo& boot_info);

// A bit per CPU that is running the scheduler.
uint64_t online_mask();

// Makes every other online CPU drop its translations for [start, end) and waits until
// they have (the page tables are shared, the TLBs are not).
void shoot_down(uint64_t start, uint64_t end);
void on_shootdown_interrupt();
// Flushes a shootdown this CPU has not done yet (run from every spin loop: arch::relax).
void poll_shootdown();
// Around a CPU's idle loop: while idle it is not waited for by shootdowns, and it flushes
// what it missed before it runs a thread again.
void enter_idle();
void leave_idle();

}  // namespace eremite::smp
