// Guest RAM as ehyve sees it: one anonymous mapping, guest-physical 0 at its start. It
// is the only way ehyve touches guest memory: every access names a guest-physical
// address and a length, and is checked against the RAM size (without overflow) before
// any pointer is formed. A hostile guest is an expected input.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

namespace ehyve {

struct GuestPhysAddr {
    uint64_t value = 0;
    constexpr GuestPhysAddr operator+(uint64_t offset) const { return GuestPhysAddr{value + offset}; }
    constexpr auto operator<=>(const GuestPhysAddr&) const = default;
};

class GuestMemory {
public:
    // Reserves `size` bytes; the host backs pages only when they are touched.
    explicit GuestMemory(uint64_t size);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    uint64_t size() const { return size_; }
    void* host_base() const { return base_; }

    bool contains(GuestPhysAddr address, uint64_t length) const {
        return address.value <= size_ && length <= size_ - address.value;
    }

    // The bytes [address, address + length), or nothing when any of them is outside RAM.
    std::optional<std::span<uint8_t>> span(GuestPhysAddr address, uint64_t length) const {
        if (!contains(address, length)) return std::nullopt;
        return std::span<uint8_t>(base_ + address.value, length);
    }

    // A copy of a trivially copyable object, read from RAM (the guest may change the
    // original at any moment; the copy cannot).
    template <typename T>
    std::optional<T> read(GuestPhysAddr address) const {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!contains(address, sizeof(T)) || address.value % alignof(T)) return std::nullopt;
        T value;
        std::memcpy(&value, base_ + address.value, sizeof(T));
        return value;
    }

    template <typename T>
    bool write(GuestPhysAddr address, const T& value) const {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!contains(address, sizeof(T)) || address.value % alignof(T)) return false;
        std::memcpy(base_ + address.value, &value, sizeof(T));
        return true;
    }

    // Backs [address, address + length) with a private mapping of the first `length` bytes
    // of `fd`: the page cache's pages become guest RAM without a copy, and a guest write
    // copies only the page it touches. `address` must be page aligned. Throws HostError
    // naming `what` (the file, as the user knows it).
    void map_file(GuestPhysAddr address, int fd, uint64_t length, const std::string& what = "the app") const;

    // Direct access for ehyve's own structures, at addresses it chose itself; throws
    // HostError when out of range (a bug in ehyve, not in the guest).
    template <typename T>
    T* at(GuestPhysAddr address) const {
        if (!contains(address, sizeof(T))) throw_out_of_range(address);
        return reinterpret_cast<T*>(base_ + address.value);
    }

private:
    [[noreturn]] static void throw_out_of_range(GuestPhysAddr address);
    uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
};

}  // namespace ehyve
