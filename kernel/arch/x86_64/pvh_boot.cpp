// The PVH boot path's C++ half (pvh_entry.S is the first): what ehyve does before the
// first instruction, done by the kernel itself when another VMM (QEMU's -kernel,
// Firecracker) started it. It reads the PVH start info, lays out memory as ehyve does
// (hyve/boot_layout.hpp: boot info at 0x1000, GDT, TSS, IDT, boot stack), finds the
// program in the first module (a static ELF, or a cpio archive that holds it), calibrates
// the TSC against the PIT, reads the CMOS clock, and enters the kernel at _start with
// abi::boot_flag_standalone set.
//
// It runs before the kernel's constructors, heap and console, on the page tables of
// pvh_entry.S (the first 4 GiB of physical memory in the direct map): plain stores, no
// allocation. Errors go to the log port and end the VM as the kernel's exit does
// (drivers/standalone.hpp), with status 125.
//
// The command line: kernel options, then `--`, then the program and its arguments:
//   loglevel=error|warn|info|debug|trace   strace   stats   env=NAME=VALUE (repeatable)
//   exe=PATH (what /proc/self/exe shows; default: the program's path)
//   ip=A.B.C.D/PREFIX gateway=A.B.C.D dns=A.B.C.D (a static address; DHCP without ip=)
//   init=/path/in/the/initrd (the program; the words after -- are then its arguments)
//   -- /path/in/the/initrd arg...
// Arguments are separated by spaces; double quotes group (\" and \\ inside them).
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/port_io.hpp"
#include "drivers/standalone.hpp"
#include "eremite/abi.hpp"
#include "fs/cpio.hpp"
#include "fs/node.hpp"
#include "lib/format.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"

