// elf::parse: ELF64 images built in memory, one per error it must report, the valid
// shapes (ET_EXEC, ET_DYN, the kernel layout), real files, and truncations/mutations of a
// valid image parsed from exactly sized heap buffers (so ASan sees any over-read).
#include <elf.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "eremite/abi.hpp"
#include "loader/elf.hpp"

namespace {

using eremite::elf::Error;
using eremite::elf::Image;
using eremite::elf::Kind;
using eremite::elf::parse;

constexpr uint64_t page = 4096;

// Writes an Elf64_Ehdr and its program headers into a byte vector. The default is a
// valid static x86_64 executable: text at 0x401000 (entry), headers mapped by a read-only
// segment at 0x400000, data+bss at 0x402000.
struct ElfBuilder {
    Elf64_Ehdr header{};
    std::vector<Elf64_Phdr> program_headers;
    std::optional<uint16_t> phnum;  // default: program_headers.size()
    uint64_t file_size = 3 * page;

    ElfBuilder() {
        std::memcpy(header.e_ident, ELFMAG, SELFMAG);
        header.e_ident[EI_CLASS] = ELFCLASS64;
        header.e_ident[EI_DATA] = ELFDATA2LSB;
        header.e_ident[EI_VERSION] = EV_CURRENT;
        header.e_ident[EI_OSABI] = ELFOSABI_SYSV;
        header.e_type = ET_EXEC;
        header.e_machine = EM_X86_64;
        header.e_version = EV_CURRENT;
        header.e_entry = 0x401000;
        header.e_phoff = sizeof(Elf64_Ehdr);
        header.e_ehsize = sizeof(Elf64_Ehdr);
        header.e_phentsize = sizeof(Elf64_Phdr);
    }

    static ElfBuilder valid_executable() {
        ElfBuilder b;
        b.load(0x400000, 0, page, page, PF_R);
        b.load(0x401000, page, page, page, PF_R | PF_X);
        b.load(0x402000, 2 * page, 0x800, 3 * page, PF_R | PF_W);
        return b;
    }

    Elf64_Phdr& add(uint32_t type, uint64_t vaddr, uint64_t offset, uint64_t filesz, uint64_t memsz, uint32_t flags) {
        Elf64_Phdr ph{};
        ph.p_type = type;
        ph.p_flags = flags;
        ph.p_offset = offset;
        ph.p_vaddr = vaddr;
        ph.p_paddr = vaddr;
        ph.p_filesz = filesz;
        ph.p_memsz = memsz;
        ph.p_align = page;
        program_headers.push_back(ph);
        return program_headers.back();
    }
    Elf64_Phdr& load(uint64_t vaddr, uint64_t offset, uint64_t filesz, uint64_t memsz, uint32_t flags) {
        return add(PT_LOAD, vaddr, offset, filesz, memsz, flags);
    }

    std::vector<uint8_t> bytes() const {
        Elf64_Ehdr h = header;
        h.e_phnum = phnum ? *phnum : static_cast<uint16_t>(program_headers.size());
        uint64_t table_end = h.e_phoff + program_headers.size() * sizeof(Elf64_Phdr);
        std::vector<uint8_t> out(std::max<uint64_t>(file_size, sizeof h));
        std::memcpy(out.data(), &h, sizeof h);
        // The table, as far as it fits: a table past the end of the file stays cut off.
        if (!program_headers.empty() && h.e_phoff < out.size()) {
            uint64_t length = std::min<uint64_t>(program_headers.size() * sizeof(Elf64_Phdr), out.size() - h.e_phoff);
            std::memcpy(out.data() + h.e_phoff, program_headers.data(), length);
        }
        for (size_t i = sizeof h; i < out.size(); ++i)  // recognisable segment contents
            if (i < h.e_phoff || i >= table_end) out[i] = static_cast<uint8_t>(0xc3 ^ i);
        return out;
    }
};

// Parses from a heap buffer of exactly the given size: any read past it is an ASan report.
Error parse_exact(const std::vector<uint8_t>& bytes, Kind kind, Image& image) {
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size() ? bytes.size() : 1]);
    if (!bytes.empty()) std::memcpy(copy.get(), bytes.data(), bytes.size());
    return parse(copy.get(), bytes.size(), kind, image);
}

