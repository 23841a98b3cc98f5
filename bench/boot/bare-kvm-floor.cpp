// bare-kvm-floor: the smallest KVM virtual machine we can build and run to its
// first exit. Its whole-process wall time (process start -> VM created -> vCPU
// runs to its first HLT -> process exit) is the floor that ehyve's boot time is
// compared against in bench/boot/run.sh.
//
//   bare-kvm-floor [--mode real|long] [--irqchip none|full|split] [--verbose]
//
// --mode real   (default) the vCPU starts in real mode with KVM's default
//               special registers, except cs base/selector = 0 so that cs:ip
//               points at a single `hlt` at guest-physical 0x8000.
// --mode long   the vCPU is put straight into 64-bit long mode: CR0=0x80050033,
//               CR4=PAE|OSFXSR|OSXMMEXCPT, EFER=SCE|LME|LMA|NXE, a page table
//               identity-mapping guest [0, 2 MiB) with one 2 MiB page, and a GDT
//               with a 64-bit code segment at selector 0x10 and data at 0x18.
// --irqchip     none: no interrupt controller (default in real mode);
//               full: KVM_CREATE_IRQCHIP (PIC+IOAPIC+LAPIC) before the vCPU, as a
//                     typical VMM does (default in long mode);
//               split: KVM_CAP_SPLIT_IRQCHIP (LAPIC only in the kernel).
//               With an in-kernel LAPIC, KVM handles `hlt` inside the kernel (the
//               vCPU sleeps until an interrupt) and it never exits to userspace,
//               so with full or split the guest code is `out 0xf4, al; hlt` and the
//               first exit (KVM_EXIT_IO on port 0xf4) stands in for the first HLT.
//
// PROBE NOTES (Intel Xeon host whose /dev/kvm is kvm-pvm, kernel 6.18):
//  * real mode works: KVM_RUN returns KVM_EXIT_HLT with rip just past the `hlt`;
//    the code did not need to be at a high address. Real mode without an irqchip
//    is the cheapest set-up, so it is the default and the floor in run.sh.
//  * long mode works too, with `hlt` (no irqchip) or `out` (with one).
//  * KVM_CREATE_IRQCHIP makes VM teardown (the last close of the VM fd, which
//    happens at process exit at the latest) take ~15 ms, against ~0.3 ms
//    without; the split irqchip does not have this cost.
//
// Everything is released on every path. Exit status: 0 when the first exit was
// the expected one; otherwise 1 with one line on stderr saying what failed.

#include <linux/kvm.h>

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>

namespace {

constexpr std::uint64_t kGuestMemSize = 2ull << 20;  // 2 MiB at guest-physical 0

// Guest-physical layout (both modes use the same 2 MiB region).
constexpr std::uint64_t kGdtAddr = 0x0500;
constexpr std::uint64_t kPml4Addr = 0x1000;
constexpr std::uint64_t kPdptAddr = 0x2000;
constexpr std::uint64_t kPdAddr = 0x3000;
constexpr std::uint64_t kCodeAddr = 0x8000;

constexpr std::uint8_t kHlt = 0xf4;
constexpr std::uint8_t kOutImm8Al = 0xe6;  // out imm8, al
constexpr std::uint8_t kExitPort = 0xf4;

enum class Mode { Real, Long };
enum class Irqchip { None, Full, Split };

// Owns every resource so that each error path releases everything.
struct Vm {
    int kvm = -1;
    int vm = -1;
    int vcpu = -1;
    void* mem = MAP_FAILED;
    kvm_run* run = nullptr;
    std::size_t run_size = 0;

