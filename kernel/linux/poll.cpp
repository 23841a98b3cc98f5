// poll, ppoll, select and pselect6 (fs/select.c): one engine for all four. Each pass asks
// every file for its poll_events(); the first pass also queues an entry of a MultiWait
// on each file's poll_queue() (sync/wait_queue.hpp), so that any change to any of them
// wakes the thread, which then passes over them all again. As on Linux, a pass that finds
// something ready stops queueing entries, a zero timeout queues none, and the files
// waited on are held by reference until the call returns (their queues live in them).
//
// Timeouts are relative and end at a CLOCK_MONOTONIC instant; ppoll, select and pselect6
// write back the time that was left, as Linux does (poll_select_finish). Signal masks of
// ppoll and pselect6 are checked and read, then have no effect: no signal can be
// delivered to a handler yet (signals.cpp), so none can interrupt the wait.
#include "arch/x86_64/cpu.hpp"
#include "fs/vfs.hpp"
#include "lib/string.hpp"
#include "linux/file_syscalls.hpp"
#include "linux/wait_timeout.hpp"
#include "mm/memory.hpp"
#include "sync/wait_queue.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

using fs::File;
using fs::Ref;

struct Timeval {
    int64_t seconds, microseconds;
};

}  // namespace

int64_t read_timespec_timeout(const void* app_timespec, Timeout& timeout) {
    Timespec value;
    if (!read_app(value, app_timespec)) return failure(Errno::efault);
    if (value.seconds < 0 || value.nanoseconds < 0 ||
        static_cast<uint64_t>(value.nanoseconds) >= nanoseconds_per_second)
        return failure(Errno::einval);
    uint64_t span;
    if (__builtin_mul_overflow(static_cast<uint64_t>(value.seconds), nanoseconds_per_second, &span) ||
        !checked_add(span, static_cast<uint64_t>(value.nanoseconds), span))
        span = ~0ull;
    timeout = Timeout::after(span);
    return 0;
}

void write_back_timespec(void* app_timespec, const Timeout& timeout) {
    uint64_t left;
    if (!app_timespec || !timeout.remaining(left)) return;
    Timespec value{static_cast<int64_t>(left / nanoseconds_per_second),
                   static_cast<int64_t>(left % nanoseconds_per_second)};
    // A timespec in read-only memory is left as it is: the call succeeded.
    (void)write_app(app_timespec, value);
}

int64_t check_signal_mask(const void* app_mask, uint64_t size) {
    if (!app_mask) return 0;
    if (size != sizeof(uint64_t)) return failure(Errno::einval);
    uint64_t mask;
    if (!read_app(mask, app_mask)) return failure(Errno::efault);
    return 0;
}

namespace {

// One file being waited on: the reference keeps its queue alive while `entry` is on it.
struct Slot {
    Ref<File> file;
    MultiWait::Entry entry;
};

// Slots on the kernel stack for small calls, on the heap for large ones.
class Slots {
public:
    static constexpr uint64_t inline_count = 16;
    bool allocate(uint64_t count) {
        if (count <= inline_count) {
            slots_ = inline_;
            return true;
        }
        heap_ = new Slot[count];
        slots_ = heap_;
        return heap_ != nullptr;
    }
    ~Slots() { delete[] heap_; }
    Slot& operator[](uint64_t i) { return slots_[i]; }

private:
    Slot inline_[inline_count];
    Slot* heap_ = nullptr;
    Slot* slots_ = nullptr;
};

// Queues an entry on `file`'s poll queue, if it has one.
void watch(MultiWait& wait, Slot& slot, const Ref<File>& file) {
    if (WaitQueue* queue = file->poll_queue()) {
        slot.file = file;
        wait.add(*queue, slot.entry);
    }
}

// Passes until `pass` finds something ready (a count), fails (a negative errno) or the
// timeout ends (0). `pass(wait)` queues entries on `wait` when it is not null. `slots`
// must outlive the MultiWait here, which takes its entries off their queues.
template <typename Pass>
int64_t wait_for_events(const Timeout& timeout, Pass pass) {
    MultiWait wait;
    bool queueing = !timeout.immediate();
    for (;;) {
        wait.begin_check();
        int64_t ready = pass(queueing ? &wait : nullptr);
        queueing = false;
        if (ready != 0) return ready;
        if (timeout.expired()) return 0;
        wait.sleep(timeout.deadline_tsc());
    }
}

// ---- poll ----------------------------------------------------------------------------

struct PollFd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};
static_assert(sizeof(PollFd) == 8);

