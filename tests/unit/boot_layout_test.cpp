// The boot layout and the structures ehyve writes into guest memory before the first
// instruction: checked by reading guest memory back the way the CPU and the kernel do
// (walking the page tables, decoding the GDT, reading the boot info).
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "boot_layout.hpp"
#include "error.hpp"
#include "guest_memory.hpp"

namespace {

using namespace ehyve;
namespace abi = eremite::abi;

constexpr uint64_t mib = 1ull << 20, gib = 1ull << 30, two_mib = 2 * mib;
constexpr uint64_t kernel_end = kernel_load_address + 0x5a123;  // a kernel of ~360 KiB

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

struct Region {
    std::string name;
    uint64_t base, size;
    uint64_t end() const { return base + size; }
};

// Everything ehyve places, in the order boot_layout.hpp documents.
std::vector<Region> placed_regions(const BootLayout& l) {
    return {
        {"boot info", l.boot_info.value, page},
        {"gdt", l.gdt.value, page},
        {"tss", l.tss.value, page},
        {"idt", l.idt.value, page},
        {"pml4", l.pml4.value, page},
        {"pdpt direct", l.pdpt_direct.value, page},
        {"pdpt kernel", l.pdpt_kernel.value, page},
        {"pd kernel", l.pd_kernel.value, page},
        {"boot stack", l.boot_stack.value, l.boot_stack_size},
        {"pd direct", l.pd_direct.value, l.pd_direct_count * page},
        {"kernel", l.kernel.value, l.kernel_size},
        {"console ring", l.console_ring.value, round_up(l.console_ring_size, page)},
        {"app", l.app.value, round_up(l.app_size, page)},
        {"initrd", l.initrd.value, round_up(l.initrd_size, page)},
        {"strings", l.strings.value, round_up(l.strings_size, page)},
    };
}

void check_layout(const BootLayout& l, uint64_t ram, uint64_t app_size, uint64_t strings_size) {
    EXPECT_EQ(l.ram_size, ram);
    // The fixed low pages, as documented.
    EXPECT_EQ(l.boot_info.value, 0x1000u);
    EXPECT_EQ(l.gdt.value, 0x2000u);
    EXPECT_EQ(l.tss.value, 0x3000u);
    EXPECT_EQ(l.idt.value, 0x4000u);
    EXPECT_EQ(l.pml4.value, 0x5000u);
    EXPECT_EQ(l.pdpt_direct.value, 0x6000u);
    EXPECT_EQ(l.pdpt_kernel.value, 0x7000u);
    EXPECT_EQ(l.pd_kernel.value, 0x8000u);
    EXPECT_EQ(l.boot_stack.value, 0x9000u);
    EXPECT_EQ(l.boot_stack.value + l.boot_stack_size, 0xd000u);
    EXPECT_EQ(l.pd_direct.value, 0x10000u);
    EXPECT_EQ(l.pd_direct_count, round_up(ram, gib) / gib) << "one PD per GiB of RAM";
    EXPECT_EQ(l.kernel.value, kernel_load_address);
    EXPECT_EQ(l.kernel_size, round_up(kernel_end, page) - kernel_load_address);
    EXPECT_EQ(l.console_ring_size, sizeof(abi::ConsoleRing) + console_ring_capacity);
    EXPECT_EQ(l.app_size, app_size);
    EXPECT_EQ(l.strings_size, strings_size);

    auto regions = placed_regions(l);
    for (size_t i = 0; i < regions.size(); ++i) {
        const Region& r = regions[i];
        SCOPED_TRACE(r.name);
        EXPECT_EQ(r.base % page, 0u) << "page aligned";
        EXPECT_EQ(r.size % page, 0u);
        EXPECT_GT(r.base, 0u) << "page 0 stays unused";
        EXPECT_LE(r.end(), ram);
        if (i > 0) {
            EXPECT_LE(regions[i - 1].end(), r.base) << "after " << regions[i - 1].name << ", not overlapping";
        }
    }
    // The usable gaps.
    EXPECT_EQ(l.low_free.value % page, 0u);
    EXPECT_GE(l.low_free.value, l.pd_direct.value + l.pd_direct_count * page);
    EXPECT_LE(l.low_free.value, l.kernel.value);
    EXPECT_EQ(l.free.value % page, 0u);
    EXPECT_GE(l.free.value, l.strings.value + l.strings_size);
    EXPECT_LE(l.free.value + working_memory, ram) << "the kernel's working memory fits";
}

// A lower bound for the RAM that the layout needs, computed independently of plan_layout:
// everything boot_layout.hpp lists up to the strings, plus the working memory.
uint64_t minimum_ram_bound(uint64_t app_size, uint64_t strings_size) {
    uint64_t ring = round_up(kernel_end, page);
    uint64_t app = round_up(ring + sizeof(abi::ConsoleRing) + console_ring_capacity, page);
    uint64_t strings = round_up(app + app_size, page);
    uint64_t free = round_up(strings + strings_size, page);
    return free + working_memory;
}

// The RAM that the layout needs, from the layout itself (planned with plenty of RAM).
uint64_t minimum_ram(uint64_t app_size, uint64_t strings_size) {
    BootLayout roomy = plan_layout(64 * gib, kernel_end, app_size, strings_size, "x");
    uint64_t needed = roomy.free.value + working_memory;
    EXPECT_GE(needed, minimum_ram_bound(app_size, strings_size));
    return needed;
}

TEST(BootLayout, PlanForManySizes) {
    for (uint64_t ram : {16 * mib, 18 * mib, 512 * mib, gib, 3 * gib, 3 * gib + 6 * mib, 64 * gib}) {
        for (uint64_t app_size : {uint64_t{0}, uint64_t{1}, page, 800000 * uint64_t{1}, 5 * mib, 100 * mib}) {
            for (uint64_t strings_size : {uint64_t{0}, uint64_t{17}, uint64_t{page + 1}}) {
                SCOPED_TRACE(testing::Message() << "ram " << ram << " app " << app_size << " strings " << strings_size);
                if (minimum_ram(app_size, strings_size) > ram) {
                    EXPECT_THROW(plan_layout(ram, kernel_end, app_size, strings_size, "x"), HostError);
                    continue;
                }
                BootLayout l = plan_layout(ram, kernel_end, app_size, strings_size, "x");
                check_layout(l, ram, app_size, strings_size);
            }
        }
    }
}

TEST(BootLayout, TooSmallNamesTheMemoryOption) {
    try {
        plan_layout(16 * mib, kernel_end, 10 * mib, 100, "16M");
        FAIL() << "no HostError";
    } catch (const HostError& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("--memory 16M"), std::string::npos) << message;
        // It says how much is needed: at least the minimum, in MiB.
        uint64_t needed = round_up(minimum_ram(10 * mib, 100), two_mib) >> 20;
        EXPECT_NE(message.find(std::to_string(needed) + "M"), std::string::npos) << message;
    }
}

