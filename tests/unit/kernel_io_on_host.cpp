// Kernel pieces that host builds of kernel logic call but cannot link from the kernel:
// panic, which fails the test. (IoBuffer's host version is io_buffer_on_host.cpp.)
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

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
