// Where the functions of an app's ELF file lie, for the load-time syscall rewriter
// (syscall_rewriter.hpp). Two sources, both optional: the FDEs of `.eh_frame` (found by
// section header, or through PT_GNU_EH_FRAME's search table when the file has no
// section headers) and the sized STT_FUNC/STT_GNU_IFUNC symbols of `.symtab`/`.dynsym`.
//
// The file is untrusted: every read is bounds-checked, and a malformed `.eh_frame` or
// search table yields no ranges from that source (never a crash, never a guess).
// Addresses are link-time (p_vaddr) addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace ehyve {

struct AddressRange {
    uint64_t start = 0;
    uint64_t end = 0;  // exclusive
    auto operator<=>(const AddressRange&) const = default;
};

struct LoadSegment {
    uint64_t address = 0;  // p_vaddr
    uint64_t memory_size = 0;
    uint64_t file_offset = 0;
    uint64_t file_size = 0;  // never more than memory_size, and inside the file
    uint32_t flags = 0;      // PF_R | PF_W | PF_X
};

// The parts of a little-endian ELF64 x86-64 ET_EXEC/ET_DYN file the rewriter needs.
struct ElfLayout {
    std::vector<LoadSegment> segments;                // PT_LOAD, in file order
    uint64_t image_end = 0;                           // max over PT_LOAD of p_vaddr + p_memsz
    std::optional<uint64_t> eh_frame_header_address;  // PT_GNU_EH_FRAME's p_vaddr
};

// Nothing when the header or the program headers are malformed or out of the file.
std::optional<ElfLayout> read_elf_layout(std::span<const uint8_t> elf_file);

// The file offset of the link-time address `address` when [address, address + length)
// is file-backed inside one PT_LOAD segment.
std::optional<uint64_t> file_offset_of(const ElfLayout& layout, uint64_t address, uint64_t length);

// FDE ranges of the section named `.eh_frame` (or, without section headers, through
// PT_GNU_EH_FRAME). Empty ranges are dropped; the result is sorted and deduplicated.
std::vector<AddressRange> eh_frame_function_ranges(std::span<const uint8_t> elf_file, const ElfLayout& layout);

// Sized function symbols of `.symtab` and `.dynsym`; sorted and deduplicated.
std::vector<AddressRange> symbol_function_ranges(std::span<const uint8_t> elf_file);

// Both sources together, sorted and deduplicated (overlapping ranges are kept apart:
// the rewriter analyses each one).
std::vector<AddressRange> find_function_ranges(std::span<const uint8_t> elf_file, const ElfLayout& layout);

}  // namespace ehyve
