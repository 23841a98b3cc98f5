#include "rewrite_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "file_descriptor.hpp"

namespace ehyve {
namespace {

constexpr char magic[8] = {'E', 'R', 'E', 'W', 'R', 'T', '0', '1'};  // bump with the format or the rules
static_assert(std::is_trivially_copyable_v<SyscallPatch> && std::is_trivially_copyable_v<RewriteStats>);

constexpr uint64_t max_entries = 1u << 24;  // far above any real program; bounds a hostile file

std::string cache_directory() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/') return std::string(xdg) + "/eremite";
    if (const char* home = std::getenv("HOME"); home && home[0] == '/') return std::string(home) + "/.cache/eremite";
    return {};
}

std::string identity(const struct stat& s) {
    char text[128];
    std::snprintf(text, sizeof text, "%lx-%lx-%lx-%lx.%09lx", static_cast<unsigned long>(s.st_dev),
                  static_cast<unsigned long>(s.st_ino), static_cast<unsigned long>(s.st_size),
                  static_cast<unsigned long>(s.st_mtim.tv_sec), static_cast<unsigned long>(s.st_mtim.tv_nsec));
    return text;
}

// mkdir -p for the two levels below an existing parent.
bool make_directories(const std::string& directory) {
    std::string partial;
    for (size_t slash = 1; slash != std::string::npos;) {
        slash = directory.find('/', slash + 1);
        partial = directory.substr(0, slash);
        if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return false;
    }
    return true;
}

template <typename T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
bool take(std::string_view& in, T& value) {
    if (in.size() < sizeof value) return false;
    std::memcpy(&value, in.data(), sizeof value);
    in.remove_prefix(sizeof value);
    return true;
}

template <typename T>
bool take_vector(std::string_view& in, std::vector<T>& values) {
    uint64_t count;
    if (!take(in, count) || count > max_entries || in.size() < count * sizeof(T)) return false;
    values.resize(count);
    if (count) std::memcpy(values.data(), in.data(), count * sizeof(T));
    in.remove_prefix(count * sizeof(T));
    return true;
}

}  // namespace

std::string serialize_plan(const RewritePlan& plan) {
    std::string out(magic, sizeof magic);
    put(out, plan.stats);
    put(out, uint64_t{plan.patches.size()});
    for (const auto& patch : plan.patches) put(out, patch);
    put(out, uint64_t{plan.call_sites.size()});
    for (uint64_t site : plan.call_sites) put(out, site);
    put(out, uint64_t{plan.site_stubs.size()});
    if (!plan.site_stubs.empty())
        out.append(reinterpret_cast<const char*>(plan.site_stubs.data()), plan.site_stubs.size());
    return out;
}

std::optional<RewritePlan> deserialize_plan(std::string_view in) {
    RewritePlan plan;
    if (in.size() < sizeof magic || std::memcmp(in.data(), magic, sizeof magic) != 0) return std::nullopt;
    in.remove_prefix(sizeof magic);
    if (!take(in, plan.stats) || !take_vector(in, plan.patches) || !take_vector(in, plan.call_sites) ||
        !take_vector(in, plan.site_stubs) || !in.empty())
        return std::nullopt;
    return plan;
}

bool plan_fits(const RewritePlan& plan, std::span<const uint8_t> elf_file) {
    auto syscall_at = [&](uint64_t offset) {
        return offset <= elf_file.size() && elf_file.size() - offset >= 2 && elf_file[offset] == 0x0f &&
               elf_file[offset + 1] == 0x05;
    };
    for (const auto& patch : plan.patches) {
        if (patch.length == 0 || patch.length > sizeof patch.bytes) return false;
        bool fits = patch.length == 2 ? syscall_at(patch.file_offset)
                                      : patch.file_offset <= UINT64_MAX - patch.length &&
                                            syscall_at(patch.file_offset + patch.length);
        if (!fits) return false;
    }
    return true;
}

RewriteCache::RewriteCache(int app_fd) {
    struct stat app {
    }, self{};
    std::string directory = cache_directory();
    if (directory.empty() || fstat(app_fd, &app) != 0 || stat("/proc/self/exe", &self) != 0) return;
    path_ = directory + "/rewrites/" + identity(app) + "-" + identity(self);
}

std::optional<RewritePlan> RewriteCache::load(std::span<const uint8_t> elf_file) const {
    if (path_.empty()) return std::nullopt;
    FileDescriptor fd(open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat s {};
    if (!fd.valid() || fstat(fd.get(), &s) != 0 || !S_ISREG(s.st_mode) || s.st_size > (64 << 20)) return std::nullopt;
    std::string bytes(static_cast<size_t>(s.st_size), '\0');
    if (pread(fd.get(), bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) return std::nullopt;
    std::optional<RewritePlan> plan = deserialize_plan(bytes);
    if (!plan || !plan_fits(*plan, elf_file)) return std::nullopt;
    return plan;
}

void RewriteCache::store(const RewritePlan& plan) const {
    if (path_.empty()) return;
    std::string directory = path_.substr(0, path_.rfind('/'));
    if (!make_directories(directory)) return;
    // Written aside and renamed into place, so a reader never sees half a plan.
    std::string temporary = path_ + ".tmp" + std::to_string(getpid());
    FileDescriptor fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) return;
    std::string bytes = serialize_plan(plan);
    bool written = write(fd.get(), bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
    fd.reset();
    if (!written || rename(temporary.c_str(), path_.c_str()) != 0) unlink(temporary.c_str());
}

}  // namespace ehyve
