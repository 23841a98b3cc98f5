// Writes hostile inputs for ehyve, derived from one valid static x86_64 executable.
//
//   gen_bad_elf VALID_STATIC_ELF OUTDIR
//
// Each output differs from the valid executable in one way only, so that ehyve's
// loader has exactly one reason to refuse it.
#include <elf.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

[[noreturn]] void die(const std::string& msg)
{
    std::fprintf(stderr, "gen_bad_elf: %s\n", msg.c_str());
    std::exit(1);
}

Bytes read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        die("cannot open " + path);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const Bytes& data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out)
        die("cannot write " + path);
    out.close();
    // executable, so that the defect written into the file is its only one
    if (chmod(path.c_str(), 0755) != 0)
        die("cannot chmod " + path);
}

Elf64_Ehdr header(const Bytes& f)
{
    Elf64_Ehdr eh;
    std::memcpy(&eh, f.data(), sizeof eh);
    return eh;
}

void put_header(Bytes& f, const Elf64_Ehdr& eh) { std::memcpy(f.data(), &eh, sizeof eh); }

Elf64_Phdr phdr(const Bytes& f, unsigned i)
{
    Elf64_Ehdr eh = header(f);
    Elf64_Phdr ph;
    std::memcpy(&ph, f.data() + eh.e_phoff + std::size_t{i} * eh.e_phentsize, sizeof ph);
    return ph;
}

void put_phdr(Bytes& f, unsigned i, const Elf64_Phdr& ph)
{
    Elf64_Ehdr eh = header(f);
    std::memcpy(f.data() + eh.e_phoff + std::size_t{i} * eh.e_phentsize, &ph, sizeof ph);
}

// Indices of the PT_LOAD program headers, in table order.
std::vector<unsigned> loads(const Bytes& f)
{
    std::vector<unsigned> out;
    for (unsigned i = 0; i < header(f).e_phnum; ++i)
        if (phdr(f, i).p_type == PT_LOAD)
            out.push_back(i);
    return out;
}

void check_valid(const Bytes& f)
{
    if (f.size() < sizeof(Elf64_Ehdr) || std::memcmp(f.data(), ELFMAG, SELFMAG) != 0)
        die("input is not an ELF file");
    Elf64_Ehdr eh = header(f);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
        die("input is not an x86_64 ELF64 file");
    if (eh.e_type != ET_EXEC)
        die("input is not a non-PIE static executable (ET_EXEC)");
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff + std::uint64_t{eh.e_phnum} * eh.e_phentsize > f.size())
        die("input has an unexpected program header table");
    for (unsigned i = 0; i < eh.e_phnum; ++i)
        if (phdr(f, i).p_type == PT_INTERP)
            die("input is dynamically linked");
    if (loads(f).size() < 2)
        die("input has fewer than two PT_LOAD segments");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
        die("usage: gen_bad_elf VALID_STATIC_ELF OUTDIR");
    const Bytes valid = read_file(argv[1]);
    const std::string dir = argv[2];
    check_valid(valid);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        die("cannot create " + dir);
    auto out = [&](const char* name, const Bytes& data) { write_file(dir + "/" + name, data); };

    // Not ELF at all.
    out("empty", Bytes{});
    const char text[] = "#!/bin/sh\necho this is a text file, not an executable\n";
    out("text", Bytes(text, text + sizeof text - 1));
    if (mkdir((dir + "/a_directory").c_str(), 0755) != 0 && errno != EEXIST)
        die("cannot create " + dir + "/a_directory");

    // Cut inside the ELF header (which is 64 bytes long).
    out("truncated", Bytes(valid.begin(), valid.begin() + 40));

    const std::vector<unsigned> load = loads(valid);
    const unsigned first = load.front(), second = load[1], last = load.back();

    {   // EI_CLASS says ELFCLASS32.
        Bytes f = valid;
        f[EI_CLASS] = ELFCLASS32;
        out("class32", f);
    }
    {   // Another machine.
        Bytes f = valid;
        Elf64_Ehdr eh = header(f);
        eh.e_machine = EM_AARCH64;
        put_header(f, eh);
        out("aarch64", f);
    }
    {   // Program header table far beyond the end of the file.
        Bytes f = valid;
        Elf64_Ehdr eh = header(f);
        eh.e_phoff = std::uint64_t{1} << 44;
        put_header(f, eh);
        out("phoff_huge", f);
    }
    {   // e_phoff + e_phnum * e_phentsize wraps around 2^64.
        Bytes f = valid;
        Elf64_Ehdr eh = header(f);
        eh.e_phoff = UINT64_MAX - 8;
        put_header(f, eh);
        out("phoff_overflow", f);
    }
    {   // The last PT_LOAD's file bytes run past the end of the file (memsz grows as
        // well, so filesz <= memsz still holds and nothing new overlaps).
        Bytes f = valid;
        Elf64_Phdr ph = phdr(f, last);
        const std::uint64_t grow = (valid.size() + 0xfff) & ~std::uint64_t{0xfff};
        ph.p_filesz += grow;
        ph.p_memsz += grow;
        put_phdr(f, last, ph);
        out("load_outside", f);
    }
    {   // p_filesz > p_memsz in a segment that stays inside the file.
        Bytes f = valid;
        unsigned victim = first;
        for (unsigned i : load)
            if (phdr(f, i).p_filesz >= 2) {
                victim = i;
                break;
            }
        Elf64_Phdr ph = phdr(f, victim);
        if (ph.p_filesz < 2)
            die("no PT_LOAD with file contents");
        ph.p_memsz = ph.p_filesz - 1;
        put_phdr(f, victim, ph);
        out("filesz_gt_memsz", f);
    }
    {   // The second PT_LOAD moved onto the first. Its vaddr keeps p_offset's remainder
        // modulo p_align when that still lands inside the first segment.
        Bytes f = valid;
        const Elf64_Phdr a = phdr(f, first);
        Elf64_Phdr b = phdr(f, second);
        const std::uint64_t align = b.p_align > 1 ? b.p_align : 1;
        std::uint64_t vaddr = (a.p_vaddr & ~(align - 1)) + (b.p_offset & (align - 1));
        if (vaddr < a.p_vaddr)
            vaddr += align;
        if (vaddr >= a.p_vaddr + a.p_memsz)
            vaddr = a.p_vaddr;
        b.p_vaddr = vaddr;
        b.p_paddr = vaddr;
        put_phdr(f, second, b);
        out("overlap", f);
    }
    {   // A 64 TiB segment.
        Bytes f = valid;
        Elf64_Phdr ph = phdr(f, last);
        ph.p_memsz = std::uint64_t{1} << 46;
        put_phdr(f, last, ph);
        out("huge_memsz", f);
    }
    return 0;
}