namespace eremite::pvh {
namespace {

constexpr uint32_t start_info_magic = 0x336ec578;

struct StartInfo {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t module_count;
    uint64_t modules;  // ModuleEntry[module_count], guest-physical
    uint64_t command_line;
    uint64_t rsdp;
    uint64_t memory_map;  // MemoryMapEntry[memory_map_entries] (version 1 and later)
    uint32_t memory_map_entries;
    uint32_t reserved;
};

struct ModuleEntry {
    uint64_t address;
    uint64_t size;
    uint64_t command_line;
    uint64_t reserved;
};

struct MemoryMapEntry {
    uint64_t address;
    uint64_t size;
    uint32_t type;  // 1: RAM
    uint32_t reserved;
};

constexpr uint64_t gib4 = 4ull << 30;                // what pvh_entry.S maps
constexpr uint64_t kernel_physical_base = 0x200000;  // kernel.ld

// The low pages (abi::boot_layout) end here: the AP trampoline at 0xf000 is among them.
constexpr uint64_t low_reserved_end = 0x10000;

template <typename T = uint8_t>
T* at(uint64_t physical) {
    return reinterpret_cast<T*>(abi::direct_map_base + physical);
}

// Errors before the kernel's console: through the same serial ports and exit device the
// kernel uses without ehyve (drivers/standalone.hpp), with status 125.
[[noreturn]] void fail(const char* format_text, const char* detail = "") {
    char line[320];
    size_t length = 0;
    auto append = [&](const char* text_format, const char* argument) {
        length += format(line + length, sizeof line - length, text_format, argument);
        if (length > sizeof line - 1) length = sizeof line - 1;  // format says what would have fitted
    };
    append("eremite: PVH boot: %s", "");
    append(format_text, detail);
    append("\n%s", "");
    standalone::init();
    standalone::write(abi::ConsoleStream::kernel_log, line, length);
    standalone::exit(abi::exit_status_host_error);
}

// --- What the start info holds, copied before the low pages are written over ---

constexpr uint32_t max_ram_entries = 32;
struct Copied {
    char command_line[4096];
    uint64_t rsdp;
    uint64_t module_address, module_size;
    uint64_t ram[max_ram_entries][2];  // base, end
    uint32_t ram_count;
    uint64_t ram_size;  // the end of the highest RAM
    uint64_t low_end;   // the end of the RAM the kernel was loaded into, where boot places more
};
Copied boot;

void copy_start_info(uint64_t start_info_address) {
    if (start_info_address == 0 || start_info_address >= gib4) fail("no start info");
    const StartInfo& info = *at<StartInfo>(start_info_address);
    if (info.magic != start_info_magic) fail("the start info's magic is wrong: not a PVH boot");
    boot.rsdp = info.rsdp < gib4 ? info.rsdp : 0;
    if (info.command_line && info.command_line < gib4) {
        const char* text = at<const char>(info.command_line);
        size_t length = strnlen(text, sizeof boot.command_line);
        if (length == sizeof boot.command_line) fail("the command line is longer than 4 KiB");
        memcpy(boot.command_line, text, length + 1);
    }
    if (info.module_count == 0 || !info.modules || info.modules >= gib4)
        fail("no program: give it as the initrd (QEMU: -initrd PROGRAM or a cpio archive holding it)");
    const ModuleEntry& module = *at<ModuleEntry>(info.modules);
    boot.module_address = module.address;
    boot.module_size = module.size;
    if (module.address + module.size > gib4) fail("the initrd lies above 4 GiB");
    if (info.version < 1 || !info.memory_map || info.memory_map >= gib4)
        fail("the VMM gave no memory map (PVH start info version 0)");
    // RAM above 4 GiB too (QEMU puts what does not fit below its PCI hole there): only the
    // kernel's own page tables reach it. Nothing the boot places goes there, and other
    // CPUs switch to those tables before they touch the heap (ap_trampoline.S).
    for (uint32_t i = 0; i < info.memory_map_entries && boot.ram_count < max_ram_entries; ++i) {
        const MemoryMapEntry& entry = at<MemoryMapEntry>(info.memory_map)[i];
        if (entry.type != 1) continue;
        uint64_t base = align_up(entry.address, page_size);
        uint64_t end = (entry.address + entry.size) & ~(page_size - 1);
        if (end <= base) continue;
        boot.ram[boot.ram_count][0] = base;
        boot.ram[boot.ram_count][1] = end;
        ++boot.ram_count;
        boot.ram_size = max(boot.ram_size, end);
        if (base <= kernel_physical_base && kernel_physical_base < end) boot.low_end = min(end, gib4);
    }
    if (boot.low_end < (64ull << 20)) fail("less than 64 MiB of RAM where the kernel was loaded");
}

// --- The command line ---

constexpr uint32_t max_words = 256;
struct Words {
    char storage[4096];
    const char* word[max_words];
    uint32_t count;
};

// Splits at spaces outside double quotes; false when a quote is left open or the words
// do not fit.
bool split(const char* text, Words& out) {
    size_t used = 0;
    out.count = 0;
    for (const char* p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n') ++p;
        if (!*p) break;
        if (out.count == max_words) return false;
        out.word[out.count++] = out.storage + used;
        bool quoted = false;
        for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); ++p) {
            char c = *p;
            if (c == '"') {
                quoted = !quoted;
                continue;
            }
            if (quoted && c == '\\' && (p[1] == '"' || p[1] == '\\')) c = *++p;
            if (used + 2 > sizeof out.storage) return false;
            out.storage[used++] = c;
        }
        if (quoted) return false;
        out.storage[used++] = 0;
    }
    return true;
}

Words words;

// --- The program: the module itself, or a file in it (a cpio newc archive) ---

// The regular file at `path` in the archive (leading "/" and "./" ignored on both sides);
// false when there is none. The archive must be a cpio archive throughout.
bool find_in_cpio(const uint8_t* archive, uint64_t size, const char* path, const uint8_t*& data, uint64_t& length) {
    while (*path == '/') ++path;
    fs::CpioReader reader(archive, size);
    fs::CpioEntry entry;
    for (;;) {
        auto next = reader.next(entry);
        if (!next.ok()) fail("the initrd is not a valid cpio archive: %s", reader.message());
        if (!next.value()) return false;
        const char* name = entry.name.text;
        uint32_t name_length = entry.name.length;
        while (name_length && (*name == '/' || (name_length > 1 && name[0] == '.' && name[1] == '/'))) {
            uint32_t skip = *name == '/' ? 1 : 2;
            name += skip;
            name_length -= skip;
        }
        if ((entry.mode & fs::mode_type_mask) == fs::mode_regular && name_length == strlen(path) &&
            memcmp(name, path, name_length) == 0) {
            data = entry.data;
            length = entry.size;
            return true;
        }
    }
}

// --- Time and randomness without a host ---

