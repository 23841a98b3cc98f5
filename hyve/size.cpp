#include "size.hpp"

#include <cctype>

namespace ehyve {

std::optional<uint64_t> parse_size(std::string_view text) {
    size_t i = 0;
    uint64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, static_cast<uint64_t>(text[i] - '0'), &value))
            return std::nullopt;
        ++i;
    }
    if (i == 0) return std::nullopt;
    std::string_view suffix = text.substr(i);
    unsigned shift = 0;
    if (!suffix.empty()) {
        switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
            case 'K': shift = 10; break;
            case 'M': shift = 20; break;
            case 'G': shift = 30; break;
            case 'T': shift = 40; break;
            default: return std::nullopt;
        }
        suffix.remove_prefix(1);
        if (suffix == "iB" || suffix == "ib" || suffix == "B" || suffix == "b") suffix = {};
        if (!suffix.empty()) return std::nullopt;
    }
    if (shift && value > (UINT64_MAX >> shift)) return std::nullopt;
    return value << shift;
}

}  // namespace ehyve
