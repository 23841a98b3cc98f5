// httpd: a static file server over HTTP/1.1 (GET and HEAD), one thread, one epoll set.
//
//   httpd DIRECTORY [PORT] [ADDRESS]     (port 8080, address :: by default)
//
// It prints "httpd: serving DIRECTORY on ADDRESS:PORT" once it listens (PORT 0 takes
// any free port, printed there) and exits 0 on SIGTERM or SIGINT.
//
// Design. Every socket is non-blocking and level-triggered in one epoll set; a
// connection is in one of three states, and its epoll interest follows:
//   - reading (EPOLLIN): bytes are appended to `input` until a whole head is there;
//   - writing (EPOLLOUT): a response is pending; its head sits in `output`, a file body
//     is sent from the file with pread at `body_offset`. Input is not read meanwhile,
//     so a client that pipelines without reading cannot make us buffer without bound;
//   - draining (EPOLLIN): we are closing; our side is shut down and whatever the client
//     still sends is read and dropped until its EOF, so that close() does not answer
//     unread data with a reset that would destroy our last response (the "lingering
//     close" of RFC 9112 section 9.6).
// A connection gets at most `send_budget` bytes per wake-up, so one fast reader of a
// large file cannot starve the others; level triggering brings it back on the next
// epoll_wait. Idle connections are closed after a timeout, checked once a second.
// Connections are keyed by a 64-bit id that is never reused, not by fd, so an event
// still queued for a closed connection cannot reach a new one that got the same fd.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int default_port = 8080;
constexpr size_t read_chunk = size_t{16} * 1024;
constexpr size_t file_chunk = size_t{256} * 1024;
constexpr size_t send_budget = size_t{1024} * 1024;
constexpr auto idle_timeout = std::chrono::seconds(60);
constexpr auto drain_timeout = std::chrono::seconds(5);
constexpr uint64_t listener_id = 0;
constexpr uint64_t signal_pipe_id = 1;

[[noreturn]] void fail(const char* what) {
    fprintf(stderr, "httpd: %s: %s\n", what, strerror(errno));
    exit(1);
}

[[noreturn]] void usage(const char* problem) {
    fprintf(stderr, "httpd: %s (usage: httpd DIRECTORY [PORT] [ADDRESS])\n", problem);
    exit(2);
}

class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(std::exchange(other.fd_, -1));
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    void reset(int fd = -1) {
        if (fd_ >= 0) close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

// The write end of the self-pipe: signalfd would be neater, but a pipe and a handler
// work on every kernel that can run us (Eremite has no signalfd).
int signal_pipe_write = -1;

void on_stop_signal(int signal_number) {
    int saved_errno = errno;
    auto byte = static_cast<unsigned char>(signal_number);
    [[maybe_unused]] ssize_t ignored = write(signal_pipe_write, &byte, 1);
    errno = saved_errno;
}

// A server that holds 1000+ connections needs more than the usual soft limit of 1024
// descriptors; the hard limit is ours to take. Failing is not fatal: we then serve
// fewer connections at once.
void raise_descriptor_limit() {
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

struct ListenAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

std::optional<ListenAddress> parse_address(const char* text, int port) {
    ListenAddress address;
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        address.length = sizeof *v6;
    } else if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        address.length = sizeof *v4;
    } else {
        return std::nullopt;
    }
    return address;
}

std::string format_address(const sockaddr_storage& storage) {
    char text[INET6_ADDRSTRLEN] = "?";
    std::string formatted;
    if (storage.ss_family == AF_INET6) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(storage);
        inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
        formatted.append("[").append(text).append("]:").append(std::to_string(ntohs(v6.sin6_port)));
    } else {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(storage);
        inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
        formatted.append(text).append(":").append(std::to_string(ntohs(v4.sin_port)));
    }
    return formatted;
}

