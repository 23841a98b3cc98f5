// /proc: the process (/proc/self -> /proc/1: its memory map, status, descriptors,
// arguments...), the machine (cpuinfo, meminfo, stat, uptime...) and /proc/sys, in the
// formats of Linux 6.1 (fs/proc/*.c), since programs parse them with fixed patterns.
// Every file is generated when it is opened (fs/synthetic.hpp).
#pragma once

#include <stdint.h>

#include "eremite/abi.hpp"
#include "fs/node.hpp"

namespace eremite::fs {

// What uname(2) says (linux/process.cpp), which /proc/version and /proc/sys/kernel repeat.
inline constexpr const char* kernel_hostname = "eremite";
inline constexpr const char* kernel_release = "6.1.0-eremite";
inline constexpr const char* kernel_version = "#1 SMP Eremite " EREMITE_VERSION;

// The root of a new /proc tree, to be mounted at /proc ("proc"). The boot info gives the
// app's arguments and environment (cmdline, environ, copied now) and the CPU count; call
// it after linux::init_process and random::init. Panics when memory runs out.
Ref<Node> make_procfs_root(const abi::BootInfo& boot_info);

// The descriptor a /proc/self/fd/N link stands for, or -1 when `node` is not one. On Linux
// these are "magic links": opening one reaches the open file itself, not its path (which
// a pipe or a deleted file does not have); a path walk can use this to do the same.
int32_t proc_fd_link_descriptor(Node& node);

}  // namespace eremite::fs
