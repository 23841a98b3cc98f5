// File syscalls by path name: open in all its forms, stat, access, the directory tree
// (mkdir, rmdir, unlink, rename, link, symlink, readlink), the working directory and
// umask, and the metadata changes (chmod, chown, utimensat, truncate).
#include "fs/vfs.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/file_syscalls.hpp"
#include "linux/process.hpp"
#include "mm/memory.hpp"
#include "time/clock.hpp"

namespace eremite::linux {
namespace {

using fs::Location;
using fs::Name;
using fs::Node;
using fs::Ref;

constexpr uint64_t at_symlink_nofollow = 0x100, at_removedir = 0x200, at_symlink_follow = 0x400,
                   at_no_automount = 0x800, at_empty_path = 0x1000, at_eaccess = 0x200;

bool is_dot(Name name) { return name.length == 1 && name.text[0] == '.'; }
bool is_dot_dot(Name name) { return name.length == 2 && name.text[0] == '.' && name.text[1] == '.'; }

// The walk flags for a *at syscall's AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH.
uint32_t walk_flags_of(uint64_t at_flags) {
    return ((at_flags & at_symlink_nofollow) ? 0 : fs::walk_follow) |
           ((at_flags & at_empty_path) ? fs::walk_empty_ok : 0);
}

// An app path copied in, or the errno of the copy.
struct PathArgument {
    AppPath path;
    int64_t error;
    explicit PathArgument(const char* app_path) { error = path.copy_from(app_path); }
    const char* text() const { return path.text; }
};

// The node `path` names from `dirfd` (walk flags as fs::walk).
// The start of a walk: as fs::start_for, except that RESOLVE_BENEATH and RESOLVE_IN_ROOT
// start from `dirfd` even for an absolute path (the walk then refuses or re-roots it).
Result<Location> start_of(int32_t dirfd, const char* path, uint32_t flags) {
    if (path[0] == '/' && (flags & (fs::walk_beneath | fs::walk_in_root))) return fs::start_for(dirfd, "");
    return fs::start_for(dirfd, path);
}

Result<Location> resolve(int32_t dirfd, const char* path, uint32_t flags) {
    if (!path[0] && !(flags & fs::walk_empty_ok)) return error(Errno::enoent);
    Location start = TRY(start_of(dirfd, path, flags));
    return fs::walk(start, path, flags);
}

Result<fs::ParentWalk> resolve_parent(int32_t dirfd, const char* path, uint32_t flags = 0) {
    if (!path[0]) return error(Errno::enoent);
    Location start = TRY(start_of(dirfd, path, flags));
    return fs::walk_parent(start, path, flags);
}

// ---- open --------------------------------------------------------------------------

// `restrictions`: openat2's RESOLVE_* as walk flags (0 for open and openat).
Result<int32_t> open_path(int32_t dirfd, const char* path, uint64_t flags, uint32_t mode, uint32_t restrictions = 0) {
    constexpr uint64_t known = fs::o_accmode | fs::o_creat | fs::o_excl | fs::o_noctty | fs::o_trunc | fs::o_append |
                               fs::o_nonblock | fs::o_dsync | fs::o_async | fs::o_direct | fs::o_largefile |
                               fs::o_directory | fs::o_nofollow | fs::o_noatime | fs::o_cloexec | fs::o_sync |
                               fs::o_path | fs::o_tmpfile;
    (void)known;  // Linux ignores unknown open flags (openat2 refuses them)
    if ((flags & fs::o_tmpfile) == fs::o_tmpfile) return error(Errno::eopnotsupp);
    if (flags & fs::o_path) flags &= fs::o_path | fs::o_directory | fs::o_nofollow | fs::o_cloexec;
    uint32_t access = flags & fs::o_accmode;
    if (access == 3) return error(Errno::einval);
    bool creating = flags & fs::o_creat;
    bool follow = !(flags & fs::o_nofollow) && !(creating && (flags & fs::o_excl));

    Location location;
    bool created = false;
    if (creating) {
        fs::ParentWalk parent = TRY(resolve_parent(dirfd, path, restrictions));
        if (parent.last.length == 0 || is_dot(parent.last) || is_dot_dot(parent.last) || parent.trailing_slash)
            return error(Errno::eisdir);
        auto existing = parent.parent.node()->lookup(parent.last);
        if (existing.ok()) {
            if (flags & fs::o_excl) return error(Errno::eexist);
            Ref<Node> node = existing.value();
            if (node->type() == fs::NodeType::symlink && follow) {
                location = TRY(resolve(dirfd, path, fs::walk_follow | restrictions));
            } else {
                while (Node* mounted = fs::mounted_on(*node)) {
                    if (restrictions & fs::walk_no_xdev) return error(Errno::exdev);
                    node = Ref<Node>(mounted);
                }
                location = static_cast<Location&&>(parent.parent);
                TRY(location.enter(*node, parent.last));
            }
        } else if (existing.error_code() == Errno::enoent) {
            uint32_t permissions = mode & ~fs::umask() & fs::mode_permission_mask;
            Ref<Node> node = TRY(parent.parent.node()->create(parent.last, permissions));
            location = static_cast<Location&&>(parent.parent);
            TRY(location.enter(*node, parent.last));
            created = true;
        } else {
            return Error{existing.error_code()};
        }
    } else {
        location = TRY(resolve(
            dirfd, path,
            (follow ? fs::walk_follow : 0) | ((flags & fs::o_directory) ? fs::walk_directory : 0) | restrictions));
    }

    Node& node = *location.node();
    if (!(flags & fs::o_path)) {
        if (node.type() == fs::NodeType::symlink) return error(Errno::eloop);  // O_NOFOLLOW met a link
        if (node.is_directory() && (access != fs::o_rdonly || creating || (flags & fs::o_trunc)))
            return error(Errno::eisdir);
        if (!created) {
            uint32_t want = (access == fs::o_rdonly ? 4 : access == fs::o_wronly ? 2 : 6);
            if (flags & fs::o_trunc) want |= 2;
            TRY(check_access(node.attributes(), want));
        }
    }
    if ((flags & fs::o_directory) && !node.is_directory()) return error(Errno::enotdir);
    // O_TRUNC truncates even with O_RDONLY, as Linux does (it asks for write permission).
    if ((flags & fs::o_trunc) && !created && node.type() == fs::NodeType::regular && !(flags & fs::o_path))
        TRY(node.truncate(0));

    // open() on 64-bit Linux always adds O_LARGEFILE (force_o_largefile); pipes and
    // eventfds, made otherwise, do not have it.
    Ref<fs::File> file = TRY(node.open(static_cast<uint32_t>(flags | fs::o_largefile)));
    if (!file->location() && !file->set_location(location)) return error(Errno::enomem);
    return fs::install_fd(file, flags & fs::o_cloexec);
}

int64_t open_syscall(int32_t dirfd, const char* app_path, uint64_t flags, uint32_t mode, uint32_t restrictions = 0) {
    PathArgument path(app_path);
    if (path.error) return path.error;
    return result_of(open_path(dirfd, path.text(), flags, mode, restrictions));
}

}  // namespace

int64_t sys_open(const SyscallArgs& args) {
    return open_syscall(fs::at_fdcwd, args.pointer<const char>(0), args[1], static_cast<uint32_t>(args[2]));
}
int64_t sys_openat(const SyscallArgs& args) {
    return open_syscall(args.integer(0), args.pointer<const char>(1), args[2], static_cast<uint32_t>(args[3]));
}
int64_t sys_creat(const SyscallArgs& args) {
    return open_syscall(fs::at_fdcwd, args.pointer<const char>(0), fs::o_creat | fs::o_wronly | fs::o_trunc,
                        static_cast<uint32_t>(args[1]));
}

int64_t sys_openat2(const SyscallArgs& args) {
    struct OpenHow {
        uint64_t flags, mode, resolve;
    } how{};
    uint64_t size = args[3];
    if (size < sizeof how) return failure(Errno::einval);
    if (size > 4096) return failure(Errno::e2big);
    if (!read_app(how, args.pointer<void>(2))) return failure(Errno::efault);
    // A larger struct from a newer libc must have zeroes beyond what we know.
    for (uint64_t at = sizeof how; at < size; ++at) {
        uint8_t byte;
        if (!read_app(byte, args.pointer<uint8_t>(2) + at)) return failure(Errno::efault);
        if (byte) return failure(Errno::e2big);
    }
    // openat2 is strict where openat is lenient: unknown flags and a mode without
    // O_CREAT/O_TMPFILE are errors.
    constexpr uint64_t known = fs::o_accmode | fs::o_creat | fs::o_excl | fs::o_noctty | fs::o_trunc | fs::o_append |
                               fs::o_nonblock | fs::o_dsync | fs::o_async | fs::o_direct | fs::o_largefile |
                               fs::o_directory | fs::o_nofollow | fs::o_noatime | fs::o_cloexec | fs::o_sync |
                               fs::o_path | fs::o_tmpfile;
    if (how.flags & ~known) return failure(Errno::einval);
    if (how.mode & ~uint64_t{07777}) return failure(Errno::einval);
    if (how.mode && !(how.flags & fs::o_creat)) return failure(Errno::einval);
    constexpr uint64_t resolve_no_xdev = 1, resolve_no_magiclinks = 2, resolve_no_symlinks = 4, resolve_beneath = 8,
                       resolve_in_root = 0x10, resolve_cached = 0x20;
    if (how.resolve & ~(resolve_no_xdev | resolve_no_magiclinks | resolve_no_symlinks | resolve_beneath |
                        resolve_in_root | resolve_cached))
        return failure(Errno::einval);
    if ((how.resolve & resolve_beneath) && (how.resolve & resolve_in_root)) return failure(Errno::einval);
    uint32_t restrictions = ((how.resolve & resolve_no_xdev) ? fs::walk_no_xdev : 0) |
                            ((how.resolve & resolve_no_magiclinks) ? fs::walk_no_magic_links : 0) |
                            ((how.resolve & resolve_no_symlinks) ? fs::walk_no_symlinks : 0) |
                            ((how.resolve & resolve_beneath) ? fs::walk_beneath : 0) |
                            ((how.resolve & resolve_in_root) ? fs::walk_in_root : 0);
    // RESOLVE_CACHED asks for a walk that needs no I/O; every walk here is served from
    // memory or one host call per name, so it is simply done.
    return open_syscall(args.integer(0), args.pointer<const char>(1), how.flags, static_cast<uint32_t>(how.mode),
                        restrictions);
}

// ---- stat and access ----------------------------------------------------------------

namespace {

Result<fs::Attributes> attributes_at(int32_t dirfd, const char* path, uint64_t flags) {
    if (!path[0] && (flags & at_empty_path)) {  // the descriptor itself (or the cwd)
        if (dirfd == fs::at_fdcwd) return fs::working_directory().node()->attributes();
        Ref<fs::File> file = TRY(fs::file_of(dirfd));
        return file->attributes();
    }
    Location location = TRY(resolve(dirfd, path, walk_flags_of(flags & ~at_empty_path)));
    return location.node()->attributes();
}

int64_t stat_syscall(int32_t dirfd, const char* app_path, void* app_out, uint64_t flags) {
    if (flags & ~(at_symlink_nofollow | at_empty_path | at_no_automount)) return failure(Errno::einval);
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto attributes = attributes_at(dirfd, path.text(), flags);
    if (!attributes.ok()) return failure(attributes.error_code());
    return write_stat(app_out, attributes.value());
}

}  // namespace

int64_t sys_stat(const SyscallArgs& args) {
    return stat_syscall(fs::at_fdcwd, args.pointer<const char>(0), args.pointer<void>(1), 0);
}
int64_t sys_lstat(const SyscallArgs& args) {
    return stat_syscall(fs::at_fdcwd, args.pointer<const char>(0), args.pointer<void>(1), at_symlink_nofollow);
}
int64_t sys_newfstatat(const SyscallArgs& args) {
    return stat_syscall(args.integer(0), args.pointer<const char>(1), args.pointer<void>(2), args[3]);
}

int64_t sys_statx(const SyscallArgs& args) {
    constexpr uint64_t at_statx_sync_type = 0x6000;
    uint64_t flags = args[2];
    if (flags & ~(at_symlink_nofollow | at_empty_path | at_no_automount | at_statx_sync_type))
        return failure(Errno::einval);
    PathArgument path(args.pointer<const char>(1));
    if (path.error) return path.error;
    int32_t dirfd = args.integer(0);
    auto attributes = attributes_at(dirfd, path.text(), flags);
    if (!attributes.ok()) return failure(attributes.error_code());
    return write_statx(args.pointer<void>(4), attributes.value(), static_cast<uint32_t>(args[3]));
}

namespace {

int64_t access_syscall(int32_t dirfd, const char* app_path, uint64_t mode, uint64_t flags) {
    if (mode & ~uint64_t{7}) return failure(Errno::einval);
    if (flags & ~(at_symlink_nofollow | at_eaccess | at_empty_path)) return failure(Errno::einval);
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto attributes = attributes_at(dirfd, path.text(), flags);
    if (!attributes.ok()) return failure(attributes.error_code());
    return result_of(check_access(attributes.value(), static_cast<uint32_t>(mode)));
}

}  // namespace

int64_t sys_access(const SyscallArgs& args) {
    return access_syscall(fs::at_fdcwd, args.pointer<const char>(0), args[1], 0);
}
int64_t sys_faccessat(const SyscallArgs& args) {
    return access_syscall(args.integer(0), args.pointer<const char>(1), args[2], 0);
}
int64_t sys_faccessat2(const SyscallArgs& args) {
    return access_syscall(args.integer(0), args.pointer<const char>(1), args[2], args[3]);
}

// ---- the tree -----------------------------------------------------------------------

namespace {

int64_t make_directory(int32_t dirfd, const char* app_path, uint32_t mode) {
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto parent = resolve_parent(dirfd, path.text());
    if (!parent.ok()) return failure(parent.error_code());
    Name last = parent.value().last;
    if (last.length == 0 || is_dot(last) || is_dot_dot(last)) return failure(Errno::eexist);
    uint32_t permissions = mode & ~fs::umask() & fs::mode_permission_mask;
    return status_of(parent.value().parent.node()->make_directory(last, permissions));
}

int64_t remove(int32_t dirfd, const char* app_path, bool directory) {
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto parent = resolve_parent(dirfd, path.text());
    if (!parent.ok()) return failure(parent.error_code());
    Name last = parent.value().last;
    Node& where = *parent.value().parent.node();
    if (directory) {
        if (last.length == 0) return failure(Errno::ebusy);
        if (is_dot(last)) return failure(Errno::einval);
        if (is_dot_dot(last)) return failure(Errno::enotempty);
        auto child = where.lookup(last);
        if (child.ok() && fs::mounted_on(*child.value())) return failure(Errno::ebusy);
        return result_of(where.remove_directory(last));
    }
    if (last.length == 0 || is_dot(last) || is_dot_dot(last)) return failure(Errno::eisdir);
    if (parent.value().trailing_slash) {
        // "file/" names a directory or nothing: unlink says ENOTDIR or EISDIR.
        auto child = where.lookup(last);
        if (!child.ok()) return failure(child.error_code());
        return failure(child.value()->is_directory() ? Errno::eisdir : Errno::enotdir);
    }
    return result_of(where.unlink(last));
}

int64_t rename_paths(int32_t old_dirfd, const char* app_old, int32_t new_dirfd, const char* app_new, uint64_t flags) {
    if (flags & ~uint64_t{fs::rename_noreplace | fs::rename_exchange}) return failure(Errno::einval);
    if ((flags & fs::rename_noreplace) && (flags & fs::rename_exchange)) return failure(Errno::einval);
    PathArgument old_path(app_old);
    if (old_path.error) return old_path.error;
    PathArgument new_path(app_new);
    if (new_path.error) return new_path.error;
    auto from = resolve_parent(old_dirfd, old_path.text());
    if (!from.ok()) return failure(from.error_code());
    auto to = resolve_parent(new_dirfd, new_path.text());
    if (!to.ok()) return failure(to.error_code());
    Name old_last = from.value().last, new_last = to.value().last;
    if (old_last.length == 0 || is_dot(old_last) || is_dot_dot(old_last)) return failure(Errno::ebusy);
    if (new_last.length == 0 || is_dot(new_last) || is_dot_dot(new_last)) return failure(Errno::ebusy);
    Node& old_parent = *from.value().parent.node();
    Node& new_parent = *to.value().parent.node();
    if (old_parent.file_system() != new_parent.file_system()) return failure(Errno::exdev);
    auto source = old_parent.lookup(old_last);
    if (!source.ok()) return failure(source.error_code());
    if (fs::mounted_on(*source.value())) return failure(Errno::ebusy);
    if ((from.value().trailing_slash || to.value().trailing_slash) && !source.value()->is_directory())
        return failure(Errno::enotdir);
    return result_of(old_parent.rename(old_last, new_parent, new_last, static_cast<uint32_t>(flags)));
}

int64_t link_paths(int32_t old_dirfd, const char* app_old, int32_t new_dirfd, const char* app_new, uint64_t flags) {
    if (flags & ~(at_symlink_follow | at_empty_path)) return failure(Errno::einval);
    PathArgument old_path(app_old);
    if (old_path.error) return old_path.error;
    PathArgument new_path(app_new);
    if (new_path.error) return new_path.error;
    auto target = resolve(
        old_dirfd, old_path.text(),
        ((flags & at_symlink_follow) ? fs::walk_follow : 0) | ((flags & at_empty_path) ? fs::walk_empty_ok : 0));
    if (!target.ok()) return failure(target.error_code());
    Node& node = *target.value().node();
    if (node.is_directory()) return failure(Errno::eperm);
    auto parent = resolve_parent(new_dirfd, new_path.text());
    if (!parent.ok()) return failure(parent.error_code());
    Name last = parent.value().last;
    if (last.length == 0 || is_dot(last) || is_dot_dot(last)) return failure(Errno::eexist);
    Node& where = *parent.value().parent.node();
    if (where.file_system() != node.file_system()) return failure(Errno::exdev);
    return result_of(where.link(last, node));
}

int64_t make_symlink(const char* app_target, int32_t dirfd, const char* app_path) {
    PathArgument target(app_target);
    if (target.error) return target.error;
    if (!target.text()[0]) return failure(Errno::enoent);
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto parent = resolve_parent(dirfd, path.text());
    if (!parent.ok()) return failure(parent.error_code());
    Name last = parent.value().last;
    if (last.length == 0 || is_dot(last) || is_dot_dot(last)) return failure(Errno::eexist);
    Name text{target.text(), static_cast<uint32_t>(strlen(target.text()))};
    return status_of(parent.value().parent.node()->make_symlink(last, text));
}

int64_t read_link(int32_t dirfd, const char* app_path, char* app_buffer, int64_t size) {
    if (size <= 0) return failure(Errno::einval);
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto location = resolve(dirfd, path.text(), fs::walk_empty_ok);
    if (!location.ok()) return failure(location.error_code());
    Node& node = *location.value().node();
    if (node.type() != fs::NodeType::symlink) return failure(path.text()[0] ? Errno::einval : Errno::enoent);
    auto* text = static_cast<char*>(mm::allocate(fs::path_max));
    if (!text) return failure(Errno::enomem);
    auto length = node.read_link(text, fs::path_max);
    int64_t result;
    if (!length.ok()) {
        result = failure(length.error_code());
    } else {
        uint64_t count = min(length.value(), static_cast<uint64_t>(size));
        // readlink does not NUL-terminate.
        result = copy_to_app(app_buffer, text, count) ? static_cast<int64_t>(count) : failure(Errno::efault);
    }
    mm::free(text);
    return result;
}

}  // namespace

int64_t sys_mkdir(const SyscallArgs& args) {
    return make_directory(fs::at_fdcwd, args.pointer<const char>(0), static_cast<uint32_t>(args[1]));
}
int64_t sys_mkdirat(const SyscallArgs& args) {
    return make_directory(args.integer(0), args.pointer<const char>(1), static_cast<uint32_t>(args[2]));
}
int64_t sys_rmdir(const SyscallArgs& args) { return remove(fs::at_fdcwd, args.pointer<const char>(0), true); }
int64_t sys_unlink(const SyscallArgs& args) { return remove(fs::at_fdcwd, args.pointer<const char>(0), false); }
int64_t sys_unlinkat(const SyscallArgs& args) {
    if (args[2] & ~at_removedir) return failure(Errno::einval);
    return remove(args.integer(0), args.pointer<const char>(1), args[2] & at_removedir);
}
int64_t sys_rename(const SyscallArgs& args) {
    return rename_paths(fs::at_fdcwd, args.pointer<const char>(0), fs::at_fdcwd, args.pointer<const char>(1), 0);
}
int64_t sys_renameat(const SyscallArgs& args) {
    return rename_paths(args.integer(0), args.pointer<const char>(1), args.integer(2), args.pointer<const char>(3), 0);
}
int64_t sys_renameat2(const SyscallArgs& args) {
    return rename_paths(args.integer(0), args.pointer<const char>(1), args.integer(2), args.pointer<const char>(3),
                        args[4]);
}
int64_t sys_link(const SyscallArgs& args) {
    return link_paths(fs::at_fdcwd, args.pointer<const char>(0), fs::at_fdcwd, args.pointer<const char>(1), 0);
}
int64_t sys_linkat(const SyscallArgs& args) {
    return link_paths(args.integer(0), args.pointer<const char>(1), args.integer(2), args.pointer<const char>(3),
                      args[4]);
}
int64_t sys_symlink(const SyscallArgs& args) {
    return make_symlink(args.pointer<const char>(0), fs::at_fdcwd, args.pointer<const char>(1));
}
int64_t sys_symlinkat(const SyscallArgs& args) {
    return make_symlink(args.pointer<const char>(0), args.integer(1), args.pointer<const char>(2));
}
int64_t sys_readlink(const SyscallArgs& args) {
    return read_link(fs::at_fdcwd, args.pointer<const char>(0), args.pointer<char>(1), static_cast<int64_t>(args[2]));
}
int64_t sys_readlinkat(const SyscallArgs& args) {
    return read_link(args.integer(0), args.pointer<const char>(1), args.pointer<char>(2),
                     static_cast<int64_t>(args[3]));
}

int64_t sys_mknodat(const SyscallArgs& args) {
    uint32_t mode = static_cast<uint32_t>(args[2]);
    uint32_t type = mode & fs::mode_type_mask;
    if (type != 0 && type != fs::mode_regular) {
        log::info("mknod of a device, FIFO or socket is not supported (EPERM)");
        return failure(Errno::eperm);
    }
    PathArgument path(args.pointer<const char>(1));
    if (path.error) return path.error;
    auto parent = resolve_parent(args.integer(0), path.text());
    if (!parent.ok()) return failure(parent.error_code());
    Name last = parent.value().last;
    if (last.length == 0 || is_dot(last) || is_dot_dot(last)) return failure(Errno::eexist);
    uint32_t permissions = mode & ~fs::umask() & fs::mode_permission_mask;
    return status_of(parent.value().parent.node()->create(last, permissions));
}
int64_t sys_mknod(const SyscallArgs& args) {
    SyscallArgs at{{static_cast<uint64_t>(fs::at_fdcwd), args[0], args[1], args[2], 0, 0}};
    return sys_mknodat(at);
}

// ---- the working directory and umask -------------------------------------------------

int64_t sys_chdir(const SyscallArgs& args) {
    PathArgument path(args.pointer<const char>(0));
    if (path.error) return path.error;
    auto location = resolve(fs::at_fdcwd, path.text(), fs::walk_follow | fs::walk_directory);
    if (!location.ok()) return failure(location.error_code());
    auto allowed = check_access(location.value().node()->attributes(), 1);
    if (!allowed.ok()) return failure(allowed.error_code());
    fs::set_working_directory(location.value());
    return 0;
}

int64_t sys_getcwd(const SyscallArgs& args) {
    Location cwd = fs::working_directory();
    auto* text = static_cast<char*>(mm::allocate(fs::path_max));
    if (!text) return failure(Errno::enomem);
    uint64_t length = 0;
    bool fits = cwd.path(text, fs::path_max - 1, length);
    int64_t result;
    if (!fits) {
        result = failure(Errno::enametoolong);
    } else if (length + 1 > args[1]) {
        result = failure(Errno::erange);
    } else {
        text[length] = 0;
        result = copy_to_app(args.pointer<char>(0), text, length + 1) ? static_cast<int64_t>(length + 1)
                                                                      : failure(Errno::efault);
    }
    mm::free(text);
    return result;
}

int64_t sys_umask(const SyscallArgs& args) { return fs::set_umask(static_cast<uint32_t>(args[0])); }

// ---- metadata ---------------------------------------------------------------------------

namespace {

int64_t change_mode(int32_t dirfd, const char* app_path, uint32_t mode, uint64_t flags) {
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto location = resolve(dirfd, path.text(), walk_flags_of(flags));
    if (!location.ok()) return failure(location.error_code());
    Node& node = *location.value().node();
    if (node.type() == fs::NodeType::symlink) return failure(Errno::eopnotsupp);
    return result_of(node.set_mode(mode & fs::mode_permission_mask));
}

int64_t change_owner(int32_t dirfd, const char* app_path, uint32_t uid, uint32_t gid, uint64_t flags) {
    if (flags & ~(at_symlink_nofollow | at_empty_path)) return failure(Errno::einval);
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto location = resolve(dirfd, path.text(), walk_flags_of(flags));
    if (!location.ok()) return failure(location.error_code());
    return result_of(location.value().node()->set_owner(uid, gid));
}

struct KernelTimespec {
    int64_t seconds, nanoseconds;
};
constexpr int64_t utime_now = (1l << 30) - 1, utime_omit = (1l << 30) - 2;

fs::Timestamp now() {
    uint64_t ns = clock::realtime_ns();
    return fs::Timestamp{static_cast<int64_t>(ns / 1000000000), static_cast<int64_t>(ns % 1000000000)};
}

// Applies utimensat's two times (nullptr: both now) to the node.
int64_t set_times(Node& node, const KernelTimespec* times) {
    fs::Timestamp values[2];
    const fs::Timestamp* pointers[2];
    for (int i = 0; i < 2; ++i) {
        if (!times || times[i].nanoseconds == utime_now) {
            values[i] = now();
        } else if (times[i].nanoseconds == utime_omit) {
            pointers[i] = nullptr;
            continue;
        } else {
            if (times[i].nanoseconds < 0 || times[i].nanoseconds > 999999999) return failure(Errno::einval);
            values[i] = fs::Timestamp{times[i].seconds, times[i].nanoseconds};
        }
        pointers[i] = &values[i];
    }
    if (!pointers[0] && !pointers[1]) return 0;
    return result_of(node.set_times(pointers[0], pointers[1]));
}

int64_t times_at(int32_t dirfd, const char* app_path, const KernelTimespec* times, uint64_t flags) {
    if (flags & ~(at_symlink_nofollow | at_empty_path)) return failure(Errno::einval);
    if (!app_path) {  // futimens: the descriptor itself
        auto file = fs::file_of(dirfd);
        if (!file.ok()) return failure(file.error_code());
        Node* node = file.value()->node();
        if (!node) return failure(Errno::eperm);
        return set_times(*node, times);
    }
    PathArgument path(app_path);
    if (path.error) return path.error;
    auto location = resolve(dirfd, path.text(), walk_flags_of(flags));
    if (!location.ok()) return failure(location.error_code());
    return set_times(*location.value().node(), times);
}

}  // namespace

int64_t sys_chmod(const SyscallArgs& args) {
    return change_mode(fs::at_fdcwd, args.pointer<const char>(0), static_cast<uint32_t>(args[1]), 0);
}
int64_t sys_fchmodat(const SyscallArgs& args) {
    return change_mode(args.integer(0), args.pointer<const char>(1), static_cast<uint32_t>(args[2]), 0);
}
int64_t sys_chown(const SyscallArgs& args) {
    return change_owner(fs::at_fdcwd, args.pointer<const char>(0), static_cast<uint32_t>(args[1]),
                        static_cast<uint32_t>(args[2]), 0);
}
int64_t sys_lchown(const SyscallArgs& args) {
    return change_owner(fs::at_fdcwd, args.pointer<const char>(0), static_cast<uint32_t>(args[1]),
                        static_cast<uint32_t>(args[2]), at_symlink_nofollow);
}
int64_t sys_fchownat(const SyscallArgs& args) {
    return change_owner(args.integer(0), args.pointer<const char>(1), static_cast<uint32_t>(args[2]),
                        static_cast<uint32_t>(args[3]), args[4]);
}

int64_t sys_utimensat(const SyscallArgs& args) {
    KernelTimespec times[2];
    const KernelTimespec* pointer = nullptr;
    if (args[2]) {
        if (!read_app(times, args.pointer<void>(2))) return failure(Errno::efault);
        pointer = times;
    }
    return times_at(args.integer(0), args.pointer<const char>(1), pointer, args[3]);
}

int64_t sys_futimesat(const SyscallArgs& args) {
    struct Timeval {
        int64_t seconds, microseconds;
    } values[2];
    KernelTimespec times[2];
    const KernelTimespec* pointer = nullptr;
    if (args[2]) {
        if (!read_app(values, args.pointer<void>(2))) return failure(Errno::efault);
        for (int i = 0; i < 2; ++i) {
            if (values[i].microseconds < 0 || values[i].microseconds >= 1000000) return failure(Errno::einval);
            times[i] = KernelTimespec{values[i].seconds, values[i].microseconds * 1000};
        }
        pointer = times;
    }
    if (!args[1]) return failure(Errno::efault);
    return times_at(args.integer(0), args.pointer<const char>(1), pointer, 0);
}

int64_t sys_utimes(const SyscallArgs& args) {
    SyscallArgs at{{static_cast<uint64_t>(fs::at_fdcwd), args[0], args[1], 0, 0, 0}};
    return sys_futimesat(at);
}

int64_t sys_truncate(const SyscallArgs& args) {
    auto length = static_cast<int64_t>(args[1]);
    if (length < 0) return failure(Errno::einval);
    PathArgument path(args.pointer<const char>(0));
    if (path.error) return path.error;
    auto location = resolve(fs::at_fdcwd, path.text(), fs::walk_follow);
    if (!location.ok()) return failure(location.error_code());
    Node& node = *location.value().node();
    if (node.is_directory()) return failure(Errno::eisdir);
    if (node.type() != fs::NodeType::regular) return failure(Errno::einval);
    auto allowed = check_access(node.attributes(), 2);
    if (!allowed.ok()) return failure(allowed.error_code());
    return result_of(node.truncate(static_cast<uint64_t>(length)));
}

int64_t sys_statfs(const SyscallArgs& args) {
    PathArgument path(args.pointer<const char>(0));
    if (path.error) return path.error;
    auto location = resolve(fs::at_fdcwd, path.text(), fs::walk_follow);
    if (!location.ok()) return failure(location.error_code());
    auto statistics = location.value().node()->statistics();
    if (!statistics.ok()) return failure(statistics.error_code());
    return write_statfs(args.pointer<void>(1), statistics.value());
}

// ---- shared with files.cpp ------------------------------------------------------------

int64_t write_stat(void* app_out, const fs::Attributes& a) {
    struct Stat {
        uint64_t dev, ino, nlink;
        uint32_t mode, uid, gid, pad0;
        uint64_t rdev;
        int64_t size, blksize, blocks;
        int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
        int64_t unused[3];
    } s{};
    static_assert(sizeof(Stat) == 144);
    s.dev = a.device;
    s.ino = a.inode;
    s.nlink = a.link_count;
    s.mode = a.mode;
    s.uid = a.uid;
    s.gid = a.gid;
    s.rdev = a.rdev;
    s.size = a.size;
    s.blksize = a.block_size;
    s.blocks = a.blocks;
    s.atime = a.access.seconds;
    s.atime_ns = a.access.nanoseconds;
    s.mtime = a.modify.seconds;
    s.mtime_ns = a.modify.nanoseconds;
    s.ctime = a.change.seconds;
    s.ctime_ns = a.change.nanoseconds;
    return write_app(app_out, s) ? 0 : failure(Errno::efault);
}

int64_t write_statx(void* app_out, const fs::Attributes& a, uint32_t) {
    struct StatxTimestamp {
        int64_t seconds;
        uint32_t nanoseconds;
        int32_t reserved;
    };
    struct Statx {
        uint32_t mask, blksize;
        uint64_t attributes;
        uint32_t nlink, uid, gid;
        uint16_t mode, pad1;
        uint64_t ino, size, blocks, attributes_mask;
        StatxTimestamp atime, btime, ctime, mtime;
        uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
        uint64_t mnt_id;
        uint32_t dio_mem_align, dio_offset_align;
        uint64_t spare[12];
    } s{};
    static_assert(sizeof(Statx) == 256);
    constexpr uint32_t statx_basic_stats = 0x7ff, statx_mnt_id = 0x1000;
    s.mask = statx_basic_stats | statx_mnt_id;  // no birth time
    s.blksize = static_cast<uint32_t>(a.block_size);
    s.nlink = a.link_count;
    s.uid = a.uid;
    s.gid = a.gid;
    s.mode = static_cast<uint16_t>(a.mode);
    s.ino = a.inode;
    s.size = static_cast<uint64_t>(a.size);
    s.blocks = static_cast<uint64_t>(a.blocks);
    s.atime = StatxTimestamp{a.access.seconds, static_cast<uint32_t>(a.access.nanoseconds), 0};
    s.ctime = StatxTimestamp{a.change.seconds, static_cast<uint32_t>(a.change.nanoseconds), 0};
    s.mtime = StatxTimestamp{a.modify.seconds, static_cast<uint32_t>(a.modify.nanoseconds), 0};
    // Linux's device-number encoding (new_encode_dev's inverse as glibc's major/minor).
    auto major = [](uint64_t dev) { return static_cast<uint32_t>(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffu)); };
    auto minor = [](uint64_t dev) { return static_cast<uint32_t>((dev & 0xff) | ((dev >> 12) & ~0xffu)); };
    s.rdev_major = major(a.rdev);
    s.rdev_minor = minor(a.rdev);
    s.dev_major = major(a.device);
    s.dev_minor = minor(a.device);
    s.mnt_id = 1;
    return write_app(app_out, s) ? 0 : failure(Errno::efault);
}

