// netbench: TCP throughput and latency, server and client in one static binary.
//
//   netbench server [--port P] [--address A]                  (5201, :: by default)
//   netbench client HOST PORT --mode stream-send|stream-recv|rr
//                   [--bytes N] [--size S] [--count N]
//   netbench echo-check HOST PORT [--connections N] [--bytes B]
//
// A client opens one connection and sends a 24-byte header first (the Header struct
// below), which tells the server what to do with it:
//   stream-send  the client sends N bytes; the server counts them and answers with the
//                count (8 bytes), so the client's clock stops when the data has arrived,
//                not when it left its own socket buffer;
//   stream-recv  the server sends N bytes and closes;
//   rr           request/response: S bytes each way, COUNT times, TCP_NODELAY on both
//                ends; the client times every round trip.
// The server takes any number of clients at once, a thread each. echo-check is not for
// a netbench server but for any echo server: N connections at once, each sends B
// pseudo-random bytes, half-closes, and must read the same bytes back, then EOF.
//
// Results are one line each on stdout, "netbench: mode=... key=value ...", for scripts.
// Sizes accept K, M and G suffixes (KiB, MiB, GiB). MBps is 10^6 bytes per second.
// Exit status: 0 on success, 1 when the run failed (one line on stderr), 2 on bad usage.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr int default_port = 5201;
constexpr size_t stream_chunk = size_t{128} * 1024;
constexpr uint64_t max_rr_size = uint64_t{16} * 1024 * 1024;
constexpr size_t server_thread_stack = size_t{256} * 1024;
constexpr auto echo_check_stall_limit = std::chrono::seconds(10);

[[noreturn]] __attribute__((format(printf, 1, 2))) void fail(const char* format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fputs("netbench: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(1);
}

[[noreturn]] void usage(const char* problem) {
    fprintf(stderr,
            "netbench: %s (usage: netbench server [--port P] [--address A] | netbench client HOST PORT --mode "
            "stream-send|stream-recv|rr [--bytes N] [--size S] [--count N] | netbench echo-check HOST PORT "
            "[--connections N] [--bytes B])\n",
            problem);
    exit(2);
}

// A server thread reports and drops its client; the process goes on serving.
__attribute__((format(printf, 1, 2))) void warn(const char* format, ...) {
    va_list arguments;
    va_start(arguments, format);
    char line[256];
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    fprintf(stderr, "netbench: %s\n", line);
}

enum class Mode : uint32_t { stream_send = 1, stream_recv = 2, request_response = 3 };

// The connection header, big-endian on the wire:
//   0 magic "NBN1" | 4 mode (u32) | 8 bytes (u64) | 16 size (u32) | 20 count (u32)
struct Header {
    Mode mode = Mode::stream_send;
    uint64_t bytes = 0;
    uint32_t size = 0;
    uint32_t count = 0;
};
constexpr size_t header_size = 24;
constexpr std::string_view header_magic = "NBN1";

void put_big_endian(uint8_t* out, uint64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value >>= 8) out[i] = static_cast<uint8_t>(value);
}

uint64_t get_big_endian(const uint8_t* in, int width) {
    uint64_t value = 0;
    for (int i = 0; i < width; ++i) value = value << 8 | in[i];
    return value;
}

std::array<uint8_t, header_size> encode(const Header& header) {
    std::array<uint8_t, header_size> wire{};
    memcpy(wire.data(), header_magic.data(), header_magic.size());
    put_big_endian(&wire[4], static_cast<uint32_t>(header.mode), 4);
    put_big_endian(&wire[8], header.bytes, 8);
    put_big_endian(&wire[16], header.size, 4);
    put_big_endian(&wire[20], header.count, 4);
    return wire;
}

std::optional<Header> decode(const std::array<uint8_t, header_size>& wire) {
    if (memcmp(wire.data(), header_magic.data(), header_magic.size()) != 0) return std::nullopt;
    Header header;
    uint64_t mode = get_big_endian(&wire[4], 4);
    if (mode < 1 || mode > 3) return std::nullopt;
    header.mode = static_cast<Mode>(mode);
    header.bytes = get_big_endian(&wire[8], 8);
    header.size = static_cast<uint32_t>(get_big_endian(&wire[16], 4));
    header.count = static_cast<uint32_t>(get_big_endian(&wire[20], 4));
    if (header.mode == Mode::request_response && (header.size == 0 || header.size > max_rr_size)) return std::nullopt;
    return header;
}

