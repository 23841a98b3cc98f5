#include "vm.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "boot_layout.hpp"
#include "console.hpp"
#include "eremite/abi.hpp"
#include "error.hpp"
#include "hypercalls.hpp"
#include "kvm.hpp"
#include "program_files.hpp"

namespace ehyve {

using namespace eremite;
using Clock = std::chrono::steady_clock;

namespace {

double milliseconds(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Drains the console ring every few milliseconds while the vCPU runs, so that a long
// computation's output appears without the guest ever exiting for it.
class ConsoleTimer {
public:
    explicit ConsoleTimer(ConsoleDrain& console)
        : thread_([this, &console] {
              std::unique_lock<std::mutex> lock(mutex_);
              while (!stop_) {
                  if (cv_.wait_for(lock, std::chrono::milliseconds(5), [this] { return stop_; })) break;
                  lock.unlock();
                  console.drain();
                  lock.lock();
              }
          }) {}
    ~ConsoleTimer() {
        {
            std::lock_guard<std::mutex> guard(mutex_);
            stop_ = true;
        }
        cv_.notify_one();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

BootParameters boot_parameters(const Options& options, uint32_t argc) {
    BootParameters p;
    p.argc = argc;
    p.envc = static_cast<uint32_t>(options.env.size());
    if (isatty(0)) p.stdio_flags |= abi::stdin_is_tty;
    if (isatty(1)) p.stdio_flags |= abi::stdout_is_tty;
    if (isatty(2)) p.stdio_flags |= abi::stderr_is_tty;
    if (fcntl(0, F_GETFD) < 0) p.stdio_flags |= abi::stdin_is_closed;
    winsize size{};
    for (int fd = 0; fd < 3; ++fd)
        if (ioctl(fd, TIOCGWINSZ, &size) == 0) break;
    p.tty_rows = size.ws_row;
    p.tty_columns = size.ws_col;
    p.log_level = options.log_level;
    p.boot_abi_version = options.boot_abi_version;
    if (options.strace) p.boot_flags |= abi::boot_flag_strace;
    if (options.stats) p.boot_flags |= abi::boot_flag_stats;
    p.uid = getuid();
    p.gid = getgid();
    if (getrandom(p.random_seed, sizeof p.random_seed, 0) != sizeof p.random_seed)
        fail_errno("cannot get a random seed for the guest (getrandom)");
    return p;
}

void set_long_mode(Vcpu& vcpu, const BootLayout& layout, uint64_t entry, bool fsgsbase) {
    kvm_sregs s = vcpu.special_registers();
    kvm_segment code{};
    code.base = 0;
    code.limit = 0xffffffff;
    code.selector = abi::selector_kernel_code;
    code.type = 11;  // execute/read, accessed
    code.present = 1;
    code.s = 1;
    code.l = 1;
    code.g = 1;
    kvm_segment data = code;
    data.selector = abi::selector_kernel_data;
    data.type = 3;  // read/write, accessed
    data.l = 0;
    data.db = 1;
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = data;
    // TR through KVM_SET_SREGS: on kvm-pvm the guest cannot `ltr` before its switch.
    s.tr = kvm_segment{};
    s.tr.base = direct_map(layout.tss);
    s.tr.limit = 0x67;
    s.tr.selector = abi::selector_tss;
    s.tr.type = 11;  // busy 64-bit TSS
    s.tr.present = 1;
    s.gdt.base = direct_map(layout.gdt);
    s.gdt.limit = 10 * 8 - 1;
    s.idt.base = direct_map(layout.idt);
    s.idt.limit = 256 * 16 - 1;
    constexpr uint64_t cr0_pe = 1, cr0_mp = 2, cr0_et = 1 << 4, cr0_ne = 1 << 5, cr0_wp = 1 << 16, cr0_am = 1 << 18,
                       cr0_pg = 1ull << 31;
    constexpr uint64_t cr4_pae = 1 << 5, cr4_osfxsr = 1 << 9, cr4_osxmmexcpt = 1 << 10, cr4_fsgsbase = 1 << 16;
    constexpr uint64_t efer_sce = 1, efer_lme = 1 << 8, efer_lma = 1 << 10, efer_nxe = 1 << 11;
    s.cr0 = cr0_pe | cr0_mp | cr0_et | cr0_ne | cr0_wp | cr0_am | cr0_pg;
    s.cr3 = layout.pml4.value;  // bit 12 clear: kvm-pvm treats it as the kernel's CR3
    s.cr4 = cr4_pae | cr4_osfxsr | cr4_osxmmexcpt | (fsgsbase ? cr4_fsgsbase : 0);
    s.efer = efer_sce | efer_lme | efer_lma | efer_nxe;
    vcpu.set_special_registers(s);

    kvm_regs r{};
    r.rip = entry;
    r.rsp = direct_map(layout.boot_stack + layout.boot_stack_size);
    r.rdi = direct_map(layout.boot_info);
    r.rflags = 2;
    vcpu.set_registers(r);
}

bool cpuid_has_fsgsbase(const std::vector<kvm_cpuid_entry2>& entries) {
    for (const auto& e : entries)
        if (e.function == 7 && e.index == 0) return e.ebx & 1;
    return false;
}

std::string exit_reason_name(uint32_t reason) {
    switch (reason) {
        case KVM_EXIT_IO: return "io";
        case KVM_EXIT_HLT: return "hlt";
        case KVM_EXIT_MMIO: return "mmio";
        case KVM_EXIT_SHUTDOWN: return "shutdown";
        case KVM_EXIT_FAIL_ENTRY: return "fail_entry";
        case KVM_EXIT_INTERNAL_ERROR: return "internal_error";
        case KVM_EXIT_INTR: return "intr";
        case KVM_EXIT_SYSTEM_EVENT: return "system_event";
        default: return "reason " + std::to_string(reason);
    }
}

std::string describe_registers(const Vcpu& vcpu) {
    kvm_regs r = vcpu.registers();
    char text[256];
    std::snprintf(text, sizeof text, "rip=0x%llx rsp=0x%llx rax=0x%llx rdi=0x%llx", r.rip, r.rsp, r.rax, r.rdi);
    return text;
}

}  // namespace

int run_vm(const Options& options) {
    const auto process_start = Clock::now();

    // Everything about the input is checked before /dev/kvm is opened.
    KernelImage kernel = read_kernel(options.kernel.empty() ? default_kernel_path() : options.kernel);
    AppFile app = open_app(options.app);
    std::vector<std::string> argv{options.app};
    argv.insert(argv.end(), options.app_args.begin(), options.app_args.end());
    std::vector<char> strings = pack_strings(app.absolute_path, argv, options.env);
    std::string memory_text = std::to_string(options.memory >> 20) + "M";
    BootLayout layout = plan_layout(options.memory, kernel.physical_end, app.size, strings.size(), memory_text);

    GuestMemory memory(options.memory);
    map_and_validate_app(app, options.app, memory, layout.app);
    load_kernel(kernel, memory);
    write_page_tables(memory, layout);
    write_descriptor_tables(memory, layout);
    write_console_ring(memory, layout);
    std::memcpy(memory.span(layout.strings, strings.size())->data(), strings.data(), strings.size());
    write_boot_info(memory, layout, boot_parameters(options, static_cast<uint32_t>(argv.size())));

    Kvm kvm;
    Vm vm(kvm);
    vm.set_memory(memory);
    vm.create_split_irqchip();
    Vcpu vcpu(kvm, vm, 0);
    auto cpuid = kvm.supported_cpuid();
    vcpu.set_cpuid(cpuid);
    set_long_mode(vcpu, layout, kernel.elf.entry, cpuid_has_fsgsbase(cpuid));

    ConsoleDrain console(memory, layout.console_ring, console_ring_capacity);
    Hypercalls hypercalls(memory, console);
    std::map<std::string, uint64_t> exits;

    // The clocks, read just before the first instruction runs; the kernel pairs them
    // with its TSC at its first instruction, a few microseconds later.
    auto* info = memory.at<abi::BootInfo>(layout.boot_info);
    info->tsc_khz = vcpu.tsc_khz();
    timespec realtime{}, monotonic{};
    clock_gettime(CLOCK_REALTIME, &realtime);
    clock_gettime(CLOCK_MONOTONIC, &monotonic);
    info->realtime_ns_at_boot = uint64_t(realtime.tv_sec) * 1000000000 + uint64_t(realtime.tv_nsec);
    info->monotonic_ns_at_boot = uint64_t(monotonic.tv_sec) * 1000000000 + uint64_t(monotonic.tv_nsec);

    const auto run_start = Clock::now();
    HypercallOutcome outcome;
    {
        ConsoleTimer timer(console);
        kvm_run& run = vcpu.run_state();
        for (;;) {
            if (!vcpu.run()) continue;  // a signal; nothing to do until tear-down is signal-aware
            ++exits[exit_reason_name(run.exit_reason)];
            if (run.exit_reason == KVM_EXIT_IO && run.io.direction == KVM_EXIT_IO_OUT &&
                Hypercalls::is_hypercall_port(run.io.port)) {
                outcome = hypercalls.handle(run.io.port, vcpu.registers().rdi);
                if (outcome.kind == HypercallOutcome::Kind::resume) {
                    console.drain();
                    continue;
                }
                break;
            }
            if (run.exit_reason == KVM_EXIT_IO) continue;  // a port nobody listens on: ignored, as on a PC
            std::string what = "the guest stopped unexpectedly (KVM exit " + exit_reason_name(run.exit_reason);
            if (run.exit_reason == KVM_EXIT_INTERNAL_ERROR)
                what += ", suberror " + std::to_string(run.internal.suberror) + "; see dmesg";
            if (run.exit_reason == KVM_EXIT_FAIL_ENTRY)
                what += ", hardware reason " + std::to_string(run.fail_entry.hardware_entry_failure_reason);
            if (run.exit_reason == KVM_EXIT_MMIO)
                what += ", access to unbacked guest-physical address " + std::to_string(run.mmio.phys_addr);
            outcome = {HypercallOutcome::Kind::guest_error, 0, what + "; " + describe_registers(vcpu) + ")"};
            break;
        }
    }
    const auto run_end = Clock::now();
    bool console_ok = console.drain();

    int status = outcome.status;
    if (outcome.kind == HypercallOutcome::Kind::panic) {
        std::fprintf(stderr, "eremite: kernel panic (this is a kernel bug): %s\n", outcome.message.c_str());
        status = abi::exit_status_kernel_panic;
    } else if (outcome.kind == HypercallOutcome::Kind::guest_error) {
        std::fprintf(stderr, "ehyve: %s\n", outcome.message.c_str());
        status = abi::exit_status_kernel_panic;
    }
    if (!console_ok) std::fprintf(stderr, "ehyve: the guest corrupted its console ring; output may be missing\n");

    if (options.stats) {
        double boot_ms = 0;
        if (info->tsc_at_app_entry > info->tsc_at_boot && info->tsc_khz)
            boot_ms = double(info->tsc_at_app_entry - info->tsc_at_boot) / double(info->tsc_khz);
        double run_ms = milliseconds(run_end - run_start);
        std::fprintf(stderr, "ehyve: stats\n");
        std::fprintf(stderr, "  VM set-up     %8.3f ms  (process start to the first instruction)\n",
                     milliseconds(run_start - process_start));
        std::fprintf(stderr, "  kernel boot   %8.3f ms  (first instruction to the app's entry point)\n", boot_ms);
        std::fprintf(stderr, "  app run       %8.3f ms  (entry point to exit)\n", run_ms - boot_ms);
        std::fprintf(stderr, "  total         %8.3f ms  (process start to exit)\n",
                     milliseconds(Clock::now() - process_start));
        std::fprintf(stderr, "  console       %8lu bytes\n", static_cast<unsigned long>(console.bytes_drained()));
        std::fprintf(stderr, "  VM exits:");
        for (const auto& [reason, count] : exits) std::fprintf(stderr, " %s %lu", reason.c_str(), count);
        std::fprintf(stderr, "\n  hypercalls:");
        for (uint16_t n = 0; n < static_cast<uint16_t>(abi::Hypercall::count); ++n)
            if (hypercalls.count(n)) std::fprintf(stderr, " %s %lu", Hypercalls::name(n), hypercalls.count(n));
        std::fprintf(stderr, "\n");
    }
    return status;
}

}  // namespace ehyve