Error parse_app(const ElfBuilder& b, Image* out = nullptr) {
    Image image;
    Error e = parse_exact(b.bytes(), Kind::app, image);
    if (out) *out = image;
    return e;
}

Error parse_kernel(const ElfBuilder& b, Image* out = nullptr) {
    Image image;
    Error e = parse_exact(b.bytes(), Kind::kernel, image);
    if (out) *out = image;
    return e;
}

// ---- The valid shapes -----------------------------------------------------------------

TEST(Elf, ValidStaticExecutable) {
    Image image;
    ASSERT_EQ(parse_app(ElfBuilder::valid_executable(), &image), Error::none);
    EXPECT_FALSE(image.position_independent);
    EXPECT_EQ(image.entry, 0x401000u);
    EXPECT_EQ(image.program_headers_offset, sizeof(Elf64_Ehdr));
    EXPECT_EQ(image.program_header_count, 3);
    ASSERT_EQ(image.segment_count, 3u);
    EXPECT_EQ(image.segments[0].virtual_address, 0x400000u);
    EXPECT_EQ(image.segments[0].flags, unsigned{PF_R});
    EXPECT_EQ(image.segments[1].virtual_address, 0x401000u);
    EXPECT_EQ(image.segments[1].file_offset, page);
    EXPECT_EQ(image.segments[1].flags, unsigned{PF_R | PF_X});
    EXPECT_EQ(image.segments[2].file_size, 0x800u);
    EXPECT_EQ(image.segments[2].memory_size, 3 * page);
    EXPECT_EQ(image.segments[2].physical_address, 0x402000u);
    EXPECT_EQ(image.lowest_address, 0x400000u);
    EXPECT_EQ(image.highest_address, 0x405000u);
    // No PT_PHDR: derived from the segment that maps file offset 0.
    EXPECT_EQ(image.program_headers_address, 0x400000u + sizeof(Elf64_Ehdr));
    EXPECT_FALSE(image.executable_stack);
}

TEST(Elf, SegmentFlagConstantsMatchElfH) {
    EXPECT_EQ(eremite::elf::segment_read, unsigned{PF_R});
    EXPECT_EQ(eremite::elf::segment_write, unsigned{PF_W});
    EXPECT_EQ(eremite::elf::segment_execute, unsigned{PF_X});
}

TEST(Elf, HighestAddressIsRoundedUpToAPage) {
    ElfBuilder b;
    b.load(0x401234, 0x234, 0x100, 0x100, PF_R | PF_X);
    b.header.e_entry = 0x401234;
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.lowest_address, 0x401000u);
    EXPECT_EQ(image.highest_address, 0x402000u);
}

TEST(Elf, ProgramHeaderAddressFromPtPhdr) {
    // No PT_LOAD maps file offset 64, so only PT_PHDR can tell.
    ElfBuilder b;
    b.add(PT_PHDR, 0x400040, 64, 2 * sizeof(Elf64_Phdr), 2 * sizeof(Elf64_Phdr), PF_R);
    b.load(0x401000, page, page, page, PF_R | PF_X);
    b.file_size = 2 * page;
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.program_headers_address, 0x400040u);
    EXPECT_EQ(image.program_header_count, 2);
}

TEST(Elf, ProgramHeaderAddressUnknownWhenNoSegmentMapsThem) {
    ElfBuilder b;
    b.load(0x401000, page, page, page, PF_R | PF_X);
    b.file_size = 2 * page;
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.program_headers_address, 0u);
}

TEST(Elf, ProgramHeaderAddressDerivedFromALaterSegment) {
    // The table sits at file offset 0x1100, inside the second segment's file bytes.
    ElfBuilder b;
    b.header.e_phoff = 0x1100;
    b.load(0x400000, 0, 0x100, 0x100, PF_R);
    b.load(0x401000, page, page, page, PF_R | PF_X);
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.program_headers_address, 0x401100u);
}

TEST(Elf, ExecutableStackFromGnuStack) {
    auto b = ElfBuilder::valid_executable();
    auto& stack = b.add(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W | PF_X);
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_TRUE(image.executable_stack);
    stack.p_flags = PF_R | PF_W;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_FALSE(image.executable_stack);
}

