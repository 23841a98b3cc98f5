#include "loader/elf.hpp"

#include "eremite/abi.hpp"

namespace eremite::elf {
namespace {

// The ELF64 structures (System V gABI, "ELF-64 Object File Format").
struct FileHeader {
    uint8_t ident[16];
    uint16_t type;
    uint16_t machine;
    uint32_t version;
    uint64_t entry;
    uint64_t program_header_offset;
    uint64_t section_header_offset;
    uint32_t flags;
    uint16_t header_size;
    uint16_t program_header_size;
    uint16_t program_header_count;
    uint16_t section_header_size;
    uint16_t section_header_count;
    uint16_t section_name_index;
};
static_assert(sizeof(FileHeader) == 64);

struct ProgramHeader {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t virtual_address;
    uint64_t physical_address;
    uint64_t file_size;
    uint64_t memory_size;
    uint64_t alignment;
};
static_assert(sizeof(ProgramHeader) == 56);

constexpr uint16_t type_executable = 2, type_shared = 3;
constexpr uint16_t machine_x86_64 = 62;
constexpr uint32_t pt_load = 1, pt_interp = 3, pt_phdr = 6, pt_gnu_stack = 0x6474e551;
constexpr uint64_t page = 4096;
constexpr uint64_t lower_half_end = 1ull << 47;

template <typename T>
T read(const uint8_t* data, uint64_t offset) {
    T value;
    __builtin_memcpy(&value, data + offset, sizeof(T));  // no alignment assumed
    return value;
}

bool add(uint64_t a, uint64_t b, uint64_t& sum) { return !__builtin_add_overflow(a, b, &sum); }

}  // namespace

const char* describe(Error error) {
    switch (error) {
        case Error::none: return "valid";
        case Error::empty: return "the file is empty, not an ELF executable";
        case Error::not_elf: return "not an ELF file; APP must be a static Linux x86_64 executable";
        case Error::truncated: return "the ELF file is truncated (its headers run past the end of the file)";
        case Error::not_64_bit: return "a 32-bit ELF file; Eremite runs 64-bit x86_64 programs";
        case Error::not_little_endian: return "a big-endian ELF file; Eremite runs x86_64 programs";
        case Error::not_x86_64: return "built for another architecture; Eremite runs x86_64 programs";
        case Error::not_executable:
            return "not an executable (an object file or another ELF type); link it into a program";
        case Error::dynamically_linked: return "dynamically linked; build it with -static or -static-pie";
        case Error::bad_program_headers: return "invalid program header table";
        case Error::too_many_segments: return "invalid ELF: too many loadable segments";
        case Error::no_loadable_segment: return "invalid ELF: no loadable segment";
        case Error::segment_outside_file: return "a segment lies outside the file (truncated or corrupt ELF)";
        case Error::segment_invalid: return "invalid segment: its file size exceeds its memory size";
        case Error::segment_misaligned:
            return "invalid segment alignment (offset and address disagree modulo the page size)";
        case Error::segment_too_large: return "a segment is too large or reaches outside the address space";
        case Error::segments_overlap: return "loadable segments overlap";
        case Error::entry_outside_code: return "the entry point lies outside the program's code";
        case Error::not_kernel_layout: return "not an Eremite kernel image (segments outside the kernel window)";
    }
    return "invalid ELF file";
}

Error parse(const uint8_t* data, uint64_t size, Kind kind, Image& image) {
    image = Image{};
    if (size == 0) return Error::empty;
    static constexpr uint8_t magic[4] = {0x7f, 'E', 'L', 'F'};
    for (uint64_t i = 0; i < 4; ++i)
        if (i >= size || data[i] != magic[i]) return Error::not_elf;
    if (size < sizeof(FileHeader)) return Error::truncated;
    auto header = read<FileHeader>(data, 0);
    if (header.ident[4] != 2) return Error::not_64_bit;
    if (header.ident[5] != 1) return Error::not_little_endian;
    if (header.machine != machine_x86_64) return Error::not_x86_64;
    if (header.type != type_executable && !(kind == Kind::app && header.type == type_shared))
        return Error::not_executable;
    if (header.program_header_size != sizeof(ProgramHeader) || header.program_header_count == 0 ||
        header.program_header_count > 256)
        return Error::bad_program_headers;
    uint64_t table_end;
    if (!add(header.program_header_offset, uint64_t{header.program_header_count} * sizeof(ProgramHeader), table_end) ||
        table_end > size)
        return Error::truncated;

    image.position_independent = header.type == type_shared;
    image.entry = header.entry;
    image.program_headers_offset = header.program_header_offset;
    image.program_header_count = header.program_header_count;

    bool entry_in_code = false;
    for (uint16_t i = 0; i < header.program_header_count; ++i) {
        auto ph = read<ProgramHeader>(data, header.program_header_offset + i * sizeof(ProgramHeader));
        if (ph.type == pt_interp) return Error::dynamically_linked;
        if (ph.type == pt_phdr) image.program_headers_address = ph.virtual_address;
        if (ph.type == pt_gnu_stack) image.executable_stack = ph.flags & segment_execute;
        if (ph.type != pt_load || ph.memory_size == 0) continue;

        uint64_t file_end, memory_end;
        if (!add(ph.offset, ph.file_size, file_end) || file_end > size) return Error::segment_outside_file;
        if (ph.file_size > ph.memory_size) return Error::segment_invalid;
        if (ph.memory_size > max_segment_size || !add(ph.virtual_address, ph.memory_size, memory_end))
            return Error::segment_too_large;
        if (kind == Kind::app && memory_end > lower_half_end) return Error::segment_too_large;
        if (kind == Kind::kernel && (ph.virtual_address < abi::kernel_virtual_base ||
                                     ph.physical_address != ph.virtual_address - abi::kernel_virtual_base))
            return Error::not_kernel_layout;
        if ((ph.offset % page) != (ph.virtual_address % page)) return Error::segment_misaligned;
        if (image.segment_count == max_segments) return Error::too_many_segments;
        if (image.segment_count > 0) {
            const Segment& previous = image.segments[image.segment_count - 1];
            // The gABI requires PT_LOAD entries sorted by address; overlap is corrupt.
            if (ph.virtual_address < previous.virtual_address + previous.memory_size) return Error::segments_overlap;
        }
        image.segments[image.segment_count++] =
            Segment{ph.virtual_address, ph.memory_size, ph.offset, ph.file_size, ph.physical_address, ph.flags};
        if ((ph.flags & segment_execute) && header.entry >= ph.virtual_address && header.entry < memory_end)
            entry_in_code = true;
        // The program headers are visible to the app when a segment maps them (AT_PHDR).
        if (!image.program_headers_address && ph.offset <= header.program_header_offset && table_end <= file_end)
            image.program_headers_address = ph.virtual_address + (header.program_header_offset - ph.offset);
    }
    if (image.segment_count == 0) return Error::no_loadable_segment;
    if (!entry_in_code) return Error::entry_outside_code;
    const Segment& last = image.segments[image.segment_count - 1];
    image.lowest_address = image.segments[0].virtual_address & ~(page - 1);
    image.highest_address = (last.virtual_address + last.memory_size + page - 1) & ~(page - 1);
    if (kind == Kind::app && image.highest_address - image.lowest_address > max_segment_size)
        return Error::segment_too_large;
    return Error::none;
}

}  // namespace eremite::elf