    Vm() = default;
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;
    ~Vm() {
        if (run != nullptr) munmap(run, run_size);
        if (vcpu >= 0) close(vcpu);
        if (vm >= 0) close(vm);
        if (mem != MAP_FAILED) munmap(mem, kGuestMemSize);
        if (kvm >= 0) close(kvm);
    }
};

int fail(const char* what) {
    std::fprintf(stderr, "bare-kvm-floor: %s: %s\n", what, std::strerror(errno));
    return 1;
}

int fail_msg(const char* what) {
    std::fprintf(stderr, "bare-kvm-floor: %s\n", what);
    return 1;
}

// A flat segment for KVM_SET_SREGS.
kvm_segment flat_segment(std::uint16_t selector, std::uint8_t type, bool code) {
    kvm_segment s{};
    s.base = 0;
    s.limit = 0xffffffff;
    s.selector = selector;
    s.type = type;
    s.present = 1;
    s.dpl = 0;
    s.db = code ? 0 : 1;  // L=1 requires D=0 for the 64-bit code segment
    s.s = 1;
    s.l = code ? 1 : 0;
    s.g = 1;
    return s;
}

// Page tables, GDT and segment/control registers for 64-bit long mode.
void setup_long_mode(std::uint8_t* mem, kvm_sregs& sregs) {
    auto* pml4 = reinterpret_cast<std::uint64_t*>(mem + kPml4Addr);
    auto* pdpt = reinterpret_cast<std::uint64_t*>(mem + kPdptAddr);
    auto* pd = reinterpret_cast<std::uint64_t*>(mem + kPdAddr);
    constexpr std::uint64_t kPresentWritable = 0x3;
    constexpr std::uint64_t kLargePage = 0x80;
    pml4[0] = kPdptAddr | kPresentWritable;
    pdpt[0] = kPdAddr | kPresentWritable;
    pd[0] = 0 | kPresentWritable | kLargePage;  // identity-map guest [0, 2 MiB)

    // GDT: null, null, 64-bit code (0x10), data (0x18).
    auto* gdt = reinterpret_cast<std::uint64_t*>(mem + kGdtAddr);
    gdt[0] = 0;
    gdt[1] = 0;
    gdt[2] = 0x00af9b000000ffffull;  // P, DPL0, S, code exec/read accessed, L, G
    gdt[3] = 0x00cf93000000ffffull;  // P, DPL0, S, data read/write accessed, D/B, G

    kvm_segment code = flat_segment(0x10, 0xb, true);   // execute/read, accessed
    kvm_segment data = flat_segment(0x18, 0x3, false);  // read/write, accessed
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.gdt.base = kGdtAddr;
    sregs.gdt.limit = 4 * 8 - 1;

    sregs.cr3 = kPml4Addr;
    sregs.cr4 = (1u << 5) | (1u << 9) | (1u << 10);  // PAE | OSFXSR | OSXMMEXCPT
    sregs.cr0 = 0x80050033;                          // PG | AM | WP | NE | ET | MP | PE
    sregs.efer = 0xd01;                              // NXE | LMA | LME | SCE
}

int run_vm(Mode mode, Irqchip irqchip, bool verbose) {
    Vm v;

    v.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v.kvm < 0) return fail("open /dev/kvm");
    int api = ioctl(v.kvm, KVM_GET_API_VERSION, 0);
    if (api < 0) return fail("KVM_GET_API_VERSION");
    if (api != KVM_API_VERSION) {
        std::fprintf(stderr, "bare-kvm-floor: KVM API version %d, expected %d\n", api, KVM_API_VERSION);
        return 1;
    }

    v.vm = ioctl(v.kvm, KVM_CREATE_VM, 0);
    if (v.vm < 0) return fail("KVM_CREATE_VM");

