// parse_options: ehyve's command line.
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.hpp"
#include "options.hpp"
#include "scratch_directory.hpp"

namespace {

using ehyve::HostError;
using ehyve::Options;
using eremite::abi::LogLevel;

Options parse(std::initializer_list<const char*> args) {
    std::vector<const char*> argv = {"ehyve"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(nullptr);  // as main() gets it
    return ehyve::parse_options(static_cast<int>(argv.size() - 1), argv.data());
}

// The message of the HostError that parsing throws ("" and a failure if none).
std::string error_of(std::initializer_list<const char*> args) {
    try {
        parse(args);
    } catch (const HostError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no HostError thrown";
    return "";
}

constexpr uint64_t mib = 1ull << 20;

TEST(Options, Defaults) {
    Options o = parse({"app"});
    EXPECT_EQ(o.memory, 512 * mib);
    EXPECT_EQ(o.memory, ehyve::default_memory);
    EXPECT_EQ(o.log_level, LogLevel::warn);
    EXPECT_TRUE(o.kernel.empty());
    EXPECT_TRUE(o.env.empty());
    EXPECT_FALSE(o.stats);
    EXPECT_FALSE(o.strace);
    EXPECT_FALSE(o.show_help);
    EXPECT_FALSE(o.show_version);
    EXPECT_EQ(o.app, "app");
    EXPECT_TRUE(o.app_args.empty());
}

TEST(Options, MemoryBothForms) {
    EXPECT_EQ(parse({"--memory", "1G", "app"}).memory, 1024 * mib);
    EXPECT_EQ(parse({"--memory=1G", "app"}).memory, 1024 * mib);
    EXPECT_EQ(parse({"--memory=64M", "app"}).memory, 64 * mib);
    EXPECT_EQ(parse({"--memory", "2g", "app"}).memory, 2048 * mib);
    EXPECT_EQ(parse({"--memory=16M", "app"}).memory, 16 * mib);
    EXPECT_EQ(parse({"--memory=64G", "app"}).memory, 64ull << 30);
    // The last one wins.
    EXPECT_EQ(parse({"--memory=1G", "--memory=32M", "app"}).memory, 32 * mib);
}

TEST(Options, MemoryRoundsUpToTwoMiB) {
    EXPECT_EQ(parse({"--memory=17M", "app"}).memory, 18 * mib);
    EXPECT_EQ(parse({"--memory=18M", "app"}).memory, 18 * mib);
    EXPECT_EQ(parse({"--memory=33554433", "app"}).memory, 34 * mib);  // 32 MiB + 1 byte
    EXPECT_EQ(parse({"--memory=20481K", "app"}).memory, 22 * mib);
    EXPECT_EQ(parse({"--memory=100M", "app"}).memory % (2 * mib), 0u);
}

TEST(Options, MemoryTooSmall) {
    for (const char* value : {"--memory=15M", "--memory=0", "--memory=16383K", "--memory=1"}) {
        std::string message = error_of({value, "app"});
        EXPECT_NE(message.find("--memory"), std::string::npos) << message;
        EXPECT_NE(message.find("small"), std::string::npos) << message;
    }
}

TEST(Options, MemoryTooLarge) {
    for (const char* value : {"--memory=65G", "--memory=1T", "--memory=68719476737", "--memory=18446744073709551615"}) {
        std::string message = error_of({value, "app"});
        EXPECT_NE(message.find("--memory"), std::string::npos) << message;
        EXPECT_NE(message.find("large"), std::string::npos) << message;
    }
}

TEST(Options, MemoryGarbage) {
    for (const char* value : {"lots", "", "1.5G", "-1", "12X", "99999999999999999999G"}) {
        std::string message = error_of({"--memory", value, "app"});
        EXPECT_NE(message.find("--memory"), std::string::npos) << message;
        std::string eq = std::string("--memory=") + value;
        message = error_of({eq.c_str(), "app"});
        EXPECT_NE(message.find("--memory"), std::string::npos) << message;
    }
}

TEST(Options, MissingValue) {
    for (const char* option : {"--memory", "--env", "--kernel", "--log-level"}) {
        std::string message = error_of({option});
        EXPECT_NE(message.find(option), std::string::npos) << message;
    }
}

TEST(Options, EnvIsRepeatableAndKeepsOrder) {
    Options o = parse({"--env", "A=1", "--env=B=2", "--env", "C=3=4", "--env", "A=5", "app"});
    EXPECT_EQ(o.env, (std::vector<std::string>{"A=1", "B=2", "C=3=4", "A=5"}));
}

TEST(Options, Verbosity) {
    EXPECT_EQ(parse({"-v", "app"}).log_level, LogLevel::info);
    EXPECT_EQ(parse({"-vv", "app"}).log_level, LogLevel::debug);
    EXPECT_EQ(parse({"-vvv", "app"}).log_level, LogLevel::trace);
    EXPECT_EQ(parse({"-vvvv", "app"}).log_level, LogLevel::trace);
    EXPECT_EQ(parse({"-vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", "app"}).log_level, LogLevel::trace);
    EXPECT_EQ(parse({"-v", "-v", "app"}).log_level, LogLevel::debug);
    EXPECT_EQ(parse({"-vv", "-vv", "-vv", "app"}).log_level, LogLevel::trace);
}

TEST(Options, LogLevelNames) {
    EXPECT_EQ(parse({"--log-level", "error", "app"}).log_level, LogLevel::error);
    EXPECT_EQ(parse({"--log-level=warn", "app"}).log_level, LogLevel::warn);
    EXPECT_EQ(parse({"--log-level=warning", "app"}).log_level, LogLevel::warn);
    EXPECT_EQ(parse({"--log-level=info", "app"}).log_level, LogLevel::info);
    EXPECT_EQ(parse({"--log-level=debug", "app"}).log_level, LogLevel::debug);
    EXPECT_EQ(parse({"--log-level=trace", "app"}).log_level, LogLevel::trace);
    // -v counts from the level set so far.
    EXPECT_EQ(parse({"--log-level=error", "-v", "app"}).log_level, LogLevel::warn);
    EXPECT_EQ(parse({"-vvv", "--log-level=error", "app"}).log_level, LogLevel::error);
}

TEST(Options, BadLogLevel) {
    for (const char* value : {"loud", "", "ERROR", "5"}) {
        std::string message = error_of({"--log-level", value, "app"});
        EXPECT_NE(message.find("--log-level"), std::string::npos) << message;
    }
}

TEST(Options, Flags) {
    Options o = parse({"--stats", "--strace", "app"});
    EXPECT_TRUE(o.stats);
    EXPECT_TRUE(o.strace);
    EXPECT_FALSE(parse({"--stats", "app"}).strace);
}

TEST(Options, Kernel) {
    EXPECT_EQ(parse({"--kernel", "/boot/eremite", "app"}).kernel, "/boot/eremite");
    EXPECT_EQ(parse({"--kernel=/boot/eremite", "app"}).kernel, "/boot/eremite");
    EXPECT_EQ(parse({"--kernel=a=b", "app"}).kernel, "a=b");
}

TEST(Options, TestBootAbiVersion) {
    EXPECT_EQ(parse({"app"}).boot_abi_version, eremite::abi::boot_abi_version);
    EXPECT_EQ(parse({"--test-boot-abi-version", "7", "app"}).boot_abi_version, 7u);
    EXPECT_EQ(parse({"--test-boot-abi-version=0", "app"}).boot_abi_version, 0u);
    EXPECT_EQ(parse({"--test-boot-abi-version=4294967295", "app"}).boot_abi_version, UINT32_MAX);
    for (const char* value : {"4294967296", "x", "", "-1"}) {
        std::string message = error_of({"--test-boot-abi-version", value, "app"});
        EXPECT_NE(message.find("--test-boot-abi-version"), std::string::npos) << message;
    }
}

TEST(Options, UnknownOption) {
    for (const char* option : {"--frobnicate", "-x", "--memoryx=1G", "--stats=yes", "-vx", "--env_x=1", "---"}) {
        std::string message = error_of({option, "app"});
        EXPECT_NE(message.find(option), std::string::npos) << message;
    }
}

TEST(Options, MissingApp) {
    EXPECT_NE(error_of({}).find("APP"), std::string::npos);
    EXPECT_NE(error_of({"--stats", "-v"}).find("APP"), std::string::npos);
    EXPECT_NE(error_of({"--"}).find("APP"), std::string::npos);
}

TEST(Options, ArgumentsAfterAppBelongToTheApp) {
    Options o = parse({"app", "--stats"});
    EXPECT_EQ(o.app, "app");
    EXPECT_EQ(o.app_args, (std::vector<std::string>{"--stats"}));
    EXPECT_FALSE(o.stats);

    o = parse({"-v", "./hello", "-v", "--memory", "1", "--", "--help", "x"});
    EXPECT_EQ(o.app, "./hello");
    EXPECT_EQ(o.app_args, (std::vector<std::string>{"-v", "--memory", "1", "--", "--help", "x"}));
    EXPECT_EQ(o.log_level, LogLevel::info);
    EXPECT_EQ(o.memory, ehyve::default_memory);
    EXPECT_FALSE(o.show_help);
}

TEST(Options, DoubleDashEndsOptions) {
    Options o = parse({"--stats", "--", "--weird-app", "--strace"});
    EXPECT_TRUE(o.stats);
    EXPECT_FALSE(o.strace);
    EXPECT_EQ(o.app, "--weird-app");
    EXPECT_EQ(o.app_args, (std::vector<std::string>{"--strace"}));
}

TEST(Options, LoneDashIsAnApp) {
    Options o = parse({"-", "x"});
    EXPECT_EQ(o.app, "-");
    EXPECT_EQ(o.app_args, (std::vector<std::string>{"x"}));
}

TEST(Options, HelpAndVersionNeedNoApp) {
    EXPECT_TRUE(parse({"--help"}).show_help);
    EXPECT_TRUE(parse({"-h"}).show_help);
    EXPECT_TRUE(parse({"--version"}).show_version);
    Options o = parse({"--stats", "--version"});
    EXPECT_TRUE(o.show_version);
    EXPECT_FALSE(o.show_help);
}

TEST(Options, UsageMentionsEveryOption) {
    std::string usage = ehyve::usage_text();
    for (const char* option : {"--memory", "--env", "--kernel", "--stats", "--strace", "--log-level", "-v", "--help",
                               "--version", "APP", "--mount", "--initrd", "--cwd", "--sandbox"})
        EXPECT_NE(usage.find(option), std::string::npos) << option;
}

}  // namespace

TEST(Options, Cpus) {
    EXPECT_EQ(parse({"app"}).cpus, 1u);
    EXPECT_EQ(parse({"--cpus", "1", "app"}).cpus, 1u);
    EXPECT_EQ(parse({"--cpus=1", "app"}).cpus, 1u);
    EXPECT_NE(error_of({"--cpus", "0", "app"}).find("--cpus"), std::string::npos);
    EXPECT_NE(error_of({"--cpus", "two", "app"}).find("--cpus"), std::string::npos);
    EXPECT_NE(error_of({"--cpus", "65", "app"}).find("at most 64"), std::string::npos);
    long host = sysconf(_SC_NPROCESSORS_ONLN);
    if (host < 64) {
        std::string too_many = std::to_string(host + 1);
        EXPECT_NE(error_of({"--cpus", too_many.c_str(), "app"}).find("this host has only"), std::string::npos);
    }
}

TEST(Options, AffinityList) {
    EXPECT_TRUE(parse({"app"}).affinity.empty());
    EXPECT_EQ(parse({"--affinity", "0", "app"}).affinity, (std::vector<int>{0}));
    long host = sysconf(_SC_NPROCESSORS_CONF);
    if (host >= 2) {
        EXPECT_EQ(parse({"--affinity=0-1,0", "app"}).affinity, (std::vector<int>{0, 1, 0}));
    }
    EXPECT_NE(error_of({"--affinity", "1-0", "app"}).find("--affinity"), std::string::npos);
    EXPECT_NE(error_of({"--affinity", "x", "app"}).find("--affinity"), std::string::npos);
    EXPECT_NE(error_of({"--affinity", "4096", "app"}).find("--affinity"), std::string::npos);
}

// ---- Files: --mount, --initrd, --cwd, --sandbox ------------------------------------------

namespace {

using ehyve::Mount;
using ehyve::Sandbox;

// A scratch directory with a subdirectory "d", a directory "a:b" and a file "f".
class FileOptions : public ::testing::Test {
protected:
    void SetUp() override {
        dir = scratch + "/d";
        ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
        ASSERT_EQ(mkdir((scratch + "/a:b").c_str(), 0755), 0);
        file = scratch + "/f";
        FILE* f = fopen(file.c_str(), "w");
        ASSERT_NE(f, nullptr);
        fclose(f);
    }
    Options parse_mount(const std::string& value) {
        std::string option = "--mount=" + value;
        return parse({option.c_str(), "app"});
    }
    std::string mount_error(const std::string& value) {
        std::string option = "--mount=" + value;
        return error_of({option.c_str(), "app"});
    }
    eremite::test::ScratchDirectory scratch_directory{"options"};
    const std::string scratch = scratch_directory.path();
    std::string dir, file;
};

TEST_F(FileOptions, Defaults) {
    Options o = parse({"app"});
    EXPECT_TRUE(o.mounts.empty());
    EXPECT_TRUE(o.initrd.empty());
    EXPECT_EQ(o.working_directory, "/");
    EXPECT_EQ(o.sandbox, Sandbox::normal);
}

TEST_F(FileOptions, MountForms) {
    Options o = parse({"--mount", (dir + ":/data").c_str(), "--mount=/tmp:/scratch:ro", "app"});
    ASSERT_EQ(o.mounts.size(), 2u);
    EXPECT_EQ(o.mounts[0].host_directory, dir);
    EXPECT_EQ(o.mounts[0].guest_path, "/data");
    EXPECT_FALSE(o.mounts[0].read_only);
    EXPECT_EQ(o.mounts[1].host_directory, "/tmp");
    EXPECT_EQ(o.mounts[1].guest_path, "/scratch");
    EXPECT_TRUE(o.mounts[1].read_only);
    EXPECT_FALSE(parse_mount(dir + ":/data:rw").mounts[0].read_only);
    // Guest paths are normalised.
    EXPECT_EQ(parse_mount(dir + "://data//sub/./x/").mounts[0].guest_path, "/data/sub/x");
    EXPECT_EQ(parse_mount(dir + ":/data/.:ro").mounts[0].guest_path, "/data");
    // A host path may hold ':' (the guest path is what follows the last one).
    Mount colon = parse_mount(scratch + "/a:b:/x:ro").mounts[0];
    EXPECT_EQ(colon.host_directory, scratch + "/a:b");
    EXPECT_EQ(colon.guest_path, "/x");
    EXPECT_TRUE(colon.read_only);
    // Relative host paths are the user's business: they name a directory from ehyve's cwd.
    EXPECT_EQ(parse_mount(".:/here").mounts[0].host_directory, ".");
}

TEST_F(FileOptions, MountErrors) {
    struct Case {
        std::string value, expected;
    };
    for (const Case& c : std::vector<Case>{
             {dir, "use HOST_DIR:GUEST_DIR"},
             {"", "use HOST_DIR:GUEST_DIR"},
             {":/data", "use HOST_DIR:GUEST_DIR"},
             {dir + ":", "must be absolute"},
             {dir + ":data", "must be absolute"},
             {dir + ":ro", "use HOST_DIR:GUEST_DIR"},
             {dir + ":/a/../b", "'..' is not allowed"},
             {dir + ":/", "cannot mount on /"},
             {dir + "://", "cannot mount on /"},
             {dir + ":/.", "cannot mount on /"},
             {dir + ":/" + std::string(256, 'x'), "longer than 255"},
             {dir + "-missing:/x", "does not exist"},
             {scratch + "/missing:/data", "does not exist"},
             {file + ":/data", "is not a directory"},
             {file + "/below:/data", "Not a directory"},
         }) {
        std::string message = mount_error(c.value);
        EXPECT_NE(message.find(c.expected), std::string::npos) << c.value << " -> " << message;
        EXPECT_EQ(message.find("--mount"), 0u) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
    }
    std::string deep = "/";
    while (deep.size() < 4096) deep += std::string(200, 'z') + "/";
    EXPECT_NE(mount_error(dir + ":" + deep).find("longer than 4095"), std::string::npos);
    EXPECT_NE(error_of({"--mount"}).find("--mount needs a value"), std::string::npos);
}

TEST_F(FileOptions, MountDuplicatesAndLimit) {
    std::string a = "--mount=" + dir + ":/data", b = "--mount=" + scratch + ":/data/", c = "--mount=" + dir + ":/other";
    EXPECT_NE(error_of({a.c_str(), b.c_str(), "app"}).find("two mounts on /data"), std::string::npos);
    // The same host directory twice, and nested guest paths, are fine.
    std::string nested = "--mount=" + dir + ":/data/inner";
    EXPECT_EQ(parse({a.c_str(), c.c_str(), nested.c_str(), "app"}).mounts.size(), 3u);

    std::vector<std::string> options;
    for (uint32_t i = 0; i <= eremite::abi::max_mounts; ++i)
        options.push_back("--mount=" + dir + ":/m" + std::to_string(i));
    std::vector<const char*> argv = {"ehyve"};
    for (const auto& option : options) argv.push_back(option.c_str());
    argv.push_back("app");
    argv.push_back(nullptr);
    try {
        ehyve::parse_options(static_cast<int>(argv.size() - 1), argv.data());
        ADD_FAILURE() << "33 mounts accepted";
    } catch (const HostError& e) {
        EXPECT_NE(std::string(e.what()).find("at most 32 mounts"), std::string::npos) << e.what();
    }
    argv.erase(argv.end() - 3);  // 32 mounts
    EXPECT_EQ(ehyve::parse_options(static_cast<int>(argv.size() - 1), argv.data()).mounts.size(),
              eremite::abi::max_mounts);
}

TEST_F(FileOptions, WorkingDirectory) {
    EXPECT_EQ(parse({"--cwd", "/data", "app"}).working_directory, "/data");
    EXPECT_EQ(parse({"--cwd=/", "app"}).working_directory, "/");
    EXPECT_EQ(parse({"--cwd=//srv//www/./", "app"}).working_directory, "/srv/www");
    for (const char* bad : {"data", "", "./x", "/a/../b", ".."}) {
        std::string message = error_of({"--cwd", bad, "app"});
        EXPECT_EQ(message.find("--cwd"), 0u) << bad << " -> " << message;
    }
    EXPECT_NE(error_of({"--cwd", "relative", "app"}).find("must be absolute"), std::string::npos);
    EXPECT_NE(error_of({"--cwd"}).find("--cwd needs a value"), std::string::npos);
}

TEST_F(FileOptions, Initrd) {
    // Only remembered here; run_vm opens and checks it (program_files_test.cpp).
    EXPECT_EQ(parse({"--initrd", "/boot/root.cpio", "app"}).initrd, "/boot/root.cpio");
    EXPECT_EQ(parse({"--initrd=x.cpio", "app"}).initrd, "x.cpio");
    EXPECT_NE(error_of({"--initrd=", "app"}).find("--initrd"), std::string::npos);
    EXPECT_NE(error_of({"--initrd"}).find("--initrd needs a value"), std::string::npos);
}

TEST_F(FileOptions, Sandbox) {
    EXPECT_EQ(parse({"--sandbox", "none", "app"}).sandbox, Sandbox::none);
    EXPECT_EQ(parse({"--sandbox=normal", "app"}).sandbox, Sandbox::normal);
    EXPECT_EQ(parse({"--sandbox=strict", "app"}).sandbox, Sandbox::strict);
    for (const char* bad : {"", "off", "Strict", "1"}) {
        std::string message = error_of({"--sandbox", bad, "app"});
        EXPECT_NE(message.find("--sandbox"), std::string::npos) << message;
        EXPECT_NE(message.find("none, normal or strict"), std::string::npos) << message;
    }
}

TEST(Options, NetworkDefaultsToNone) {
    Options o = parse({"app"});
    EXPECT_EQ(o.network.kind, ehyve::NetworkOptions::Kind::none);
    for (const char* needs_net : {"--ip=10.0.0.2/24", "--mac=02:00:00:00:00:01"}) {
        std::string message = error_of({needs_net, "app"});
        EXPECT_NE(message.find("need --net"), std::string::npos) << message;
    }
    EXPECT_NE(error_of({"--forward=tcp:80:80", "app"}).find("--forward needs --net user"), std::string::npos);
}

TEST(Options, NetworkUserWithForwards) {
    Options o = parse({"--net", "user", "--forward", "tcp:8080:80", "--forward=udp:127.0.0.1:5353:53", "app"});
    EXPECT_EQ(o.network.kind, ehyve::NetworkOptions::Kind::user);
    ASSERT_EQ(o.network.forwards.size(), 2u);
    EXPECT_EQ(o.network.forwards[1], "udp:127.0.0.1:5353:53");
    EXPECT_FALSE(o.network.static_address);
    // The MAC is locally administered, unicast and the same every time.
    EXPECT_EQ(o.network.mac[0], 0x02);
    EXPECT_EQ(parse({"--net", "user", "app"}).network.mac, o.network.mac);
    EXPECT_NE(parse({"--net", "tap:tap0", "app"}).network.mac, parse({"--net", "tap:tap1", "app"}).network.mac);
    for (const char* bad : {"tcp:80", "sctp:80:80", "tcp:0:80", "tcp:80:65536", "tcp:abc:80", "tcp:1.2.3:80:80",
                            "tcp:80:-1", "tcp::80"}) {
        std::string message = error_of({"--net", "user", "--forward", bad, "app"});
        EXPECT_EQ(message.find("--forward '"), 0u) << bad << " -> " << message;
    }
    EXPECT_NE(error_of({"--net", "tap:t0", "--forward", "tcp:1:2", "app"}).find("--net user only"), std::string::npos);
}

TEST(Options, NetworkMtu) {
    EXPECT_EQ(parse({"--net", "user", "app"}).network.mtu, 0);  // the TAP's own, or 1500
    EXPECT_EQ(parse({"--net", "tap:t", "--mtu", "9000", "app"}).network.mtu, 9000);
    EXPECT_EQ(parse({"--net=user", "--mtu=1280", "app"}).network.mtu, 1280);
    for (const char* bad : {"1279", "65001", "9k", "", "-1"}) {
        std::string message = error_of({"--net", "user", "--mtu", bad, "app"});
        EXPECT_EQ(message.find("--mtu '"), 0u) << bad << " -> " << message;
    }
    EXPECT_NE(error_of({"--mtu", "9000", "app"}).find("--mtu needs --net"), std::string::npos);
}

TEST(Options, NetworkTapWithStaticAddress) {
    Options o = parse({"--net=tap:etap0", "--ip", "10.1.2.3/16", "--gateway", "10.1.0.1", "--dns", "10.1.0.53", "--mac",
                       "02:aa:bb:cc:dd:ee", "app"});
    EXPECT_EQ(o.network.kind, ehyve::NetworkOptions::Kind::tap);
    EXPECT_EQ(o.network.tap_name, "etap0");
    EXPECT_TRUE(o.network.static_address);
    EXPECT_EQ(o.network.prefix_length, 16);
    EXPECT_EQ(o.network.address[0], 10);
    EXPECT_EQ(o.network.address[3], 3);
    EXPECT_EQ(o.network.gateway[3], 1);
    EXPECT_EQ(o.network.dns[3], 53);
    EXPECT_EQ(o.network.mac[1], 0xaa);
    EXPECT_NE(error_of({"--net", "tap:", "app"}).find("--net"), std::string::npos);
    EXPECT_NE(error_of({"--net", "tap:a-name-that-is-too-long", "app"}).find("15 characters"), std::string::npos);
    EXPECT_NE(error_of({"--net", "bridge", "app"}).find("unknown network"), std::string::npos);
    EXPECT_NE(error_of({"--net", "tap:t", "--ip", "10.0.0.2", "app"}).find("prefix"), std::string::npos);
    EXPECT_NE(error_of({"--net", "tap:t", "--ip", "10.0.0.2/33", "app"}).find("prefix"), std::string::npos);
    EXPECT_NE(error_of({"--net", "tap:t", "--ip", "10.0.0/8", "app"}).find("not an IPv4 address"), std::string::npos);
    EXPECT_NE(error_of({"--net", "user", "--ip", "10.0.2.16/24", "app"}).find("does not go with --net user"),
              std::string::npos);
    EXPECT_NE(error_of({"--net", "user", "--gateway", "10.0.0.1", "app"}).find("need --ip"), std::string::npos);
    EXPECT_NE(error_of({"--net", "user", "--mac", "03:00:00:00:00:01", "app"}).find("multicast"), std::string::npos);
    EXPECT_NE(error_of({"--net", "user", "--mac", "02:00:00:00:00", "app"}).find("not a MAC"), std::string::npos);
    EXPECT_NE(error_of({"--net", "user", "--mac", "02:00:00:00:00:01x", "app"}).find("not a MAC"), std::string::npos);
}

}  // namespace
