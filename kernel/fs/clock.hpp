// The wall clock as file systems see it: the kernel sets it once at boot (to its
// CLOCK_REALTIME), host tests leave it unset, and then every timestamp is zero. Kept
// apart from time/ so that file-system logic builds and is tested on the host.
#pragma once

#include "fs/node.hpp"

namespace eremite::fs {

// `now` must be safe to call from any thread, with or without locks held.
void set_clock(Timestamp (*now)());
// The current time by that clock, or zero when none is set.
Timestamp current_time();

}  // namespace eremite::fs
