// The timeouts of the calls that wait for readiness (poll, ppoll, select, pselect6,
// epoll_wait, epoll_pwait, epoll_pwait2): relative, ending at a CLOCK_MONOTONIC instant,
// with the time left written back where Linux does (poll_select_finish).
#pragma once

#include <stdint.h>

#include "arch/x86_64/cpu.hpp"
#include "lib/utility.hpp"
#include "time/clock.hpp"

namespace eremite::linux {

inline constexpr uint64_t nanoseconds_per_second = 1000000000;
// Beyond this (about three years) a timeout never ends as far as the TSC deadline goes;
// ns_to_ticks would overflow long before 2^64 ns.
inline constexpr uint64_t longest_deadline_ns = 100'000'000ull * nanoseconds_per_second;

struct Timespec {
    int64_t seconds, nanoseconds;
};

class Timeout {
public:
    static Timeout infinite() { return Timeout(); }
    static Timeout after(uint64_t span_ns) {
        Timeout t;
        t.infinite_ = false;
        t.immediate_ = span_ns == 0;
        uint64_t now = clock::monotonic_ns();
        t.end_ns_ = span_ns > ~0ull - now ? ~0ull : now + span_ns;
        if (span_ns && span_ns <= longest_deadline_ns)
            t.deadline_tsc_ = (arch::read_tsc() + clock::ns_to_ticks(span_ns)) | 1;
        return t;
    }
    bool immediate() const { return immediate_; }
    bool expired() const {
        if (infinite_) return false;
        return immediate_ || (deadline_tsc_ && arch::read_tsc() >= deadline_tsc_);
    }
    uint64_t deadline_tsc() const { return deadline_tsc_; }
    // What is left, for the write-back; false when nothing is written back (no timeout, or
    // a zero one: "No update for zero timeout").
    bool remaining(uint64_t& left_ns) const {
        if (infinite_ || immediate_) return false;
        uint64_t now = clock::monotonic_ns();
        left_ns = end_ns_ > now ? end_ns_ - now : 0;
        return true;
    }

private:
    bool infinite_ = true;
    bool immediate_ = false;
    uint64_t end_ns_ = 0;
    uint64_t deadline_tsc_ = 0;  // 0: none
};

// A timespec's timeout (poll_select_set_timeout): EINVAL unless 0 <= ns < 1 s and
// seconds >= 0. Returns 0 or a negative errno.
int64_t read_timespec_timeout(const void* app_timespec, Timeout& timeout);
// Writes what is left of `timeout` back to a timespec (nothing for none or a zero one).
void write_back_timespec(void* app_timespec, const Timeout& timeout);
// ppoll's, pselect6's and epoll_pwait's signal mask: checked and read, then unused (no
// signal handler can run yet, so none can interrupt the wait). 0 or a negative errno.
int64_t check_signal_mask(const void* app_mask, uint64_t size);

}  // namespace eremite::linux
