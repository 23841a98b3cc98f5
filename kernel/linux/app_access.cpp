// Checks of app pointers handed to syscalls (see syscall.hpp).
#include "linux/syscall.hpp"
#include "mm/app_memory.hpp"

namespace eremite::linux {

bool app_readable(const void* address, uint64_t length) {
    if (length == 0) return true;
    return mm::app_memory().accessible(reinterpret_cast<uint64_t>(address), length, false);
}

bool app_writable(const void* address, uint64_t length) {
    if (length == 0) return true;
    return mm::app_memory().accessible(reinterpret_cast<uint64_t>(address), length, true);
}

int64_t app_string_length(const char* address, uint64_t limit) {
    // Check a page at a time, so that a string near the end of a region is still found.
    uint64_t start = reinterpret_cast<uint64_t>(address);
    uint64_t length = 0;
    while (length < limit) {
        uint64_t page_end = (start + length + 4096) & ~4095ull;
        if (!app_readable(address + length, page_end - (start + length))) return -1;
        for (; start + length < page_end && length < limit; ++length)
            if (address[length] == 0) return static_cast<int64_t>(length);
    }
    return -1;
}

}  // namespace eremite::linux
