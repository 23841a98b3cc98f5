#include "linux/signals.hpp"

#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"

namespace eremite::linux {
namespace {

// struct kernel_sigaction as the x86-64 rt_sigaction syscall sees it.
struct KernelSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
constexpr uint64_t sig_default = 0, sig_ignore = 1;

KernelSigaction actions[signal_count + 1];
uint64_t blocked_mask = 0;

constexpr uint64_t bit(int signal) { return 1ull << (signal - 1); }
constexpr uint64_t unblockable = bit(sigkill) | bit(sigstop);

// Signals whose default action is to ignore them (signal(7)).
bool ignored_by_default(int signal) {
    return signal == sigchld || signal == sigcont || signal == sigurg || signal == sigwinch;
}

const char* const names[32] = {
    "signal 0",  "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

// kill/tkill/tgkill aimed at the app itself.
int64_t send_to_self(int signal) {
    if (signal == 0) return 0;  // existence check
    if (signal < 0 || signal > signal_count) return failure(Errno::einval);
    const KernelSigaction& action = actions[signal];
    if (signal != sigkill && signal != sigstop) {
        if (action.handler == sig_ignore) return 0;
        if (action.handler == sig_default && ignored_by_default(signal)) return 0;
        if (signal == sigtstp || signal == sigttin || signal == sigttou) return 0;  // no job control here
        if (action.handler != sig_default) {
            if (blocked_mask & bit(signal)) return 0;  // stays pending: no handler can run yet
            log::warn(
                "%s has a handler, but signal handlers do not run yet: ending the app as the default "
                "action would",
                signal_name(signal));
        }
    }
    terminate_by_signal(signal);
}

}  // namespace

const char* signal_name(int signal) {
    static char text[16];
    if (signal > 0 && signal < 32) return names[signal];
    format(text, sizeof text, "SIGRT%d", signal);
    return text;
}

void terminate_by_signal(int signal) { end_vm(exiting_status(128 + signal)); }

int64_t sys_rt_sigaction(const SyscallArgs& args) {
    int signal = args.integer(0);
    if (args[3] != sizeof(uint64_t)) return failure(Errno::einval);
    if (signal < 1 || signal > signal_count) return failure(Errno::einval);
    auto* new_action = args.pointer<const KernelSigaction>(1);
    auto* old_action = args.pointer<KernelSigaction>(2);
    if (new_action && (signal == sigkill || signal == sigstop)) return failure(Errno::einval);
    KernelSigaction wanted;
    if (new_action && !read_app(wanted, new_action)) return failure(Errno::efault);
    KernelSigaction previous = actions[signal];
    if (new_action) {
        actions[signal] = wanted;
        actions[signal].mask &= ~unblockable;
    }
    if (old_action && !write_app(old_action, previous)) return failure(Errno::efault);
    return 0;
}

int64_t sys_rt_sigprocmask(const SyscallArgs& args) {
    constexpr int sig_block = 0, sig_unblock = 1, sig_setmask = 2;
    if (args[3] != sizeof(uint64_t)) return failure(Errno::einval);
    auto* new_set = args.pointer<const uint64_t>(1);
    auto* old_set = args.pointer<uint64_t>(2);
    uint64_t set = 0;
    if (new_set && !read_app(set, new_set)) return failure(Errno::efault);
    uint64_t previous = blocked_mask;
    if (new_set) {
        switch (args.integer(0)) {
            case sig_block: blocked_mask |= set; break;
            case sig_unblock: blocked_mask &= ~set; break;
            case sig_setmask: blocked_mask = set; break;
            default: return failure(Errno::einval);
        }
        blocked_mask &= ~unblockable;
    }
    if (old_set && !write_app(old_set, previous)) return failure(Errno::efault);
    return 0;
}

// pause(2) returns only when a signal handler has run; none can run yet, so the thread
// sleeps for good (other threads go on; the VM ends with exit_group or a signal to ehyve).
int64_t sys_pause(const SyscallArgs&) {
    for (;;) {
        sched::prepare_to_block(0);
        sched::schedule();
    }
}

int64_t sys_kill(const SyscallArgs& args) {
    int32_t pid = args.integer(0);
    if (pid != process_id && pid != 0 && pid != -1) return failure(Errno::esrch);
    return send_to_self(args.integer(1));
}

int64_t sys_tkill(const SyscallArgs& args) {
    if (args.integer(0) != process_id) return failure(Errno::esrch);
    return send_to_self(args.integer(1));
}

int64_t sys_tgkill(const SyscallArgs& args) {
    if (args.integer(0) != process_id || args.integer(1) != process_id) return failure(Errno::esrch);
    return send_to_self(args.integer(2));
}

}  // namespace eremite::linux
