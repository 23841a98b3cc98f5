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

// Once the network is configured: /etc/hosts gives the host name the interface's
// `address` (instead of 127.0.1.1) and /etc/resolv.conf names `name_server`; either may
// be null. Files the initramfs brought stay as they are.
void describe_network(const char* address, const char* name_server);

}  // namespace eremite::fs
