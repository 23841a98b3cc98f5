// The load-time syscall rewriter: small ELF64 images built in memory around hand-made
// machine code (function bounds from .symtab, from .eh_frame, or from PT_GNU_EH_FRAME
// alone), every rewrite pattern (direct calls that leave the syscall in place, `call
// *%rax` only where %rax provably lies in page 0's slide), every reason to leave a site
// trapping, hostile files (truncations, bogus offsets and counts, mutations), and real
// static binaries when they are installed.
#include "syscall_rewriter.hpp"

#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "eremite/abi.hpp"
#include "function_bounds.hpp"

namespace {

using ehyve::AddressRange;
using ehyve::apply_syscall_rewrites;
using ehyve::plan_syscall_rewrites;
using ehyve::RewritePlan;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t page = 4096;
constexpr uint64_t text_offset = 0x1000;

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

void put(Bytes& out, std::initializer_list<uint8_t> bytes) { out.insert(out.end(), bytes); }
template <typename T>
void put_value(Bytes& out, T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof raw);
    out.insert(out.end(), raw, raw + sizeof raw);
}
template <typename T>
void write_value(Bytes& out, size_t offset, T value) {
    std::memcpy(out.data() + offset, &value, sizeof value);
}

// Machine code with named function ranges (offsets into the code).
struct Code {
    Bytes bytes;
    std::vector<AddressRange> functions;

    size_t size() const { return bytes.size(); }
    // Appends `body` as one function; returns its offset.
    size_t function(std::initializer_list<uint8_t> body) {
        size_t start = bytes.size();
        put(bytes, body);
        functions.push_back({start, bytes.size()});
        return start;
    }
    // Appends bytes that belong to no function.
    size_t loose(std::initializer_list<uint8_t> data) {
        size_t start = bytes.size();
        put(bytes, data);
        return start;
    }
};

// A minimal ELF64 file: the code in one PT_LOAD at `text_address` (file offset 0x1000),
// with function bounds from .symtab and/or .eh_frame (with .eh_frame_hdr and
// PT_GNU_EH_FRAME in a second, read-only PT_LOAD), section headers optional.
struct TestElf {
    Code code;
    uint64_t text_address = 0x401000;
    uint16_t type = ET_EXEC;
    uint32_t text_flags = PF_R | PF_X;
    bool symbols = true;
    bool eh_frame = false;
    bool section_headers = true;
    uint64_t image_end = 0;  // set by build()

    uint64_t address(size_t code_offset) const { return text_address + code_offset; }
    uint64_t stub(uint32_t number) const {
        return eremite::abi::syscall_stub_region_address(image_end) + number * eremite::abi::syscall_stub_stride;
    }

    Bytes build() {
        Bytes file(text_offset, 0);
        file.insert(file.end(), code.bytes.begin(), code.bytes.end());
        image_end = text_address + code.size();
        const uint64_t bias = text_address - text_offset;  // vaddr = bias + file offset

        Bytes frames;  // .eh_frame_hdr then .eh_frame
        uint64_t frames_offset = 0, eh_frame_in_frames = 0;
        if (eh_frame) {
            frames_offset = align_up(file.size(), page);
            const uint64_t header_address = bias + frames_offset;
            const size_t count = code.functions.size();
            eh_frame_in_frames = align_up(12 + 8 * count, 8);
            const uint64_t eh_frame_address = header_address + eh_frame_in_frames;
            Bytes eh;
            // CIE "zR", FDE pointers pcrel|sdata4 (what gcc and ld emit).
            put_value<uint32_t>(eh, 0x14);
            put_value<uint32_t>(eh, 0);
            put(eh, {1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b, 0x0c, 7, 8, 0x90, 1, 0, 0});
            std::vector<uint64_t> fde_offsets;
            for (const auto& f : code.functions) {
                fde_offsets.push_back(eh.size());
                put_value<uint32_t>(eh, 0x14);
                put_value<uint32_t>(eh, static_cast<uint32_t>(eh.size()));  // back to the CIE at 0
                put_value<int32_t>(eh, static_cast<int32_t>(address(f.start) - (eh_frame_address + eh.size())));
                put_value<uint32_t>(eh, static_cast<uint32_t>(f.end - f.start));
                put(eh, {0, 0, 0, 0, 0, 0, 0, 0});  // augmentation length, padding
            }
            put_value<uint32_t>(eh, 0);  // terminator
            // .eh_frame_hdr: version, pcrel|sdata4, udata4, datarel|sdata4, the table.
            put(frames, {1, 0x1b, 0x03, 0x3b});
            put_value<int32_t>(frames, static_cast<int32_t>(eh_frame_address - (header_address + 4)));
            put_value<uint32_t>(frames, static_cast<uint32_t>(count));
            std::vector<size_t> order(count);
            for (size_t i = 0; i < count; ++i) order[i] = i;
            std::sort(order.begin(), order.end(),
                      [&](size_t a, size_t b) { return code.functions[a].start < code.functions[b].start; });
            for (size_t i : order) {
                put_value<int32_t>(frames, static_cast<int32_t>(address(code.functions[i].start) - header_address));
                put_value<int32_t>(frames, static_cast<int32_t>(eh_frame_address + fde_offsets[i] - header_address));
            }
            frames.resize(eh_frame_in_frames, 0);
            frames.insert(frames.end(), eh.begin(), eh.end());
            file.resize(frames_offset);
            file.insert(file.end(), frames.begin(), frames.end());
            image_end = std::max(image_end, bias + file.size());
        }

        // Sections (not loaded): .symtab, .strtab, .shstrtab, then the headers.
        std::vector<Elf64_Shdr> sections(1);
        Bytes names{0};
        auto name = [&](const char* text) {
            uint32_t at = static_cast<uint32_t>(names.size());
            names.insert(names.end(), text, text + std::strlen(text) + 1);
            return at;
        };
        Elf64_Shdr text{};
        text.sh_name = name(".text");
        text.sh_type = SHT_PROGBITS;
        text.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
        text.sh_addr = text_address;
        text.sh_offset = text_offset;
        text.sh_size = code.size();
        sections.push_back(text);
        if (eh_frame) {
            Elf64_Shdr eh{};
            eh.sh_name = name(".eh_frame");
            eh.sh_type = SHT_PROGBITS;
            eh.sh_flags = SHF_ALLOC;
            eh.sh_addr = bias + frames_offset + eh_frame_in_frames;
            eh.sh_offset = frames_offset + eh_frame_in_frames;
            eh.sh_size = frames.size() - eh_frame_in_frames;
            sections.push_back(eh);
        }
        if (symbols) {
            Bytes strings{0};
            Bytes table(sizeof(Elf64_Sym), 0);
            for (size_t i = 0; i < code.functions.size(); ++i) {
                Elf64_Sym symbol{};
                symbol.st_name = static_cast<uint32_t>(strings.size());
                std::string label = "function" + std::to_string(i);
                strings.insert(strings.end(), label.begin(), label.end());
                strings.push_back(0);
                symbol.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
                symbol.st_shndx = 1;
                symbol.st_value = address(code.functions[i].start);
                symbol.st_size = code.functions[i].end - code.functions[i].start;
                put_value(table, symbol);
            }
            file.resize(align_up(file.size(), 8));
            Elf64_Shdr symtab{};
            symtab.sh_name = name(".symtab");
            symtab.sh_type = SHT_SYMTAB;
            symtab.sh_offset = file.size();
            symtab.sh_size = table.size();
            symtab.sh_entsize = sizeof(Elf64_Sym);
            symtab.sh_link = static_cast<uint32_t>(sections.size() + 1);
            file.insert(file.end(), table.begin(), table.end());
            sections.push_back(symtab);
            Elf64_Shdr strtab{};
            strtab.sh_name = name(".strtab");
            strtab.sh_type = SHT_STRTAB;
            strtab.sh_offset = file.size();
            strtab.sh_size = strings.size();
            file.insert(file.end(), strings.begin(), strings.end());
            sections.push_back(strtab);
        }
        Elf64_Shdr shstrtab{};
        shstrtab.sh_name = name(".shstrtab");
        shstrtab.sh_type = SHT_STRTAB;
        shstrtab.sh_offset = file.size();
        shstrtab.sh_size = names.size();
        file.insert(file.end(), names.begin(), names.end());
        sections.push_back(shstrtab);
        file.resize(align_up(file.size(), 8));
        const uint64_t section_offset = file.size();
        for (const auto& s : sections) put_value(file, s);

        std::vector<Elf64_Phdr> segments;
        Elf64_Phdr load{};
        load.p_type = PT_LOAD;
        load.p_flags = text_flags;
        load.p_offset = text_offset;
        load.p_vaddr = load.p_paddr = text_address;
        load.p_filesz = load.p_memsz = code.size();
        load.p_align = page;
        segments.push_back(load);
        if (eh_frame) {
            Elf64_Phdr frames_load = load;
            frames_load.p_flags = PF_R;
            frames_load.p_offset = frames_offset;
            frames_load.p_vaddr = frames_load.p_paddr = bias + frames_offset;
            frames_load.p_filesz = frames_load.p_memsz = frames.size();
            segments.push_back(frames_load);
            Elf64_Phdr header{};
            header.p_type = PT_GNU_EH_FRAME;
            header.p_flags = PF_R;
            header.p_offset = frames_offset;
            header.p_vaddr = header.p_paddr = bias + frames_offset;
            header.p_filesz = header.p_memsz = eh_frame_in_frames;
            segments.push_back(header);
        }

        Elf64_Ehdr header{};
        std::memcpy(header.e_ident, ELFMAG, SELFMAG);
        header.e_ident[EI_CLASS] = ELFCLASS64;
        header.e_ident[EI_DATA] = ELFDATA2LSB;
        header.e_ident[EI_VERSION] = EV_CURRENT;
        header.e_type = type;
        header.e_machine = EM_X86_64;
        header.e_version = EV_CURRENT;
        header.e_entry = text_address;
        header.e_phoff = sizeof(Elf64_Ehdr);
        header.e_ehsize = sizeof(Elf64_Ehdr);
        header.e_phentsize = sizeof(Elf64_Phdr);
        header.e_phnum = static_cast<uint16_t>(segments.size());
        header.e_shentsize = sizeof(Elf64_Shdr);
        if (section_headers) {
            header.e_shoff = section_offset;
            header.e_shnum = static_cast<uint16_t>(sections.size());
            header.e_shstrndx = static_cast<uint16_t>(sections.size() - 1);
        }
        write_value(file, 0, header);
        for (size_t i = 0; i < segments.size(); ++i)
            write_value(file, sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), segments[i]);
        return file;
    }
};

