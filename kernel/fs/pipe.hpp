// Pipes (pipe(7)): a read end and a write end, each an open file description of its own
// (dup shares them), over one PipeBuffer (fs/pipe_buffer.hpp, which also carries
// AF_UNIX stream sockets). A write with no read end left is EPIPE and raises SIGPIPE.
#pragma once

#include <stdint.h>

#include "fs/file.hpp"

namespace eremite::fs {

inline constexpr uint64_t pipe_buf = 4096;                // PIPE_BUF: the atomic write size
inline constexpr uint64_t pipe_default_size = 64 * 1024;  // 16 pages, as Linux
inline constexpr uint64_t pipe_max_size = 1024 * 1024;    // /proc/sys/fs/pipe-max-size

struct PipeEnds {
    Ref<File> read;
    Ref<File> write;
};
// A new pipe. `flags`: o_nonblock applies to both ends. `uid`/`gid` own it (fstat).
Result<PipeEnds> make_pipe(uint32_t flags, uint32_t uid, uint32_t gid);

// F_GETPIPE_SZ and F_SETPIPE_SZ (EBADF when `file` is not a pipe end). Setting rounds up
// to a power-of-two number of pages; EPERM above pipe_max_size unless `privileged`,
// EBUSY when the data in the pipe would not fit. Returns the size in bytes.
Result<uint64_t> pipe_size(File& file);
Result<uint64_t> set_pipe_size(File& file, uint64_t size, bool privileged);

}  // namespace eremite::fs

namespace eremite::linux {
// Raises SIGPIPE at the calling thread, as Linux's pipe_write does before it returns
// EPIPE: the default action ends the app with status 128 + 13 (linux/pipes.cpp).
void raise_broken_pipe_signal();
}  // namespace eremite::linux
