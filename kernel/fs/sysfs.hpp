// /sys: the few files programs read to learn about the machine: the CPUs
// (devices/system/cpu, which glibc's get_nprocs and sysconf read), transparent huge pages
// (kernel/mm/transparent_hugepage, which the Go runtime reads) and an empty fs/cgroup.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs {

// The root of a new /sys tree for `cpu_count` CPUs (BootInfo::cpu_count), to be mounted
// at /sys ("sysfs"). Panics when memory runs out (it is built at boot).
Ref<Node> make_sysfs_root(uint32_t cpu_count);

}  // namespace eremite::fs
