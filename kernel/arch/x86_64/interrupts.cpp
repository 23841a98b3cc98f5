#include "arch/x86_64/interrupts.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/utility.hpp"
#include "linux/process.hpp"
#include "linux/signals.hpp"
#include "mm/app_memory.hpp"
#include "mm/kernel_stacks.hpp"
#include "sched/scheduler.hpp"
#include "smp.hpp"

extern "C" const uint64_t interrupt_stubs[256];
extern "C" char syscall_exit_window[], syscall_exit_window_end[], idle_wait_window[], idle_wait_window_end[],
    syscall_entry_windows[], syscall_entry_windows_end[];

namespace eremite::arch {

extern "C" const AppFixup __app_fixups_start[], __app_fixups_end[];

const AppFixup* app_fixup_for(uint64_t rip) {
    for (const AppFixup* fixup = __app_fixups_start; fixup != __app_fixups_end; ++fixup)
        if (fixup->fault_rip == rip) return fixup;
    return nullptr;
}

namespace {

struct [[gnu::packed]] Gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_middle;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

// Intel SDM vol. 3, 8.7: the 64-bit TSS.
struct [[gnu::packed]] Tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t io_map_base;
};
static_assert(sizeof(Tss) == 104);

enum Ist : uint8_t {
    ist_double_fault = 1,
    ist_nmi = 2,
    ist_machine_check = 3,
    ist_page_fault = 4,
    ist_other = 5,
    ist_interrupt = 6,
};
constexpr int ist_count = 6;
constexpr uint64_t ist_stack_size = 16 * 1024;
alignas(16) uint8_t ist_stacks[ist_count][ist_stack_size];

constexpr uint8_t gate_interrupt = 0x8e;  // present, DPL 0, clears the interrupt flag
constexpr uint8_t gate_trap = 0x8f;       // present, DPL 0, leaves it as it was

uint8_t ist_for(unsigned vector) {
    switch (vector) {
        case 2: return ist_nmi;
        case 8: return ist_double_fault;
        case 14: return ist_page_fault;
        case 18: return ist_machine_check;
        default: return vector < 32 ? ist_other : ist_interrupt;
    }
}

const char* const exception_names[32] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point error",
    "virtualization exception",
    "control protection",
};

// The signal Linux sends for an exception in user mode (arch/x86/kernel/traps.c).
int signal_for(unsigned vector) {
    switch (vector) {
        case 0:
        case 16:
        case 19: return linux::sigfpe;
        case 1:
        case 3: return linux::sigtrap;
        case 6: return linux::sigill;
        case 11:
        case 12:
        case 17: return linux::sigbus;
        default: return linux::sigsegv;
    }
}

void dump_registers(const InterruptFrame& f) {
    log::raw("  rip %016lx  rsp %016lx  rflags %08lx  error %lx\n", f.rip, f.rsp, f.rflags, f.error_code);
    log::raw("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", f.rax, f.rbx, f.rcx, f.rdx);
    log::raw("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", f.rsi, f.rdi, f.rbp, f.r8);
    log::raw("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", f.r9, f.r10, f.r11, f.r12);
    log::raw("  r13 %016lx  r14 %016lx  r15 %016lx  fs  %016lx\n", f.r13, f.r14, f.r15, fs_base());
}

void describe_page_fault(char* text, size_t size, uint64_t address, uint64_t error_code) {
    const char* access = (error_code & 16) ? "execute" : (error_code & 2) ? "write" : "read";
    const char* cause = (error_code & 1) ? "a protected" : "an unmapped";
    format(text, size, "%s of %s address 0x%lx", access, cause, address);
}

[[noreturn]] void app_exception(const InterruptFrame& frame, uint64_t fault_address) {
    unsigned vector = static_cast<unsigned>(frame.vector);
    int signal = signal_for(vector);
    char detail[160] = "";
    if (vector == 14) describe_page_fault(detail, sizeof detail, fault_address, frame.error_code);
    log::raw("eremite: the app was killed by %s (%s%s%s) at rip 0x%lx\n", linux::signal_name(signal),
             exception_names[vector], detail[0] ? ": " : "", detail, frame.rip);
    dump_registers(frame);
    linux::terminate_by_signal(signal);
}

}  // namespace

void init_interrupts(const abi::CpuTables& tables) {
    auto* idt = reinterpret_cast<Gate*>(tables.idt);
    for (unsigned vector = 0; vector < 256; ++vector) {
        uint64_t handler = interrupt_stubs[vector];
        idt[vector] = Gate{static_cast<uint16_t>(handler),
                           abi::selector_kernel_code,
                           ist_for(vector),
                           vector < 32 ? gate_trap : gate_interrupt,
                           static_cast<uint16_t>(handler >> 16),
                           static_cast<uint32_t>(handler >> 32),
                           0};
    }
    init_cpu_stacks(tables, ist_stacks[0]);
}

