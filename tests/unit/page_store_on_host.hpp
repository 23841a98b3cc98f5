// Test controls of the host page store (page_store_on_host.cpp).
#pragma once

#include <stdint.h>

namespace eremite::fs::page_store::host {

inline constexpr uint64_t default_limit = uint64_t{1} << 20;  // 4 GiB of pages

// allocate() fails once `pages` are in use: running out of memory on demand.
void set_limit(uint64_t pages);
uint64_t in_use();

}  // namespace eremite::fs::page_store::host
