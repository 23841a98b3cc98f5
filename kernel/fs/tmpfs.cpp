// tmpfs: regular files, directories and symlinks that live in memory only.
//
// Files. A regular file's data is in 4 KiB pages from page_store, indexed by page number
// in a RadixTree. A page is allocated by the first write to it (or by fallocate); a page
// that is missing is a hole and reads as zeroes. Invariant: every byte of a page at or
// past the file's size is zero, so that growing the file (truncate up, a write past the
// end) shows only zeroes; truncate down frees the pages past the end and zeroes the tail
// of the last one. Reads and writes copy page by page straight between the page and the
// caller's IoBuffer.
//
// Directories. Entries are in a hash table by name (chained, doubling as it fills) and in
// a RadixTree by cookie: an entry takes its directory's next cookie when it is added and
// keeps it, so a listing that resumes at a cookie sees each entry that stayed all along
// exactly once, whatever else was added or removed meanwhile. Cookies 0 and 1 are "."
// and "..". A directory knows its parent without holding a reference (a linked
// directory's parent is not empty, so it cannot be freed); removing a directory clears
// that pointer.
//
// Ownership. Each entry holds a reference to its node, and so does each open file and
// each Ref the VFS keeps, so an unlinked file that is still open lives on until the last
// one goes. A node holds a reference to its file system object.
//
// Locking. Each node has a sleeping mutex, `lock_`, over its own fields. Locks are taken
// in this order, and every path that holds more than one directory lock, or that
// changes a directory's parent, holds the file system's `rename_lock` first (rename and
// rmdir), so the ancestry walks of rename see a tree that does not change under them:
//   1. the file system's rename_lock;
//   2. directories (two at most: rename's, by address);
//   3. the nodes named in them (a child after its directory; rename's two by address).
// A regular file or a symlink never takes another lock while holding its own. No lock
// is held while a reference that may be the last is dropped (the drop frees the node and
// its mutex). Everything here may sleep: the mutexes do, and so may copies to app memory.
#include "fs/tmpfs.hpp"

#include <new>

#include "fs/clock.hpp"
#include "fs/page_store.hpp"
#include "fs/radix_tree.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"

namespace eremite::fs {
namespace {

constexpr uint64_t max_file_size = 0x7fffffffffffffff;  // MAX_LFS_FILESIZE
// Linux's tmpfs counts a directory's st_size in these per entry, "." and ".." included.
constexpr int64_t directory_entry_size = 20;  // BOGO_DIRENT_SIZE
constexpr int64_t seconds_per_day = 24 * 60 * 60;
constexpr uint32_t mode_set_uid = 04000, mode_set_gid = 02000, mode_group_execute = 010;
constexpr uint32_t unchanged_id = ~0u;  // chown's -1

bool later_or_same(const Timestamp& a, const Timestamp& b) {
    return a.seconds > b.seconds || (a.seconds == b.seconds && a.nanoseconds >= b.nanoseconds);
}

// Takes two mutexes (either may be nullptr) in address order, so two threads that lock
// the same pair never wait for each other crosswise.
class [[nodiscard]] OrderedLocks {
public:
    OrderedLocks(Mutex* a, Mutex* b) {
        if (a == b) b = nullptr;
        if (a && b && reinterpret_cast<uintptr_t>(b) < reinterpret_cast<uintptr_t>(a)) {
            Mutex* swap = a;
            a = b;
            b = swap;
        }
        first_ = a;
        second_ = b;
        if (first_) first_->lock();
        if (second_) second_->lock();
    }
    ~OrderedLocks() {
        if (second_) second_->unlock();
        if (first_) first_->unlock();
    }
    OrderedLocks(const OrderedLocks&) = delete;
    OrderedLocks& operator=(const OrderedLocks&) = delete;

private:
    Mutex* first_;
    Mutex* second_;
};

class TmpfsFileSystem : public RefCounted {
public:
    uint64_t new_inode() { return __atomic_add_fetch(&last_inode_, 1, __ATOMIC_RELAXED); }
    void count_node(int64_t change) { __atomic_add_fetch(&nodes_, change, __ATOMIC_RELAXED); }
    int64_t nodes() const { return __atomic_load_n(&nodes_, __ATOMIC_RELAXED); }

