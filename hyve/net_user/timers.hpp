// libslirp's timers (SlirpCb::timer_new, timer_mod, timer_free), kept by the helper
// itself: libslirp only asks for them and expects its callback to run once the
// deadline passes. The event loop asks for the nearest deadline to bound its poll() and
// runs what is due after each wake-up. Single-threaded, as everything in the helper.
#pragma once

#include <cstdint>
#include <list>
#include <optional>

namespace ehyve::net_user {

// CLOCK_MONOTONIC: the clock libslirp reads through SlirpCb::clock_get_ns. Timer
// deadlines are in its milliseconds (libslirp computes them as clock_get_ns() / 1e6).
int64_t monotonic_nanoseconds();
inline int64_t monotonic_milliseconds() { return monotonic_nanoseconds() / 1'000'000; }

class TimerList {
public:
    using Callback = void (*)(void* opaque);
    struct Timer {
        Callback callback;
        void* opaque;
        std::optional<int64_t> deadline_ms;  // none: not armed
    };

    Timer* create(Callback callback, void* opaque);
    void destroy(Timer* timer);
    void arm(Timer* timer, int64_t deadline_ms) { timer->deadline_ms = deadline_ms; }

    // Milliseconds from now_ms until the earliest armed timer is due (0 when one is
    // already due); none when no timer is armed.
    std::optional<int64_t> milliseconds_until_next(int64_t now_ms) const;

    // Disarms and calls every timer due at now_ms, each at most once (a callback that
    // re-arms its timer for now_ms or earlier runs on the next call, not in a loop). A
    // callback may create, arm or destroy any timer, itself included.
    void run_due(int64_t now_ms);

private:
    bool contains(const Timer* timer) const;

    std::list<Timer> timers_;  // a list: libslirp holds Timer pointers, which must stay valid
};

}  // namespace ehyve::net_user
