// Kernel pieces that host builds of kernel logic call but cannot link from the kernel:
// IoBuffer over kernel memory only (the app's half does not exist on the host) and
// panic, which fails the test.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "fs/node.hpp"
#include "lib/log.hpp"

namespace eremite {

void panic(const char* format, ...) {
    va_list args;
    va_start(args, format);
    std::vfprintf(stderr, format, args);
    va_end(args);
    std::fputc('\n', stderr);
    std::abort();
}

}  // namespace eremite

namespace eremite::fs {

bool IoBuffer::fill(uint64_t at, const void* from, uint64_t length) const {
    if (in_app_) return false;
    std::memcpy(address_ + at, from, length);
    return true;
}

bool IoBuffer::fill_zero(uint64_t at, uint64_t length) const {
    if (in_app_) return false;
    std::memset(address_ + at, 0, length);
    return true;
}

bool IoBuffer::drain(void* to, uint64_t at, uint64_t length) const {
    if (in_app_) return false;
    std::memcpy(to, address_ + at, length);
    return true;
}

}  // namespace eremite::fs
