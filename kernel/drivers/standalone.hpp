// What stands in for ehyve when another VMM booted the kernel through its PVH entry
// (abi::boot_flag_standalone): the console on the PC's 16550 serial ports, stdout on the
// first (COM1) and stderr and the kernel's log on the second (COM2, or COM1 when there
// is none), and the end of the VM through QEMU's isa-debug-exit device (port 0xf4).
//
// The exit status travels as a line on the log port, "\e]eremite-exit;STATUS\a", which
// tools/eremite-qemu takes out of what it shows: isa-debug-exit alone would make QEMU
// exit with (value << 1) | 1, and so lose the status's top bit.
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
// Ends the VM with `status`: isa-debug-exit, else ACPI's soft-off (the status is then
// only in the last line), else it halts.
[[noreturn]] void exit(int status);

// ACPI's soft-off, found by the PVH boot code (pvh_boot.cpp) before the kernel starts:
// the PM1a control port and what to write there; 0 where there is none.
extern uint16_t power_off_port, power_off_value;

}  // namespace eremite::standalone
