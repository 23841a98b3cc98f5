#include "smp.hpp"

#include <new>

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/cpu_startup.hpp"
#include "arch/x86_64/extended_state.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "drivers/hypercall.hpp"
#include "drivers/standalone.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "mm/kernel_stacks.hpp"
#include "mm/memory.hpp"
#include "sched/scheduler.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"
#include "vdso/vdso_mapping.hpp"

extern "C" void ap_start();

namespace eremite::smp {

uint64_t online = 1;  // the boot CPU; ap_main adds the others

namespace {

// One shootdown at a time (callers hold the app-memory lock): the range, its generation,
// and the generation each CPU last flushed. Acknowledging by generation rather than by
// counting down makes a repeated IPI harmless.
SpinLock shootdown_lock;
volatile uint64_t shootdown_start = 0, shootdown_end = 0;
uint64_t shootdown_generation = 0;
uint64_t flushed_generation[64];
// CPUs in their idle loop: no app translations in use. A shootdown does not wait for
// them; they catch up (compare generations, flush everything) before they run a thread.
bool idle_cpu[64];

constexpr uint64_t pvm_native_with_cr2 = 0x11;

}  // namespace

uint64_t online_mask() { return __atomic_load_n(&online, __ATOMIC_ACQUIRE); }

void start_other_cpus(const abi::BootInfo& info) {
    arch::spin_hook = poll_shootdown;
    uint32_t count = info.cpu_count < abi::max_cpus ? info.cpu_count : abi::max_cpus;
    sched::set_cpu_count(count);
    auto* tables = mm::to_virtual<const abi::CpuTables>(PhysAddr{info.cpu_tables});
    for (uint32_t cpu = 1; cpu < count; ++cpu) {
        auto* start = static_cast<ApStart*>(mm::allocate(sizeof(ApStart)));
        void* per_cpu_memory = mm::allocate(sizeof(arch::PerCpu));
        auto stacks = mm::map_exception_stacks(cpu);  // IST stacks with guard pages
        auto vif_frame = mm::allocate_zeroed_frame();
        if (!start || !per_cpu_memory || !stacks.ok() || !vif_frame.ok()) {
            log::warn("smp: out of memory while starting CPU %u; running on %u CPUs", cpu, cpu);
            sched::set_cpu_count(cpu);
            return;
        }
        auto* per_cpu = new (per_cpu_memory) arch::PerCpu{};
        per_cpu->cpu_index = cpu;
        per_cpu->vif = mm::to_virtual<arch::Vif>(vif_frame.value());
        *start = ApStart{arch::on_kvm_pvm() ? (vif_frame.value().value | pvm_native_with_cr2) : 0,
                         cpu,
                         0,
                         per_cpu,
                         stacks.value(),
                         tables[cpu]};
        if (standalone::active()) {
            // No ehyve to ask: INIT and STARTUP IPIs (APIC id = index, as QEMU numbers them).
            if (!arch::start_cpu_with_ipis(cpu, reinterpret_cast<uint64_t>(&ap_start),
                                           reinterpret_cast<uint64_t>(start), tables[cpu])) {
                log::warn("smp: CPU %u did not start; running on %u CPUs", cpu, cpu);
                sched::set_cpu_count(cpu);
                return;
            }
            continue;
        }
        abi::StartCpuArgs arguments{cpu, 0, reinterpret_cast<uint64_t>(&ap_start), reinterpret_cast<uint64_t>(start)};
        hypercall::call(abi::Hypercall::start_cpu, &arguments);
    }
}

extern void shoot_down(uint64_t start, uint64_t end) {
    arch::flush_tlb(start, end);
    uint32_t self = arch::this_cpu().cpu_index;
    uint64_t others = online_mask() & ~(1ull << self);
    if (!others) return;
    SpinGuard guard(shootdown_lock);  // interrupts stay on: a concurrent initiator must take ours
    shootdown_start = start;
    shootdown_end = end;
    uint64_t generation = __atomic_add_fetch(&shootdown_generation, 1, __ATOMIC_SEQ_CST);
    // An idle CPU is skipped: it sees the new generation when it leaves idle (the
    // sequentially consistent order of our increment and its store to idle_cpu makes sure
    // that either we wait for it or it sees the generation).
    for (uint32_t cpu = 0; cpu < 64; ++cpu)
        if ((others & (1ull << cpu)) && __atomic_load_n(&idle_cpu[cpu], __ATOMIC_SEQ_CST)) others &= ~(1ull << cpu);
    if (!others) return;
    auto send_to_laggards = [others, generation] {
        for (uint32_t cpu = 0; cpu < 64; ++cpu)
            if ((others & (1ull << cpu)) && __atomic_load_n(&flushed_generation[cpu], __ATOMIC_ACQUIRE) != generation)
                arch::apic::send_ipi(cpu, arch::apic::shootdown_vector);  // APIC id = index under ehyve
    };
    auto all_flushed = [others, generation] {
        for (uint32_t cpu = 0; cpu < 64; ++cpu)
            if ((others & (1ull << cpu)) && __atomic_load_n(&flushed_generation[cpu], __ATOMIC_ACQUIRE) != generation)
                return false;
        return true;
    };
    send_to_laggards();
    // A CPU that has not answered within a millisecond gets the IPI again.
    uint64_t resend_at = arch::read_tsc() + clock::ns_to_ticks(1000000);
    while (!all_flushed()) {
        arch::relax();
        if (arch::read_tsc() > resend_at) {
            send_to_laggards();
            resend_at = arch::read_tsc() + clock::ns_to_ticks(1000000);
        }
    }
}

void on_shootdown_interrupt() { poll_shootdown(); }

void enter_idle() { __atomic_store_n(&idle_cpu[arch::this_cpu().cpu_index], true, __ATOMIC_SEQ_CST); }

void leave_idle() {
    uint32_t self = arch::this_cpu().cpu_index;
    __atomic_store_n(&idle_cpu[self], false, __ATOMIC_SEQ_CST);
    uint64_t generation = __atomic_load_n(&shootdown_generation, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&flushed_generation[self], __ATOMIC_RELAXED) != generation) {
        arch::write_cr3(arch::read_cr3());  // whatever was shot down while idle: drop it all
        __atomic_store_n(&flushed_generation[self], generation, __ATOMIC_RELEASE);
    }
}

