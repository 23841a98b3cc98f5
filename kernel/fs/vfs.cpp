#include "fs/vfs.hpp"

#include "lib/string.hpp"
#include "mm/memory.hpp"
#include "sync/spinlock.hpp"

namespace eremite::fs {
namespace {

constexpr int max_symlinks = 40;  // Linux's MAXSYMLINKS: ELOOP beyond it

Node* root_node = nullptr;

struct Mount {
    Node* mount_point;  // references held
    Node* root;
    char path[256];
    const char* type;
    bool read_only;
};
constexpr int max_mounts_total = 48;
Mount mounts[max_mounts_total];
int mount_count = 0;
SpinLock mounts_lock;

SpinLock state_lock;  // the working directory and the umask
Location* cwd = nullptr;
uint32_t current_umask = 022;

bool is_dot(Name name) { return name.length == 1 && name.text[0] == '.'; }
bool is_dot_dot(Name name) { return name.length == 2 && name.text[0] == '.' && name.text[1] == '.'; }

}  // namespace

void set_root(Node& root) {
    root.retain();
    root_node = &root;
}

Result<Location> root_location() {
    if (!root_node) return error(Errno::enoent);
    return Location::at_root(*root_node);
}

Result<void> mount(const char* path, Node& root, const char* type, bool read_only) {
    Location start = TRY(root_location());
    Location at = TRY(walk(start, path, walk_follow | walk_directory));
    uint64_t length = strlen(path);
    SpinGuard guard(mounts_lock);
    if (mount_count == max_mounts_total || length >= sizeof(Mount::path)) return error(Errno::enomem);
    if (mounted_on(*at.node())) return error(Errno::ebusy);
    Mount& m = mounts[mount_count];
    at.node()->retain();
    root.retain();
    m.mount_point = at.node();
    m.root = &root;
    memcpy(m.path, path, length + 1);
    m.type = type;
    m.read_only = read_only;
    __atomic_store_n(&mount_count, mount_count + 1, __ATOMIC_RELEASE);
    return {};
}

namespace {
bool (*magic_link_test)(Node&) = nullptr;
bool is_magic_link(Node& node) { return magic_link_test && magic_link_test(node); }
}  // namespace

void set_magic_link_test(bool (*is_magic)(Node& node)) { magic_link_test = is_magic; }

bool is_mount_root(Node& node) {
    int count = __atomic_load_n(&mount_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < count; ++i)
        if (mounts[i].root == &node) return true;
    return false;
}

Node* mounted_on(Node& node) {
    // Mounts are only added, and only at boot: a reader sees a prefix of the table.
    int count = __atomic_load_n(&mount_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < count; ++i)
        if (mounts[i].mount_point == &node) return mounts[i].root;
    return nullptr;
}

void for_each_mount(void (*visit)(const char*, const char*, bool, void*), void* context) {
    visit("/", "tmpfs", false, context);
    int count = __atomic_load_n(&mount_count, __ATOMIC_ACQUIRE);
    for (int i = 0; i < count; ++i) visit(mounts[i].path, mounts[i].type, mounts[i].read_only, context);
}

Location working_directory() {
    SpinGuard guard(state_lock);
    if (cwd) return *cwd;
    Location root;
    if (root_node) (void)root.enter(*root_node, Name{"", 0});
    return root;
}

void set_working_directory(const Location& location) {
    auto* copy = new Location(location);
    if (!copy || copy->depth() != location.depth()) {
        delete copy;
        return;
    }
    Location* old;
    {
        SpinGuard guard(state_lock);
        old = cwd;
        cwd = copy;
    }
    delete old;
}

uint32_t umask() { return __atomic_load_n(&current_umask, __ATOMIC_RELAXED); }
uint32_t set_umask(uint32_t mask) { return __atomic_exchange_n(&current_umask, mask & 0777, __ATOMIC_RELAXED); }

Result<Location> start_for(int32_t dirfd, const char* path) {
    if (path[0] == '/') return root_location();
    if (dirfd == at_fdcwd) {
        Location location = working_directory();
        if (!location.depth()) return error(Errno::enomem);
        return location;
    }
    Ref<File> file = TRY(file_of(dirfd));
    const Location* location = file->location();
    if (!location) return error(path[0] ? Errno::enotdir : Errno::ebadf);
    if (path[0] && !location->node()->is_directory()) return error(Errno::enotdir);
    Location copy(*location);
    if (!copy.depth()) return error(Errno::enomem);
    return copy;
}

Result<Location> walk(const Location& start, const char* path, uint32_t flags) {
    if (!path[0]) {
        if (!(flags & walk_empty_ok)) return error(Errno::enoent);
        Location copy(start);
        if (!copy.depth()) return error(Errno::enomem);
        return copy;
    }
    // The path still to walk: `path` itself until a symlink's target replaces the link's
    // component in it; then a heap buffer of up to two paths' worth (allocated only when
    // a walk meets a symlink: most walks allocate nothing).
    uint64_t length = strlen(path);
    if (length >= path_max) return error(Errno::enametoolong);
    const char* pending = path;
    struct Buffers {
        char* spliced = nullptr;  // 2 * path_max
        char* target = nullptr;   // path_max
        ~Buffers() {
            mm::free(spliced);
            mm::free(target);
        }
    } buffers;

    // Where "/" and ".." stop: the root, or the start for RESOLVE_BENEATH/IN_ROOT.
    bool confined = flags & (walk_beneath | walk_in_root);
    uint32_t floor = confined ? start.depth() : 1;
    auto restart_at_root = [&](Location& at) -> Result<void> {
        if (flags & walk_beneath) return error(Errno::exdev);
        at = flags & walk_in_root ? Location(start) : TRY(root_location());
        if (!at.depth()) return error(Errno::enomem);
        return {};
    };
    Location at(start);
    if (!at.depth()) return error(Errno::enomem);
    if (path[0] == '/') TRY(restart_at_root(at));
    int links = 0;
    bool must_be_directory = flags & walk_directory;
    uint64_t cursor = 0;
    for (;;) {
        while (pending[cursor] == '/') ++cursor;
        if (!pending[cursor]) break;
        uint64_t end = cursor;
        while (pending[end] && pending[end] != '/') ++end;
        Name name{pending + cursor, static_cast<uint32_t>(end - cursor)};
        uint64_t rest = end;
        while (pending[rest] == '/') ++rest;
        bool last = !pending[rest];
        bool trailing_slash = last && rest != end;
        if (trailing_slash) must_be_directory = true;
        cursor = end;

        if (!at.node()->is_directory()) return error(Errno::enotdir);
        if (is_dot(name)) continue;
        if (is_dot_dot(name)) {
            if (at.depth() <= floor) {
                if (flags & walk_beneath) return error(Errno::exdev);
                continue;  // ".." of the root (or of RESOLVE_IN_ROOT's start) is itself
            }
            if ((flags & walk_no_xdev) && is_mount_root(*at.node())) return error(Errno::exdev);
            at.leave();
            continue;
        }
        if (name.length > name_max) return error(Errno::enametoolong);
        Ref<Node> child = TRY(at.node()->lookup(name));
        while (Node* mounted = mounted_on(*child)) {
            if (flags & walk_no_xdev) return error(Errno::exdev);
            child = Ref<Node>(mounted);
        }

        bool follow = !last || (flags & walk_follow) || trailing_slash;
        if (child->type() == NodeType::symlink && follow) {
            if (flags & walk_no_symlinks) return error(Errno::eloop);
            if ((flags & walk_no_magic_links) && is_magic_link(*child)) return error(Errno::eloop);
            if (++links > max_symlinks) return error(Errno::eloop);
            if (!buffers.spliced) {
                buffers.spliced = static_cast<char*>(mm::allocate(2 * path_max));
                buffers.target = static_cast<char*>(mm::allocate(path_max));
                if (!buffers.spliced || !buffers.target) return error(Errno::enomem);
            }
            uint64_t target_length = TRY(child->read_link(buffers.target, path_max));
            if (target_length == 0) return error(Errno::enoent);
            uint64_t rest_length = strlen(pending + end);
            if (target_length + rest_length + 1 >= 2 * path_max) return error(Errno::enametoolong);
            // The path becomes target + the rest (which starts with '/' or is empty).
            memmove(buffers.spliced + target_length, pending + end, rest_length + 1);
            memcpy(buffers.spliced, buffers.target, target_length);
            pending = buffers.spliced;
            cursor = 0;
            if (pending[0] == '/') TRY(restart_at_root(at));
            continue;
        }
        TRY(at.enter(*child, name));
    }
    if (must_be_directory && !at.node()->is_directory()) return error(Errno::enotdir);
    return at;
}

Result<ParentWalk> walk_parent(const Location& start, const char* path, uint32_t flags) {
    if (!path[0]) return error(Errno::enoent);
    uint64_t length = strlen(path);
    if (length >= path_max) return error(Errno::enametoolong);
    uint64_t end = length;
    while (end > 0 && path[end - 1] == '/') --end;
    bool trailing_slash = end != length;
    if (end == 0) {  // "/" or "///": the root itself, no last component
        if (flags & walk_beneath) return error(Errno::exdev);
        Location root = (flags & walk_in_root) ? Location(start) : TRY(root_location());
        if (!root.depth()) return error(Errno::enomem);
        return ParentWalk{static_cast<Location&&>(root), Name{path, 0}, trailing_slash};
    }
    uint64_t begin = end;
    while (begin > 0 && path[begin - 1] != '/') --begin;
    Name last{path + begin, static_cast<uint32_t>(end - begin)};

    auto* directory = static_cast<char*>(mm::allocate(begin + 1));
    if (!directory) return error(Errno::enomem);
    memcpy(directory, path, begin);
    directory[begin] = 0;
    auto parent = walk(start, directory, walk_follow | walk_directory | walk_empty_ok | flags);
    mm::free(directory);
    if (!parent.ok()) return Error{parent.error_code()};
    // After the directory part, as Linux: mkdir("missing/<256 bytes>") is ENOENT.
    if (last.length > name_max) return error(Errno::enametoolong);
    return ParentWalk{parent.release(), last, trailing_slash};
}

// ---- The file-descriptor table ----------------------------------------------------

namespace {

struct Descriptor {
    File* file;  // a reference held; nullptr when free
    bool close_on_exec;
};

SpinLock fd_lock;
Descriptor* descriptors = nullptr;
uint32_t descriptor_capacity = 0;
uint32_t fd_soft_limit = 1024;

bool grow_table(uint32_t needed) {
    if (needed <= descriptor_capacity) return true;
    uint32_t capacity = max<uint32_t>(64, descriptor_capacity * 2);
    while (capacity < needed) capacity *= 2;
    auto* table = static_cast<Descriptor*>(mm::allocate(capacity * sizeof(Descriptor)));
    if (!table) return false;
    memset(table, 0, capacity * sizeof(Descriptor));
    if (descriptor_capacity) memcpy(table, descriptors, descriptor_capacity * sizeof(Descriptor));
    mm::free(descriptors);
    descriptors = table;
    descriptor_capacity = capacity;
    return true;
}

}  // namespace

uint32_t fd_limit() { return __atomic_load_n(&fd_soft_limit, __ATOMIC_RELAXED); }
void set_fd_limit(uint32_t limit) { __atomic_store_n(&fd_soft_limit, limit, __ATOMIC_RELAXED); }

Result<int32_t> install_fd(Ref<File> file, bool close_on_exec, int32_t lowest) {
    SpinGuard guard(fd_lock);
    uint32_t limit = fd_limit();
    if (lowest < 0 || static_cast<uint32_t>(lowest) >= limit) return error(Errno::einval);
    for (uint32_t fd = static_cast<uint32_t>(lowest); fd < limit; ++fd) {
        if (fd >= descriptor_capacity && !grow_table(fd + 1)) return error(Errno::enomem);
        if (descriptors[fd].file) continue;
        file->retain();
        descriptors[fd] = Descriptor{file.get(), close_on_exec};
        return static_cast<int32_t>(fd);
    }
    return error(Errno::emfile);
}

Result<Ref<File>> file_of(int32_t fd) {
    SpinGuard guard(fd_lock);
    if (fd < 0 || static_cast<uint32_t>(fd) >= descriptor_capacity || !descriptors[fd].file) return error(Errno::ebadf);
    return Ref<File>(descriptors[fd].file);
}

Result<int32_t> install_fd_at(int32_t target, Ref<File> file, bool close_on_exec) {
    File* old = nullptr;
    {
        SpinGuard guard(fd_lock);
        if (target < 0 || static_cast<uint32_t>(target) >= fd_limit()) return error(Errno::ebadf);
        if (!grow_table(static_cast<uint32_t>(target) + 1)) return error(Errno::enomem);
        old = descriptors[target].file;
        file->retain();
        descriptors[target] = Descriptor{file.get(), close_on_exec};
    }
    if (old) old->release();  // outside the lock: the last reference may do real work
    return target;
}

Result<void> close_fd(int32_t fd) {
    File* old;
    {
        SpinGuard guard(fd_lock);
        if (fd < 0 || static_cast<uint32_t>(fd) >= descriptor_capacity || !descriptors[fd].file)
            return error(Errno::ebadf);
        old = descriptors[fd].file;
        descriptors[fd] = Descriptor{nullptr, false};
    }
    old->release();
    return {};
}

Result<bool> close_on_exec(int32_t fd) {
    SpinGuard guard(fd_lock);
    if (fd < 0 || static_cast<uint32_t>(fd) >= descriptor_capacity || !descriptors[fd].file) return error(Errno::ebadf);
    return descriptors[fd].close_on_exec;
}

Result<void> set_close_on_exec(int32_t fd, bool value) {
    SpinGuard guard(fd_lock);
    if (fd < 0 || static_cast<uint32_t>(fd) >= descriptor_capacity || !descriptors[fd].file) return error(Errno::ebadf);
    descriptors[fd].close_on_exec = value;
    return {};
}

void for_each_fd(void (*visit)(int32_t, File&, void*), void* context) {
    for (int32_t fd = 0;; ++fd) {
        Ref<File> file;
        {
            SpinGuard guard(fd_lock);
            if (static_cast<uint32_t>(fd) >= descriptor_capacity) return;
            file = Ref<File>(descriptors[fd].file);
        }
        if (file) visit(fd, *file, context);
    }
}

}  // namespace eremite::fs
