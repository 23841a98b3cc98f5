// Checks of the kernel's Result<T> in host unit tests: the value of one that must
// succeed, the errno of one that must fail, and errors printed as their number.
#pragma once

#include <gtest/gtest.h>

#include <ostream>

#include "lib/result.hpp"

namespace eremite {

inline void PrintTo(Errno code, std::ostream* out) { *out << "errno " << static_cast<int>(code); }

template <typename T>
T value(Result<T> result) {
    EXPECT_TRUE(result.ok()) << "errno " << static_cast<int>(result.error_code());
    return result.release();
}
inline void succeeds(Result<void> result) {
    EXPECT_TRUE(result.ok()) << "errno " << static_cast<int>(result.error_code());
}
template <typename T>
Errno failure(Result<T> result) {
    return result.error_code();
}

}  // namespace eremite
