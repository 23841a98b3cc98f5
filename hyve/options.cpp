#include "options.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
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

// --net tap:NAME | user
void parse_net(NetworkOptions& network, std::string_view text) {
    if (text == "user") {
        network.kind = NetworkOptions::Kind::user;
    } else if (text.substr(0, 4) == "tap:" && text.size() > 4) {
        network.kind = NetworkOptions::Kind::tap;
        network.tap_name = std::string(text.substr(4));
        if (network.tap_name.size() > 15 || network.tap_name.find('/') != std::string::npos)
            fail("--net " + std::string(text) + ": an interface name has at most 15 characters and no '/'");
    } else {
        fail("--net: unknown network '" + std::string(text) + "' (use user, or tap:NAME for an existing TAP device)");
    }
}

std::optional<uint32_t> parse_port(std::string_view text) {
    auto port = parse_size(text);
    if (!port || *port == 0 || *port > 65535 || text.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return static_cast<uint32_t>(*port);
}

// PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT with PROTO tcp or udp.
void check_forward(std::string_view text) {
    const std::string quoted = "--forward '" + std::string(text) + "'";
    size_t first = text.find(':');
    std::string_view protocol = text.substr(0, first);
    if (first == std::string_view::npos || (protocol != "tcp" && protocol != "udp"))
        fail(quoted + ": use tcp:HOST_PORT:GUEST_PORT or udp:HOST_PORT:GUEST_PORT (optionally tcp:ADDR:HOST_PORT:...)");
    std::string_view rest = text.substr(first + 1);
    size_t last = rest.rfind(':');
    if (last == std::string_view::npos) fail(quoted + ": needs a host port and a guest port");
    std::string_view host = rest.substr(0, last), guest = rest.substr(last + 1);
    size_t address_end = host.rfind(':');
    if (address_end != std::string_view::npos) {
        std::string address(host.substr(0, address_end));
        in_addr parsed;
        if (inet_pton(AF_INET, address.c_str(), &parsed) != 1)
            fail(quoted + ": '" + address + "' is not an IPv4 address");
        host = host.substr(address_end + 1);
    }
    if (!parse_port(host)) fail(quoted + ": '" + std::string(host) + "' is not a port (1-65535)");
    if (!parse_port(guest)) fail(quoted + ": '" + std::string(guest) + "' is not a port (1-65535)");
}

void parse_ipv4(std::string_view option, std::string_view text, uint8_t (&out)[4]) {
    std::string address(text);
    if (inet_pton(AF_INET, address.c_str(), out) != 1)
        fail(std::string(option) + ": '" + address + "' is not an IPv4 address (a.b.c.d)");
}

// ADDRESS/PREFIX
void parse_ip(NetworkOptions& network, std::string_view text) {
    size_t slash = text.find('/');
    if (slash == std::string_view::npos)
        fail("--ip '" + std::string(text) + "': give the prefix too, e.g. 10.0.0.2/24");
    parse_ipv4("--ip", text.substr(0, slash), network.address);
    auto prefix = parse_size(text.substr(slash + 1));
    if (!prefix || *prefix < 1 || *prefix > 32) fail("--ip '" + std::string(text) + "': the prefix is 1 to 32");
    network.prefix_length = static_cast<uint8_t>(*prefix);
    network.static_address = true;
}

void parse_mac(NetworkOptions& network, std::string_view text) {
    unsigned bytes[6];
    char end;
    std::string mac(text);
    if (std::sscanf(mac.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &bytes[0], &bytes[1], &bytes[2], &bytes[3], &bytes[4],
                    &bytes[5], &end) != 6 ||
        mac.size() != 17)
        fail("--mac '" + mac + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    if (bytes[0] & 1) fail("--mac '" + mac + "' is a multicast address (the first byte must be even)");
    for (int i = 0; i < 6; ++i) network.mac[i] = static_cast<uint8_t>(bytes[i]);
    network.mac_given = true;
}

// A locally administered address (02:...) that depends only on the back-end, so the same
// command line gets the same MAC, and two TAP devices get different ones.
std::array<uint8_t, 6> derived_mac(const NetworkOptions& network) {
    std::string name = network.kind == NetworkOptions::Kind::tap ? "tap:" + network.tap_name : "user";
    uint32_t hash = 2166136261u;  // FNV-1a
    for (unsigned char c : name) hash = (hash ^ c) * 16777619u;
    return {0x02, 0x45, 0x52, uint8_t(hash >> 16), uint8_t(hash >> 8), uint8_t(hash)};
}

void finish_network(NetworkOptions& network, bool ip_options_given) {
    using Kind = NetworkOptions::Kind;
    if (network.kind == Kind::none) {
        if (!network.forwards.empty()) fail("--forward needs --net user");
        if (ip_options_given || network.mac_given) fail("--ip, --gateway, --dns and --mac need --net");
        return;
    }
    if (network.kind == Kind::tap && !network.forwards.empty())
        fail("--forward works with --net user only (a TAP device is reached directly)");
    if (!network.static_address && ip_options_given) fail("--gateway and --dns need --ip ADDRESS/PREFIX");
    if (network.kind == Kind::user && network.static_address)
        fail(
            "--ip does not go with --net user: user-mode networking gives the guest 10.0.2.15 by DHCP, and "
            "forwarded ports lead there");
    if (!network.mac_given) network.mac = derived_mac(network);
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
           "  --net user         a network device on user-mode networking (no root needed; the\n"
           "                     guest is 10.0.2.15, the host 10.0.2.2, DNS 10.0.2.3)\n"
           "  --net tap:NAME     a network device on the existing TAP device NAME\n"
           "  --forward tcp:HOST_PORT:GUEST_PORT, udp:..., tcp:HOST_ADDR:HOST_PORT:GUEST_PORT\n"
           "                     with --net user: host port to guest port (repeatable; host\n"
           "                     address 127.0.0.1 unless given)\n"
           "  --ip ADDR/PREFIX   static guest address (default: DHCP); with --gateway ADDR and\n"
           "                     --dns ADDR\n"
           "  --mac MAC          the device's MAC (default: derived from the back-end's name)\n"
           "  --mtu BYTES        the device's MTU, 1280 to 65000 (default: the TAP device's;\n"
           "                     9000 with --net user); larger frames make bulk TCP cheaper\n"
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
    bool ip_options_given = false, mtu_given = false;
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
        else if (is(arg, "--net"))
            parse_net(options.network, value_of(arg, "--net"));
        else if (is(arg, "--forward")) {
            options.network.forwards.push_back(value_of(arg, "--forward"));
            check_forward(options.network.forwards.back());
        } else if (is(arg, "--ip")) {
            parse_ip(options.network, value_of(arg, "--ip"));
            ip_options_given = true;
        } else if (is(arg, "--gateway")) {
            parse_ipv4("--gateway", value_of(arg, "--gateway"), options.network.gateway);
            ip_options_given = true;
        } else if (is(arg, "--dns")) {
            parse_ipv4("--dns", value_of(arg, "--dns"), options.network.dns);
            ip_options_given = true;
        } else if (is(arg, "--mtu")) {
            std::string text = value_of(arg, "--mtu");
            auto mtu = parse_size(text);
            if (!mtu || *mtu < minimum_mtu || *mtu > maximum_mtu ||
                text.find_first_not_of("0123456789") != std::string::npos)
                fail("--mtu '" + text + "': give " + std::to_string(minimum_mtu) + " to " +
                     std::to_string(maximum_mtu) + " bytes (IPv6 needs 1280)");
            options.network.mtu = static_cast<uint16_t>(*mtu);
            mtu_given = true;
        } else if (is(arg, "--mac"))
            parse_mac(options.network, value_of(arg, "--mac"));
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
    if (mtu_given && options.network.kind == NetworkOptions::Kind::none) fail("--mtu needs --net");
    finish_network(options.network, ip_options_given);
    if (i >= argc) fail("no APP given; usage: ehyve [OPTIONS] APP [ARGS...]");
    options.app = argv[i++];
    for (; i < argc; ++i) options.app_args.emplace_back(argv[i]);
    return options;
}

}  // namespace ehyve