struct Outcome {
    RewritePlan plan;
    Bytes before;
    Bytes after;
};

Outcome rewrite(TestElf& elf) {
    Outcome outcome;
    outcome.before = elf.build();
    outcome.plan = plan_syscall_rewrites(outcome.before);
    outcome.after = outcome.before;
    apply_syscall_rewrites(outcome.plan, outcome.after);
    return outcome;
}

Bytes code_after(const Outcome& outcome, size_t offset, size_t length) {
    auto start = outcome.after.begin() + static_cast<ptrdiff_t>(text_offset + offset);
    return Bytes(start, start + static_cast<ptrdiff_t>(length));
}
Bytes code_before(const Outcome& outcome, size_t offset, size_t length) {
    auto start = outcome.before.begin() + static_cast<ptrdiff_t>(text_offset + offset);
    return Bytes(start, start + static_cast<ptrdiff_t>(length));
}

// `call stub` at `call_address`: e8 and a rel32 relative to the end of the call.
Bytes call_stub(uint64_t call_address, uint64_t stub) {
    Bytes bytes{0xe8};
    put_value<int32_t>(bytes, static_cast<int32_t>(stub - (call_address + 5)));
    return bytes;
}
// What `mov $NR,%eax; syscall` at `mov_address` becomes: the call over the mov, then the
// syscall it returns past, still in place.
Bytes direct_eax(uint64_t mov_address, uint64_t stub) {
    Bytes bytes = call_stub(mov_address, stub);
    put(bytes, {0x0f, 0x05});
    return bytes;
}
// What `mov $NR,%rax; syscall` becomes: a 2-byte nop, the call, the syscall.
Bytes direct_rax(uint64_t mov_address, uint64_t stub) {
    Bytes bytes{0x66, 0x90};
    Bytes call = call_stub(mov_address + 2, stub);
    bytes.insert(bytes.end(), call.begin(), call.end());
    put(bytes, {0x0f, 0x05});
    return bytes;
}

// Instructions used below (AT&T syntax in the comments).
#define MOV_EAX(n) 0xb8, (n)&0xff, ((n) >> 8) & 0xff, 0, 0              // mov $n,%eax (n < 65536)
#define MOV_RAX(n) 0x48, 0xc7, 0xc0, (n)&0xff, ((n) >> 8) & 0xff, 0, 0  // mov $n,%rax
#define SYSCALL 0x0f, 0x05
#define RET 0xc3
#define NOP 0x90
#define MOV_RDI_RAX 0x48, 0x89, 0xf8  // mov %rdi,%rax
#define XOR_EAX_EAX 0x31, 0xc0        // xor %eax,%eax
#define CALL_RAX 0xff, 0xd0           // call *%rax

void expect_untouched(const Outcome& outcome) { EXPECT_EQ(outcome.after, outcome.before); }

// The file with `call *%rax` written over the syscall at each of `sites` (code offsets).
Bytes with_call_rax(const Outcome& outcome, std::initializer_list<size_t> sites) {
    Bytes expected = outcome.before;
    for (size_t site : sites) {
        expected[text_offset + site] = 0xff;
        expected[text_offset + site + 1] = 0xd0;
    }
    return expected;
}

// ---- direct calls to the stubs --------------------------------------------------------

TEST(SyscallRewriter, MovEaxThenSyscallAtTheSegmentStartCallsTheDirectStub) {
    TestElf elf;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});
    Outcome out = rewrite(elf);
    EXPECT_EQ(elf.stub(1), 0x402000u + 16);
    Bytes expected = direct_eax(elf.address(0), elf.stub(1));
    expected.push_back(RET);
    EXPECT_EQ(code_after(out, 0, 8), expected);
    // The rel32 is relative to the end of the call, the mov's end.
    int32_t rel32;
    std::memcpy(&rel32, out.after.data() + text_offset + 1, 4);
    EXPECT_EQ(elf.address(5) + static_cast<uint64_t>(int64_t{rel32}), elf.stub(1));
    EXPECT_TRUE(out.plan.call_sites.empty());  // direct sites are not `call *%rax` sites
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.through_rax, 0u);
    EXPECT_EQ(out.plan.stats.trapping(), 0u);
    ASSERT_EQ(out.plan.patches.size(), 1u);
    EXPECT_EQ(out.plan.patches[0].file_offset, text_offset);
    EXPECT_EQ(out.plan.patches[0].length, 5u);
}

