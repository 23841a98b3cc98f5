// One run of an app: plan guest memory, load the kernel and the app, create the VM and
// its vCPU in 64-bit mode, serve exits until the guest ends, report.
#pragma once

#include "options.hpp"

namespace ehyve {

// The exit status ehyve should end with. Throws HostError for problems on the host side.
int run_vm(const Options& options);

}  // namespace ehyve