// Returns the listening socket, or an invalid one with errno set.
UniqueFd try_listen(const ListenAddress& address) {
    UniqueFd listener(socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener.valid()) return listener;
    int on = 1;
    int off = 0;
    // Dual stack on purpose, whatever net.ipv6.bindv6only says; a stack without the
    // option is dual-stack or IPv6-only already, and either still serves IPv6.
    if (address.storage.ss_family == AF_INET6) setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    // Restarting while old connections sit in TIME_WAIT must not fail with EADDRINUSE.
    if (setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        bind(listener.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) < 0 ||
        listen(listener.get(), SOMAXCONN) < 0) {
        int error = errno;
        listener.reset();
        errno = error;
    }
    return listener;
}

struct Connection {
    UniqueFd socket;
    std::string input;
    std::string output;  // a response head, or a whole small body (error, listing)
    size_t output_sent = 0;
    UniqueFd body_file;
    uint64_t body_offset = 0;
    uint64_t body_end = 0;
    bool close_when_done = false;  // after the pending response
    bool peer_closed = false;      // we read EOF: answer what is buffered, then close
    bool draining = false;
    uint32_t interest = 0;
    Clock::time_point last_activity = Clock::now();

    bool response_pending() const { return output_sent < output.size() || body_file.valid(); }
};

// A file opened for a request, or the status that refuses it.
struct OpenedFile {
    UniqueFd file;
    struct stat status {};
    std::string path;  // resolved, inside the root
    int error_status = 0;
};

class Server {
public:
    Server(std::string root, UniqueFd listener, UniqueFd signal_pipe)
        : root_(std::move(root)), listener_(std::move(listener)), signal_pipe_(std::move(signal_pipe)) {}

    // Serves until SIGTERM or SIGINT; returns the signal.
    int run();

private:
    void watch(int fd, uint64_t id, uint32_t events);
    void set_interest(Connection& connection, uint64_t id, uint32_t events);
    void accept_connections();
    void service(uint64_t id, uint32_t events);
    bool read_input(Connection& connection);
    bool drain(Connection& connection);
    bool serve_buffered_requests(Connection& connection, uint64_t id);
    enum class Flush { done, blocked, error };
    Flush flush(Connection& connection, size_t& budget);
    void answer(Connection& connection, const http::Request& request);
    void answer_error(Connection& connection, const http::Request& request, int status,
                      std::string_view extra_headers = {});
    void answer_file(Connection& connection, const http::Request& request, OpenedFile file);
    void answer_listing(Connection& connection, const http::Request& request, std::string_view url_path,
                        const std::string& directory);
    OpenedFile open_inside_root(const std::string& path) const;
    void begin_close(Connection& connection, uint64_t id);
    void close_connection(uint64_t id);
    void close_idle_connections();

    std::string root_;
    UniqueFd listener_;
    UniqueFd signal_pipe_;
    UniqueFd epoll_;
    // Held so that at EMFILE one descriptor can be freed to accept and at once close a
    // pending connection; otherwise it would stay in the backlog and wake us forever.
    UniqueFd spare_fd_;
    std::unordered_map<uint64_t, Connection> connections_;
    uint64_t next_id_ = signal_pipe_id + 1;
    // One buffer for every file body: a body is read at its offset just before it is
    // sent, and the offset advances only by what the socket took, so after a short
    // write the rest is read again later rather than kept per connection.
    std::vector<char> file_buffer_ = std::vector<char>(file_chunk);
};

void Server::watch(int fd, uint64_t id, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = id;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) < 0) fail("epoll_ctl(ADD)");
}

void Server::set_interest(Connection& connection, uint64_t id, uint32_t events) {
    if (connection.interest == events) return;
    epoll_event event{};
    event.events = events;
    event.data.u64 = id;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, connection.socket.get(), &event) < 0) fail("epoll_ctl(MOD)");
    connection.interest = events;
}