int64_t write_statfs(void* app_out, const fs::FileSystemStatistics& statistics) {
    struct Statfs {
        int64_t type, bsize, blocks, bfree, bavail, files, ffree;
        int32_t fsid[2];
        int64_t namelen, frsize, flags, spare[4];
    } s{};
    static_assert(sizeof(Statfs) == 120);
    s.type = statistics.type;
    s.bsize = statistics.block_size;
    s.blocks = statistics.blocks;
    s.bfree = statistics.blocks_free;
    s.bavail = statistics.blocks_available;
    s.files = statistics.files;
    s.ffree = statistics.files_free;
    s.namelen = statistics.name_max;
    s.frsize = statistics.block_size;
    s.flags = statistics.flags;
    return write_app(app_out, s) ? 0 : failure(Errno::efault);
}

Result<void> check_access(const fs::Attributes& a, uint32_t access) {
    if (process_is_privileged()) {
        // Root may read and write anything, and execute what anyone may execute.
        if ((access & 1) && !(a.mode & 0111) && (a.mode & fs::mode_type_mask) != fs::mode_directory)
            return error(Errno::eacces);
        return {};
    }
    uint32_t bits;
    if (a.uid == process_user_id())
        bits = (a.mode >> 6) & 7;
    else if (a.gid == process_group_id())
        bits = (a.mode >> 3) & 7;
    else
        bits = a.mode & 7;
    return (access & ~bits) ? Result<void>(error(Errno::eacces)) : Result<void>();
}

}  // namespace eremite::linux
