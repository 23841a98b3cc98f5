#include "options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

Sandbox parse_sandbox(std::string_view name) {
    if (name == "none") return Sandbox::none;
    if (name == "normal") return Sandbox::normal;
    if (name == "strict") return Sandbox::strict;
    fail("--sandbox: unknown mode '" + std::string(name) + "' (use none, normal or strict)");
}

// HOST_DIR:GUEST_DIR[:ro|:rw]. GUEST_DIR is what follows the last ':' (after the mode),
// so a host path may contain ':' and a guest path may not.
Mount parse_mount(std::string_view text) {
    const std::string quoted = "--mount '" + std::string(text) + "'";
    Mount mount;
    std::string_view spec = text;
    auto ends_with = [&](std::string_view suffix) {
        return spec.size() >= suffix.size() && spec.substr(spec.size() - suffix.size()) == suffix;
    };
    if (ends_with(":ro")) {
        mount.read_only = true;
        spec.remove_suffix(3);
    } else if (ends_with(":rw")) {
        spec.remove_suffix(3);
    }
    size_t colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
        fail(quoted + ": use HOST_DIR:GUEST_DIR or HOST_DIR:GUEST_DIR:ro");
    mount.host_directory = std::string(spec.substr(0, colon));
    mount.guest_path = normal_guest_path("--mount", spec.substr(colon + 1));
    if (mount.guest_path == "/")
        fail(quoted + ": cannot mount on / (the root is the guest's in-memory file system; use e.g. " +
             "HOST_DIR:/data, or --initrd to fill the root)");
    struct stat info;
    if (stat(mount.host_directory.c_str(), &info) < 0) {
        if (errno == ENOENT) fail(quoted + ": the host directory " + mount.host_directory + " does not exist");
        fail(quoted + ": " + mount.host_directory + ": " + std::strerror(errno));
    }
    if (!S_ISDIR(info.st_mode)) fail(quoted + ": " + mount.host_directory + " is not a directory");
    return mount;
}

void add_mount(std::vector<Mount>& mounts, Mount mount) {
    for (const Mount& other : mounts)
        if (other.guest_path == mount.guest_path) fail("--mount: two mounts on " + mount.guest_path);
    if (mounts.size() >= eremite::abi::max_mounts)
        fail("--mount: at most " + std::to_string(eremite::abi::max_mounts) + " mounts");
    mounts.push_back(std::move(mount));
}

}  // namespace

std::string normal_guest_path(std::string_view option, std::string_view path) {
    const std::string quoted = std::string(option) + " '" + std::string(path) + "'";
    if (path.empty() || path[0] != '/') fail(quoted + ": the guest path must be absolute (start with /)");
    // Linux's limits: PATH_MAX bytes with the NUL, NAME_MAX per component.
    constexpr size_t path_max = 4096, name_max = 255;
    std::string normal;
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view component = path.substr(start, end - start);
        start = end + 1;
        if (component.empty() || component == ".") continue;
        if (component == "..") fail(quoted + ": '..' is not allowed in a guest path");
        if (component.size() > name_max) fail(quoted + ": a path component is longer than 255 bytes");
        normal += '/';
        normal += component;
    }
    if (normal.size() >= path_max) fail(quoted + ": the guest path is longer than 4095 bytes");
    return normal.empty() ? std::string(1, '/') : normal;
}

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
           "  --mount HOST_DIR:GUEST_DIR[:ro]\n"
           "                     show the host directory HOST_DIR to the app at GUEST_DIR\n"
           "                     (repeatable, at most 32; :ro refuses every write)\n"
           "  --initrd FILE      fill the guest's root file system from FILE, a cpio archive\n"
           "                     in the newc format (find . | cpio -o -H newc > FILE)\n"
           "  --cwd DIR          the app's working directory in the guest (default /)\n"
           "  --sandbox MODE     how ehyve confines itself while the guest runs: normal (default:\n"
           "                     Landlock where the host kernel has it, so ehyve can open no\n"
           "                     files but the mounted directories), strict (the same, and\n"
           "                     fail where Landlock is missing), none\n"
           "  --kernel PATH      the Eremite kernel image (default: eremite-kernel beside ehyve)\n"
           "  --no-rewrite       leave every syscall instruction of the app as it is (each one traps)\n"
           "  --stats            after the app exits, print boot phases, VM exits and syscall paths to stderr\n"
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
        else if (arg == "--no-rewrite")
            options.rewrite_syscalls = false;
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
        else if (is(arg, "--mount"))
            add_mount(options.mounts, parse_mount(value_of(arg, "--mount")));
        else if (is(arg, "--initrd")) {
            options.initrd = value_of(arg, "--initrd");
            if (options.initrd.empty()) fail("--initrd needs a file name");
        } else if (is(arg, "--cwd"))
            options.working_directory = normal_guest_path("--cwd", value_of(arg, "--cwd"));
        else if (is(arg, "--sandbox"))
            options.sandbox = parse_sandbox(value_of(arg, "--sandbox"));
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
