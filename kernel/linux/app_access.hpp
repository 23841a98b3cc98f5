// Every access the kernel makes to app memory on the app's behalf (the buffers and
// structures that syscalls name by pointer) goes through these functions. A range must
// lie in the app half of the address space; pages not yet present are faulted in; an
// access that the app's mappings forbid (unmapped, read-only, PROT_NONE, or unmapped by
// another thread in the middle of the copy) makes the function fail, and the syscall
// returns EFAULT as on Linux. The copies are fault-tolerant instructions with fixups
// (arch/x86_64/app_copy.S), so checking first and touching later can never race.
//
// The kernel never touches app memory with interrupts off or while holding the app
// memory lock (mm/app_memory.hpp says why).
#pragma once

#include <stdint.h>

#include "lib/errno.hpp"

namespace eremite::linux {

[[nodiscard]] bool copy_from_app(void* to, const void* app_from, uint64_t length);
[[nodiscard]] bool copy_to_app(void* app_to, const void* from, uint64_t length);
[[nodiscard]] bool clear_app(void* app_to, uint64_t length);

template <typename T>
[[nodiscard]] bool read_app(T& value, const void* app_from) {
    return copy_from_app(&value, app_from, sizeof value);
}
template <typename T>
[[nodiscard]] bool write_app(void* app_to, const T& value) {
    return copy_to_app(app_to, &value, sizeof value);
}

// Copies the NUL-terminated app string at `app_from` into `to` (capacity bytes, NUL
// included). Returns its length, or -EFAULT, or -ENAMETOOLONG when it does not fit.
int64_t copy_string_from_app(char* to, const char* app_from, uint64_t capacity);

// A path name copied in, as Linux's getname: at most PATH_MAX bytes with the NUL.
struct AppPath {
    static constexpr uint64_t capacity = 4096;
    char text[capacity];
    // 0, or the negative errno to return (EFAULT, ENAMETOOLONG).
    int64_t copy_from(const char* app_path) {
        int64_t length = copy_string_from_app(text, app_path, capacity);
        return length < 0 ? length : 0;
    }
};

// 32-bit words shared with the app (futexes, thread ids): aligned, atomic.
[[nodiscard]] bool load_app_u32(const uint32_t* app_word, uint32_t& value);
[[nodiscard]] bool store_app_u32(uint32_t* app_word, uint32_t value);
// As __atomic_compare_exchange_n: true and `expected` unchanged when the word held it
// and now holds `desired`; otherwise `expected` receives what the word held. Returns
// false (and `faulted` true) when the word is not writable app memory.
[[nodiscard]] bool compare_exchange_app_u32(uint32_t* app_word, uint32_t& expected, uint32_t desired, bool& faulted);

// The same with a spinlock held and interrupts off: never pages anything in, fails
// instead (app_copy.S says why); the caller unlocks, faults the word in with the
// functions above and retries.
[[nodiscard]] bool load_app_u32_locked(const uint32_t* app_word, uint32_t& value);
[[nodiscard]] bool compare_exchange_app_u32_locked(uint32_t* app_word, uint32_t& expected, uint32_t desired,
                                                   bool& faulted);

// True when [address, address + length) lies wholly in the app half.
bool in_app_half(const void* address, uint64_t length);

}  // namespace eremite::linux