// TSC ticks per millisecond, against 10 ms of the PIT (1.193182 MHz); 0 without a PIT.
// Channel 0 is read back through latch commands, which every PIT has (microvm has no
// port 0x61 for channel 2's gate); its interrupt stays masked.
uint64_t calibrate_tsc_khz() {
    constexpr uint16_t pit_channel0 = 0x40, pit_command = 0x43;
    constexpr uint32_t ticks_10ms = 1193182 / 100;
    arch::out8(pit_command, 0x34);  // channel 0, low then high byte, mode 2 (rate generator)
    arch::out8(pit_channel0, 0xff);
    arch::out8(pit_channel0, 0xff);
    auto count = [] {
        arch::out8(pit_command, 0x00);  // latch channel 0
        uint8_t low = arch::in8(pit_channel0);
        return static_cast<uint16_t>(low | arch::in8(pit_channel0) << 8);
    };
    uint16_t previous = count();
    uint64_t start = arch::read_tsc(), elapsed = 0;
    for (uint64_t reads = 0; elapsed < ticks_10ms; ++reads) {
        if (reads > 10000000) return 0;  // a counter that never moves: no PIT
        uint16_t now = count();
        elapsed += static_cast<uint16_t>(previous - now);  // counting down, modulo 2^16
        previous = now;
    }
    return (arch::read_tsc() - start) * 1000 / (elapsed * 1000000 / 1193182);
}

uint8_t cmos(uint8_t index) {
    arch::out8(0x70, index);
    return arch::in8(0x71);
}

// Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    int64_t year_of_era = year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

// The CMOS clock (UTC, as QEMU keeps it by default), in ns since the epoch; 0 if absent.
uint64_t read_cmos_clock() {
    for (int i = 0; i < 1000000 && (cmos(0x0a) & 0x80); ++i) {  // an update in progress
    }
    uint8_t second = cmos(0x00), minute = cmos(0x02), hour = cmos(0x04), day = cmos(0x07), month = cmos(0x08),
            year = cmos(0x09), status_b = cmos(0x0b);
    if (month == 0xff) return 0;
    auto binary = [&](uint8_t v) { return (status_b & 0x04) ? v : static_cast<uint8_t>((v >> 4) * 10 + (v & 0x0f)); };
    bool pm = !(status_b & 0x02) && (hour & 0x80);
    hour = binary(static_cast<uint8_t>(hour & 0x7f));
    if (!(status_b & 0x02)) hour = static_cast<uint8_t>(hour % 12 + (pm ? 12 : 0));
    int64_t days = days_from_civil(2000 + binary(year), binary(month), binary(day));
    int64_t seconds = days * 86400 + hour * 3600 + binary(minute) * 60 + binary(second);
    return seconds > 0 ? static_cast<uint64_t>(seconds) * 1000000000ull : 0;
}

void fill_random(uint8_t* out, size_t length) {
    bool rdrand = arch::cpuid(1).ecx & (1u << 30);
    for (size_t i = 0; i < length; i += 8) {
        uint64_t value = 0;
        bool ok = false;
        for (int attempt = 0; rdrand && !ok && attempt < 10; ++attempt)
            asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        if (!ok) value = arch::read_tsc() * 0x9e3779b97f4a7c15ull;  // the kernel mixes in RDSEED/RDRAND itself
        memcpy(out + i, &value, min<size_t>(8, length - i));
    }
}

// The 8259 PICs: a BIOS leaves them delivering the PIT's interrupt on vector 8 (a
// double fault to a 64-bit kernel). Moved to vectors 0xe0-0xef, which nothing else
// uses (a spurious IRQ 7 or 15 still arrives when masked), and masked: the local APIC
// does the kernel's timing.
void mask_legacy_pic() {
    constexpr uint16_t master = 0x20, slave = 0xa0;
    arch::out8(master, 0x11);  // ICW1: initialise, ICW4 follows
    arch::out8(slave, 0x11);
    arch::out8(master + 1, 0xe0);  // ICW2: vector bases
    arch::out8(slave + 1, 0xe8);
    arch::out8(master + 1, 4);  // ICW3: the slave on IRQ 2
    arch::out8(slave + 1, 2);
    arch::out8(master + 1, 1);  // ICW4: 8086 mode
    arch::out8(slave + 1, 1);
    arch::out8(master + 1, 0xff);  // every line masked
    arch::out8(slave + 1, 0xff);
}

// --- The CPUs, from ACPI's MADT ---

struct [[gnu::packed]] SdtHeader {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_revision, creator, creator_revision;
};

bool checksum_ok(const uint8_t* bytes, uint64_t length) {
    uint8_t sum = 0;
    for (uint64_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + bytes[i]);
    return sum == 0;
}

