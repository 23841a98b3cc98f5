// Per-CPU data, reached through the GS base (which belongs to the kernel: apps use FS
// only, and the ring-0 design never executes swapgs). The first fields have fixed
// offsets because the assembly entry paths use them.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.hpp"

namespace eremite::arch {

struct PerCpu {
    PerCpu* self;                 // %gs:0
    uint64_t kernel_stack_top;    // %gs:8   the running thread's kernel stack
    uint64_t user_stack_scratch;  // %gs:16  the app's %rsp while the syscall entry saves it
    Vif* vif;                     // %gs:24
    uint32_t cpu_index;
    uint32_t apic_id;
    uint64_t syscall_count;  // syscalls taken through the `syscall` instruction
    // Where rewritten syscall sites enter the kernel (linux/syscall_rewrite.hpp): page 0's
    // slide ends in `jmp *%gs:48` and every direct stub in `jmp *%gs:56`, so the code in
    // the app's half needs no kernel address. The same on every CPU.
    uint64_t syscall_rax_entry;     // %gs:48
    uint64_t syscall_direct_entry;  // %gs:56
    uint64_t direct_syscall_count;  // syscalls through a direct stub
    uint64_t rax_syscall_count;     // syscalls through page 0's slide (`call *%rax`)
    uint64_t host_is_kvm_pvm;       // %gs:80, for the syscall return path
    uint64_t armed_deadline;        // the TSC deadline the local APIC timer holds, 0 if none
    uint64_t interrupt_count;       // timer and inter-processor interrupts taken
    // What this CPU paid in trapping instructions (each costs microseconds on kvm-pvm),
    // reported by `ehyve --stats`.
    struct {
        uint64_t timer_writes, end_of_interrupts, ipis_sent, tlb_flushes, stis, halts;
    } traps;
};
static_assert(offsetof(PerCpu, kernel_stack_top) == 8);
static_assert(offsetof(PerCpu, user_stack_scratch) == 16);
static_assert(offsetof(PerCpu, vif) == 24);
static_assert(offsetof(PerCpu, syscall_rax_entry) == 48);
static_assert(offsetof(PerCpu, syscall_direct_entry) == 56);
static_assert(offsetof(PerCpu, host_is_kvm_pvm) == 80);

inline PerCpu& this_cpu() {
    PerCpu* self;
    asm volatile("mov %%gs:0, %0" : "=r"(self));
    return *self;
}

// Installs `cpu` as this CPU's per-CPU block (GS base) and registers it for all_cpus().
void install_per_cpu(PerCpu& cpu);

// Every installed CPU's block, by index (nullptr where none), for totals.
PerCpu* cpu_block(uint32_t index);

}  // namespace eremite::arch
