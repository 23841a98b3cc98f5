#include "vdso/vdso_mapping.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/log.hpp"
#include "lib/utility.hpp"
#include "mm/app_memory.hpp"
#include "mm/memory.hpp"
#include "time/clock.hpp"
#include "vdso/vdso_data.hpp"

extern "C" const char vdso_image_start[], vdso_image_end[];

namespace eremite::vdso {
namespace {

constexpr uint32_t msr_tsc_aux = 0xc0000103;

bool cpu_has_rdtscp() { return arch::cpuid(0x80000001).edx & (1u << 27); }

}  // namespace

void init_this_cpu(uint32_t cpu_index) {
    if (cpu_has_rdtscp()) arch::write_msr(msr_tsc_aux, cpu_index);
}

uint64_t map_into_app() {
    uint64_t image_size = align_up(static_cast<uint64_t>(vdso_image_end - vdso_image_start), page_size);
    // Below the stack and a guard gap, inside the space Linux keeps between stack and mmap.
    uint64_t base = mm::app_stack_top - mm::app_stack_size - (1ull << 20) - image_size;
    auto data_frame = mm::allocate_zeroed_frame();
    if (!data_frame.ok()) return 0;
    auto* data = mm::to_virtual<Data>(data_frame.value());
    clock::VdsoParameters clock = clock::vdso_parameters();
    *data = Data{clock.tsc_at_boot,          clock.multiplier,        clock.shift,
                 cpu_has_rdtscp() ? 1u : 0u, clock.monotonic_at_boot, clock.realtime_at_boot};
    mm::AppMemory& memory = mm::app_memory();
    if (!memory.map_frames(base - page_size, base, data_frame.value(), mm::prot_read, mm::RegionKind::image).ok() ||
        !memory
             .map_frames(base, base + image_size, mm::to_physical(vdso_image_start), mm::prot_read | mm::prot_exec,
                         mm::RegionKind::image)
             .ok()) {
        log::warn("vdso: could not map it; clocks will use system calls");
        return 0;
    }
    return base;
}

}  // namespace eremite::vdso
