// ehyve's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eremite/abi.hpp"

namespace ehyve {

inline constexpr uint64_t default_memory = 512ull << 20;  // backed lazily: costs only what the app touches
inline constexpr uint64_t minimum_memory = 16ull << 20;
inline constexpr uint64_t maximum_memory = 64ull << 30;

struct Options {
    uint64_t memory = default_memory;
    uint32_t cpus = 1;
    std::vector<int> affinity;     // host CPU for vCPU i (cycled when shorter); empty: no pinning
    std::string kernel;            // empty: eremite-kernel beside ehyve
    std::vector<std::string> env;  // exactly the guest's environment
    bool stats = false;
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

// Throws HostError with a one-line message on bad usage.
Options parse_options(int argc, const char* const* argv);

std::string usage_text();

}  // namespace ehyve
