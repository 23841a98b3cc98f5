// The file-system tree at boot: a tmpfs root with the usual directories, the initramfs
// unpacked into it, /dev, /proc and /sys, the host directories of --mount, the /etc files
// programs expect, the working directory, and descriptors 0, 1 and 2.
#pragma once

#include "eremite/abi.hpp"

namespace eremite::fs {

// Panics with a clear message when the tree cannot be built (a bad initramfs, a mount
// point that cannot be made): the app could not run as the user asked.
void init(const abi::BootInfo& info, const char* const* mount_paths, const char* working_directory);

}  // namespace eremite::fs
