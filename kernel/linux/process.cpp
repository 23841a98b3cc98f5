// Process identity, limits, thread-library hooks and exit.
#include "linux/process.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "drivers/hypercall.hpp"
#include "drivers/standalone.hpp"
#include "fs/vfs.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/futex.hpp"
#include "linux/syscall.hpp"
#include "mm/app_memory.hpp"
#include "mm/memory.hpp"
#include "net/network_device.hpp"
#include "sched/scheduler.hpp"
#include "sched/thread_table.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

uint32_t user_id = 0, group_id = 0;
const char* exe_path = "";
bool report_stats = false;

struct Rlimit {
    uint64_t current, maximum;
};
constexpr uint64_t infinity = ~0ull;
constexpr int rlimit_count = 16;  // RLIMIT_CPU .. RLIMIT_RTTIME
constexpr uint32_t rlimit_nofile = 7;
// Linux's defaults for a process started from a login shell.
Rlimit limits[rlimit_count] = {
    {infinity, infinity},      // CPU
    {infinity, infinity},      // FSIZE
    {infinity, infinity},      // DATA
    {8ull << 20, infinity},    // STACK
    {0, infinity},             // CORE
    {infinity, infinity},      // RSS
    {63432, 63432},            // NPROC
    {1024, 1048576},           // NOFILE
    {8ull << 20, 8ull << 20},  // MEMLOCK
    {infinity, infinity},      // AS
    {infinity, infinity},      // LOCKS
    {63432, 63432},            // SIGPENDING
    {819200, 819200},          // MSGQUEUE
    {0, 0},                    // NICE
    {0, 0},                    // RTPRIO
    {infinity, infinity},      // RTTIME
};

constexpr int arch_set_gs = 0x1001, arch_set_fs = 0x1002, arch_get_fs = 0x1003, arch_get_gs = 0x1004;

}  // namespace

void init_process(const abi::BootInfo& info, const char* path) {
    user_id = info.uid;
    group_id = info.gid;
    exe_path = path;
    report_stats = info.boot_flags & abi::boot_flag_stats;
}

const char* executable_path() { return exe_path; }

bool process_is_privileged() { return user_id == 0; }
uint32_t process_user_id() { return user_id; }
uint32_t process_group_id() { return group_id; }

namespace {
bool exiting = false;
int exit_status = 0;  // of the exit that set `exiting`
}  // namespace

int exiting_status(int otherwise) {
    return process_exiting() ? __atomic_load_n(&exit_status, __ATOMIC_ACQUIRE) : otherwise;
}

extern "C" void park_if_exiting() {
    if (process_exiting()) park_exiting_thread();
}

bool process_exiting() { return __atomic_load_n(&exiting, __ATOMIC_ACQUIRE); }

void park_exiting_thread() {
    for (;;) {
        bool irq = arch::disable_interrupts();
        sched::prepare_to_block(0);  // nobody wakes it: the VM ends first
        sched::schedule();
        arch::restore_interrupts(irq);
    }
}

void exit_process(int status) {
    if (__atomic_exchange_n(&exiting, true, __ATOMIC_ACQ_REL)) park_exiting_thread();
    __atomic_store_n(&exit_status, status, __ATOMIC_RELEASE);
    sched::interrupt_other_cpus();
    net::deliver_before_exit();
    end_vm(status);
}

void end_vm(int status) {
    if (report_stats) {
        // Totals over every CPU (they are still running; the counts are a moment's).
        uint64_t syscalls = 0, direct_syscalls = 0, rax_syscalls = 0, interrupts = 0, timer_writes = 0, eois = 0,
                 ipis = 0, flushes = 0, stis = 0, halts = 0;
        for (uint32_t i = 0; i < 64; ++i) {
            const arch::PerCpu* cpu = arch::cpu_block(i);
            if (!cpu) continue;
            syscalls += cpu->syscall_count;
            direct_syscalls += cpu->direct_syscall_count;
            rax_syscalls += cpu->rax_syscall_count;
            interrupts += cpu->interrupt_count;
            timer_writes += cpu->traps.timer_writes;
            eois += cpu->traps.end_of_interrupts;
            ipis += cpu->traps.ipis_sent;
            flushes += cpu->traps.tlb_flushes;
            stis += cpu->traps.stis;
            halts += cpu->traps.halts;
        }
        mm::Usage usage = mm::usage();
        log::raw(
            "eremite: stats: syscalls: %lu through rewritten direct calls, %lu through call *%%rax, %lu trapping "
            "(the syscall instruction)\n",
            direct_syscalls, rax_syscalls, syscalls);
        log::raw("eremite: stats: %lu page faults served, %lu of %lu KiB of RAM in use\n",
                 mm::app_memory().fault_count(), (usage.total_frames - usage.free_frames) * 4, usage.total_frames * 4);
        log::raw(
            "eremite: stats: %lu interrupts; trapping instructions: %lu timer arms, %lu EOIs, %lu IPIs sent, "
            "%lu TLB flushes, %lu sti, %lu halts\n",
            interrupts, timer_writes, eois, ipis, flushes, stis, halts);
        if (uint64_t rekicks = net::transmit_rekicks())
            log::raw("eremite: stats: network: %lu kicks again to a device that had stopped taking frames\n", rekicks);
    }
    if (standalone::active()) standalone::exit(status);
    abi::ExitArgs arguments{status, 0};
    hypercall::call(abi::Hypercall::exit, &arguments);
    arch::halt_forever();
}

