// ehyve reports every problem as one line on stderr and exits non-zero. Code deep inside
// throws HostError with the line; main() prints it. RAII wrappers release every
// resource on the way out.
#pragma once

#include <stdexcept>
#include <string>

namespace ehyve {

struct HostError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& message) { throw HostError(message); }

// "what: strerror(errno)"
[[noreturn]] void fail_errno(const std::string& what);

}  // namespace ehyve
