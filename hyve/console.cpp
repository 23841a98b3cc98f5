#include "console.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "eremite/abi.hpp"

namespace ehyve {

using namespace eremite;

void write_all(int fd, const void* bytes, size_t length) {
    const auto* cursor = static_cast<const uint8_t*>(bytes);
    while (length) {
        ssize_t written = ::write(fd, cursor, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;
        }
        cursor += written;
        length -= static_cast<size_t>(written);
    }
}

ConsoleDrain::ConsoleDrain(const GuestMemory& memory, GuestPhysAddr ring, uint32_t capacity)
    : memory_(memory), ring_(ring), capacity_(capacity) {}

void ConsoleDrain::copy_out(uint64_t position, uint8_t* destination, uint64_t length) const {
    if (length == 0) return;  // an empty record: nothing to copy (and maybe no buffer yet)
    uint8_t* data = memory_.at<uint8_t>(ring_ + sizeof(abi::ConsoleRing));
    uint64_t offset = position & (capacity_ - 1);
    uint64_t first = std::min<uint64_t>(length, capacity_ - offset);
    std::memcpy(destination, data + offset, first);
    std::memcpy(destination + first, data, length - first);
}

bool ConsoleDrain::drain() {
    std::lock_guard<std::mutex> guard(mutex_);
    if (corrupt_) return false;
    auto* ring = memory_.at<abi::ConsoleRing>(ring_);
    uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
    uint64_t tail = ring->tail;  // only ehyve writes it
    if (head - tail > capacity_) {
        corrupt_ = true;
        return false;
    }
    // Consecutive records for the same stream are written with one system call.
    std::vector<uint8_t> pending;
    int pending_fd = -1;
    auto flush = [&] {
        if (!pending.empty()) write_all(pending_fd, pending.data(), pending.size());
        pending.clear();
    };
    while (head - tail >= sizeof(abi::ConsoleRecordHeader)) {
        abi::ConsoleRecordHeader header;
        copy_out(tail, reinterpret_cast<uint8_t*>(&header), sizeof header);
        if (header.length > abi::console_max_record || head - tail < sizeof header + header.length) {
            corrupt_ = true;
            break;
        }
        int fd = header.stream == static_cast<uint16_t>(abi::ConsoleStream::stdout_stream) ? 1 : 2;
        if (fd != pending_fd) {
            flush();
            pending_fd = fd;
        }
        size_t offset = pending.size();
        pending.resize(offset + header.length);
        copy_out(tail + sizeof header, pending.data() + offset, header.length);
        tail += sizeof header + header.length;
        bytes_ += header.length;
    }
    flush();
    __atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
    return !corrupt_;
}

}  // namespace ehyve