// The RSDP: where the start info says, else in the BIOS area (where QEMU's firmware
// puts it on pc and q35).
uint64_t find_rsdp() {
    if (boot.rsdp) return boot.rsdp;
    for (uint64_t address = 0xe0000; address < 0x100000; address += 16)
        if (memcmp(at(address), "RSD PTR ", 8) == 0 && checksum_ok(at(address), 20)) return address;
    return 0;
}

// The ACPI table with `signature` ("APIC": the MADT, "FACP": the FADT), or nullptr (no
// ACPI: microvm with acpi=off).
const SdtHeader* find_table(const char* signature) {
    uint64_t rsdp = find_rsdp();
    if (!rsdp) return nullptr;
    const uint8_t* r = at(rsdp);
    uint8_t revision = r[15];
    uint32_t rsdt;
    uint64_t xsdt = 0;
    memcpy(&rsdt, r + 16, 4);
    if (revision >= 2) memcpy(&xsdt, r + 24, 8);
    bool wide = xsdt != 0 && xsdt < gib4;
    uint64_t root = wide ? xsdt : rsdt;
    if (!root || root >= gib4) return nullptr;
    const auto* header = at<const SdtHeader>(root);
    uint32_t entry_size = wide ? 8 : 4;
    if (header->length < sizeof(SdtHeader) || root + header->length > gib4) return nullptr;
    for (uint32_t at_byte = sizeof(SdtHeader); at_byte + entry_size <= header->length; at_byte += entry_size) {
        uint64_t table = 0;
        memcpy(&table, reinterpret_cast<const uint8_t*>(header) + at_byte, entry_size);
        if (!table || table >= gib4) continue;
        const auto* candidate = at<const SdtHeader>(table);
        if (memcmp(candidate->signature, signature, 4) == 0 && candidate->length >= sizeof(SdtHeader) + 8 &&
            table + candidate->length <= gib4 && checksum_ok(at(table), candidate->length))
            return candidate;
    }
    return nullptr;
}

// The MADT: the IOAPICs (into standalone::platform) and how many CPUs to run, the
// enabled local APICs as long as their ids are 0, 1, 2... (the kernel addresses CPU i as
// APIC id i, as QEMU numbers them); one CPU without a MADT.
uint32_t read_madt() {
    const SdtHeader* madt = find_table("APIC");
    if (!madt) return 1;
    uint64_t ids = 0;  // a bit per APIC id below 64
    const auto* bytes = reinterpret_cast<const uint8_t*>(madt);
    for (uint32_t at_byte = sizeof(SdtHeader) + 8; at_byte + 2 <= madt->length;) {
        uint8_t type = bytes[at_byte], length = bytes[at_byte + 1];
        if (length < 2 || at_byte + length > madt->length) break;
        uint32_t apic_id = ~0u, flags = 0;
        if (type == 0 && length >= 8) {  // processor local APIC
            apic_id = bytes[at_byte + 3];
            memcpy(&flags, bytes + at_byte + 4, 4);
        } else if (type == 9 && length >= 16) {  // processor local x2APIC
            memcpy(&apic_id, bytes + at_byte + 4, 4);
            memcpy(&flags, bytes + at_byte + 8, 4);
        }
        if ((flags & 1) && apic_id < 64) ids |= 1ull << apic_id;
        auto& platform = standalone::platform;
        if (type == 1 && length >= 12 && platform.io_apic_count < 4) {  // an IOAPIC
            uint32_t address, first_gsi;
            memcpy(&address, bytes + at_byte + 4, 4);
            memcpy(&first_gsi, bytes + at_byte + 8, 4);
            platform.io_apics[platform.io_apic_count++] = standalone::Platform::IoApic{address, first_gsi};
        }
        at_byte += length;
    }
    uint32_t count = 0;
    while (count < abi::max_cpus && (ids & (1ull << count))) ++count;
    return count ? count : 1;
}

// The DSDT (its AML), through the FADT's 64-bit pointer where it has one; nullptr without.
const SdtHeader* find_dsdt() {
    const SdtHeader* fadt = find_table("FACP");
    if (!fadt || fadt->length < 44) return nullptr;
    const auto* bytes = reinterpret_cast<const uint8_t*>(fadt);
    uint32_t dsdt32;
    memcpy(&dsdt32, bytes + 40, 4);
    uint64_t dsdt = dsdt32;
    if (fadt->length >= 148) {
        uint64_t wide;
        memcpy(&wide, bytes + 140, 8);
        if (wide) dsdt = wide;
    }
    if (!dsdt || dsdt >= gib4) return nullptr;
    const auto* table = at<const SdtHeader>(dsdt);
    if (memcmp(table->signature, "DSDT", 4) != 0 || table->length < sizeof(SdtHeader) || dsdt + table->length > gib4)
        return nullptr;
    return table;
}

