// The HTTP/1.1 side of httpd, apart from sockets and files: finding the end of a
// request head, parsing it (RFC 9112 sections 2-3 and 5), decoding the target's path
// and formatting response heads. Nothing here does I/O, so every rule lives in one
// place and reads as a rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace http {

// Bigger heads are refused with 431: no browser or curl sends one, and the limit bounds
// what a connection can make us buffer.
inline constexpr size_t max_head_size = 16 * 1024;

struct Request {
    std::string method;
    std::string target;  // as sent: percent-encoded, with any query
    int minor_version = 1;
    bool keep_alive = true;
    // A body we will not read (GET and HEAD have no use for one): the connection closes
    // after the response, since we cannot tell where the next request would start.
    bool has_body = false;
};

// Either a request or the status that refuses it (400, 505); a refusal closes the
// connection, because after a malformed head the byte stream cannot be trusted.
struct ParsedRequest {
    std::optional<Request> request;
    int error_status = 0;
};

// Where the head in `input` ends: the length of the head without its blank line, and
// how many bytes head and blank line take. Lines may end in CRLF or a bare LF (RFC 9112
// section 2.2 lets a recipient accept LF alone).
struct HeadExtent {
    size_t head_length;
    size_t consumed;
};
std::optional<HeadExtent> find_head_end(std::string_view input);

// Bytes a client may send between requests (RFC 9112 section 2.2: a server SHOULD
// ignore at least one empty line before a request line).
size_t leading_empty_lines(std::string_view input);

ParsedRequest parse_request(std::string_view head);

// The path of a request target (origin form "/a/b?q" or absolute form
// "http://host/a/b"), query and fragment removed, still percent-encoded; nullopt when
// the target has neither form.
std::optional<std::string_view> target_path(std::string_view target);

// The decoded segments of a path; nullopt for a malformed %-escape or an encoded NUL.
// "." and empty segments are dropped; ".." segments are kept, for the caller to refuse.
std::optional<std::vector<std::string>> decode_path(std::string_view path);

std::string_view reason_phrase(int status);
std::string_view content_type_for(std::string_view file_name);

std::string html_escape(std::string_view text);
// Percent-encodes everything but RFC 3986 unreserved characters, for a link to a name.
std::string percent_encode(std::string_view text);

// A response head: status line, Date, Server, Content-Type, Content-Length, Connection
// when it differs from the version's default, then `extra_headers` (each ending CRLF).
std::string response_head(int status, std::string_view content_type, uint64_t content_length, const Request& request,
                          bool keep_alive, std::string_view extra_headers = {});

}  // namespace http