    Mutex rename_lock;

private:
    uint64_t last_inode_ = 0;
    int64_t nodes_ = 0;
};

class TmpfsDirectory;

class TmpfsNode : public Node {
public:
    TmpfsNode(NodeType type, TmpfsFileSystem& file_system, uint32_t permissions)
        : Node(type),
          file_system_(&file_system),
          inode_(file_system.new_inode()),
          permissions_(permissions & mode_permission_mask) {
        access_ = modify_ = change_ = current_time();
        file_system.count_node(1);
    }
    ~TmpfsNode() override { file_system_->count_node(-1); }

    Attributes attributes() override {
        MutexGuard guard(lock_);
        Attributes attributes;
        attributes.inode = inode_;
        attributes.mode = mode_bits_of(type()) | permissions_;
        attributes.link_count = link_count_locked();
        attributes.uid = uid_;
        attributes.gid = gid_;
        attributes.block_size = page_size;
        attributes.access = access_;
        attributes.modify = modify_;
        attributes.change = change_;
        add_sizes_locked(attributes);
        return attributes;
    }

    Result<void> set_mode(uint32_t permissions) override {
        MutexGuard guard(lock_);
        permissions_ = permissions & mode_permission_mask;
        change_ = current_time();
        return {};
    }

    Result<void> set_owner(uint32_t uid, uint32_t gid) override {
        MutexGuard guard(lock_);
        if (uid != unchanged_id) uid_ = uid;
        if (gid != unchanged_id) gid_ = gid;
        // chown clears set-user-ID, and set-group-ID where it means "run as that group",
        // on everything but directories, even for root (chown(2), Linux since 2.2.13).
        if (!is_directory()) {
            permissions_ &= ~mode_set_uid;
            if (permissions_ & mode_group_execute) permissions_ &= ~mode_set_gid;
        }
        change_ = current_time();
        return {};
    }

    Result<void> set_times(const Timestamp* access, const Timestamp* modify) override {
        MutexGuard guard(lock_);
        if (access) access_ = *access;
        if (modify) modify_ = *modify;
        change_ = current_time();
        return {};
    }

    Result<FileSystemStatistics> statistics() override {
        page_store::Usage usage = page_store::usage();
        FileSystemStatistics statistics;
        statistics.type = tmpfs_magic;
        statistics.block_size = page_size;
        statistics.blocks = static_cast<int64_t>(usage.total_pages);
        statistics.blocks_free = statistics.blocks_available = static_cast<int64_t>(usage.free_pages);
        // Linux's default inode limit is half the pages of RAM; this tmpfs has none of its
        // own, so it reports that figure.
        statistics.files = static_cast<int64_t>(usage.total_pages / 2);
        statistics.files_free = max<int64_t>(statistics.files - file_system_->nodes(), 0);
        statistics.name_max = name_max;
        return statistics;
    }

    const void* file_system() const override { return file_system_.get(); }

protected:
    friend class TmpfsDirectory;

    virtual uint32_t link_count_locked() const { return link_count_; }
    virtual void add_sizes_locked(Attributes&) const {}

    // After a read: relatime, Linux's default, updates the access time only when it is
    // not newer than the last modification or change, or is a day old.
    void touch_access_locked() {
        Timestamp now = current_time();
        if (later_or_same(modify_, access_) || later_or_same(change_, access_) ||
            now.seconds - access_.seconds >= seconds_per_day)
            access_ = now;
    }
    void touch_modify_locked() { modify_ = change_ = current_time(); }

    Ref<TmpfsFileSystem> file_system_;
    const uint64_t inode_;
    Mutex lock_;
    uint32_t permissions_;
    uint32_t uid_ = 0;
    uint32_t gid_ = 0;
    uint32_t link_count_ = 1;  // of a file or symlink: its names
    Timestamp access_, modify_, change_;
};

class TmpfsFile final : public TmpfsNode {
public:
    TmpfsFile(TmpfsFileSystem& file_system, uint32_t permissions)
        : TmpfsNode(NodeType::regular, file_system, permissions) {}
    ~TmpfsFile() override { free_pages_from(0); }

