// The contract between ehyve and the Eremite kernel: the boot-info block that ehyve
// writes into guest memory before the first instruction runs, and the hypercalls the
// kernel makes back. Both sides include this one header; every struct has a fixed
// layout (checked below) because the two sides are different programs.
//
// Versioning: `boot_abi_version` changes whenever a layout or a meaning changes. The
// kernel refuses a boot-info block whose magic or version it does not know.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::abi {

inline constexpr uint64_t boot_info_magic = 0x4f42455445494d45ull;  // "EMIETEBO"
inline constexpr uint32_t boot_abi_version = 5;

// ---- Address space shared knowledge -------------------------------------------------

// All guest RAM is mapped at this virtual base (PML4 slot 273, away from slot 256
// which kvm-pvm reserves).
inline constexpr uint64_t direct_map_base = 0xffff888000000000ull;
// The kernel image is linked at kernel_virtual_base + its physical load address
// (-mcmodel=kernel).
inline constexpr uint64_t kernel_virtual_base = 0xffffffff80000000ull;

// ---- Boot info ----------------------------------------------------------------------

enum class MemoryKind : uint32_t {
    usable = 1,        // free for the kernel's frame allocator
    reserved = 2,      // boot structures (page tables, GDT, boot info); reclaimable later
    kernel_image = 3,  // the kernel's loaded segments
    app_image = 4,     // the raw bytes of the application ELF file
    console_ring = 5,  // shared console ring, owned by the ring protocol
    initrd = 6,        // the initramfs archive (cpio newc); reclaimable once unpacked
};

struct MemoryRange {
    uint64_t base;  // guest-physical, page aligned
    uint64_t size;  // bytes, page multiple
    MemoryKind kind;
    uint32_t reserved0;
};
static_assert(sizeof(MemoryRange) == 24);

inline constexpr uint32_t max_memory_ranges = 16;

// Flags describing the host's standard streams, so that isatty() inside the guest
// answers as it would natively (glibc picks its buffering mode from it).
enum StdioFlags : uint32_t {
    stdin_is_tty = 1u << 0,
    stdout_is_tty = 1u << 1,
    stderr_is_tty = 1u << 2,
    stdin_is_closed = 1u << 3,
};

