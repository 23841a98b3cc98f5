// Sizes on the command line: "512M", "1G", "65536" (bytes), "64MiB", "2g".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ehyve {

// Bytes, or nothing when the text is not a size or overflows 64 bits.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace ehyve