// ACPI's soft-off (S5), for a VM without isa-debug-exit: the FADT's PM1a control port
// and the sleep type of the DSDT's \_S5 package (found by its name in the AML, as small
// kernels do: Name(_S5_, Package() {typeA, ...})). Left at 0 where there is none
// (hardware-reduced ACPI, as on microvm, has no PM1 block).
void find_power_off() {
    const SdtHeader* fadt = find_table("FACP");
    const SdtHeader* table = find_dsdt();
    if (!fadt || fadt->length < 68 || !table) return;
    uint32_t pm1a_control;
    memcpy(&pm1a_control, reinterpret_cast<const uint8_t*>(fadt) + 64, 4);
    if (!pm1a_control || pm1a_control > 0xffff) return;
    const auto* aml = reinterpret_cast<const uint8_t*>(table);
    for (uint32_t i = sizeof(SdtHeader) + 2; i + 12 < table->length; ++i) {
        if (memcmp(aml + i, "_S5_", 4) != 0 || aml[i + 4] != 0x12) continue;              // PackageOp
        if (aml[i - 1] != 0x08 && !(aml[i - 2] == 0x08 && aml[i - 1] == '\\')) continue;  // NameOp
        uint32_t at_byte = i + 5;
        at_byte += ((aml[at_byte] & 0xc0) >> 6) + 1;  // PkgLength
        ++at_byte;                                    // NumElements
        if (aml[at_byte] == 0x0a) ++at_byte;          // BytePrefix
        uint8_t sleep_type = aml[at_byte];            // ZeroOp and OneOp are the bytes 0 and 1
        standalone::platform.power_off_port = static_cast<uint16_t>(pm1a_control);
        standalone::platform.power_off_value =
            static_cast<uint16_t>((sleep_type & 7) << 10 | 1u << 13);  // SLP_TYP, SLP_EN
        return;
    }
}

// virtio-mmio devices that the DSDT describes (microvm's: QEMU tells a PVH kernel nothing
// of them on its command line, as it does for Linux): each device's resources hold a
// Memory32Fixed descriptor (0x86, length 9: its register window) and then an Extended
// Interrupt descriptor (0x89, length 6 for one interrupt: its line). A window that
// answers with the virtio magic and a device id becomes a boot-info device, its line
// the IOAPIC route the kernel programs (drivers/io_apic.cpp).
void find_virtio_mmio_devices(abi::BootInfo& info) {
    const SdtHeader* table = find_dsdt();
    if (!table) return;
    const auto* aml = reinterpret_cast<const uint8_t*>(table);
    for (uint32_t i = sizeof(SdtHeader); i + 12 + 10 <= table->length && info.device_count < abi::max_devices; ++i) {
        if (aml[i] != 0x86 || aml[i + 1] != 0x09 || aml[i + 2] != 0x00) continue;
        uint32_t base, size;
        memcpy(&base, aml + i + 4, 4);
        memcpy(&size, aml + i + 8, 4);
        const uint8_t* irq = aml + i + 12;
        if (irq[0] != 0x89 || irq[1] != 0x06 || irq[2] != 0x00 || irq[4] != 1) continue;
        if (size < 0x100 || size > 0x1000 || base % 0x100) continue;
        // A virtio-mmio window ("virt") with a device behind it (device id not 0); a
        // legacy one (version 1, QEMU's default) too, for the kernel to name it. Outside
        // RAM, and the boot tables' 4 GiB direct map covers it: readable here.
        const auto* registers = at<const volatile uint32_t>(base);
        if (registers[0] != 0x74726976 || registers[2] == 0) continue;
        uint32_t gsi;
        memcpy(&gsi, irq + 5, 4);
        uint32_t index = info.device_count++;
        info.devices[index] = abi::VirtioMmioDevice{base, size, uint32_t{abi::device_vector_base} + index};
        standalone::platform.device_lines[index] =
            standalone::Platform::DeviceLine{gsi, !(irq[3] & 0x02), (irq[3] & 0x04) != 0};
    }
}