enum class LogLevel : uint32_t { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

enum BootFlags : uint32_t {
    boot_flag_strace = 1u << 0,  // print every syscall with decoded arguments
    boot_flag_stats = 1u << 1,   // report run-time counters at exit
    // Booted through the PVH entry by another VMM (QEMU, Firecracker), not by ehyve: no
    // hypercalls; the console is the 16550 serial ports and the exit isa-debug-exit
    // (kernel/drivers/standalone.hpp). Set by the kernel's own PVH boot code.
    boot_flag_standalone = 1u << 2,
};

// Per-CPU descriptor tables prepared by the VMM. On kvm-pvm the guest can neither
// `ltr` nor run `lgdt`/`lidt` cheaply before its native-mode switch, so ehyve loads
// GDTR, IDTR and TR through KVM_SET_SREGS and tells the kernel where they are; the
// kernel fills the IDT gates and the TSS stack pointers in place.
struct CpuTables {
    uint64_t gdt;  // virtual (direct map) addresses
    uint64_t idt;
    uint64_t tss;
    uint64_t boot_stack_top;  // the stack the vCPU starts on (upper half)
};
static_assert(sizeof(CpuTables) == 32);

// The Linux-layout GDT ehyve installs (and the kernel installs itself when booted by
// other VMMs). Selector values are what the syscall MSR STAR expects.
inline constexpr uint16_t selector_kernel_code = 0x10;
inline constexpr uint16_t selector_kernel_data = 0x18;
inline constexpr uint16_t selector_user_code32 = 0x23;
inline constexpr uint16_t selector_user_data = 0x2b;
inline constexpr uint16_t selector_user_code = 0x33;
inline constexpr uint16_t selector_tss = 0x40;
inline constexpr uint32_t gdt_entries = 10;
// What lgdt and lidt take as the GDT's and the IDT's limits (256 gates of 16 bytes).
inline constexpr uint16_t gdt_limit = gdt_entries * 8 - 1, idt_limit = 256 * 16 - 1;

// The low pages and the per-CPU tables, placed alike by both boot paths (ehyve's
// hyve/boot_layout.hpp, the kernel's PVH boot): the boot info, the boot CPU's GDT, TSS,
// IDT page and boot stack at fixed addresses; each other CPU's GDT page, TSS page and
// boot stack in a block of ap_structure_size, the blocks one after another from
// `ap_structures` (guest-physical).
namespace boot_layout {
inline constexpr uint64_t boot_info = 0x1000, gdt = 0x2000, tss = 0x3000, idt = 0x4000, boot_stack = 0x9000,
                          boot_stack_size = 0x4000;
inline constexpr uint64_t ap_structure_size = 2 * 4096 + 0x4000;
inline constexpr uint64_t gdt_of(uint64_t ap_structures, uint32_t cpu) {
    return cpu ? ap_structures + (cpu - 1) * ap_structure_size : gdt;
}
inline constexpr uint64_t tss_of(uint64_t ap_structures, uint32_t cpu) {
    return cpu ? ap_structures + (cpu - 1) * ap_structure_size + 4096 : tss;
}
inline constexpr uint64_t stack_top_of(uint64_t ap_structures, uint32_t cpu) {
    return cpu ? ap_structures + cpu * ap_structure_size : boot_stack + boot_stack_size;
}
}  // namespace boot_layout

// Writes that GDT (gdt_entries descriptors) and the 64-bit TSS it points at (0x68 bytes,
// already zeroed; `tss_virtual` is where the CPU will see it): Linux's layout
// (arch/x86/include/asm/segment.h), a TSS without an I/O bitmap (its offset points past
// the limit). The kernel fills the TSS's IST pointers later.
inline void write_boot_gdt(uint64_t* gdt, uint8_t* tss, uint64_t tss_virtual) {
    gdt[selector_kernel_code / 8] = 0x00af9b000000ffff;
    gdt[selector_kernel_data / 8] = 0x00cf93000000ffff;
    gdt[selector_user_code32 / 8] = 0x00cffb000000ffff;
    gdt[selector_user_data / 8] = 0x00cff3000000ffff;
    gdt[selector_user_code / 8] = 0x00affb000000ffff;
    // The 64-bit TSS descriptor takes two slots (Intel SDM vol. 3, 8.2.3).
    constexpr uint64_t tss_limit = 0x67, available_tss = 0x89;
    gdt[selector_tss / 8] =
        tss_limit | ((tss_virtual & 0xffffff) << 16) | (available_tss << 40) | (((tss_virtual >> 24) & 0xff) << 56);
    gdt[selector_tss / 8 + 1] = tss_virtual >> 32;
    tss[0x66] = 0x68;  // the I/O map base, little-endian
    tss[0x67] = 0;
}

// ---- Devices --------------------------------------------------------------------------
//
// ehyve's devices are virtio 1.x devices on the virtio-mmio transport (register layout
// version 2, virtio spec 4.2.2), each a register window outside guest RAM. The device
// type is the window's DeviceID register. Differences from a PC's virtio-mmio device,
// which make the common path exit-free:
// - an interrupt is an edge, delivered as a message straight to the local APIC of CPU 0
//   at `vector` (no IOAPIC); the driver need not read InterruptStatus nor write
//   InterruptACK (each would be an exit to ehyve), it looks at its used rings instead;
// - a QueueNotify write is taken by KVM itself (an ioeventfd) and never reaches a vCPU
//   thread of ehyve: the device's own thread serves the queue.
// Device i's window is at device_window_base + i * device_window_stride and its vector
// is device_vector_base + i.

inline constexpr uint32_t max_devices = 4;
inline constexpr uint64_t device_window_base = 0x1000000000ull;  // 64 GiB: above any RAM ehyve gives
inline constexpr uint64_t device_window_stride = 0x1000;
inline constexpr uint8_t device_vector_base = 0x40;

struct VirtioMmioDevice {
    uint64_t base;  // guest-physical, page aligned
    uint32_t size;  // bytes of the register window
    uint32_t vector;
};
static_assert(sizeof(VirtioMmioDevice) == 16);

enum NetworkFlags : uint32_t {
    network_static = 1u << 0,  // use the addresses below; otherwise DHCP
};

// IPv4 addresses in network byte order (as written, a.b.c.d is bytes a, b, c, d). IPv6
// addresses configure themselves (link-local and stateless autoconfiguration).
struct NetworkConfig {
    uint32_t flags;  // NetworkFlags
    uint8_t address[4];
    uint8_t gateway[4];
    uint8_t dns[4];
    uint8_t prefix_length;
    uint8_t reserved0[7];
};
static_assert(sizeof(NetworkConfig) == 24);

struct BootInfo {
    uint64_t magic;
    uint32_t version;
    uint32_t size;  // sizeof(BootInfo) as the writer knew it

