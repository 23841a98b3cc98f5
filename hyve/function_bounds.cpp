// Function ranges of an untrusted ELF file: `.eh_frame` FDEs (System V x86-64 psABI
// 4.2.4, LSB 5.0 "Exception Frames") and sized function symbols. Every read goes
// through ByteReader, which checks the bounds; a table that fails any check gives no
// ranges at all, because a half-parsed table could as well give wrong ones.
#include "function_bounds.hpp"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>

namespace ehyve {

namespace {

// DWARF exception-header pointer encodings (LSB 5.0, 10.5).
constexpr uint8_t pe_absptr = 0x00, pe_uleb128 = 0x01, pe_udata2 = 0x02, pe_udata4 = 0x03, pe_udata8 = 0x04,
                  pe_sleb128 = 0x09, pe_sdata2 = 0x0a, pe_sdata4 = 0x0b, pe_sdata8 = 0x0c;
constexpr uint8_t pe_pcrel = 0x10, pe_datarel = 0x30;
constexpr uint8_t pe_omit = 0xff;

// Bytes at a known link-time address, read forward with every access checked.
class ByteReader {
public:
    ByteReader(std::span<const uint8_t> bytes, uint64_t address, size_t position = 0)
        : bytes_(bytes), address_(address), position_(position) {}

    bool ok() const { return ok_; }
    size_t position() const { return position_; }
    uint64_t address() const { return address_ + position_; }
    size_t remaining() const { return position_ <= bytes_.size() ? bytes_.size() - position_ : 0; }

    template <typename T>
    T fixed() {
        T value{};
        if (!ok_ || remaining() < sizeof(T)) {
            ok_ = false;
            return value;
        }
        std::memcpy(&value, bytes_.data() + position_, sizeof(T));
        position_ += sizeof(T);
        return value;
    }
    void skip(uint64_t count) {
        if (!ok_ || count > remaining()) {
            ok_ = false;
            return;
        }
        position_ += count;
    }
    uint64_t uleb128() {
        unsigned bits;
        uint8_t last;
        return leb128(bits, last);
    }
    int64_t sleb128() {
        unsigned bits;
        uint8_t last;
        uint64_t result = leb128(bits, last);
        if (bits < 64 && (last & 0x40)) result |= ~uint64_t{0} << bits;  // sign-extend
        return static_cast<int64_t>(result);
    }
    std::string_view c_string() {
        if (!ok_) return {};
        auto start = bytes_.begin() + static_cast<ptrdiff_t>(position_);
        auto nul = std::find(start, bytes_.end(), uint8_t{0});
        if (nul == bytes_.end()) {
            ok_ = false;
            return {};
        }
        std::string_view text(reinterpret_cast<const char*>(&*start), static_cast<size_t>(nul - start));
        position_ += text.size() + 1;
        return text;
    }
    // A pointer in `encoding`; `datarel_base` is what DW_EH_PE_datarel is relative to
    // (the search table's start), when that makes sense where the pointer lies.
    uint64_t encoded(uint8_t encoding, std::optional<uint64_t> datarel_base = std::nullopt) {
        if (encoding == pe_omit || (encoding & 0x80)) {  // indirect: would need a load
            ok_ = false;
            return 0;
        }
        uint64_t field = address();
        uint64_t value = 0;
        switch (encoding & 0x0f) {
            case pe_absptr:
            case pe_udata8:
            case pe_sdata8: value = fixed<uint64_t>(); break;
            case pe_uleb128: value = uleb128(); break;
            case pe_udata2: value = fixed<uint16_t>(); break;
            case pe_udata4: value = fixed<uint32_t>(); break;
            case pe_sleb128: value = static_cast<uint64_t>(sleb128()); break;
            case pe_sdata2: value = static_cast<uint64_t>(int64_t{fixed<int16_t>()}); break;
            case pe_sdata4: value = static_cast<uint64_t>(int64_t{fixed<int32_t>()}); break;
            default: ok_ = false; return 0;
        }
        switch (encoding & 0x70) {
            case 0: break;
            case pe_pcrel: value += field; break;
            case pe_datarel:
                if (!datarel_base) ok_ = false;
                value += datarel_base.value_or(0);
                break;
            default: ok_ = false; break;  // textrel, funcrel, aligned: not emitted for x86-64
        }
        return ok_ ? value : 0;
    }

private:
    // LEB128's 7-bit groups, low first; `bits` is how many it held, `last` its last byte.
    uint64_t leb128(unsigned& bits, uint8_t& last) {
        uint64_t result = 0;
        for (bits = 0;; bits += 7) {
            last = fixed<uint8_t>();
            if (!ok_ || bits > 63) {
                ok_ = false;
                return 0;
            }
            result |= uint64_t{last & 0x7fu} << bits;
            if (!(last & 0x80)) {
                bits += 7;
                return result;
            }
        }
    }

