#include "fs/setup.hpp"

#include "fs/console_file.hpp"
#include "fs/hostfs.hpp"
#include "fs/vfs.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"

#if __has_include("fs/tmpfs.hpp")
#include "fs/tmpfs.hpp"
#define EREMITE_HAVE_TMPFS 1
#endif

namespace eremite::fs {
namespace {

// Makes every missing directory along `path` (absolute), as mkdir -p.
[[maybe_unused]] Result<void> make_directories(const char* path) {
    Location at = TRY(root_location());
    const char* cursor = path;
    while (*cursor) {
        while (*cursor == '/') ++cursor;
        const char* end = cursor;
        while (*end && *end != '/') ++end;
        if (end == cursor) break;
        Name name{cursor, static_cast<uint32_t>(end - cursor)};
        auto child = at.node()->lookup(name);
        if (!child.ok() && child.error_code() == Errno::enoent) child = at.node()->make_directory(name, 0755);
        if (!child.ok()) return Error{child.error_code()};
        Ref<Node> node = child.value();
        while (Node* mounted = mounted_on(*node)) node = Ref<Node>(mounted);
        if (!node->is_directory()) return error(Errno::enotdir);
        TRY(at.enter(*node, name));
        cursor = end;
    }
    return {};
}

void install_standard_streams() {
    for (int32_t fd = 0; fd < 3; ++fd) {
        auto file = open_standard_stream(fd);
        if (!file.ok()) continue;  // stdin closed on the host: fd 0 stays closed
        if (!install_fd_at(fd, file.value(), false).ok()) panic("no memory for the standard streams");
    }
}

}  // namespace

void init(const abi::BootInfo& info, const char* const* mount_paths, const char* working_directory_path) {
    init_console(info);
#ifdef EREMITE_HAVE_TMPFS
    Ref<Node> root = make_tmpfs_root(0755);
    if (!root) panic("no memory for the root file system");
    set_root(*root);
    for (const char* directory : {"/tmp", "/dev", "/proc", "/sys", "/etc"}) {
        if (!make_directories(directory).ok()) panic("cannot make %s in the root file system", directory);
    }
    Location top = root_location().release();
    if (!top.depth()) panic("no memory for the root file system");
    if (auto tmp = walk(top, "/tmp", 0); tmp.ok()) (void)tmp.value().node()->set_mode(01777);

    for (uint32_t i = 0; i < info.mount_count; ++i) {
        const char* path = mount_paths[i];
        bool read_only = info.mount_read_only & (1u << i);
        if (!make_directories(path).ok()) panic("cannot make the mount point %s", path);
        auto host = mount_host_directory(i, read_only);
        if (!host.ok()) panic("cannot mount the host directory for %s (errno %d)", path, int(host.error_code()));
        if (!mount(path, *host.value(), "hostfs", read_only).ok()) panic("cannot mount on %s", path);
    }

    auto cwd = walk(top, working_directory_path, walk_follow | walk_directory);
    if (!cwd.ok())
        panic("the working directory %s does not exist in the guest (errno %d)", working_directory_path,
              int(cwd.error_code()));
    set_working_directory(cwd.value());
#else
    (void)mount_paths;
    (void)working_directory_path;
#endif
    install_standard_streams();
}

}  // namespace eremite::fs
