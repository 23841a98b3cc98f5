#include "drivers/standalone.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/port_io.hpp"
#include "lib/format.hpp"
#include "sync/spinlock.hpp"

namespace eremite::standalone {
namespace {

constexpr uint16_t com1 = 0x3f8, com2 = 0x2f8, com3 = 0x3e8;
constexpr uint16_t data = 0, interrupt_enable = 1, fifo_control = 2, line_control = 3, modem_control = 4,
                   line_status = 5, scratch = 7;
constexpr uint8_t transmit_empty = 0x20;
constexpr uint16_t keyboard_controller_command = 0x64;
constexpr uint8_t pulse_reset_line = 0xfe;

bool is_active = false;
uint16_t output_port = com1, log_port = com1, status_port = com1;
SpinLock lock;

// A 16550 answers with what was written to its scratch register; an empty port reads
// back all ones.
bool present(uint16_t port) {
    arch::out8(port + scratch, 0x5a);
    if (arch::in8(port + scratch) != 0x5a) return false;
    arch::out8(port + scratch, 0xa5);
    return arch::in8(port + scratch) == 0xa5;
}

void set_up(uint16_t port) {
    arch::out8(port + interrupt_enable, 0);  // polled
    arch::out8(port + line_control, 0x80);   // divisor latch: 115200 baud
    arch::out8(port + data, 1);
    arch::out8(port + interrupt_enable, 0);
    arch::out8(port + line_control, 0x03);  // 8 bits, no parity, one stop bit
    arch::out8(port + fifo_control, 0xc7);  // FIFOs on and cleared
    arch::out8(port + modem_control, 0x03);
}

void put(uint16_t port, const uint8_t* bytes, size_t length) {
    for (size_t i = 0; i < length; ++i) {
        for (int spins = 0; !(arch::in8(port + line_status) & transmit_empty) && spins < 100000; ++spins) arch::relax();
        arch::out8(port + data, bytes[i]);
    }
}

}  // namespace

// Written by the PVH boot code before the kernel's constructors run: plain zero-initialised
// data, which nothing initialises again.
Platform platform;

bool active() { return is_active; }

void init() {
    if (present(com1)) set_up(com1);
    if (present(com2)) {
        set_up(com2);
        log_port = status_port = com2;
    }
    if (present(com3)) {
        set_up(com3);
        status_port = com3;
    }
    is_active = true;
}

void write(abi::ConsoleStream stream, const void* bytes, size_t length) {
    // A few hundred bytes per turn of the lock, which masks interrupts: under KVM each
    // byte is two exits, and a long write must not keep interrupts off throughout.
    const auto* cursor = static_cast<const uint8_t*>(bytes);
    uint16_t port = stream == abi::ConsoleStream::stdout_stream ? output_port : log_port;
    while (length) {
        size_t chunk = length < 256 ? length : 256;
        {
            LockGuard guard(lock);
            put(port, cursor, chunk);
        }
        cursor += chunk;
        length -= chunk;
    }
}

void exit(int status) {
    arch::disable_interrupts();
    char line[32];
    size_t length = format(line, sizeof line, "\x1b]eremite-exit;%d\a", status);
    put(status_port, reinterpret_cast<const uint8_t*>(line), length);
    arch::out32(debug_exit_port, static_cast<uint32_t>(status));
    if (platform.power_off_port) {
        arch::out16(platform.power_off_port, platform.power_off_value);
        // QEMU powers off after the write returns: a moment before anything harsher, which
        // would race with it (a reset instead of the end).
        for (uint64_t start = arch::read_tsc(); arch::read_tsc() - start < (1ull << 31);) arch::relax();
    }
    // Still here: a machine without those devices. Firecracker ends the VM when the
    // keyboard controller resets the CPU; where nothing listens on the port, a triple
    // fault (an exception with an empty IDT) resets the machine, which QEMU's microvm
    // documents as its way to shut down (with -no-reboot).
    arch::out8(keyboard_controller_command, pulse_reset_line);
    arch::TablePointer no_vectors{0, 0, {}};
    asm volatile("lidt %0\n\tint3" : : "m"(no_vectors));
    arch::halt_forever();
}

}  // namespace eremite::standalone
