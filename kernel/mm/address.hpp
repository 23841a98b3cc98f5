// Physical addresses are a distinct type: a conversion between physical and virtual
// is one named function, never arithmetic at the call site.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"
#include "mm/stack_area.hpp"

namespace eremite {

struct PhysAddr {
    uint64_t value = 0;
    constexpr bool operator==(const PhysAddr&) const = default;
    constexpr PhysAddr operator+(uint64_t offset) const { return PhysAddr{value + offset}; }
};

namespace mm {

// Every guest-physical page is visible at direct_map_base + address.
inline void* to_virtual(PhysAddr address) { return reinterpret_cast<void*>(abi::direct_map_base + address.value); }
template <typename T>
inline T* to_virtual(PhysAddr address) {
    return static_cast<T*>(to_virtual(address));
}

// Kernel stacks lie in an area of their own (mm/kernel_stacks.hpp), each on physically
// contiguous frames, so that an object on a stack (a hypercall's arguments) has one
// physical address range like any other kernel object. Defined in mm/kernel_stacks.cpp.
PhysAddr kernel_stack_to_physical(uint64_t address);

// The physical address behind a kernel pointer: the direct map, the kernel image or a
// kernel stack.
inline PhysAddr to_physical(const void* kernel_pointer) {
    auto address = reinterpret_cast<uint64_t>(kernel_pointer);
    if (address >= abi::kernel_virtual_base) return PhysAddr{address - abi::kernel_virtual_base};
    if (address >= StackArea::base) return kernel_stack_to_physical(address);
    return PhysAddr{address - abi::direct_map_base};
}

}  // namespace mm
}  // namespace eremite
