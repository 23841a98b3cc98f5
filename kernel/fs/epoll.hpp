// epoll(7): a set of (descriptor, open file) pairs and the events wanted from each.
// An item listens on its file's poll queue (sync/wait_queue.hpp): every wake-up marks it
// and wakes the set's own queue, where epoll_wait sleeps and where poll() and other
// epoll sets watching this one listen in turn. epoll_wait asks the items' files for
// their events, as poll does: level-triggered items whenever they are ready,
// edge-triggered ones only after a wake-up since they were last looked at (Linux's
// semantics: a new wake-up reports again even when the state did not change),
// one-shot ones once until EPOLL_CTL_MOD re-arms them. Each call starts where the last
// one stopped, so with a small maxevents every ready item gets its turn.
//
// An item does not keep its file open: when the file's last reference goes (every
// descriptor closed), it leaves every set, as on Linux. One sleeping lock guards every
// set and every file's list of items; a set inside a set is allowed without cycles
// (ELOOP, as Linux).
#pragma once

#include <stdint.h>

#include "fs/file.hpp"

namespace eremite::fs {

// struct epoll_event: packed on x86-64.
struct __attribute__((packed)) EpollEvent {
    uint32_t events;
    uint64_t data;
};
static_assert(sizeof(EpollEvent) == 12);

inline constexpr uint32_t epoll_exclusive = 1u << 28, epoll_wakeup = 1u << 29, epoll_oneshot = 1u << 30,
                          epoll_edge_triggered = 1u << 31;
inline constexpr int epoll_ctl_add = 1, epoll_ctl_del = 2, epoll_ctl_mod = 3;

// A new, empty set (`flags`: o_cloexec is the descriptor's business, not the file's).
Result<Ref<File>> make_epoll();

// EPOLL_CTL_ADD/DEL/MOD of (fd, target) in `epoll` (File::is_epoll_set). `event` is ignored for DEL.
Result<void> epoll_control(File& epoll, int operation, int32_t fd, File& target, const EpollEvent& event);

// Up to `capacity` events ready now, into `out` (kernel memory); 0 when none is.
uint64_t epoll_collect(File& epoll, EpollEvent* out, uint64_t capacity);

// Waits until an item of the set may have become ready after `seen` (a value of
// epoll_wakeups taken before the last epoll_collect) or the TSC deadline passes
// (0 = none); false on the deadline.
uint64_t epoll_wakeups(File& epoll);
bool epoll_wait_for_wakeup(File& epoll, uint64_t seen, uint64_t deadline_tsc);

}  // namespace eremite::fs
