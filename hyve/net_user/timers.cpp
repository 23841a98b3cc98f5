#include "timers.hpp"

#include <time.h>

#include <algorithm>
#include <vector>

namespace ehyve::net_user {

int64_t monotonic_nanoseconds() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

TimerList::Timer* TimerList::create(Callback callback, void* opaque) {
    return &timers_.emplace_back(Timer{callback, opaque, std::nullopt});
}

void TimerList::destroy(Timer* timer) {
    timers_.remove_if([&](const Timer& candidate) { return &candidate == timer; });
}

std::optional<int64_t> TimerList::milliseconds_until_next(int64_t now_ms) const {
    std::optional<int64_t> nearest;
    for (const Timer& timer : timers_)
        if (timer.deadline_ms && (!nearest || *timer.deadline_ms < *nearest)) nearest = timer.deadline_ms;
    if (!nearest) return std::nullopt;
    return std::max<int64_t>(*nearest - now_ms, 0);
}

bool TimerList::contains(const Timer* timer) const {
    return std::any_of(timers_.begin(), timers_.end(), [&](const Timer& candidate) { return &candidate == timer; });
}

void TimerList::run_due(int64_t now_ms) {
    // Collect first, then check each again before calling it: an earlier callback may
    // have destroyed or re-armed a later one. (libslirp has one timer, so the quadratic
    // look-up costs nothing.)
    std::vector<Timer*> due;
    for (Timer& timer : timers_)
        if (timer.deadline_ms && *timer.deadline_ms <= now_ms) due.push_back(&timer);
    for (Timer* timer : due) {
        if (!contains(timer) || !timer->deadline_ms || *timer->deadline_ms > now_ms) continue;
        timer->deadline_ms.reset();
        timer->callback(timer->opaque);
    }
}

}  // namespace ehyve::net_user