TEST(SyscallRewriter, MovRaxThenSyscallBecomesNopCallThenTheSyscall) {
    TestElf elf;
    elf.code.function({0x31, 0xff});  // xor %edi,%edi: another function first
    size_t f = elf.code.function({MOV_RAX(60), SYSCALL, RET});
    Outcome out = rewrite(elf);
    EXPECT_EQ(code_after(out, f, 9), direct_rax(elf.address(f), elf.stub(60)));
    int32_t rel32;
    std::memcpy(&rel32, out.after.data() + text_offset + f + 3, 4);
    EXPECT_EQ(elf.address(f + 7) + static_cast<uint64_t>(int64_t{rel32}), elf.stub(60));
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.trapping(), 0u);
    ASSERT_EQ(out.plan.patches.size(), 1u);
    EXPECT_EQ(out.plan.patches[0].file_offset, text_offset + f);
    EXPECT_EQ(out.plan.patches[0].length, 7u);
}

TEST(SyscallRewriter, DirectPatchLeavesTheSyscallBytesInPlace) {
    TestElf elf;
    size_t f = elf.code.function({MOV_EAX(39), SYSCALL, RET});
    size_t g = elf.code.function({MOV_RAX(231), SYSCALL, RET});
    Outcome out = rewrite(elf);
    ASSERT_EQ(out.plan.patches.size(), 2u);
    // Each patch covers exactly the mov and ends where the syscall starts.
    EXPECT_EQ(out.plan.patches[0].file_offset + out.plan.patches[0].length, text_offset + f + 5);
    EXPECT_EQ(out.plan.patches[1].file_offset + out.plan.patches[1].length, text_offset + g + 7);
    EXPECT_EQ(code_after(out, f + 5, 3), (Bytes{SYSCALL, RET}));
    EXPECT_EQ(code_after(out, g + 7, 3), (Bytes{SYSCALL, RET}));
    // Everything but the movs is as before.
    Bytes expected = out.before;
    Bytes first = call_stub(elf.address(f), elf.stub(39));
    std::copy(first.begin(), first.end(), expected.begin() + static_cast<ptrdiff_t>(text_offset + f));
    Bytes second = direct_rax(elf.address(g), elf.stub(231));
    std::copy(second.begin(), second.begin() + 7, expected.begin() + static_cast<ptrdiff_t>(text_offset + g));
    EXPECT_EQ(out.after, expected);
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.direct, 2u);
}

TEST(SyscallRewriter, AdjacentSyscallsAreEachJudged) {
    // A direct pair, a lone site proven by a mov of a number without a stub, one proven
    // by xor, then one right after a syscall: its %rax is the previous result.
    TestElf elf;
    elf.code.function({MOV_EAX(39), SYSCALL, MOV_EAX(600), SYSCALL, XOR_EAX_EAX, SYSCALL, SYSCALL, RET});
    Outcome out = rewrite(elf);
    Bytes expected = direct_eax(elf.address(0), elf.stub(39));
    put(expected, {MOV_EAX(600), CALL_RAX, XOR_EAX_EAX, CALL_RAX, SYSCALL, RET});
    EXPECT_EQ(code_after(out, 0, 21), expected);
    EXPECT_EQ(out.plan.call_sites, (std::vector<uint64_t>{elf.address(12), elf.address(16)}));
    EXPECT_EQ(out.plan.stats.sites, 4u);
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.through_rax, 2u);
    EXPECT_EQ(out.plan.stats.number_unknown, 1u);
}

TEST(SyscallRewriter, SyscallAsTheLastBytesOfTheSegment) {
    TestElf elf;
    elf.code.function({RET});
    size_t f = elf.code.function({MOV_EAX(60), SYSCALL});
    size_t g = elf.code.function({MOV_EAX(1000), SYSCALL});
    Outcome out = rewrite(elf);
    EXPECT_EQ(code_after(out, f, 7), direct_eax(elf.address(f), elf.stub(60)));
    EXPECT_EQ(code_after(out, g, 7), (Bytes{MOV_EAX(1000), CALL_RAX}));
    EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(g + 5)});
    ASSERT_EQ(out.plan.patches.size(), 2u);
    EXPECT_EQ(out.plan.patches[1].file_offset + out.plan.patches[1].length, text_offset + elf.code.size());
}

TEST(SyscallRewriter, MovSeparatedFromSyscallIsNotAPairButProvesTheNumber) {
    TestElf elf;
    elf.code.function({MOV_EAX(1), 0x31, 0xff, SYSCALL, RET});  // xor %edi,%edi between
    Outcome out = rewrite(elf);
    EXPECT_EQ(code_after(out, 0, 10), (Bytes{MOV_EAX(1), 0x31, 0xff, CALL_RAX, RET}));
    EXPECT_EQ(out.plan.stats.through_rax, 1u);
    EXPECT_EQ(out.plan.stats.direct, 0u);
    EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(7)});
}

TEST(SyscallRewriter, NumbersWithoutAStubGoThroughRaxWhenInTheSlide) {
    TestElf elf;
    elf.code.function({MOV_EAX(512),  SYSCALL,                                            // 0
                       MOV_EAX(600),  SYSCALL,                                            // 7
                       MOV_EAX(4087), SYSCALL,                                            // 14
                       MOV_RAX(1000), SYSCALL,                                            // 21
                       MOV_EAX(4088), SYSCALL,                                            // 30
                       0x48,          0xc7,    0xc0, 0xff, 0xff, 0xff,    0xff, SYSCALL,  // 37: mov $-1,%rax
                       0xb8,          0xff,    0xff, 0xff, 0xff, SYSCALL,                 // 46: $0xffffffff
                       MOV_EAX(511),  SYSCALL, RET});                                     // 53
    Outcome out = rewrite(elf);
    Bytes expected = with_call_rax(out, {5, 12, 19, 28});
    Bytes direct = direct_eax(elf.address(53), elf.stub(511));
    std::copy(direct.begin(), direct.end(), expected.begin() + static_cast<ptrdiff_t>(text_offset + 53));
    EXPECT_EQ(out.after, expected);
    EXPECT_EQ(out.plan.call_sites,
              (std::vector<uint64_t>{elf.address(5), elf.address(12), elf.address(19), elf.address(28)}));
    EXPECT_EQ(out.plan.stats.sites, 8u);
    EXPECT_EQ(out.plan.stats.through_rax, 4u);
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.number_unknown, 3u);
}

TEST(SyscallRewriter, SiteReachedBothAsDirectPairAndByAJumpIsDirect) {
    // The jne goes straight to the syscall with %rax = 0; the mov's path calls the stub.
    // The syscall stays in place for the jump, so the site is direct and not a call site.
    TestElf elf;
    elf.code.function({XOR_EAX_EAX,  // 0
                       0x75, 0x05,   // 2: jne 9
                       MOV_EAX(1),   // 4
                       SYSCALL,      // 9
                       RET});
    Outcome out = rewrite(elf);
    Bytes expected{XOR_EAX_EAX, 0x75, 0x05};
    Bytes direct = direct_eax(elf.address(4), elf.stub(1));
    expected.insert(expected.end(), direct.begin(), direct.end());
    expected.push_back(RET);
    EXPECT_EQ(code_after(out, 0, 12), expected);
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.trapping(), 0u);
}

TEST(SyscallRewriter, LoopBackToADirectPairsSyscallKeepsItDirect) {
    TestElf elf;
    elf.code.function({MOV_EAX(1),  // 0
                       SYSCALL,     // 5
                       0x75, 0xfc,  // 7: jne 5
                       RET});
    Outcome out = rewrite(elf);
    Bytes expected = direct_eax(elf.address(0), elf.stub(1));
    put(expected, {0x75, 0xfc, RET});
    EXPECT_EQ(code_after(out, 0, 10), expected);
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.direct, 1u);
}

// ---- the %rax proof of lone sites ---------------------------------------------------