// PCI configuration space in memory (PCI Express ECAM): the MCFG's entry for segment 0.
void find_ecam() {
    const SdtHeader* mcfg = find_table("MCFG");
    if (!mcfg) return;
    const auto* bytes = reinterpret_cast<const uint8_t*>(mcfg);
    for (uint32_t at_byte = sizeof(SdtHeader) + 8; at_byte + 16 <= mcfg->length; at_byte += 16) {
        uint64_t base;
        uint16_t segment;
        memcpy(&base, bytes + at_byte, 8);
        memcpy(&segment, bytes + at_byte + 8, 2);
        uint8_t first = bytes[at_byte + 10], last = bytes[at_byte + 11];
        if (segment != 0 || !base || first > last) continue;
        standalone::platform.ecam_base = base;
        standalone::platform.ecam_first_bus = first;
        standalone::platform.ecam_last_bus = last;
        return;
    }
}

// --- Memory ranges: RAM minus what boot placed, with its kinds ---

struct Placed {
    uint64_t base, end;
    abi::MemoryKind kind;
};

void describe_memory(abi::BootInfo& info, const Placed* placed, uint32_t placed_count) {
    auto add = [&](uint64_t base, uint64_t end, abi::MemoryKind kind) {
        if (end <= base) return;
        if (info.memory_range_count == abi::max_memory_ranges) fail("the memory map has too many pieces");
        info.memory_ranges[info.memory_range_count++] = abi::MemoryRange{base, end - base, kind, 0};
    };
    for (uint32_t i = 0; i < placed_count; ++i) add(placed[i].base, placed[i].end, placed[i].kind);
    // Usable: each RAM range with the placed ones cut out (placed is sorted by base).
    for (uint32_t r = 0; r < boot.ram_count; ++r) {
        uint64_t cursor = boot.ram[r][0], end = boot.ram[r][1];
        for (uint32_t i = 0; i < placed_count && cursor < end; ++i) {
            if (placed[i].end <= cursor || placed[i].base >= end) continue;
            add(cursor, placed[i].base, abi::MemoryKind::usable);
            cursor = max(cursor, placed[i].end);
        }
        add(cursor, end, abi::MemoryKind::usable);
    }
}

// A dotted IPv4 address, with "/PREFIX" when `prefix` is given.
bool parse_ipv4(const char* text, uint8_t (&out)[4], uint8_t* prefix) {
    for (int part = 0; part < 4; ++part) {
        uint32_t value = 0, digits = 0;
        for (; *text >= '0' && *text <= '9' && digits < 4; ++text, ++digits) value = value * 10 + uint32_t(*text - '0');
        if (digits == 0 || value > 255) return false;
        out[part] = static_cast<uint8_t>(value);
        if (part < 3 && *text++ != '.') return false;
    }
    if (!prefix) return *text == 0;
    if (*text++ != '/') return false;
    uint32_t value = 0, digits = 0;
    for (; *text >= '0' && *text <= '9' && digits < 3; ++text, ++digits) value = value * 10 + uint32_t(*text - '0');
    if (digits == 0 || *text || value > 32) return false;
    *prefix = static_cast<uint8_t>(value);
    return true;
}

abi::LogLevel parse_log_level(const char* name) {
    const char* names[] = {"error", "warn", "info", "debug", "trace"};
    for (uint32_t i = 0; i < 5; ++i)
        if (strcmp(name, names[i]) == 0) return static_cast<abi::LogLevel>(i);
    fail("unknown loglevel '%s' (error, warn, info, debug or trace)", name);
}

using abi::boot_layout::ap_structure_size;

// What pvh_enter_kernel loads: the GDT's pointer, the IDT's 16 bytes on.
struct TablePointers {
    arch::TablePointer gdt, idt;
};

}  // namespace
}  // namespace eremite::pvh

extern "C" char __kernel_end[];
extern "C" [[noreturn]] void pvh_enter_kernel(eremite::abi::BootInfo* info, uint64_t stack_top,
                                              const eremite::pvh::TablePointers* tables);

using namespace eremite;
using namespace eremite::pvh;

