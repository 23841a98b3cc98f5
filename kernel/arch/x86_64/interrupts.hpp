// Interrupt descriptor table, IST stacks and the dispatch of exceptions. Every gate uses
// an IST stack (see interrupt_entry.S); an exception in the app becomes the signal Linux
// would deliver, which for now ends the VM with 128+signal after one readable report; an
// exception in the kernel is a panic.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::arch {

// Saved by interrupt_entry.S, lowest address first.
struct InterruptFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

// Fills the IDT (shared by all CPUs) and the boot CPU's IST pointers in its TSS.
void init_interrupts(const abi::CpuTables& tables);

// Points another CPU's TSS at its own IST stacks (ist_stacks_bytes from `stacks`).
inline constexpr uint64_t ist_stacks_bytes = 6 * 16 * 1024;
void init_cpu_stacks(const abi::CpuTables& tables, uint8_t* stacks);

// A device's interrupt (abi::device_vector_base and up): `handler` runs in interrupt
// context after the end of interrupt, so it only records and wakes.
void set_device_interrupt_handler(uint8_t vector, void (*handler)());

// The app's address space is below 2^47; the kernel lives in the upper half.
inline bool is_app_address(uint64_t address) { return address < (1ull << 47); }

// An app-access instruction of app_copy.S: where to resume when it faults, and whether
// the fault may first try demand paging.
struct AppFixup {
    uint64_t fault_rip;
    uint64_t resume_rip;
    uint64_t may_page_in;
};
// The fixup for a fault at `rip`, or nullptr when `rip` is not an app-access instruction.
const AppFixup* app_fixup_for(uint64_t rip);

}  // namespace eremite::arch
