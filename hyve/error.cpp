#include "error.hpp"

#include <cerrno>
#include <cstring>

namespace ehyve {

void fail_errno(const std::string& what) { fail(what + ": " + std::strerror(errno)); }

}  // namespace ehyve