TEST(Elf, StaticPieIsPositionIndependent) {
    ElfBuilder b;
    b.header.e_type = ET_DYN;
    b.header.e_entry = 0x1040;
    b.load(0, 0, page, page, PF_R);
    b.load(0x1000, page, page, page, PF_R | PF_X);
    b.load(0x2000, 2 * page, 0x100, 0x2000, PF_R | PF_W);
    b.add(PT_DYNAMIC, 0x2000, 2 * page, 0x100, 0x100, PF_R | PF_W);
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_TRUE(image.position_independent);
    EXPECT_EQ(image.entry, 0x1040u);
    EXPECT_EQ(image.lowest_address, 0u);
    EXPECT_EQ(image.highest_address, 0x4000u);
    EXPECT_EQ(image.program_headers_address, sizeof(Elf64_Ehdr));
}

TEST(Elf, ZeroSizedLoadSegmentsAreIgnored) {
    auto b = ElfBuilder::valid_executable();
    b.load(0x100000, 0, 0, 0, PF_R);  // would be unsorted if it counted
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.segment_count, 3u);
}

TEST(Elf, AdjacentSegmentsDoNotOverlap) {
    ElfBuilder b;
    b.load(0x401000, page, page, page, PF_R | PF_X);
    b.load(0x402000, 2 * page, page, page, PF_R | PF_W);
    EXPECT_EQ(parse_app(b), Error::none);
}

TEST(Elf, SegmentEndingExactlyAtEndOfFile) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[2].p_filesz = page;
    b.file_size = 3 * page;
    EXPECT_EQ(parse_app(b), Error::none);
    b.program_headers[2].p_filesz = page + 1;
    EXPECT_EQ(parse_app(b), Error::segment_outside_file);
}

TEST(Elf, SixteenSegmentsAreAllowed) {
    ElfBuilder b;
    for (uint64_t i = 0; i < eremite::elf::max_segments; ++i)
        b.load(0x401000 + i * page, page, 0x10, 0x10, PF_R | PF_X);
    b.file_size = 2 * page;
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.segment_count, eremite::elf::max_segments);
}

TEST(Elf, ManyNonLoadHeadersAreAllowed) {
    auto b = ElfBuilder::valid_executable();
    for (int i = 0; i < 200; ++i) b.add(PT_NOTE, 0, 0, 0, 0, PF_R);
    b.header.e_phoff = 0x100;
    b.file_size = 6 * page;
    Image image;
    ASSERT_EQ(parse_app(b, &image), Error::none);
    EXPECT_EQ(image.segment_count, 3u);
    EXPECT_EQ(image.program_header_count, 203);
}

TEST(Elf, AppSegmentMaySpanUpToMaxSegmentSize) {
    ElfBuilder b;
    b.load(0x401000, page, page, eremite::elf::max_segment_size, PF_R | PF_X);
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::none);
}

TEST(Elf, AppSegmentMayEndExactlyAtTheLowerHalfEnd) {
    ElfBuilder b;
    const uint64_t top = 1ull << 47;
    b.load(top - page, page, page, page, PF_R | PF_X);
    b.header.e_entry = top - page;
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::none);
}

TEST(Elf, EntryOnLastByteOfCode) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_entry = 0x401fff;
    EXPECT_EQ(parse_app(b), Error::none);
}

// ---- Header errors --------------------------------------------------------------------

TEST(Elf, Empty) {
    Image image;
    EXPECT_EQ(parse(nullptr, 0, Kind::app, image), Error::empty);
    EXPECT_EQ(parse_exact({}, Kind::app, image), Error::empty);
}

TEST(Elf, NotElf) {
    const char text[] = "#!/bin/sh\necho this is a shell script, not an ELF file\n";
    std::vector<uint8_t> bytes(text, text + sizeof text - 1);
    Image image;
    EXPECT_EQ(parse_exact(bytes, Kind::app, image), Error::not_elf);
    // Shorter than the magic, with a matching prefix.
    EXPECT_EQ(parse_exact({0x7f, 'E', 'L'}, Kind::app, image), Error::not_elf);
    EXPECT_EQ(parse_exact({0x7f}, Kind::app, image), Error::not_elf);
    EXPECT_EQ(parse_exact({0x7f, 'E', 'L', 'f'}, Kind::app, image), Error::not_elf);
}

