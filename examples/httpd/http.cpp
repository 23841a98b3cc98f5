#include "http.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>

namespace http {

namespace {

// RFC 9110 section 5.6.2: the characters of a token (methods, header names).
bool is_token_char(char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) { return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// Calls `visit` with each comma-separated element of a list-valued header (RFC 9110
// section 5.6.1), trimmed, empty elements skipped.
template <typename Visit>
void for_each_list_element(std::string_view value, Visit visit) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view element = trim(value.substr(0, comma));
        if (!element.empty()) visit(element);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
}

bool parse_decimal(std::string_view text, uint64_t& value) {
    if (text.empty() || text.size() > 19) return false;  // 19 digits cannot overflow 64 bits
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Splits off the next line (without its LF and any CR before it).
std::string_view next_line(std::string_view& text) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

}  // namespace

std::optional<HeadExtent> find_head_end(std::string_view input) {
    for (size_t newline = input.find('\n'); newline != std::string_view::npos;
         newline = input.find('\n', newline + 1)) {
        size_t next = newline + 1;
        if (next < input.size() && input[next] == '\r') ++next;
        if (next < input.size() && input[next] == '\n') return HeadExtent{newline + 1, next + 1};
    }
    return std::nullopt;
}

size_t leading_empty_lines(std::string_view input) {
    size_t skipped = 0;
    while (skipped < input.size()) {
        if (input[skipped] == '\n') {
            ++skipped;
        } else if (input[skipped] == '\r' && skipped + 1 < input.size() && input[skipped + 1] == '\n') {
            skipped += 2;
        } else {
            break;
        }
    }
    return skipped;
}

ParsedRequest parse_request(std::string_view head) {
    ParsedRequest bad{std::nullopt, 400};
    Request request;

    // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
    std::string_view line = next_line(head);
    size_t first_space = line.find(' ');
    size_t second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
    if (second_space == std::string_view::npos || line.find(' ', second_space + 1) != std::string_view::npos) {
        return bad;
    }
    std::string_view method = line.substr(0, first_space);
    std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
    std::string_view version = line.substr(second_space + 1);
    if (!is_token(method) || target.empty()) return bad;
    if (std::any_of(target.begin(), target.end(), [](char c) { return c <= ' ' || c == 0x7f; })) return bad;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT; a major version other than 1 is one we
    // do not speak (505), anything else malformed (400).
    if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return bad;
    }
    if (version[5] != '1') return {std::nullopt, 505};
    request.method = method;
    request.target = target;
    request.minor_version = version[7] - '0';

    bool saw_host = false;
    bool connection_close = false;
    bool connection_keep_alive = false;
    std::optional<uint64_t> content_length;
    while (!head.empty()) {
        line = next_line(head);
        // Obsolete line folding (a line starting with whitespace) may be refused with
        // 400 (RFC 9112 section 5.2); so may whitespace before the colon (section 5.1).
        size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) return bad;
        std::string_view name = line.substr(0, colon);
        std::string_view value = trim(line.substr(colon + 1));
        if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\0' || c == '\r' || c == '\n'; })) {
            return bad;
        }
        if (equals_ignoring_case(name, "Host")) {
            if (saw_host) return bad;  // RFC 9112 section 3.2: more than one Host is a 400
            saw_host = true;
        } else if (equals_ignoring_case(name, "Connection")) {
            for_each_list_element(value, [&](std::string_view option) {
                if (equals_ignoring_case(option, "close")) connection_close = true;
                if (equals_ignoring_case(option, "keep-alive")) connection_keep_alive = true;
            });
        } else if (equals_ignoring_case(name, "Content-Length")) {
            uint64_t length = 0;
            if (!parse_decimal(value, length) || (content_length && *content_length != length)) return bad;
            content_length = length;
        } else if (equals_ignoring_case(name, "Transfer-Encoding")) {
            request.has_body = true;
        }
    }
    // RFC 9112 section 3.2: an HTTP/1.1 request without Host gets a 400.
    if (request.minor_version >= 1 && !saw_host) return bad;
    if (content_length && *content_length > 0) request.has_body = true;
    // HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes it unless the
    // client asks (RFC 9112 section 9.3).
    request.keep_alive = request.minor_version >= 1 ? !connection_close : connection_keep_alive && !connection_close;
    return {std::move(request), 0};
}

