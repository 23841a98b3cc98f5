#include "arch/x86_64/cpu.hpp"

#include <stddef.h>

#include "arch/x86_64/per_cpu.hpp"
#include "eremite/abi.hpp"

static_assert(offsetof(eremite::abi::BootInfo, boot_cpu.idt) == 568, "entry.S: BOOT_INFO_IDT_OFFSET");

extern "C" eremite::arch::Vif boot_vif_page;
extern "C" char syscall_rax_entry[], syscall_direct_entry[];  // syscall_entry.S

namespace eremite::arch {
namespace {

bool kvm_pvm = false;
bool has_fsgsbase_instructions = false;

constexpr uint64_t rflags_interrupt = 1ull << 9;

uint64_t read_rflags() {
    uint64_t flags;
    asm volatile("pushfq; pop %0" : "=r"(flags));
    return flags;
}

}  // namespace

// Called once from kernel_main with what entry.S found.
void set_host_kind(bool is_kvm_pvm) { kvm_pvm = is_kvm_pvm; }

bool on_kvm_pvm() { return kvm_pvm; }

Vif& vif() { return *this_cpu().vif; }

PerCpu* installed_cpus[64];

PerCpu* cpu_block(uint32_t index) { return index < 64 ? installed_cpus[index] : nullptr; }

void install_per_cpu(PerCpu& cpu) {
    cpu.self = &cpu;
    cpu.syscall_rax_entry = reinterpret_cast<uint64_t>(syscall_rax_entry);
    cpu.syscall_direct_entry = reinterpret_cast<uint64_t>(syscall_direct_entry);
    cpu.host_is_kvm_pvm = kvm_pvm;
    if (cpu.cpu_index < 64) installed_cpus[cpu.cpu_index] = &cpu;
    if (!cpu.vif) cpu.vif = &boot_vif_page;  // the boot CPU's; the others get theirs from smp.cpp
    write_msr(msr_gs_base, reinterpret_cast<uint64_t>(&cpu));
    constexpr uint64_t cr4_fsgsbase = 1ull << 16;
    has_fsgsbase_instructions = read_cr4() & cr4_fsgsbase;
}

void set_fs_base(uint64_t value) {
    if (has_fsgsbase_instructions)
        asm volatile("wrfsbase %0" : : "r"(value));
    else
        write_msr(msr_fs_base, value);
}

uint64_t fs_base() {
    if (!has_fsgsbase_instructions) return read_msr(msr_fs_base);
    uint64_t value;
    asm volatile("rdfsbase %0" : "=r"(value));
    return value;
}

bool disable_interrupts() {
    if (kvm_pvm) {
        Vif& flag = vif();
        bool was = flag.interrupts_enabled;
        flag.interrupts_enabled = 0;
        asm volatile("" ::: "memory");
        return was;
    }
    bool was = read_rflags() & rflags_interrupt;
    asm volatile("cli" ::: "memory");
    return was;
}

void enable_interrupts() {
    if (kvm_pvm) {
        asm volatile("" ::: "memory");
        Vif& flag = vif();
        flag.interrupts_enabled = 1;
        // An interrupt that arrived while the flag was clear waits for the next exit
        // (about a millisecond) unless a trapping `sti` delivers it now (PVM.md).
        if (flag.pending) {
            ++this_cpu().traps.stis;
            asm volatile("sti" ::: "memory");
        }
        return;
    }
    asm volatile("sti" ::: "memory");
}

void (*spin_hook)() = nullptr;

void relax() {
    asm volatile("pause");
    if (spin_hook) spin_hook();
    if (!kvm_pvm) return;
    Vif& flag = vif();
    if (flag.interrupts_enabled && flag.pending) {
        ++this_cpu().traps.stis;
        asm volatile("sti" ::: "memory");
    }
}

uint64_t page_fault_address() {
    if (kvm_pvm) return vif().cr2;
    uint64_t address;
    asm volatile("mov %%cr2, %0" : "=r"(address));
    return address;
}

void halt_forever() {
    disable_interrupts();
    for (;;) asm volatile("hlt");
}

}  // namespace eremite::arch