TEST(Elf, TruncatedHeader) {
    auto bytes = ElfBuilder::valid_executable().bytes();
    Image image;
    for (size_t size : {size_t{4}, size_t{16}, size_t{63}}) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(size));
        EXPECT_EQ(parse_exact(cut, Kind::app, image), Error::truncated) << "size " << size;
    }
}

TEST(Elf, ThirtyTwoBit) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_ident[EI_CLASS] = ELFCLASS32;
    EXPECT_EQ(parse_app(b), Error::not_64_bit);
    b.header.e_ident[EI_CLASS] = ELFCLASSNONE;
    EXPECT_EQ(parse_app(b), Error::not_64_bit);
}

TEST(Elf, BigEndian) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_ident[EI_DATA] = ELFDATA2MSB;
    EXPECT_EQ(parse_app(b), Error::not_little_endian);
}

TEST(Elf, WrongMachine) {
    auto b = ElfBuilder::valid_executable();
    for (uint16_t machine : {uint16_t{EM_AARCH64}, uint16_t{EM_386}, uint16_t{EM_RISCV}, uint16_t{0}}) {
        b.header.e_machine = machine;
        EXPECT_EQ(parse_app(b), Error::not_x86_64) << "machine " << machine;
    }
}

TEST(Elf, NotAnExecutableType) {
    auto b = ElfBuilder::valid_executable();
    for (uint16_t type : {uint16_t{ET_REL}, uint16_t{ET_CORE}, uint16_t{ET_NONE}, uint16_t{0xfe00}}) {
        b.header.e_type = type;
        EXPECT_EQ(parse_app(b), Error::not_executable) << "type " << type;
    }
}

TEST(Elf, DynamicallyLinked) {
    auto b = ElfBuilder::valid_executable();
    b.add(PT_INTERP, 0x400200, 0x200, 28, 28, PF_R);
    EXPECT_EQ(parse_app(b), Error::dynamically_linked);
    // Also as the first header, and also for ET_DYN.
    std::swap(b.program_headers.front(), b.program_headers.back());
    b.header.e_type = ET_DYN;
    EXPECT_EQ(parse_app(b), Error::dynamically_linked);
}

TEST(Elf, BadProgramHeaderEntrySize) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_phentsize = sizeof(Elf32_Phdr);
    EXPECT_EQ(parse_app(b), Error::bad_program_headers);
    b.header.e_phentsize = 0;
    EXPECT_EQ(parse_app(b), Error::bad_program_headers);
}

TEST(Elf, NoProgramHeaders) {
    auto b = ElfBuilder::valid_executable();
    b.phnum = 0;
    EXPECT_EQ(parse_app(b), Error::bad_program_headers);
}

TEST(Elf, AbsurdProgramHeaderCount) {
    auto b = ElfBuilder::valid_executable();
    b.phnum = 0xffff;  // PN_XNUM
    b.file_size = 1 << 20;
    EXPECT_EQ(parse_app(b), Error::bad_program_headers);
    b.phnum = 257;
    EXPECT_EQ(parse_app(b), Error::bad_program_headers);
}

TEST(Elf, ProgramHeadersOutsideFile) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_phoff = 1ull << 32;
    EXPECT_EQ(parse_app(b), Error::truncated);
    // The table starts inside the file but runs past its end.
    b.header.e_phoff = b.file_size - sizeof(Elf64_Phdr);
    EXPECT_EQ(parse_app(b), Error::truncated);
}

TEST(Elf, ProgramHeaderOffsetOverflows) {
    auto b = ElfBuilder::valid_executable();
    for (uint64_t offset : {~0ull, ~0ull - 10, ~0ull - 3 * sizeof(Elf64_Phdr) + 2}) {
        b.header.e_phoff = offset;
        EXPECT_EQ(parse_app(b), Error::truncated) << "phoff " << offset;
    }
}

TEST(Elf, ProgramHeaderTableEndingExactlyAtEndOfFile) {
    ElfBuilder b;
    b.load(0x401000, 0, 0x100, 0x100, PF_R | PF_X);
    b.file_size = 0x1000;
    b.header.e_phoff = b.file_size - sizeof(Elf64_Phdr);
    auto bytes = b.bytes();
    ASSERT_EQ(bytes.size(), 0x1000u);
    Image image;
    EXPECT_EQ(parse_exact(bytes, Kind::app, image), Error::none);
}

