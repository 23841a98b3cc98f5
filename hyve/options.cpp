#include "options.hpp"

#include <unistd.h>

#include <string_view>

#include "error.hpp"
#include "size.hpp"

namespace ehyve {
namespace {

using eremite::abi::LogLevel;

LogLevel parse_level(std::string_view name) {
    if (name == "error") return LogLevel::error;
    if (name == "warn" || name == "warning") return LogLevel::warn;
    if (name == "info") return LogLevel::info;
    if (name == "debug") return LogLevel::debug;
    if (name == "trace") return LogLevel::trace;
    fail("--log-level: unknown level '" + std::string(name) + "' (use error, warn, info, debug or trace)");
}

uint64_t parse_memory(std::string_view text) {
    auto size = parse_size(text);
    if (!size) fail("--memory: '" + std::string(text) + "' is not a size (use e.g. 64M or 1G)");
    uint64_t rounded = (*size + (2u << 20) - 1) & ~((2ull << 20) - 1);  // whole 2 MiB pages
    if (*size < minimum_memory) fail("--memory " + std::string(text) + " is too small: Eremite needs at least 16M");
    if (*size > maximum_memory) fail("--memory " + std::string(text) + " is too large: at most 64G");
    return rounded;
}

uint32_t parse_cpus(std::string_view text) {
    auto count = parse_size(text);
    long host = sysconf(_SC_NPROCESSORS_ONLN);
    if (!count || *count == 0) fail("--cpus: '" + std::string(text) + "' is not a CPU count (use e.g. 2)");
    if (*count > eremite::abi::max_cpus) fail("--cpus " + std::string(text) + ": at most 64 vCPUs");
    if (host > 0 && *count > static_cast<uint64_t>(host))
        fail("--cpus " + std::string(text) + ": this host has only " + std::to_string(host) + " CPUs");
    return static_cast<uint32_t>(*count);
}

// "0,2-3" -> {0, 2, 3}
std::vector<int> parse_cpu_list(std::string_view text) {
    std::vector<int> cpus;
    long host = sysconf(_SC_NPROCESSORS_CONF);
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        size_t dash = item.find('-');
        auto first = parse_size(item.substr(0, dash));
        auto last = dash == std::string_view::npos ? first : parse_size(item.substr(dash + 1));
        if (!first || !last || *first > *last || (host > 0 && *last >= static_cast<uint64_t>(host)))
            fail("--affinity: '" + std::string(text) + "' is not a list of this host's CPUs (e.g. 0,1 or 0-3)");
        for (uint64_t cpu = *first; cpu <= *last; ++cpu) cpus.push_back(static_cast<int>(cpu));
        start = end + 1;
    }
    return cpus;
}

}  // namespace

std::string usage_text() {
    return "usage: ehyve [OPTIONS] APP [ARGS...]\n"
           "Runs the static Linux x86_64 program APP in an Eremite VM and exits with its status.\n"
           "\n"
           "  --memory SIZE      guest RAM, e.g. 64M or 2G (default 512M, at least 16M; host\n"
           "                     memory is used only as the guest touches it)\n"
           "  --cpus N           virtual CPUs (default 1, at most the host's)\n"
           "  --affinity LIST    pin vCPU i to the i-th host CPU of LIST, e.g. 0,1 or 2-3\n"
           "  --env KEY=VALUE    add to the app's environment (repeatable); the environment is\n"
           "                     exactly what is given here, nothing is inherited from the host\n"
           "  --kernel PATH      the Eremite kernel image (default: eremite-kernel beside ehyve)\n"
           "  --stats            after the app exits, print boot phases and VM exits to stderr\n"
           "  --strace           print every system call the app makes, as strace does\n"
           "  --log-level LEVEL  kernel log verbosity: error, warn (default), info, debug, trace\n"
           "  -v                 one level more verbose (repeatable: -v info, -vv debug, -vvv trace)\n"
           "  --help, --version\n"
           "\n"
           "Exit status: the app's, or 128+N when signal N killed it (also when ehyve itself gets\n"
           "SIGINT or SIGTERM); 125 when ehyve could not run the VM; 126 when the guest kernel\n"
           "failed (a kernel bug).\n";
}

Options parse_options(int argc, const char* const* argv) {
    Options options;
    int i = 1;
    // The value of an option given as "--name VALUE" or "--name=VALUE".
    auto value_of = [&](std::string_view arg, std::string_view name) -> std::string {
        if (arg.size() > name.size() && arg[name.size()] == '=') return std::string(arg.substr(name.size() + 1));
        if (i + 1 >= argc) fail(std::string(name) + " needs a value (see ehyve --help)");
        return argv[++i];
    };
    auto is = [](std::string_view arg, std::string_view name) {
        return arg == name ||
               (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=');
    };
    for (; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg.empty() || arg[0] != '-' || arg == "-") break;
        if (arg == "--help" || arg == "-h")
            options.show_help = true;
        else if (arg == "--version")
            options.show_version = true;
        else if (arg == "--stats")
            options.stats = true;
        else if (arg == "--strace")
            options.strace = true;
        else if (is(arg, "--memory"))
            options.memory = parse_memory(value_of(arg, "--memory"));
        else if (is(arg, "--kernel"))
            options.kernel = value_of(arg, "--kernel");
        else if (is(arg, "--cpus"))
            options.cpus = parse_cpus(value_of(arg, "--cpus"));
        else if (is(arg, "--affinity"))
            options.affinity = parse_cpu_list(value_of(arg, "--affinity"));
        else if (is(arg, "--env"))
            options.env.push_back(value_of(arg, "--env"));
        else if (is(arg, "--log-level"))
            options.log_level = parse_level(value_of(arg, "--log-level"));
        else if (is(arg, "--test-boot-abi-version")) {
            auto version = parse_size(value_of(arg, "--test-boot-abi-version"));
            if (!version || *version > UINT32_MAX) fail("--test-boot-abi-version needs a number");
            options.boot_abi_version = static_cast<uint32_t>(*version);
        } else if (arg.size() >= 2 && arg.substr(0, 2) == "-v" &&
                   arg.find_first_not_of('v', 1) == std::string_view::npos) {
            int level = static_cast<int>(options.log_level) + static_cast<int>(arg.size() - 1);
            options.log_level = static_cast<LogLevel>(std::min(level, static_cast<int>(LogLevel::trace)));
        } else {
            fail("unknown option '" + std::string(arg) + "' (see ehyve --help)");
        }
    }
    if (options.show_help || options.show_version) return options;
    if (i >= argc) fail("no APP given; usage: ehyve [OPTIONS] APP [ARGS...]");
    options.app = argv[i++];
    for (; i < argc; ++i) options.app_args.emplace_back(argv[i]);
    return options;
}

}  // namespace ehyve
