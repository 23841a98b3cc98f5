#include "vm.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "boot_layout.hpp"
#include "console.hpp"
#include "eremite/abi.hpp"
#include "error.hpp"
#include "host_files.hpp"
#include "hypercalls.hpp"
#include "kvm.hpp"
#include "net_backend.hpp"
#include "program_files.hpp"
#include "rewrite_cache.hpp"
#include "sandbox.hpp"
#include "syscall_rewriter.hpp"
#include "virtio_mmio.hpp"
#include "virtio_net.hpp"

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
    p.mount_count = static_cast<uint32_t>(options.mounts.size());
    for (uint32_t i = 0; i < p.mount_count; ++i)
        if (options.mounts[i].read_only) p.mount_read_only |= 1u << i;
    p.boot_abi_version = options.boot_abi_version;
    if (options.strace) p.boot_flags |= abi::boot_flag_strace;
    if (options.stats) p.boot_flags |= abi::boot_flag_stats;
    p.uid = getuid();
    p.gid = getgid();
    if (getrandom(p.random_seed, sizeof p.random_seed, 0) != sizeof p.random_seed)
        fail_errno("cannot get a random seed for the guest (getrandom)");
    return p;
}

void set_long_mode(Vcpu& vcpu, const BootLayout& layout, uint32_t cpu, uint64_t entry, uint64_t argument,
                   bool fsgsbase) {
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
    s.tr.base = direct_map(layout.tss_of(cpu));
    s.tr.limit = 0x67;
    s.tr.selector = abi::selector_tss;
    s.tr.type = 11;  // busy 64-bit TSS
    s.tr.present = 1;
    s.gdt.base = direct_map(layout.gdt_of(cpu));
    s.gdt.limit = abi::gdt_limit;
    s.idt.base = direct_map(layout.idt);
    s.idt.limit = abi::idt_limit;
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
    r.rsp = direct_map(layout.stack_top_of(cpu));
    r.rdi = argument;
    r.rflags = 2;
    vcpu.set_registers(r);
}

