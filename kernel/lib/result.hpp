// Error handling without exceptions: a fallible function returns Result<T>, which holds
// either a value or a positive Linux errno. Callers propagate with TRY(); the syscall
// edge turns an error into the negative long the Linux ABI wants.
#pragma once

#include <stdint.h>

#include "lib/errno.hpp"
#include "lib/utility.hpp"

namespace eremite {

struct Error {
    Errno code;
};

inline constexpr Error error(Errno code) { return Error{code}; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(move(value)), error_(Errno::none) {}  // NOLINT: implicit by design
    Result(Error e) : value_(), error_(e.code) {}                  // NOLINT

    bool ok() const { return error_ == Errno::none; }
    Errno error_code() const { return error_; }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T release() { return move(value_); }

private:
    T value_;
    Errno error_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() : error_(Errno::none) {}
    Result(Error e) : error_(e.code) {}  // NOLINT
    bool ok() const { return error_ == Errno::none; }
    Errno error_code() const { return error_; }
    void release() {}

private:
    Errno error_;
};

// TRY(expr): evaluate a Result; on error return it from the enclosing function,
// otherwise yield the value (a GNU statement expression, as g++ and clang accept).
#define TRY(expr)                                                                 \
    ({                                                                            \
        auto try_result_ = (expr);                                                \
        if (!try_result_.ok()) return ::eremite::Error{try_result_.error_code()}; \
        try_result_.release();                                                    \
    })

}  // namespace eremite
