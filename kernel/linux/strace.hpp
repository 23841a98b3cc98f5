// The syscall tracer behind `ehyve --strace`: one line per call on the kernel log stream,
// in strace's format: name(decoded arguments) = result.
#pragma once

#include <stdint.h>

#include "linux/syscall.hpp"

namespace eremite::linux {

void enable_strace(bool enabled);
bool strace_enabled();
const char* syscall_name(uint64_t number);
// `finished` false prints the call with "= ?" (for calls that do not return).
void trace_syscall(const char* name, uint64_t number, const char* formats, const SyscallArgs& args, int64_t result,
                   bool finished);

}  // namespace eremite::linux