    Result<uint64_t> read(uint64_t offset, const IoBuffer& buffer, uint64_t length) override {
        MutexGuard guard(lock_);
        touch_access_locked();
        if (offset >= size_ || length == 0) return uint64_t{0};
        length = min(length, size_ - offset);
        uint64_t done = 0;
        while (done < length) {
            uint64_t position = offset + done;
            uint64_t in_page = position % page_size;
            uint64_t chunk = min(page_size - in_page, length - done);
            auto* page = static_cast<const uint8_t*>(pages_.get(position / page_size));
            bool copied = page ? buffer.fill(done, page + in_page, chunk) : buffer.fill_zero(done, chunk);
            if (!copied) {
                if (done) break;  // a short read, as Linux returns
                return error(Errno::efault);
            }
            done += chunk;
        }
        return done;
    }

    Result<uint64_t> write(uint64_t offset, const IoBuffer& buffer, uint64_t length) override {
        MutexGuard guard(lock_);
        return write_locked(offset, buffer, length);
    }

    Result<uint64_t> append(const IoBuffer& buffer, uint64_t length, uint64_t& new_end) override {
        MutexGuard guard(lock_);
        uint64_t offset = size_;
        uint64_t done = TRY(write_locked(offset, buffer, length));
        new_end = offset + done;
        return done;
    }

    Result<void> truncate(uint64_t size) override {
        if (size > max_file_size) return error(Errno::efbig);
        MutexGuard guard(lock_);
        if (size < size_) {
            free_pages_from(align_up(size, page_size) / page_size);
            uint64_t in_page = size % page_size;
            if (in_page)
                if (auto* page = static_cast<uint8_t*>(pages_.get(size / page_size)))
                    memset(page + in_page, 0, page_size - in_page);
        }
        size_ = size;
        // ftruncate and O_TRUNC change both times even when the size stays (Linux does).
        touch_modify_locked();
        return {};
    }

    // fallocate mode 0: every page of the range is allocated and the size grows to its
    // end. On failure the pages this call allocated are freed again, as shmem does.
    Result<void> allocate(uint64_t offset, uint64_t length) override {
        if (length == 0) return error(Errno::einval);
        uint64_t end;
        if (!checked_add(offset, length, end) || end > max_file_size) return error(Errno::efbig);
        MutexGuard guard(lock_);
        uint64_t first = offset / page_size, last = (end - 1) / page_size;
        // Refuses at once what cannot fit even if all the file's pages were in the range,
        // rather than take all memory from everyone else and give it back.
        uint64_t span = last - first + 1;
        if (span > pages_.size() && span - pages_.size() > page_store::usage().free_pages) return error(Errno::enospc);

        // Pages new to this call are tagged in the tree's low bit until it is done; no
        // reader sees them meanwhile, as all hold the lock.
        constexpr uintptr_t fresh = 1;
        Errno failure = Errno::none;
        uint64_t index = first;
        for (; index <= last; ++index) {
            if (pages_.get(index)) continue;
            void* page = page_store::allocate();
            if (!page) {
                failure = Errno::enospc;
                break;
            }
            memset(page, 0, page_size);
            if (!pages_.set(index, reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(page) | fresh))) {
                page_store::free(page);
                failure = Errno::enomem;
                break;
            }
        }
        for (uint64_t i = first; i < index; ++i) {
            auto tagged = reinterpret_cast<uintptr_t>(pages_.get(i));
            if (!(tagged & fresh)) continue;
            void* page = reinterpret_cast<void*>(tagged & ~fresh);
            if (failure == Errno::none) {
                pages_.replace(i, page);
            } else {
                pages_.remove(i);
                page_store::free(page);
            }
        }
        if (failure != Errno::none) return error(failure);
        if (end > size_) size_ = end;
        touch_modify_locked();
        return {};
    }

private:
    void add_sizes_locked(Attributes& attributes) const override {
        attributes.size = static_cast<int64_t>(size_);
        attributes.blocks = static_cast<int64_t>(pages_.size() * (page_size / 512));
    }

