#include "arch/x86_64/apic.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/paging.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "mm/memory.hpp"
#include "time/clock.hpp"

namespace eremite::arch::apic {
namespace {

// Intel SDM vol. 3, 11.12: x2APIC registers are MSRs 0x800 + (xAPIC offset >> 4).
constexpr uint32_t msr_apic_base = 0x1b;
constexpr uint32_t msr_id = 0x802, msr_eoi = 0x80b, msr_spurious = 0x80f, msr_icr = 0x830, msr_lvt_timer = 0x832,
                   msr_initial_count = 0x838, msr_divide = 0x83e, msr_tsc_deadline = 0x6e0;
constexpr uint64_t apic_base_enable = 1u << 11, apic_base_x2apic = 1u << 10;
constexpr uint32_t lvt_tsc_deadline = 2u << 17;
constexpr uint32_t svr_enable = 1u << 8;

bool tsc_deadline_mode = false;

// The xAPIC's register page, where the CPU has no x2APIC (QEMU's TCG before 8.1):
// registers at their xAPIC offsets, mapped uncached. nullptr in x2APIC mode.
volatile uint32_t* xapic = nullptr;
constexpr uint32_t xapic_icr_high = 0x310 / 4, icr_pending = 1u << 12;

volatile uint32_t& xapic_register(uint32_t msr) { return xapic[((msr - 0x800) << 4) / 4]; }

void write_register(uint32_t msr, uint64_t value) {
    if (!xapic || msr == msr_tsc_deadline) return write_msr(msr, value);
    if (msr == msr_icr) {
        // Two writes, destination then command: an interrupt between them that sends an
        // IPI of its own would change the destination.
        bool interrupts_were_enabled = disable_interrupts();
        while (xapic_register(msr_icr) & icr_pending) relax();
        xapic[xapic_icr_high] = static_cast<uint32_t>(value >> 32) << 24;  // the destination's 8-bit id
        xapic_register(msr) = static_cast<uint32_t>(value);
        restore_interrupts(interrupts_were_enabled);
        return;
    }
    xapic_register(msr) = static_cast<uint32_t>(value);
}

bool map_xapic() {
    auto page = mm::map_device(read_msr(msr_apic_base) & 0xffffff000ull, page_size);
    if (!page.ok()) return false;
    xapic = reinterpret_cast<volatile uint32_t*>(page.value());
    return true;
}

}  // namespace

bool init_this_cpu() {
    auto features = cpuid(1);
    bool x2apic = features.ecx & (1u << 21), any_apic = features.edx & (1u << 9);
    if (!x2apic && !any_apic) return false;
    tsc_deadline_mode = features.ecx & (1u << 24);
    if (x2apic) {
        write_msr(msr_apic_base, read_msr(msr_apic_base) | apic_base_enable | apic_base_x2apic);
    } else {
        write_msr(msr_apic_base, read_msr(msr_apic_base) | apic_base_enable);
        if (!xapic && !map_xapic()) return false;
    }
    write_register(msr_spurious, svr_enable | spurious_vector);
    if (tsc_deadline_mode) {
        write_register(msr_lvt_timer, lvt_tsc_deadline | timer_vector);
    } else {
        write_register(msr_divide, 0xb);              // divide by 1
        write_register(msr_lvt_timer, timer_vector);  // one-shot
    }
    return true;
}

uint32_t this_cpu_id() {
    if (xapic) return xapic_register(msr_id) >> 24;
    return static_cast<uint32_t>(read_msr(msr_id));
}

void set_deadline(uint64_t tsc) {
    uint64_t& armed = this_cpu().armed_deadline;
    if (tsc == armed) return;  // nothing changed: no trapping write
    // A deadline already armed before the one asked for stays: its interrupt comes a
    // little early and the scheduler re-arms then. Postponing it would cost a trapping
    // MSR write at every thread switch (the slice end moves each time), firing early
    // costs one interrupt only when it is reached.
    if (armed && armed > read_tsc() && (tsc == 0 || armed < tsc)) return;
    armed = tsc;
    ++this_cpu().traps.timer_writes;
    if (tsc_deadline_mode) {
        write_msr(msr_tsc_deadline, tsc);
        return;
    }
    // One-shot mode counts the APIC bus clock, which KVM and QEMU run at 1 GHz.
    uint64_t now = read_tsc();
    uint64_t khz = clock::tsc_khz();
    uint64_t nanoseconds = tsc == 0 ? 0 : (tsc > now ? (tsc - now) * 1000000 / khz : 1);
    write_register(msr_initial_count, nanoseconds > 0xffffffff ? 0xffffffff : nanoseconds);
}

void timer_fired() { this_cpu().armed_deadline = 0; }

void end_of_interrupt() {
    ++this_cpu().traps.end_of_interrupts;
    write_register(msr_eoi, 0);
}

void send_ipi(uint32_t apic_id, uint8_t vector) {
    ++this_cpu().traps.ipis_sent;
    write_register(msr_icr, (static_cast<uint64_t>(apic_id) << 32) | vector);
}

void send_command(uint32_t apic_id, uint32_t command) {
    write_register(msr_icr, (static_cast<uint64_t>(apic_id) << 32) | command);
}

}  // namespace eremite::arch::apic