// Reads exactly `length` bytes; false at EOF or an error (errno 0 for EOF).
bool read_exact(int fd, void* data, size_t length) {
    auto* cursor = static_cast<uint8_t*>(data);
    while (length > 0) {
        ssize_t got = read(fd, cursor, length);
        if (got == 0) {
            errno = 0;
            return false;
        }
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        cursor += got;
        length -= static_cast<size_t>(got);
    }
    return true;
}

// Writes all of `length` bytes, however many calls the socket needs.
bool write_all(int fd, const void* data, size_t length) {
    const auto* cursor = static_cast<const uint8_t*>(data);
    while (length > 0) {
        ssize_t written = write(fd, cursor, length);
        if (written < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        cursor += written;
        length -= static_cast<size_t>(written);
    }
    return true;
}

const char* describe_errno() { return errno == 0 ? "connection closed by the peer" : strerror(errno); }

void set_nodelay(int fd) {
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
}

// Many connections at once (echo-check) need more than the usual 1024 descriptors.
void raise_descriptor_limit() {
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// ---- command line

struct Options {
    std::vector<std::string> positional;
    std::optional<std::string> mode;
    std::optional<std::string> address;
    std::optional<std::string> port;
    std::optional<uint64_t> bytes;
    std::optional<uint64_t> size;
    std::optional<uint64_t> count;
    std::optional<uint64_t> connections;
};

// A decimal number with an optional K, M or G suffix (powers of 1024).
uint64_t parse_size(const char* option, const char* text) {
    char* end = nullptr;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    int shift = 0;
    switch (end != text ? *end : '\0') {
        case 'K':
        case 'k': shift = 10; break;
        case 'M':
        case 'm': shift = 20; break;
        case 'G':
        case 'g': shift = 30; break;
        default: break;
    }
    if (shift != 0) ++end;
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > (UINT64_MAX >> shift)) {
        usage((std::string("bad number for ") + option).c_str());
    }
    return static_cast<uint64_t>(value) << shift;
}

Options parse_options(int argc, char** argv, int first) {
    Options options;
    for (int i = first; i < argc; ++i) {
        std::string_view argument = argv[i];
        if (!argument.starts_with("--")) {
            options.positional.emplace_back(argument);
            continue;
        }
        if (i + 1 == argc) usage((std::string(argument) + " needs a value").c_str());
        const char* value = argv[++i];
        if (argument == "--mode") {
            options.mode = value;
        } else if (argument == "--address") {
            options.address = value;
        } else if (argument == "--port") {
            options.port = value;
        } else if (argument == "--bytes") {
            options.bytes = parse_size("--bytes", value);
        } else if (argument == "--size") {
            options.size = parse_size("--size", value);
        } else if (argument == "--count") {
            options.count = parse_size("--count", value);
        } else if (argument == "--connections") {
            options.connections = parse_size("--connections", value);
        } else {
            usage((std::string("unknown option ") + std::string(argument)).c_str());
        }
    }
    return options;
}

// Port 0 only for a server, where it means "any free port".
int parse_port(std::string_view text, bool allow_zero = false) {
    uint64_t port = 0;
    if (text.empty() || text.size() > 5) usage("bad port");
    for (char c : text) {
        if (c < '0' || c > '9') usage("bad port");
        port = port * 10 + static_cast<uint64_t>(c - '0');
    }
    if ((port == 0 && !allow_zero) || port > 65535) usage("bad port");
    return static_cast<int>(port);
}

// ---- client side

// Connects to HOST:PORT, trying each address getaddrinfo gives, in its order.
int connect_to(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* addresses = nullptr;
    std::string service = std::to_string(port);
    int status = getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses);
    if (status != 0) fail("%s: %s", host.c_str(), gai_strerror(status));
    int last_error = 0;
    int fd = -1;
    for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
        fd = socket(address->ai_family, address->ai_socktype, address->ai_protocol);
        if (fd < 0) {
            last_error = errno;
            continue;
        }
        if (connect(fd, address->ai_addr, address->ai_addrlen) == 0) break;
        last_error = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addresses);
    if (fd < 0) fail("connect to %s port %d: %s", host.c_str(), port, strerror(last_error));
    return fd;
}

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void run_stream_send(int fd, uint64_t bytes) {
    std::vector<uint8_t> chunk(stream_chunk, 0x5a);
    auto start = Clock::now();
    auto header = encode({Mode::stream_send, bytes, 0, 0});
    if (!write_all(fd, header.data(), header.size())) fail("write: %s", strerror(errno));
    for (uint64_t left = bytes; left > 0;) {
        size_t length = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
        if (!write_all(fd, chunk.data(), length)) fail("write: %s", strerror(errno));
        left -= length;
    }
    uint8_t acknowledgement[8];
    if (!read_exact(fd, acknowledgement, sizeof acknowledgement))
        fail("reading the server's count: %s", describe_errno());
    double seconds = seconds_since(start);
    uint64_t received = get_big_endian(acknowledgement, 8);
    if (received != bytes) fail("the server received %" PRIu64 " of %" PRIu64 " bytes", received, bytes);
    printf("netbench: mode=stream-send bytes=%" PRIu64 " seconds=%.3f MBps=%.1f\n", bytes, seconds,
           static_cast<double>(bytes) / seconds / 1e6);
}

