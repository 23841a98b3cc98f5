// The kernel's half of syscall rewriting (abi.hpp, "Syscall rewriting"): ehyve's
// load-time pass turned the app's provably safe `syscall` instructions into calls; the
// kernel maps what those calls land on and checks them.
//
// - The stub region after the image holds, for every number below syscall_stub_count,
//   `mov $NR,%eax; jmp *%gs:56` (the direct entry, which returns over the `syscall`
//   that follows the call).
// - Page 0 holds a slide of `nop`s that ends in `jmp *%gs:48` (the rax entry). A
//   rewritten `call *%rax` lands in it (the pass proved the number below
//   syscall_slide_end). Page 0 is read and execute only: a store through a null pointer
//   still faults, a load from it reads 0x90 bytes instead of faulting, and a call through
//   a null (or small) function pointer reaches the rax entry, which finds its return
//   address in no rewritten site and ends the app with SIGSEGV as Linux would.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"
#include "lib/result.hpp"

namespace eremite::linux {

// Takes the rewritten sites from the boot info (copied to the kernel heap). Returns
// false when they do not fit in memory.
bool init_rewritten_sites(const abi::BootInfo& info);

// Maps page 0's slide and the stub region for an app image loaded with `load_bias`
// whose segments end at link-time address `image_end`. Returns the first address above
// what it mapped (where the program break starts), or the error.
Result<uint64_t> map_syscall_stubs(uint64_t load_bias, uint64_t image_end);

// True when `address` is a `call *%rax` that ehyve's pass wrote.
bool is_rewritten_site(uint64_t address);

}  // namespace eremite::linux
