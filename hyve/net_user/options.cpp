#include "options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "error.hpp"

namespace ehyve::net_user {
namespace {

// A decimal number with digits only (no sign, no spaces), at most `maximum`.
std::optional<uint64_t> parse_number(std::string_view text, uint64_t maximum) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > maximum)
        return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

Forward parse_forward(std::string_view text) {
    const std::string quoted = "--forward " + std::string(text);
    Forward forward;
    forward.spec = std::string(text);
    auto parts = split(text, ':');
    if (parts.size() != 3 && parts.size() != 4)
        fail(quoted + ": use PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT, e.g. tcp:8080:80");
    if (parts[0] == "tcp")
        forward.protocol = Protocol::tcp;
    else if (parts[0] == "udp")
        forward.protocol = Protocol::udp;
    else
        fail(quoted + ": '" + std::string(parts[0]) + "' is not a protocol (use tcp or udp)");
    // The default is the loopback address, not 0.0.0.0 as in QEMU: a forwarded guest
    // service is then reachable from this host only, unless the user asks for more.
    std::string host_address = parts.size() == 4 ? std::string(parts[1]) : "127.0.0.1";
    if (inet_pton(AF_INET, host_address.c_str(), &forward.host_address) != 1)
        fail(quoted + ": '" + host_address + "' is not an IPv4 address (e.g. 127.0.0.1 or 0.0.0.0)");
    auto port = [&](std::string_view part) {
        auto number = parse_number(part, 65535);
        if (!number || *number == 0) fail(quoted + ": '" + std::string(part) + "' is not a port (1 to 65535)");
        return static_cast<uint16_t>(*number);
    };
    forward.host_port = port(parts[parts.size() - 2]);
    forward.guest_port = port(parts[parts.size() - 1]);
    return forward;
}

// Two forwards of one host port would fail later with a confusing "address in use" for
// TCP, and for UDP (SO_REUSEADDR) would both bind and split the datagrams between them.
void add_forward(std::vector<Forward>& forwards, Forward forward) {
    for (const Forward& other : forwards) {
        bool overlapping_address = other.host_address.s_addr == forward.host_address.s_addr ||
                                   other.host_address.s_addr == INADDR_ANY || forward.host_address.s_addr == INADDR_ANY;
        if (other.protocol == forward.protocol && other.host_port == forward.host_port && overlapping_address)
            fail("--forward " + forward.spec + ": host port " + std::to_string(forward.host_port) +
                 " is already forwarded by --forward " + other.spec);
    }
    forwards.push_back(std::move(forward));
}

}  // namespace

Options parse_options(int argc, const char* const* argv) {
    Options options;
    bool have_fd = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        // "--name VALUE" or "--name=VALUE", as ehyve's own options.
        auto value_of = [&](std::string_view name) -> std::optional<std::string_view> {
            if (arg == name) {
                if (i + 1 >= argc) fail(std::string(name) + " needs a value");
                return std::string_view(argv[++i]);
            }
            if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=')
                return arg.substr(name.size() + 1);
            return std::nullopt;
        };
        if (auto value = value_of("--fd")) {
            auto fd = parse_number(*value, 1u << 30);
            if (!fd) fail("--fd: '" + std::string(*value) + "' is not a file descriptor number");
            options.frame_fd = static_cast<int>(*fd);
            have_fd = true;
        } else if (auto value = value_of("--forward")) {
            add_forward(options.forwards, parse_forward(*value));
        } else if (auto value = value_of("--mtu")) {
            auto mtu = parse_number(*value, maximum_mtu);
            if (!mtu || *mtu < minimum_mtu)
                fail("--mtu: '" + std::string(*value) + "' is not an MTU from " + std::to_string(minimum_mtu) + " to " +
                     std::to_string(maximum_mtu));
            options.mtu = *mtu;
        } else {
            fail("ehyve-net-user: unknown argument '" + std::string(arg) +
                 "' (usage: ehyve-net-user --fd N [--forward PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT]... [--mtu M])");
        }
    }
    if (!have_fd) fail("ehyve-net-user needs --fd N, the frame socket ehyve passes it");
    return options;
}

std::string host_endpoint(const Forward& forward) {
    char address[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &forward.host_address, address, sizeof(address));
    return std::string(address) + ":" + std::to_string(forward.host_port);
}

}  // namespace ehyve::net_user