// `body` as the only function; its syscall at `site` is either rewritten to `call *%rax`
// (and listed) or left trapping as number_unknown.
void expect_lone(const Bytes& body, size_t site, bool proven) {
    SCOPED_TRACE(testing::PrintToString(body));
    TestElf elf;
    elf.code.bytes = body;
    elf.code.functions.push_back({0, body.size()});
    Outcome out = rewrite(elf);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.direct, 0u);
    if (proven) {
        EXPECT_EQ(out.after, with_call_rax(out, {site}));
        EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(site)});
        EXPECT_EQ(out.plan.stats.through_rax, 1u);
        EXPECT_EQ(out.plan.stats.trapping(), 0u);
    } else {
        expect_untouched(out);
        EXPECT_TRUE(out.plan.call_sites.empty());
        EXPECT_EQ(out.plan.stats.through_rax, 0u);
        EXPECT_EQ(out.plan.stats.number_unknown, 1u);
        EXPECT_EQ(out.plan.stats.trapping(), 1u);
    }
}

TEST(SyscallRewriterRaxProof, DefinitionsOfRax) {
    struct Case {
        Bytes definition;
        bool proven;
    };
    std::vector<Case> cases = {
        {{MOV_EAX(1)}, true},
        {{MOV_EAX(0)}, true},
        {{MOV_EAX(4087)}, true},                              // the slide's last number
        {{MOV_EAX(4088)}, false},                             // syscall_slide_end
        {{MOV_EAX(5000)}, false},                             //
        {{0xb8, 0x00, 0x10, 0x40, 0x00}, false},              // mov $0x401000,%eax
        {{0xb8, 0xff, 0xff, 0xff, 0xff}, false},              // mov $0xffffffff,%eax
        {{MOV_RAX(1000)}, true},                              // mov $1000,%rax
        {{0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff}, false},  // mov $-1,%rax
        {{0x48, 0xc7, 0xc0, 0x00, 0x00, 0x00, 0x80}, false},  // mov $-0x80000000,%rax
        {{0x48, 0xb8, 7, 0, 0, 0, 0, 0, 0, 0}, true},         // movabs $7,%rax
        {{0x48, 0xb8, 7, 0, 0, 0, 1, 0, 0, 0}, false},        // movabs $0x100000007,%rax
        {{XOR_EAX_EAX}, true},                                // xor %eax,%eax: 0
        {{0x33, 0xc0}, true},                                 // xor %eax,%eax (other encoding)
        {{0x48, 0x31, 0xc0}, true},                           // xor %rax,%rax
        {{0x29, 0xc0}, true},                                 // sub %eax,%eax
        {{0x48, 0x29, 0xc0}, true},                           // sub %rax,%rax
        {{0x31, 0xc8}, false},                                // xor %ecx,%eax
        {{0x66, 0x31, 0xc0}, false},                          // xor %ax,%ax: upper bits kept
        {{0x66, 0xb8, 0x01, 0x00}, false},                    // mov $1,%ax
        {{0xb0, 0x01}, false},                                // mov $1,%al
        {{0xb9, 0x01, 0x00, 0x00, 0x00}, false},              // mov $1,%ecx
        {{MOV_RDI_RAX}, false},                               // mov %rdi,%rax
        {{0x8b, 0x07}, false},                                // mov (%rdi),%eax
        {{}, false},                                          // nothing: the range start
    };
    for (const Case& c : cases) {
        // A nop keeps the mov from pairing with the syscall.
        Bytes body = c.definition;
        put(body, {NOP, SYSCALL, RET});
        expect_lone(body, c.definition.size() + 1, c.proven);
    }
}

TEST(SyscallRewriterRaxProof, WhatLiesBetweenTheDefinitionAndTheSyscall) {
    struct Case {
        Bytes between;
        bool proven;
    };
    std::vector<Case> cases = {
        // Instructions that leave %rax alone.
        {{NOP}, true},
        {{0x31, 0xff}, true},                          // xor %edi,%edi
        {{0x48, 0x89, 0xc7}, true},                    // mov %rax,%rdi: a read
        {{0x48, 0x89, 0x07}, true},                    // mov %rax,(%rdi)
        {{0xba, 0x05, 0x00, 0x00, 0x00}, true},        // mov $5,%edx
        {{0x50, 0x59}, true},                          // push %rax; pop %rcx
        {{0x83, 0xf8, 0x01}, true},                    // cmp $1,%eax
        {{0x85, 0xc0}, true},                          // test %eax,%eax
        {{0x48, 0x8d, 0x74, 0x24, 0x08}, true},        // lea 8(%rsp),%rsi
        {{0x75, 0x02}, true},                          // jne past the syscall: falls through
        {{0x0f, 0x85, 0x02, 0x00, 0x00, 0x00}, true},  // jne rel32 past the syscall
        {{0x74, 0x7f}, true},                          // je out of the function
        {{MOV_EAX(5000), MOV_EAX(7), NOP}, true},      // the last definition counts
        // Writes to %rax or one of its parts.
        {{MOV_EAX(5000)}, false},
        {{0xb0, 0x55}, false},              // mov $0x55,%al after mov $1,%eax: clobbered
        {{0xb4, 0x12}, false},              // mov $0x12,%ah
        {{0x66, 0xb8, 0x02, 0x00}, false},  // mov $2,%ax
        {{0x89, 0xc8}, false},              // mov %ecx,%eax
        {{MOV_RDI_RAX}, false},             // mov %rdi,%rax
        {{0x58}, false},                    // pop %rax
        {{0xff, 0xc0}, false},              // inc %eax
        {{0x83, 0xc0, 0x01}, false},        // add $1,%eax
        {{0x31, 0xc8}, false},              // xor %ecx,%eax
        {{0x48, 0x98}, false},              // cltq
        {{0x91}, false},                    // xchg %eax,%ecx
        {{0x0f, 0x44, 0xc1}, false},        // cmove %ecx,%eax
        {{0x0f, 0xa2}, false},              // cpuid: hidden write
        {{0x0f, 0x31}, false},              // rdtsc: hidden write
        {{0xac}, false},                    // lodsb: hidden write of %al
        // Calls and the ends of straight-line code.
        {{0xff, 0xd2}, false},                    // call *%rdx
        {{0xe8, 0x40, 0x00, 0x00, 0x00}, false},  // call out of the function
        {{0xc3}, false},                          // ret
        {{0x0f, 0x0b}, false},                    // ud2
        {{0xf4}, false},                          // hlt
        {{0xff, 0xe2}, false},                    // jmp *%rdx
        {{0xeb, 0x02}, false},                    // jmp past the syscall
        {{0xeb, 0x00}, false},                    // jmp to the syscall
        {{0x75, 0x00}, false},                    // jne to the syscall: a branch target
    };
    for (const Case& c : cases) {
        Bytes body{MOV_EAX(1)};
        body.insert(body.end(), c.between.begin(), c.between.end());
        put(body, {SYSCALL, RET});
        expect_lone(body, 5 + c.between.size(), c.proven);
    }
}

