#include "guest_memory.hpp"

#include <sys/mman.h>

#include <string>

#include "error.hpp"

namespace ehyve {

GuestMemory::GuestMemory(uint64_t size) : size_(size) {
    void* base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) fail_errno("cannot reserve " + std::to_string(size >> 20) + " MiB of guest memory");
    base_ = static_cast<uint8_t*>(base);
    // Transparent huge pages for guest RAM: one host fault per 2 MiB instead of per 4 KiB
    // (on kvm-pvm this cuts the boot of hello by a third; bench/boot measures it).
    madvise(base, size, MADV_HUGEPAGE);
}

GuestMemory::~GuestMemory() {
    if (base_) munmap(base_, size_);
}

void GuestMemory::map_file(GuestPhysAddr address, int fd, uint64_t length, const std::string& what) const {
    if (!contains(address, length) || address.value % 4096) throw_out_of_range(address);
    void* target = base_ + address.value;
    if (mmap(target, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != target)
        fail_errno("cannot map " + what + " into guest memory");
}

void GuestMemory::throw_out_of_range(GuestPhysAddr address) {
    fail("internal error: guest-physical address " + std::to_string(address.value) + " is outside guest RAM");
}

}  // namespace ehyve
