#include "arch/x86_64/cpu_startup.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "lib/string.hpp"
#include "mm/address.hpp"
#include "mm/memory.hpp"
#include "time/clock.hpp"

extern "C" const uint8_t ap_trampoline_start[], ap_trampoline_end[];
extern "C" uint8_t pvh_pml4[];  // pvh_entry.S: the first 4 GiB identity-mapped, the kernel window

namespace eremite::arch {
namespace {

// In the reserved low pages of the boot layout (pvh_boot.cpp), below 1 MiB as a STARTUP
// IPI's vector requires: the CPU starts at vector * 4 KiB.
constexpr uint64_t trampoline_page = 0xf000;
constexpr uint32_t parameters_offset = 0xf00;  // ap_trampoline.S: PARAMETERS

// Read by ap_trampoline.S at the offsets it names.
struct [[gnu::packed]] ApTrampolineParameters {
    uint64_t cr3;
    TablePointer gdt;
    TablePointer idt;
    uint64_t stack;
    uint64_t entry;
    uint64_t argument;
    uint32_t started;
    uint32_t reserved;
    uint64_t page;
    uint64_t kernel_cr3;
};
static_assert(sizeof(ApTrampolineParameters) == 88);

// ICR commands (Intel SDM vol. 3, 11.6.1): INIT and STARTUP, level assert.
constexpr uint32_t icr_init = 0x4500, icr_startup = 0x4600;

void wait_ns(uint64_t nanoseconds) {
    uint64_t until = read_tsc() + clock::ns_to_ticks(nanoseconds);
    while (read_tsc() < until) relax();
}

bool started_within(volatile ApTrampolineParameters& parameters, uint64_t nanoseconds) {
    uint64_t until = read_tsc() + clock::ns_to_ticks(nanoseconds);
    while (read_tsc() < until)
        if (__atomic_load_n(&parameters.started, __ATOMIC_ACQUIRE)) return true;
    return __atomic_load_n(&parameters.started, __ATOMIC_ACQUIRE);
}

}  // namespace

bool start_cpu_with_ipis(uint32_t apic_id, uint64_t entry, uint64_t argument, const abi::CpuTables& tables) {
    auto* page = mm::to_virtual<uint8_t>(PhysAddr{trampoline_page});
    uint64_t blob_size = static_cast<uint64_t>(ap_trampoline_end - ap_trampoline_start);
    if (blob_size > parameters_offset) return false;
    memcpy(page, ap_trampoline_start, blob_size);
    auto& parameters = *reinterpret_cast<volatile ApTrampolineParameters*>(page + parameters_offset);
    ApTrampolineParameters fresh{};
    fresh.cr3 = reinterpret_cast<uint64_t>(pvh_pml4) - abi::kernel_virtual_base;
    fresh.gdt.limit = abi::gdt_limit;
    fresh.gdt.base = tables.gdt;
    fresh.idt.limit = abi::idt_limit;
    fresh.idt.base = tables.idt;
    fresh.stack = tables.boot_stack_top;
    fresh.entry = entry;
    fresh.argument = argument;
    fresh.page = trampoline_page;
    fresh.kernel_cr3 = mm::kernel_page_table().root().value;
    memcpy(const_cast<ApTrampolineParameters*>(&parameters), &fresh, sizeof fresh);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    // INIT, then STARTUP (twice if the first is not taken, as the MP specification
    // says). Hardware wants 10 ms after INIT; a hypervisor's virtual CPU does not.
    apic::send_command(apic_id, icr_init);
    bool hypervisor = cpuid(1).ecx & (1u << 31);
    wait_ns(hypervisor ? 0 : 10'000'000);
    uint32_t startup = icr_startup | static_cast<uint32_t>(trampoline_page >> 12);
    apic::send_command(apic_id, startup);
    if (started_within(parameters, 1'000'000)) return true;
    apic::send_command(apic_id, startup);
    return started_within(parameters, 1'000'000'000);  // TCG is slow to bring a CPU up
}

}  // namespace eremite::arch