void run_stream_recv(int fd, uint64_t bytes) {
    std::vector<uint8_t> chunk(stream_chunk);
    auto start = Clock::now();
    auto header = encode({Mode::stream_recv, bytes, 0, 0});
    if (!write_all(fd, header.data(), header.size())) fail("write: %s", strerror(errno));
    uint64_t received = 0;
    for (;;) {
        ssize_t got = read(fd, chunk.data(), chunk.size());
        if (got == 0) break;
        if (got < 0) {
            if (errno == EINTR) continue;
            fail("read: %s", strerror(errno));
        }
        received += static_cast<uint64_t>(got);
    }
    double seconds = seconds_since(start);
    if (received != bytes) fail("received %" PRIu64 " of %" PRIu64 " bytes", received, bytes);
    printf("netbench: mode=stream-recv bytes=%" PRIu64 " seconds=%.3f MBps=%.1f\n", bytes, seconds,
           static_cast<double>(bytes) / seconds / 1e6);
}

void run_request_response(int fd, uint32_t size, uint32_t count) {
    set_nodelay(fd);
    auto header = encode({Mode::request_response, 0, size, count});
    if (!write_all(fd, header.data(), header.size())) fail("write: %s", strerror(errno));
    std::vector<uint8_t> request(size);
    std::vector<uint8_t> response(size);
    std::vector<double> latencies_us;
    latencies_us.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        // A different first byte each time, so a stale or repeated answer is caught.
        request[0] = static_cast<uint8_t>(i);
        request[size - 1] = static_cast<uint8_t>(i >> 8);
        auto start = Clock::now();
        if (!write_all(fd, request.data(), size)) fail("write: %s", strerror(errno));
        if (!read_exact(fd, response.data(), size)) fail("read: %s", describe_errno());
        latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        if (response != request) fail("round trip %u: the response differs from the request", i);
    }
    double sum = 0;
    for (double latency : latencies_us) sum += latency;
    std::sort(latencies_us.begin(), latencies_us.end());
    // Nearest-rank percentiles: the smallest sample with at least p% at or below it.
    auto percentile = [&](double p) {
        size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(count) + 0.999999);
        return latencies_us[std::clamp<size_t>(rank, 1, count) - 1];
    };
    printf("netbench: mode=rr size=%u count=%u mean_us=%.1f p50_us=%.1f p99_us=%.1f\n", size, count, sum / count,
           percentile(50), percentile(99));
}

int run_client(const Options& options) {
    if (options.positional.size() != 2) usage("client needs HOST and PORT");
    if (!options.mode) usage("client needs --mode");
    if (options.connections || options.address || options.port) usage("option not valid for client");
    int port = parse_port(options.positional[1]);
    const std::string& mode = *options.mode;
    uint64_t bytes = options.bytes.value_or(256ull << 20);
    uint64_t size = options.size.value_or(64);
    uint64_t count = options.count.value_or(10000);
    if (mode == "rr") {
        if (size == 0 || size > max_rr_size) usage("--size must be 1 to 16M");
        if (count == 0 || count > UINT32_MAX) usage("--count must be 1 to 4294967295");
    } else if (mode != "stream-send" && mode != "stream-recv") {
        usage("--mode must be stream-send, stream-recv or rr");
    }
    // Writing to a server that has gone must give an error line, not a silent death.
    signal(SIGPIPE, SIG_IGN);
    int fd = connect_to(options.positional[0], port);
    if (mode == "stream-send") run_stream_send(fd, bytes);
    if (mode == "stream-recv") run_stream_recv(fd, bytes);
    if (mode == "rr") run_request_response(fd, static_cast<uint32_t>(size), static_cast<uint32_t>(count));
    close(fd);
    return 0;
}

