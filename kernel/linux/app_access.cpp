// The C++ side of app memory access: range checks around the fault-tolerant copies of
// arch/x86_64/app_copy.S.
#include "linux/app_access.hpp"

#include "lib/utility.hpp"

extern "C" {
uint64_t app_copy_bytes(void* to, const void* from, uint64_t length);
uint64_t app_clear_bytes(void* to, uint64_t length);
int64_t app_copy_string(char* to, const char* from, uint64_t capacity);
bool app_load_u32(const uint32_t* from, uint32_t* value);
bool app_store_u32(uint32_t* to, uint32_t value);
bool app_compare_exchange_u32(uint32_t* word, uint32_t* expected, uint32_t desired);
bool app_load_u32_locked(const uint32_t* from, uint32_t* value);
bool app_compare_exchange_u32_locked(uint32_t* word, uint32_t* expected, uint32_t desired);
}

namespace eremite::linux {
namespace {

constexpr uint64_t app_half_end = 1ull << 47;
// Nothing below this is ever the app's memory, as under Linux's mmap_min_addr: a null
// pointer passed to a syscall is EFAULT even while page 0 holds the syscall slide
// (linux/syscall_rewrite.hpp).
constexpr uint64_t app_low_end = 4096;

constexpr int64_t negative(Errno e) { return -static_cast<int64_t>(e); }

}  // namespace

bool in_app_half(const void* address, uint64_t length) {
    uint64_t end;
    // An empty range is fine anywhere below the end (write(fd, NULL, 0) is 0, as on Linux).
    return (length == 0 || reinterpret_cast<uint64_t>(address) >= app_low_end) &&
           checked_add(reinterpret_cast<uint64_t>(address), length, end) && end <= app_half_end;
}

bool copy_from_app(void* to, const void* app_from, uint64_t length) {
    if (length == 0) return true;
    return in_app_half(app_from, length) && app_copy_bytes(to, app_from, length) == 0;
}

bool copy_to_app(void* app_to, const void* from, uint64_t length) {
    if (length == 0) return true;
    return in_app_half(app_to, length) && app_copy_bytes(app_to, from, length) == 0;
}

bool clear_app(void* app_to, uint64_t length) {
    if (length == 0) return true;
    return in_app_half(app_to, length) && app_clear_bytes(app_to, length) == 0;
}

int64_t copy_string_from_app(char* to, const char* app_from, uint64_t capacity) {
    // Never read past the app half: the copy stops at the boundary like at a fault.
    uint64_t start = reinterpret_cast<uint64_t>(app_from);
    if (start < app_low_end || start >= app_half_end || capacity == 0) return negative(Errno::efault);
    uint64_t limit = min(capacity, app_half_end - start);
    int64_t length = app_copy_string(to, app_from, limit);
    if (length < 0) return negative(Errno::efault);
    if (static_cast<uint64_t>(length) == limit) return negative(limit < capacity ? Errno::efault : Errno::enametoolong);
    return length;
}

namespace {

bool app_word(const uint32_t* address) {
    return in_app_half(address, 4) && reinterpret_cast<uint64_t>(address) % 4 == 0;
}

}  // namespace

bool load_app_u32(const uint32_t* address, uint32_t& value) {
    return app_word(address) && app_load_u32(address, &value);
}

bool store_app_u32(uint32_t* address, uint32_t value) { return app_word(address) && app_store_u32(address, value); }

bool compare_exchange_app_u32(uint32_t* address, uint32_t& expected, uint32_t desired, bool& faulted) {
    uint32_t wanted = expected;
    faulted = !(app_word(address) && app_compare_exchange_u32(address, &expected, desired));
    return !faulted && expected == wanted;
}

bool load_app_u32_locked(const uint32_t* address, uint32_t& value) {
    return app_word(address) && app_load_u32_locked(address, &value);
}

bool compare_exchange_app_u32_locked(uint32_t* address, uint32_t& expected, uint32_t desired, bool& faulted) {
    uint32_t wanted = expected;
    faulted = !(app_word(address) && app_compare_exchange_u32_locked(address, &expected, desired));
    return !faulted && expected == wanted;
}

}  // namespace eremite::linux