TEST(SyscallRewriterRaxProof, SyscallAtTheStartOfAFunctionIsUnknown) {
    // The previous function ends with a mov to %eax, but a range's start knows nothing.
    TestElf elf;
    elf.code.function({MOV_EAX(600)});
    size_t f = elf.code.function({SYSCALL, RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.number_unknown, 1u);
    EXPECT_EQ(elf.code.functions[1].start, f);
}

TEST(SyscallRewriterRaxProof, BranchTargetsBetweenTheDefinitionAndTheSyscall) {
    // A jcc before the mov into the instruction after it.
    expect_lone({0x75, 0x05,  // 0: jne 7
                 MOV_EAX(1),  // 2
                 NOP,         // 7
                 SYSCALL,     // 8
                 RET},
                8, false);
    // A jcc before the mov straight to the syscall.
    expect_lone({0x75, 0x06, MOV_EAX(1), NOP, SYSCALL, RET}, 8, false);
    // A jcc before the mov to the mov itself: the definition runs on both paths.
    expect_lone({0x75, 0x00, MOV_EAX(1), NOP, SYSCALL, RET}, 8, true);
    // A jcc to the ret after the syscall.
    expect_lone({0x75, 0x08, MOV_EAX(1), NOP, SYSCALL, RET}, 8, true);
}

TEST(SyscallRewriterRaxProof, CallsIntoTheStraightLineCode) {
    // 0: jmp 7; 2: call 13; 7: mov $1,%eax; 12: nop; 13: syscall; 15: ret. The call
    // reaches the syscall with %rax unknown.
    expect_lone({0xeb, 0x05, 0xe8, 0x06, 0x00, 0x00, 0x00, MOV_EAX(1), NOP, SYSCALL, RET}, 13, false);
}

TEST(SyscallRewriterRaxProof, JumpsIntoTheMiddleOfAnInstruction) {
    // 0: jne 8; 2: mov $1,%eax; 7: mov $0x90909058,%ecx; 12: syscall. Jumping to 8 runs
    // pop %rax; nop; nop; nop; syscall.
    expect_lone({0x75, 0x06, MOV_EAX(1), 0xb9, 0x58, 0x90, 0x90, 0x90, SYSCALL, RET}, 12, false);
    // Jumping to 7, the start of the mov to %ecx, skips the definition too; jumping to
    // the definition keeps the proof.
    expect_lone({0x75, 0x05, MOV_EAX(1), 0xb9, 0x58, 0x90, 0x90, 0x90, SYSCALL, RET}, 12, false);
    expect_lone({0x75, 0x00, MOV_EAX(1), 0xb9, 0x58, 0x90, 0x90, 0x90, SYSCALL, RET}, 12, true);
}

TEST(SyscallRewriterRaxProof, BackwardLoopEdges) {
    // mov $600,%eax; nop; syscall; test %eax,%eax; jne <target>; ret
    auto loop = [](uint8_t displacement) {
        return Bytes{MOV_EAX(600), NOP, SYSCALL, 0x85, 0xc0, 0x75, displacement, RET};
    };
    expect_lone(loop(0xfa), 6, false);  // to the syscall: %rax is its result
    expect_lone(loop(0xf9), 6, false);  // to the nop between
    expect_lone(loop(0xf4), 6, true);   // to the mov: it runs again
}

TEST(SyscallRewriterRaxProof, EveryRangeMustProveTheNumber) {
    {
        // An inner range starts between the mov and the syscall.
        TestElf elf;
        elf.code.function({MOV_EAX(600), NOP, SYSCALL, RET});
        elf.code.functions.push_back({5, 9});
        Outcome out = rewrite(elf);
        expect_untouched(out);
        EXPECT_EQ(out.plan.stats.number_unknown, 1u);
    }
    {
        // Both ranges see the mov: proven once, listed once.
        TestElf elf;
        elf.code.function({MOV_EAX(600), NOP, SYSCALL, RET});
        elf.code.functions.push_back({0, 8});
        Outcome out = rewrite(elf);
        EXPECT_EQ(out.after, with_call_rax(out, {6}));
        EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(6)});
        EXPECT_EQ(out.plan.stats.through_rax, 1u);
    }
}

TEST(SyscallRewriterRaxProof, RedZoneComesBeforeTheNumber) {
    // mov %rdi,-0x10(%rsp) makes the function unsafe, whatever %rax holds.
    for (Bytes tail : {Bytes{MOV_EAX(600), NOP, SYSCALL, RET}, Bytes{MOV_RDI_RAX, SYSCALL, RET}}) {
        TestElf elf;
        Bytes body{0x48, 0x89, 0x7c, 0x24, 0xf0};
        body.insert(body.end(), tail.begin(), tail.end());
        elf.code.bytes = body;
        elf.code.functions.push_back({0, body.size()});
        Outcome out = rewrite(elf);
        expect_untouched(out);
        EXPECT_EQ(out.plan.stats.red_zone, 1u);
        EXPECT_EQ(out.plan.stats.number_unknown, 0u);
    }
}

// ---- sites left trapping, function bounds ---------------------------------------------

