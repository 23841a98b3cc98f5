// ehyve's command line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eremite/abi.hpp"

namespace ehyve {

inline constexpr uint64_t default_memory = 512ull << 20;  // backed lazily: costs only what the app touches
inline constexpr uint64_t minimum_memory = 16ull << 20;
inline constexpr uint64_t maximum_memory = 64ull << 30;

// --sandbox: how ehyve confines itself before the guest runs (sandbox.hpp).
enum class Sandbox { none, normal, strict };

// --mount HOST_DIR:GUEST_DIR[:ro]: a host directory the guest sees at GUEST_DIR.
struct Mount {
    std::string host_directory;  // as given; checked to be a directory when parsed
    std::string guest_path;      // absolute and normalised ("/a/b"), never "/"
    bool read_only = false;
};

inline constexpr uint64_t minimum_mtu = 1280;   // IPv6's minimum
inline constexpr uint64_t maximum_mtu = 65000;  // a frame's length must fit lwIP's 16 bits

// --net and what goes with it.
struct NetworkOptions {
    enum class Kind { none, tap, user } kind = Kind::none;
    std::string tap_name;               // --net tap:NAME
    std::vector<std::string> forwards;  // --forward PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT (checked), --net user only
    std::array<uint8_t, 6> mac{};       // --mac, or derived from the back-end's name
    bool mac_given = false;
    bool static_address = false;  // --ip given: no DHCP
    uint8_t address[4] = {}, gateway[4] = {}, dns[4] = {};
    uint8_t prefix_length = 0;
    uint16_t mtu = 0;  // --mtu; 0: the TAP device's own, 9000 for user-mode networking
};

struct Options {
    uint64_t memory = default_memory;
    uint32_t cpus = 1;
    std::vector<int> affinity;            // host CPU for vCPU i (cycled when shorter); empty: no pinning
    std::string kernel;                   // empty: eremite-kernel beside ehyve
    std::vector<std::string> env;         // exactly the guest's environment
    std::vector<Mount> mounts;            // at most abi::max_mounts; mount i is host-file mount index i
    std::string initrd;                   // empty: none (checked when opened: program_files.hpp)
    NetworkOptions network;
    std::string working_directory = "/";  // the app's initial cwd, absolute and normalised
    Sandbox sandbox = Sandbox::normal;
    bool stats = false;
    bool rewrite_syscalls = true;  // --no-rewrite turns the load-time pass off
    bool strace = false;
    eremite::abi::LogLevel log_level = eremite::abi::LogLevel::warn;
    std::string app;
    std::vector<std::string> app_args;  // argv[1..]
    bool show_help = false;
    bool show_version = false;
    // Testing aid (--test-boot-abi-version): announce this boot ABI version instead of
    // ours, to check that the kernel refuses what it does not understand.
    uint32_t boot_abi_version = eremite::abi::boot_abi_version;
};

// Throws HostError with a one-line message on bad usage (also when a --mount's host
// directory is missing or not a directory).
Options parse_options(int argc, const char* const* argv);

std::string usage_text();

// A guest path as given to --mount or --cwd, made canonical: absolute, no empty or "."
// components, no trailing '/' ("/a//b/./" -> "/a/b"). Throws HostError naming `option`
// when the path is relative, has a ".." component (refused rather than resolved: the
// guest's tree may hold symlinks the host cannot see), or is longer than Linux allows.
std::string normal_guest_path(std::string_view option, std::string_view path);

}  // namespace ehyve