int Server::run() {
    epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_.valid()) fail("epoll_create1");
    watch(listener_.get(), listener_id, EPOLLIN);
    watch(signal_pipe_.get(), signal_pipe_id, EPOLLIN);
    spare_fd_ = UniqueFd(fcntl(listener_.get(), F_DUPFD_CLOEXEC, 0));

    std::array<epoll_event, 256> events{};
    auto last_sweep = Clock::now();
    for (;;) {
        int count = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 1000);
        if (count < 0) {
            if (errno == EINTR) continue;
            fail("epoll_wait");
        }
        for (int i = 0; i < count; ++i) {
            uint64_t id = events[i].data.u64;
            if (id == listener_id) {
                accept_connections();
            } else if (id == signal_pipe_id) {
                unsigned char signal_number = 0;
                if (read(signal_pipe_.get(), &signal_number, 1) == 1) return signal_number;
            } else {
                service(id, events[i].events);
            }
        }
        if (Clock::now() - last_sweep >= std::chrono::seconds(1)) {
            close_idle_connections();
            last_sweep = Clock::now();
        }
    }
}

void Server::accept_connections() {
    // Bounded so that a flood of connections cannot keep us from serving the ones we
    // have; the listener stays readable and we come back.
    for (int accepted = 0; accepted < 256; ++accepted) {
        int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if ((errno == EMFILE || errno == ENFILE) && spare_fd_.valid()) {
                spare_fd_.reset();
                UniqueFd refused(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                refused.reset();
                spare_fd_ = UniqueFd(fcntl(listener_.get(), F_DUPFD_CLOEXEC, 0));
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) fprintf(stderr, "httpd: accept: %s\n", strerror(errno));
            return;
        }
        // Responses go out in whole buffers (a head, then file chunks); Nagle would only
        // hold a small body back behind the head until the client's delayed ACK.
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        uint64_t id = next_id_++;
        Connection& connection = connections_[id];
        connection.socket = UniqueFd(fd);
        connection.interest = EPOLLIN;
        watch(fd, id, EPOLLIN);
    }
}

void Server::service(uint64_t id, uint32_t events) {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;  // closed earlier in this batch of events
    Connection& connection = found->second;

    if (connection.draining) {
        if (!drain(connection)) close_connection(id);
        return;
    }
    // EPOLLHUP means both directions are shut: nothing can be sent any more.
    if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
        close_connection(id);
        return;
    }
    if ((events & EPOLLIN) != 0 && !connection.peer_closed && !read_input(connection)) {
        close_connection(id);
        return;
    }
    if (!serve_buffered_requests(connection, id)) close_connection(id);
}