// Whether the guest may turn on CR4.FSGSBASE. kvm-pvm runs the guest on the host's own
// CPU and leaves FSGSBASE out of KVM_GET_SUPPORTED_CPUID although the instructions work
// there (PVM.md), so the host's CPUID counts too. Without them every thread switch reads
// and writes the FS base through MSRs: two traps, about 30,000 cycles on this host.
bool cpuid_has_fsgsbase(const std::vector<kvm_cpuid_entry2>& entries, bool on_kvm_pvm) {
    for (const auto& e : entries)
        if (e.function == 7 && e.index == 0 && (e.ebx & 1)) return true;
    if (!on_kvm_pvm) return false;
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (ebx & 1);
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

// The running VM: one host thread per vCPU, the main thread waiting for the end. The
// end comes from any vCPU (the exit or panic hypercall, a guest error) or from SIGINT or
// SIGTERM; then every vCPU is kicked out of KVM_RUN (immediate_exit and a signal), so
// tear-down never waits for a guest that keeps running.
class RunningVm {
public:
    RunningVm(const Options& options, const Kvm& kvm, Vm& vm, const GuestMemory& memory, const BootLayout& layout,
              uint64_t kernel_entry, ConsoleDrain& console, HostFiles& host_files, std::vector<VirtioMmio*> devices)
        : options_(options),
          devices_(std::move(devices)),
          memory_(memory),
          layout_(layout),
          console_(console),
          hypercalls_(memory, console, host_files) {
        auto cpuid = kvm.supported_cpuid();
        fsgsbase_ = cpuid_has_fsgsbase(cpuid, access("/sys/module/kvm_pvm", F_OK) == 0);
        for (uint32_t i = 0; i < options.cpus; ++i) {
            vcpus_.push_back(std::make_unique<Vcpu>(kvm, vm, i));
            vcpus_.back()->set_cpuid(with_apic_id(cpuid, i));
        }
        threads_.resize(options.cpus);
        exits_.resize(options.cpus);
        set_long_mode(*vcpus_[0], layout, 0, kernel_entry, direct_map(layout.boot_info), fsgsbase_);
    }

    uint64_t tsc_khz() const { return vcpus_[0]->tsc_khz(); }

    // Runs until the guest ends; returns what ended it.
    HypercallOutcome run() {
        main_thread_ = pthread_self();
        start_thread(0);
        sigset_t wait_for;
        sigemptyset(&wait_for);
        sigaddset(&wait_for, SIGINT);
        sigaddset(&wait_for, SIGTERM);
        sigaddset(&wait_for, SIGUSR2);
        for (;;) {
            int signal = sigwaitinfo(&wait_for, nullptr);
            if (signal == SIGINT || signal == SIGTERM) {
                HypercallOutcome interrupted{HypercallOutcome::Kind::exit, 128 + signal, {}};
                stopped_by_signal_ = true;
                request_stop(interrupted);
            }
            if (stopping_) break;
        }
        for (uint32_t i = 0; i < vcpus_.size(); ++i) {
            if (!started_[i]) continue;
            vcpus_[i]->run_state().immediate_exit = 1;
            pthread_kill(threads_[i].native_handle(), SIGUSR1);
        }
        for (auto& thread : threads_)
            if (thread.joinable()) thread.join();
        // Stopped from outside: say where each vCPU was (what a hang looks like), at -v.
        if (stopped_by_signal_ && options_.log_level >= abi::LogLevel::info)
            for (uint32_t i = 0; i < vcpus_.size(); ++i)
                if (started_[i])
                    std::fprintf(stderr, "ehyve: vCPU %u stopped at %s\n", i, describe_registers(*vcpus_[i]).c_str());
        std::lock_guard<std::mutex> guard(mutex_);
        return outcome_;
    }

    std::map<std::string, uint64_t> exits() const {
        std::map<std::string, uint64_t> total;
        for (const auto& per_cpu : exits_)
            for (const auto& [reason, count] : per_cpu) total[reason] += count;
        return total;
    }
    const Hypercalls& hypercalls() const { return hypercalls_; }

private:
    static std::vector<kvm_cpuid_entry2> with_apic_id(std::vector<kvm_cpuid_entry2> cpuid, uint32_t index) {
        for (auto& e : cpuid) {
            if (e.function == 1) e.ebx = (e.ebx & 0x00ffffff) | (index << 24);
            if (e.function == 0xb || e.function == 0x1f) e.edx = index;  // x2APIC id
        }
        return cpuid;
    }

    void start_thread(uint32_t index) {
        started_[index] = true;
        threads_[index] = std::thread([this, index] { vcpu_loop(index); });
        if (!options_.affinity.empty()) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(options_.affinity[index % options_.affinity.size()], &set);
            pthread_setaffinity_np(threads_[index].native_handle(), sizeof set, &set);
        }
    }

    void request_stop(const HypercallOutcome& outcome) {
        {
            std::lock_guard<std::mutex> guard(mutex_);
            if (stopping_) return;
            outcome_ = outcome;
            stopping_ = true;
        }
        pthread_kill(main_thread_, SIGUSR2);
    }

    // A vCPU's start_cpu hypercall: the kernel is ready for vCPU `cpu`.
    HypercallOutcome start_cpu(const HypercallOutcome& request) {
        std::lock_guard<std::mutex> guard(mutex_);
        if (request.cpu == 0 || request.cpu >= vcpus_.size() || started_[request.cpu])
            return {HypercallOutcome::Kind::guest_error, 0,
                    "the guest asked to start vCPU " + std::to_string(request.cpu) + ", which it cannot"};
        set_long_mode(*vcpus_[request.cpu], layout_, request.cpu, request.entry, request.argument, fsgsbase_);
        vcpus_[request.cpu]->make_runnable();
        start_thread(request.cpu);
        return {};
    }

    // An MMIO exit inside a device's register window (set-up only; the running queues
    // never exit here).
    bool device_access(kvm_run& run) {
        for (VirtioMmio* device : devices_) {
            if (!device->contains(run.mmio.phys_addr)) continue;
            uint32_t length = std::min<uint32_t>(run.mmio.len, sizeof run.mmio.data);
            if (run.mmio.is_write)
                device->write(run.mmio.phys_addr, run.mmio.data, length);
            else
                device->read(run.mmio.phys_addr, run.mmio.data, length);
            return true;
        }
        return false;
    }

    void vcpu_loop(uint32_t index) {
        Vcpu& vcpu = *vcpus_[index];
        kvm_run& run = vcpu.run_state();
        auto& exits = exits_[index];
        while (!stopping_) {
            if (!vcpu.run()) continue;  // a signal: stopping_ says whether to go on
            ++exits[exit_reason_name(run.exit_reason)];
            if (run.exit_reason == KVM_EXIT_IO && run.io.direction == KVM_EXIT_IO_OUT &&
                Hypercalls::is_hypercall_port(run.io.port)) {
                HypercallOutcome outcome = hypercalls_.handle(run.io.port, vcpu.registers().rdi);
                if (outcome.kind == HypercallOutcome::Kind::start_cpu) outcome = start_cpu(outcome);
                if (outcome.kind == HypercallOutcome::Kind::resume) {
                    console_.drain();
                    continue;
                }
                request_stop(outcome);
                return;
            }
            if (run.exit_reason == KVM_EXIT_IO) continue;  // a port nobody listens on: ignored, as on a PC
            if (run.exit_reason == KVM_EXIT_MMIO && device_access(run)) continue;
            std::string what = "vCPU " + std::to_string(index) + " stopped unexpectedly (KVM exit " +
                               exit_reason_name(run.exit_reason);
            if (run.exit_reason == KVM_EXIT_INTERNAL_ERROR)
                what += ", suberror " + std::to_string(run.internal.suberror) + "; see dmesg";
            if (run.exit_reason == KVM_EXIT_FAIL_ENTRY)
                what += ", hardware reason " + std::to_string(run.fail_entry.hardware_entry_failure_reason);
            if (run.exit_reason == KVM_EXIT_MMIO)
                what += ", access to unbacked guest-physical address " + std::to_string(run.mmio.phys_addr);
            request_stop({HypercallOutcome::Kind::guest_error, 0, what + "; " + describe_registers(vcpu) + ")"});
            return;
        }
    }

    const Options& options_;
    std::vector<VirtioMmio*> devices_;
    const GuestMemory& memory_;
    const BootLayout& layout_;
    ConsoleDrain& console_;
    Hypercalls hypercalls_;
    bool fsgsbase_ = false;
    std::vector<std::unique_ptr<Vcpu>> vcpus_;
    std::vector<std::thread> threads_;
    bool started_[abi::max_cpus] = {};
    std::vector<std::map<std::string, uint64_t>> exits_;
    pthread_t main_thread_{};
    std::mutex mutex_;
    std::atomic<bool> stopping_{false};
    bool stopped_by_signal_ = false;
    HypercallOutcome outcome_;
};