    Result<uint64_t> write_locked(uint64_t offset, const IoBuffer& buffer, uint64_t length) {
        if (length == 0) return uint64_t{0};
        if (offset >= max_file_size) return error(Errno::efbig);
        length = min(length, max_file_size - offset);
        uint64_t done = 0;
        Errno failure = Errno::none;
        while (done < length) {
            uint64_t position = offset + done;
            uint64_t index = position / page_size;
            uint64_t in_page = position % page_size;
            uint64_t chunk = min(page_size - in_page, length - done);
            auto* page = static_cast<uint8_t*>(pages_.get(index));
            bool fresh = !page;
            if (fresh) {
                page = static_cast<uint8_t*>(page_store::allocate());
                if (!page) {
                    failure = Errno::enospc;
                    break;
                }
                if (!pages_.set(index, page)) {
                    page_store::free(page);
                    failure = Errno::enomem;
                    break;
                }
                // Zeroes only what this write leaves of the page.
                if (in_page) memset(page, 0, in_page);
                if (in_page + chunk < page_size) memset(page + in_page + chunk, 0, page_size - in_page - chunk);
            }
            if (!buffer.drain(page + in_page, done, chunk)) {
                if (fresh) {
                    pages_.remove(index);
                    page_store::free(page);
                } else if (position + chunk > size_) {
                    // Part of the copy may have landed past the end: zero again.
                    uint64_t keep = size_ > position ? size_ - position : 0;
                    memset(page + in_page + keep, 0, chunk - keep);
                }
                failure = Errno::efault;
                break;
            }
            done += chunk;
            if (position + chunk > size_) size_ = position + chunk;
        }
        if (done == 0) return error(failure);
        touch_modify_locked();
        return done;
    }

    void free_pages_from(uint64_t first) {
        uint64_t index;
        while (void* page = pages_.next(first, index)) {
            pages_.remove(index);
            page_store::free(page);
            first = index + 1;
        }
    }

    RadixTree pages_;
    uint64_t size_ = 0;
};

class TmpfsSymlink final : public TmpfsNode {
public:
    // Takes over `target`, a kernel-heap copy of the target text.
    TmpfsSymlink(TmpfsFileSystem& file_system, char* target, uint32_t length)
        : TmpfsNode(NodeType::symlink, file_system, 0777), target_(target), length_(length) {}
    ~TmpfsSymlink() override { mm::free(target_); }

    Result<uint64_t> read_link(char* buffer, uint64_t capacity) override {
        {
            MutexGuard guard(lock_);
            touch_access_locked();
        }
        uint64_t length = min<uint64_t>(length_, capacity);
        memcpy(buffer, target_, length);  // immutable: no lock needed
        return length;
    }

    // A symlink's own permissions are always 0777 (fchmodat AT_SYMLINK_NOFOLLOW).
    Result<void> set_mode(uint32_t) override { return error(Errno::eopnotsupp); }

private:
    void add_sizes_locked(Attributes& attributes) const override { attributes.size = length_; }

    char* target_;
    uint32_t length_;
};

// A socket node: a name that AF_UNIX sockets bind and connect to, with no data.
class TmpfsSocketNode final : public TmpfsNode {
public:
    TmpfsSocketNode(TmpfsFileSystem& file_system, uint32_t permissions)
        : TmpfsNode(NodeType::socket, file_system, permissions) {}
};

class TmpfsDirectory final : public TmpfsNode {
public:
    TmpfsDirectory(TmpfsFileSystem& file_system, uint32_t permissions, TmpfsDirectory* parent)
        : TmpfsNode(NodeType::directory, file_system, permissions), parent_(parent), is_root_(!parent) {}