TEST(SyscallRewriter, SyscallAfterMovRdiRaxStaysTrapping) {
    // syscall()'s shape: the number is whatever the caller passed, maybe an address.
    TestElf elf;
    elf.code.function({MOV_RDI_RAX, SYSCALL, RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_TRUE(out.plan.patches.empty());
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.number_unknown, 1u);
    EXPECT_EQ(out.plan.stats.trapping(), 1u);
}

TEST(SyscallRewriter, RedZoneDataAcrossASyscallStaysTrapping) {
    // clock_nanosleep's shape: a struct in the red zone whose address goes to the kernel.
    TestElf elf;
    elf.code.function({0x48, 0x89, 0x7c, 0x24, 0xf0,  // mov %rdi,-0x10(%rsp)
                       0x48, 0x8d, 0x74, 0x24, 0xf0,  // lea -0x10(%rsp),%rsi
                       MOV_EAX(230), SYSCALL, RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.red_zone, 1u);
}

TEST(SyscallRewriter, EachRedZoneUseAloneMakesTheFunctionUnsafe) {
    std::vector<Bytes> unsafe = {
        {0x48, 0x8d, 0x74, 0x24, 0xf0},              // lea -0x10(%rsp),%rsi
        {0x48, 0x8b, 0x44, 0x24, 0xf8},              // mov -0x8(%rsp),%rax
        {0xff, 0x74, 0x24, 0xf8},                    // push -0x8(%rsp)
        {0x48, 0x8b, 0x04, 0x0c},                    // mov (%rsp,%rcx,1),%rax: index unknown
        {0x48, 0x89, 0x27},                          // mov %rsp,(%rdi): escapes
        {0x48, 0x94},                                // xchg %rax,%rsp
        {0x48, 0x01, 0xe0},                          // add %rsp,%rax
        {0x48, 0x89, 0xe3, 0x48, 0x89, 0x7b, 0xf0},  // mov %rsp,%rbx; mov %rdi,-0x10(%rbx)
        {0x48, 0x8d, 0x5c, 0x24, 0x08, 0x48, 0x89, 0xd9, 0x48, 0x89, 0x79,
         0xe0},  // lea 8(%rsp),%rbx; mov %rbx,%rcx; mov %rdi,-0x20(%rcx)
        {0x48, 0x89, 0xe3, 0x48, 0x83, 0xeb, 0x20, 0x48, 0x89, 0x3b},  // mov %rsp,%rbx; sub $0x20,%rbx; mov %rdi,(%rbx)
        {0xc8, 0x10, 0x00, 0x01},                                      // enter $0x10,$1
    };
    for (const Bytes& prefix : unsafe) {
        TestElf elf;
        Bytes body = prefix;
        put(body, {MOV_EAX(1), SYSCALL, RET});
        elf.code.bytes = body;
        elf.code.functions.push_back({0, body.size()});
        Outcome out = rewrite(elf);
        SCOPED_TRACE(testing::PrintToString(prefix));
        expect_untouched(out);
        EXPECT_EQ(out.plan.stats.red_zone, 1u);
    }
}

TEST(SyscallRewriter, StackUsesAtOrAboveRspAreSafe) {
    std::vector<Bytes> safe = {
        {0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x7c, 0x24, 0x08, 0x48, 0x8d, 0x74, 0x24, 0x08, 0x48, 0x83, 0xc4,
         0x18},  // sub $0x18,%rsp; mov %rdi,8(%rsp); lea 8(%rsp),%rsi; add
        {0x55, 0x48, 0x89, 0xe5, 0x48, 0x8b, 0x7d, 0x10,
         0x5d},                                      // push %rbp; mov %rsp,%rbp; mov 0x10(%rbp),%rdi; pop %rbp
        {0x48, 0x89, 0xe3, 0x48, 0x8b, 0x7b, 0x08},  // mov %rsp,%rbx; mov 8(%rbx),%rdi
        {0x54, 0x58},                                // push %rsp; pop %rax
        {0x48, 0x83, 0xe4, 0xf0, 0x48, 0x39, 0xc4},  // and $-16,%rsp; cmp %rax,%rsp
        {0xc8, 0x10, 0x00, 0x00, 0xc9},              // enter $0x10,$0; leave
        {0x48, 0x89, 0xec},                          // mov %rbp,%rsp
        {0x64, 0x48, 0x8b, 0x04, 0x25, 0xf8, 0xff, 0xff, 0xff},  // mov %fs:-8,%rax
        {0x0f, 0x1f, 0x44, 0x00, 0x00},                          // nopl 0(%rax,%rax,1)
        {0x48, 0x89, 0xe2, 0x31, 0xd2, 0x48, 0x8b, 0x3a},        // mov %rsp,%rdx; xor %edx,%edx; mov (%rdx),%rdi
    };
    for (const Bytes& prefix : safe) {
        TestElf elf;
        Bytes body = prefix;
        put(body, {MOV_EAX(1), SYSCALL, RET});
        elf.code.bytes = body;
        elf.code.functions.push_back({0, body.size()});
        Outcome out = rewrite(elf);
        SCOPED_TRACE(testing::PrintToString(prefix));
        EXPECT_EQ(out.plan.stats.direct, 1u);
        EXPECT_EQ(code_after(out, prefix.size(), 7), direct_eax(elf.address(prefix.size()), elf.stub(1)));
    }
}

TEST(SyscallRewriter, FramePointerCodeUsingNegativeOffsetsStaysTrapping) {
    TestElf elf;
    elf.code.function({0x55,                              // push %rbp
                       0x48, 0x89, 0xe5,                  // mov %rsp,%rbp
                       0x48, 0x89, 0x7d, 0xf8,            // mov %rdi,-0x8(%rbp)
                       MOV_EAX(1), SYSCALL, 0x5d, RET});  // pop %rbp; ret
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.red_zone, 1u);
}

TEST(SyscallRewriter, OneUnsafeFunctionDoesNotTaintItsNeighbour) {
    TestElf elf;
    elf.code.function({0x48, 0x89, 0x7c, 0x24, 0xf0, MOV_EAX(600), NOP, SYSCALL, RET});
    size_t safe = elf.code.function({MOV_EAX(600), NOP, SYSCALL, RET});
    Outcome out = rewrite(elf);
    EXPECT_EQ(code_before(out, 0, safe), code_after(out, 0, safe));
    EXPECT_EQ(out.after, with_call_rax(out, {safe + 6}));
    EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(safe + 6)});
    EXPECT_EQ(out.plan.stats.sites, 2u);
    EXPECT_EQ(out.plan.stats.red_zone, 1u);
    EXPECT_EQ(out.plan.stats.through_rax, 1u);
}

TEST(SyscallRewriter, SyscallBytesInsideInstructionsAndDataAreNotSites) {
    TestElf elf;
    elf.code.function({0xb8, 0x0f, 0x05, 0x00, 0x00,              // mov $0x50f,%eax
                       0x48, 0x05, 0x0f, 0x05, 0x0f, 0x05,        // add $0x50f050f,%rax
                       0x48, 0x8b, 0x05, 0x0f, 0x05, 0x00, 0x00,  // mov 0x50f(%rip),%rax
                       RET});
    elf.code.loose({0x0f, 0x05, 0x0f, 0x05});  // data between functions
    elf.code.function({RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_TRUE(out.plan.patches.empty());
    // Loose bytes are counted by a sweep (as if code, no_function) but never rewritten.
    EXPECT_EQ(out.plan.stats.sites, 2u);
    EXPECT_EQ(out.plan.stats.no_function, 2u);
}

TEST(SyscallRewriter, SyscallOutsideEveryFunctionStaysTrapping) {
    TestElf elf;
    elf.code.function({RET});
    elf.code.loose({MOV_EAX(1), SYSCALL, RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.no_function, 1u);
}

TEST(SyscallRewriter, WritableExecutableSegmentStaysTrapping) {
    TestElf elf;
    elf.text_flags = PF_R | PF_W | PF_X;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.other, 1u);
}

TEST(SyscallRewriter, UndecodableFunctionStaysTrapping) {
    TestElf elf;
    elf.code.function({0x06, MOV_EAX(1), SYSCALL, RET});  // 06 (push %es) is invalid in 64-bit mode
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.undecodable, 1u);
}

TEST(SyscallRewriter, PrefixedSyscallStaysTrapping) {
    TestElf elf;
    elf.code.function({0x66, SYSCALL, RET});  // data16 syscall
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.other, 1u);
}

TEST(SyscallRewriter, FunctionBoundsThatDisagreeOnInstructionsLeaveTheSiteTrapping) {
    // A second symbol starts inside the mov, where it decodes 0f 05 as a syscall.
    TestElf elf;
    elf.code.function({0xb8, 0x0f, 0x05, 0x00, 0x00, RET});
    elf.code.functions.push_back({1, 6});
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.sites, 1u);
    EXPECT_EQ(out.plan.stats.other, 1u);
}

TEST(SyscallRewriter, NestedRangesMustAllAgreeOnThePair) {
    {
        // An outer symbol covers both; an inner one starts at the syscall: the mov is not
        // in the inner function, which knows nothing of %rax at its start, so the site
        // keeps trapping.
        TestElf elf;
        elf.code.function({MOV_EAX(1), SYSCALL, RET});
        elf.code.functions.push_back({5, 8});
        Outcome out = rewrite(elf);
        expect_untouched(out);
        EXPECT_EQ(out.plan.stats.sites, 1u);
        EXPECT_EQ(out.plan.stats.number_unknown, 1u);
    }
    {
        // The inner range holds the pair too: direct.
        TestElf elf;
        elf.code.function({MOV_EAX(1), SYSCALL, RET});
        elf.code.functions.push_back({0, 7});
        Outcome out = rewrite(elf);
        EXPECT_EQ(code_after(out, 0, 8), [&] {
            Bytes b = direct_eax(elf.address(0), elf.stub(1));
            b.push_back(RET);
            return b;
        }());
        EXPECT_EQ(out.plan.stats.direct, 1u);
        EXPECT_TRUE(out.plan.call_sites.empty());
    }
}

TEST(SyscallRewriter, EhFrameGivesTheFunctionBounds) {
    TestElf elf;
    elf.symbols = false;
    elf.eh_frame = true;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});
    elf.code.loose({0xcc, 0xcc});
    size_t g = elf.code.function({XOR_EAX_EAX, SYSCALL, RET});
    Bytes file = elf.build();
    auto layout = ehyve::read_elf_layout(file);
    ASSERT_TRUE(layout);
    EXPECT_EQ(ehyve::eh_frame_function_ranges(file, *layout),
              (std::vector<AddressRange>{{elf.address(0), elf.address(8)}, {elf.address(g), elf.address(g + 5)}}));
    EXPECT_TRUE(ehyve::symbol_function_ranges(file).empty());
    Outcome out = rewrite(elf);
    EXPECT_EQ(out.plan.call_sites, std::vector<uint64_t>{elf.address(g + 2)});
    EXPECT_EQ(code_after(out, 0, 7), direct_eax(elf.address(0), elf.stub(1)));
    EXPECT_EQ(code_after(out, g, 5), (Bytes{XOR_EAX_EAX, CALL_RAX, RET}));
    EXPECT_EQ(out.plan.stats.direct, 1u);
    EXPECT_EQ(out.plan.stats.through_rax, 1u);
}