    v.mem = mmap(nullptr, kGuestMemSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
    if (v.mem == MAP_FAILED) return fail("mmap guest memory");
    auto* mem = static_cast<std::uint8_t*>(v.mem);

    kvm_userspace_memory_region region{};
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = kGuestMemSize;
    region.userspace_addr = reinterpret_cast<std::uint64_t>(v.mem);
    if (ioctl(v.vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");

    if (irqchip == Irqchip::Full) {
        if (ioctl(v.vm, KVM_CREATE_IRQCHIP, 0) < 0) return fail("KVM_CREATE_IRQCHIP");
    } else if (irqchip == Irqchip::Split) {
        kvm_enable_cap cap{};
        cap.cap = KVM_CAP_SPLIT_IRQCHIP;
        cap.args[0] = 24;  // IOAPIC pins routed to userspace (none are used)
        if (ioctl(v.vm, KVM_ENABLE_CAP, &cap) < 0) return fail("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)");
    }

    v.vcpu = ioctl(v.vm, KVM_CREATE_VCPU, 0);
    if (v.vcpu < 0) return fail("KVM_CREATE_VCPU");

    int run_size = ioctl(v.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < static_cast<int>(sizeof(kvm_run))) return fail("KVM_GET_VCPU_MMAP_SIZE");
    void* run = mmap(nullptr, static_cast<std::size_t>(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
    if (run == MAP_FAILED) return fail("mmap kvm_run");
    v.run = static_cast<kvm_run*>(run);
    v.run_size = static_cast<std::size_t>(run_size);

    // With an in-kernel irqchip `hlt` never reaches userspace (see the header),
    // so an `out` to a port is the first exit; `hlt` follows it regardless.
    std::uint32_t expected = KVM_EXIT_HLT;
    std::uint64_t at = kCodeAddr;
    if (irqchip != Irqchip::None) {
        mem[at++] = kOutImm8Al;
        mem[at++] = kExitPort;
        expected = KVM_EXIT_IO;
    }
    mem[at] = kHlt;

    kvm_sregs sregs{};
    if (ioctl(v.vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
    if (mode == Mode::Real) {
        // Default sregs are real mode; execute from cs.base + rip.
        sregs.cs.base = 0;
        sregs.cs.selector = 0;
    } else {
        setup_long_mode(mem, sregs);
    }
    if (ioctl(v.vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");

    kvm_regs regs{};
    regs.rflags = 0x2;  // bit 1 is reserved and must be set
    regs.rip = kCodeAddr;
    regs.rsp = kCodeAddr;  // unused by `hlt`, but keep it sane
    if (ioctl(v.vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");

    // Run until the first exit to userspace; retry only on signal interruption.
    for (;;) {
        if (ioctl(v.vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            return fail("KVM_RUN");
        }
        break;
    }

    std::uint32_t reason = v.run->exit_reason;
    if (verbose) {
        kvm_regs after{};
        if (ioctl(v.vcpu, KVM_GET_REGS, &after) == 0)
            std::fprintf(stderr, "bare-kvm-floor: exit_reason=%u rip=%#llx\n", reason,
                         static_cast<unsigned long long>(after.rip));
    }
    bool ok = reason == expected;
    if (ok && reason == KVM_EXIT_IO)
        ok = v.run->io.direction == KVM_EXIT_IO_OUT && v.run->io.port == kExitPort;
    if (!ok) {
        std::fprintf(stderr, "bare-kvm-floor: first exit was reason %u, expected %s (%u)", reason,
                     expected == KVM_EXIT_HLT ? "KVM_EXIT_HLT" : "KVM_EXIT_IO to port 0xf4", expected);
        if (reason == KVM_EXIT_IO)
            std::fprintf(stderr, " (port %#x)", v.run->io.port);
        else if (reason == KVM_EXIT_FAIL_ENTRY)
            std::fprintf(stderr, " (hardware_entry_failure_reason=%#llx)",
                         static_cast<unsigned long long>(v.run->fail_entry.hardware_entry_failure_reason));
        else if (reason == KVM_EXIT_INTERNAL_ERROR)
            std::fprintf(stderr, " (internal error suberror=%u)", v.run->internal.suberror);
        std::fputc('\n', stderr);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    constexpr const char* kUsage = "usage: bare-kvm-floor [--mode real|long] [--irqchip none|full|split] [--verbose]";
    Mode mode = Mode::Real;
    std::string_view irqchip_arg;  // empty: the mode's default
    bool verbose = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--mode" && i + 1 < argc) {
            std::string_view m = argv[++i];
            if (m == "real") {
                mode = Mode::Real;
            } else if (m == "long") {
                mode = Mode::Long;
            } else {
                return fail_msg(kUsage);
            }
        } else if (arg == "--irqchip" && i + 1 < argc) {
            irqchip_arg = argv[++i];
        } else if (arg == "--verbose") {
            verbose = true;
        } else {
            return fail_msg(kUsage);
        }
    }
    // Real mode is the minimal VM (no irqchip); long mode mirrors a typical VMM.
    Irqchip irqchip = mode == Mode::Long ? Irqchip::Full : Irqchip::None;
    if (irqchip_arg == "none") {
        irqchip = Irqchip::None;
    } else if (irqchip_arg == "full") {
        irqchip = Irqchip::Full;
    } else if (irqchip_arg == "split") {
        irqchip = Irqchip::Split;
    } else if (!irqchip_arg.empty()) {
        return fail_msg(kUsage);
    }
    return run_vm(mode, irqchip, verbose);
}