    ~TmpfsDirectory() override {
        // Only a whole tree's last reference ends here with entries left (rmdir and
        // rename take only empty directories), so this recurses as deep as the tree is.
        uint64_t cookie;
        while (auto* entry = static_cast<Entry*>(by_cookie_.next(0, cookie))) {
            by_cookie_.remove(cookie);
            if (entry->node->is_directory()) {
                auto& child = static_cast<TmpfsDirectory&>(*entry->node);
                MutexGuard guard(child.lock_);
                child.parent_ = nullptr;  // a child still held elsewhere outlives this
            }
            destroy_entry(entry);
        }
        mm::free(buckets_);
    }

    Ref<Node> parent() {
        MutexGuard guard(lock_);
        if (is_root_) return Ref<Node>(this);
        return Ref<Node>(parent_);
    }

    Result<Ref<Node>> lookup(Name name) override {
        MutexGuard guard(lock_);
        if (dead_) return error(Errno::enoent);
        Entry* entry = find(name);
        if (!entry) return error(Errno::enoent);
        return Ref<Node>(entry->node.get());
    }

    Result<Ref<Node>> create(Name name, uint32_t permissions) override {
        MutexGuard guard(lock_);
        TRY(check_free_locked(name));
        Ref<TmpfsNode> file(new TmpfsFile(*file_system_, permissions));
        if (!file) return error(Errno::enomem);
        inherit_group_locked(*file);
        TRY(add_entry_locked(name, *file));
        return Ref<Node>(file.get());
    }

    Result<Ref<Node>> make_directory(Name name, uint32_t permissions) override {
        MutexGuard guard(lock_);
        TRY(check_free_locked(name));
        Ref<TmpfsNode> directory(new TmpfsDirectory(*file_system_, permissions, this));
        if (!directory) return error(Errno::enomem);
        inherit_group_locked(*directory);
        TRY(add_entry_locked(name, *directory));
        return Ref<Node>(directory.get());
    }

    Result<Ref<Node>> make_symlink(Name name, Name target) override {
        if (target.length == 0) return error(Errno::enoent);
        if (target.length >= path_max) return error(Errno::enametoolong);
        MutexGuard guard(lock_);
        TRY(check_free_locked(name));
        auto* text = static_cast<char*>(mm::allocate(target.length));
        if (!text) return error(Errno::enomem);
        memcpy(text, target.text, target.length);
        Ref<TmpfsNode> link(new TmpfsSymlink(*file_system_, text, target.length));
        if (!link) {
            mm::free(text);
            return error(Errno::enomem);
        }
        inherit_group_locked(*link);
        TRY(add_entry_locked(name, *link));
        return Ref<Node>(link.get());
    }

    Result<Ref<Node>> make_socket(Name name, uint32_t permissions) override {
        MutexGuard guard(lock_);
        TRY(check_free_locked(name));
        Ref<TmpfsNode> node(new TmpfsSocketNode(*file_system_, permissions));
        if (!node) return error(Errno::enomem);
        inherit_group_locked(*node);
        TRY(add_entry_locked(name, *node));
        return Ref<Node>(node.get());
    }

    Result<void> link(Name name, Node& target) override {
        if (target.file_system() != file_system()) return error(Errno::exdev);
        if (target.is_directory()) return error(Errno::eperm);
        auto& node = static_cast<TmpfsNode&>(target);
        MutexGuard guard(lock_);
        TRY(check_free_locked(name));
        MutexGuard node_guard(node.lock_);
        if (node.link_count_ == 0) return error(Errno::enoent);  // unlinked while open
        TRY(add_entry_locked(name, node));
        ++node.link_count_;
        node.change_ = current_time();
        return {};
    }

    Result<void> unlink(Name name) override {
        Ref<TmpfsNode> removed;  // dropped after the locks: it may be the last reference
        MutexGuard guard(lock_);
        if (dead_) return error(Errno::enoent);
        Entry* entry = find(name);
        if (!entry) return error(Errno::enoent);
        if (entry->node->is_directory()) return error(Errno::eisdir);
        {
            MutexGuard node_guard(entry->node->lock_);
            --entry->node->link_count_;
            entry->node->change_ = current_time();
        }
        removed = take_entry_locked(entry);
        touch_modify_locked();
        return {};
    }

