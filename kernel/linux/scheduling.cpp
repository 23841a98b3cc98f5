// CPU placement: sched_getaffinity, sched_setaffinity (honoured: a thread runs only on
// CPUs in its mask) and getcpu.
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"
#include "sched/thread_table.hpp"
#include "smp.hpp"

namespace eremite::linux {
namespace {

// Runs `read` on the thread a pid argument names: 0 or the caller's tid is the caller;
// another thread of the app under the thread table's lock (`read` must not block or
// touch app memory). False when there is no such thread (ESRCH).
template <typename Read>
bool on_thread(int32_t pid, Read&& read) {
    sched::Thread* self = sched::current();
    if (pid == 0 || pid == self->tid) {
        read(*self);
        return true;
    }
    return pid > 0 && sched::thread_table::visit(pid, read);
}

bool thread_exists(int32_t pid) {
    return on_thread(pid, [](sched::Thread&) {});
}

uint64_t possible_mask() {
    uint32_t count = sched::cpu_count();
    return count >= 64 ? ~0ull : (1ull << count) - 1;
}

}  // namespace

int64_t sys_sched_getaffinity(const SyscallArgs& args) {
    // The kernel's mask is one unsigned long (nr_cpu_ids <= 64); Linux returns its size.
    // The checks in Linux's order: the length, then the thread.
    uint64_t length = args[1];
    if (length < sizeof(uint64_t) || (length & (sizeof(uint64_t) - 1))) return failure(Errno::einval);
    uint64_t mask = 0;
    if (!on_thread(args.integer(0), [&](sched::Thread& thread) { mask = thread.affinity; }))
        return failure(Errno::esrch);
    mask &= possible_mask();
    if (!write_app(args.pointer<void>(2), mask)) return failure(Errno::efault);
    return sizeof(uint64_t);
}

int64_t sys_sched_setaffinity(const SyscallArgs& args) {
    // The checks in Linux's order: reading the mask, the thread, then the mask's CPUs.
    // Linux reads only the bits it can use: the rest of a longer mask is not looked at,
    // and a shorter one leaves the rest clear.
    int32_t pid = args.integer(0);
    uint64_t length = args[1];
    uint64_t mask = 0;
    if (!copy_from_app(&mask, args.pointer<void>(2), length < sizeof mask ? length : sizeof mask))
        return failure(Errno::efault);
    if (!thread_exists(pid)) return failure(Errno::esrch);
    mask &= possible_mask();
    if (!mask) return failure(Errno::einval);  // no CPU of this machine in the set
    if (pid == 0 || pid == sched::current()->tid) {
        sched::set_own_affinity(mask);
        return 0;
    }
    return sched::thread_table::visit(pid, [&](sched::Thread& thread) { sched::set_affinity(thread, mask); })
               ? 0
               : failure(Errno::esrch);  // it exited meanwhile
}

int64_t sys_getcpu(const SyscallArgs& args) {
    uint32_t cpu = sched::this_cpu_index(), node = 0;
    if (args[0]) {
        if (!write_app(args.pointer<void>(0), cpu)) return failure(Errno::efault);
    }
    if (args[1]) {
        if (!write_app(args.pointer<void>(1), node)) return failure(Errno::efault);
    }
    return 0;
}

namespace {

// include/uapi/linux/sched.h
enum Policy : int32_t {
    sched_other = 0,
    sched_fifo = 1,
    sched_rr = 2,
    sched_batch = 3,
    sched_idle = 5,
    sched_deadline = 6
};

bool valid_policy(int32_t policy) {
    return policy == sched_other || policy == sched_fifo || policy == sched_rr || policy == sched_batch ||
           policy == sched_idle;
}

}  // namespace

// getpriority/setpriority: the nice value of a thread (PRIO_PROCESS names a thread, as on
// Linux), which sets how long its time slices are. The raw syscall returns 20 - nice.
int64_t sys_getpriority(const SyscallArgs& args) {
    constexpr int32_t prio_process = 0;
    if (args.integer(0) != prio_process) return failure(Errno::einval);
    int32_t nice = 0;
    if (!on_thread(args.integer(1), [&](sched::Thread& thread) { nice = thread.nice; })) return failure(Errno::esrch);
    return 20 - nice;
}

int64_t sys_setpriority(const SyscallArgs& args) {
    constexpr int32_t prio_process = 0;
    if (args.integer(0) != prio_process) return failure(Errno::einval);
    int32_t nice = args.integer(2);
    nice = nice < -20 ? -20 : nice > 19 ? 19 : nice;
    // Raising one's priority needs privilege (RLIMIT_NICE is 0): the app runs as the host user.
    const bool privileged = process_is_privileged();
    bool refused = false;
    bool found = on_thread(args.integer(1), [&](sched::Thread& thread) {
        refused = nice < thread.nice && !privileged;
        if (!refused) thread.nice = static_cast<int8_t>(nice);
    });
    if (!found) return failure(Errno::esrch);
    return refused ? failure(Errno::eacces) : 0;
}

// Every thread runs under SCHED_OTHER with priority 0: the scheduler has one policy.
int64_t sys_sched_getscheduler(const SyscallArgs& args) {
    return thread_exists(args.integer(0)) ? int64_t{sched_other} : failure(Errno::esrch);
}

int64_t sys_sched_getparam(const SyscallArgs& args) {
    if (!thread_exists(args.integer(0))) return failure(Errno::esrch);
    int32_t priority = 0;
    return write_app(args.pointer<void>(1), priority) ? 0 : failure(Errno::efault);
}

namespace {

int64_t set_policy(int32_t pid, int32_t policy, const void* parameter) {
    if (!thread_exists(pid)) return failure(Errno::esrch);
    int32_t priority;
    if (!read_app(priority, parameter)) return failure(Errno::efault);
    if (!valid_policy(policy)) return failure(Errno::einval);
    bool realtime = policy == sched_fifo || policy == sched_rr;
    if (realtime ? (priority < 1 || priority > 99) : priority != 0) return failure(Errno::einval);
    if (policy != sched_other) {
        // Refused rather than accepted and ignored: the scheduler has only SCHED_OTHER.
        log::info("sched_setscheduler: policy %d is not supported; threads stay SCHED_OTHER", policy);
        return failure(Errno::eperm);
    }
    return 0;
}

}  // namespace

int64_t sys_sched_setscheduler(const SyscallArgs& args) {
    return set_policy(args.integer(0), args.integer(1), args.pointer<void>(2));
}

int64_t sys_sched_setparam(const SyscallArgs& args) {
    return set_policy(args.integer(0), sched_other, args.pointer<void>(1));
}

int64_t sys_sched_get_priority_max(const SyscallArgs& args) {
    int32_t policy = args.integer(0);
    if (!valid_policy(policy)) return failure(Errno::einval);
    return policy == sched_fifo || policy == sched_rr ? 99 : 0;
}

int64_t sys_sched_get_priority_min(const SyscallArgs& args) {
    int32_t policy = args.integer(0);
    if (!valid_policy(policy)) return failure(Errno::einval);
    return policy == sched_fifo || policy == sched_rr ? 1 : 0;
}

}  // namespace eremite::linux
