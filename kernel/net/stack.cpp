#include "net/stack.hpp"

#include "lib/log.hpp"
#include "lib/random.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"
#include "net/network_device.hpp"
#include "time/clock.hpp"

extern "C" {
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
}

namespace eremite::net {
namespace {

Mutex lock;
bool started = false;  // under the lock

}  // namespace

Mutex& stack_lock() { return lock; }

StackGuard::StackGuard() : outermost_(!lock.held_by_me()) {
    if (!outermost_) return;  // a socket freed inside the stack (a listener's pending ones)
    lock.lock();
    if (!started) {
        lwip_init();  // makes the loopback interface, up, with 127.0.0.1/8 and ::1
        started = true;
    }
}

namespace {

// Whether an interface still holds packets sent to itself.
bool loopback_pending() {
    for (netif* n = netif_list; n; n = n->next)
        if (n->loop_first) return true;
    return false;
}

}  // namespace

StackGuard::~StackGuard() {
    if (!outermost_) return;
    // Each poll delivers what was queued before it; the answers it causes (a SYN's
    // SYN-ACK, a segment's ACK) queue again, so poll until the loopback is quiet.
    for (int rounds = 0; rounds < 64; ++rounds) {
        netif_poll_all();
        if (!loopback_pending()) break;
    }
    sys_check_timeouts();
    lock.unlock();
}

namespace {

bool ack_flush_pending = false;  // under the lock

void flush_delayed_acks(void*) {
    ack_flush_pending = false;
    for (tcp_pcb* pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
        if (!(pcb->flags & TF_ACK_DELAY)) continue;
        tcp_ack_now(pcb);
        tcp_output(pcb);
    }
}

}  // namespace

bool peer_inside_the_guest(const tcp_pcb& pcb) {
    return ip_addr_isloopback(&pcb.remote_ip) || ip_addr_cmp(&pcb.local_ip, &pcb.remote_ip);
}

void ack_soon() {
    if (ack_flush_pending) return;
    ack_flush_pending = true;
    sys_timeout(1, flush_delayed_acks, nullptr);
    // The network thread may be asleep until a later timer: it must see this one.
    wake_network_thread();
}

}  // namespace eremite::net

// ---- what lwIP asks of its platform (kernel/net/ip_stack_port/arch/cc.h) -------------

extern "C" {

void eremite_lwip_assert(const char* message, const char* file, int line) {
    eremite::panic("lwIP assertion failed: %s (%s:%d)", message, file, line);
}

void* eremite_lwip_malloc(size_t size) { return eremite::mm::allocate(size); }

void* eremite_lwip_calloc(size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) return nullptr;
    void* memory = eremite::mm::allocate(bytes);
    if (memory) memset(memory, 0, bytes);
    return memory;
}

void eremite_lwip_free(void* pointer) { eremite::mm::free(pointer); }

uint32_t eremite_lwip_random(void) {
    uint32_t value;
    eremite::random::fill(&value, sizeof value);
    return value;
}

// netif_find's parse of an interface number ("lo0"): decimal digits, nothing else.
int atoi(const char* text) {
    int value = 0;
    while (*text >= '0' && *text <= '9') value = value * 10 + (*text++ - '0');
    return value;
}

// lwIP's clock: milliseconds of CLOCK_MONOTONIC.
uint32_t sys_now(void) { return static_cast<uint32_t>(eremite::clock::monotonic_ns() / 1000000); }

}  // extern "C"
