// Where ehyve puts things in guest-physical memory, and the structures it writes there
// before the first instruction: the boot page tables (direct map of all RAM and the
// kernel window, 2 MiB pages), a Linux-layout GDT with a TSS, the IDT page, the boot
// stack, the console ring, the app's file and its argument strings, and the boot info
// that describes it all (abi/eremite/abi.hpp). Pure logic over GuestMemory, unit-tested.
//
//   0x1000 boot info   0x2000 GDT   0x3000 TSS   0x4000 IDT
//   0x5000 PML4   0x6000 PDPT (direct map)   0x7000 PDPT (kernel)   0x8000 PD (kernel)
//   0x9000-0xd000 boot stack   0x10000 PDs of the direct map, one per GiB
//   ... usable up to the kernel at 2 MiB, then the console ring, the app, the initrd
//   (--initrd; none when not given), the strings, the rewritten syscall sites,
//   the other CPUs' tables (the CpuTables array, then a GDT, a TSS and a boot stack for
//   each), and the rest of RAM usable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eremite/abi.hpp"
#include "guest_memory.hpp"

namespace ehyve {

inline constexpr uint64_t page = 4096;
inline constexpr uint64_t kernel_load_address = 0x200000;
inline constexpr uint64_t console_ring_capacity = 1024 * 1024;
// RAM the kernel needs beyond what ehyve places: its heap, page tables, the app's
// stack, heap and bss.
inline constexpr uint64_t working_memory = 8ull << 20;

struct BootLayout {
    uint64_t ram_size = 0;
    GuestPhysAddr boot_info{eremite::abi::boot_layout::boot_info};
    GuestPhysAddr gdt{eremite::abi::boot_layout::gdt};
    GuestPhysAddr tss{eremite::abi::boot_layout::tss};
    GuestPhysAddr idt{eremite::abi::boot_layout::idt};
    GuestPhysAddr pml4{0x5000};
    GuestPhysAddr pdpt_direct{0x6000};
    GuestPhysAddr pdpt_kernel{0x7000};
    GuestPhysAddr pd_kernel{0x8000};
    GuestPhysAddr boot_stack{eremite::abi::boot_layout::boot_stack};
    uint64_t boot_stack_size = eremite::abi::boot_layout::boot_stack_size;
    GuestPhysAddr pd_direct{0x10000};
    uint64_t pd_direct_count = 0;
    GuestPhysAddr low_free{0};  // usable from here up to the kernel
    GuestPhysAddr kernel{kernel_load_address};
    uint64_t kernel_size = 0;  // page aligned
    GuestPhysAddr console_ring{0};
    uint64_t console_ring_size = 0;
    GuestPhysAddr app{0};
    uint64_t app_size = 0;  // the file's size (the region is page aligned)
    GuestPhysAddr initrd{0};
    uint64_t initrd_size = 0;  // the file's size; 0 without --initrd
    GuestPhysAddr strings{0};
    uint64_t strings_size = 0;
    GuestPhysAddr syscall_sites{0};  // uint64_t[] (abi::BootInfo::syscall_sites), then the site stubs
    uint64_t syscall_sites_size = 0;
    uint32_t cpu_count = 1;
    GuestPhysAddr cpu_tables{0};     // abi::CpuTables[cpu_count]
    GuestPhysAddr ap_structures{0};  // per other CPU: GDT page, TSS page, boot stack
    GuestPhysAddr free{0};           // usable from here to the end of RAM

    static constexpr uint64_t ap_structure_size = eremite::abi::boot_layout::ap_structure_size;
    GuestPhysAddr gdt_of(uint32_t cpu) const {
        return GuestPhysAddr{eremite::abi::boot_layout::gdt_of(ap_structures.value, cpu)};
    }
    GuestPhysAddr tss_of(uint32_t cpu) const {
        return GuestPhysAddr{eremite::abi::boot_layout::tss_of(ap_structures.value, cpu)};
    }
    GuestPhysAddr stack_top_of(uint32_t cpu) const {
        return GuestPhysAddr{eremite::abi::boot_layout::stack_top_of(ap_structures.value, cpu)};
    }
};

// Plans the layout; throws HostError when `ram_size` cannot hold it with working memory.
BootLayout plan_layout(uint64_t ram_size, uint64_t kernel_end, uint64_t app_size, uint64_t strings_size,
                       const std::string& memory_option_text, uint32_t cpu_count = 1, uint64_t initrd_size = 0,
                       uint64_t syscall_sites_size = 0);

// The virtual address at which the kernel sees a guest-physical address.
inline uint64_t direct_map(GuestPhysAddr address) { return eremite::abi::direct_map_base + address.value; }

void write_page_tables(const GuestMemory& memory, const BootLayout& layout);
void write_descriptor_tables(const GuestMemory& memory, const BootLayout& layout);
void write_console_ring(const GuestMemory& memory, const BootLayout& layout);

// The executable path, argv, envp, the mounts' guest paths and the working directory,
// packed as the boot info describes.
std::vector<char> pack_strings(const std::string& path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, const std::vector<std::string>& mount_paths,
                               const std::string& working_directory);

struct BootParameters {
    uint32_t argc = 0, envc = 0;
    uint32_t stdio_flags = 0;
    uint16_t tty_rows = 0, tty_columns = 0;
    eremite::abi::LogLevel log_level = eremite::abi::LogLevel::warn;
    uint32_t boot_flags = 0;
    uint32_t uid = 0, gid = 0;
    uint32_t mount_count = 0;
    uint32_t mount_read_only = 0;  // bit i: mount i refuses writes
    uint8_t random_seed[32] = {};
    uint32_t boot_abi_version = eremite::abi::boot_abi_version;
    uint32_t syscall_site_count = 0;       // written at layout.syscall_sites
    uint64_t syscall_site_stubs_size = 0;  // written right after the sites
    uint32_t rewrite_flags = 0;            // abi::RewriteFlags
    uint32_t device_count = 0;
    eremite::abi::VirtioMmioDevice devices[eremite::abi::max_devices] = {};
    eremite::abi::NetworkConfig network = {};
};

// The descriptor tables of one CPU, as the kernel and KVM_SET_SREGS see them.
eremite::abi::CpuTables cpu_tables_of(const BootLayout& layout, uint32_t cpu);

// Writes the boot info (everything but the clock fields, which are set just before the
// vCPU first runs).
void write_boot_info(const GuestMemory& memory, const BootLayout& layout, const BootParameters& parameters);

}  // namespace ehyve