// Reads what the socket has, up to what one head may need; false on a reset.
bool Server::read_input(Connection& connection) {
    char buffer[read_chunk];
    while (connection.input.size() <= http::max_head_size) {
        ssize_t got = read(connection.socket.get(), buffer, sizeof buffer);
        if (got > 0) {
            connection.input.append(buffer, static_cast<size_t>(got));
            connection.last_activity = Clock::now();
        } else if (got == 0) {
            connection.peer_closed = true;
            return true;
        } else if (errno == EINTR) {
            continue;
        } else {
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
    }
    return true;
}

// Reads and drops input until EOF; false when the connection can be closed.
bool Server::drain(Connection& connection) {
    char buffer[read_chunk];
    for (;;) {
        ssize_t got = read(connection.socket.get(), buffer, sizeof buffer);
        if (got > 0) continue;
        if (got < 0 && errno == EINTR) continue;
        return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }
}

// Sends what is pending and answers every whole request in `input`, until the socket
// is full, the budget is spent or input runs out; false when the connection is to be
// closed now.
bool Server::serve_buffered_requests(Connection& connection, uint64_t id) {
    size_t budget = send_budget;
    for (;;) {
        if (connection.response_pending()) {
            Flush result = flush(connection, budget);
            if (result == Flush::error) return false;
            if (result == Flush::blocked) {
                set_interest(connection, id, EPOLLOUT);
                return true;
            }
        }
        if (connection.close_when_done) {
            if (connection.peer_closed) return false;
            begin_close(connection, id);
            return true;
        }

        connection.input.erase(0, http::leading_empty_lines(connection.input));
        std::optional<http::HeadExtent> extent = http::find_head_end(connection.input);
        if (!extent) {
            if (connection.input.size() > http::max_head_size) {
                answer_error(connection, http::Request{}, 431);
                connection.input.clear();
                continue;
            }
            if (connection.peer_closed) return false;  // nothing more will come
            // Between requests: give back what a large head made us hold.
            if (connection.input.empty()) connection.input.shrink_to_fit();
            set_interest(connection, id, EPOLLIN);
            return true;
        }
        if (extent->head_length > http::max_head_size) {
            answer_error(connection, http::Request{}, 431);
            connection.input.clear();
            continue;
        }
        http::ParsedRequest parsed =
            http::parse_request(std::string_view(connection.input).substr(0, extent->head_length));
        connection.input.erase(0, extent->consumed);
        if (parsed.request) {
            answer(connection, *parsed.request);
        } else {
            answer_error(connection, http::Request{}, parsed.error_status);
        }
    }
}

Server::Flush Server::flush(Connection& connection, size_t& budget) {
    int socket = connection.socket.get();
    while (connection.output_sent < connection.output.size()) {
        if (budget == 0) return Flush::blocked;
        size_t length = std::min(connection.output.size() - connection.output_sent, budget);
        ssize_t sent = write(socket, connection.output.data() + connection.output_sent, length);
        if (sent < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? Flush::blocked : Flush::error;
        }
        connection.output_sent += static_cast<size_t>(sent);
        budget -= static_cast<size_t>(sent);
        connection.last_activity = Clock::now();
    }
    connection.output.clear();
    connection.output_sent = 0;
    if (connection.output.capacity() > file_chunk) connection.output.shrink_to_fit();

    while (connection.body_file.valid()) {
        if (connection.body_offset == connection.body_end) {
            connection.body_file.reset();
            break;
        }
        if (budget == 0) return Flush::blocked;
        size_t length = std::min({file_buffer_.size(), budget, connection.body_end - connection.body_offset});
        ssize_t got =
            pread(connection.body_file.get(), file_buffer_.data(), length, static_cast<off_t>(connection.body_offset));
        if (got < 0 && errno == EINTR) continue;
        // A file that shrank under us cannot fill the Content-Length we promised: the
        // only honest end is to close the connection, which the client sees as truncation.
        if (got <= 0) return Flush::error;
        ssize_t sent = write(socket, file_buffer_.data(), static_cast<size_t>(got));
        if (sent < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? Flush::blocked : Flush::error;
        }
        connection.body_offset += static_cast<uint64_t>(sent);
        budget -= static_cast<size_t>(sent);
        connection.last_activity = Clock::now();
    }
    return Flush::done;
}

void Server::answer_error(Connection& connection, const http::Request& request, int status,
                          std::string_view extra_headers) {
    // A refused request leaves the stream in an unknown state (400, 431, 505), or has
    // a body we will not read: either way the connection closes after the answer.
    bool keep_alive = status < 400 || status == 403 || status == 404 || status == 405;
    keep_alive = keep_alive && request.keep_alive && !request.has_body;
    if (!keep_alive) connection.close_when_done = true;
    std::string body = std::to_string(status) + " " + std::string(http::reason_phrase(status)) + "\n";
    connection.output =
        http::response_head(status, "text/plain; charset=utf-8", body.size(), request, keep_alive, extra_headers);
    if (request.method != "HEAD") connection.output += body;
}

void Server::answer(Connection& connection, const http::Request& request) {
    if (request.method != "GET" && request.method != "HEAD") {
        answer_error(connection, request, 405, "Allow: GET, HEAD\r\n");
        return;
    }
    std::optional<std::string_view> url_path = http::target_path(request.target);
    if (!url_path) return answer_error(connection, request, 400);
    std::optional<std::vector<std::string>> segments = http::decode_path(*url_path);
    if (!segments) return answer_error(connection, request, 400);

    std::string path = root_;
    for (const std::string& segment : *segments) {
        // Refused outright rather than resolved: ".." never names anything we serve.
        if (segment == "..") return answer_error(connection, request, 403);
        path += '/';
        path += segment;
    }
    OpenedFile file = open_inside_root(path);
    if (file.error_status != 0) return answer_error(connection, request, file.error_status);

    if (S_ISDIR(file.status.st_mode)) {
        // Links in a listing or an index page are relative to the directory, which the
        // client only knows as such when its URL ends in "/".
        if (!url_path->ends_with('/')) {
            std::string location = "Location: " + std::string(*url_path) + "/\r\n";
            return answer_error(connection, request, 301, location);
        }
        OpenedFile index = open_inside_root(file.path + "/index.html");
        if (index.error_status == 0 && S_ISREG(index.status.st_mode)) {
            return answer_file(connection, request, std::move(index));
        }
        return answer_listing(connection, request, *url_path, file.path);
    }
    if (!S_ISREG(file.status.st_mode)) return answer_error(connection, request, 403);
    answer_file(connection, request, std::move(file));
}

OpenedFile Server::open_inside_root(const std::string& path) const {
    OpenedFile opened;
    auto status_for = [](int error) { return error == EACCES || error == EPERM ? 403 : 404; };
    // Resolving symbolic links first is what keeps a link inside the root from serving
    // a file outside it.
    char* resolved = realpath(path.c_str(), nullptr);
    if (resolved == nullptr) {
        opened.error_status = status_for(errno);
        return opened;
    }
    opened.path = resolved;
    free(resolved);
    bool inside =
        opened.path == root_ || root_ == "/" || (opened.path.starts_with(root_) && opened.path[root_.size()] == '/');
    if (!inside) {
        opened.error_status = 404;
        return opened;
    }
    // O_NONBLOCK: opening a FIFO someone left in the tree must not stall every client.
    opened.file = UniqueFd(open(opened.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!opened.file.valid()) {
        opened.error_status = status_for(errno);
        return opened;
    }
    if (fstat(opened.file.get(), &opened.status) < 0) opened.error_status = 500;
    return opened;
}

void Server::answer_file(Connection& connection, const http::Request& request, OpenedFile file) {
    bool keep_alive = request.keep_alive && !request.has_body;
    if (!keep_alive) connection.close_when_done = true;
    auto size = static_cast<uint64_t>(file.status.st_size);
    connection.output = http::response_head(200, http::content_type_for(file.path), size, request, keep_alive);
    if (request.method == "HEAD" || size == 0) return;
    connection.body_file = std::move(file.file);
    connection.body_offset = 0;
    connection.body_end = size;
}

void Server::answer_listing(Connection& connection, const http::Request& request, std::string_view url_path,
                            const std::string& directory) {
    DIR* stream = opendir(directory.c_str());
    if (stream == nullptr) return answer_error(connection, request, errno == EACCES ? 403 : 404);
    std::vector<std::string> names;
    while (dirent* entry = readdir(stream)) {
        std::string_view name = entry->d_name;
        if (name == "." || name == "..") continue;
        bool is_directory = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
            struct stat status {};
            is_directory = fstatat(dirfd(stream), entry->d_name, &status, 0) == 0 && S_ISDIR(status.st_mode);
        }
        names.push_back(std::string(name) + (is_directory ? "/" : ""));
    }
    closedir(stream);
    std::sort(names.begin(), names.end());

    std::string title = http::html_escape(url_path);
    std::string body = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of " + title +
                       "</title></head>\n<body><h1>Index of " + title + "</h1>\n<ul>\n";
    if (url_path != "/") body += "<li><a href=\"../\">../</a></li>\n";
    for (const std::string& name : names) {
        bool is_directory = name.back() == '/';
        std::string_view bare = std::string_view(name).substr(0, name.size() - (is_directory ? 1 : 0));
        body += "<li><a href=\"" + http::percent_encode(bare) + (is_directory ? "/" : "") + "\">" +
                http::html_escape(name) + "</a></li>\n";
    }
    body += "</ul></body></html>\n";

    bool keep_alive = request.keep_alive && !request.has_body;
    if (!keep_alive) connection.close_when_done = true;
    connection.output = http::response_head(200, "text/html; charset=utf-8", body.size(), request, keep_alive);
    if (request.method != "HEAD") connection.output += body;
}

void Server::begin_close(Connection& connection, uint64_t id) {
    if (shutdown(connection.socket.get(), SHUT_WR) < 0) return close_connection(id);
    connection.draining = true;
    connection.last_activity = Clock::now();
    connection.input.clear();
    connection.input.shrink_to_fit();
    set_interest(connection, id, EPOLLIN);
}

void Server::close_connection(uint64_t id) {
    // Closing the socket removes it from the epoll set; the map entry owns the rest.
    connections_.erase(id);
}

void Server::close_idle_connections() {
    auto now = Clock::now();
    std::vector<uint64_t> expired;
    for (const auto& [id, connection] : connections_) {
        auto limit = connection.draining ? drain_timeout : idle_timeout;
        if (now - connection.last_activity > limit) expired.push_back(id);
    }
    for (uint64_t id : expired) close_connection(id);
}

int parse_port(const char* text) {
    char* end = nullptr;
    errno = 0;
    long port = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || port < 0 || port > 65535) usage("bad port");
    return static_cast<int>(port);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) usage("wrong number of arguments");
    const char* directory = argv[1];
    int port = argc > 2 ? parse_port(argv[2]) : default_port;
    const char* address_text = argc > 3 ? argv[3] : "::";

    char* resolved_root = realpath(directory, nullptr);
    struct stat root_status {};
    if (resolved_root == nullptr || stat(resolved_root, &root_status) < 0) {
        fprintf(stderr, "httpd: %s: %s\n", directory, strerror(errno));
        return 1;
    }
    if (!S_ISDIR(root_status.st_mode)) {
        fprintf(stderr, "httpd: %s: not a directory\n", directory);
        return 1;
    }
    std::string root = resolved_root;
    free(resolved_root);

    std::optional<ListenAddress> address = parse_address(address_text, port);
    if (!address) usage("bad address (expected an IPv4 or IPv6 literal)");

    raise_descriptor_limit();
    // A client that disconnects mid-response must cost us an EPIPE, not the process.
    signal(SIGPIPE, SIG_IGN);

    UniqueFd listener = try_listen(*address);
    bool wildcard_v6 = address->storage.ss_family == AF_INET6 &&
                       IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<sockaddr_in6*>(&address->storage)->sin6_addr);
    if (!listener.valid() && wildcard_v6 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL)) {
        // A kernel without IPv6: the IPv4 wildcard is the next best "everywhere".
        address = parse_address("0.0.0.0", port);
        listener = try_listen(*address);
    }
    if (!listener.valid()) {
        int error = errno;
        fprintf(stderr, "httpd: listen on %s: %s\n", format_address(address->storage).c_str(), strerror(error));
        return 1;
    }
    socklen_t length = sizeof address->storage;
    if (getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address->storage), &length) < 0) fail("getsockname");

    int pipe_ends[2];
    if (pipe2(pipe_ends, O_NONBLOCK | O_CLOEXEC) < 0) fail("pipe2");
    signal_pipe_write = pipe_ends[1];
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &action, nullptr) < 0 || sigaction(SIGINT, &action, nullptr) < 0) fail("sigaction");

    printf("httpd: serving %s on %s\n", directory, format_address(address->storage).c_str());
    fflush(stdout);

    int signal_number = 0;
    {
        Server server(std::move(root), std::move(listener), UniqueFd(pipe_ends[0]));
        signal_number = server.run();
    }
    printf("httpd: stopping on %s\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    return 0;
}