    // Memory
    uint64_t ram_size;  // bytes of guest RAM starting at guest-physical 0
    uint32_t memory_range_count;
    uint32_t reserved0;
    MemoryRange memory_ranges[max_memory_ranges];
    uint64_t boot_page_table;  // guest-physical PML4 that the vCPU starts with

    // The application ELF file, as raw bytes in guest-physical memory.
    uint64_t app_image;       // guest-physical, page aligned
    uint64_t app_image_size;  // bytes

    // The executable's path, then `argc` argument strings, then `envc` environment
    // strings, then `mount_count` guest paths of host directories (--mount, in order:
    // mount i is host-file mount index i), then the app's initial working directory,
    // all NUL-terminated and packed back to back at `strings` (guest-physical) over
    // `strings_size` bytes. The path is what /proc/self/exe shows.
    uint64_t strings;
    uint64_t strings_size;
    uint32_t argc;
    uint32_t envc;

    // Time: the host's clocks read just before the first instruction runs, and the guest
    // TSC rate. tsc_at_boot is written by the kernel: its TSC at its first instruction
    // (the host cannot read the guest's TSC reliably on every hypervisor).
    uint64_t tsc_khz;
    uint64_t tsc_at_boot;
    uint64_t realtime_ns_at_boot;
    uint64_t monotonic_ns_at_boot;

    // 32 bytes from the host's getrandom(), for AT_RANDOM and the kernel's generator.
    uint8_t random_seed[32];

    uint32_t cpu_count;
    uint32_t stdio_flags;  // StdioFlags
    uint16_t tty_rows;     // window size of the host terminal (TIOCGWINSZ), if any
    uint16_t tty_columns;
    uint32_t log_level;   // LogLevel
    uint32_t boot_flags;  // BootFlags
    uint32_t uid;         // the host user running ehyve: the app sees the same ids
    uint32_t gid;
    uint32_t reserved1;

    CpuTables boot_cpu;

    // Console ring (see ConsoleRing): guest-physical address and total size.
    uint64_t console_ring;
    uint64_t console_ring_size;

    // Written by the kernel: its TSC when it jumps to the app's entry point, so that
    // `ehyve --stats` can split boot from run time without an extra exit.
    uint64_t tsc_at_app_entry;

    // CpuTables[cpu_count] (guest-physical), one per vCPU, index 0 the boot CPU. They
    // share one IDT; each has its own GDT, TSS and boot stack. The kernel starts the
    // other CPUs with the start_cpu hypercall once it is ready for them.
    uint64_t cpu_tables;
    // The initramfs (cpio newc, as `cpio -H newc -o` writes it), guest-physical, or 0.
    uint64_t initrd;
    uint64_t initrd_size;
    // Host directories mapped in with --mount (paths in `strings`); bit i of
    // `mount_read_only` set when mount i refuses writes (the host enforces it too).
    uint32_t mount_count;
    uint32_t mount_read_only;

    // Syscall rewriting (see "Syscall rewriting" below): what ehyve's load-time pass
    // changed in the app image. `syscall_sites` (guest-physical, or 0) holds
    // `syscall_site_count` link-time addresses (uint64_t, ascending) of every
    // `call *%rax` the pass wrote; `rewrite_flags` says what the kernel must map.
    uint64_t syscall_sites;
    uint32_t syscall_site_count;
    uint32_t rewrite_flags;  // RewriteFlags
    // The site stubs' code (guest-physical, or 0) and its size in bytes.
    uint64_t syscall_site_stubs;
    uint64_t syscall_site_stubs_size;

