#include "lib/log.hpp"

#include "arch/x86_64/cpu.hpp"
#include "drivers/console.hpp"
#include "drivers/hypercall.hpp"
#include "drivers/standalone.hpp"
#include "lib/format.hpp"

namespace eremite::log {
namespace {

abi::LogLevel current_level = abi::LogLevel::warn;
const char* const level_names[] = {"error", "warn", "info", "debug", "trace"};

}  // namespace

void set_level(abi::LogLevel level) { current_level = level; }
bool enabled(abi::LogLevel level) { return level <= current_level; }

void write(abi::LogLevel level, const char* format, va_list args) {
    char line[512];
    size_t prefix = eremite::format(line, sizeof line, "eremite: %s: ", level_names[static_cast<int>(level)]);
    size_t length = prefix + vformat(line + prefix, sizeof line - prefix - 1, format, args);
    if (length > sizeof line - 2) length = sizeof line - 2;
    line[length++] = '\n';
    console::write(abi::ConsoleStream::kernel_log, line, length);
}

void raw(const char* format, ...) {
    char text[1024];
    va_list args;
    va_start(args, format);
    size_t length = vformat(text, sizeof text, format, args);
    va_end(args);
    if (length > sizeof text - 1) length = sizeof text - 1;
    console::write(abi::ConsoleStream::kernel_log, text, length);
}

}  // namespace eremite::log

namespace eremite {

void panic(const char* format, ...) {
    arch::disable_interrupts();
    static char message[abi::panic_message_max];
    va_list args;
    va_start(args, format);
    size_t length = vformat(message, sizeof message, format, args);
    va_end(args);
    if (length > sizeof message - 1) length = sizeof message - 1;
    if (standalone::active()) {
        standalone::write(abi::ConsoleStream::kernel_log, "eremite: panic: ", 16);
        standalone::write(abi::ConsoleStream::kernel_log, message, length);
        standalone::write(abi::ConsoleStream::kernel_log, "\n", 1);
        standalone::exit(abi::exit_status_kernel_panic);
    }
    abi::PanicArgs arguments{mm::to_physical(message).value, length};
    hypercall::call(abi::Hypercall::panic, &arguments);
    arch::halt_forever();
}

}  // namespace eremite
