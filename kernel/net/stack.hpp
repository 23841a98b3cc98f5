// The TCP/IP stack: lwIP 2.1.3 (cmake/lwip.cmake), driven by the kernel itself (NO_SYS=1,
// the raw API). lwIP is not thread-safe that way, so every call into it holds one lock,
// a sleeping mutex; lwIP's callbacks run under it and only queue data and wake waiters.
// Interfaces: the loopback one (127.0.0.1 and ::1), whose packets are delivered when the
// kernel polls it; a device joins with virtio-net.
#pragma once

#include "sync/mutex.hpp"

struct tcp_pcb;  // lwIP's

namespace eremite::net {

Mutex& stack_lock();

// Holds the stack lock; on release, first delivers what the loopback interface queued
// and runs the timers that are due, so that a send is received before the sender
// returns. The first one starts lwIP (its timers and the loopback interface): a program
// that never makes an IP socket pays nothing for the stack at boot.
// A guard taken while this thread already holds the lock (a socket destroyed under the
// lock: a listener dropping its pending connections) does nothing.
class [[nodiscard]] StackGuard {
public:
    StackGuard();
    ~StackGuard();
    StackGuard(const StackGuard&) = delete;
    StackGuard& operator=(const StackGuard&) = delete;

private:
    bool outermost_;
};

// Whether a TCP connection's peer is in the guest itself (loopback, or the interface's
// own address): its segments never reach a device.
bool peer_inside_the_guest(const tcp_pcb& pcb);

// Under the stack lock: in a millisecond, acknowledge what every connection received and
// has not acknowledged yet (lwIP's TF_ACK_DELAY), instead of at lwIP's 250 ms timer.
void ack_soon();

}  // namespace eremite::net