    std::span<const uint8_t> bytes_;
    uint64_t address_;
    size_t position_;
    bool ok_ = true;
};

struct CommonInformationEntry {
    uint8_t fde_encoding = pe_absptr;
    bool has_augmentation_data = false;  // "z": FDEs carry a length-prefixed augmentation
};

// Parses the CFI records of one `.eh_frame` (bytes at link-time address `address`).
class EhFrameParser {
public:
    EhFrameParser(std::span<const uint8_t> bytes, uint64_t address) : bytes_(bytes), address_(address) {}

    // Every FDE, in order, up to the zero terminator or the end of the bytes.
    bool parse_all(std::vector<AddressRange>& ranges) {
        size_t offset = 0;
        while (bytes_.size() - offset >= 4) {
            ByteReader reader(bytes_, address_, offset);
            uint32_t length = reader.fixed<uint32_t>();
            if (length == 0) return true;  // terminator
            Record record;
            if (!read_record(offset, record)) return false;
            if (!record.is_cie) {
                AddressRange range;
                if (!parse_fde(record, range)) return false;
                if (range.end > range.start && range.start != 0) ranges.push_back(range);
            }
            offset = record.end;
        }
        return offset == bytes_.size();
    }

    // The FDE at `offset` (from a search table).
    bool parse_fde_at(size_t offset, AddressRange& range) {
        Record record;
        if (offset >= bytes_.size() || !read_record(offset, record) || record.is_cie) return false;
        return parse_fde(record, range);
    }

private:
    struct Record {
        size_t end = 0;        // offset past the record
        size_t id_offset = 0;  // offset of the CIE id / CIE pointer field
        size_t body = 0;       // offset past that field
        uint64_t id = 0;
        bool is_cie = false;
    };

    bool read_record(size_t offset, Record& record) {
        ByteReader reader(bytes_, address_, offset);
        uint64_t length = reader.fixed<uint32_t>();
        bool wide = length == 0xffffffffu;
        if (wide) length = reader.fixed<uint64_t>();
        if (!reader.ok() || length > reader.remaining()) return false;
        record.end = reader.position() + static_cast<size_t>(length);
        record.id_offset = reader.position();
        record.id = wide ? reader.fixed<uint64_t>() : reader.fixed<uint32_t>();
        record.body = reader.position();
        record.is_cie = record.id == 0;
        return reader.ok() && record.body <= record.end;
    }

    bool parse_cie(size_t offset, CommonInformationEntry& cie) {
        if (auto cached = cies_.find(offset); cached != cies_.end()) {
            cie = cached->second;
            return true;
        }
        Record record;
        if (!read_record(offset, record) || !record.is_cie) return false;
        ByteReader reader(bytes_.first(record.end), address_, record.body);
        uint8_t version = reader.fixed<uint8_t>();
        if (version != 1 && version != 3) return false;
        std::string_view augmentation = reader.c_string();
        if (augmentation.find("eh") != std::string_view::npos) reader.skip(8);  // old GCC's eh_ptr
        reader.uleb128();                                                       // code alignment
        reader.sleb128();                                                       // data alignment
        if (version == 1) {
            reader.fixed<uint8_t>();
        } else {
            reader.uleb128();  // return address register
        }
        CommonInformationEntry result;
        if (!augmentation.empty() && augmentation[0] == 'z') {
            result.has_augmentation_data = true;
            uint64_t data_length = reader.uleb128();
            if (!reader.ok() || data_length > reader.remaining()) return false;
            ByteReader data(bytes_.first(reader.position() + static_cast<size_t>(data_length)), address_,
                            reader.position());
            for (char c : augmentation.substr(1)) {
                switch (c) {
                    case 'R': result.fde_encoding = data.fixed<uint8_t>(); break;
                    case 'L': data.fixed<uint8_t>(); break;
                    case 'P': {
                        // The personality routine's pointer is only skipped, so an indirect
                        // one (DW_EH_PE_indirect, as gcc emits) is read as a plain value.
                        uint8_t encoding = data.fixed<uint8_t>();
                        data.encoded(encoding == pe_omit ? encoding : encoding & 0x7f);
                        break;
                    }
                    case 'S':
                    case 'B': break;
                    default: return false;  // unknown: cannot know where 'R' would be
                }
            }
            if (!data.ok()) return false;
        } else if (!augmentation.empty()) {
            return false;  // augmentation without 'z' has no length: unparseable
        }
        if (!reader.ok()) return false;
        cies_.emplace(offset, result);
        cie = result;
        return true;
    }