// ---- Segment errors -------------------------------------------------------------------

TEST(Elf, SegmentOutsideFile) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[1].p_offset = 0x10000;
    b.program_headers[1].p_vaddr = 0x410000;  // keep it aligned and sorted
    b.program_headers[2].p_vaddr = 0x420000;
    b.header.e_entry = 0x410000;
    EXPECT_EQ(parse_app(b), Error::segment_outside_file);
}

TEST(Elf, SegmentOffsetPlusFileSizeOverflows) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[1].p_offset = ~0ull - page + 1;  // 0xfffffffffffff000
    b.program_headers[1].p_filesz = 2 * page;
    b.program_headers[1].p_memsz = 2 * page;
    EXPECT_EQ(parse_app(b), Error::segment_outside_file);
    b.program_headers[1].p_offset = page;
    b.program_headers[1].p_filesz = ~0ull;
    b.program_headers[1].p_memsz = ~0ull;
    EXPECT_EQ(parse_app(b), Error::segment_outside_file);
}

TEST(Elf, FileSizeLargerThanMemorySize) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[2].p_filesz = 0x800;
    b.program_headers[2].p_memsz = 0x7ff;
    EXPECT_EQ(parse_app(b), Error::segment_invalid);
}

TEST(Elf, Misaligned) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[1].p_vaddr = 0x401800;
    b.header.e_entry = 0x401800;
    EXPECT_EQ(parse_app(b), Error::segment_misaligned);
    // Equal modulo the page size is fine even when not page aligned.
    b.program_headers[1].p_offset = page + 0x800;
    b.program_headers[1].p_filesz = 0x800;
    b.program_headers[1].p_memsz = 0x800;
    EXPECT_EQ(parse_app(b), Error::none);
}

TEST(Elf, SegmentLargerThanMaxSegmentSize) {
    ElfBuilder b;
    b.load(0x401000, page, page, eremite::elf::max_segment_size + 1, PF_R | PF_X);
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::segment_too_large);
    EXPECT_EQ(parse_kernel(b), Error::segment_too_large);
}

TEST(Elf, SegmentReachingPastTheLowerHalf) {
    ElfBuilder b;
    const uint64_t top = 1ull << 47;
    b.load(top - page, page, page, 2 * page, PF_R | PF_X);
    b.header.e_entry = top - page;
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::segment_too_large);
    // Entirely in the upper half.
    b.program_headers[0].p_vaddr = 0xffff800000001000;
    b.program_headers[0].p_memsz = page;
    b.header.e_entry = 0xffff800000001000;
    EXPECT_EQ(parse_app(b), Error::segment_too_large);
}

TEST(Elf, SegmentAddressPlusMemorySizeOverflows) {
    ElfBuilder b;
    b.load(~0ull - page + 1, page, page, 2 * page, PF_R | PF_X);
    b.header.e_entry = ~0ull - page + 1;
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::segment_too_large);
    EXPECT_EQ(parse_kernel(b), Error::segment_too_large);
}

TEST(Elf, ImageSpanLargerThanMaxSegmentSize) {
    // Each segment is small, but together they span more than max_segment_size.
    ElfBuilder b;
    b.load(0x401000, page, page, page, PF_R | PF_X);
    b.load(0x401000 + eremite::elf::max_segment_size, 2 * page, page, page, PF_R | PF_W);
    b.file_size = 3 * page;
    EXPECT_EQ(parse_app(b), Error::segment_too_large);
}

TEST(Elf, OverlappingSegments) {
    auto b = ElfBuilder::valid_executable();
    b.program_headers[2].p_vaddr = 0x401800;
    b.program_headers[2].p_offset = 2 * page + 0x800;
    b.program_headers[2].p_filesz = 0x100;
    EXPECT_EQ(parse_app(b), Error::segments_overlap);
    // Overlapping by one byte.
    b = ElfBuilder::valid_executable();
    b.program_headers[0].p_memsz = page + 1;
    EXPECT_EQ(parse_app(b), Error::segments_overlap);
}

TEST(Elf, UnsortedSegments) {
    auto b = ElfBuilder::valid_executable();
    std::swap(b.program_headers[1], b.program_headers[2]);
    EXPECT_EQ(parse_app(b), Error::segments_overlap);
}

