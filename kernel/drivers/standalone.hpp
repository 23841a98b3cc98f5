// What stands in for ehyve when another VMM booted the kernel through its PVH entry
// (abi::boot_flag_standalone): the console on the PC's 16550 serial ports, stdout on the
// first (COM1) and stderr and the kernel's log on the second (COM2, or COM1 when there
// is none), and the end of the VM through QEMU's isa-debug-exit device (port 0xf4).
//
// The exit status travels whole as a last line, "\e]eremite-exit;STATUS\a" (isa-debug-exit
// alone would make QEMU exit with (value << 1) | 1, and so lose the status's top bit): on
// a third port (COM3) when there is one, where nothing else writes (tools/eremite-qemu
// reads it there, so a program cannot forge it), else on the log port.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::standalone {

inline constexpr uint16_t debug_exit_port = 0xf4;

bool active();
// Sets the ports up; `active()` from here on.
void init();
void write(abi::ConsoleStream stream, const void* bytes, size_t length);
// Ends the VM with `status`: isa-debug-exit, else ACPI's soft-off, else a reset through
// the keyboard controller (Firecracker's way out), else a triple fault (QEMU's microvm:
// with -no-reboot it ends the VM). Without isa-debug-exit the status is only in the
// last line.
[[noreturn]] void exit(int status);

// What the PVH boot code (pvh_boot.cpp) found in ACPI's tables before the kernel started
// (the tables lie outside the RAM the kernel maps): 0 where there is none.
struct Platform {
    uint16_t power_off_port;   // ACPI soft-off: the FADT's PM1a control port...
    uint16_t power_off_value;  // ...and what to write there (SLP_TYP of \_S5, SLP_EN)
    uint64_t ecam_base;        // PCI configuration space in memory (MCFG, segment 0)
    uint8_t ecam_first_bus, ecam_last_bus;
    // The IOAPICs (MADT) and, per virtio-mmio device of the boot info (DSDT: microvm's),
    // the global system interrupt its line is wired to.
    struct IoApic {
        uint64_t address;
        uint32_t first_gsi;
    } io_apics[4];
    uint32_t io_apic_count;
    struct DeviceLine {
        uint32_t gsi;
        bool level, active_low;
    } device_lines[abi::max_devices];
};
extern Platform platform;

}  // namespace eremite::standalone
