// Hypercalls to ehyve: one `out` to the call's port, the argument struct's guest-physical
// address in %rdi (abi/eremite/abi.hpp). An exit to the VMM is the most expensive event
// there is (about 25 µs on kvm-pvm), so callers batch work and call rarely.
#pragma once

#include "eremite/abi.hpp"
#include "mm/address.hpp"

namespace eremite::hypercall {

inline void call(abi::Hypercall number, const void* arguments) {
    uint64_t address = arguments ? mm::to_physical(arguments).value : 0;
    uint16_t port = abi::hypercall_port_base + static_cast<uint16_t>(number);
    asm volatile("outl %%eax, %%dx" : : "d"(port), "a"(static_cast<uint32_t>(address)), "D"(address) : "memory");
}

}  // namespace eremite::hypercall