TEST(Elf, NoLoadableSegment) {
    ElfBuilder b;
    b.add(PT_NOTE, 0x400200, 0x200, 0x20, 0x20, PF_R);
    b.add(PT_GNU_STACK, 0, 0, 0, 0, PF_R | PF_W);
    EXPECT_EQ(parse_app(b), Error::no_loadable_segment);
    // A PT_LOAD of size zero does not count.
    b.load(0x401000, page, 0, 0, PF_R | PF_X);
    EXPECT_EQ(parse_app(b), Error::no_loadable_segment);
}

TEST(Elf, EntryOutsideCode) {
    auto b = ElfBuilder::valid_executable();
    b.header.e_entry = 0x402010;  // in the data segment (not executable)
    EXPECT_EQ(parse_app(b), Error::entry_outside_code);
    b.header.e_entry = 0x400100;  // in the read-only headers segment
    EXPECT_EQ(parse_app(b), Error::entry_outside_code);
    b.header.e_entry = 0x402000;  // one past the end of the code: also the data's start
    EXPECT_EQ(parse_app(b), Error::entry_outside_code);
    b.header.e_entry = 0;
    EXPECT_EQ(parse_app(b), Error::entry_outside_code);
    b.header.e_entry = 0x400fff;  // one before the code
    EXPECT_EQ(parse_app(b), Error::entry_outside_code);
}

TEST(Elf, TooManySegments) {
    ElfBuilder b;
    for (uint64_t i = 0; i <= eremite::elf::max_segments; ++i)
        b.load(0x401000 + i * page, page, 0x10, 0x10, PF_R | PF_X);
    b.file_size = 2 * page;
    EXPECT_EQ(parse_app(b), Error::too_many_segments);
}

// ---- Kind::kernel -----------------------------------------------------------------------

ElfBuilder valid_kernel() {
    using eremite::abi::kernel_virtual_base;
    ElfBuilder b;
    b.header.e_entry = kernel_virtual_base + 0x200000;
    auto& text = b.load(kernel_virtual_base + 0x200000, page, page, page, PF_R | PF_X);
    text.p_paddr = 0x200000;
    auto& data = b.load(kernel_virtual_base + 0x201000, 2 * page, page, 4 * page, PF_R | PF_W);
    data.p_paddr = 0x201000;
    return b;
}

TEST(Elf, ValidKernel) {
    Image image;
    ASSERT_EQ(parse_kernel(valid_kernel(), &image), Error::none);
    EXPECT_FALSE(image.position_independent);
    ASSERT_EQ(image.segment_count, 2u);
    EXPECT_EQ(image.segments[0].physical_address, 0x200000u);
    EXPECT_EQ(image.segments[1].physical_address, 0x201000u);
    EXPECT_EQ(image.lowest_address, eremite::abi::kernel_virtual_base + 0x200000);
    EXPECT_EQ(image.highest_address, eremite::abi::kernel_virtual_base + 0x205000);
}

TEST(Elf, KernelIsNotAnApp) {
    // Upper-half addresses are out of reach of an app.
    EXPECT_EQ(parse_app(valid_kernel()), Error::segment_too_large);
}

TEST(Elf, KernelBelowTheKernelWindow) {
    EXPECT_EQ(parse_kernel(ElfBuilder::valid_executable()), Error::not_kernel_layout);
    auto b = valid_kernel();
    b.program_headers[0].p_vaddr = eremite::abi::kernel_virtual_base - page;
    b.program_headers[0].p_paddr = 0;
    b.header.e_entry = b.program_headers[0].p_vaddr;
    EXPECT_EQ(parse_kernel(b), Error::not_kernel_layout);
}

TEST(Elf, KernelPhysicalAddressMustMatch) {
    auto b = valid_kernel();
    b.program_headers[1].p_paddr = 0x300000;
    EXPECT_EQ(parse_kernel(b), Error::not_kernel_layout);
    b = valid_kernel();
    b.program_headers[0].p_paddr = b.program_headers[0].p_vaddr;  // identity, as a naive link gives
    EXPECT_EQ(parse_kernel(b), Error::not_kernel_layout);
}

TEST(Elf, KernelMustBeEtExec) {
    auto b = valid_kernel();
    b.header.e_type = ET_DYN;
    EXPECT_EQ(parse_kernel(b), Error::not_executable);
}

