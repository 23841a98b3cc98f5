// The network device (virtio-net, when ehyve was given --net) as an lwIP interface: its
// addresses (static from the boot info, or DHCP; IPv6 link-local and stateless
// autoconfiguration), the default route, and the network thread, a kernel thread that
// takes the device's interrupts to lwIP and runs lwIP's timers, so that a program's
// sockets see packets and retransmissions even while none of its threads is in a call.
#pragma once

#include "eremite/abi.hpp"

namespace eremite::net {

// Brings the device up, if the boot info has one; DHCP, when asked for, starts now.
void start_network_device(const abi::BootInfo& boot_info);

// Waits until the interface has its IPv4 address (DHCP answered), at most a few
// seconds; at once without a device or with static addresses. Programs start after it,
// as they do on Linux once the network is up.
void wait_until_configured();

// Makes the network thread look at lwIP's timers again (a new, earlier one was set from
// another thread). Nothing without a device.
void wake_network_thread();

// How often the network thread kicked a device that held transmitted frames and had
// stopped working on them (virtio_net.hpp: watch_transmit). 0 without a device.
uint64_t transmit_rekicks();

// The program is exiting: TCP data it sent (and its FINs) may still be on the way, which
// on Linux the kernel goes on delivering after the process is gone. Here the VM ends
// with the process, so the exit waits until lwIP has nothing unacknowledged left, at
// most a few seconds. At once without a device.
void deliver_before_exit();

}  // namespace eremite::net
