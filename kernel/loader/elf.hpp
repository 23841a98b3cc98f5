// Validation of ELF64 executables, shared by ehyve (which refuses a bad APP before it
// creates a VM) and the kernel's loader (which must not trust an image it got from
// another VMM either). Pure, freestanding logic over a byte buffer: every offset and
// size is checked for overflow and against the buffer before it is used.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::elf {

enum class Error : uint8_t {
    none,
    empty,
    not_elf,
    truncated,
    not_64_bit,
    not_little_endian,
    not_x86_64,
    not_executable,
    dynamically_linked,
    bad_program_headers,
    too_many_segments,
    no_loadable_segment,
    segment_outside_file,
    segment_invalid,
    segment_misaligned,
    segment_too_large,
    segments_overlap,
    entry_outside_code,
    not_kernel_layout,
};

// One line that says what is wrong and, where it helps, what to do.
const char* describe(Error error);

inline constexpr uint32_t segment_read = 4, segment_write = 2, segment_execute = 1;  // PF_R/W/X

struct Segment {
    uint64_t virtual_address;
    uint64_t memory_size;
    uint64_t file_offset;
    uint64_t file_size;
    uint64_t physical_address;
    uint32_t flags;
};

inline constexpr size_t max_segments = 16;
// No app segment may be larger than this, nor reach above the lower half.
inline constexpr uint64_t max_segment_size = 1ull << 40;

struct Image {
    bool position_independent = false;  // ET_DYN: static-pie, loaded at a base
    uint64_t entry = 0;                 // as in the file (relative for static-pie)
    uint64_t program_headers_offset = 0;
    uint16_t program_header_count = 0;
    uint64_t program_headers_address = 0;  // PT_PHDR, or derived from the first segment; 0 if unknown
    Segment segments[max_segments];
    size_t segment_count = 0;
    uint64_t lowest_address = 0;   // page aligned
    uint64_t highest_address = 0;  // page aligned, exclusive
    bool executable_stack = false;
};

enum class Kind : uint8_t { app, kernel };

// Parses and validates `data[0..size)`. On success fills `image`.
Error parse(const uint8_t* data, uint64_t size, Kind kind, Image& image);

}  // namespace eremite::elf