    Result<void> remove_directory(Name name) override {
        Ref<TmpfsNode> removed;
        MutexGuard renames(file_system_->rename_lock);
        MutexGuard guard(lock_);
        if (dead_) return error(Errno::enoent);
        Entry* entry = find(name);
        if (!entry) return error(Errno::enoent);
        if (!entry->node->is_directory()) return error(Errno::enotdir);
        auto& child = static_cast<TmpfsDirectory&>(*entry->node);
        {
            MutexGuard child_guard(child.lock_);
            if (child.entry_count_) return error(Errno::enotempty);
            child.remove_locked();
        }
        removed = take_entry_locked(entry);
        touch_modify_locked();
        return {};
    }

    Result<void> rename(Name name, Node& new_directory, Name new_name, uint32_t flags) override;

    Result<void> read_directory(uint64_t cookie, DirectoryListing& listing) override {
        MutexGuard guard(lock_);
        if (dead_) return error(Errno::enoent);
        touch_access_locked();
        if (cookie == 0) {
            if (!listing.add(DirectoryEntry{inode_, NodeType::directory, Name{".", 1}, 1})) return {};
            cookie = 1;
        }
        if (cookie == 1) {
            uint64_t parent_inode = parent_ ? parent_->inode_ : inode_;
            if (!listing.add(DirectoryEntry{parent_inode, NodeType::directory, Name{"..", 2}, 2})) return {};
            cookie = 2;
        }
        uint64_t key;
        while (auto* entry = static_cast<Entry*>(by_cookie_.next(cookie, key))) {
            if (!listing.add(DirectoryEntry{entry->node->inode_, entry->node->type(), entry->name(), key + 1}))
                return {};
            cookie = key + 1;
        }
        return {};
    }

private:
    struct Entry {
        Entry* hash_next;
        uint64_t hash;
        uint64_t cookie;
        Ref<TmpfsNode> node;
        uint32_t name_length;
        char* text() { return reinterpret_cast<char*>(this + 1); }  // the name follows
        Name name() { return Name{text(), name_length}; }
    };

    static constexpr uint64_t first_cookie = 2;  // after "." and ".."
    static constexpr uint64_t initial_buckets = 8;

    uint32_t link_count_locked() const override { return dead_ ? 0 : 2 + subdirectory_count_; }
    void add_sizes_locked(Attributes& attributes) const override {
        attributes.size = static_cast<int64_t>(entry_count_ + 2) * directory_entry_size;
    }

    static Entry* new_entry(Name name, TmpfsNode& node) {
        void* memory = mm::allocate(sizeof(Entry) + name.length);
        if (!memory) return nullptr;
        auto* entry = new (memory) Entry{nullptr, name.hash(), 0, Ref<TmpfsNode>(&node), name.length};
        memcpy(entry->text(), name.text, name.length);
        return entry;
    }
    static void destroy_entry(Entry* entry) {
        entry->~Entry();
        mm::free(entry);
    }

    Entry* find(Name name) {
        if (!bucket_count_) return nullptr;
        uint64_t hash = name.hash();
        for (Entry* entry = buckets_[hash & (bucket_count_ - 1)]; entry; entry = entry->hash_next)
            if (entry->hash == hash && entry->name() == name) return entry;
        return nullptr;
    }

    // A node made in a set-group-ID directory takes the directory's group, and a new
    // directory is set-group-ID too (inode_init_owner). The node is not reachable yet.
    void inherit_group_locked(TmpfsNode& node) {
        if (!(permissions_ & mode_set_gid)) return;
        node.gid_ = gid_;
        if (node.is_directory()) node.permissions_ |= mode_set_gid;
    }

    Result<void> check_free_locked(Name name) {
        if (dead_) return error(Errno::enoent);  // creating in a removed directory
        if (find(name)) return error(Errno::eexist);
        return {};
    }

    // The hash table must have a bucket before an insert; past that, growing is optional
    // (a table that could not grow only has longer chains), so inserting never fails.
    bool have_buckets() {
        if (bucket_count_) return true;
        buckets_ = static_cast<Entry**>(mm::allocate(initial_buckets * sizeof(Entry*)));
        if (!buckets_) return false;
        memset(buckets_, 0, initial_buckets * sizeof(Entry*));
        bucket_count_ = initial_buckets;
        return true;
    }

