#include "loader/app_loader.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/log.hpp"
#include "lib/random.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "linux/syscall_rewrite.hpp"
#include "loader/elf.hpp"
#include "loader/initial_stack.hpp"
#include "mm/app_memory.hpp"
#include "vdso/vdso_mapping.hpp"

namespace eremite::loader {
namespace {

uint32_t protection_of(uint32_t segment_flags) {
    uint32_t protection = 0;
    if (segment_flags & elf::segment_read) protection |= mm::prot_read;
    if (segment_flags & elf::segment_write) protection |= mm::prot_write;
    if (segment_flags & elf::segment_execute) protection |= mm::prot_exec;
    return protection;
}

bool map_segment(const AppLaunch& launch, const elf::Segment& segment, uint64_t base) {
    uint64_t start = align_down(base + segment.virtual_address, page_size);
    uint64_t file_end = base + segment.virtual_address + segment.file_size;
    uint64_t end = align_up(base + segment.virtual_address + segment.memory_size, page_size);
    uint32_t protection = protection_of(segment.flags);
    mm::AppMemory& memory = mm::app_memory();

    bool copy = (protection & mm::prot_write) || segment.memory_size > segment.file_size;
    if (!copy) {
        // Shared with the image in guest RAM: no copy, no zeroing.
        PhysAddr frame = launch.image_physical + align_down(segment.file_offset, page_size);
        return memory.map_frames(start, end, frame, protection, mm::RegionKind::image).ok();
    }
    // A private copy: writable data, or a segment whose tail must read as zeroes (bss).
    if (!memory.map_anonymous(start, end, protection | mm::prot_write, mm::RegionKind::image, false).ok()) return false;
    if (!memory.populate(start, align_up(file_end, page_size)).ok()) return false;
    memcpy(reinterpret_cast<void*>(base + segment.virtual_address), launch.image + segment.file_offset,
           segment.file_size);
    if (!(protection & mm::prot_write)) return memory.protect(start, end, protection).ok();
    return true;
}

}  // namespace

bool load_app(const AppLaunch& launch, StartedApp& started) {
    elf::Image image;
    elf::Error problem = elf::parse(launch.image, launch.image_size, elf::Kind::app, image);
    if (problem != elf::Error::none) {
        log::error("cannot run the app: %s", elf::describe(problem));
        return false;
    }
    uint64_t base = image.position_independent ? mm::app_pie_base - image.lowest_address : 0;
    if (base + image.lowest_address < mm::app_lowest_address) {
        log::error("cannot run the app: it is linked below address 0x%lx", mm::app_lowest_address);
        return false;
    }
    for (size_t i = 1; i < image.segment_count; ++i) {
        const elf::Segment& previous = image.segments[i - 1];
        if (align_up(previous.virtual_address + previous.memory_size, page_size) >
            align_down(image.segments[i].virtual_address, page_size)) {
            log::error("cannot run the app: two of its segments share a page, which Eremite does not load yet");
            return false;
        }
    }
    for (size_t i = 0; i < image.segment_count; ++i) {
        if (!map_segment(launch, image.segments[i], base)) {
            log::error("cannot run the app: out of memory while mapping its segment %lu", i);
            return false;
        }
    }
    // The code that ehyve's rewritten syscall sites call sits right above the image; the
    // program break starts above it.
    Result<uint64_t> break_start = linux::map_syscall_stubs(base, image.highest_address);
    if (!break_start.ok()) {
        log::error("cannot run the app: out of memory while mapping its syscall stubs");
        return false;
    }
    mm::app_memory().set_break_start(break_start.value());

    // The stack: demand-zero below the top, as large as RLIMIT_STACK.
    if (!mm::app_memory()
             .map_anonymous(mm::app_stack_top - mm::app_stack_size, mm::app_stack_top, mm::prot_read | mm::prot_write,
                            mm::RegionKind::stack, false)
             .ok())
        return false;

    uint8_t random_bytes[16];
    random::fill(random_bytes, sizeof random_bytes);
    const uint64_t hwcap2_fsgsbase = (arch::read_cr4() & (1ull << 16)) ? 2 : 0;
    uint64_t vdso = vdso::map_into_app();
    const AuxEntry aux[] = {
        {at_sysinfo_ehdr, vdso},
        {at_hwcap, arch::cpuid(1).edx},
        {at_pagesz, page_size},
        {at_clktck, 100},
        {at_phdr, image.program_headers_address ? base + image.program_headers_address : 0},
        {at_phent, 56},
        {at_phnum, image.program_header_count},
        {at_base, 0},
        {at_flags, 0},
        {at_entry, base + image.entry},
        {at_uid, launch.uid},
        {at_euid, launch.uid},
        {at_gid, launch.gid},
        {at_egid, launch.gid},
        {at_secure, 0},
        {at_hwcap2, hwcap2_fsgsbase},
    };
    InitialStackSpec spec;
    spec.argv = launch.argv;
    spec.argc = launch.argc;
    spec.envp = launch.envp;
    spec.envc = launch.envc;
    spec.execfn = launch.argc ? launch.argv[0] : "";
    spec.platform = "x86_64";
    spec.random = random_bytes;
    spec.aux = vdso ? aux : aux + 1;  // without a vDSO, AT_SYSINFO_EHDR is left out
    spec.aux_count = sizeof aux / sizeof *aux - (vdso ? 0 : 1);

    // The arguments live in the top 256 KiB; the kernel writes them straight into the
    // app's stack pages (same address space), faulting them in as it goes.
    constexpr uint64_t argument_area = 256 * 1024;
    InitialStack stack = build_initial_stack(reinterpret_cast<uint8_t*>(mm::app_stack_top - argument_area),
                                             mm::app_stack_top, argument_area, spec);
    if (!stack.fits) {
        log::error("cannot run the app: its arguments and environment exceed %lu KiB", argument_area / 1024);
        return false;
    }
    started = StartedApp{base + image.entry, stack.stack_pointer};
    return true;
}

}  // namespace eremite::loader
