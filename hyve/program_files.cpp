#include "program_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "error.hpp"

namespace ehyve {

using namespace eremite;

namespace {

void read_exactly(int fd, uint8_t* destination, uint64_t size, const std::string& path) {
    uint64_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, destination + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_errno(path);
        if (n == 0) fail(path + ": the file shrank while it was being read");
        done += static_cast<uint64_t>(n);
    }
}

}  // namespace

std::string beside_ehyve(const std::string& name, const std::string& option) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) fail_errno("cannot find ehyve's own path to locate " + name + " (use " + option + ")");
    self[n] = 0;
    std::string directory(self);
    directory.resize(directory.rfind('/') + 1);
    return directory + name;
}

std::string default_kernel_path() { return beside_ehyve("eremite-kernel", "--kernel"); }

KernelImage read_kernel(const std::string& path) {
    FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) fail_errno("kernel image " + path);
    struct stat info;
    if (fstat(fd.get(), &info) < 0) fail_errno("kernel image " + path);
    if (!S_ISREG(info.st_mode)) fail("kernel image " + path + " is not a regular file");
    if (info.st_size > (64 << 20)) fail("kernel image " + path + " is implausibly large");
    KernelImage kernel;
    kernel.bytes.resize(static_cast<size_t>(info.st_size));
    read_exactly(fd.get(), kernel.bytes.data(), kernel.bytes.size(), "kernel image " + path);
    elf::Error error = elf::parse(kernel.bytes.data(), kernel.bytes.size(), elf::Kind::kernel, kernel.elf);
    if (error != elf::Error::none) fail("kernel image " + path + ": " + elf::describe(error));
    for (size_t i = 0; i < kernel.elf.segment_count; ++i) {
        const elf::Segment& s = kernel.elf.segments[i];
        kernel.physical_end = std::max(kernel.physical_end, s.physical_address + s.memory_size);
        if (s.physical_address < 0x200000) fail("kernel image " + path + ": loads below 2 MiB");
    }
    return kernel;
}

void load_kernel(const KernelImage& kernel, const GuestMemory& memory) {
    for (size_t i = 0; i < kernel.elf.segment_count; ++i) {
        const elf::Segment& s = kernel.elf.segments[i];
        auto destination = memory.span(GuestPhysAddr{s.physical_address}, s.memory_size);
        if (!destination) fail("the kernel does not fit in guest memory");
        std::memcpy(destination->data(), kernel.bytes.data() + s.file_offset, s.file_size);
        // The rest (bss) is already zero: guest memory is fresh anonymous memory.
    }
}

AppFile open_app(const std::string& path) {
    AppFile app;
    app.fd = FileDescriptor(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!app.fd.valid()) fail_errno(path);
    struct stat info;
    if (fstat(app.fd.get(), &info) < 0) fail_errno(path);
    if (S_ISDIR(info.st_mode)) fail(path + " is a directory, not a program");
    if (!S_ISREG(info.st_mode)) fail(path + " is not a regular file");
    if (info.st_size == 0) fail(path + ": " + elf::describe(elf::Error::empty));
    app.size = static_cast<uint64_t>(info.st_size);
    char resolved[PATH_MAX];
    app.absolute_path = realpath(path.c_str(), resolved) ? resolved : path;
    return app;
}

InitrdFile open_initrd(const std::string& path) {
    const std::string what = "--initrd " + path;
    InitrdFile initrd;
    initrd.fd = FileDescriptor(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!initrd.fd.valid()) fail_errno(what);
    struct stat info;
    if (fstat(initrd.fd.get(), &info) < 0) fail_errno(what);
    if (!S_ISREG(info.st_mode)) fail(what + " is not a regular file");
    // Not more than any guest could hold (the largest --memory); keeps the layout's sums small.
    if (static_cast<uint64_t>(info.st_size) > (64ull << 30)) fail(what + " is larger than 64G");
    initrd.size = static_cast<uint64_t>(info.st_size);
    // "070701": the newc format (cpio -H newc), the only one Linux's initramfs reads too.
    static constexpr char newc_magic[6] = {'0', '7', '0', '7', '0', '1'};
    uint8_t magic[sizeof newc_magic] = {};
    if (initrd.size >= sizeof magic) read_exactly(initrd.fd.get(), magic, sizeof magic, what);
    if (initrd.size < sizeof magic || std::memcmp(magic, newc_magic, sizeof magic) != 0)
        fail(what + " is not a cpio archive in the newc format (make one with: find . | cpio -o -H newc > FILE)");
    return initrd;
}

void map_and_validate_app(const AppFile& app, const std::string& path, const GuestMemory& memory,
                          GuestPhysAddr address) {
    memory.map_file(address, app.fd.get(), app.size);
    elf::Image image;
    elf::Error error = elf::parse(memory.span(address, app.size)->data(), app.size, elf::Kind::app, image);
    if (error != elf::Error::none) fail(path + ": " + elf::describe(error));
}

}  // namespace ehyve
