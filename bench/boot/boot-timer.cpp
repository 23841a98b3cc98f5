// boot-timer: runs a command N times and prints wall-time statistics.
//
//   boot-timer --runs N [--warmup K] -- COMMAND [ARGS...]
//
// Each run is fork + execvp with stdin, stdout and stderr on /dev/null. Its wall
// time is measured with CLOCK_MONOTONIC from just before fork() to just after
// waitpid() returns, so it covers the whole process: exec, load, run, exit and
// reaping. The K warm-up runs (default 0) are executed the same way and checked,
// but not counted.
//
// On success prints one machine-readable line to stdout and exits 0:
//   runs=N median_us=... p10_us=... p90_us=... min_us=... max_us=... mean_us=...
// If any run cannot be executed or does not exit with status 0, prints one line
// on stderr saying which run failed and how (exec errno, exit status or signal),
// and exits 1. Usage errors exit 2.

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

void usage() {
    std::fprintf(stderr, "usage: boot-timer --runs N [--warmup K] -- COMMAND [ARGS...]\n");
}

bool parse_count(std::string_view text, long min, long& out) {
    long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < min || v > 1000000) return false;
    out = v;
    return true;
}

double now_us() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Runs argv once; returns its wall time in microseconds, or a negative value
// (after printing why) if it could not be run or did not exit with status 0.
double run_once(char** argv, int devnull, long index, const char* label) {
    // A close-on-exec pipe on which the child reports errno if it cannot exec;
    // created before and read after the timed section.
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
        std::fprintf(stderr, "boot-timer: pipe2: %s\n", std::strerror(errno));
        return -1;
    }
    double start = now_us();
    pid_t pid = fork();
    if (pid < 0) {
        std::fprintf(stderr, "boot-timer: fork: %s\n", std::strerror(errno));
        close(errpipe[0]);
        close(errpipe[1]);
        return -1;
    }
    if (pid == 0) {
        if (dup2(devnull, STDIN_FILENO) >= 0 && dup2(devnull, STDOUT_FILENO) >= 0 &&
            dup2(devnull, STDERR_FILENO) >= 0)
            execvp(argv[0], argv);
        int err = errno;
        ssize_t ignored = write(errpipe[1], &err, sizeof err);
        (void)ignored;
        _exit(127);
    }
    close(errpipe[1]);
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    double elapsed = now_us() - start;
    int exec_errno = 0;
    ssize_t got = read(errpipe[0], &exec_errno, sizeof exec_errno);
    close(errpipe[0]);
    if (r < 0) {
        std::fprintf(stderr, "boot-timer: waitpid: %s\n", std::strerror(errno));
        return -1;
    }
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        std::fprintf(stderr, "boot-timer: %s run %ld: cannot execute '%s': %s\n", label, index + 1, argv[0],
                     std::strerror(exec_errno));
        return -1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return elapsed;
    if (WIFEXITED(status)) {
        std::fprintf(stderr, "boot-timer: %s run %ld of '%s' exited with status %d\n", label, index + 1, argv[0],
                     WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        std::fprintf(stderr, "boot-timer: %s run %ld of '%s' killed by signal %d (%s)\n", label, index + 1, argv[0],
                     WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else {
        std::fprintf(stderr, "boot-timer: %s run %ld of '%s' ended with wait status %#x\n", label, index + 1,
                     argv[0], status);
    }
    return -1;
}

// Percentile by linear interpolation between closest ranks; v must be sorted.
double percentile(const std::vector<double>& v, double p) {
    if (v.size() == 1) return v[0];
    double rank = p / 100.0 * static_cast<double>(v.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(rank));
    std::size_t hi = std::min(lo + 1, v.size() - 1);
    double frac = rank - static_cast<double>(lo);
    return v[lo] + (v[hi] - v[lo]) * frac;
}

}  // namespace

int main(int argc, char** argv) {
    long runs = -1;
    long warmup = 0;
    int cmd = -1;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            cmd = i + 1;
            break;
        }
        if (arg == "--runs" && i + 1 < argc) {
            if (!parse_count(argv[++i], 1, runs)) {
                std::fprintf(stderr, "boot-timer: --runs needs a positive integer\n");
                return 2;
            }
        } else if (arg == "--warmup" && i + 1 < argc) {
            if (!parse_count(argv[++i], 0, warmup)) {
                std::fprintf(stderr, "boot-timer: --warmup needs a non-negative integer\n");
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (runs < 1 || cmd < 0 || cmd >= argc) {
        usage();
        return 2;
    }
    char** command = argv + cmd;

    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        std::fprintf(stderr, "boot-timer: open /dev/null: %s\n", std::strerror(errno));
        return 1;
    }
    // Flush before forking so the child cannot inherit unwritten stdio buffers.
    std::fflush(nullptr);

    for (long i = 0; i < warmup; ++i) {
        if (run_once(command, devnull, i, "warm-up") < 0) return 1;
    }
    std::vector<double> times;
    times.reserve(static_cast<std::size_t>(runs));
    for (long i = 0; i < runs; ++i) {
        double t = run_once(command, devnull, i, "timed");
        if (t < 0) return 1;
        times.push_back(t);
    }
    close(devnull);

    std::sort(times.begin(), times.end());
    double sum = 0;
    for (double t : times) sum += t;
    std::printf("runs=%ld median_us=%.1f p10_us=%.1f p90_us=%.1f min_us=%.1f max_us=%.1f mean_us=%.1f\n", runs,
                percentile(times, 50), percentile(times, 10), percentile(times, 90), times.front(), times.back(),
                sum / static_cast<double>(times.size()));
    return 0;
}