int64_t sys_getpid(const SyscallArgs&) { return process_id; }
int64_t sys_getppid(const SyscallArgs&) { return 0; }  // like init: no parent in this world
int64_t sys_getuid(const SyscallArgs&) { return user_id; }
int64_t sys_geteuid(const SyscallArgs&) { return user_id; }
int64_t sys_getgid(const SyscallArgs&) { return group_id; }
int64_t sys_getegid(const SyscallArgs&) { return group_id; }

int64_t sys_set_robust_list(const SyscallArgs& args) {
    if (args[1] != robust_list_head_size) return failure(Errno::einval);
    sched::current()->robust_list = args[0];
    return 0;
}

int64_t sys_get_robust_list(const SyscallArgs& args) {
    // Any thread of the app (Linux asks for ptrace access, which a thread has to its own
    // process); a tid no live thread has is ESRCH.
    int32_t tid = args.integer(0);
    sched::Thread* self = sched::current();
    uint64_t head = 0;
    if (tid == 0 || tid == self->tid)
        head = self->robust_list;
    else if (tid < 0 || !sched::thread_table::visit(tid, [&](sched::Thread& thread) { head = thread.robust_list; }))
        return failure(Errno::esrch);
    uint64_t length = robust_list_head_size;
    if (!write_app(args.pointer<void>(1), head) || !write_app(args.pointer<void>(2), length))
        return failure(Errno::efault);
    return 0;
}

namespace {

// The app's resident memory, as Linux's maxrss counts it, in KiB: every frame in use but
// the kernel's own image.
uint64_t resident_kib() {
    mm::Usage usage = mm::usage();
    return (usage.total_frames - usage.free_frames) * 4;
}

constexpr uint64_t clock_ticks_per_second = 100;  // AT_CLKTCK, sysconf(_SC_CLK_TCK)

}  // namespace

int64_t sys_getrusage(const SyscallArgs& args) {
    constexpr int32_t rusage_self = 0, rusage_children = -1, rusage_thread = 1;
    struct Rusage {
        int64_t user_seconds, user_microseconds, system_seconds, system_microseconds;
        int64_t maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock, msgsnd, msgrcv, nsignals, nvcsw,
            nivcsw;
    } usage{};
    static_assert(sizeof(Rusage) == 144);
    int32_t who = args.integer(0);
    if (who != rusage_self && who != rusage_children && who != rusage_thread) return failure(Errno::einval);
    if (who != rusage_children) {  // no child processes here
        // Time in the kernel on the app's behalf counts as user time: the two run as one.
        uint64_t ns = who == rusage_self ? sched::process_cpu_time_ns() : sched::current()->cpu_time_ns;
        usage.user_seconds = static_cast<int64_t>(ns / 1000000000);
        usage.user_microseconds = static_cast<int64_t>(ns % 1000000000 / 1000);
        usage.maxrss = static_cast<int64_t>(resident_kib());
        usage.minflt = static_cast<int64_t>(mm::app_memory().fault_count());
    }
    return write_app(args.pointer<void>(1), usage) ? 0 : failure(Errno::efault);
}