extern "C" [[noreturn]] void pvh_main(uint64_t start_info_address) {
    mask_legacy_pic();
    copy_start_info(start_info_address);
    if (!split(boot.command_line, words)) fail("the command line has an open quote or too many words");

    // Options up to "--", then the program and its arguments.
    uint32_t log_level = static_cast<uint32_t>(abi::LogLevel::warn), flags = abi::boot_flag_standalone;
    uint32_t first_argument = words.count, env_count = 0;
    const char* exe = nullptr;
    const char* init = nullptr;
    const char* env[max_words];
    abi::NetworkConfig network{};
    for (uint32_t i = 0; i < words.count; ++i) {
        const char* w = words.word[i];
        if (strcmp(w, "--") == 0) {
            first_argument = i + 1;
            break;
        }
        if (strncmp(w, "loglevel=", 9) == 0) {
            log_level = static_cast<uint32_t>(parse_log_level(w + 9));
        } else if (strcmp(w, "strace") == 0) {
            flags |= abi::boot_flag_strace;
        } else if (strcmp(w, "stats") == 0) {
            flags |= abi::boot_flag_stats;
        } else if (strncmp(w, "env=", 4) == 0) {
            env[env_count++] = w + 4;
        } else if (strncmp(w, "exe=", 4) == 0) {
            exe = w + 4;
        } else if (strncmp(w, "init=", 5) == 0) {
            init = w + 5;
        } else if (strncmp(w, "ip=", 3) == 0) {
            if (!parse_ipv4(w + 3, network.address, &network.prefix_length))
                fail("ip=%s: an IPv4 address and prefix length, e.g. ip=10.0.2.15/24", w + 3);
            network.flags |= abi::network_static;
        } else if (strncmp(w, "gateway=", 8) == 0) {
            if (!parse_ipv4(w + 8, network.gateway, nullptr)) fail("gateway=%s: an IPv4 address", w + 8);
        } else if (strncmp(w, "dns=", 4) == 0) {
            if (!parse_ipv4(w + 4, network.dns, nullptr)) fail("dns=%s: an IPv4 address", w + 4);
        }
        // Anything else is the VMM's or a boot loader's (console=, root=...): not ours.
    }
    // argv: init= and the words after --, or the words after -- alone.
    const char* argv[max_words + 1];
    uint32_t argc = 0;
    if (init) argv[argc++] = init;
    for (uint32_t i = first_argument; i < words.count; ++i) argv[argc++] = words.word[i];
    if (argc == 0) fail("no program: give init=/PROGRAM or end the command line with -- /PROGRAM [ARGS...]");
    const char* path = argv[0];
    if (!exe) exe = path;
    if (exe[0] != '/') fail("exe=%s: the path /proc/self/exe shows must be absolute", exe);

    // Where things go: the low pages as ehyve has them, the kernel at 2 MiB, then the
    // strings and CPU tables, then the program when it comes out of an archive.
    uint64_t kernel_end = reinterpret_cast<uint64_t>(__kernel_end) - abi::kernel_virtual_base;
    uint64_t strings_address = align_up(kernel_end, page_size);
    uint64_t strings_size = 0;
    constexpr uint64_t strings_max = 64 * 1024;
    uint32_t cpu_count = read_madt();
    find_power_off();
    find_ecam();
    if (boot.module_address < strings_address + strings_max + page_size + (cpu_count - 1) * ap_structure_size &&
        boot.module_address + boot.module_size > low_reserved_end)
        fail("the VMM placed the initrd where the kernel's boot structures go");
    char* strings = at<char>(strings_address);
    auto add_string = [&](const char* s) {
        size_t length = strlen(s) + 1;
        if (strings_size + length > strings_max) fail("the command line's strings exceed 64 KiB");
        memcpy(strings + strings_size, s, length);
        strings_size += length;
    };
    add_string(exe);
    for (uint32_t i = 0; i < argc; ++i) add_string(argv[i]);
    for (uint32_t i = 0; i < env_count; ++i) add_string(env[i]);
    add_string("/");  // the working directory
    uint64_t cpu_tables_address = align_up(strings_address + strings_size, page_size);
    static_assert(abi::max_cpus * sizeof(abi::CpuTables) <= page_size);
    // Per other CPU, as ehyve lays them out: a GDT page, a TSS page, a boot stack.
    uint64_t ap_structures_address = cpu_tables_address + page_size;
    uint64_t placed_end = ap_structures_address + (cpu_count - 1) * ap_structure_size;

    const uint8_t* module = at<const uint8_t>(boot.module_address);
    uint64_t app_address = boot.module_address, app_size = boot.module_size;
    uint64_t initrd_address = 0, initrd_size = 0;
    if (boot.module_size >= 6 && memcmp(module, "07070", 5) == 0) {  // newc: 070701, or 070702 with checksums
        const uint8_t* program;
        uint64_t length;
        if (!find_in_cpio(module, boot.module_size, path, program, length))
            fail("the initrd (a cpio archive) holds no regular file %s", path);
        // The loader wants the program page-aligned: a copy beside the strings.
        app_address = align_up(placed_end, page_size);
        app_size = length;
        if (app_address + length > boot.module_address && app_address < boot.module_address + boot.module_size)
            fail("the program would overlap the initrd: give the VM more memory");
        memcpy(at(app_address), program, length);
        placed_end = align_up(app_address + length, page_size);
        initrd_address = boot.module_address;
        initrd_size = boot.module_size;
    } else if (boot.module_size < 4 || memcmp(module,
                                              "\x7f"
                                              "ELF",
                                              4) != 0) {
        fail("the initrd is neither a static ELF program nor a cpio (newc) archive");
    } else if (boot.module_address % page_size) {
        fail("the VMM placed the initrd off a page boundary");
    }
    if (placed_end > boot.low_end) fail("too little memory for the program");

    // The low pages: boot info, GDT, TSS, IDT, boot stack.
    memset(at(0x1000), 0, low_reserved_end - 0x1000);
    auto& info = *at<abi::BootInfo>(abi::boot_layout::boot_info);
    info.magic = abi::boot_info_magic;
    info.version = abi::boot_abi_version;
    info.size = sizeof(abi::BootInfo);
    info.ram_size = boot.ram_size;

    // Sorted by base, for describe_memory.
    Placed placed[5];
    uint32_t placed_count = 0;
    auto place = [&](uint64_t base, uint64_t end, abi::MemoryKind kind) {
        placed[placed_count++] = Placed{base, align_up(end, page_size), kind};
        for (uint32_t i = placed_count - 1; i > 0 && placed[i].base < placed[i - 1].base; --i) {
            Placed t = placed[i];
            placed[i] = placed[i - 1];
            placed[i - 1] = t;
        }
    };
    place(0, low_reserved_end, abi::MemoryKind::reserved);
    place(kernel_physical_base, strings_address, abi::MemoryKind::kernel_image);
    place(strings_address, ap_structures_address + (cpu_count - 1) * ap_structure_size, abi::MemoryKind::reserved);
    place(app_address, app_address + app_size, abi::MemoryKind::app_image);
    if (initrd_size) place(initrd_address, initrd_address + initrd_size, abi::MemoryKind::initrd);
    describe_memory(info, placed, placed_count);

    info.app_image = app_address;
    info.app_image_size = app_size;
    info.initrd = initrd_address;
    info.initrd_size = initrd_size;
    info.strings = strings_address;
    info.strings_size = strings_size;
    info.argc = argc;
    info.envc = env_count;
    info.tsc_khz = calibrate_tsc_khz();
    if (info.tsc_khz == 0) fail("cannot calibrate the TSC: no PIT");
    info.realtime_ns_at_boot = read_cmos_clock();
    fill_random(info.random_seed, sizeof info.random_seed);
    info.cpu_count = cpu_count;
    info.log_level = log_level;
    info.network = network;
    find_virtio_mmio_devices(info);
    info.boot_flags = flags;

    // Per CPU: the Linux-layout GDT and a TSS without an I/O bitmap, as ehyve writes them.
    auto* all_tables = at<abi::CpuTables>(cpu_tables_address);
    for (uint32_t cpu = 0; cpu < cpu_count; ++cpu) {
        uint64_t gdt_at = abi::boot_layout::gdt_of(ap_structures_address, cpu),
                 tss_at = abi::boot_layout::tss_of(ap_structures_address, cpu),
                 stack_top = abi::boot_layout::stack_top_of(ap_structures_address, cpu);
        if (cpu) memset(at(gdt_at), 0, ap_structure_size);
        abi::write_boot_gdt(at<uint64_t>(gdt_at), at(tss_at), abi::direct_map_base + tss_at);
        all_tables[cpu] = abi::CpuTables{abi::direct_map_base + gdt_at, abi::direct_map_base + abi::boot_layout::idt,
                                         abi::direct_map_base + tss_at, abi::direct_map_base + stack_top};
    }
    info.boot_cpu = all_tables[0];
    info.cpu_tables = cpu_tables_address;

    static TablePointers tables;
    tables.gdt = {abi::gdt_limit, info.boot_cpu.gdt, {}};
    tables.idt = {abi::idt_limit, info.boot_cpu.idt, {}};
    pvh_enter_kernel(&info, info.boot_cpu.boot_stack_top, &tables);
}