int64_t do_poll(PollFd* app_fds, uint64_t count, const Timeout& timeout) {
    if (count > fs::fd_limit()) return failure(Errno::einval);
    PollFd small[Slots::inline_count];
    PollFd* fds = small;
    if (count > Slots::inline_count) {
        fds = new PollFd[count];
        if (!fds) return failure(Errno::enomem);
    }
    struct Release {
        PollFd* fds;
        PollFd* small;
        ~Release() {
            if (fds != small) delete[] fds;
        }
    } release{fds, small};
    if (count && !copy_from_app(fds, app_fds, count * sizeof(PollFd))) return failure(Errno::efault);
    Slots slots;
    if (!slots.allocate(count)) return failure(Errno::enomem);

    int64_t ready = wait_for_events(timeout, [&](MultiWait* wait) -> int64_t {
        int64_t found = 0;
        for (uint64_t i = 0; i < count; ++i) {
            PollFd& p = fds[i];
            p.revents = 0;
            if (p.fd < 0) continue;  // ignored: revents 0
            auto file = fs::file_of(p.fd);
            if (!file.ok()) {
                p.revents = static_cast<int16_t>(fs::poll_nval);
                ++found;
                continue;
            }
            if (wait && !slots[i].file) watch(*wait, slots[i], file.value());
            uint32_t wanted = static_cast<uint16_t>(p.events) | fs::poll_err | fs::poll_hup;
            p.revents = static_cast<int16_t>(file.value()->poll_events() & wanted);
            if (p.revents) {
                ++found;
                wait = nullptr;  // something is ready: no need to wait on the rest
            }
        }
        return found;
    });
    for (uint64_t i = 0; i < count; ++i) {
        if (!write_app(&app_fds[i].revents, fds[i].revents)) return failure(Errno::efault);
    }
    return ready;
}

// ---- select --------------------------------------------------------------------------

// What select's three sets mean in poll events (fs/select.c).
constexpr uint32_t pollin_set = fs::poll_rdnorm | 0x80 /* POLLRDBAND */ | fs::poll_in | fs::poll_hup | fs::poll_err;
constexpr uint32_t pollout_set = 0x200 /* POLLWRBAND */ | fs::poll_wrnorm | fs::poll_out | fs::poll_err;
constexpr uint32_t pollex_set = fs::poll_pri;

int64_t do_select(int64_t n, uint64_t* app_in, uint64_t* app_out, uint64_t* app_except, const Timeout& timeout) {
    if (n < 0) return failure(Errno::einval);
    n = min<int64_t>(n, fs::fd_limit());  // Linux stops at the size of the descriptor table
    uint64_t words = (static_cast<uint64_t>(n) + 63) / 64;
    // in, out, except, then the results of each.
    constexpr uint64_t inline_words = 16;
    uint64_t small[6 * inline_words];
    uint64_t* sets = small;
    if (words > inline_words) {
        sets = new uint64_t[6 * words];
        if (!sets) return failure(Errno::enomem);
    }
    struct Release {
        uint64_t* sets;
        uint64_t* small;
        ~Release() {
            if (sets != small) delete[] sets;
        }
    } release{sets, small};
    uint64_t* const wanted[3] = {sets, sets + words, sets + 2 * words};
    uint64_t* const result[3] = {sets + 3 * words, sets + 4 * words, sets + 5 * words};
    uint64_t* const app_sets[3] = {app_in, app_out, app_except};
    for (int k = 0; k < 3; ++k) {
        if (!app_sets[k]) {
            memset(wanted[k], 0, words * 8);
        } else if (words && !copy_from_app(wanted[k], app_sets[k], words * 8)) {
            return failure(Errno::efault);
        }
    }
    // Every descriptor named must be open (max_select_fd): EBADF before any wait.
    uint64_t named = 0;
    for (int64_t fd = 0; fd < n; ++fd) {
        uint64_t bit = 1ull << (fd % 64);
        if (!((wanted[0][fd / 64] | wanted[1][fd / 64] | wanted[2][fd / 64]) & bit)) continue;
        if (!fs::file_of(static_cast<int32_t>(fd)).ok()) return failure(Errno::ebadf);
        ++named;
    }
    Slots slots;
    if (!slots.allocate(named)) return failure(Errno::enomem);

    int64_t ready = wait_for_events(timeout, [&](MultiWait* wait) -> int64_t {
        int64_t found = 0;
        uint64_t slot = 0;
        for (int k = 0; k < 3; ++k) memset(result[k], 0, words * 8);
        for (int64_t fd = 0; fd < n; ++fd) {
            uint64_t word = static_cast<uint64_t>(fd) / 64, bit = 1ull << (fd % 64);
            bool in = wanted[0][word] & bit, out = wanted[1][word] & bit, except = wanted[2][word] & bit;
            if (!in && !out && !except) continue;
            Slot& s = slots[slot++];
            auto file = fs::file_of(static_cast<int32_t>(fd));
            if (!file.ok()) continue;  // closed since: skipped, as do_select's fdget failing
            if (wait && !s.file) watch(*wait, s, file.value());
            uint32_t events = file.value()->poll_events();
            bool any = false;
            if (in && (events & pollin_set)) {
                result[0][word] |= bit;
                ++found;
                any = true;
            }
            if (out && (events & pollout_set)) {
                result[1][word] |= bit;
                ++found;
                any = true;
            }
            if (except && (events & pollex_set)) {
                result[2][word] |= bit;
                ++found;
                any = true;
            }
            if (any) wait = nullptr;
        }
        return found;
    });
    if (ready < 0) return ready;
    for (int k = 0; k < 3; ++k) {
        if (app_sets[k] && words && !copy_to_app(app_sets[k], result[k], words * 8)) return failure(Errno::efault);
    }
    return ready;
}

}  // namespace