void init_cpu_stacks(const abi::CpuTables& tables, uint8_t* stacks) {
    auto* tss = reinterpret_cast<Tss*>(tables.tss);
    for (int i = 0; i < ist_count; ++i) tss->ist[i] = reinterpret_cast<uint64_t>(stacks + (i + 1) * ist_stack_size);
    tss->rsp[0] = tss->ist[ist_other - 1];
    tss->io_map_base = sizeof(Tss);
}

}  // namespace eremite::arch

using namespace eremite;

extern "C" void interrupt_dispatch(arch::InterruptFrame* frame) {
    unsigned vector = static_cast<unsigned>(frame->vector);
    if (vector < 32) {
        uint64_t fault_address = vector == 14 ? arch::page_fault_address() : 0;
        if (arch::is_app_address(frame->rip)) {
            if (vector == 14 && mm::app_memory().handle_fault(fault_address, frame->error_code)) return;
            arch::app_exception(*frame, fault_address);
        }
        if (vector == 14 && arch::is_app_address(fault_address)) {
            // The kernel touched app memory on the app's behalf (linux/app_access.hpp):
            // demand paging, or a bad app pointer that the copy reports as EFAULT.
            const arch::AppFixup* fixup = arch::app_fixup_for(frame->rip);
            bool may_page_in = !fixup || fixup->may_page_in;
            if (may_page_in && mm::app_memory().handle_fault(fault_address, frame->error_code)) return;
            if (fixup) {
                frame->rip = fixup->resume_rip;
                return;
            }
        }
        arch::dump_registers(*frame);
        if (vector == 14 && mm::is_kernel_stack_guard(fault_address))
            panic("kernel stack overflow on cpu %u (thread %d)", arch::this_cpu().cpu_index, sched::current()->tid);
        panic("%s in the kernel at rip 0x%lx (fault address 0x%lx, error 0x%lx)", arch::exception_names[vector],
              frame->rip, fault_address, frame->error_code);
    }
    log::warn("unexpected interrupt vector %u", vector);
}

namespace {
void (*device_handlers[abi::max_devices])() = {};
}  // namespace

void arch::set_device_interrupt_handler(uint8_t vector, void (*handler)()) {
    if (vector >= abi::device_vector_base && vector < abi::device_vector_base + abi::max_devices)
        device_handlers[vector - abi::device_vector_base] = handler;
}

// Interrupts (vectors 32-255), on the stack interrupt_entry.S moved the frame to.
extern "C" void irq_dispatch(arch::InterruptFrame* frame) {
    ++arch::this_cpu().interrupt_count;
    switch (frame->vector) {
        case arch::apic::timer_vector:
            arch::apic::end_of_interrupt();
            sched::on_timer_interrupt();
            break;
        case arch::apic::reschedule_vector:
            arch::apic::end_of_interrupt();
            sched::on_reschedule_interrupt();
            break;
        case arch::apic::shootdown_vector:
            smp::on_shootdown_interrupt();
            arch::apic::end_of_interrupt();
            break;
        case arch::apic::spurious_vector: return;  // no end of interrupt for a spurious one (SDM vol. 3, 11.9)
        default: {
            arch::apic::end_of_interrupt();
            uint64_t device = frame->vector - abi::device_vector_base;
            if (device < abi::max_devices && device_handlers[device])
                device_handlers[device]();
            else
                log::warn("unexpected interrupt vector %lu", frame->vector);
        }
    }
    auto rip = reinterpret_cast<char*>(frame->rip);
    if (rip >= idle_wait_window && rip < idle_wait_window_end) {
        frame->rip = reinterpret_cast<uint64_t>(idle_wait_window_end);  // do not halt: there is news
        return;
    }
    // Preempt only at a clean boundary to the app. Inside the syscall entry's window the
    // app's stack pointer sits in per-CPU scratch that another thread's syscall would
    // overwrite, so no switch happens there (the frame went to the kernel stack anyway).
    bool app_interrupted =
        arch::is_app_address(frame->rip) || (rip >= syscall_exit_window && rip < syscall_exit_window_end);
    if (rip >= syscall_entry_windows && rip < syscall_entry_windows_end) return;

    if (!app_interrupted) return;
    for (;;) {
        if (linux::process_exiting()) linux::park_exiting_thread();
        if (!sched::reschedule_pending()) break;
        sched::schedule();
    }
}
