// What the virtio 1.x specification fixes and both sides of ehyve's devices use: the
// virtio-mmio register layout (4.2.2, version 2), the device status bits (2.1), the
// feature bits, and virtio-net's (5.1). ehyve's devices (hyve/virtio_*.cpp) and the
// kernel's drivers (kernel/drivers/virtio*) read them from here, so the two cannot
// disagree.
#pragma once

#include <stdint.h>

namespace eremite::virtio_spec {

enum MmioRegister : uint32_t {
    mmio_magic_value = 0x000,
    mmio_version = 0x004,
    mmio_device_id = 0x008,
    mmio_vendor_id = 0x00c,
    mmio_device_features = 0x010,
    mmio_device_features_select = 0x014,
    mmio_driver_features = 0x020,
    mmio_driver_features_select = 0x024,
    mmio_queue_select = 0x030,
    mmio_queue_size_max = 0x034,
    mmio_queue_size = 0x038,
    mmio_queue_ready = 0x044,
    mmio_queue_notify = 0x050,
    mmio_interrupt_status = 0x060,
    mmio_interrupt_ack = 0x064,
    mmio_status = 0x070,
    mmio_queue_descriptors_low = 0x080,
    mmio_queue_descriptors_high = 0x084,
    mmio_queue_driver_low = 0x090,
    mmio_queue_driver_high = 0x094,
    mmio_queue_device_low = 0x0a0,
    mmio_queue_device_high = 0x0a4,
    mmio_config_generation = 0x0fc,
    mmio_config = 0x100,  // the device-specific configuration space starts here
};
inline constexpr uint32_t mmio_magic = 0x74726976;  // "virt"
inline constexpr uint32_t mmio_layout_version = 2;

// Device status (2.1).
inline constexpr uint32_t status_acknowledge = 1;
inline constexpr uint32_t status_driver = 2;
inline constexpr uint32_t status_driver_ok = 4;
inline constexpr uint32_t status_features_ok = 8;
inline constexpr uint32_t status_needs_reset = 64;
inline constexpr uint32_t status_failed = 128;

// Features of every device type (6).
inline constexpr uint64_t feature_indirect = 1ull << 28;
inline constexpr uint64_t feature_event_index = 1ull << 29;
inline constexpr uint64_t feature_version_1 = 1ull << 32;

// virtio-net (5.1).
inline constexpr uint32_t net_device_id = 1;
inline constexpr uint64_t net_feature_checksum = 1ull << 0;  // VIRTIO_NET_F_CSUM
inline constexpr uint64_t net_feature_mtu = 1ull << 3;
inline constexpr uint64_t net_feature_mac = 1ull << 5;
inline constexpr uint64_t net_feature_status = 1ull << 16;
inline constexpr uint16_t net_status_link_up = 1;
// Configuration space: mac[6], status (le16), max_virtqueue_pairs (le16), mtu (le16).
inline constexpr uint32_t net_config_mac = 0, net_config_status = 6, net_config_pairs = 8, net_config_mtu = 10;
inline constexpr uint32_t net_config_size = 12;
// virtio_net_hdr with num_buffers, as VERSION_1 always has it: flags, gso_type,
// hdr_len, gso_size, csum_start, csum_offset, num_buffers (le16 each after the bytes).
inline constexpr uint32_t net_header_size = 12;
inline constexpr uint8_t net_header_needs_checksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint32_t net_header_checksum_start = 6, net_header_checksum_offset = 8;
inline constexpr uint16_t net_receive_queue = 0, net_transmit_queue = 1;

}  // namespace eremite::virtio_spec
