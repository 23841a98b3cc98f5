// The VFS: one tree of file systems (a tmpfs root, host directories and the synthetic
// /dev, /proc and /sys mounted into it), the path walk, the process's working directory
// and umask, and its file-descriptor table.
//
// A place in the tree is a Location (fs/location.hpp).
#pragma once

#include <stdint.h>

#include "fs/file.hpp"
#include "fs/location.hpp"
#include "fs/node.hpp"
#include "lib/result.hpp"

namespace eremite::fs {

// Path walk flags.
inline constexpr uint32_t walk_follow = 1;     // follow a symlink in the last component
inline constexpr uint32_t walk_directory = 2;  // the result must be a directory (a trailing '/' asks too)
inline constexpr uint32_t walk_empty_ok = 4;   // "" names the start itself (AT_EMPTY_PATH)
// openat2's RESOLVE_* restrictions (linux/openat2.h), as walk flags.
inline constexpr uint32_t walk_no_xdev = 8;          // never cross a mount point: EXDEV
inline constexpr uint32_t walk_no_magic_links = 16;  // no /proc/self/fd/N links: ELOOP
inline constexpr uint32_t walk_no_symlinks = 32;     // no symlink at all: ELOOP
inline constexpr uint32_t walk_beneath = 64;         // never above the start: EXDEV
inline constexpr uint32_t walk_in_root = 128;        // the start is "/" and ".." stops there

// The start of a walk for *at syscalls: `dirfd` (AT_FDCWD = the working directory) or
// the root for an absolute path.
inline constexpr int32_t at_fdcwd = -100;
Result<Location> start_for(int32_t dirfd, const char* path);

// Walks `path` (a kernel string) from `start` to the node it names.
Result<Location> walk(const Location& start, const char* path, uint32_t flags);

// The parent directory of the last component of `path`, and that component (pointing
// into `path`). `last` is empty for "/" and may be "." or "..": callers decide what that
// means for them. `trailing_slash` tells whether the path ended in '/'.
struct ParentWalk {
    Location parent;
    Name last;
    bool trailing_slash;
};
// `flags`: the RESOLVE_* restrictions (walk_no_xdev ... walk_in_root) for the directory part.
Result<ParentWalk> walk_parent(const Location& start, const char* path, uint32_t flags = 0);

// Mounts `root` (the root of a file system) on the directory at `path`, which must exist.
// Mounts `root` (the root of a file system) on the directory at `path`, which must
// exist; the VFS holds a reference to both. Mounts with a file-system type name ("tmpfs", "hostfs", "proc"...): `path`
// is the mount point's path, for /proc/self/mounts. Mounting records them.
Result<void> mount(const char* path, Node& root, const char* type, bool read_only);
void for_each_mount(void (*visit)(const char* path, const char* type, bool read_only, void* context), void* context);
// The root mounted on `node`, or nullptr.
Node* mounted_on(Node& node);
// Whether `node` is the root of a mounted file system.
bool is_mount_root(Node& node);
// Which symlinks are "magic" (/proc/self/fd/N: RESOLVE_NO_MAGICLINKS refuses them); procfs
// says, set at boot.
void set_magic_link_test(bool (*is_magic)(Node& node));
// Sets the root of the tree (tmpfs) once at boot.
void set_root(Node& root);
Result<Location> root_location();

// The process's file-system state.
Location working_directory();
void set_working_directory(const Location& location);
uint32_t umask();
uint32_t set_umask(uint32_t mask);  // returns the old one

// The file-descriptor table.
inline constexpr int32_t fd_cloexec = 1;
Result<int32_t> install_fd(Ref<File> file, bool close_on_exec, int32_t lowest = 0);
Result<Ref<File>> file_of(int32_t fd);
// As dup2/dup3: `target` is closed first if open.
Result<int32_t> install_fd_at(int32_t target, Ref<File> file, bool close_on_exec);
Result<void> close_fd(int32_t fd);
Result<bool> close_on_exec(int32_t fd);
Result<void> set_close_on_exec(int32_t fd, bool value);
uint32_t fd_limit();  // RLIMIT_NOFILE's soft limit
void set_fd_limit(uint32_t limit);
// Calls `visit(fd, file, context)` for every open descriptor, in order (/proc/self/fd).
void for_each_fd(void (*visit)(int32_t fd, File& file, void* context), void* context);

}  // namespace eremite::fs