void ignore_signal(int) {}

// SIGUSR1 kicks a vCPU thread out of KVM_RUN; SIGINT, SIGTERM and SIGUSR2 (a vCPU asking
// for the end) are taken by the main thread alone, with sigwaitinfo.
void set_up_signals() {
    struct sigaction kick {};
    kick.sa_handler = ignore_signal;  // no SA_RESTART: KVM_RUN returns EINTR
    sigaction(SIGUSR1, &kick, nullptr);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
}

// Every handle the guest holds on a host file is a host fd: allow as many as the hard
// limit does (the soft limit is often 1024, the hard one far more).
void raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

// The load-time syscall rewriting pass, on a read-only host mapping of the app's file:
// the plan decides how much room the site list takes in guest memory, and is applied to
// the guest's copy of the file once that is mapped. An empty plan with --no-rewrite, and
// for a file that is not a valid ELF (validation reports that next).
struct Rewrites {
    RewritePlan plan;
    bool from_cache = false;
};

Rewrites plan_rewrites(const Options& options, const AppFile& app) {
    if (!options.rewrite_syscalls) return {};
    void* bytes = mmap(nullptr, app.size, PROT_READ, MAP_PRIVATE, app.fd.get(), 0);
    if (bytes == MAP_FAILED) fail_errno("cannot map " + options.app + " to rewrite its syscalls");
    std::span<const uint8_t> file{static_cast<const uint8_t*>(bytes), app.size};
    RewriteCache cache(app.fd.get());
    Rewrites rewrites;
    if (std::optional<RewritePlan> cached = cache.load(file)) {
        rewrites.plan = std::move(*cached);
        rewrites.from_cache = true;
    } else {
        rewrites.plan = plan_syscall_rewrites(file);
        if (!rewrites.plan.patches.empty()) cache.store(rewrites.plan);
    }
    munmap(bytes, app.size);
    return rewrites;
}

