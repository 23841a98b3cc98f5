#include "fs/pipe_buffer.hpp"

#include "time/clock.hpp"

namespace eremite::fs {
namespace {

uint64_t next_inode = 0x1000;  // pipefs inode numbers (Linux's come from get_next_ino)

}  // namespace

Timestamp pipe_detail::now() {
    uint64_t ns = clock::realtime_ns();
    return Timestamp{static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000)};
}

PipeBuffer::PipeBuffer(uint32_t uid, uint32_t gid)
    : inode_(__atomic_fetch_add(&next_inode, 1, __ATOMIC_RELAXED)), uid_(uid), gid_(gid) {
    created_ = pipe_detail::now();
    accessed_ = modified_ = created_;
}

PipeBuffer::~PipeBuffer() { mm::free(buffer_); }

}  // namespace eremite::fs
