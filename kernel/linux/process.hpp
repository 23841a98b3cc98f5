// The one process Eremite runs: its identity, limits and the end of the VM.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::linux {

inline constexpr int32_t process_id = 1;  // the app is init of its own little world

void init_process(const abi::BootInfo& boot_info, const char* executable_path);
const char* executable_path();
// Whether the app runs as root (uid 0): what Linux's capability checks come down to here.
bool process_is_privileged();
uint32_t process_user_id();
uint32_t process_group_id();

// Ends the VM with `status` as the app's exit status (after the kernel's own report when
// --stats asked for one).
[[noreturn]] void end_vm(int status);

}  // namespace eremite::linux