int64_t sys_poll(const SyscallArgs& args) {
    auto milliseconds = static_cast<int32_t>(args[2]);
    Timeout timeout =
        milliseconds < 0 ? Timeout::infinite() : Timeout::after(static_cast<uint64_t>(milliseconds) * 1000000);
    return do_poll(args.pointer<PollFd>(0), static_cast<uint32_t>(args[1]), timeout);
}

int64_t sys_ppoll(const SyscallArgs& args) {
    auto* app_timeout = args.pointer<void>(2);
    Timeout timeout = Timeout::infinite();
    if (app_timeout) {
        if (int64_t failed = read_timespec_timeout(app_timeout, timeout)) return failed;
    }
    if (int64_t failed = check_signal_mask(args.pointer<void>(3), args[4])) return failed;
    int64_t result = do_poll(args.pointer<PollFd>(0), static_cast<uint32_t>(args[1]), timeout);
    write_back_timespec(app_timeout, timeout);
    return result;
}

int64_t sys_select(const SyscallArgs& args) {
    auto* app_timeout = args.pointer<void>(4);
    Timeout timeout = Timeout::infinite();
    if (app_timeout) {
        Timeval value;
        if (!read_app(value, app_timeout)) return failure(Errno::efault);
        // Microseconds past a second carry into the seconds (kern_select); a negative
        // part makes the timespec invalid.
        Timespec normalized{value.seconds + value.microseconds / 1000000, value.microseconds % 1000000 * 1000};
        if (normalized.seconds < 0 || normalized.nanoseconds < 0) return failure(Errno::einval);
        uint64_t span;
        if (__builtin_mul_overflow(static_cast<uint64_t>(normalized.seconds), nanoseconds_per_second, &span) ||
            !checked_add(span, static_cast<uint64_t>(normalized.nanoseconds), span))
            span = ~0ull;
        timeout = Timeout::after(span);
    }
    int64_t result = do_select(static_cast<int32_t>(args[0]), args.pointer<uint64_t>(1), args.pointer<uint64_t>(2),
                               args.pointer<uint64_t>(3), timeout);
    uint64_t left;
    if (app_timeout && timeout.remaining(left)) {
        Timeval value{static_cast<int64_t>(left / nanoseconds_per_second),
                      static_cast<int64_t>(left % nanoseconds_per_second / 1000)};
        (void)write_app(app_timeout, value);
    }
    return result;
}

int64_t sys_pselect6(const SyscallArgs& args) {
    auto* app_timeout = args.pointer<void>(4);
    Timeout timeout = Timeout::infinite();
    if (app_timeout) {
        if (int64_t failed = read_timespec_timeout(app_timeout, timeout)) return failed;
    }
    // The sixth argument points at {const sigset_t* mask; size_t size}.
    if (args[5]) {
        struct {
            uint64_t mask, size;
        } pack;
        if (!read_app(pack, args.pointer<void>(5))) return failure(Errno::efault);
        if (int64_t failed = check_signal_mask(reinterpret_cast<const void*>(pack.mask), pack.size)) return failed;
    }
    int64_t result = do_select(static_cast<int32_t>(args[0]), args.pointer<uint64_t>(1), args.pointer<uint64_t>(2),
                               args.pointer<uint64_t>(3), timeout);
    write_back_timespec(app_timeout, timeout);
    return result;
}

}  // namespace eremite::linux
