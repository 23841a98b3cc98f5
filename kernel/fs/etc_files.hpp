// The files in /etc that programs expect on any Linux system: hostname, hosts, passwd,
// group, resolv.conf, nsswitch.conf, services, protocols. Written into the root file
// system's /etc at boot, except where the initramfs brought its own.
#pragma once

#include "eremite/abi.hpp"
#include "fs/node.hpp"

namespace eremite::fs {

// Creates each file that `etc_directory` does not hold yet. The user in passwd and group
// is the host user ehyve runs as (BootInfo uid and gid), named by its USER and HOME when
// the environment has them. Failures are logged, not fatal: the app may not need them.
void populate_etc(Node& etc_directory, const abi::BootInfo& boot_info);

// Points /etc/resolv.conf at `address` (the network's name server, once known), unless
// the initramfs brought its own resolv.conf.
void set_name_server(const char* address);

}  // namespace eremite::fs
