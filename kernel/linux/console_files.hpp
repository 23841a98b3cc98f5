// File descriptors 0, 1 and 2: the host's standard streams, reached through the console
// ring (output) and the stdin hypercall (input). The VFS replaces this table with the
// general one; these descriptors then become console files in it.
#pragma once

#include "eremite/abi.hpp"

namespace eremite::linux {

void init_console_files(const abi::BootInfo& boot_info);

}  // namespace eremite::linux