int64_t sys_times(const SyscallArgs& args) {
    uint64_t ticks_per_ns = 1000000000 / clock_ticks_per_second;
    if (args[0]) {
        struct Tms {
            int64_t user, system, children_user, children_system;
        } times{static_cast<int64_t>(sched::process_cpu_time_ns() / ticks_per_ns), 0, 0, 0};
        if (!write_app(args.pointer<void>(0), times)) return failure(Errno::efault);
    }
    // Linux counts from an arbitrary point in the past (its jiffies start 5 minutes before
    // zero); only differences mean anything. The monotonic clock serves the same purpose.
    return static_cast<int64_t>(clock::monotonic_ns() / ticks_per_ns);
}

int64_t sys_sysinfo(const SyscallArgs& args) {
    struct Sysinfo {
        int64_t uptime;
        uint64_t loads[3];
        uint64_t total_ram, free_ram, shared_ram, buffer_ram, total_swap, free_swap;
        uint16_t procs, pad;
        uint32_t pad2;
        uint64_t total_high, free_high;
        uint32_t memory_unit;
        uint32_t pad3;
    } info{};
    static_assert(sizeof(Sysinfo) == 112);
    mm::Usage usage = mm::usage();
    info.uptime = static_cast<int64_t>(clock::nanoseconds_since_boot() / 1000000000);
    info.total_ram = usage.total_frames * 4096;
    info.free_ram = usage.free_frames * 4096;
    info.procs = static_cast<uint16_t>(sched::live_threads());  // Linux counts tasks, threads included
    info.memory_unit = 1;
    return write_app(args.pointer<void>(0), info) ? 0 : failure(Errno::efault);
}

int64_t sys_uname(const SyscallArgs& args) {
    struct Utsname {
        char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
    };
    Utsname name{};
    auto set = [](char* field, const char* value) { memcpy(field, value, strlen(value) + 1); };
    set(name.sysname, "Linux");
    set(name.nodename, "eremite");
    set(name.release, "6.1.0-eremite");
    set(name.version, "#1 SMP Eremite " EREMITE_VERSION);
    set(name.machine, "x86_64");
    set(name.domainname, "(none)");
    return write_app(args.pointer<void>(0), name) ? 0 : failure(Errno::efault);
}

namespace {

int64_t get_limit(uint32_t resource, void* out) {
    if (resource >= rlimit_count) return failure(Errno::einval);
    return write_app(out, limits[resource]) ? 0 : failure(Errno::efault);
}

int64_t set_limit(uint32_t resource, const void* in) {
    if (resource >= rlimit_count) return failure(Errno::einval);
    Rlimit wanted;
    if (!read_app(wanted, in)) return failure(Errno::efault);
    if (wanted.current > wanted.maximum) return failure(Errno::einval);
    // An unprivileged process may not raise its hard limit; the app runs as the host user.
    if (wanted.maximum > limits[resource].maximum && user_id != 0) return failure(Errno::eperm);
    limits[resource] = wanted;
    if (resource == rlimit_nofile) fs::set_fd_limit(static_cast<uint32_t>(min<uint64_t>(wanted.current, 1u << 20)));
    return 0;
}

}  // namespace

int64_t sys_getrlimit(const SyscallArgs& args) { return get_limit(args[0], args.pointer<void>(1)); }
int64_t sys_setrlimit(const SyscallArgs& args) { return set_limit(args[0], args.pointer<void>(1)); }

int64_t sys_prlimit64(const SyscallArgs& args) {
    int32_t pid = args.integer(0);
    if (pid != 0 && pid != process_id) return failure(Errno::esrch);
    auto resource = static_cast<uint32_t>(args[1]);
    if (resource >= rlimit_count) return failure(Errno::einval);
    Rlimit old = limits[resource];
    if (args[2]) {
        int64_t result = set_limit(resource, args.pointer<void>(2));
        if (result < 0) return result;
    }
    if (args[3]) {
        if (!write_app(args.pointer<void>(3), old)) return failure(Errno::efault);
    }
    return 0;
}

int64_t sys_arch_prctl(const SyscallArgs& args) {
    switch (args.integer(0)) {
        case arch_set_fs:
            if (args[1] >= (1ull << 47)) return failure(Errno::eperm);
            arch::set_fs_base(args[1]);
            return 0;
        case arch_get_fs: {
            uint64_t base = arch::fs_base();
            return write_app(args.pointer<void>(1), base) ? 0 : failure(Errno::efault);
        }
        case arch_set_gs:
        case arch_get_gs:
            // GS belongs to the kernel's per-CPU data in Eremite's single address space.
            log::warn("arch_prctl: the app asked for its own GS base, which Eremite reserves");
            return failure(Errno::eperm);
        default: return failure(Errno::einval);
    }
}

}  // namespace eremite::linux