    void grow_buckets() {
        uint64_t count = bucket_count_ * 2;
        auto* buckets = static_cast<Entry**>(mm::allocate(count * sizeof(Entry*)));
        if (!buckets) return;
        memset(buckets, 0, count * sizeof(Entry*));
        for (uint64_t i = 0; i < bucket_count_; ++i) {
            while (Entry* entry = buckets_[i]) {
                buckets_[i] = entry->hash_next;
                entry->hash_next = buckets[entry->hash & (count - 1)];
                buckets[entry->hash & (count - 1)] = entry;
            }
        }
        mm::free(buckets_);
        buckets_ = buckets;
        bucket_count_ = count;
    }

    // Gives `entry` the next cookie; ENOMEM leaves the directory as it was (and the entry
    // to the caller).
    Result<void> reserve_locked(Entry* entry) {
        entry->cookie = next_cookie_;
        if (!have_buckets() || !by_cookie_.set(entry->cookie, entry)) return error(Errno::enomem);
        ++next_cookie_;
        return {};
    }

    // Links a reserved entry in by name.
    void insert_locked(Entry* entry) {
        if (entry_count_ >= bucket_count_) grow_buckets();
        Entry*& bucket = buckets_[entry->hash & (bucket_count_ - 1)];
        entry->hash_next = bucket;
        bucket = entry;
        ++entry_count_;
        if (entry->node->is_directory()) ++subdirectory_count_;
    }

    Result<void> add_entry_locked(Name name, TmpfsNode& node) {
        Entry* entry = new_entry(name, node);
        if (!entry) return error(Errno::enomem);
        if (!reserve_locked(entry).ok()) {
            destroy_entry(entry);
            return error(Errno::enomem);
        }
        insert_locked(entry);
        touch_modify_locked();
        return {};
    }

    // Unlinks `entry` and frees it; returns its node's reference for the caller to drop
    // once no lock is held.
    Ref<TmpfsNode> take_entry_locked(Entry* entry) {
        Entry** link = &buckets_[entry->hash & (bucket_count_ - 1)];
        while (*link != entry) link = &(*link)->hash_next;
        *link = entry->hash_next;
        by_cookie_.remove(entry->cookie);
        --entry_count_;
        if (entry->node->is_directory()) --subdirectory_count_;
        Ref<TmpfsNode> node = entry->node;
        destroy_entry(entry);
        return node;
    }

    // This directory leaves the tree (rmdir, or replaced by rename): its lock and the
    // rename lock are held, and it is empty.
    void remove_locked() {
        dead_ = true;
        parent_ = nullptr;
        change_ = current_time();
    }

    // Whether this directory is `ancestor` or lies below it. The rename lock is held.
    bool is_within(const TmpfsDirectory& ancestor) const {
        for (const TmpfsDirectory* at = this; at; at = at->parent_)
            if (at == &ancestor) return true;
        return false;
    }

    Result<void> exchange_locked(Entry* source, TmpfsDirectory& to, Entry* target);

