// ehyve's load-time syscall rewriting (abi/eremite/abi.hpp, "Syscall rewriting"): which
// `syscall` instructions of an app's ELF file can become calls into the kernel, and the
// bytes that replace them. Pure logic on the file's bytes; the caller applies the plan
// to its own copy of the image and hands `call_sites` to the kernel.
//
// A `call` pushes its return address at -8(%rsp), inside the 128-byte red zone that the
// System V x86-64 ABI (3.2.2) lets a function keep data in. A site is rewritten only when
// the function that holds it provably keeps nothing below %rsp (see the rules in
// syscall_rewriter.cpp); every other site keeps trapping, which is always correct.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ehyve {

struct SyscallPatch {
    uint64_t file_offset = 0;
    uint8_t length = 0;   // 2 (call *%rax), 5 or 7 (call stub_NR over the mov), 5 to 24 (a site stub)
    uint8_t bytes[24]{};  // the new bytes, `length` of them
};

struct RewriteStats {
    uint64_t sites = 0;        // syscall instructions at decoded instruction boundaries in PF_X segments
    uint64_t direct = 0;       // rewritten as `call stub_NR` (the syscall stays behind it)
    uint64_t through_rax = 0;  // rewritten as `call *%rax` alone
    uint64_t site_stub = 0;    // rewritten as a call to a site stub (the number is not known)
    // Left trapping, by reason:
    uint64_t red_zone = 0;        // the function may keep data below %rsp
    uint64_t number_unknown = 0;  // %rax is not provably in page 0's slide (syscall())
    uint64_t no_function = 0;     // no symbol or FDE covers the site (found by a linear sweep of the gaps)
    uint64_t undecodable = 0;     // the function holds bytes Zydis cannot decode
    uint64_t other = 0;           // writable segment, prefixed syscall, function bounds that disagree
    uint64_t trapping() const { return red_zone + number_unknown + no_function + undecodable + other; }
};

struct RewritePlan {
    std::vector<SyscallPatch> patches;  // ascending file offsets, never overlapping
    std::vector<uint64_t> call_sites;   // link-time addresses of every `call *%rax` written, ascending
    // The site stubs' code, mapped right after the direct stubs (abi.hpp).
    std::vector<uint8_t> site_stubs;
    RewriteStats stats;
};

// Analyses an ELF file's bytes. A file it cannot parse gives an empty plan with zero
// stats (validation reports it elsewhere).
RewritePlan plan_syscall_rewrites(std::span<const uint8_t> elf_file);

// Writes the patches into a copy of the same file's bytes (patches past its end are
// skipped, so a plan applied to the wrong file cannot write outside it).
void apply_syscall_rewrites(const RewritePlan& plan, std::span<uint8_t> elf_file);

}  // namespace ehyve