void poll_shootdown() {
    uint32_t self = arch::this_cpu().cpu_index;
    uint64_t generation = __atomic_load_n(&shootdown_generation, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&flushed_generation[self], __ATOMIC_RELAXED) == generation) return;
    arch::flush_tlb(shootdown_start, shootdown_end);
    __atomic_store_n(&flushed_generation[self], generation, __ATOMIC_RELEASE);
}

}  // namespace eremite::smp

using namespace eremite;

namespace eremite::smp {
extern uint64_t online;
}

extern "C" [[noreturn]] void ap_main(smp::ApStart* start) {
    auto* per_cpu = static_cast<arch::PerCpu*>(start->per_cpu);
    arch::install_per_cpu(*per_cpu);
    mm::kernel_page_table().activate();  // ehyve's boot tables have no app mappings
    arch::init_cpu_stacks(start->tables, start->ist_stacks);
    arch::init_extended_state();
    if (!arch::apic::init_this_cpu()) panic("CPU %u has no local APIC", start->cpu_index);
    per_cpu->apic_id = arch::apic::this_cpu_id();
    sched::init_this_cpu(start->cpu_index);
    vdso::init_this_cpu(start->cpu_index);
    __atomic_or_fetch(&smp::online, 1ull << start->cpu_index, __ATOMIC_ACQ_REL);
    log::debug("smp: CPU %u online (APIC id %u)", start->cpu_index, per_cpu->apic_id);
    sched::idle_loop();
}