    TmpfsDirectory* parent_;  // written under the rename lock and lock_; nullptr once removed
    const bool is_root_;
    bool dead_ = false;  // removed: no new entries, lookups and listings fail
    Entry** buckets_ = nullptr;
    uint64_t bucket_count_ = 0;  // a power of two, or 0
    uint64_t entry_count_ = 0;
    uint32_t subdirectory_count_ = 0;
    RadixTree by_cookie_;
    uint64_t next_cookie_ = first_cookie;
};

Result<void> TmpfsDirectory::rename(Name name, Node& new_directory, Name new_name, uint32_t flags) {
    if ((flags & ~(rename_noreplace | rename_exchange)) || flags == (rename_noreplace | rename_exchange))
        return error(Errno::einval);
    if (new_directory.file_system() != file_system()) return error(Errno::exdev);
    if (!new_directory.is_directory()) return error(Errno::enotdir);
    auto& to = static_cast<TmpfsDirectory&>(new_directory);

    Ref<TmpfsNode> replaced, old_reference;  // dropped after the locks
    MutexGuard renames(file_system_->rename_lock);
    OrderedLocks directories(&lock_, &to.lock_);
    if (dead_ || to.dead_) return error(Errno::enoent);
    Entry* source = find(name);
    if (!source) return error(Errno::enoent);
    Entry* target = to.find(new_name);
    // The checks in the order of Linux's renameat2 and vfs_rename.
    if ((flags & rename_noreplace) && target) return error(Errno::eexist);
    if ((flags & rename_exchange) && !target) return error(Errno::enoent);
    TmpfsNode* moved = source->node.get();
    TmpfsNode* victim = target ? target->node.get() : nullptr;
    if (moved->is_directory() && to.is_within(static_cast<TmpfsDirectory&>(*moved)))
        return error(Errno::einval);  // into its own subtree
    if (victim && victim->is_directory() && is_within(static_cast<TmpfsDirectory&>(*victim)))
        return error((flags & rename_exchange) ? Errno::einval : Errno::enotempty);  // over an ancestor
    if (moved == victim) return {};  // the same name, or two links to one file: nothing to do
    if (flags & rename_exchange) return exchange_locked(source, to, target);
    if (victim && moved->is_directory() != victim->is_directory())
        return error(moved->is_directory() ? Errno::enotdir : Errno::eisdir);

    // Neither node is an ancestor of the other (checked above): any order is safe.
    OrderedLocks nodes(&moved->lock_, victim ? &victim->lock_ : nullptr);
    if (victim && victim->is_directory() && static_cast<TmpfsDirectory*>(victim)->entry_count_)
        return error(Errno::enotempty);

    // What may fail comes first, so that a failure changes nothing.
    Entry* entry = new_entry(new_name, *moved);
    if (!entry) return error(Errno::enomem);
    if (!to.reserve_locked(entry).ok()) {
        destroy_entry(entry);
        return error(Errno::enomem);
    }

    Timestamp now = current_time();
    if (victim) {
        replaced = to.take_entry_locked(target);
        if (victim->is_directory())
            static_cast<TmpfsDirectory*>(victim)->remove_locked();
        else
            --victim->link_count_;
        victim->change_ = now;
    }
    old_reference = take_entry_locked(source);
    to.insert_locked(entry);
    if (moved->is_directory()) static_cast<TmpfsDirectory*>(moved)->parent_ = &to;
    modify_ = change_ = to.modify_ = to.change_ = moved->change_ = now;
    return {};
}

// RENAME_EXCHANGE: the two entries swap nodes; both names stay where they are.
Result<void> TmpfsDirectory::exchange_locked(Entry* source, TmpfsDirectory& to, Entry* target) {
    TmpfsNode* first = source->node.get();
    TmpfsNode* second = target->node.get();
    OrderedLocks nodes(&first->lock_, &second->lock_);
    Ref<TmpfsNode> swap = source->node;
    source->node = target->node;
    target->node = swap;
    if (&to != this) {
        if (first->is_directory()) {
            --subdirectory_count_;
            ++to.subdirectory_count_;
            static_cast<TmpfsDirectory*>(first)->parent_ = &to;
        }
        if (second->is_directory()) {
            --to.subdirectory_count_;
            ++subdirectory_count_;
            static_cast<TmpfsDirectory*>(second)->parent_ = this;
        }
    }
    Timestamp now = current_time();
    modify_ = change_ = to.modify_ = to.change_ = first->change_ = second->change_ = now;
    return {};
}

}  // namespace

Ref<Node> make_tmpfs_root(uint32_t permissions) {
    Ref<TmpfsFileSystem> file_system(new TmpfsFileSystem);
    if (!file_system) return {};
    return Ref<Node>(new TmpfsDirectory(*file_system, permissions, nullptr));
}

Ref<Node> tmpfs_parent(Node& directory) {
    if (!directory.is_directory()) return {};
    return static_cast<TmpfsDirectory&>(directory).parent();
}

}  // namespace eremite::fs
