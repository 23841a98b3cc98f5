// ehyve-net-user as ehyve drives it: each NetUser case spawns the built helper with one
// end of a socketpair as --fd 3, waits for the one-byte "ready" message and then plays
// the guest, with Ethernet frames built here by hand (no libslirp code in the test). The
// helper is killed when a case ends early, so a failure leaves nothing running. The
// TimerList cases test the helper's timer list in-process (libslirp's one timer fires
// only after minutes, too late for a test of the whole helper).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "timers.hpp"

namespace {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;

constexpr int helper_fd = 3;  // the number the helper sees its end under
constexpr int timeout_ms = 2000;

const Mac guest_mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};  // QEMU's default NIC address
const Mac broadcast_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

constexpr uint16_t ethertype_ipv4 = 0x0800, ethertype_arp = 0x0806;
constexpr uint8_t protocol_tcp = 6, protocol_udp = 17;
constexpr size_t ethernet_header = 14;

uint32_t ipv4(const char* text) {
    in_addr address{};
    inet_pton(AF_INET, text, &address);
    return ntohl(address.s_addr);
}

int64_t now_ms() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1'000'000;
}

// --- frames -----------------------------------------------------------------------------

void put16(Bytes& out, uint16_t value) {
    out.push_back(static_cast<uint8_t>(value >> 8));
    out.push_back(static_cast<uint8_t>(value));
}
void put32(Bytes& out, uint32_t value) {
    put16(out, static_cast<uint16_t>(value >> 16));
    put16(out, static_cast<uint16_t>(value));
}
void put(Bytes& out, const Mac& mac) { out.insert(out.end(), mac.begin(), mac.end()); }
uint16_t get16(const Bytes& in, size_t at) { return static_cast<uint16_t>(in.at(at) << 8 | in.at(at + 1)); }
uint32_t get32(const Bytes& in, size_t at) { return uint32_t{get16(in, at)} << 16 | get16(in, at + 2); }
Mac get_mac(const Bytes& in, size_t at) {
    Mac mac;
    for (size_t i = 0; i < mac.size(); ++i) mac[i] = in.at(at + i);
    return mac;
}

