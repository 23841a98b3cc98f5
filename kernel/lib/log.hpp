// The kernel log: printf-style lines on the console's kernel-log stream (ehyve shows them
// on its stderr), filtered by the level given at boot (`ehyve -v` / `--log-level`).
#pragma once

#include <stdarg.h>

#include "eremite/abi.hpp"

namespace eremite::log {

void set_level(abi::LogLevel level);
bool enabled(abi::LogLevel level);
void write(abi::LogLevel level, const char* format, va_list args);

#define EREMITE_LOG_FUNCTION(name, level)                                             \
    __attribute__((format(printf, 1, 2))) inline void name(const char* format, ...) { \
        if (!enabled(level)) return;                                                  \
        va_list args;                                                                 \
        va_start(args, format);                                                       \
        write(level, format, args);                                                   \
        va_end(args);                                                                 \
    }
EREMITE_LOG_FUNCTION(error, abi::LogLevel::error)
EREMITE_LOG_FUNCTION(warn, abi::LogLevel::warn)
EREMITE_LOG_FUNCTION(info, abi::LogLevel::info)
EREMITE_LOG_FUNCTION(debug, abi::LogLevel::debug)
EREMITE_LOG_FUNCTION(trace, abi::LogLevel::trace)
#undef EREMITE_LOG_FUNCTION

// Text straight to the log stream, regardless of level (crash reports, strace).
__attribute__((format(printf, 1, 2))) void raw(const char* format, ...);

}  // namespace eremite::log

namespace eremite {
// A kernel bug: reports it to the host, which ends the VM with the panic status.
[[noreturn]] __attribute__((format(printf, 1, 2))) void panic(const char* format, ...);
}  // namespace eremite