std::optional<std::string_view> target_path(std::string_view target) {
    // The absolute form is what a client sends to a proxy; servers must accept it too
    // (RFC 9112 section 3.2.2). Its authority is ignored: we serve one site.
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() >= scheme.size() && equals_ignoring_case(target.substr(0, scheme.size()), scheme)) {
            target.remove_prefix(scheme.size());
            size_t slash = target.find('/');
            target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
            break;
        }
    }
    if (target.empty() || target.front() != '/') return std::nullopt;
    return target.substr(0, target.find_first_of("?#"));
}

std::optional<std::vector<std::string>> decode_path(std::string_view path) {
    std::vector<std::string> segments;
    std::string decoded;
    for (size_t i = 0; i < path.size(); ++i) {
        if (path[i] != '%') {
            decoded += path[i];
            continue;
        }
        if (i + 2 >= path.size()) return std::nullopt;
        int high = hex_value(path[i + 1]);
        int low = hex_value(path[i + 2]);
        if (high < 0 || low < 0 || (high == 0 && low == 0)) return std::nullopt;
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
    }
    // Split after decoding, so that an encoded "/" or "." cannot hide a ".." from the
    // caller's check.
    std::string_view rest = decoded;
    while (!rest.empty()) {
        size_t slash = rest.find('/');
        std::string_view segment = rest.substr(0, slash);
        if (!segment.empty() && segment != ".") segments.emplace_back(segment);
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return segments;
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 301: return "Moved Permanently";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

std::string_view content_type_for(std::string_view file_name) {
    struct Mapping {
        std::string_view extension;
        std::string_view type;
    };
    static constexpr std::array<Mapping, 18> mappings{{
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"txt", "text/plain; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"xml", "application/xml"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/vnd.microsoft.icon"},
        {"pdf", "application/pdf"},
        {"wasm", "application/wasm"},
        {"mp4", "video/mp4"},
    }};
    size_t dot = file_name.rfind('.');
    size_t slash = file_name.rfind('/');
    if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
        std::string_view extension = file_name.substr(dot + 1);
        for (const Mapping& mapping : mappings) {
            if (equals_ignoring_case(extension, mapping.extension)) return mapping.type;
        }
    }
    return "application/octet-stream";
}

std::string html_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': escaped += "&amp;"; break;
            case '<': escaped += "&lt;"; break;
            case '>': escaped += "&gt;"; break;
            case '"': escaped += "&quot;"; break;
            case '\'': escaped += "&#39;"; break;
            default: escaped += c;
        }
    }
    return escaped;
}

std::string percent_encode(std::string_view text) {
    static constexpr std::string_view hex = "0123456789ABCDEF";
    std::string encoded;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                          c == '.' || c == '_' || c == '~';
        if (unreserved) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += hex[byte >> 4];
            encoded += hex[byte & 0xf];
        }
    }
    return encoded;
}

std::string response_head(int status, std::string_view content_type, uint64_t content_length, const Request& request,
                          bool keep_alive, std::string_view extra_headers) {
    // RFC 9110 section 5.6.7: the IMF-fixdate form, always in GMT.
    char date[64];
    time_t now = time(nullptr);
    struct tm utc {};
    gmtime_r(&now, &utc);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);

    std::string head;
    head.reserve(256 + extra_headers.size());
    head += "HTTP/1.1 ";
    head += std::to_string(status);
    head += ' ';
    head += reason_phrase(status);
    head += "\r\nDate: ";
    head += date;
    head += "\r\nServer: eremite-httpd\r\nContent-Type: ";
    head += content_type;
    head += "\r\nContent-Length: ";
    head += std::to_string(content_length);
    head += "\r\n";
    bool version_default = request.minor_version >= 1;  // HTTP/1.1 keeps, HTTP/1.0 closes
    if (keep_alive != version_default) head += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    head += extra_headers;
    head += "\r\n";
    return head;
}

}  // namespace http