TEST(SyscallRewriter, EhFrameHeaderWithoutSectionHeaders) {
    TestElf elf;
    elf.symbols = false;
    elf.eh_frame = true;
    elf.section_headers = false;
    elf.code.function({RET});
    size_t f = elf.code.function({MOV_RAX(1), SYSCALL, RET});
    Outcome out = rewrite(elf);
    auto layout = ehyve::read_elf_layout(out.before);
    ASSERT_TRUE(layout);
    EXPECT_EQ(ehyve::eh_frame_function_ranges(out.before, *layout).size(), 2u);
    EXPECT_EQ(code_after(out, f, 9), direct_rax(elf.address(f), elf.stub(1)));
    EXPECT_TRUE(out.plan.call_sites.empty());
    EXPECT_EQ(out.plan.stats.direct, 1u);
}

TEST(SyscallRewriter, StaticPieUsesLinkTimeAddresses) {
    TestElf elf;
    elf.type = ET_DYN;
    elf.text_address = 0x1000;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});
    Outcome out = rewrite(elf);
    EXPECT_EQ(elf.stub(1), 0x2000u + 16);
    EXPECT_EQ(code_after(out, 0, 7), direct_eax(0x1000, 0x2010));
    EXPECT_EQ(code_after(out, 1, 4), (Bytes{0x0b, 0x10, 0x00, 0x00}));  // 0x2010 - 0x1005
    EXPECT_TRUE(out.plan.call_sites.empty());
}

// ---- hostile files -------------------------------------------------------------------

TestElf typical() {
    TestElf elf;
    elf.eh_frame = true;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});   // direct
    elf.code.function({XOR_EAX_EAX, SYSCALL, RET});  // through %rax
    elf.code.function({MOV_RDI_RAX, SYSCALL, RET});  // number unknown
    return elf;
}

// Plans for exactly `size` bytes on the heap (so that ASan sees any over-read), then
// checks the plan only ever points inside them.
void plan_is_contained(const Bytes& file) {
    auto copy = std::make_unique<uint8_t[]>(file.size());
    if (!file.empty()) std::memcpy(copy.get(), file.data(), file.size());
    RewritePlan plan = plan_syscall_rewrites({copy.get(), file.size()});
    for (const auto& patch : plan.patches) ASSERT_LE(patch.file_offset + patch.length, file.size());
    EXPECT_EQ(plan.call_sites.size(), plan.stats.through_rax);
    EXPECT_EQ(plan.patches.size(), plan.stats.direct + plan.stats.through_rax);
    EXPECT_EQ(plan.stats.sites, plan.stats.direct + plan.stats.through_rax + plan.stats.trapping());
    for (const auto& patch : plan.patches) EXPECT_TRUE(patch.length == 2 || patch.length == 5 || patch.length == 7);
    EXPECT_TRUE(std::is_sorted(plan.call_sites.begin(), plan.call_sites.end()));
    apply_syscall_rewrites(plan, {copy.get(), file.size()});
}

TEST(SyscallRewriterHostile, NotAnElfGivesAnEmptyPlan) {
    Bytes junk(100, 0x0f);
    RewritePlan plan = plan_syscall_rewrites(junk);
    EXPECT_TRUE(plan.patches.empty());
    EXPECT_EQ(plan.stats.sites, 0u);
    EXPECT_TRUE(plan_syscall_rewrites({}).patches.empty());
}

TEST(SyscallRewriterHostile, EveryTruncation) {
    TestElf elf = typical();
    Bytes file = elf.build();
    RewritePlan whole = plan_syscall_rewrites(file);
    EXPECT_EQ(whole.stats.sites, 3u);
    EXPECT_EQ(whole.stats.direct, 1u);
    EXPECT_EQ(whole.stats.through_rax, 1u);
    EXPECT_EQ(whole.stats.number_unknown, 1u);
    for (size_t size = 0; size <= file.size(); ++size) plan_is_contained(Bytes(file.begin(), file.begin() + size));
}

TEST(SyscallRewriterHostile, SectionHeadersPastTheEndOrHuge) {
    TestElf elf = typical();
    Bytes file = elf.build();
    Elf64_Ehdr header;
    std::memcpy(&header, file.data(), sizeof header);
    for (uint64_t shoff : {uint64_t{file.size()}, uint64_t{file.size() - 8}, ~uint64_t{0}, ~uint64_t{0} - 63}) {
        Bytes bad = file;
        Elf64_Ehdr h = header;
        h.e_shoff = shoff;
        write_value(bad, 0, h);
        plan_is_contained(bad);
    }
    Bytes bad = file;
    Elf64_Ehdr h = header;
    h.e_shnum = 0xffff;
    h.e_shstrndx = 0xfffe;
    write_value(bad, 0, h);
    plan_is_contained(bad);
    // Every section's offset and size, in turn, past the end of the file or huge.
    for (uint16_t i = 1; i < header.e_shnum; ++i) {
        size_t at = header.e_shoff + i * sizeof(Elf64_Shdr);
        for (auto [offset, size] : {std::pair<uint64_t, uint64_t>{file.size() + 1, 16},
                                    {16, ~uint64_t{0}},
                                    {~uint64_t{0} - 7, 16},
                                    {0, file.size() + 1}}) {
            Bytes mutated = file;
            Elf64_Shdr section;
            std::memcpy(&section, mutated.data() + at, sizeof section);
            section.sh_offset = offset;
            section.sh_size = size;
            write_value(mutated, at, section);
            plan_is_contained(mutated);
        }
    }
}

TEST(SyscallRewriterHostile, BogusEhFrameMeansNoRanges) {
    TestElf elf = typical();
    elf.symbols = false;
    Bytes file = elf.build();
    auto layout = ehyve::read_elf_layout(file);
    ASSERT_TRUE(layout);
    ASSERT_EQ(ehyve::eh_frame_function_ranges(file, *layout).size(), 3u);
    // Find .eh_frame through its section header (the third).
    Elf64_Ehdr header;
    std::memcpy(&header, file.data(), sizeof header);
    Elf64_Shdr eh;
    std::memcpy(&eh, file.data() + header.e_shoff + 2 * sizeof eh, sizeof eh);
    const uint64_t cie = eh.sh_offset, fde = eh.sh_offset + 0x18;
    struct Mutation {
        uint64_t at;
        uint32_t value;
    };
    for (Mutation m : std::initializer_list<Mutation>{
             {cie, 0xfffffff0},      // CIE length past the end
             {cie, 0xffffffff},      // 64-bit length, then garbage
             {fde, 0x7fffffff},      // FDE length past the end
             {fde + 4, 0x1000},      // CIE pointer before the section
             {fde + 4, 0x10},        // CIE pointer into the middle of the CIE
             {cie + 9, 0x0052587a},  // augmentation "zXR": unknown letter
             {cie + 8, 0x00005201},  // version 1, augmentation "R" without z
         }) {
        Bytes bad = file;
        write_value(bad, m.at, m.value);
        SCOPED_TRACE(m.at - cie);
        auto bad_layout = ehyve::read_elf_layout(bad);
        ASSERT_TRUE(bad_layout);
        EXPECT_TRUE(ehyve::eh_frame_function_ranges(bad, *bad_layout).empty());
        RewritePlan plan = plan_syscall_rewrites(bad);
        EXPECT_TRUE(plan.patches.empty());
        EXPECT_EQ(plan.stats.no_function, 3u);
    }
}

