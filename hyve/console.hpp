// The host end of the console ring: drains records to ehyve's stdout (the app's stdout)
// and stderr (the app's stderr and the kernel log). Called from the vCPU thread on every
// exit and from a timer thread; a mutex keeps records in order. The guest writes the
// ring concurrently and may be hostile: every header is checked, and a corrupt ring stops
// the draining with an error rather than reading out of bounds.
#pragma once

#include <cstdint>
#include <mutex>

#include "guest_memory.hpp"

namespace ehyve {

class ConsoleDrain {
public:
    ConsoleDrain(const GuestMemory& memory, GuestPhysAddr ring, uint32_t capacity);

    // Writes out everything the guest published. False when the ring is corrupt.
    bool drain();
    uint64_t bytes_drained() const { return bytes_; }

private:
    void copy_out(uint64_t position, uint8_t* destination, uint64_t length) const;

    const GuestMemory& memory_;
    GuestPhysAddr ring_;
    uint32_t capacity_;  // ehyve's own value: the guest's copy is not trusted
    std::mutex mutex_;
    bool corrupt_ = false;
    uint64_t bytes_ = 0;
};

// Writes all of `bytes` to `fd`, retrying on EINTR and short writes; output to a closed
// pipe is dropped, as the app would lose it too.
void write_all(int fd, const void* bytes, size_t length);

}  // namespace ehyve
