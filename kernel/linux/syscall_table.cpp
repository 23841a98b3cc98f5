// The syscall dispatcher, the once-per-name "not implemented" log and the tracer, all
// driven by syscall_table.inc.
#include "arch/x86_64/per_cpu.hpp"
#include "lib/format.hpp"
#include "lib/log.hpp"
#include "linux/process.hpp"
#include "linux/strace.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"

namespace eremite::linux {
namespace {

struct SyscallEntry {
    const char* name;
    SyscallHandler handler;
    const char* formats;
};

constexpr uint64_t syscall_count = 451;

struct SyscallTable {
    SyscallEntry entries[syscall_count];
};

constexpr SyscallTable build_table() {
    SyscallTable table{};
#define SYSCALL(number, name, handler, formats) table.entries[number] = SyscallEntry{#name, handler, formats};
#define HANDLER(name) &sys_##name
#define NONE nullptr
#include "linux/syscall_table.inc"
#undef SYSCALL
#undef HANDLER
#undef NONE
    return table;
}

constexpr SyscallTable table = build_table();

uint64_t reported_missing[(syscall_count + 63) / 64];

void report_missing(uint64_t number) {
    if (number < syscall_count) {
        uint64_t bit = 1ull << (number % 64);
        if (reported_missing[number / 64] & bit) return;
        reported_missing[number / 64] |= bit;
        const char* name = table.entries[number].name;
        log::info("syscall %s (%lu) is not implemented: returning -ENOSYS", name ? name : "(unassigned)", number);
    } else {
        log::info("syscall number %lu does not exist: returning -ENOSYS", number);
    }
}

constexpr uint64_t nr_exit = 60, nr_exit_group = 231;

}  // namespace

const char* syscall_name(uint64_t number) { return number < syscall_count ? table.entries[number].name : nullptr; }

int64_t dispatch_syscall(SyscallFrame* frame) {
    // The `syscall` entry masked interrupts (SFMASK); the handler runs with them on, so
    // that a long or blocking call never delays a timer or a wake-up on this CPU.
    arch::enable_interrupts();
    // Linux takes the number from the low 32 bits of %rax (do_syscall_64's `int nr`):
    // 0x100000027 is getpid there too.
    uint64_t number = static_cast<uint32_t>(frame->number);
    SyscallArgs args{{frame->rdi, frame->rsi, frame->rdx, frame->r10, frame->r8, frame->r9}};
    const SyscallEntry* entry = number < syscall_count ? &table.entries[number] : nullptr;
    bool tracing = strace_enabled();
    if (tracing && (number == nr_exit || number == nr_exit_group))
        trace_syscall(entry ? entry->name : nullptr, number, entry ? entry->formats : "", args, 0, false);
    int64_t result;
    if (entry && entry->handler) {
        result = entry->handler(args);
    } else {
        report_missing(number);
        result = failure(Errno::enosys);
    }
    if (tracing) trace_syscall(entry ? entry->name : nullptr, number, entry ? entry->formats : "", args, result, true);
    // Preemption at the boundary to the app. Interrupts stay off from the check to the
    // return (syscall_return turns them on from the app's flags), so a slice that ends
    // later is caught by the interrupt that arrives in the app.
    arch::disable_interrupts();
    // The process may start exiting while this thread waits for its turn: look again
    // after every switch.
    for (;;) {
        if (process_exiting()) park_exiting_thread();
        if (!sched::reschedule_pending()) break;
        sched::schedule();
    }
    return result;
}

}  // namespace eremite::linux

using namespace eremite;

// From the `syscall` instruction (the other entries are in linux/syscall_rewrite.cpp).
extern "C" int64_t syscall_dispatch(linux::SyscallFrame* frame) {
    ++arch::this_cpu().syscall_count;
    return linux::dispatch_syscall(frame);
}
