#include "drivers/pci.hpp"

#include "arch/x86_64/port_io.hpp"
#include "drivers/standalone.hpp"
#include "mm/memory.hpp"
#include "sync/spinlock.hpp"

namespace eremite::pci {
namespace {

constexpr uint16_t address_port = 0xcf8, data_port = 0xcfc;
constexpr uint16_t command_memory = 1u << 1, command_bus_master = 1u << 2;
SpinLock lock;  // the address/data port pair is one shared window

uint32_t address_of(Address at, uint8_t offset) {
    return 0x80000000u | uint32_t{at.bus} << 16 | uint32_t{at.device} << 11 | uint32_t{at.function} << 8 |
           (offset & 0xfcu);
}

// A function's 4 KiB of ECAM, mapped uncached where the direct map would show it (in
// the PCI hole; mapping it again is harmless); nullptr without ECAM or outside its buses.
volatile uint8_t* ecam(Address at) {
    const auto& p = standalone::platform;
    if (!p.ecam_base || at.bus < p.ecam_first_bus || at.bus > p.ecam_last_bus) return nullptr;
    uint64_t physical =
        p.ecam_base + (uint64_t{at.bus} << 20 | uint64_t{at.device} << 15 | uint64_t{at.function} << 12);
    auto mapped = mm::map_device(physical, page_size);
    return mapped.ok() ? mapped.value() : nullptr;
}

// Walks `bus`, and the buses behind its bridges (depth-first), for `visit`.
bool walk(uint8_t bus, bool (*visit)(Address, void*), void* context, int depth) {
    if (depth > 16) return false;
    for (uint8_t device = 0; device < 32; ++device) {
        for (uint8_t function = 0; function < 8; ++function) {
            Address at{bus, device, function};
            uint32_t id = read32(at, 0);
            if ((id & 0xffff) == 0xffff) {
                if (function == 0) break;  // no device here
                continue;
            }
            if (visit(at, context)) return true;
            uint32_t class_code = read32(at, 0x08) >> 16;  // class, subclass
            uint8_t header = read8(at, config_header_type);
            if (class_code == 0x0604 && (header & 0x7f) == 1) {  // a PCI-to-PCI bridge
                uint8_t secondary = read8(at, 0x19);
                if (secondary > bus && walk(secondary, visit, context, depth + 1)) return true;
            }
            if (function == 0 && !(header & 0x80)) break;  // single-function
        }
    }
    return false;
}

}  // namespace

uint32_t read32(Address at, uint8_t offset) {
    LockGuard guard(lock);
    if (volatile uint8_t* space = ecam(at)) return *reinterpret_cast<volatile uint32_t*>(space + (offset & 0xfc));
    arch::out32(address_port, address_of(at, offset));
    return arch::in32(data_port);
}

uint16_t read16(Address at, uint8_t offset) { return static_cast<uint16_t>(read32(at, offset) >> (8 * (offset & 2))); }

uint8_t read8(Address at, uint8_t offset) { return static_cast<uint8_t>(read32(at, offset) >> (8 * (offset & 3))); }

void write32(Address at, uint8_t offset, uint32_t value) {
    LockGuard guard(lock);
    if (volatile uint8_t* space = ecam(at)) {
        *reinterpret_cast<volatile uint32_t*>(space + (offset & 0xfc)) = value;
        return;
    }
    arch::out32(address_port, address_of(at, offset));
    arch::out32(data_port, value);
}

// Sixteen bits alone: the status register beside the command register clears the bits
// written as 1, so a 32-bit write of both would clear its error bits.
void write16(Address at, uint8_t offset, uint16_t value) {
    LockGuard guard(lock);
    if (volatile uint8_t* space = ecam(at)) {
        *reinterpret_cast<volatile uint16_t*>(space + (offset & 0xfe)) = value;
        return;
    }
    arch::out32(address_port, address_of(at, offset));
    arch::out16(static_cast<uint16_t>(data_port + (offset & 2)), value);
}

bool find(bool (*visit)(Address, void*), void* context) { return walk(0, visit, context, 0); }

Bar memory_bar(Address at, uint8_t bar) {
    if (bar > 5) return {};
    uint8_t offset = static_cast<uint8_t>(0x10 + 4 * bar);
    uint32_t low = read32(at, offset);
    if (low & 1) return {};  // an I/O BAR
    bool wide = ((low >> 1) & 3) == 2;
    uint16_t command = read16(at, config_command);
    write16(at, config_command, static_cast<uint16_t>(command & ~command_memory));  // no decoding while sized
    write32(at, offset, 0xffffffff);
    uint64_t mask = read32(at, offset) & ~0xfull;
    write32(at, offset, low);
    uint64_t address = low & ~0xfull;
    if (wide && bar < 5) {
        uint32_t high = read32(at, static_cast<uint8_t>(offset + 4));
        write32(at, static_cast<uint8_t>(offset + 4), 0xffffffff);
        mask |= uint64_t{read32(at, static_cast<uint8_t>(offset + 4))} << 32;
        write32(at, static_cast<uint8_t>(offset + 4), high);
        address |= uint64_t{high} << 32;
    } else {
        mask |= 0xffffffff00000000ull;
    }
    write16(at, config_command, command);
    uint64_t size = mask ? (~mask + 1) : 0;
    return Bar{address, size};
}

const char* access_method() { return standalone::platform.ecam_base ? "ECAM" : "ports"; }

void enable(Address at) {
    write16(at, config_command,
            static_cast<uint16_t>(read16(at, config_command) | command_memory | command_bus_master));
}

}  // namespace eremite::pci
