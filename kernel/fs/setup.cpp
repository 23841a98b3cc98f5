#include "fs/setup.hpp"

#include <stdarg.h>

#include "fs/clock.hpp"
#include "fs/console_file.hpp"
#include "fs/cpio.hpp"
#include "fs/devfs.hpp"
#include "fs/etc_files.hpp"
#include "fs/hostfs.hpp"
#include "fs/procfs.hpp"
#include "fs/sysfs.hpp"
#include "fs/tmpfs.hpp"
#include "fs/vfs.hpp"
#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "mm/memory.hpp"
#include "time/clock.hpp"

namespace eremite::fs {
namespace {

// Makes every missing directory along `path` (absolute), as mkdir -p.
Result<void> make_directories(const char* path) {
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

// The user asked for something the guest cannot give (a bad initramfs, a working
// directory that does not exist): one line and the host-error status, as ehyve's own
// checks end; not a panic, which says "kernel bug".
[[noreturn]] __attribute__((format(printf, 1, 2))) void refuse(const char* format, ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    vformat(line, sizeof line, format, args);
    va_end(args);
    log::raw("eremite: %s\n", line);
    linux::end_vm(abi::exit_status_host_error);
}

Timestamp wall_clock() {
    uint64_t ns = clock::realtime_ns();
    return Timestamp{static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000)};
}

void mount_synthetic(const char* path, Ref<Node> root, const char* type) {
    if (!root || !mount(path, *root, type, false).ok()) panic("cannot mount %s on %s", type, path);
}

void unpack_initrd(const abi::BootInfo& info, Node& root) {
    if (!info.initrd) return;
    char message[200] = {};
    auto unpacked = unpack_cpio(mm::to_virtual<const uint8_t>(PhysAddr{info.initrd}), info.initrd_size, root, message,
                                sizeof message);
    if (!unpacked.ok()) refuse("the initramfs cannot be unpacked: %s", message[0] ? message : "out of memory");
    const CpioSummary& s = unpacked.value();
    log::info("initramfs: %lu directories, %lu files, %lu symlinks, %lu hard links%s%s", s.directories, s.files,
              s.symlinks, s.hard_links, s.skipped ? "; skipped: " : "", s.skipped ? message : "");
}

}  // namespace

void init(const abi::BootInfo& info, const char* const* mount_paths, const char* working_directory_path) {
    init_console(info);
    set_clock(wall_clock);
    Ref<Node> root = make_tmpfs_root(0755);
    if (!root) panic("no memory for the root file system");
    set_root(*root);
    unpack_initrd(info, *root);
    const char* const directories[] = {"/tmp", "/dev", "/proc", "/sys", "/etc"};
    for (const char* directory : directories)
        if (!make_directories(directory).ok()) panic("cannot make %s in the root file system", directory);
    Location top = root_location().release();
    if (!top.depth()) panic("no memory for the root file system");
    if (auto tmp = walk(top, "/tmp", 0); tmp.ok()) (void)tmp.value().node()->set_mode(01777);
    if (auto etc = walk(top, "/etc", walk_follow); etc.ok()) populate_etc(*etc.value().node(), info);

    mount_synthetic("/dev", make_devfs_root(), "devtmpfs");
    mount_synthetic("/proc", make_procfs_root(info), "proc");
    set_magic_link_test([](Node& node) { return proc_fd_link_descriptor(node) >= 0; });
    mount_synthetic("/sys", make_sysfs_root(info.cpu_count), "sysfs");

    for (uint32_t i = 0; i < info.mount_count; ++i) {
        const char* path = mount_paths[i];
        bool read_only = info.mount_read_only & (1u << i);
        if (!make_directories(path).ok()) refuse("--mount: cannot make the mount point %s in the guest", path);
        auto host = mount_host_directory(i, read_only);
        if (!host.ok())
            refuse("--mount: the host refused the directory for %s (errno %d)", path,
                   static_cast<int>(host.error_code()));
        if (!mount(path, *host.value(), "hostfs", read_only).ok()) panic("cannot mount on %s", path);
    }

    auto cwd = walk(top, working_directory_path, walk_follow | walk_directory);
    if (!cwd.ok())
        refuse("--cwd %s: not a directory in the guest (errno %d)", working_directory_path,
               static_cast<int>(cwd.error_code()));
    set_working_directory(cwd.value());
    install_standard_streams();
}

}  // namespace eremite::fs
