// PCI configuration space, in memory (ECAM, where ACPI's MCFG gives it: q35) or through
// the PC's ports 0xcf8/0xcfc (pc), and a walk of the buses behind PCI-to-PCI bridges from
// bus 0. The first 256 bytes of each function are all the virtio-pci driver needs. Only
// when the kernel was booted by another VMM: ehyve has no PCI.
#pragma once

#include <stdint.h>

namespace eremite::pci {

struct Address {
    uint8_t bus, device, function;
};

uint32_t read32(Address at, uint8_t offset);
uint16_t read16(Address at, uint8_t offset);
uint8_t read8(Address at, uint8_t offset);
void write32(Address at, uint8_t offset, uint32_t value);
void write16(Address at, uint8_t offset, uint16_t value);

// Calls `visit` for every function present; stops when it returns true. Returns whether
// one did.
bool find(bool (*visit)(Address at, void* context), void* context);

// A memory BAR's physical address and size (0 when `bar` is not a memory BAR), sized by
// the usual write of all ones with decoding off.
struct Bar {
    uint64_t address, size;
};
Bar memory_bar(Address at, uint8_t bar);

// "ECAM" or "ports": how configuration space is reached.
const char* access_method();

// Turns on memory decoding and bus mastering (DMA into the guest's memory).
void enable(Address at);

inline constexpr uint8_t config_command = 0x04, config_status = 0x06, config_header_type = 0x0e,
                         config_capabilities = 0x34;
inline constexpr uint16_t status_capabilities = 1u << 4;

}  // namespace eremite::pci
