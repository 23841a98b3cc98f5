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

// exit_group, or the last thread's exit: the other threads stop at their next boundary
// to the app (they park), the network delivers what the program sent, then the VM ends.
// A second thread that exits meanwhile parks too: the first status wins, as on Linux.
[[noreturn]] void exit_process(int status);
// Whether the process is exiting; a thread that sees it at a boundary to the app parks.
bool process_exiting();
[[noreturn]] void park_exiting_thread();
// The status of the exit under way, or `otherwise` when there is none: a fault in another
// thread meanwhile ends the VM without changing it (the first exit wins).
int exiting_status(int otherwise);

}  // namespace eremite::linux