TEST(BootLayout, ExactlyEnoughMemory) {
    uint64_t ram = minimum_ram(3 * mib, 200);
    EXPECT_NO_THROW(plan_layout(ram, kernel_end, 3 * mib, 200, "x"));
    EXPECT_THROW(plan_layout(ram - page, kernel_end, 3 * mib, 200, "x"), HostError);
}

// ---- Page tables ------------------------------------------------------------------------

constexpr uint64_t pte_present = 1, pte_writable = 2, pte_large = 1ull << 7, pte_no_execute = 1ull << 63;
constexpr uint64_t address_mask = 0x000ffffffffff000ull;

struct Translation {
    uint64_t physical;
    bool writable, executable;
};

// Walks the 4-level tables as the MMU does; nothing when not mapped. Every table must lie
// inside RAM, and the leaf must be a 2 MiB page.
std::optional<Translation> translate(const GuestMemory& memory, uint64_t pml4, uint64_t virtual_address) {
    uint64_t table = pml4;
    bool writable = true, executable = true;
    for (unsigned shift : {39u, 30u, 21u}) {
        auto entry = memory.read<uint64_t>(GuestPhysAddr{table + ((virtual_address >> shift) & 511) * 8});
        if (!entry) {
            ADD_FAILURE() << "page table outside RAM at " << table;
            return std::nullopt;
        }
        if (!(*entry & pte_present)) return std::nullopt;
        writable = writable && (*entry & pte_writable);
        executable = executable && !(*entry & pte_no_execute);
        if (shift == 21) {
            EXPECT_TRUE(*entry & pte_large) << "expected a 2 MiB page";
            uint64_t physical = (*entry & address_mask & ~(two_mib - 1)) + (virtual_address & (two_mib - 1));
            return Translation{physical, writable, executable};
        }
        EXPECT_FALSE(*entry & pte_large) << "no 1 GiB pages expected at shift " << shift;
        table = *entry & address_mask;
    }
    return std::nullopt;
}