    bool parse_fde(const Record& record, AddressRange& range) {
        if (record.id > record.id_offset) return false;  // CIE pointer before the section
        CommonInformationEntry cie;
        if (!parse_cie(record.id_offset - static_cast<size_t>(record.id), cie)) return false;
        ByteReader reader(bytes_.first(record.end), address_, record.body);
        uint64_t start = reader.encoded(cie.fde_encoding);
        uint64_t size = reader.encoded(cie.fde_encoding & 0x0f);  // the range is absolute
        if (!reader.ok() || size > ~start) return false;
        range = AddressRange{start, start + size};
        return true;
    }

    std::span<const uint8_t> bytes_;
    uint64_t address_;
    std::map<size_t, CommonInformationEntry> cies_;
};

std::optional<Elf64_Ehdr> read_header(std::span<const uint8_t> file) {
    Elf64_Ehdr header;
    if (file.size() < sizeof header) return std::nullopt;
    std::memcpy(&header, file.data(), sizeof header);
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64 ||
        header.e_ident[EI_DATA] != ELFDATA2LSB || header.e_machine != EM_X86_64 ||
        (header.e_type != ET_EXEC && header.e_type != ET_DYN))
        return std::nullopt;
    return header;
}

bool inside(std::span<const uint8_t> file, uint64_t offset, uint64_t size) {
    return offset <= file.size() && size <= file.size() - offset;
}

struct SectionTable {
    std::vector<Elf64_Shdr> sections;
    std::span<const uint8_t> names;  // the section name string table, or empty

    std::string_view name(const Elf64_Shdr& section) const {
        if (section.sh_name >= names.size()) return {};
        auto nul = std::find(names.begin() + section.sh_name, names.end(), uint8_t{0});
        if (nul == names.end()) return {};
        return {reinterpret_cast<const char*>(names.data()) + section.sh_name,
                static_cast<size_t>(nul - (names.begin() + section.sh_name))};
    }
};

SectionTable read_section_headers(std::span<const uint8_t> file) {
    SectionTable table;
    auto header = read_header(file);
    if (!header || header->e_shoff == 0 || header->e_shnum == 0 || header->e_shentsize != sizeof(Elf64_Shdr))
        return table;
    uint64_t size = uint64_t{header->e_shnum} * sizeof(Elf64_Shdr);
    if (!inside(file, header->e_shoff, size)) return table;
    table.sections.resize(header->e_shnum);
    std::memcpy(table.sections.data(), file.data() + header->e_shoff, size);
    if (header->e_shstrndx < table.sections.size()) {
        const Elf64_Shdr& names = table.sections[header->e_shstrndx];
        if (names.sh_type == SHT_STRTAB && inside(file, names.sh_offset, names.sh_size))
            table.names = file.subspan(names.sh_offset, names.sh_size);
    }
    return table;
}

// The file bytes from link-time `address` to the end of its segment's file part.
std::span<const uint8_t> bytes_from(std::span<const uint8_t> file, const ElfLayout& layout, uint64_t address) {
    for (const auto& s : layout.segments)
        if (address >= s.address && address - s.address < s.file_size)
            return file.subspan(s.file_offset + (address - s.address), s.file_size - (address - s.address));
    return {};
}

void sort_and_deduplicate(std::vector<AddressRange>& ranges) {
    std::sort(ranges.begin(), ranges.end());
    ranges.erase(std::unique(ranges.begin(), ranges.end()), ranges.end());
}

std::vector<AddressRange> ranges_from_search_table(std::span<const uint8_t> file, const ElfLayout& layout) {
    uint64_t header_address = *layout.eh_frame_header_address;
    ByteReader reader(bytes_from(file, layout, header_address), header_address);
    uint8_t version = reader.fixed<uint8_t>();
    uint8_t eh_frame_encoding = reader.fixed<uint8_t>();
    uint8_t count_encoding = reader.fixed<uint8_t>();
    uint8_t table_encoding = reader.fixed<uint8_t>();
    if (version != 1) return {};
    uint64_t eh_frame_address = reader.encoded(eh_frame_encoding, header_address);
    uint64_t count = reader.encoded(count_encoding, header_address);
    if (!reader.ok() || count > reader.remaining() / 2) return {};
    EhFrameParser parser(bytes_from(file, layout, eh_frame_address), eh_frame_address);
    std::vector<AddressRange> ranges;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t initial_location = reader.encoded(table_encoding, header_address);
        uint64_t fde_address = reader.encoded(table_encoding, header_address);
        if (!reader.ok() || fde_address < eh_frame_address) return {};
        AddressRange range;
        if (!parser.parse_fde_at(fde_address - eh_frame_address, range) || range.start != initial_location) return {};
        if (range.end > range.start && range.start != 0) ranges.push_back(range);
    }
    return ranges;
}

}  // namespace

