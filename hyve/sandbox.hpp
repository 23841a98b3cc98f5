// --sandbox: once the VM is set up and before the guest runs its first instruction, ehyve
// confines itself with Landlock (Documentation/userspace-api/landlock.rst), so that a
// guest that took over ehyve through some bug could open no file but those in the
// directories it was given. Everything else ehyve needs (/dev/kvm, the kernel image,
// the app, the initrd, /proc/self/fd, the standard streams) is open by then.
//
//   none    nothing.
//   normal  (the default) Landlock where the host kernel has it (ABI 2, Linux 5.19, or
//           later, enabled at boot); where it does not, ehyve runs unconfined, silently.
//   strict  the same, but ehyve refuses to run where Landlock is missing.
//
// The ruleset handles every file-system right the host kernel knows, and allows only
// reading files and directories beneath each mounted directory, plus creating,
// removing, renaming, writing and truncating beneath the writable ones. Landlock
// judges each open by where the file really is, so a reopen through /proc/self/fd of a
// file beneath a mount is allowed and nothing else is. Network and IPC stay as they are.
#pragma once

#include <vector>

#include "options.hpp"

namespace ehyve {

struct SandboxDirectory {
    int fd;  // an O_PATH (or any) fd of the directory
    bool writable;
};

// The host kernel's Landlock ABI version; 0 when it has none or has it disabled.
int landlock_abi_version();

// Confines the calling thread and the threads it creates afterwards (Landlock domains
// are per thread): call it before any other thread starts. Returns whether Landlock now
// applies. Throws HostError when `strict` cannot be honoured or Landlock fails.
bool enter_sandbox(Sandbox mode, const std::vector<SandboxDirectory>& directories);

}  // namespace ehyve