class PageTables : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PageTables, MapExactlyRamTwice) {
    const uint64_t ram = GetParam();
    std::optional<GuestMemory> memory;
    try {
        memory.emplace(ram);
    } catch (const HostError& e) {
        GTEST_SKIP() << "cannot reserve guest memory: " << e.what();
    }
    BootLayout layout = plan_layout(ram, kernel_end, 100000, 100, "x");
    write_page_tables(*memory, layout);
    const uint64_t pml4 = layout.pml4.value;

    // The direct map: every 2 MiB of RAM, identity plus direct_map_base, not executable.
    for (uint64_t physical = 0; physical < ram; physical += two_mib) {
        for (uint64_t offset : {uint64_t{0}, uint64_t{0x1234}, two_mib - 1}) {
            auto t = translate(*memory, pml4, abi::direct_map_base + physical + offset);
            ASSERT_TRUE(t) << "direct map hole at " << physical + offset;
            ASSERT_EQ(t->physical, physical + offset);
            ASSERT_TRUE(t->writable);
            ASSERT_FALSE(t->executable) << "the direct map is not executable";
        }
    }
    EXPECT_FALSE(translate(*memory, pml4, abi::direct_map_base + ram)) << "mapped beyond RAM";
    EXPECT_FALSE(translate(*memory, pml4, abi::direct_map_base + round_up(ram, gib)));
    EXPECT_FALSE(translate(*memory, pml4, abi::direct_map_base + 511 * gib));

    // The kernel window: the first GiB (or all RAM if less) at kernel_virtual_base, executable.
    const uint64_t window = std::min(ram, gib);
    for (uint64_t physical = 0; physical < window; physical += two_mib) {
        auto t = translate(*memory, pml4, abi::kernel_virtual_base + physical + 0x10);
        ASSERT_TRUE(t) << "kernel window hole at " << physical;
        ASSERT_EQ(t->physical, physical + 0x10);
        ASSERT_TRUE(t->executable);
        ASSERT_TRUE(t->writable);
    }
    EXPECT_FALSE(translate(*memory, pml4, abi::kernel_virtual_base + window));
    EXPECT_FALSE(translate(*memory, pml4, abi::kernel_virtual_base + gib));      // PDPT slot 511
    EXPECT_FALSE(translate(*memory, pml4, abi::kernel_virtual_base - two_mib));  // PDPT slot 509

