// brk, mmap, munmap, mprotect, madvise over the app's address space (mm/app_memory.hpp).
#include "mm/memory.hpp"
#include "lib/log.hpp"
#include "lib/utility.hpp"
#include "linux/syscall.hpp"
#include "mm/app_memory.hpp"

namespace eremite::linux {
namespace {

// include/uapi/linux/mman.h and asm-generic/mman-common.h
constexpr uint64_t map_shared = 0x01, map_private = 0x02, map_shared_validate = 0x03, map_type = 0x0f;
constexpr uint64_t map_fixed = 0x10, map_anonymous = 0x20, map_growsdown = 0x100, map_denywrite = 0x800,
                   map_executable = 0x1000, map_locked = 0x2000, map_noreserve = 0x4000, map_populate = 0x8000,
                   map_nonblock = 0x10000, map_stack = 0x20000, map_hugetlb = 0x40000, map_sync = 0x80000,
                   map_fixed_noreplace = 0x100000;
constexpr uint64_t map_known = map_type | map_fixed | map_anonymous | map_growsdown | map_denywrite | map_executable |
                               map_locked | map_noreserve | map_populate | map_nonblock | map_stack | map_hugetlb |
                               (0x3full << 26) /* MAP_HUGE_SHIFT sizes */ | map_sync | map_fixed_noreplace;
constexpr uint32_t prot_known = mm::prot_read | mm::prot_write | mm::prot_exec;
constexpr uint64_t user_end = 1ull << 47;

bool valid_range(uint64_t start, uint64_t length, uint64_t& end) {
    return is_aligned(start, page_size) && length && checked_add(start, align_up(length, page_size), end) &&
           align_up(length, page_size) >= length && end <= user_end;
}

// madvise advice values (asm-generic/mman-common.h).
constexpr int madv_normal = 0, madv_random = 1, madv_sequential = 2, madv_willneed = 3, madv_dontneed = 4,
              madv_free = 8, madv_remove = 9, madv_dontfork = 10, madv_dofork = 11, madv_mergeable = 12,
              madv_unmergeable = 13, madv_hugepage = 14, madv_nohugepage = 15, madv_dontdump = 16, madv_dodump = 17,
              madv_wipeonfork = 18, madv_keeponfork = 19, madv_cold = 20, madv_pageout = 21, madv_populate_read = 22,
              madv_populate_write = 23;

}  // namespace

int64_t sys_brk(const SyscallArgs& args) { return static_cast<int64_t>(mm::app_memory().change_break(args[0])); }

int64_t sys_mmap(const SyscallArgs& args) {
    uint64_t hint = args[0], length = args[1], flags = args[3];
    auto protection = static_cast<uint32_t>(args[2]);
    if (!length || (protection & ~prot_known)) return failure(Errno::einval);
    uint64_t type = flags & map_type;
    if (type != map_shared && type != map_private && type != map_shared_validate) return failure(Errno::einval);
    if (type == map_shared_validate && (flags & ~map_known)) return failure(Errno::enotsup);
    if (!(flags & map_anonymous)) {
        // File mappings need files; the console fds cannot be mapped (Linux: ENODEV).
        int32_t fd = args.integer(4);
        return failure(fd >= 0 && fd <= 2 ? Errno::enodev : Errno::ebadf);
    }
    if (flags & map_growsdown) {
        log::info("mmap: MAP_GROWSDOWN is not supported; use a fixed-size stack mapping");
        return failure(Errno::einval);
    }
    if (flags & map_hugetlb) return failure(Errno::einval);  // no hugetlbfs pool
    uint64_t size = align_up(length, page_size);
    if (size < length || size > user_end) return failure(Errno::enomem);
    // Linux's default overcommit heuristic (vm.overcommit_memory = 0): a single mapping
    // larger than all of RAM is refused at once, unless the app says it reserves nothing.
    mm::Usage usage = mm::usage();
    if (!(flags & map_noreserve) && (protection & mm::prot_write) && size / page_size > usage.total_frames)
        return failure(Errno::enomem);

    uint64_t start;
    bool fixed = flags & (map_fixed | map_fixed_noreplace);
    if (fixed) {
        uint64_t end;
        if (!valid_range(hint, length, end) || hint < mm::app_lowest_address) return failure(Errno::einval);
        start = hint;
    } else {
        auto found = mm::app_memory().find_free(size, align_down(hint, page_size));
        if (!found.ok()) return failure(found.error_code());
        start = found.value();
    }
    auto mapped = mm::app_memory().map_anonymous(start, start + size, protection, mm::RegionKind::anonymous,
                                                 flags & map_fixed && !(flags & map_fixed_noreplace));
    if (!mapped.ok()) return failure(mapped.error_code());
    if ((flags & map_populate) && protection != mm::prot_none) (void)mm::app_memory().populate(start, start + size);
    return static_cast<int64_t>(start);
}

int64_t sys_mremap(const SyscallArgs& args) {
    constexpr uint64_t mremap_maymove = 1, mremap_fixed = 2, mremap_dontunmap = 4;
    uint64_t start = args[0], old_size = align_up(args[1], page_size), new_size = align_up(args[2], page_size);
    uint64_t flags = args[3], target = args[4];
    if (!is_aligned(start, page_size) || (flags & ~(mremap_maymove | mremap_fixed | mremap_dontunmap)))
        return failure(Errno::einval);
    if ((flags & mremap_fixed) && !(flags & mremap_maymove)) return failure(Errno::einval);
    if (flags & mremap_dontunmap) {
        log::info("mremap: MREMAP_DONTUNMAP is not supported");
        return failure(Errno::einval);
    }
    // A zero old size duplicates a shared mapping on Linux; there are none to duplicate here.
    if (!new_size || !old_size || new_size < args[2]) return failure(Errno::einval);
    uint64_t old_end;
    if (!checked_add(start, old_size, old_end) || old_end > user_end) return failure(Errno::einval);
    if (flags & mremap_fixed) {
        if (!is_aligned(target, page_size) || target < mm::app_lowest_address) return failure(Errno::einval);
    } else {
        target = 0;
    }
    auto moved = mm::app_memory().remap(start, old_size, new_size, flags & mremap_maymove, target);
    return moved.ok() ? static_cast<int64_t>(moved.value()) : failure(moved.error_code());
}

int64_t sys_munmap(const SyscallArgs& args) {
    uint64_t end;
    if (!valid_range(args[0], args[1], end)) return failure(Errno::einval);
    return to_syscall_result(mm::app_memory().unmap(args[0], end), 0);
}

int64_t sys_mprotect(const SyscallArgs& args) {
    uint64_t end;
    if (!is_aligned(args[0], page_size)) return failure(Errno::einval);
    if (args[1] == 0) return 0;
    if (!valid_range(args[0], args[1], end)) return failure(Errno::enomem);
    constexpr uint64_t prot_growsdown = 0x01000000, prot_growsup = 0x02000000;
    uint64_t protection = args[2] & ~(prot_growsdown | prot_growsup);
    if (protection & ~uint64_t{prot_known}) return failure(Errno::einval);
    return to_syscall_result(mm::app_memory().protect(args[0], end, static_cast<uint32_t>(protection)), 0);
}

int64_t sys_madvise(const SyscallArgs& args) {
    uint64_t start = args[0], end;
    if (!is_aligned(start, page_size)) return failure(Errno::einval);
    if (args[1] == 0) return 0;
    if (!valid_range(start, args[1], end)) return failure(Errno::einval);
    switch (args.integer(2)) {
        case madv_dontneed:
        case madv_free: return to_syscall_result(mm::app_memory().discard(start, end), 0);
        case madv_populate_read:
        case madv_populate_write: return to_syscall_result(mm::app_memory().populate(start, end), 0);
        case madv_normal:
        case madv_random:
        case madv_sequential:
        case madv_willneed:
        case madv_dontfork:
        case madv_dofork:
        case madv_mergeable:
        case madv_unmergeable:
        case madv_hugepage:
        case madv_nohugepage:
        case madv_dontdump:
        case madv_dodump:
        case madv_wipeonfork:
        case madv_keeponfork:
        case madv_cold:
        case madv_pageout: return 0;                       // advice that changes no contents: nothing to do
        case madv_remove: return failure(Errno::enotsup);  // needs a shared file mapping
        default: return failure(Errno::einval);
    }
}

}  // namespace eremite::linux
