// Pipes (pipe(7)): a byte ring buffer between a read end and a write end, each an open
// file description of its own (dup shares them). As on Linux: 64 KiB by default,
// F_SETPIPE_SZ between a page and /proc/sys/fs/pipe-max-size (1 MiB; more for root);
// writes of at most PIPE_BUF bytes are atomic; a read returns what is there (at least a
// byte), end of file once every write end is closed; a write with no read end left is
// EPIPE and raises SIGPIPE.
//
// Locking: a sleeping Mutex guards the buffer and the counts, and data moves between the
// ring and app memory with it held (it may page-fault; no spinlock is held and
// interrupts are on). Blocked readers and writers sleep on their own wait queues, whose
// conditions read the counts atomically; every change of state wakes the matching queue
// and the poll queue after the change.
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