// Bytes the plan needs in guest memory: the call sites, then the site stubs' code.
uint64_t rewrite_data_size(const RewritePlan& plan) {
    return plan.call_sites.size() * sizeof(uint64_t) + plan.site_stubs.size();
}

void apply_rewrites(const RewritePlan& plan, const GuestMemory& memory, const BootLayout& layout, const AppFile& app,
                    BootParameters& parameters) {
    if (plan.patches.empty()) return;
    apply_syscall_rewrites(plan, *memory.span(layout.app, app.size));
    uint8_t* data = memory.span(layout.syscall_sites, layout.syscall_sites_size)->data();
    uint64_t sites_size = plan.call_sites.size() * sizeof(uint64_t);
    std::memcpy(data, plan.call_sites.data(), sites_size);
    std::memcpy(data + sites_size, plan.site_stubs.data(), plan.site_stubs.size());
    parameters.syscall_site_count = static_cast<uint32_t>(plan.call_sites.size());
    parameters.syscall_site_stubs_size = plan.site_stubs.size();
    if (!plan.call_sites.empty()) parameters.rewrite_flags |= abi::rewrite_page_zero;
    if (plan.stats.direct) parameters.rewrite_flags |= abi::rewrite_direct_stubs;
    if (!plan.site_stubs.empty()) parameters.rewrite_flags |= abi::rewrite_site_stubs;
}

void print_rewrite_stats(const Options& options, const RewriteStats& stats, bool from_cache) {
    if (!options.rewrite_syscalls) {
        std::fprintf(stderr, "  syscall sites not rewritten (--no-rewrite)\n");
        return;
    }
    std::fprintf(stderr,
                 "  syscall sites %lu: %lu rewritten as direct calls, %lu as call *%%rax, %lu through site stubs, "
                 "%lu left trapping "
                 "(%lu red zone, %lu number not known, %lu outside known functions, %lu undecodable, %lu other)%s\n",
                 static_cast<unsigned long>(stats.sites), static_cast<unsigned long>(stats.direct),
                 static_cast<unsigned long>(stats.through_rax), static_cast<unsigned long>(stats.site_stub),
                 static_cast<unsigned long>(stats.trapping()), static_cast<unsigned long>(stats.red_zone),
                 static_cast<unsigned long>(stats.number_unknown), static_cast<unsigned long>(stats.no_function),
                 static_cast<unsigned long>(stats.undecodable), static_cast<unsigned long>(stats.other),
                 from_cache ? "; plan from the cache" : "");
}

// The network device of --net: its back-end, the device and its transport, wired to KVM.
struct NetworkDevice {
    std::unique_ptr<VirtioNet> device;
    std::unique_ptr<VirtioMmio> transport;
};

