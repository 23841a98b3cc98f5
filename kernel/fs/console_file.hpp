// The host's standard streams as open files: output through the console ring, input
// through the stdin hypercall. Descriptors 0, 1 and 2 start as these, and /dev/tty and
// /dev/console open one too. Whether each stream is a terminal on the host decides what
// isatty() and fstat() say, so glibc picks the same buffering as it would natively.
#pragma once

#include "eremite/abi.hpp"
#include "fs/file.hpp"

namespace eremite::fs {

void init_console(const abi::BootInfo& boot_info);

// The file for standard stream 0, 1 or 2 as the app starts with it; an error when the
// host closed it (stdin may be).
Result<Ref<File>> open_standard_stream(int32_t which);
// /dev/tty and /dev/console: reads from stdin, writes to stdout.
Result<Ref<File>> open_console(uint32_t flags);

}  // namespace eremite::fs
