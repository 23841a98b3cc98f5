// The console: bytes for the host's stdout and stderr, and kernel log lines, travel
// through the shared-memory ring of abi/eremite/abi.hpp. A write exits to the host only
// when the ring is full; ehyve drains it on the exits it takes anyway, on a timer, before
// reading stdin and at the end.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "eremite/abi.hpp"

namespace eremite::console {

void init(const abi::BootInfo& boot_info);

// Writes all of `bytes` to `stream`.
void write(abi::ConsoleStream stream, const void* bytes, size_t length);

// Reads up to `length` bytes from the host's stdin into kernel memory: the number read,
// 0 at end of file, or a negative errno.
int64_t read_stdin(void* buffer, size_t length);

}  // namespace eremite::console
