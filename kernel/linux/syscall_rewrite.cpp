#include "linux/syscall_rewrite.hpp"

#include "arch/x86_64/per_cpu.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "linux/signals.hpp"
#include "linux/syscall.hpp"
#include "mm/app_memory.hpp"
#include "mm/memory.hpp"

namespace eremite::linux {
namespace {

// Link-time addresses of the rewritten `call *%rax` sites, ascending; the load bias
// turns a run-time address into one of them.
const uint64_t* sites;
uint64_t site_count;
uint64_t load_bias;
uint32_t rewrite_flags;
// ehyve's site stubs (guest-physical; boot memory, read once at load).
PhysAddr site_stubs{0};
uint64_t site_stubs_size;

// `jmp *%gs:disp32` (65 ff 24 25 disp32), the tail of the slide and of every stub.
void write_gs_jump(uint8_t* at, uint32_t per_cpu_offset) {
    const uint8_t jump[] = {0x65, 0xff, 0x24, 0x25};
    memcpy(at, jump, sizeof jump);
    memcpy(at + sizeof jump, &per_cpu_offset, sizeof per_cpu_offset);
}

Result<PhysAddr> code_frame() { return mm::allocate_zeroed_frame(); }

// Page 0: the slide, then `jmp *%gs:48` in its last 8 bytes.
Result<void> map_slide() {
    PhysAddr slide = TRY(code_frame());
    auto* slide_bytes = mm::to_virtual<uint8_t>(slide);
    memset(slide_bytes, 0x90, abi::syscall_slide_end);
    write_gs_jump(slide_bytes + abi::syscall_slide_end, offsetof(arch::PerCpu, syscall_rax_entry));
    return mm::app_memory().map_frames(0, page_size, slide, mm::prot_read | mm::prot_exec,
                                       mm::RegionKind::syscall_stubs);
}

}  // namespace

bool init_rewritten_sites(const abi::BootInfo& info) {
    rewrite_flags = info.rewrite_flags;
    if (rewrite_flags & abi::rewrite_site_stubs) {
        site_stubs = PhysAddr{info.syscall_site_stubs};
        site_stubs_size = info.syscall_site_stubs_size;
    }
    if (!info.syscall_sites || !info.syscall_site_count) return true;
    uint64_t bytes = uint64_t{info.syscall_site_count} * sizeof(uint64_t);
    auto* copy = static_cast<uint64_t*>(mm::allocate(bytes));
    if (!copy) return false;
    memcpy(copy, mm::to_virtual(PhysAddr{info.syscall_sites}), bytes);
    sites = copy;
    site_count = info.syscall_site_count;
    return true;
}

Result<uint64_t> map_syscall_stubs(uint64_t bias, uint64_t image_end) {
    load_bias = bias;
    uint64_t region = bias + abi::syscall_stub_region_address(image_end);
    mm::AppMemory& memory = mm::app_memory();
    constexpr uint32_t read_execute = mm::prot_read | mm::prot_exec;
    if (rewrite_flags & abi::rewrite_page_zero) TRY(map_slide());
    if (rewrite_flags & abi::rewrite_direct_stubs) {
        // `mov $NR,%eax; jmp *%gs:56` for every number, padded with int3.
        for (uint64_t page = 0; page < abi::syscall_stub_region_size / page_size; ++page) {
            PhysAddr frame = TRY(code_frame());
            auto* bytes = mm::to_virtual<uint8_t>(frame);
            memset(bytes, 0xcc, page_size);
            for (uint64_t offset = 0; offset < page_size; offset += abi::syscall_stub_stride) {
                auto number = static_cast<uint32_t>((page * page_size + offset) / abi::syscall_stub_stride);
                bytes[offset] = 0xb8;
                memcpy(bytes + offset + 1, &number, sizeof number);
                write_gs_jump(bytes + offset + 5, offsetof(arch::PerCpu, syscall_direct_entry));
            }
            uint64_t start = region + page * page_size;
            TRY(memory.map_frames(start, start + page_size, frame, read_execute, mm::RegionKind::syscall_stubs));
        }
    }
    uint64_t end = region + abi::syscall_stub_region_size;
    if (rewrite_flags & abi::rewrite_site_stubs) {
        // ehyve's site stubs, copied out of boot memory.
        for (uint64_t offset = 0; offset < site_stubs_size; offset += page_size) {
            PhysAddr frame = TRY(code_frame());
            auto* bytes = mm::to_virtual<uint8_t>(frame);
            memset(bytes, 0xcc, page_size);
            memcpy(bytes, mm::to_virtual<uint8_t>(site_stubs) + offset, min(page_size, site_stubs_size - offset));
            TRY(memory.map_frames(end, end + page_size, frame, read_execute, mm::RegionKind::syscall_stubs));
            end += page_size;
        }
    }
    return end;
}

bool is_rewritten_site(uint64_t address) {
    uint64_t link_address = address - load_bias;
    uint64_t low = 0, high = site_count;
    while (low < high) {
        uint64_t middle = low + (high - low) / 2;
        if (sites[middle] < link_address)
            low = middle + 1;
        else
            high = middle;
    }
    return low < site_count && sites[low] == link_address;
}

}  // namespace eremite::linux

using namespace eremite;

// From page 0's slide: a rewritten `call *%rax`, or a call through a null or small
// function pointer, which Linux answers with SIGSEGV at the address called.
extern "C" int64_t syscall_dispatch_through_rax(linux::SyscallFrame* frame) {
    if (!linux::is_rewritten_site(frame->rip - 2)) {
        log::raw(
            "eremite: the app was killed by SIGSEGV (a call into page 0, through a null function pointer?) "
            "returning to rip 0x%lx\n",
            frame->rip);
        linux::terminate_by_signal(linux::sigsegv);
    }
    ++arch::this_cpu().rax_syscall_count;
    return linux::dispatch_syscall(frame);
}

extern "C" int64_t syscall_dispatch_direct(linux::SyscallFrame* frame) {
    ++arch::this_cpu().direct_syscall_count;
    return linux::dispatch_syscall(frame);
}