    // Devices (see "Devices" below): virtio-mmio register windows, device i in slot i.
    uint32_t device_count;
    uint32_t reserved2;
    VirtioMmioDevice devices[max_devices];
    // How the first network device's interface is configured.
    NetworkConfig network;
};
static_assert(offsetof(BootInfo, memory_ranges) == 32);
static_assert(offsetof(BootInfo, boot_page_table) == 416);
static_assert(offsetof(BootInfo, app_image) == 424);
static_assert(offsetof(BootInfo, strings) == 440);
static_assert(offsetof(BootInfo, argc) == 456);
static_assert(offsetof(BootInfo, tsc_khz) == 464);
static_assert(offsetof(BootInfo, random_seed) == 496);
static_assert(offsetof(BootInfo, cpu_count) == 528);
static_assert(offsetof(BootInfo, boot_cpu) == 560);
static_assert(offsetof(BootInfo, console_ring) == 592);
static_assert(offsetof(BootInfo, tsc_at_app_entry) == 608);
static_assert(offsetof(BootInfo, cpu_tables) == 616);
static_assert(offsetof(BootInfo, initrd) == 624);
static_assert(offsetof(BootInfo, mount_count) == 640);
static_assert(offsetof(BootInfo, syscall_sites) == 648);
static_assert(offsetof(BootInfo, syscall_site_stubs) == 664);
static_assert(offsetof(BootInfo, device_count) == 680);
static_assert(offsetof(BootInfo, devices) == 688);
static_assert(offsetof(BootInfo, network) == 752);
static_assert(sizeof(BootInfo) == 776);
inline constexpr uint32_t max_mounts = 32;

// ---- Syscall rewriting ----------------------------------------------------------------
//
// ehyve (and every other image path) rewrites the app's `syscall` instructions that it
// can prove safe into calls into the kernel, before the kernel maps the image:
//
// - `mov $NR,%eax; syscall` (b8 imm32 0f 05) with NR < syscall_stub_count becomes
//   `call stub_NR; syscall` (e8 rel32 0f 05): only the mov is replaced. The direct stub
//   for NR lies in the stub region at syscall_stub_region_address(image end) + NR *
//   stride and returns 2 bytes past the call, over the `syscall`, which stays in place
//   for any code that jumps straight to it. `mov $NR,%rax; syscall` (48 c7 c0 imm32
//   0f 05) becomes `66 90 e8 rel32 0f 05` the same way.
// - a `syscall` (0f 05) whose %rax provably holds a number below syscall_slide_end (set
//   by a `mov $NR` or a zeroing `xor` earlier in straight-line code that no known jump
//   enters) becomes `call *%rax` (ff d0): the number is an address in page 0, where the
//   kernel maps a slide of `nop`s into its entry (as zpoline does). Page 0 is mapped
//   read and execute only, so a write through a null pointer still faults; the kernel
//   checks every such call against `syscall_sites`.
// - a `syscall` whose number is not known (glibc's syscall()): `call *%rax` with a
//   number such as 0x401000 would run the app's own code. Instead the instructions right
//   before it (5 bytes, or 9 and more, none of them entered by a jump, none using %rip or
//   %rsp other than as a base) move into a site stub that runs them (%rsp-based
//   displacements raised by 8) and enters the kernel like a direct stub; the call takes
//   their first 5 bytes, a `jmp` over the rest follows when they are longer, and the
//   `syscall` stays. ehyve writes the stubs' code (`syscall_site_stubs`); the kernel maps
//   it right after the direct stubs (syscall_stub_region_size bytes into the region).
//
// The stub region is syscall_stub_region_size bytes at the first page boundary at or
// above the end of the app's highest PT_LOAD segment (link-time addresses; the kernel
// adds its load bias to both, so the rel32 of a call does not depend on where a
// position-independent app is loaded). The site stubs follow it, and the program break
// starts after them.

inline constexpr uint64_t syscall_stub_stride = 16;
inline constexpr uint64_t syscall_stub_count = 512;  // numbers with a direct stub: 0..511
inline constexpr uint64_t syscall_stub_region_size = syscall_stub_stride * syscall_stub_count;
// Page 0's slide covers these numbers; its last 8 bytes jump into the kernel.
inline constexpr uint64_t syscall_slide_end = 4096 - 8;
// Link-time address of the stub region for an app whose PT_LOAD segments end (highest
// virtual address + memory size) at `image_end`.
constexpr uint64_t syscall_stub_region_address(uint64_t image_end) { return (image_end + 4095) & ~uint64_t{4095}; }

enum RewriteFlags : uint32_t {
    rewrite_direct_stubs = 1u << 0,  // map the stub region
    rewrite_page_zero = 1u << 1,     // map page 0's slide (syscall_sites lists the `call *%rax` sites)
    rewrite_site_stubs = 1u << 2,    // map the site stubs after the direct stubs
};

// ---- Console ring -------------------------------------------------------------------
//
// Single producer (the guest kernel, under its console lock), single consumer (ehyve).
// Records are [ConsoleRecordHeader][payload], written byte-wise modulo `capacity`; the
// producer publishes with a release store of `head`, the consumer with `tail`. Both
// counters run freely (never wrapped); `head - tail` is the fill level. The host drains
// on every exit it sees, on a short timer, before it blocks on stdin, and at the end,
// so the guest exits to the host only when the ring is full (hypercall console_flush).

enum class ConsoleStream : uint16_t { stdout_stream = 1, stderr_stream = 2, kernel_log = 3 };

struct ConsoleRecordHeader {
    uint16_t stream;  // ConsoleStream
    uint16_t length;  // payload bytes that follow
};
static_assert(sizeof(ConsoleRecordHeader) == 4);

struct ConsoleRing {
    uint64_t head;      // bytes ever written (producer)
    uint64_t tail;      // bytes ever consumed (consumer)
    uint32_t capacity;  // bytes in data[], a power of two
    uint32_t reserved0;
    uint64_t reserved1;
    // uint8_t data[capacity] follows
};
static_assert(sizeof(ConsoleRing) == 32);
inline constexpr uint32_t console_max_record = 2048;  // payload bytes per record

// ---- Hypercalls ---------------------------------------------------------------------
//
// A hypercall is one `out` to port (hypercall_port_base + number). The guest-physical
// address of the argument struct travels in %rdi (64 bits; the 32-bit `out` value is
// its low half and is only a cross-check). Arguments are 8-byte aligned and never span
// beyond guest RAM; ehyve checks both before it reads or writes them.

inline constexpr uint16_t hypercall_port_base = 0x500;

enum class Hypercall : uint16_t {
    exit = 0,           // ExitArgs: the VM ends with this status
    console_flush = 1,  // no arguments: drain the console ring now
    stdin_read = 2,     // StdinReadArgs: read from the host's standard input
    panic = 3,          // PanicArgs: a kernel bug; ehyve reports and exits with panic status
    start_cpu = 4,      // StartCpuArgs: run vCPU `cpu` from `entry` with %rdi = `argument`
    host_file = 5,      // HostFileArgs: one operation on a --mount'ed host directory
    count
};

struct StartCpuArgs {
    uint32_t cpu;  // 1 .. cpu_count - 1
    uint32_t reserved0;
    uint64_t entry;     // virtual address; the vCPU starts in 64-bit mode on its CpuTables
    uint64_t argument;  // passed in %rdi
};
static_assert(sizeof(StartCpuArgs) == 24);
inline constexpr uint32_t max_cpus = 64;

struct PanicArgs {
    uint64_t message;  // guest-physical, UTF-8, not NUL-terminated
    uint64_t length;   // at most panic_message_max
};
static_assert(sizeof(PanicArgs) == 16);
inline constexpr uint64_t panic_message_max = 4096;

struct ExitArgs {
    int32_t status;
    uint32_t reserved0;
};
static_assert(sizeof(ExitArgs) == 8);

struct StdinReadArgs {
    uint64_t buffer;  // guest-physical
    uint64_t length;
    int64_t result;  // bytes read, 0 at end of file, or -errno
};
static_assert(sizeof(StdinReadArgs) == 24);

// ---- Host files (--mount) ----------------------------------------------------------
//
// The guest kernel's hostfs walks paths itself, one component at a time, and asks the
// host only about single names inside objects the host already handed it, so nothing
// it asks can reach outside the mounted directory: a name is one path component (no
// '/', not empty, not "." or ".."; at most host_name_max bytes), and symbolic links are
// never followed on the host (the guest reads them and resolves them in its own tree,
// as Linux does for a bind mount). `..` at a mount's root is the guest's business.
//
// Objects are named by handles: small integers the host gives out (mount_root, lookup,
// create, open) and takes back (release). A handle from lookup/mount_root names an
// object for metadata operations and as a directory to look names up in; I/O (read,
// write, read_dir, truncate-by-handle, sync) needs a handle from open or create, which
// carries the open flags. Errors are Linux errno values, negated, in `result`.
// Writes to a read-only mount fail with EROFS on the host whatever the guest asks.
enum class HostFileOp : uint32_t {
    mount_root = 1,  // mount index in `handle` -> handle of its root directory, stat
    lookup = 2,      // (handle: dir, name) -> handle, stat; never follows a symlink
    release = 3,     // (handle): forget it
    open = 4,        // (handle, flags: Linux O_ACCMODE|O_APPEND|O_TRUNC|O_DIRECTORY) -> I/O handle
    create = 5,      // (handle: dir, name, flags incl. O_EXCL, mode) -> I/O handle, stat
    read = 6,        // (handle: I/O, offset, segments) -> bytes read (pread)
    write = 7,       // (handle: I/O, offset, segments) -> bytes written (pwrite; O_APPEND ignores offset)
    stat = 8,        // (handle) -> stat
    read_dir = 9,    // (handle: I/O of a dir, offset: cookie, segments[0]) -> bytes of linux_dirent64 records
    mkdir = 10,      // (handle: dir, name, mode) -> 0
    unlink = 11,     // (handle: dir, name) -> 0
    rmdir = 12,      // (handle: dir, name) -> 0
    rename = 13,     // (handle: dir, name, handle2: dir, name2, flags: RENAME_NOREPLACE|RENAME_EXCHANGE) -> 0
    symlink = 14,    // (handle: dir, name, name2: target text, any bytes but NUL) -> 0
    read_link = 15,  // (handle of a symlink, segments[0]) -> bytes of the target
    link = 16,       // (handle: existing non-directory, handle2: dir, name2) -> 0
    truncate = 17,   // (handle, offset: new size) -> 0
    set_mode = 18,   // (handle, mode: permission bits) -> 0
    set_times = 19,  // (handle, times[2] as utimensat, incl. UTIME_NOW/UTIME_OMIT) -> 0
    sync = 20,       // (handle: I/O, flags: 1 = data only) -> 0
    statfs = 21,     // (handle) -> statfs
    allocate = 22,   // (handle: I/O for writing, offset, flags: length) -> 0 (fallocate mode 0)
    count
};

// struct stat as the guest reports it (the host's values; st_dev is the guest's).
struct HostStat {
    uint64_t inode;
    uint32_t mode;  // type and permission bits, as st_mode
    uint32_t link_count;
    uint32_t uid;
    uint32_t gid;
    uint64_t rdev;
    int64_t size;
    int64_t blocks;  // 512-byte units
    int64_t block_size;
    int64_t access_seconds, access_nanoseconds;
    int64_t modify_seconds, modify_nanoseconds;
    int64_t change_seconds, change_nanoseconds;
};
static_assert(sizeof(HostStat) == 104);

struct HostStatfs {
    int64_t type, block_size, blocks, blocks_free, blocks_available, files, files_free, name_max, flags;
};
static_assert(sizeof(HostStatfs) == 72);

// A piece of guest-physical memory to read into or write from.
struct HostSegment {
    uint64_t address;  // guest-physical
    uint64_t length;
};
static_assert(sizeof(HostSegment) == 16);
inline constexpr uint32_t host_segments_max = 256;
inline constexpr uint64_t host_transfer_max = 4ull << 20;  // bytes per read/write call
inline constexpr uint64_t host_name_max = 255;
inline constexpr uint64_t host_handles_max = 65536;

struct HostFileArgs {
    uint32_t op;  // HostFileOp
    uint32_t segment_count;
    int64_t result;  // >= 0: the op's value (a handle, a byte count, 0); < 0: -errno
    uint64_t handle;
    uint64_t handle2;
    uint64_t name;  // guest-physical; not NUL-terminated
    uint64_t name_length;
    uint64_t name2;
    uint64_t name2_length;
    uint64_t offset;
    uint64_t flags;
    uint64_t mode;
    uint64_t segments;  // guest-physical HostSegment[segment_count]
    int64_t times[4];   // set_times: access seconds, nanoseconds, modify seconds, nanoseconds
    union {
        HostStat stat;  // out: lookup, create, mount_root, stat
        HostStatfs statfs;
    };
};
static_assert(offsetof(HostFileArgs, stat) == 128);
static_assert(sizeof(HostFileArgs) == 232);

// ehyve's own exit statuses, apart from the app's.
inline constexpr int exit_status_host_error = 125;    // ehyve could not run the VM
inline constexpr int exit_status_kernel_panic = 126;  // the guest kernel hit a bug

}  // namespace eremite::abi
