// Reading and validating the two ELF files ehyve starts from: the kernel image and the
// app. Validation is the same code the kernel's loader runs (kernel/loader/elf.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "file_descriptor.hpp"
#include "guest_memory.hpp"
#include "loader/elf.hpp"

namespace ehyve {

struct KernelImage {
    std::vector<uint8_t> bytes;
    eremite::elf::Image elf;
    uint64_t physical_end = 0;  // end of the highest segment in guest-physical memory
};

// Reads and validates the kernel; throws HostError naming the file and the problem.
KernelImage read_kernel(const std::string& path);
// Copies the kernel's segments to their physical load addresses.
void load_kernel(const KernelImage& kernel, const GuestMemory& memory);

struct AppFile {
    FileDescriptor fd;
    uint64_t size = 0;
    std::string absolute_path;
};

// Opens APP and checks it is a non-empty regular file.
AppFile open_app(const std::string& path);
// Maps the file into guest RAM at `address` (no copy) and validates it there.
void map_and_validate_app(const AppFile& app, const std::string& path, const GuestMemory& memory,
                          GuestPhysAddr address);

struct InitrdFile {
    FileDescriptor fd;
    uint64_t size = 0;
};

// Opens the --initrd FILE: a readable regular file that starts with the cpio newc magic
// "070701" (the guest kernel parses the rest, and refuses what it cannot). Throws HostError.
InitrdFile open_initrd(const std::string& path);

// The default kernel: eremite-kernel beside the ehyve executable.
std::string default_kernel_path();
// The path of `name` in ehyve's own directory; `option` is what a user can give instead.
std::string beside_ehyve(const std::string& name, const std::string& option);

}  // namespace ehyve
