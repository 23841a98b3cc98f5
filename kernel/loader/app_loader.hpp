// Loads the app: maps its PT_LOAD segments into the lower half (read-only and code pages
// straight from the image ehyve placed in guest RAM, writable ones as private copies),
// sets the program break after the image, and builds the initial stack.
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"
#include "mm/address.hpp"

namespace eremite::loader {

struct StartedApp {
    uint64_t entry;
    uint64_t stack_pointer;
};

struct AppLaunch {
    const uint8_t* image;  // the ELF file, in kernel-visible memory
    uint64_t image_size;
    PhysAddr image_physical;  // page aligned
    const char* const* argv;
    uint64_t argc;
    const char* const* envp;
    uint64_t envc;
    uint32_t uid, gid;
};

// Returns false after logging the reason when the app cannot be loaded.
bool load_app(const AppLaunch& launch, StartedApp& started);

}  // namespace eremite::loader
