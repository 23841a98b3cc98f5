// Signals: numbers, names, the app's dispositions and masks (kept, as Linux keeps them),
// and termination by a signal. Delivery to handlers comes with threads and the
// scheduler; until then a signal whose action would run a handler ends the app as the
// default action would, and says so in the log.
#pragma once

#include <stdint.h>

namespace eremite::linux {

enum Signal : int {
    sighup = 1,
    sigint = 2,
    sigquit = 3,
    sigill = 4,
    sigtrap = 5,
    sigabrt = 6,
    sigbus = 7,
    sigfpe = 8,
    sigkill = 9,
    sigusr1 = 10,
    sigsegv = 11,
    sigusr2 = 12,
    sigpipe = 13,
    sigalrm = 14,
    sigterm = 15,
    sigstkflt = 16,
    sigchld = 17,
    sigcont = 18,
    sigstop = 19,
    sigtstp = 20,
    sigttin = 21,
    sigttou = 22,
    sigurg = 23,
    sigxcpu = 24,
    sigxfsz = 25,
    sigvtalrm = 26,
    sigprof = 27,
    sigwinch = 28,
    sigio = 29,
    sigpwr = 30,
    sigsys = 31,
};
inline constexpr int signal_count = 64;

const char* signal_name(int signal);

// Ends the VM as a shell would report the app killed by `signal`: status 128 + signal.
[[noreturn]] void terminate_by_signal(int signal);

}  // namespace eremite::linux