TEST(SyscallRewriterHostile, BogusSearchTableMeansNoRanges) {
    TestElf elf = typical();
    elf.symbols = false;
    elf.section_headers = false;
    Bytes file = elf.build();
    auto layout = ehyve::read_elf_layout(file);
    ASSERT_TRUE(layout && layout->eh_frame_header_address);
    const uint64_t table = *layout->eh_frame_header_address - (elf.text_address - text_offset);
    for (auto [at, value] : {std::pair<uint64_t, uint32_t>{8, 0x7fffffff},  // huge FDE count
                             {4, 0x7ffffff0},                               // .eh_frame far away
                             {16, 0x40000000},                              // FDE address outside
                             {12, 0x12345}}) {                              // initial location mismatch
        Bytes bad = file;
        write_value(bad, table + at, value);
        EXPECT_TRUE(ehyve::eh_frame_function_ranges(bad, *layout).empty());
        plan_is_contained(bad);
    }
}

TEST(SyscallRewriterHostile, OverlappingSymbolsAndHugeRanges) {
    TestElf elf;
    elf.code.function({MOV_EAX(1), SYSCALL, RET});
    for (int i = 0; i < 2000; ++i) elf.code.functions.push_back({0, 8});        // duplicates
    for (uint64_t i = 1; i < 8; ++i) elf.code.functions.push_back({0, 8 + i});  // past the segment: "other"
    Outcome out = rewrite(elf);
    expect_untouched(out);
    EXPECT_EQ(out.plan.stats.other, 1u);
}

TEST(SyscallRewriterHostile, RandomMutations) {
    TestElf elf = typical();
    Bytes file = elf.build();
    uint64_t state = 0x9e3779b97f4a7c15;
    auto next = [&] {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    };
    for (int round = 0; round < 3000; ++round) {
        Bytes bad = file;
        for (int k = 0; k < 4; ++k) {
            size_t at = next() % bad.size();
            // Favour the headers and the frame tables, where the structure is.
            if (k % 2 == 0) at = next() % 0x200;
            bad[at] = static_cast<uint8_t>(next());
        }
        plan_is_contained(bad);
    }
}

TEST(SyscallRewriterHostile, ApplySkipsPatchesOutsideTheFile) {
    RewritePlan plan;
    ehyve::SyscallPatch patch;
    patch.file_offset = 10;
    patch.length = 2;
    patch.bytes[0] = 0xff;
    patch.bytes[1] = 0xd0;
    plan.patches.push_back(patch);
    patch.file_offset = ~uint64_t{0};
    plan.patches.push_back(patch);
    Bytes file(11, 0);
    apply_syscall_rewrites(plan, file);
    EXPECT_EQ(file, Bytes(11, 0));
}

// ---- real binaries -------------------------------------------------------------------

// Every patch either writes ff d0 over a syscall that is listed in call_sites, or
// replaces a `mov $NR,%eax` (b8) / `mov $NR,%rax` (48 c7 c0) with a call (e8 rel32,
// after 66 90 for the latter) to stub NR, and the syscall behind it stays in the
// patched file.
void check_real_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) GTEST_SKIP() << path << " is not installed";
    Bytes file((std::istreambuf_iterator<char>(in)), {});
    RewritePlan plan = plan_syscall_rewrites(file);
    auto layout = ehyve::read_elf_layout(file);
    ASSERT_TRUE(layout);
    const auto& s = plan.stats;
    EXPECT_GT(s.sites, 0u);
    EXPECT_GT(s.direct, 0u);
    EXPECT_EQ(s.sites, s.direct + s.through_rax + s.trapping());
    EXPECT_EQ(plan.patches.size(), s.direct + s.through_rax);
    EXPECT_EQ(plan.call_sites.size(), s.through_rax);
    EXPECT_TRUE(std::is_sorted(plan.call_sites.begin(), plan.call_sites.end()));
    Bytes after = file;
    apply_syscall_rewrites(plan, after);
    const uint64_t stubs = eremite::abi::syscall_stub_region_address(layout->image_end);
    auto address_of = [&](uint64_t file_offset) -> uint64_t {
        for (const auto& segment : layout->segments)
            if ((segment.flags & PF_X) && file_offset >= segment.file_offset &&
                file_offset < segment.file_offset + segment.file_size)
                return segment.address + (file_offset - segment.file_offset);
        ADD_FAILURE() << "patch at file offset " << file_offset << " outside every executable segment";
        return 0;
    };
    std::vector<uint64_t> lone_sites;
    uint64_t written_up_to = 0, direct = 0;
    for (const auto& patch : plan.patches) {
        const uint64_t at = patch.file_offset;
        EXPECT_GE(at, written_up_to);  // ascending, never overlapping
        written_up_to = at + patch.length;
        ASSERT_LE(at + patch.length + 2, file.size());
        const uint64_t address = address_of(at);
        if (patch.length == 2) {
            lone_sites.push_back(address);
            EXPECT_EQ(file[at], 0x0f);
            EXPECT_EQ(file[at + 1], 0x05);
            EXPECT_EQ(after[at], 0xff);
            EXPECT_EQ(after[at + 1], 0xd0);
            continue;
        }
        ASSERT_TRUE(patch.length == 5 || patch.length == 7) << int{patch.length};
        ++direct;
        const size_t call = patch.length == 7 ? 2 : 0;
        uint32_t number;
        if (call) {
            EXPECT_EQ(Bytes(file.begin() + static_cast<ptrdiff_t>(at), file.begin() + static_cast<ptrdiff_t>(at + 3)),
                      (Bytes{0x48, 0xc7, 0xc0}));
            std::memcpy(&number, file.data() + at + 3, 4);
            EXPECT_EQ(after[at], 0x66);
            EXPECT_EQ(after[at + 1], 0x90);
        } else {
            EXPECT_EQ(file[at], 0xb8);
            std::memcpy(&number, file.data() + at + 1, 4);
        }
        EXPECT_LT(number, eremite::abi::syscall_stub_count);
        EXPECT_EQ(after[at + call], 0xe8);
        int32_t rel32;
        std::memcpy(&rel32, after.data() + at + call + 1, 4);
        const uint64_t target = address + call + 5 + static_cast<uint64_t>(int64_t{rel32});
        EXPECT_EQ(target, stubs + number * eremite::abi::syscall_stub_stride);
        // The syscall after the mov is still there, in both files.
        EXPECT_EQ(file[at + patch.length], 0x0f);
        EXPECT_EQ(file[at + patch.length + 1], 0x05);
        EXPECT_EQ(after[at + patch.length], 0x0f);
        EXPECT_EQ(after[at + patch.length + 1], 0x05);
    }
    EXPECT_EQ(direct, s.direct);
    std::sort(lone_sites.begin(), lone_sites.end());
    EXPECT_EQ(lone_sites, plan.call_sites);
    std::printf(
        "%s: %lu sites, %lu direct, %lu through %%rax, %lu trapping (red zone %lu, number unknown %lu, no function "
        "%lu, undecodable %lu, other %lu)\n",
        path.c_str(), s.sites, s.direct, s.through_rax, s.trapping(), s.red_zone, s.number_unknown, s.no_function,
        s.undecodable, s.other);
}

TEST(SyscallRewriterRealFiles, Busybox) { check_real_file("/bin/busybox"); }

#ifdef EREMITE_TEST_EHYVE_PATH
TEST(SyscallRewriterRealFiles, Ehyve) { check_real_file(EREMITE_TEST_EHYVE_PATH); }
#endif

}  // namespace
