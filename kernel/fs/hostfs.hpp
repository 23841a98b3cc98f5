// hostfs: the host directories given with --mount (abi/eremite/abi.hpp, host files).
#pragma once

#include "fs/node.hpp"

namespace eremite::fs {

// The root of host mount `index` (its place in BootInfo's mount list).
Result<Ref<Node>> mount_host_directory(uint32_t index, bool read_only);

}  // namespace eremite::fs
