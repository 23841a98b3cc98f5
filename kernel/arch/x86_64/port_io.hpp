// x86 I/O ports, for the devices a PC has at fixed ports (the 16550 UART, the PIT, the
// CMOS clock, isa-debug-exit, PCI configuration, ACPI's PM1 block). Each access is a VM exit on KVM: not for hot paths.
#pragma once

#include <stdint.h>

namespace eremite::arch {

inline void out8(uint16_t port, uint8_t value) { asm volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }
inline uint8_t in8(uint16_t port) {
    uint8_t value;
    asm volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}
inline void out16(uint16_t port, uint16_t value) { asm volatile("outw %0, %1" : : "a"(value), "Nd"(port)); }
inline void out32(uint16_t port, uint32_t value) { asm volatile("outl %0, %1" : : "a"(value), "Nd"(port)); }
inline uint32_t in32(uint16_t port) {
    uint32_t value;
    asm volatile("inl %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

}  // namespace eremite::arch