// The Internet checksum (RFC 1071): the one's complement of the one's complement sum of
// 16-bit big-endian words, an odd last byte padded with zero. `sum` carries a pseudo-header.
uint16_t internet_checksum(const uint8_t* data, size_t size, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < size; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (size % 2 != 0) sum += static_cast<uint32_t>(data[size - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes ethernet(const Mac& destination, uint16_t ethertype) {
    Bytes frame;
    put(frame, destination);
    put(frame, guest_mac);
    put16(frame, ethertype);
    return frame;
}

// An ARP request from the guest (guest_mac, `sender_ip`) for `target_ip`.
Bytes arp_request(uint32_t sender_ip, uint32_t target_ip) {
    Bytes frame = ethernet(broadcast_mac, ethertype_arp);
    put16(frame, 1);               // hardware: Ethernet
    put16(frame, ethertype_ipv4);  // protocol: IPv4
    frame.push_back(6);
    frame.push_back(4);
    put16(frame, 1);  // request
    put(frame, guest_mac);
    put32(frame, sender_ip);
    put(frame, Mac{});
    put32(frame, target_ip);
    return frame;
}

// An Ethernet/IPv4/UDP frame from the guest, with both checksums.
Bytes udp_frame(const Mac& destination, uint32_t source_ip, uint32_t destination_ip, uint16_t source_port,
                uint16_t destination_port, const Bytes& payload) {
    const size_t ip_header = 20, udp_header = 8;
    Bytes frame = ethernet(destination, ethertype_ipv4);
    frame.push_back(0x45);  // version 4, header 5 words
    frame.push_back(0);
    put16(frame, static_cast<uint16_t>(ip_header + udp_header + payload.size()));
    put32(frame, 0);  // identification, flags, fragment offset
    frame.push_back(64);
    frame.push_back(protocol_udp);
    put16(frame, 0);  // checksum, below
    put32(frame, source_ip);
    put32(frame, destination_ip);
    uint16_t ip_checksum = internet_checksum(frame.data() + ethernet_header, ip_header);
    frame[ethernet_header + 10] = static_cast<uint8_t>(ip_checksum >> 8);
    frame[ethernet_header + 11] = static_cast<uint8_t>(ip_checksum);

    const size_t udp_start = frame.size();
    const uint16_t udp_length = static_cast<uint16_t>(udp_header + payload.size());
    put16(frame, source_port);
    put16(frame, destination_port);
    put16(frame, udp_length);
    put16(frame, 0);  // checksum, below
    frame.insert(frame.end(), payload.begin(), payload.end());
    // RFC 768: over a pseudo-header of the addresses, the protocol and the UDP length.
    uint32_t pseudo_header = (source_ip >> 16) + (source_ip & 0xffff) + (destination_ip >> 16) +
                             (destination_ip & 0xffff) + protocol_udp + udp_length;
    uint16_t udp_checksum = internet_checksum(frame.data() + udp_start, udp_length, pseudo_header);
    if (udp_checksum == 0) udp_checksum = 0xffff;  // 0 means "no checksum"
    frame[udp_start + 6] = static_cast<uint8_t>(udp_checksum >> 8);
    frame[udp_start + 7] = static_cast<uint8_t>(udp_checksum);
    return frame;
}

constexpr uint32_t dhcp_transaction = 0x1e2e3e4e;
constexpr size_t bootp_fixed_size = 236;  // RFC 951 up to the vendor area
constexpr uint32_t dhcp_magic_cookie = 0x63825363;

// RFC 2131 DHCPDISCOVER, broadcast from 0.0.0.0:68 to 255.255.255.255:67.
Bytes dhcp_discover() {
    Bytes bootp;
    bootp.push_back(1);  // BOOTREQUEST
    bootp.push_back(1);  // Ethernet
    bootp.push_back(6);
    bootp.push_back(0);
    put32(bootp, dhcp_transaction);
    put16(bootp, 0);       // seconds
    put16(bootp, 0x8000);  // broadcast flag: the client has no address yet
    // ciaddr, yiaddr, siaddr, giaddr
    for (int i = 0; i < 4; ++i) put32(bootp, 0);
    put(bootp, guest_mac);
    bootp.resize(bootp_fixed_size);  // chaddr padding, sname, file
    put32(bootp, dhcp_magic_cookie);
    // Option 53 (message type) DHCPDISCOVER, then the end option.
    for (uint8_t byte : {53, 1, 1, 255}) bootp.push_back(byte);
    // At least the BOOTP size (RFC 951: a 64-byte vendor area).
    bootp.resize(300);
    return udp_frame(broadcast_mac, 0, 0xffffffff, 68, 67, bootp);
}

// Where the IPv4 payload (UDP or TCP header) starts in a frame from the helper, when the
// frame is IPv4 of `protocol`; none otherwise.
std::optional<size_t> ipv4_payload(const Bytes& frame, uint8_t protocol) {
    if (frame.size() < ethernet_header + 20 || get16(frame, 12) != ethertype_ipv4) return std::nullopt;
    size_t header = size_t{frame[ethernet_header] & 0x0fu} * 4;
    if (frame[ethernet_header] >> 4 != 4 || frame[ethernet_header + 9] != protocol) return std::nullopt;
    if (frame.size() < ethernet_header + header + 8) return std::nullopt;
    return ethernet_header + header;
}

// --- the helper process -----------------------------------------------------------------

class Helper {
public:
    // Starts the helper with `arguments` (which name --fd 3 when they should), its stdin
    // from /dev/null and its stderr going to a pipe.
    explicit Helper(const std::vector<std::string>& arguments) {
        int pair[2];
        int errors[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 || pipe2(errors, O_CLOEXEC) < 0) {
            ADD_FAILURE() << "socketpair/pipe: " << std::strerror(errno);
            return;
        }
        socket_ = pair[0];
        stderr_ = errors[0];
        std::vector<std::string> command = {EHYVE_NET_USER_PATH};
        command.insert(command.end(), arguments.begin(), arguments.end());
        std::vector<char*> argv;
        argv.reserve(command.size() + 1);
        for (std::string& word : command) argv.push_back(word.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ == 0) {
            // dup2 clears FD_CLOEXEC on the new descriptor; a no-op dup2 would not.
            if (pair[1] == helper_fd) fcntl(helper_fd, F_SETFD, 0);
            dup2(pair[1], helper_fd);
            dup2(errors[1], STDERR_FILENO);
            // A known stdin, for the case that passes it as --fd 0 (not a socket).
            int null = open("/dev/null", O_RDONLY);
            dup2(null, STDIN_FILENO);
            execv(argv[0], argv.data());
            _exit(127);
        }
        close(pair[1]);
        close(errors[1]);
        if (pid_ < 0) ADD_FAILURE() << "fork: " << std::strerror(errno);
    }

    Helper(const Helper&) = delete;
    Helper& operator=(const Helper&) = delete;

    ~Helper() {
        if (pid_ > 0 && !status_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
        // Running normally, the helper says nothing: anything on its stderr that the case
        // did not look at is a failure.
        if (!stderr_read_) {
            std::string text = read_stderr();
            if (!text.empty()) ADD_FAILURE() << "the helper wrote to stderr: " << text;
        }
        if (socket_ >= 0) close(socket_);
        if (stderr_ >= 0) close(stderr_);
    }

    int socket() const { return socket_; }

    void close_socket() {
        close(socket_);
        socket_ = -1;
    }

    // One message, or none within timeout_ms.
    std::optional<Bytes> receive(int timeout = timeout_ms) {
        pollfd ready{socket_, POLLIN, 0};
        if (poll(&ready, 1, timeout) != 1) return std::nullopt;
        Bytes message(70000);
        ssize_t size = recv(socket_, message.data(), message.size(), MSG_DONTWAIT);
        if (size <= 0) return std::nullopt;  // 0: the helper closed its end
        message.resize(static_cast<size_t>(size));
        return message;
    }

    bool wait_ready() {
        auto message = receive();
        return message && *message == Bytes{0};
    }

    void send(const Bytes& frame) {
        ASSERT_EQ(::send(socket_, frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
    }

    // The first frame within timeout_ms for which `wanted` holds (others are skipped:
    // e.g. libslirp's own ARP requests or IPv6 router advertisements).
    std::optional<Bytes> receive_frame(const std::function<bool(const Bytes&)>& wanted) {
        int64_t deadline = now_ms() + timeout_ms;
        while (now_ms() < deadline) {
            auto frame = receive(static_cast<int>(deadline - now_ms()));
            if (frame && wanted(*frame)) return frame;
        }
        return std::nullopt;
    }

    // The exit status, once the helper has exited within `limit_ms`; none when it is
    // still running then (it is killed by the destructor).
    std::optional<int> wait_exit(int limit_ms = timeout_ms) {
        int64_t deadline = now_ms() + limit_ms;
        do {
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return status_;
            }
            usleep(1000);
        } while (now_ms() < deadline);
        return std::nullopt;
    }

    bool running() {
        int status = 0;
        return waitpid(pid_, &status, WNOHANG) == 0;
    }

    // Everything the helper wrote to stderr (call after it exited).
    std::string read_stderr() {
        stderr_read_ = true;
        std::string text;
        char buffer[4096];
        pollfd readable{stderr_, POLLIN, 0};
        while (poll(&readable, 1, 0) == 1) {
            ssize_t size = read(stderr_, buffer, sizeof(buffer));
            if (size <= 0) break;
            text.append(buffer, static_cast<size_t>(size));
        }
        return text;
    }

private:
    pid_t pid_ = -1;
    int socket_ = -1;
    int stderr_ = -1;
    bool stderr_read_ = false;
    std::optional<int> status_;
};

// A TCP socket bound to 127.0.0.1 on a port the kernel chose, and that port.
std::pair<int, uint16_t> bound_loopback_socket() {
    int bound = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    EXPECT_EQ(bind(bound, reinterpret_cast<sockaddr*>(&address), size), 0) << std::strerror(errno);
    EXPECT_EQ(getsockname(bound, reinterpret_cast<sockaddr*>(&address), &size), 0) << std::strerror(errno);
    return {bound, ntohs(address.sin_port)};
}

// A port of 127.0.0.1 that nothing uses right now.
uint16_t free_port() {
    auto [bound, port] = bound_loopback_socket();
    close(bound);
    return port;
}

bool is_arp_reply_from_host(const Bytes& frame) {
    return frame.size() >= ethernet_header + 28 && get16(frame, 12) == ethertype_arp &&
           get16(frame, ethernet_header + 6) == 2 && get32(frame, ethernet_header + 14) == ipv4("10.0.2.2");
}

// The helper answers the guest's ARP request for the gateway, and learns the guest's
// MAC from it (libslirp's arp_input adds the sender to its table).
void introduce_guest(Helper& helper) {
    helper.send(arp_request(ipv4("10.0.2.15"), ipv4("10.0.2.2")));
    ASSERT_TRUE(helper.receive_frame(is_arp_reply_from_host)) << "no ARP reply";
}

// --- the cases --------------------------------------------------------------------------

TEST(NetUser, DhcpDiscoverGetsOffer) {
    Helper helper({"--fd", "3"});
    ASSERT_TRUE(helper.wait_ready());
    helper.send(dhcp_discover());

    auto offer = helper.receive_frame([](const Bytes& frame) {
        auto udp = ipv4_payload(frame, protocol_udp);
        return udp && get16(frame, *udp + 2) == 68;
    });
    ASSERT_TRUE(offer) << "no DHCP reply";
    const Bytes& frame = *offer;
    // libslirp broadcasts its DHCP replies (bootp.c sends to 255.255.255.255), which the
    // client takes by its transaction and hardware address.
    EXPECT_EQ(get_mac(frame, 0), broadcast_mac);
    size_t bootp = *ipv4_payload(frame, protocol_udp) + 8;
    ASSERT_GE(frame.size(), bootp + bootp_fixed_size + 4);
    EXPECT_EQ(frame[bootp], 2);  // BOOTREPLY
    EXPECT_EQ(get32(frame, bootp + 4), dhcp_transaction);
    EXPECT_EQ(get_mac(frame, bootp + 28), guest_mac);        // chaddr
    EXPECT_EQ(get32(frame, bootp + 16), ipv4("10.0.2.15"));  // yiaddr
    ASSERT_EQ(get32(frame, bootp + bootp_fixed_size), dhcp_magic_cookie);

    std::optional<uint8_t> message_type;
    std::optional<uint32_t> router, dns;
    for (size_t at = bootp + bootp_fixed_size + 4; at < frame.size() && frame[at] != 255;) {
        if (frame[at] == 0) {  // pad
            ++at;
            continue;
        }
        ASSERT_LT(at + 1, frame.size());
        uint8_t tag = frame[at], length = frame[at + 1];
        ASSERT_LE(at + 2 + length, frame.size());
        if (tag == 53 && length == 1) message_type = frame[at + 2];
        if (tag == 3 && length >= 4) router = get32(frame, at + 2);
        if (tag == 6 && length >= 4) dns = get32(frame, at + 2);
        at += 2 + length;
    }
    EXPECT_EQ(message_type, 2);  // DHCPOFFER
    EXPECT_EQ(router, ipv4("10.0.2.2"));
    EXPECT_EQ(dns, ipv4("10.0.2.3"));
}

TEST(NetUser, ArpRequestForGatewayGetsReply) {
    Helper helper({"--fd", "3"});
    ASSERT_TRUE(helper.wait_ready());
    helper.send(arp_request(ipv4("10.0.2.15"), ipv4("10.0.2.2")));
    auto reply = helper.receive_frame(is_arp_reply_from_host);
    ASSERT_TRUE(reply) << "no ARP reply";
    const Bytes& frame = *reply;
    EXPECT_EQ(get_mac(frame, 0), guest_mac);                            // to the asker
    EXPECT_EQ(get_mac(frame, ethernet_header + 8), get_mac(frame, 6));  // the answer: its own MAC
    EXPECT_EQ(get_mac(frame, ethernet_header + 18), guest_mac);
    EXPECT_EQ(get32(frame, ethernet_header + 24), ipv4("10.0.2.15"));
}

TEST(NetUser, ForwardedConnectionBecomesSynToGuest) {
    uint16_t port = free_port();
    Helper helper({"--fd", "3", "--forward", "tcp:" + std::to_string(port) + ":80"});
    ASSERT_TRUE(helper.wait_ready());
    // Without the guest's MAC libslirp would first broadcast an ARP request for
    // 10.0.2.15 and hold the SYN until answered.
    ASSERT_NO_FATAL_FAILURE(introduce_guest(helper));

    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int connected = connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    EXPECT_TRUE(connected == 0 || errno == EINPROGRESS) << std::strerror(errno);

    auto syn = helper.receive_frame([](const Bytes& frame) { return ipv4_payload(frame, protocol_tcp).has_value(); });
    close(client);
    ASSERT_TRUE(syn) << "no TCP frame towards the guest";
    const Bytes& frame = *syn;
    size_t tcp = *ipv4_payload(frame, protocol_tcp);
    EXPECT_EQ(get_mac(frame, 0), guest_mac);
    EXPECT_EQ(get32(frame, ethernet_header + 16), ipv4("10.0.2.15"));
    EXPECT_EQ(get16(frame, tcp + 2), 80);
    ASSERT_GE(frame.size(), tcp + 14);
    EXPECT_EQ(frame[tcp + 13] & 0x3f, 0x02);  // SYN alone (no ACK, RST, FIN)
}

TEST(NetUser, ForwardToBusyPortFails) {
    // Something already listens on the port.
    auto [busy, busy_port] = bound_loopback_socket();
    ASSERT_EQ(listen(busy, 1), 0);
    const std::string port = std::to_string(busy_port);

    Helper helper({"--fd", "3", "--forward", "tcp:" + port + ":80"});
    auto status = helper.wait_exit();
    close(busy);
    ASSERT_EQ(status, 1);
    EXPECT_EQ(helper.read_stderr(), "ehyve: --forward tcp:" + port + ":80: cannot listen on 127.0.0.1:" + port +
                                        ": Address already in use\n");
    EXPECT_EQ(helper.receive(0), std::nullopt) << "a ready byte despite the failure";
}

struct BadArguments {
    const char* name;
    std::vector<std::string> arguments;
    const char* reason;  // a part of the one line, to tell the cases apart
};

class NetUserBadArguments : public ::testing::TestWithParam<BadArguments> {};

TEST_P(NetUserBadArguments, FailWithOneLine) {
    Helper helper(GetParam().arguments);
    ASSERT_EQ(helper.wait_exit(), 1);
    std::string text = helper.read_stderr();
    EXPECT_EQ(text.rfind("ehyve: ", 0), 0u) << text;
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    EXPECT_EQ(text.back(), '\n');
    EXPECT_NE(text.find(GetParam().reason), std::string::npos) << text;
    EXPECT_EQ(helper.receive(0), std::nullopt) << "a ready byte despite the failure";
}

INSTANTIATE_TEST_SUITE_P(
    NetUser, NetUserBadArguments,
    ::testing::Values(
        BadArguments{
            "PortNotANumber", {"--fd", "3", "--forward", "tcp:abc:80"}, "--forward tcp:abc:80: 'abc' is not a port"},
        BadArguments{"MissingFd", {"--forward", "tcp:8080:80"}, "needs --fd N"},
        BadArguments{"UnknownProtocol", {"--fd", "3", "--forward", "sctp:8080:80"}, "'sctp' is not a protocol"},
        BadArguments{
            "BadHostAddress", {"--fd", "3", "--forward", "tcp:1.2.3:8080:80"}, "'1.2.3' is not an IPv4 address"},
        BadArguments{"PortZero", {"--fd", "3", "--forward", "tcp:0:80"}, "'0' is not a port"},
        BadArguments{"PortTooLarge", {"--fd", "3", "--forward", "udp:8080:65536"}, "'65536' is not a port"},
        BadArguments{"TooFewFields", {"--fd", "3", "--forward", "tcp:8080"}, "use PROTO:[HOSTADDR:]HOSTPORT:GUESTPORT"},
        BadArguments{"SameHostPortTwice",
                     {"--fd", "3", "--forward", "tcp:8080:80", "--forward", "tcp:0.0.0.0:8080:81"},
                     "already forwarded by --forward tcp:8080:80"},
        BadArguments{"MtuTooSmall", {"--fd", "3", "--mtu", "100"}, "--mtu: '100' is not an MTU"},
        BadArguments{"FdNotASocket", {"--fd", "0"}, "--fd 0: not a socket"},
        BadArguments{"FdNotOpen", {"--fd", "99"}, "--fd 99: not an open file descriptor"},
        BadArguments{"UnknownOption", {"--fd", "3", "--frobnicate"}, "unknown argument '--frobnicate'"}),
    [](const ::testing::TestParamInfo<BadArguments>& info) { return std::string(info.param.name); });

TEST(NetUser, MalformedFramesAreDropped) {
    Helper helper({"--fd", "3"});
    ASSERT_TRUE(helper.wait_ready());
    helper.send({});  // empty: must not be taken for ehyve closing its end
    helper.send({0x01});
    Bytes runt = arp_request(ipv4("10.0.2.15"), ipv4("10.0.2.2"));
    runt.resize(13);
    helper.send(runt);
    Bytes headers_only = ethernet(broadcast_mac, ethertype_arp);  // 14 bytes, no ARP body
    helper.send(headers_only);
    Bytes truncated_ip = ethernet(broadcast_mac, ethertype_ipv4);
    truncated_ip.push_back(0x45);
    helper.send(truncated_ip);
    Bytes giant = arp_request(ipv4("10.0.2.15"), ipv4("10.0.2.2"));
    giant.resize(1500 + 14 + 4 + 1, 0);  // one byte more than the default MTU allows
    helper.send(giant);
    giant.resize(65536, 0);
    helper.send(giant);
    // None of these was answered, and the helper still works.
    helper.send(arp_request(ipv4("10.0.2.15"), ipv4("10.0.2.2")));
    int replies = 0;
    while (auto frame = helper.receive(200))
        if (is_arp_reply_from_host(*frame)) ++replies;
    EXPECT_EQ(replies, 1) << "an oversized ARP request was answered, or the valid one was not";
    EXPECT_TRUE(helper.running());
}

TEST(NetUser, ExitsWhenEhyveClosesItsEnd) {
    Helper helper({"--fd", "3", "--forward", "tcp:" + std::to_string(free_port()) + ":80"});
    ASSERT_TRUE(helper.wait_ready());
    int64_t start = now_ms();
    helper.close_socket();
    ASSERT_EQ(helper.wait_exit(), 0);
    EXPECT_LT(now_ms() - start, 500) << "ms to notice";
}

// ehyve killed outright (no chance to close anything) still takes the helper with it:
// PR_SET_PDEATHSIG. The test keeps ehyve's end of the socket open, so only the signal can
// end the helper; as a child subreaper the test inherits the orphan and sees its end.
TEST(NetUser, DiesWithItsParent) {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    int pair[2], pid_pipe[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    ASSERT_EQ(pipe2(pid_pipe, O_CLOEXEC), 0);
    pid_t parent = fork();  // stands in for ehyve
    if (parent == 0) {
        pid_t helper = fork();
        if (helper == 0) {
            dup2(pair[1], helper_fd);
            execl(EHYVE_NET_USER_PATH, EHYVE_NET_USER_PATH, "--fd", "3", static_cast<char*>(nullptr));
            _exit(127);
        }
        (void)!write(pid_pipe[1], &helper, sizeof(helper));
        pause();
        _exit(0);
    }
    close(pair[1]);
    close(pid_pipe[1]);
    pid_t helper = -1;
    bool have_pid = read(pid_pipe[0], &helper, sizeof(helper)) == sizeof(helper);
    close(pid_pipe[0]);
    pollfd ready{pair[0], POLLIN, 0};
    bool was_ready = poll(&ready, 1, timeout_ms) == 1;
    kill(parent, SIGKILL);
    waitpid(parent, nullptr, 0);

    int status = 0;
    bool ended = false;
    for (int64_t deadline = now_ms() + timeout_ms; have_pid && !ended && now_ms() < deadline; usleep(1000))
        ended = waitpid(helper, &status, WNOHANG) == helper;
    if (have_pid && !ended) {
        kill(helper, SIGKILL);
        waitpid(helper, nullptr, 0);
    }
    close(pair[0]);
    ASSERT_TRUE(have_pid);
    EXPECT_TRUE(was_ready);
    ASSERT_TRUE(ended) << "the helper outlived its parent";
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

// --- the timer list, in-process ---------------------------------------------------------

using ehyve::net_user::TimerList;

TEST(TimerList, RunsDueTimersOnceAndReportsTheNearest) {
    TimerList timers;
    int calls_a = 0, calls_b = 0;
    auto count = [](void* calls) { ++*static_cast<int*>(calls); };
    TimerList::Timer* a = timers.create(count, &calls_a);
    TimerList::Timer* b = timers.create(count, &calls_b);
    EXPECT_EQ(timers.milliseconds_until_next(0), std::nullopt);  // created, not armed
    timers.arm(a, 100);
    timers.arm(b, 40);
    EXPECT_EQ(timers.milliseconds_until_next(10), 30);
    timers.run_due(50);
    EXPECT_EQ(calls_a, 0);
    EXPECT_EQ(calls_b, 1);
    EXPECT_EQ(timers.milliseconds_until_next(50), 50);
    EXPECT_EQ(timers.milliseconds_until_next(120), 0);  // overdue
    timers.run_due(120);
    timers.run_due(130);
    EXPECT_EQ(calls_a, 1);
    EXPECT_EQ(calls_b, 1);
    EXPECT_EQ(timers.milliseconds_until_next(130), std::nullopt);
}

// libslirp's router-advertisement timer re-arms itself from its callback; a callback may
// also free a timer that was due in the same pass.
TEST(TimerList, CallbacksMayRearmAndDestroy) {
    struct Context {
        TimerList* timers;
        TimerList::Timer* self;
        TimerList::Timer* victim;
        int calls;
    };
    TimerList timers;
    Context context{&timers, nullptr, nullptr, 0};
    context.self = timers.create(
        [](void* opaque) {
            auto* c = static_cast<Context*>(opaque);
            ++c->calls;
            c->timers->arm(c->self, 0);  // due again at once: runs on the next pass, not now
            if (c->victim) c->timers->destroy(std::exchange(c->victim, nullptr));
        },
        &context);
    context.victim = timers.create([](void*) { FAIL() << "a destroyed timer ran"; }, nullptr);
    timers.arm(context.self, 10);
    timers.arm(context.victim, 10);
    timers.run_due(10);
    EXPECT_EQ(context.calls, 1);
    EXPECT_EQ(context.victim, nullptr);
    timers.run_due(10);
    EXPECT_EQ(context.calls, 2);
    timers.destroy(context.self);
    EXPECT_EQ(timers.milliseconds_until_next(10), std::nullopt);
}

}  // namespace
