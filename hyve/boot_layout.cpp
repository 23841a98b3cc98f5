#include "boot_layout.hpp"

#include <cstring>

#include "error.hpp"

namespace ehyve {
namespace {

using namespace eremite;

constexpr uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// The user bit on every level: kvm-pvm runs the guest kernel in hardware ring 3 and its
// shadow MMU refuses supervisor-only pages there (PVM.md); plain x86 without SMEP/SMAP
// ignores it in ring 0.
constexpr uint64_t pte_present = 1 | 4, pte_writable = 2, pte_large = 1ull << 7, pte_global = 1ull << 8,
                   pte_no_execute = 1ull << 63;
constexpr uint64_t gib = 1ull << 30, two_mib = 2ull << 20;

}  // namespace

BootLayout plan_layout(uint64_t ram_size, uint64_t kernel_end, uint64_t app_size, uint64_t strings_size,
                       const std::string& memory_option_text, uint32_t cpu_count, uint64_t initrd_size,
                       uint64_t syscall_sites_size) {
    BootLayout layout;
    layout.ram_size = ram_size;
    layout.pd_direct_count = align_up(ram_size, gib) / gib;
    layout.low_free = GuestPhysAddr{align_up(layout.pd_direct.value + layout.pd_direct_count * page, page)};
    layout.kernel_size = align_up(kernel_end, page) - kernel_load_address;
    layout.console_ring = GuestPhysAddr{kernel_load_address + layout.kernel_size};
    layout.console_ring_size = sizeof(abi::ConsoleRing) + console_ring_capacity;
    layout.app = GuestPhysAddr{align_up(layout.console_ring.value + layout.console_ring_size, page)};
    layout.app_size = app_size;
    layout.initrd = GuestPhysAddr{align_up(layout.app.value + app_size, page)};
    layout.initrd_size = initrd_size;
    layout.strings = GuestPhysAddr{align_up(layout.initrd.value + initrd_size, page)};
    layout.strings_size = strings_size;
    layout.cpu_count = cpu_count;
    layout.syscall_sites = GuestPhysAddr{align_up(layout.strings.value + strings_size, 8)};
    layout.syscall_sites_size = syscall_sites_size;
    layout.cpu_tables = GuestPhysAddr{align_up(layout.syscall_sites.value + syscall_sites_size, page)};
    layout.ap_structures = GuestPhysAddr{align_up(layout.cpu_tables.value + cpu_count * sizeof(abi::CpuTables), page)};
    layout.free = layout.ap_structures + (cpu_count - 1) * BootLayout::ap_structure_size;
    uint64_t needed = layout.free.value + working_memory;
    if (layout.low_free.value > kernel_load_address || needed > ram_size) {
        uint64_t needed_mib = align_up(needed, two_mib) >> 20;
        fail("--memory " + memory_option_text + " is too small for this app" + (initrd_size ? " and its initrd" : "") +
             ": it needs at least " + std::to_string(needed_mib) + "M");
    }
    return layout;
}

void write_page_tables(const GuestMemory& memory, const BootLayout& layout) {
    auto* pml4 = memory.at<uint64_t[512]>(layout.pml4);
    auto* pdpt_direct = memory.at<uint64_t[512]>(layout.pdpt_direct);
    auto* pdpt_kernel = memory.at<uint64_t[512]>(layout.pdpt_kernel);
    auto* pd_kernel = memory.at<uint64_t[512]>(layout.pd_kernel);
    constexpr unsigned direct_slot = (abi::direct_map_base >> 39) & 511;           // 273
    constexpr unsigned kernel_slot = (abi::kernel_virtual_base >> 39) & 511;       // 511
    constexpr unsigned kernel_pdpt_slot = (abi::kernel_virtual_base >> 30) & 511;  // 510
    (*pml4)[direct_slot] = layout.pdpt_direct.value | pte_present | pte_writable;
    (*pml4)[kernel_slot] = layout.pdpt_kernel.value | pte_present | pte_writable;

    for (uint64_t g = 0; g < layout.pd_direct_count; ++g) {
        GuestPhysAddr pd_address = layout.pd_direct + g * page;
        (*pdpt_direct)[g] = pd_address.value | pte_present | pte_writable;
        auto* pd = memory.at<uint64_t[512]>(pd_address);
        for (uint64_t i = 0; i < 512; ++i) {
            uint64_t physical = g * gib + i * two_mib;
            if (physical >= layout.ram_size) break;
            (*pd)[i] = physical | pte_present | pte_writable | pte_large | pte_global | pte_no_execute;
        }
    }
    // The kernel window: the first GiB of RAM at kernel_virtual_base, executable. The
    // kernel replaces these tables with its own, with per-section permissions.
    (*pdpt_kernel)[kernel_pdpt_slot] = layout.pd_kernel.value | pte_present | pte_writable;
    for (uint64_t i = 0; i < 512 && i * two_mib < layout.ram_size; ++i)
        (*pd_kernel)[i] = (i * two_mib) | pte_present | pte_writable | pte_large | pte_global;
}

void write_descriptor_tables(const GuestMemory& memory, const BootLayout& layout) {
    for (uint32_t cpu = 0; cpu < layout.cpu_count; ++cpu) {
        // The GDT STAR in entry.S relies on; the IDT page stays zero until the kernel
        // writes its gates.
        auto* gdt = memory.at<uint64_t[abi::gdt_entries]>(layout.gdt_of(cpu));
        auto* tss = memory.at<uint8_t[0x68]>(layout.tss_of(cpu));
        abi::write_boot_gdt(*gdt, *tss, direct_map(layout.tss_of(cpu)));
        *memory.at<abi::CpuTables>(layout.cpu_tables + cpu * sizeof(abi::CpuTables)) = cpu_tables_of(layout, cpu);
    }
}

abi::CpuTables cpu_tables_of(const BootLayout& layout, uint32_t cpu) {
    return abi::CpuTables{direct_map(layout.gdt_of(cpu)), direct_map(layout.idt), direct_map(layout.tss_of(cpu)),
                          direct_map(layout.stack_top_of(cpu))};
}

void write_console_ring(const GuestMemory& memory, const BootLayout& layout) {
    auto* ring = memory.at<abi::ConsoleRing>(layout.console_ring);
    *ring = abi::ConsoleRing{0, 0, static_cast<uint32_t>(console_ring_capacity), 0, 0};
}

std::vector<char> pack_strings(const std::string& path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, const std::vector<std::string>& mount_paths,
                               const std::string& working_directory) {
    std::vector<char> packed;
    auto add = [&](const std::string& s) { packed.insert(packed.end(), s.c_str(), s.c_str() + s.size() + 1); };
    add(path);
    for (const auto& s : argv) add(s);
    for (const auto& s : envp) add(s);
    for (const auto& s : mount_paths) add(s);
    add(working_directory);
    return packed;
}

void write_boot_info(const GuestMemory& memory, const BootLayout& layout, const BootParameters& p) {
    abi::BootInfo info{};
    info.magic = abi::boot_info_magic;
    info.version = p.boot_abi_version;
    info.size = sizeof(abi::BootInfo);
    info.ram_size = layout.ram_size;
    auto add_range = [&](uint64_t base, uint64_t end, abi::MemoryKind kind) {
        if (end > base) info.memory_ranges[info.memory_range_count++] = abi::MemoryRange{base, end - base, kind, 0};
    };
    add_range(0, layout.low_free.value, abi::MemoryKind::reserved);
    add_range(layout.low_free.value, layout.kernel.value, abi::MemoryKind::usable);
    add_range(layout.kernel.value, layout.kernel.value + layout.kernel_size, abi::MemoryKind::kernel_image);
    add_range(layout.console_ring.value, layout.app.value, abi::MemoryKind::console_ring);
    add_range(layout.app.value, layout.initrd.value, abi::MemoryKind::app_image);
    add_range(layout.initrd.value, layout.strings.value, abi::MemoryKind::initrd);
    add_range(layout.strings.value, layout.free.value, abi::MemoryKind::reserved);  // strings, sites, CPU tables
    add_range(layout.free.value, layout.ram_size, abi::MemoryKind::usable);
    info.boot_page_table = layout.pml4.value;
    info.app_image = layout.app.value;
    info.app_image_size = layout.app_size;
    if (layout.initrd_size) {
        info.initrd = layout.initrd.value;
        info.initrd_size = layout.initrd_size;
    }
    info.mount_count = p.mount_count;
    info.mount_read_only = p.mount_read_only;
    info.strings = layout.strings.value;
    info.strings_size = layout.strings_size;
    if (p.syscall_site_count) {
        info.syscall_sites = layout.syscall_sites.value;
        info.syscall_site_count = p.syscall_site_count;
    }
    if (p.syscall_site_stubs_size) {
        info.syscall_site_stubs = layout.syscall_sites.value + uint64_t{p.syscall_site_count} * sizeof(uint64_t);
        info.syscall_site_stubs_size = p.syscall_site_stubs_size;
    }
    info.rewrite_flags = p.rewrite_flags;
    info.device_count = p.device_count;
    std::memcpy(info.devices, p.devices, sizeof info.devices);
    info.network = p.network;
    info.argc = p.argc;
    info.envc = p.envc;
    std::memcpy(info.random_seed, p.random_seed, sizeof info.random_seed);
    info.cpu_count = layout.cpu_count;
    info.cpu_tables = layout.cpu_tables.value;
    info.stdio_flags = p.stdio_flags;
    info.tty_rows = p.tty_rows;
    info.tty_columns = p.tty_columns;
    info.log_level = static_cast<uint32_t>(p.log_level);
    info.boot_flags = p.boot_flags;
    info.uid = p.uid;
    info.gid = p.gid;
    info.boot_cpu = cpu_tables_of(layout, 0);
    info.console_ring = layout.console_ring.value;
    info.console_ring_size = layout.console_ring_size;
    *memory.at<abi::BootInfo>(layout.boot_info) = info;
}

}  // namespace ehyve