std::optional<ElfLayout> read_elf_layout(std::span<const uint8_t> file) {
    auto header = read_header(file);
    if (!header || header->e_phentsize != sizeof(Elf64_Phdr) || header->e_phnum == 0) return std::nullopt;
    uint64_t table_size = uint64_t{header->e_phnum} * sizeof(Elf64_Phdr);
    if (!inside(file, header->e_phoff, table_size)) return std::nullopt;
    ElfLayout layout;
    for (uint16_t i = 0; i < header->e_phnum; ++i) {
        Elf64_Phdr ph;
        std::memcpy(&ph, file.data() + header->e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_GNU_EH_FRAME) layout.eh_frame_header_address = ph.p_vaddr;
        if (ph.p_type != PT_LOAD) continue;
        if (ph.p_filesz > ph.p_memsz || !inside(file, ph.p_offset, ph.p_filesz) || ph.p_memsz > ~ph.p_vaddr)
            return std::nullopt;
        layout.segments.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
        layout.image_end = std::max(layout.image_end, ph.p_vaddr + ph.p_memsz);
    }
    if (layout.segments.empty()) return std::nullopt;
    return layout;
}

std::optional<uint64_t> file_offset_of(const ElfLayout& layout, uint64_t address, uint64_t length) {
    for (const auto& s : layout.segments) {
        if (address < s.address || address - s.address > s.file_size || length > s.file_size - (address - s.address))
            continue;
        return s.file_offset + (address - s.address);
    }
    return std::nullopt;
}

std::vector<AddressRange> eh_frame_function_ranges(std::span<const uint8_t> file, const ElfLayout& layout) {
    std::vector<AddressRange> ranges;
    SectionTable table = read_section_headers(file);
    if (table.sections.empty()) {
        if (layout.eh_frame_header_address) ranges = ranges_from_search_table(file, layout);
    } else {
        for (const auto& section : table.sections) {
            if (section.sh_type != SHT_PROGBITS || table.name(section) != ".eh_frame") continue;
            if (!inside(file, section.sh_offset, section.sh_size)) return {};
            EhFrameParser parser(file.subspan(section.sh_offset, section.sh_size), section.sh_addr);
            std::vector<AddressRange> found;
            if (!parser.parse_all(found)) return {};
            ranges.insert(ranges.end(), found.begin(), found.end());
        }
    }
    sort_and_deduplicate(ranges);
    return ranges;
}

std::vector<AddressRange> symbol_function_ranges(std::span<const uint8_t> file) {
    std::vector<AddressRange> ranges;
    for (const auto& section : read_section_headers(file).sections) {
        if (section.sh_type != SHT_SYMTAB && section.sh_type != SHT_DYNSYM) continue;
        if (!inside(file, section.sh_offset, section.sh_size)) continue;
        if (section.sh_entsize != 0 && section.sh_entsize != sizeof(Elf64_Sym)) continue;
        uint64_t count = section.sh_size / sizeof(Elf64_Sym);
        for (uint64_t i = 0; i < count; ++i) {
            Elf64_Sym symbol;
            std::memcpy(&symbol, file.data() + section.sh_offset + i * sizeof symbol, sizeof symbol);
            unsigned type = ELF64_ST_TYPE(symbol.st_info);
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || symbol.st_size == 0 || symbol.st_shndx == SHN_UNDEF ||
                symbol.st_value == 0 || symbol.st_size > ~symbol.st_value)
                continue;
            ranges.push_back({symbol.st_value, symbol.st_value + symbol.st_size});
        }
    }
    sort_and_deduplicate(ranges);
    return ranges;
}

std::vector<AddressRange> find_function_ranges(std::span<const uint8_t> file, const ElfLayout& layout) {
    std::vector<AddressRange> ranges = eh_frame_function_ranges(file, layout);
    std::vector<AddressRange> symbols = symbol_function_ranges(file);
    ranges.insert(ranges.end(), symbols.begin(), symbols.end());
    sort_and_deduplicate(ranges);
    return ranges;
}

}  // namespace ehyve
