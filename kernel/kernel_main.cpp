// The kernel's entry in C++, reached from arch/x86_64/entry.S once the CPU runs at full
// speed (on kvm-pvm, after the native-mode switch). The order matters: the interrupt
// table first (every later step may fault), then the console (every later step may
// log), then memory, clocks, randomness, and the app.
#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/extended_state.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "drivers/console.hpp"
#include "drivers/hypercall.hpp"
#include "eremite/abi.hpp"
#include "fs/setup.hpp"
#include "lib/log.hpp"
#include "lib/random.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "linux/strace.hpp"
#include "linux/syscall_rewrite.hpp"
#include "loader/app_loader.hpp"
#include "mm/kernel_stacks.hpp"
#include "mm/memory.hpp"
#include "net/network_device.hpp"
#include "sched/scheduler.hpp"
#include "smp.hpp"
#include "time/clock.hpp"
#include "vdso/vdso_mapping.hpp"

namespace eremite::arch {
void set_host_kind(bool is_kvm_pvm);
}

extern "C" void start_app_thread();
extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace eremite {
namespace {

arch::PerCpu boot_cpu;
uint64_t boot_tsc = 0;
abi::BootInfo* boot_info = nullptr;

// The boot timeline (`ehyve -vv`): microseconds since the kernel's first instruction.
void boot_mark(const char* step) {
    if (!log::enabled(abi::LogLevel::debug)) return;
    uint64_t khz = clock::tsc_khz();
    log::debug("boot: %-28s at %6lu us", step, khz ? (arch::read_tsc() - boot_tsc) * 1000 / khz : 0);
}

// Refuses a boot-info block this kernel does not understand. The console ring's
// address is part of the unknown layout, so the message travels in the panic hypercall.
[[noreturn]] void refuse_boot_info(const abi::BootInfo* info) {
    panic(
        "boot info not understood (magic 0x%lx, version %u; this kernel speaks version %u): "
        "ehyve and the kernel come from different builds",
        info->magic, info->version, abi::boot_abi_version);
}

// Splits the packed strings of the boot info into the executable path, argv and envp.
// The strings ehyve packed (abi.hpp, BootInfo::strings): the executable's path, argv,
// envp, the guest paths of the host mounts, then the working directory.
struct BootStrings {
    const char* path;
    const char** argv;
    const char** envp;
    const char** mounts;
    const char* working_directory;
};

bool unpack_strings(const abi::BootInfo& info, BootStrings& out) {
    const char* cursor = mm::to_virtual<const char>(PhysAddr{info.strings});
    const char* end = cursor + info.strings_size;
    if (info.mount_count > abi::max_mounts) return false;
    uint64_t count = 1ull + info.argc + info.envc + info.mount_count + 1;
    auto** strings = static_cast<const char**>(mm::allocate((count + 2) * sizeof(char*)));
    if (!strings) return false;
    strings[count - 1] = "/";  // the working directory, when ehyve gives none
    for (uint64_t i = 0; i < count; ++i) {
        if (i == count - 1 && cursor == end) break;
        if (cursor >= end) return false;
        strings[i] = cursor;
        cursor += strnlen(cursor, end - cursor) + 1;
        if (cursor > end) return false;
    }
    out.path = strings[0];
    out.argv = strings + 1;
    out.envp = strings + 1 + info.argc;
    out.mounts = strings + 1 + info.argc + info.envc;
    out.working_directory = strings[count - 1];
    return true;
}

}  // namespace
}  // namespace eremite

using namespace eremite;

extern "C" [[noreturn]] void kernel_main(abi::BootInfo* info, bool on_kvm_pvm, uint64_t tsc_at_entry) {
    arch::set_host_kind(on_kvm_pvm);
    arch::install_per_cpu(boot_cpu);
    boot_info = info;
    if (info->magic != abi::boot_info_magic || info->version != abi::boot_abi_version ||
        info->size != sizeof(abi::BootInfo))
        refuse_boot_info(info);
    info->tsc_at_boot = boot_tsc = tsc_at_entry;
    arch::init_interrupts(info->boot_cpu);
    for (auto** constructor = __init_array_start; constructor != __init_array_end; ++constructor) (*constructor)();

    console::init(*info);
    log::set_level(static_cast<abi::LogLevel>(info->log_level));
    log::debug("booting on %s", on_kvm_pvm ? "kvm-pvm (native mode)" : "x86-64 virtualisation");
    clock::init(*info);
    boot_mark("console and interrupts");
    arch::init_extended_state();
    boot_mark("extended state");
    if (!mm::init(*info)) panic("cannot take over guest memory");
    // Exception stacks with guard pages, in place of the boot-time ones in the image.
    auto exception_stacks = mm::map_exception_stacks(0);
    if (!exception_stacks.ok()) panic("out of memory for the exception stacks");
    arch::init_cpu_stacks(info->boot_cpu, exception_stacks.value());
    boot_mark("memory");
    if (!random::init(info->random_seed))
        panic("no entropy: neither the hypervisor's seed nor RDSEED/RDRAND is available");
    boot_mark("random");
    if (!arch::apic::init_this_cpu()) panic("this CPU has no local APIC, which the scheduler's timer needs");
    boot_cpu.apic_id = arch::apic::this_cpu_id();
    sched::init_this_cpu(0);
    vdso::init_this_cpu(0);
    boot_mark("local APIC and scheduler");
    linux::enable_strace(info->boot_flags & abi::boot_flag_strace);

    BootStrings strings;
    if (!unpack_strings(*info, strings)) panic("the boot info's argument strings are malformed");
    linux::init_process(*info, strings.path);
    fs::init(*info, strings.mounts, strings.working_directory);
    boot_mark("file systems");
    net::start_network_device(*info);
    boot_mark("network device");

    if (!linux::init_rewritten_sites(*info)) panic("out of memory for the list of rewritten syscall sites");
    loader::AppLaunch launch{mm::to_virtual<const uint8_t>(PhysAddr{info->app_image}),
                             info->app_image_size,
                             PhysAddr{info->app_image},
                             strings.argv,
                             info->argc,
                             strings.envp,
                             info->envc,
                             info->uid,
                             info->gid};
    loader::StartedApp app;
    if (!loader::load_app(launch, app)) linux::end_vm(abi::exit_status_host_error);
    boot_mark("app loaded");

    // The app's main thread (tid 1) starts in start_app_thread (context_switch.S), which
    // finds the entry point in %r12 and the stack pointer in %r13; this boot context
    // becomes the CPU's idle thread.
    sched::Thread* main_thread = sched::create_app_thread();
    if (!main_thread) panic("out of memory for the main thread");
    auto* switch_frame = reinterpret_cast<uint64_t*>(main_thread->kernel_stack_top) - 7;
    memset(switch_frame, 0, 7 * sizeof(uint64_t));
    switch_frame[2] = app.stack_pointer;  // %r13
    switch_frame[3] = app.entry;          // %r12
    switch_frame[6] = reinterpret_cast<uint64_t>(&start_app_thread);
    main_thread->saved_rsp = reinterpret_cast<uint64_t>(switch_frame);
    smp::start_other_cpus(*info);
    boot_mark("other CPUs started");
    sched::start(main_thread);
    sched::idle_loop();
}

// Runs once, on the main thread, just before the app's first instruction.
extern "C" void app_entry_hook() {
    arch::enable_interrupts();
    net::wait_until_configured();  // DHCP, when the network has it: part of the boot
    boot_info->tsc_at_app_entry = arch::read_tsc();
}