// ---- describe ---------------------------------------------------------------------------

TEST(Elf, EveryErrorIsDescribed) {
    for (int e = static_cast<int>(Error::none); e <= static_cast<int>(Error::not_kernel_layout); ++e) {
        const char* text = eremite::elf::describe(static_cast<Error>(e));
        ASSERT_NE(text, nullptr);
        EXPECT_GT(std::strlen(text), 4u) << "error " << e;
    }
    EXPECT_NE(std::strstr(eremite::elf::describe(Error::dynamically_linked), "static"), nullptr);
}

// ---- Robustness: every truncation and many single-byte mutations -----------------------

TEST(Elf, EveryTruncationIsRejectedWithoutOverRead) {
    auto b = ElfBuilder::valid_executable();
    b.file_size = 2 * page + 0x800;  // the data segment's file bytes end the file
    auto bytes = b.bytes();
    Image image;
    ASSERT_EQ(parse_exact(bytes, Kind::app, image), Error::none);
    for (size_t size = 0; size < bytes.size(); ++size) {
        std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(size));
        EXPECT_NE(parse_exact(cut, Kind::app, image), Error::none) << "size " << size;
    }
}

TEST(Elf, MutatedHeadersNeverReadOutOfBounds) {
    auto b = ElfBuilder::valid_executable();
    b.file_size = 0x300;  // segments run past the end: the mutations mostly hit checks
    auto original = b.bytes();
    const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    const size_t header_bytes = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
    Image image;
    for (size_t i = 0; i < header_bytes; ++i) {
        for (uint8_t v : values) {
            auto mutated = original;
            mutated[i] = v;
            Error e = parse_exact(mutated, Kind::app, image);
            if (e == Error::none) {
                // Whatever was accepted must be self-consistent.
                ASSERT_GT(image.segment_count, 0u);
                for (size_t s = 0; s < image.segment_count; ++s) {
                    EXPECT_LE(image.segments[s].file_offset + image.segments[s].file_size, mutated.size());
                    EXPECT_LE(image.segments[s].file_size, image.segments[s].memory_size);
                }
            }
            (void)parse_exact(mutated, Kind::kernel, image);
        }
    }
}

// ---- Real files ---------------------------------------------------------------------------

std::optional<std::vector<uint8_t>> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return std::nullopt;
    std::vector<uint8_t> bytes(static_cast<size_t>(in.tellg()));
    in.seekg(0);
    if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size())))
        return std::nullopt;
    return bytes;
}

TEST(Elf, ThisTestProgramIsDynamicallyLinked) {
    auto bytes = read_file("/proc/self/exe");
    if (!bytes) GTEST_SKIP() << "cannot read /proc/self/exe";
    Image image;
    EXPECT_EQ(parse_exact(*bytes, Kind::app, image), Error::dynamically_linked);
}

#ifdef EREMITE_TEST_EHYVE_PATH
TEST(Elf, RealStaticExecutable) {
    auto bytes = read_file(EREMITE_TEST_EHYVE_PATH);
    if (!bytes) GTEST_SKIP() << "not built: " << EREMITE_TEST_EHYVE_PATH;
    Image image;
    ASSERT_EQ(parse_exact(*bytes, Kind::app, image), Error::none);
    EXPECT_GT(image.segment_count, 0u);
    EXPECT_NE(image.program_headers_address, 0u);
}
#endif

#ifdef EREMITE_TEST_KERNEL_PATH
TEST(Elf, RealKernel) {
    auto bytes = read_file(EREMITE_TEST_KERNEL_PATH);
    if (!bytes) GTEST_SKIP() << "not built: " << EREMITE_TEST_KERNEL_PATH;
    Image image;
    ASSERT_EQ(parse_exact(*bytes, Kind::kernel, image), Error::none);
    EXPECT_GE(image.lowest_address, eremite::abi::kernel_virtual_base);
    for (size_t i = 0; i < image.segment_count; ++i)
        EXPECT_EQ(image.segments[i].physical_address,
                  image.segments[i].virtual_address - eremite::abi::kernel_virtual_base);
    // The kernel is no app.
    EXPECT_NE(parse_exact(*bytes, Kind::app, image), Error::none);
}
#endif

}  // namespace
