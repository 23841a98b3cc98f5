#include "arch/x86_64/extended_state.hpp"

#include <stdint.h>

#include "arch/x86_64/cpu.hpp"

namespace eremite::arch {
namespace {

bool use_xsave = false;
uint64_t enabled_mask = 0;
size_t area_size = 512;  // FXSAVE

}  // namespace

void init_extended_state() {
    constexpr uint32_t cpuid_xsave = 1u << 26;
    constexpr uint64_t cr4_osxsave = 1ull << 18;
    if (!(cpuid(1).ecx & cpuid_xsave)) return;  // SSE alone (CR4.OSFXSR) is already on
    // x87, SSE, AVX and the AVX-512 state. AMX stays off: Linux hands it out only on
    // request (arch_prctl ARCH_REQ_XCOMP_PERM); MPX and PKRU are unused.
    constexpr uint64_t wanted = 0b11100111;
    auto leaf = cpuid(0xd, 0);
    uint64_t supported = leaf.eax | (static_cast<uint64_t>(leaf.edx) << 32);
    uint64_t mask = supported & wanted;
    if ((mask & 0b11100000) != 0b11100000) mask &= 0b111;  // AVX-512 only as a whole
    write_cr4(read_cr4() | cr4_osxsave);
    asm volatile("xsetbv" : : "c"(0), "a"(static_cast<uint32_t>(mask)), "d"(static_cast<uint32_t>(mask >> 32)));
    enabled_mask = mask;
    use_xsave = true;
    area_size = cpuid(0xd, 0).ebx;  // the size for the features XCR0 now enables
}

size_t extended_state_size() { return area_size; }

void save_extended_state(void* area) {
    if (use_xsave)
        asm volatile("xsave64 (%0)"
                     :
                     : "r"(area), "a"(static_cast<uint32_t>(enabled_mask)),
                       "d"(static_cast<uint32_t>(enabled_mask >> 32))
                     : "memory");
    else
        asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

void restore_extended_state(const void* area) {
    if (use_xsave)
        asm volatile("xrstor64 (%0)"
                     :
                     : "r"(area), "a"(static_cast<uint32_t>(enabled_mask)),
                       "d"(static_cast<uint32_t>(enabled_mask >> 32))
                     : "memory");
    else
        asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

}  // namespace eremite::arch
