// Test controls of IoBuffer on the host (io_buffer_on_host.cpp).
#pragma once

namespace eremite::fs::host {

// Copies to or from app buffers (IoBuffer::app) that touch [begin, end) fail, as a copy
// that faults does in the kernel; nullptr, nullptr: none fail.
void set_faulting_range(const void* begin, const void* end);
// Whether copies to and from app buffers work outside that range (false where another
// host IoBuffer, in which they always fail, is linked instead of this one).
bool app_copies_work();

}  // namespace eremite::fs::host