    // Nothing else: the low half (no identity map), other PML4 slots.
    for (uint64_t address : {uint64_t{0}, uint64_t{0x1000}, kernel_load_address, uint64_t{0x400000},
                             uint64_t{0x00007ffffffff000}, uint64_t{0xffff800000000000}, uint64_t{0xffffc90000000000}})
        EXPECT_FALSE(translate(*memory, pml4, address)) << std::hex << address;
    auto entries = [&](GuestPhysAddr table) {
        auto span = memory->span(table, page);
        std::vector<uint64_t> out(512);
        std::memcpy(out.data(), span->data(), page);
        return out;
    };
    auto pml4_entries = entries(layout.pml4);
    for (unsigned i = 0; i < 512; ++i) {
        if (i == 273) {
            EXPECT_EQ(pml4_entries[i] & address_mask, layout.pdpt_direct.value);
        } else if (i == 511) {
            EXPECT_EQ(pml4_entries[i] & address_mask, layout.pdpt_kernel.value);
        } else {
            EXPECT_EQ(pml4_entries[i], 0u) << "PML4 slot " << i;
        }
    }
    auto kernel_pdpt = entries(layout.pdpt_kernel);
    for (unsigned i = 0; i < 512; ++i) {
        if (i != 510) {
            EXPECT_EQ(kernel_pdpt[i], 0u) << "kernel PDPT slot " << i;
        }
    }
    auto direct_pdpt = entries(layout.pdpt_direct);
    for (unsigned i = static_cast<unsigned>(layout.pd_direct_count); i < 512; ++i)
        EXPECT_EQ(direct_pdpt[i], 0u) << "direct PDPT slot " << i;
    // The direct map's last PD has no entries past RAM.
    auto last_pd = entries(layout.pd_direct + (layout.pd_direct_count - 1) * page);
    for (unsigned i = 0; i < 512; ++i) {
        uint64_t physical = (layout.pd_direct_count - 1) * gib + i * two_mib;
        if (physical >= ram) {
            EXPECT_EQ(last_pd[i], 0u) << "PD entry " << i << " beyond RAM";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(RamSizes, PageTables,
                         ::testing::Values(16 * mib, 18 * mib, 512 * mib, gib, 3 * gib + 6 * mib, 64 * gib),
                         [](const testing::TestParamInfo<uint64_t>& info) {
                             return std::to_string(info.param >> 20) + "MiB";
                         });

// ---- GDT and TSS ---------------------------------------------------------------------------

TEST(BootLayout, DescriptorTables) {
    GuestMemory memory(32 * mib);
    BootLayout layout = plan_layout(32 * mib, kernel_end, 1000, 10, "x");
    write_descriptor_tables(memory, layout);
    auto gdt = [&](uint16_t selector) {
        return *memory.read<uint64_t>(GuestPhysAddr{layout.gdt.value + (selector & ~7u)});
    };
    auto dpl = [](uint64_t d) { return (d >> 45) & 3; };
    auto present = [](uint64_t d) { return (d >> 47) & 1; };
    auto long_mode = [](uint64_t d) { return (d >> 53) & 1; };
    auto code = [](uint64_t d) { return (d >> 43) & 1; };

    EXPECT_EQ(gdt(0), 0u) << "null descriptor";
    uint64_t kernel_code = gdt(abi::selector_kernel_code);
    EXPECT_TRUE(present(kernel_code) && code(kernel_code) && long_mode(kernel_code));
    EXPECT_EQ(dpl(kernel_code), 0u);
    uint64_t kernel_data = gdt(abi::selector_kernel_data);
    EXPECT_TRUE(present(kernel_data) && !code(kernel_data));
    EXPECT_EQ(dpl(kernel_data), 0u);
    uint64_t user_code = gdt(abi::selector_user_code);
    EXPECT_TRUE(present(user_code) && code(user_code) && long_mode(user_code));
    EXPECT_EQ(dpl(user_code), 3u);
    uint64_t user_code32 = gdt(abi::selector_user_code32);
    EXPECT_TRUE(present(user_code32) && code(user_code32) && !long_mode(user_code32));
    EXPECT_EQ(dpl(user_code32), 3u);
    uint64_t user_data = gdt(abi::selector_user_data);
    EXPECT_TRUE(present(user_data) && !code(user_data));
    EXPECT_EQ(dpl(user_data), 3u);

    // What SYSCALL/SYSRET (STAR) assume about the selectors.
    EXPECT_EQ(abi::selector_kernel_data, abi::selector_kernel_code + 8);
    EXPECT_EQ(abi::selector_user_data, abi::selector_user_code32 + 8);
    EXPECT_EQ(abi::selector_user_code, abi::selector_user_code32 + 16);
    EXPECT_EQ(abi::selector_user_code & 3, 3);

    // The 64-bit TSS descriptor: base is the TSS's direct-map address.
    uint64_t low = gdt(abi::selector_tss), high = gdt(abi::selector_tss + 8);
    uint64_t base = ((low >> 16) & 0xffffff) | (((low >> 56) & 0xff) << 24) | ((high & 0xffffffff) << 32);
    EXPECT_EQ(base, direct_map(layout.tss));
    EXPECT_EQ(base, abi::direct_map_base + 0x3000);
    EXPECT_EQ(low & 0xffff, 0x67u) << "limit";
    EXPECT_EQ((low >> 40) & 0xff, 0x89u) << "present, available 64-bit TSS";
    EXPECT_EQ(high >> 32, 0u);
    // The TSS has no I/O bitmap.
    EXPECT_EQ(*memory.read<uint16_t>(GuestPhysAddr{layout.tss.value + 0x66}), 0x68u);
}

TEST(BootLayout, ConsoleRingHeader) {
    GuestMemory memory(32 * mib);
    BootLayout layout = plan_layout(32 * mib, kernel_end, 1000, 10, "x");
    write_console_ring(memory, layout);
    auto ring = memory.read<abi::ConsoleRing>(layout.console_ring);
    ASSERT_TRUE(ring);
    EXPECT_EQ(ring->head, 0u);
    EXPECT_EQ(ring->tail, 0u);
    EXPECT_EQ(ring->capacity, console_ring_capacity);
    EXPECT_EQ(ring->capacity & (ring->capacity - 1), 0u) << "a power of two";
    EXPECT_LE(layout.console_ring.value + sizeof(abi::ConsoleRing) + ring->capacity, layout.app.value);
}

// ---- Strings --------------------------------------------------------------------------------

TEST(BootLayout, PackStrings) {
    auto packed = pack_strings("/usr/bin/app", {"app", "", "-x"}, {"A=1", "EMPTY="}, {}, "/");
    const char expected[] = "/usr/bin/app\0app\0\0-x\0A=1\0EMPTY=\0/";  // plus the final NUL
    EXPECT_EQ(std::string(packed.begin(), packed.end()), std::string(expected, sizeof expected));
    EXPECT_EQ(pack_strings("", {}, {}, {}, ""), (std::vector<char>{'\0', '\0'}));
}

// The mounts' guest paths follow the environment, then the working directory (abi.hpp).
TEST(BootLayout, PackStringsWithMountsAndWorkingDirectory) {
    auto packed = pack_strings("/bin/app", {"app"}, {"A=1"}, {"/data", "/srv/www"}, "/srv/www/html");
    const char expected[] = "/bin/app\0app\0A=1\0/data\0/srv/www\0/srv/www/html";
    EXPECT_EQ(std::string(packed.begin(), packed.end()), std::string(expected, sizeof expected));
}

// ---- Boot info --------------------------------------------------------------------------------

void check_boot_info(const GuestMemory& memory, const BootLayout& layout, const BootParameters& p) {
    auto read = memory.read<abi::BootInfo>(layout.boot_info);
    ASSERT_TRUE(read);
    const abi::BootInfo& info = *read;
    EXPECT_EQ(info.magic, abi::boot_info_magic);
    EXPECT_EQ(info.version, p.boot_abi_version);
    EXPECT_EQ(info.size, sizeof(abi::BootInfo));
    EXPECT_EQ(info.ram_size, layout.ram_size);
    EXPECT_EQ(info.boot_page_table, layout.pml4.value);
    EXPECT_EQ(info.app_image, layout.app.value);
    EXPECT_EQ(info.app_image_size, layout.app_size);
    EXPECT_EQ(info.strings, layout.strings.value);
    EXPECT_EQ(info.strings_size, layout.strings_size);
    EXPECT_EQ(info.argc, p.argc);
    EXPECT_EQ(info.envc, p.envc);
    EXPECT_EQ(std::memcmp(info.random_seed, p.random_seed, 32), 0);
    EXPECT_EQ(info.cpu_count, 1u);
    EXPECT_EQ(info.stdio_flags, p.stdio_flags);
    EXPECT_EQ(info.tty_rows, p.tty_rows);
    EXPECT_EQ(info.tty_columns, p.tty_columns);
    EXPECT_EQ(info.log_level, static_cast<uint32_t>(p.log_level));
    EXPECT_EQ(info.boot_flags, p.boot_flags);
    EXPECT_EQ(info.uid, p.uid);
    EXPECT_EQ(info.gid, p.gid);
    EXPECT_EQ(info.boot_cpu.gdt, direct_map(layout.gdt));
    EXPECT_EQ(info.boot_cpu.idt, direct_map(layout.idt));
    EXPECT_EQ(info.boot_cpu.tss, direct_map(layout.tss));
    EXPECT_EQ(info.boot_cpu.boot_stack_top, abi::direct_map_base + 0xd000);
    EXPECT_EQ(info.boot_cpu.boot_stack_top % 16, 0u);
    EXPECT_EQ(info.console_ring, layout.console_ring.value);
    EXPECT_EQ(info.console_ring_size, layout.console_ring_size);
    // Written later (clocks) or by the kernel.
    EXPECT_EQ(info.tsc_khz, 0u);
    EXPECT_EQ(info.tsc_at_boot, 0u);
    EXPECT_EQ(info.tsc_at_app_entry, 0u);

    // The memory map: sorted, contiguous, covering [0, ram) exactly, page granular.
    ASSERT_GT(info.memory_range_count, 0u);
    ASSERT_LE(info.memory_range_count, abi::max_memory_ranges);
    uint64_t cursor = 0;
    for (uint32_t i = 0; i < info.memory_range_count; ++i) {
        const abi::MemoryRange& r = info.memory_ranges[i];
        SCOPED_TRACE(testing::Message() << "range " << i << " base " << r.base << " size " << r.size);
        EXPECT_EQ(r.base, cursor) << "sorted, without gaps or overlaps";
        EXPECT_GT(r.size, 0u);
        EXPECT_EQ(r.base % page, 0u);
        EXPECT_EQ(r.size % page, 0u);
        EXPECT_EQ(r.reserved0, 0u);
        cursor = r.base + r.size;
    }
    EXPECT_EQ(cursor, layout.ram_size);
    for (uint32_t i = info.memory_range_count; i < abi::max_memory_ranges; ++i)
        EXPECT_EQ(info.memory_ranges[i].size, 0u);

    // The kind of each byte, as documented.
    auto kind_at = [&](uint64_t address) -> std::optional<abi::MemoryKind> {
        for (uint32_t i = 0; i < info.memory_range_count; ++i)
            if (address >= info.memory_ranges[i].base &&
                address - info.memory_ranges[i].base < info.memory_ranges[i].size)
                return info.memory_ranges[i].kind;
        return std::nullopt;
    };
    EXPECT_EQ(kind_at(0), abi::MemoryKind::reserved);
    EXPECT_EQ(kind_at(layout.pml4.value), abi::MemoryKind::reserved);
    EXPECT_EQ(kind_at(layout.boot_info.value), abi::MemoryKind::reserved);
    EXPECT_EQ(kind_at(layout.pd_direct.value + layout.pd_direct_count * page - 1), abi::MemoryKind::reserved);
    EXPECT_EQ(kind_at(layout.kernel.value), abi::MemoryKind::kernel_image);
    EXPECT_EQ(kind_at(layout.kernel.value + layout.kernel_size - 1), abi::MemoryKind::kernel_image);
    EXPECT_EQ(kind_at(layout.console_ring.value), abi::MemoryKind::console_ring);
    EXPECT_EQ(kind_at(layout.console_ring.value + layout.console_ring_size - 1), abi::MemoryKind::console_ring);
    if (layout.app_size) {
        EXPECT_EQ(kind_at(layout.app.value), abi::MemoryKind::app_image);
        EXPECT_EQ(kind_at(layout.app.value + layout.app_size - 1), abi::MemoryKind::app_image);
    }
    if (layout.strings_size) {
        EXPECT_EQ(kind_at(layout.strings.value), abi::MemoryKind::reserved);
        EXPECT_EQ(kind_at(layout.strings.value + layout.strings_size - 1), abi::MemoryKind::reserved);
    }
    EXPECT_EQ(kind_at(layout.free.value), abi::MemoryKind::usable);
    EXPECT_EQ(kind_at(layout.ram_size - 1), abi::MemoryKind::usable);
    if (layout.low_free.value < layout.kernel.value) {
        EXPECT_EQ(kind_at(layout.low_free.value), abi::MemoryKind::usable);
    }

    // Nothing ehyve placed is usable; and there is usable working memory.
    uint64_t usable = 0;
    for (uint32_t i = 0; i < info.memory_range_count; ++i) {
        const abi::MemoryRange& r = info.memory_ranges[i];
        EXPECT_GE(static_cast<uint32_t>(r.kind), 1u);
        EXPECT_LE(static_cast<uint32_t>(r.kind), 6u);
        if (r.kind != abi::MemoryKind::usable) continue;
        usable += r.size;
        for (const Region& placed : placed_regions(layout)) {
            if (placed.size == 0) continue;
            EXPECT_TRUE(r.base + r.size <= placed.base || placed.end() <= r.base)
                << "usable range [" << r.base << ", " << r.base + r.size << ") overlaps the " << placed.name;
        }
    }
    EXPECT_GE(usable, working_memory);
}

BootParameters sample_parameters() {
    BootParameters p;
    p.argc = 3;
    p.envc = 2;
    p.stdio_flags = abi::stdout_is_tty | abi::stdin_is_closed;
    p.tty_rows = 50;
    p.tty_columns = 132;
    p.log_level = abi::LogLevel::debug;
    p.boot_flags = abi::boot_flag_strace | abi::boot_flag_stats;
    p.uid = 1000;
    p.gid = 100;
    for (int i = 0; i < 32; ++i) p.random_seed[i] = static_cast<uint8_t>(i * 37 + 1);
    return p;
}

TEST(BootLayout, BootInfo) {
    for (uint64_t ram : {16 * mib, 512 * mib, 3 * gib + 6 * mib}) {
        for (uint64_t app_size : {uint64_t{0}, uint64_t{12345}, 2 * mib}) {
            for (uint64_t strings_size : {uint64_t{0}, uint64_t{77}}) {
                SCOPED_TRACE(testing::Message() << "ram " << ram << " app " << app_size << " strings " << strings_size);
                GuestMemory memory(ram);
                BootLayout layout = plan_layout(ram, kernel_end, app_size, strings_size, "x");
                BootParameters p = sample_parameters();
                write_boot_info(memory, layout, p);
                check_boot_info(memory, layout, p);
            }
        }
    }
}

TEST(BootLayout, BootInfoVersion) {
    GuestMemory memory(16 * mib);
    BootLayout layout = plan_layout(16 * mib, kernel_end, 100, 10, "x");
    BootParameters p = sample_parameters();
    EXPECT_EQ(p.boot_abi_version, abi::boot_abi_version) << "the real version by default";
    p.boot_abi_version = abi::boot_abi_version + 7;  // ehyve --test-boot-abi-version
    write_boot_info(memory, layout, p);
    EXPECT_EQ(memory.read<abi::BootInfo>(layout.boot_info)->version, abi::boot_abi_version + 7);
    check_boot_info(memory, layout, p);
}

// Everything written in the order ehyve writes it: no structure clobbers another.
TEST(BootLayout, AllStructuresTogether) {
    const uint64_t ram = 512 * mib;
    GuestMemory memory(ram);
    auto strings = pack_strings("/bin/app", {"/bin/app", "x"}, {"A=1"}, {"/data"}, "/data");
    BootLayout layout = plan_layout(ram, kernel_end, 54321, strings.size(), "512M");
    write_page_tables(memory, layout);
    write_descriptor_tables(memory, layout);
    write_console_ring(memory, layout);
    std::memcpy(memory.span(layout.strings, strings.size())->data(), strings.data(), strings.size());
    BootParameters p = sample_parameters();
    write_boot_info(memory, layout, p);

    check_boot_info(memory, layout, p);
    auto t = translate(memory, layout.pml4.value, abi::direct_map_base + 0x123456);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->physical, 0x123456u);
    t = translate(memory, layout.pml4.value, abi::kernel_virtual_base + kernel_load_address);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->physical, kernel_load_address);
    EXPECT_EQ(memory.read<abi::ConsoleRing>(layout.console_ring)->capacity, console_ring_capacity);
    auto span = memory.span(layout.strings, strings.size());
    EXPECT_EQ(std::memcmp(span->data(), strings.data(), strings.size()), 0);
}

// The rewritten syscall sites sit 8-aligned between the strings and the CPU tables, and
// the boot info points at them only when there are any.
TEST(BootLayout, SyscallSites) {
    const uint64_t ram = 64 * mib;
    GuestMemory memory(ram);
    for (uint64_t strings_size : {uint64_t{1}, uint64_t{77}, page}) {
        for (uint32_t count : {0u, 1u, 3000u}) {
            SCOPED_TRACE(testing::Message() << "strings " << strings_size << " sites " << count);
            BootLayout layout = plan_layout(ram, kernel_end, 12345, strings_size, "x", 2, 0, count * 8);
            EXPECT_EQ(layout.syscall_sites.value % 8, 0u);
            EXPECT_GE(layout.syscall_sites.value, layout.strings.value + strings_size);
            EXPECT_LE(layout.syscall_sites.value + count * 8, layout.cpu_tables.value);
            EXPECT_EQ(layout.syscall_sites_size, count * 8u);
            BootParameters p = sample_parameters();
            p.syscall_site_count = count;
            p.rewrite_flags = count ? abi::rewrite_page_zero | abi::rewrite_direct_stubs : 0;
            write_boot_info(memory, layout, p);
            auto info = memory.read<abi::BootInfo>(layout.boot_info);
            ASSERT_TRUE(info);
            EXPECT_EQ(info->syscall_site_count, count);
            EXPECT_EQ(info->syscall_sites, count ? layout.syscall_sites.value : 0u);
            EXPECT_EQ(info->rewrite_flags, p.rewrite_flags);
        }
    }
}

TEST(BootLayout, Initrd) {
    for (uint64_t initrd_size : {uint64_t{1}, page, 3 * mib + 7}) {
        SCOPED_TRACE(initrd_size);
        const uint64_t ram = 64 * mib;
        BootLayout without = plan_layout(ram, kernel_end, 12345, 100, "x");
        BootLayout l = plan_layout(ram, kernel_end, 12345, 100, "x", 1, initrd_size);
        EXPECT_EQ(l.initrd.value, round_up(l.app.value + l.app_size, page)) << "right after the app";
        EXPECT_EQ(l.initrd_size, initrd_size);
        EXPECT_EQ(l.strings.value, round_up(l.initrd.value + initrd_size, page));
        EXPECT_EQ(l.free.value - without.free.value, round_up(initrd_size, page)) << "costs its pages, no more";
        GuestMemory memory(ram);
        BootParameters p = sample_parameters();
        write_boot_info(memory, l, p);
        check_boot_info(memory, l, p);
        auto info = memory.read<abi::BootInfo>(l.boot_info);
        EXPECT_EQ(info->initrd, l.initrd.value);
        EXPECT_EQ(info->initrd_size, initrd_size);
        bool found = false;
        for (uint32_t i = 0; i < info->memory_range_count; ++i) {
            const abi::MemoryRange& r = info->memory_ranges[i];
            if (r.kind != abi::MemoryKind::initrd) continue;
            EXPECT_FALSE(found) << "one initrd range";
            found = true;
            EXPECT_EQ(r.base, l.initrd.value);
            EXPECT_EQ(r.size, round_up(initrd_size, page));
        }
        EXPECT_TRUE(found);
    }
    // Without one: no range, and 0 in the boot info.
    GuestMemory memory(32 * mib);
    BootLayout l = plan_layout(32 * mib, kernel_end, 1000, 10, "x");
    EXPECT_EQ(l.initrd_size, 0u);
    write_boot_info(memory, l, sample_parameters());
    auto info = memory.read<abi::BootInfo>(l.boot_info);
    EXPECT_EQ(info->initrd, 0u);
    EXPECT_EQ(info->initrd_size, 0u);
    for (uint32_t i = 0; i < info->memory_range_count; ++i)
        EXPECT_NE(info->memory_ranges[i].kind, abi::MemoryKind::initrd);
}

TEST(BootLayout, InitrdTooLargeForMemory) {
    EXPECT_NO_THROW(plan_layout(64 * mib, kernel_end, 1000, 10, "64M", 1, 40 * mib));
    try {
        plan_layout(64 * mib, kernel_end, 1000, 10, "64M", 1, 60 * mib);
        FAIL() << "no HostError";
    } catch (const HostError& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("--memory 64M is too small for this app and its initrd"), std::string::npos) << message;
        EXPECT_NE(message.find("at least 72M"), std::string::npos) << message;
    }
}

TEST(BootLayout, Mounts) {
    GuestMemory memory(32 * mib);
    BootLayout l = plan_layout(32 * mib, kernel_end, 1000, 10, "x");
    BootParameters p = sample_parameters();
    p.mount_count = 3;
    p.mount_read_only = 0b101;
    write_boot_info(memory, l, p);
    auto info = memory.read<abi::BootInfo>(l.boot_info);
    EXPECT_EQ(info->mount_count, 3u);
    EXPECT_EQ(info->mount_read_only, 0b101u);
}

}  // namespace