NetworkDevice open_network(const Options& options, const GuestMemory& memory, Vm& vm, BootParameters& parameters) {
    const NetworkOptions& network = options.network;
    if (network.kind == NetworkOptions::Kind::none) return {};
    // User-mode networking ends the guest's TCP inside ehyve-net-user, so its frames
    // never reach a wire: 9000-byte ones cost nothing there and carry lwIP's 8 KiB
    // segments whole (2-3x the stream rate of 1500).
    uint16_t mtu = network.mtu ? network.mtu : network.kind == NetworkOptions::Kind::user ? 9000 : 1500;
    std::unique_ptr<NetBackend> backend;
    if (network.kind == NetworkOptions::Kind::tap) {
        backend = open_tap(network.tap_name);
        // The guest's frames are as large as the link's, unless told otherwise.
        const uint16_t link = backend->host_mtu();
        if (!network.mtu && link) {
            mtu = static_cast<uint16_t>(std::clamp<uint64_t>(link, minimum_mtu, maximum_mtu));
            if (mtu != link)
                std::fprintf(stderr,
                             "ehyve: --net tap:%s: the device's MTU %u is outside 1280-65000; the guest uses %u "
                             "(give --mtu, or change the device's)\n",
                             network.tap_name.c_str(), link, mtu);
        }
    } else {
        backend =
            start_user_network({beside_ehyve("ehyve-net-user", "a build with the helper"), network.forwards, mtu});
    }
    NetworkDevice net;
    net.device = std::make_unique<VirtioNet>(std::move(backend), network.mac, mtu);
    const uint32_t index = parameters.device_count++;
    const uint64_t base = abi::device_window_base + index * abi::device_window_stride;
    const uint8_t vector = static_cast<uint8_t>(abi::device_vector_base + index);
    net.transport = std::make_unique<VirtioMmio>(memory, *net.device, base);
    for (uint16_t queue : {VirtioNet::receive_queue, VirtioNet::transmit_queue})
        vm.add_ioeventfd(net.device->kick_fd(queue), base + eremite::virtio_spec::mmio_queue_notify, queue);
    vm.add_msi_irqfd(net.device->interrupt_fd(), 0, vector);
    parameters.devices[index] = abi::VirtioMmioDevice{base, VirtioMmio::window_size, vector};
    abi::NetworkConfig& config = parameters.network;
    if (network.static_address) {
        config.flags |= abi::network_static;
        std::memcpy(config.address, network.address, 4);
        std::memcpy(config.gateway, network.gateway, 4);
        std::memcpy(config.dns, network.dns, 4);
        config.prefix_length = network.prefix_length;
    }
    return net;
}

void print_network_stats(const VirtioNet& device) {
    const auto& c = device.counters();
    std::fprintf(stderr,
                 "  network (%s, MTU %u): %lu frames in, %lu out (%lu through indirect tables), %lu interrupts, %lu "
                 "device wake-ups\n",
                 device.describe().c_str(), device.mtu(), static_cast<unsigned long>(c.frames_in.load()),
                 static_cast<unsigned long>(c.frames_out.load()),
                 static_cast<unsigned long>(c.frames_out_indirect.load()),
                 static_cast<unsigned long>(c.interrupts.load()), static_cast<unsigned long>(c.wakeups.load()));
}

