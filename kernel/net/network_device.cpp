#include "net/network_device.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/interrupts.hpp"
#include "drivers/io_apic.hpp"
#include "drivers/pci.hpp"
#include "drivers/standalone.hpp"
#include "drivers/virtio/mmio_device.hpp"
#include "drivers/virtio/pci_device.hpp"
#include "drivers/virtio_net.hpp"
#include "eremite/virtio.hpp"
#include "fs/etc_files.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "net/stack.hpp"
#include "sched/scheduler.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

extern "C" {
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
}

namespace eremite::net {
namespace {

constexpr uint32_t virtio_device_net = virtio_spec::net_device_id;
constexpr uint64_t configuration_timeout_ns = 5'000'000'000;
constexpr uint64_t exit_delivery_timeout_ns = 5'000'000'000;
// How long the device may hold transmitted frames untouched before the network thread
// kicks it again (NetDriver::watch_transmit). Short against TCP's retransmission
// timeout; long against the device's work on a full ring.
constexpr uint64_t transmit_patience_ns = 5'000'000;

virtio::MmioDevice mmio_device;  // under ehyve (and microvm)
virtio::PciDevice pci_device;    // under QEMU's pc and q35
virtio::NetDriver driver;
struct netif interface;
bool present = false;

// Set by the interrupt, taken by the network thread.
bool interrupted = false;
bool acknowledge_mmio = false;  // a level-triggered line (microvm): the device wants it taken back
WaitQueue device_events;

// Set once the IPv4 address is there (under the stack lock); waiters wait here.
bool configured = false;
WaitQueue configuration_events;

void on_interrupt() {
    if (acknowledge_mmio) mmio_device.acknowledge_interrupt();
    __atomic_store_n(&interrupted, true, __ATOMIC_SEQ_CST);
    device_events.wake_all();
}

err_t link_output(struct netif*, struct pbuf* p) {
    // A frame the driver drops (too long, backlog full) is lost as on a wire: lwIP's
    // retransmission covers it. ERR_MEM would leave a TCP segment at the head of its
    // queue with nothing to send it again.
    driver.transmit(
        p->tot_len,
        [](uint8_t* into, size_t length, void* frame) {
            pbuf_copy_partial(static_cast<struct pbuf*>(frame), into, static_cast<u16_t>(length), 0);
        },
        p);
    return ERR_OK;
}

void deliver(const uint8_t* frame, size_t length, void* context) {
    auto* n = static_cast<struct netif*>(context);
    struct pbuf* p = pbuf_alloc(PBUF_RAW, static_cast<u16_t>(length), PBUF_RAM);
    if (!p) return;  // dropped, as a NIC without memory does
    pbuf_take(p, frame, static_cast<u16_t>(length));
    if (n->input(p, n) != ERR_OK) pbuf_free(p);
}

err_t interface_init(struct netif* n) {
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->hwaddr_len = 6;
    memcpy(n->hwaddr, driver.mac(), 6);
    n->mtu = driver.mtu();
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6;
    n->output = etharp_output;
    n->output_ip6 = ethip6_output;
    n->linkoutput = link_output;
    // The device completes TCP checksums and the driver checks received ones: lwIP does
    // neither here (segments it loops back to its own address carry none).
    if (driver.offloads_tcp_checksum())
        NETIF_SET_CHECKSUM_CTRL(n, NETIF_CHECKSUM_ENABLE_ALL & ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_CHECK_TCP));
    return ERR_OK;
}

// /etc/hosts and /etc/resolv.conf, once the address (and maybe a name server) is known.
void describe_configuration() {
    char address[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(netif_ip4_addr(&interface), address, sizeof address);
    char server[IPADDR_STRLEN_MAX];
    const ip_addr_t* dns = dns_getserver(0);
    bool have_server = dns && !ip_addr_isany(dns);
    if (have_server) ipaddr_ntoa_r(dns, server, sizeof server);
    fs::describe_network(address, have_server ? server : nullptr);
}

// Under the stack lock.
void check_configuration() {
    if (configured || !dhcp_supplied_address(&interface)) return;
    describe_configuration();
    char address[IP4ADDR_STRLEN_MAX];
    ip4addr_ntoa_r(netif_ip4_addr(&interface), address, sizeof address);
    log::info("network: DHCP gave %s/%d", address, __builtin_popcount(netif_ip4_netmask(&interface)->addr));
    __atomic_store_n(&configured, true, __ATOMIC_SEQ_CST);
    configuration_events.wake_all();
}

[[noreturn]] void network_thread(void*) {
    const uint64_t patience = clock::ns_to_ticks(transmit_patience_ns);
    for (;;) {
        __atomic_store_n(&interrupted, false, __ATOMIC_SEQ_CST);
        bool more, transmitting;
        uint32_t sleep_ms;
        {
            StackGuard guard;
            driver.receive(deliver, &interface);
            driver.flush_transmit();
            transmitting = driver.watch_transmit(arch::read_tsc(), patience);
            more = driver.arm_receive_interrupt();
            sys_check_timeouts();
            check_configuration();
            sleep_ms = sys_timeouts_sleeptime();
        }
        if (more) {
            // Frames keep coming: let the app threads on this CPU run between batches
            // (a kernel thread is never preempted).
            sched::yield();
            continue;
        }
        const uint64_t now = arch::read_tsc();
        uint64_t deadline = sleep_ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE
                                ? 0
                                : now + clock::ns_to_ticks(uint64_t{sleep_ms} * 1000000 + 1);
        if (transmitting && (!deadline || deadline > now + patience)) deadline = now + patience;
        device_events.wait([] { return __atomic_load_n(&interrupted, __ATOMIC_SEQ_CST); }, deadline);
    }
}

void set_static(const abi::NetworkConfig& config) {
    ip4_addr_t address, mask, gateway;
    IP4_ADDR(&address, config.address[0], config.address[1], config.address[2], config.address[3]);
    IP4_ADDR(&gateway, config.gateway[0], config.gateway[1], config.gateway[2], config.gateway[3]);
    mask.addr = config.prefix_length ? lwip_htonl(~0u << (32 - config.prefix_length)) : 0;
    netif_set_addr(&interface, &address, &mask, &gateway);
    const uint8_t* dns = config.dns;
    if (dns[0] | dns[1] | dns[2] | dns[3]) {
        ip_addr_t server;
        IP_ADDR4(&server, dns[0], dns[1], dns[2], dns[3]);
        dns_setserver(0, &server);
    }
    describe_configuration();
    configured = true;
}

// Starts the driver on `transport`, whose interrupts arrive on `vector`.
bool start_driver(virtio::Transport& transport, uint8_t vector) {
    auto started = driver.init(transport);
    if (!started.ok()) {
        log::warn("network: the virtio-net device did not start (errno %d)", static_cast<int>(started.error_code()));
        return false;
    }
    arch::set_device_interrupt_handler(vector, on_interrupt);
    return true;
}

// Booted by another VMM: the first virtio-net function on the PCI buses.
bool start_pci_device() {
    struct Search {
        pci::Address at;
        bool found;
    } search{};
    pci::find(
        [](pci::Address at, void* context) {
            uint32_t type;
            if (!virtio::PciDevice::is_virtio(at, type) || type != virtio_device_net) return false;
            auto& s = *static_cast<Search*>(context);
            s.at = at;
            s.found = true;
            return true;
        },
        &search);
    if (!search.found) return false;
    log::debug("network: virtio-net at PCI %02x:%02x.%x (configuration space through %s)", search.at.bus,
               search.at.device, search.at.function, pci::access_method());
    constexpr uint8_t vector = abi::device_vector_base;
    auto probed = pci_device.probe(search.at, vector);
    if (!probed.ok()) {
        log::warn("network: the virtio-net PCI function %02x:%02x.%x has no modern interface with MSI-X", search.at.bus,
                  search.at.device, search.at.function);
        return false;
    }
    return start_driver(pci_device, vector);
}

}  // namespace

void start_network_device(const abi::BootInfo& info) {
    const bool standalone = info.boot_flags & abi::boot_flag_standalone;
    for (uint32_t i = 0; i < info.device_count && i < abi::max_devices; ++i) {
        const abi::VirtioMmioDevice& d = info.devices[i];
        if (!mmio_device.probe(d.base, d.size).ok()) {
            if (mmio_device.legacy())
                log::warn(
                    "network: the virtio-mmio device at 0x%lx is a legacy one (version 1), which this kernel "
                    "does not drive; QEMU: -global virtio-mmio.force-legacy=false",
                    d.base);
            continue;
        }
        if (mmio_device.device_id() != virtio_device_net) continue;
        if (standalone) {
            // A line through an IOAPIC (microvm), not ehyve's message.
            const auto& line = standalone::platform.device_lines[i];
            acknowledge_mmio = line.level;
            if (!io_apic::route(line.gsi, static_cast<uint8_t>(d.vector), line.level, line.active_low)) {
                log::warn("network: no IOAPIC serves the virtio-net device's interrupt (GSI %u)", line.gsi);
                break;
            }
        }
        present = start_driver(mmio_device, static_cast<uint8_t>(d.vector));
        break;
    }
    if (!present && standalone) present = start_pci_device();
    if (!present) return;
    {
        StackGuard guard;  // starts lwIP
        if (!netif_add(&interface, nullptr, nullptr, nullptr, nullptr, interface_init, ethernet_input)) {
            log::warn("network: lwIP refused the interface");
            present = false;
            return;
        }
        netif_set_default(&interface);
        netif_create_ip6_linklocal_address(&interface, 1);
        netif_set_ip6_autoconfig_enabled(&interface, 1);
        netif_set_link_up(&interface);
        netif_set_up(&interface);
        if (!(info.network.flags & abi::network_static)) {
            if (dhcp_start(&interface) != ERR_OK) log::warn("network: DHCP did not start");
        } else {
            set_static(info.network);
        }
    }
    if (!sched::start_kernel_thread(network_thread, nullptr)) panic("out of memory for the network thread");
}

void wake_network_thread() {
    if (present) on_interrupt();
}

uint64_t transmit_rekicks() { return present ? driver.transmit_rekicks() : 0; }  // a moment's count

void wait_until_configured() {
    if (!present || __atomic_load_n(&configured, __ATOMIC_SEQ_CST)) return;
    uint64_t deadline = arch::read_tsc() + clock::ns_to_ticks(configuration_timeout_ns);
    if (!configuration_events.wait([] { return __atomic_load_n(&configured, __ATOMIC_SEQ_CST); }, deadline))
        log::warn("network: no DHCP answer within 5 s; the program starts without an IPv4 address");
}

void deliver_before_exit() {
    if (!present) return;
    // Under the stack lock: a connection with data or a FIN not yet acknowledged.
    auto pending = [] {
        if (driver.transmit_backlogged()) return true;
        for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
            if (!peer_inside_the_guest(*pcb) && (pcb->unsent || pcb->unacked || pcb->state == FIN_WAIT_1 ||
                                                 pcb->state == CLOSING || pcb->state == LAST_ACK))
                return true;
        return false;
    };
    {
        // Connections the program never closed end with a FIN, as Linux closes the
        // descriptors of a process that exits.
        StackGuard guard;
        for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
            if (!peer_inside_the_guest(*pcb) && (pcb->state == ESTABLISHED || pcb->state == CLOSE_WAIT))
                tcp_shutdown(pcb, 0, 1);
    }
    const uint64_t deadline = arch::read_tsc() + clock::ns_to_ticks(exit_delivery_timeout_ns);
    WaitQueue pause;
    for (;;) {
        {
            StackGuard guard;
            if (!pending()) return;
        }
        if (arch::read_tsc() >= deadline) {
            log::warn("network: the program exits with TCP data still unacknowledged after 5 s");
            return;
        }
        pause.wait([] { return false; }, arch::read_tsc() + clock::ns_to_ticks(5'000'000));
    }
}

}  // namespace eremite::net