// ---- echo-check

// splitmix64: a small generator with a full 64-bit state, enough to make each
// connection's bytes distinct and reproducible for checking without storing them.
struct ByteStream {
    uint64_t state;
    uint8_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return static_cast<uint8_t>((z ^ (z >> 31)) >> 56);
    }
};

struct EchoConnection {
    int fd = -1;
    ByteStream to_send;
    ByteStream to_expect;
    std::vector<uint8_t> pending;  // generated, not yet taken by the socket
    size_t pending_offset = 0;
    uint64_t sent = 0;
    uint64_t received = 0;
    bool write_shut = false;
    bool finished = false;
};

int run_echo_check(const Options& options) {
    if (options.positional.size() != 2) usage("echo-check needs HOST and PORT");
    if (options.mode || options.size || options.count || options.address || options.port) {
        usage("option not valid for echo-check");
    }
    int port = parse_port(options.positional[1]);
    uint64_t connection_count = options.connections.value_or(20);
    uint64_t bytes = options.bytes.value_or(uint64_t{64} * 1024);
    if (connection_count == 0 || connection_count > 100000) usage("--connections must be 1 to 100000");
    raise_descriptor_limit();
    signal(SIGPIPE, SIG_IGN);

    std::random_device entropy;
    uint64_t seed = static_cast<uint64_t>(entropy()) << 32 | entropy();
    std::vector<EchoConnection> connections(connection_count);
    // Every connection is open before any byte is sent: the server must hold them all.
    for (size_t i = 0; i < connections.size(); ++i) {
        EchoConnection& connection = connections[i];
        connection.fd = connect_to(options.positional[0], port);
        if (fcntl(connection.fd, F_SETFL, O_NONBLOCK) < 0) fail("fcntl: %s", strerror(errno));
        connection.to_send.state = connection.to_expect.state = seed + i * 0x1000193ull;
    }

    // Sending and receiving interleave on each connection (poll, non-blocking): an echo
    // server blocks writing back once our receive buffer is full, so a client that
    // sent everything before reading would deadlock with it beyond a few hundred KiB.
    auto start = Clock::now();
    auto last_progress = start;
    std::vector<uint8_t> buffer(size_t{64} * 1024);
    std::vector<pollfd> polled;
    std::vector<size_t> polled_index;
    size_t unfinished = connections.size();
    while (unfinished > 0) {
        polled.clear();
        polled_index.clear();
        for (size_t i = 0; i < connections.size(); ++i) {
            EchoConnection& connection = connections[i];
            if (connection.finished) continue;
            short events = POLLIN;
            if (!connection.write_shut) events |= POLLOUT;
            polled.push_back({connection.fd, events, 0});
            polled_index.push_back(i);
        }
        int ready = poll(polled.data(), polled.size(), 1000);
        if (ready < 0) {
            if (errno == EINTR) continue;
            fail("poll: %s", strerror(errno));
        }
        if (ready == 0 && Clock::now() - last_progress > echo_check_stall_limit) {
            fail("echo-check: no progress for %lld s (%zu of %zu connections unfinished)",
                 static_cast<long long>(echo_check_stall_limit.count()), unfinished, connections.size());
        }
        for (size_t p = 0; p < polled.size(); ++p) {
            if (polled[p].revents == 0) continue;
            size_t index = polled_index[p];
            EchoConnection& connection = connections[index];
            if ((polled[p].revents & POLLOUT) != 0 && !connection.write_shut) {
                if (connection.pending_offset == connection.pending.size() && connection.sent < bytes) {
                    size_t length =
                        static_cast<size_t>(std::min<uint64_t>(bytes - connection.sent, uint64_t{16} * 1024));
                    connection.pending.resize(length);
                    for (uint8_t& byte : connection.pending) byte = connection.to_send.next();
                    connection.pending_offset = 0;
                }
                size_t length = connection.pending.size() - connection.pending_offset;
                if (length > 0) {
                    ssize_t written =
                        write(connection.fd, connection.pending.data() + connection.pending_offset, length);
                    if (written < 0 && errno != EAGAIN && errno != EINTR) {
                        fail("connection %zu: write: %s", index, strerror(errno));
                    }
                    if (written > 0) {
                        connection.pending_offset += static_cast<size_t>(written);
                        connection.sent += static_cast<uint64_t>(written);
                        last_progress = Clock::now();
                    }
                }
                if (connection.sent == bytes && connection.pending_offset == connection.pending.size()) {
                    // EOF tells the echo server we are done; it closes after the last echo.
                    if (shutdown(connection.fd, SHUT_WR) < 0)
                        fail("connection %zu: shutdown: %s", index, strerror(errno));
                    connection.write_shut = true;
                    connection.pending = {};
                }
            }
            if ((polled[p].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                ssize_t got = read(connection.fd, buffer.data(), buffer.size());
                if (got < 0) {
                    if (errno == EAGAIN || errno == EINTR) continue;
                    fail("connection %zu: read after %" PRIu64 " of %" PRIu64 " bytes: %s", index, connection.received,
                         bytes, strerror(errno));
                }
                if (got == 0) {
                    if (connection.received != bytes) {
                        fail("connection %zu: EOF after %" PRIu64 " of %" PRIu64 " bytes echoed", index,
                             connection.received, bytes);
                    }
                    if (!connection.write_shut)
                        fail("connection %zu: the server closed before we finished sending", index);
                    close(connection.fd);
                    connection.finished = true;
                    --unfinished;
                    continue;
                }
                if (connection.received + static_cast<uint64_t>(got) > bytes) {
                    fail("connection %zu: %" PRIu64 " bytes echoed, more than the %" PRIu64 " sent", index,
                         connection.received + static_cast<uint64_t>(got), bytes);
                }
                for (ssize_t i = 0; i < got; ++i) {
                    if (buffer[static_cast<size_t>(i)] != connection.to_expect.next()) {
                        fail("connection %zu: echoed byte %" PRIu64 " differs from the byte sent", index,
                             connection.received + static_cast<uint64_t>(i));
                    }
                }
                connection.received += static_cast<uint64_t>(got);
                last_progress = Clock::now();
            }
        }
    }
    printf("netbench: mode=echo-check connections=%zu bytes=%" PRIu64 " seconds=%.3f\n", connections.size(), bytes,
           seconds_since(start));
    return 0;
}

// ---- server side

void serve_stream_send(int fd, const Header& header) {
    std::vector<uint8_t> chunk(stream_chunk);
    uint64_t received = 0;
    while (received < header.bytes) {
        size_t length = static_cast<size_t>(std::min<uint64_t>(header.bytes - received, chunk.size()));
        ssize_t got = read(fd, chunk.data(), length);
        if (got == 0)
            return warn("stream-send client left after %" PRIu64 " of %" PRIu64 " bytes", received, header.bytes);
        if (got < 0) {
            if (errno == EINTR) continue;
            return warn("stream-send: read: %s", strerror(errno));
        }
        received += static_cast<uint64_t>(got);
    }
    uint8_t acknowledgement[8];
    put_big_endian(acknowledgement, received, 8);
    if (!write_all(fd, acknowledgement, sizeof acknowledgement)) warn("stream-send: write: %s", strerror(errno));
}

void serve_stream_recv(int fd, const Header& header) {
    std::vector<uint8_t> chunk(stream_chunk, 0xa5);
    for (uint64_t left = header.bytes; left > 0;) {
        size_t length = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
        if (!write_all(fd, chunk.data(), length)) return warn("stream-recv: write: %s", strerror(errno));
        left -= length;
    }
}

void serve_request_response(int fd, const Header& header) {
    set_nodelay(fd);
    std::vector<uint8_t> message(header.size);
    for (uint32_t i = 0; i < header.count; ++i) {
        if (!read_exact(fd, message.data(), message.size())) return warn("rr: read: %s", describe_errno());
        if (!write_all(fd, message.data(), message.size())) return warn("rr: write: %s", strerror(errno));
    }
}

void* serve_client(void* argument) {
    int fd = static_cast<int>(reinterpret_cast<intptr_t>(argument));
    std::array<uint8_t, header_size> wire{};
    if (!read_exact(fd, wire.data(), wire.size())) {
        // A port scan or a readiness probe connects and leaves: not worth a line.
        if (errno != 0) warn("reading a header: %s", strerror(errno));
    } else if (std::optional<Header> header = decode(wire); !header) {
        warn("a client sent a bad header; closing its connection");
    } else if (header->mode == Mode::stream_send) {
        serve_stream_send(fd, *header);
    } else if (header->mode == Mode::stream_recv) {
        serve_stream_recv(fd, *header);
    } else {
        serve_request_response(fd, *header);
    }
    close(fd);
    return nullptr;
}

// No state to flush or release: the connections die with the process.
void on_stop_signal(int) { _exit(0); }

int run_server(const Options& options) {
    if (!options.positional.empty()) usage("server takes no positional arguments");
    if (options.mode || options.bytes || options.size || options.count || options.connections) {
        usage("option not valid for server");
    }
    int port = options.port ? parse_port(*options.port, true) : default_port;
    std::string address_text = options.address.value_or("::");

    sockaddr_storage storage{};
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
    socklen_t length = 0;
    if (inet_pton(AF_INET6, address_text.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        length = sizeof *v6;
    } else if (inet_pton(AF_INET, address_text.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        length = sizeof *v4;
    } else {
        usage("bad --address (expected an IPv4 or IPv6 literal)");
    }
    int listener = socket(storage.ss_family, SOCK_STREAM, 0);
    if (listener < 0 && errno == EAFNOSUPPORT && storage.ss_family == AF_INET6 &&
        IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr)) {
        // A kernel without IPv6: the IPv4 wildcard is the next best "everywhere".
        storage = {};
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        v4->sin_addr.s_addr = htonl(INADDR_ANY);
        length = sizeof *v4;
        listener = socket(AF_INET, SOCK_STREAM, 0);
    }
    if (listener < 0) fail("socket: %s", strerror(errno));
    int on = 1;
    int off = 0;
    // Restarting while old connections sit in TIME_WAIT must not fail with EADDRINUSE.
    if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0) fail("setsockopt: %s", strerror(errno));
    // Dual stack whatever net.ipv6.bindv6only says (ignored where the option is missing).
    if (storage.ss_family == AF_INET6) setsockopt(listener, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (bind(listener, reinterpret_cast<sockaddr*>(&storage), length) < 0) {
        fail("bind to port %d: %s", port, strerror(errno));
    }
    if (listen(listener, SOMAXCONN) < 0) fail("listen: %s", strerror(errno));

    length = sizeof storage;
    if (getsockname(listener, reinterpret_cast<sockaddr*>(&storage), &length) < 0)
        fail("getsockname: %s", strerror(errno));
    int bound_port = ntohs(storage.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port);

    raise_descriptor_limit();
    // A client that leaves mid-stream must cost its thread an EPIPE, not the server.
    signal(SIGPIPE, SIG_IGN);
    struct sigaction stop {};
    stop.sa_handler = on_stop_signal;
    sigemptyset(&stop.sa_mask);
    if (sigaction(SIGTERM, &stop, nullptr) < 0 || sigaction(SIGINT, &stop, nullptr) < 0) {
        fail("sigaction: %s", strerror(errno));
    }
    // A small explicit stack: buffers live on the heap, and the default 8 MiB per
    // thread would make many clients expensive in a small VM.
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, server_thread_stack);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);

    printf("netbench: listening on %d\n", bound_port);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: wait for a client to leave rather than spin.
                warn("accept: %s", strerror(errno));
                usleep(100 * 1000);
                continue;
            }
            fail("accept: %s", strerror(errno));
        }
        pthread_t thread;
        int error = pthread_create(&thread, &attributes, serve_client, reinterpret_cast<void*>(intptr_t{fd}));
        if (error != 0) {
            warn("pthread_create: %s; turning a client away", strerror(error));
            close(fd);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage("missing command");
    std::string_view command = argv[1];
    Options options = parse_options(argc, argv, 2);
    if (command == "server") return run_server(options);
    if (command == "client") return run_client(options);
    if (command == "echo-check") return run_echo_check(options);
    usage("unknown command (expected server, client or echo-check)");
}
