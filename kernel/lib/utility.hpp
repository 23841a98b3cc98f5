// The few <utility>/<type_traits> pieces the freestanding kernel needs.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite {

template <typename T>
struct remove_reference {
    using type = T;
};
template <typename T>
struct remove_reference<T&> {
    using type = T;
};
template <typename T>
struct remove_reference<T&&> {
    using type = T;
};

template <typename T>
constexpr typename remove_reference<T>::type&& move(T&& value) {
    return static_cast<typename remove_reference<T>::type&&>(value);
}

template <typename T>
constexpr T min(T a, T b) {
    return a < b ? a : b;
}
template <typename T>
constexpr T max(T a, T b) {
    return a < b ? b : a;
}

constexpr uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }
constexpr uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }
constexpr bool is_aligned(uint64_t value, uint64_t alignment) { return (value & (alignment - 1)) == 0; }

// a + b without wrapping past 2^64; false when it would.
constexpr bool checked_add(uint64_t a, uint64_t b, uint64_t& sum) { return !__builtin_add_overflow(a, b, &sum); }

inline constexpr uint64_t page_size = 4096;
inline constexpr uint64_t large_page_size = 2ull << 20;

}  // namespace eremite