int run_vm(const Options& options) {
    const auto process_start = Clock::now();
    raise_file_limit();

    // Everything about the input is checked before /dev/kvm is opened.
    KernelImage kernel = read_kernel(options.kernel.empty() ? default_kernel_path() : options.kernel);
    AppFile app = open_app(options.app);
    InitrdFile initrd;
    if (!options.initrd.empty()) initrd = open_initrd(options.initrd);
    std::vector<std::string> argv{options.app};
    argv.insert(argv.end(), options.app_args.begin(), options.app_args.end());
    std::vector<std::string> mount_paths;
    for (const Mount& mount : options.mounts) mount_paths.push_back(mount.guest_path);
    std::vector<char> strings =
        pack_strings(app.absolute_path, argv, options.env, mount_paths, options.working_directory);
    std::string memory_text = std::to_string(options.memory >> 20) + "M";
    Rewrites rewrites = plan_rewrites(options, app);
    if (rewrites.plan.call_sites.size() > UINT32_MAX) fail(options.app + ": too many syscall sites to rewrite");
    BootLayout layout = plan_layout(options.memory, kernel.physical_end, app.size, strings.size(), memory_text,
                                    options.cpus, initrd.size, rewrite_data_size(rewrites.plan));

    GuestMemory memory(options.memory);
    HostFiles host_files(memory, options.mounts);
    // The guest applied its own umask to every mode it passes; the host's must not apply
    // a second time. ehyve creates no files of its own.
    if (!options.mounts.empty()) umask(0);
    map_and_validate_app(app, options.app, memory, layout.app);
    // Like the app, straight from the page cache: the kernel reads it once and reclaims it.
    if (initrd.size) memory.map_file(layout.initrd, initrd.fd.get(), initrd.size, "--initrd " + options.initrd);
    load_kernel(kernel, memory);
    write_page_tables(memory, layout);
    write_descriptor_tables(memory, layout);
    write_console_ring(memory, layout);
    std::memcpy(memory.span(layout.strings, strings.size())->data(), strings.data(), strings.size());
    BootParameters parameters = boot_parameters(options, static_cast<uint32_t>(argv.size()));
    apply_rewrites(rewrites.plan, memory, layout, app, parameters);

    set_up_signals();
    Kvm kvm;
    Vm vm(kvm);
    vm.set_memory(memory);
    vm.create_split_irqchip();
    NetworkDevice network = open_network(options, memory, vm, parameters);
    std::vector<VirtioMmio*> devices;
    if (network.transport) devices.push_back(network.transport.get());
    write_boot_info(memory, layout, parameters);
    ConsoleDrain console(memory, layout.console_ring, console_ring_capacity);
    RunningVm running(options, kvm, vm, memory, layout, kernel.elf.entry, console, host_files, devices);

    // Everything ehyve opens is open now; no other thread runs yet, so the Landlock domain
    // covers the vCPU and console threads to come.
    std::vector<SandboxDirectory> sandbox_directories;
    for (size_t i = 0; i < host_files.mount_count(); ++i)
        sandbox_directories.push_back({host_files.mount_directory(i), !host_files.mount_read_only(i)});
    enter_sandbox(options.sandbox, sandbox_directories);

    // The clocks, read just before the first instruction runs; the kernel pairs them
    // with its TSC at its first instruction, a few microseconds later.
    auto* info = memory.at<abi::BootInfo>(layout.boot_info);
    info->tsc_khz = running.tsc_khz();
    timespec realtime{}, monotonic{};
    clock_gettime(CLOCK_REALTIME, &realtime);
    clock_gettime(CLOCK_MONOTONIC, &monotonic);
    info->realtime_ns_at_boot = uint64_t(realtime.tv_sec) * 1000000000 + uint64_t(realtime.tv_nsec);
    info->monotonic_ns_at_boot = uint64_t(monotonic.tv_sec) * 1000000000 + uint64_t(monotonic.tv_nsec);

    const auto run_start = Clock::now();
    HypercallOutcome outcome;
    {
        ConsoleTimer timer(console);
        outcome = running.run();
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
        print_rewrite_stats(options, rewrites.plan.stats, rewrites.from_cache);
        std::fprintf(stderr, "  VM exits:");
        for (const auto& [reason, count] : running.exits()) std::fprintf(stderr, " %s %lu", reason.c_str(), count);
        std::fprintf(stderr, "\n");
        if (network.device) print_network_stats(*network.device);
        std::fprintf(stderr, "  hypercalls:");
        for (uint16_t n = 0; n < static_cast<uint16_t>(abi::Hypercall::count); ++n)
            if (running.hypercalls().count(n))
                std::fprintf(stderr, " %s %lu", Hypercalls::name(n), running.hypercalls().count(n));
        std::fprintf(stderr, "\n");
    }
    return status;
}

}  // namespace ehyve
