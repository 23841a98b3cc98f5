// The file-system objects behind the VFS: a Node is an inode (a regular file, a
// directory, a symlink, a device...), owned by reference counts; a file system (tmpfs,
// hostfs, the synthetic /proc and /dev) implements the operations its nodes support and
// leaves the rest to the defaults here, which fail as Linux does for that kind of node.
//
// Names passed to directory operations are single path components, already checked by
// the path walk (not empty, no '/', not "." or "..", at most name_max bytes). Locking is
// the file system's business: the VFS calls these from many threads at once.
#pragma once

#include <stdint.h>

#include "lib/errno.hpp"
#include "lib/result.hpp"
#include "lib/utility.hpp"

namespace eremite::fs {

inline constexpr uint32_t name_max = 255;   // NAME_MAX
inline constexpr uint32_t path_max = 4096;  // PATH_MAX, with the NUL

// st_mode's type bits (sys/stat.h).
inline constexpr uint32_t mode_type_mask = 0170000;
inline constexpr uint32_t mode_socket = 0140000, mode_symlink = 0120000, mode_regular = 0100000,
                          mode_block_device = 0060000, mode_directory = 0040000, mode_char_device = 0020000,
                          mode_fifo = 0010000;
inline constexpr uint32_t mode_permission_mask = 07777;

enum class NodeType : uint8_t { regular, directory, symlink, char_device, block_device, fifo, socket };

uint32_t mode_bits_of(NodeType type);
// The d_type of a linux_dirent64 (DT_REG, DT_DIR, ...).
uint8_t dirent_type_of(NodeType type);

struct Name {
    const char* text;
    uint32_t length;
    bool operator==(const Name& other) const;
    // FNV-1a over the bytes, from `seed` (its offset basis by default).
    uint64_t hash(uint64_t seed = 0xcbf29ce484222325) const;
};

struct Timestamp {
    int64_t seconds = 0;
    int64_t nanoseconds = 0;
};

// What stat reports. `device` is filled in by the VFS from the mount.
struct Attributes {
    uint64_t device = 0;
    uint64_t inode = 0;
    uint32_t mode = 0;  // type and permission bits
    uint32_t link_count = 1;
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint64_t rdev = 0;
    int64_t size = 0;
    int64_t blocks = 0;  // 512-byte units actually allocated
    int64_t block_size = 4096;
    Timestamp access, modify, change;
};

struct FileSystemStatistics {
    int64_t type = 0;  // f_type magic (TMPFS_MAGIC, ...)
    int64_t block_size = 4096;
    int64_t blocks = 0, blocks_free = 0, blocks_available = 0;
    int64_t files = 0, files_free = 0;
    int64_t name_max = fs::name_max;
    int64_t flags = 0;  // ST_RDONLY, ...
};

// Where the bytes of a read go or those of a write come from: app memory (through the
// fault-tolerant copies of linux/app_access.hpp, so a bad app buffer is EFAULT) or kernel
// memory. `at` counts from the buffer's start.
class IoBuffer {
public:
    static IoBuffer app(void* address) { return IoBuffer(static_cast<uint8_t*>(address), true); }
    static IoBuffer kernel(void* address) { return IoBuffer(static_cast<uint8_t*>(address), false); }
    static IoBuffer kernel(const void* address) {
        return IoBuffer(static_cast<uint8_t*>(const_cast<void*>(address)), false);
    }

    // Into the buffer (a read): false when app memory refused it.
    [[nodiscard]] bool fill(uint64_t at, const void* from, uint64_t length) const;
    [[nodiscard]] bool fill_zero(uint64_t at, uint64_t length) const;
    // Out of the buffer (a write).
    [[nodiscard]] bool drain(void* to, uint64_t at, uint64_t length) const;
    bool in_app() const { return in_app_; }
    uint8_t* address() const { return address_; }

private:
    IoBuffer(uint8_t* address, bool in_app) : address_(address), in_app_(in_app) {}
    uint8_t* address_;
    bool in_app_;
};

class File;
class Node;

// An intrusive reference: Node and File count their holders.
template <typename T>
class Ref {
public:
    Ref() = default;
    Ref(T* object) : object_(object) {  // NOLINT: adopts a new reference or takes one
        if (object_) object_->retain();
    }
    Ref(const Ref& other) : Ref(other.object_) {}
    Ref(Ref&& other) : object_(other.object_) { other.object_ = nullptr; }
    template <typename U>
    Ref(const Ref<U>& other) : Ref(static_cast<T*>(other.get())) {}  // NOLINT
    ~Ref() { reset(); }
    Ref& operator=(Ref other) {
        T* old = object_;
        object_ = other.object_;
        other.object_ = old;
        return *this;
    }
    void reset() {
        if (object_) object_->release();
        object_ = nullptr;
    }
    T* get() const { return object_; }
    T* operator->() const { return object_; }
    T& operator*() const { return *object_; }
    explicit operator bool() const { return object_ != nullptr; }
    bool operator==(const Ref& other) const { return object_ == other.object_; }

private:
    T* object_ = nullptr;
};

class RefCounted {
public:
    void retain() { __atomic_add_fetch(&references_, 1, __ATOMIC_RELAXED); }
    void release() {
        if (__atomic_sub_fetch(&references_, 1, __ATOMIC_ACQ_REL) == 0) {
            last_reference_dropped();
            delete this;
        }
    }
    uint64_t references() const { return __atomic_load_n(&references_, __ATOMIC_RELAXED); }
    // A new reference unless the last one is already gone (an object found in a table
    // that its destruction is about to leave); false then.
    bool try_retain() {
        uint64_t count = __atomic_load_n(&references_, __ATOMIC_RELAXED);
        while (count)
            if (__atomic_compare_exchange_n(&references_, &count, count + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
                return true;
        return false;
    }

protected:
    RefCounted() = default;
    virtual ~RefCounted() = default;
    // Runs while the whole object still exists, right before it is destroyed (a
    // destructor runs after its subclasses' are gone).
    virtual void last_reference_dropped() {}

private:
    uint64_t references_ = 0;
};

// One entry handed to a read_directory callback; false from the callback stops the
// listing there (the caller's buffer is full) and that entry is handed out again next
// time.
struct DirectoryEntry {
    uint64_t inode;
    NodeType type;
    Name name;
    uint64_t next_cookie;  // where a listing resumes after this entry (d_off)
};

class DirectoryListing {
public:
    virtual bool add(const DirectoryEntry& entry) = 0;

protected:
    ~DirectoryListing() = default;
};

// rename(2) flags.
inline constexpr uint32_t rename_noreplace = 1, rename_exchange = 2;

class Node : public RefCounted {
public:
    explicit Node(NodeType type) : type_(type) {}
    NodeType type() const { return type_; }
    bool is_directory() const { return type_ == NodeType::directory; }

    virtual Attributes attributes() = 0;
    virtual Result<void> set_mode(uint32_t permissions);
    virtual Result<void> set_owner(uint32_t uid, uint32_t gid);
    // nullptr leaves that time as it is.
    virtual Result<void> set_times(const Timestamp* access, const Timestamp* modify);
    virtual Result<FileSystemStatistics> statistics();

    // Opens a file description on this node (flags: Linux O_* open flags). The default
    // makes a NodeFile that calls read/write below; hostfs and devices make their own.
    virtual Result<Ref<File>> open(uint32_t flags);

    // Regular files. Offsets past the end read as end of file; writes past it leave a
    // hole that reads as zeroes.
    virtual Result<uint64_t> read(uint64_t offset, const IoBuffer& buffer, uint64_t length);
    virtual Result<uint64_t> write(uint64_t offset, const IoBuffer& buffer, uint64_t length);
    // An O_APPEND write: at the end of the file, found under the same lock as the write
    // so appends from several descriptions never overwrite each other. Returns the bytes
    // written; `new_end` receives the offset after them.
    virtual Result<uint64_t> append(const IoBuffer& buffer, uint64_t length, uint64_t& new_end);
    virtual Result<void> truncate(uint64_t size);
    virtual Result<void> allocate(uint64_t offset, uint64_t length);  // fallocate mode 0
    virtual Result<void> sync();

    // Symlinks: the target text, at most `capacity` bytes of it; returns its length.
    virtual Result<uint64_t> read_link(char* buffer, uint64_t capacity);

    // Directories.
    virtual Result<Ref<Node>> lookup(Name name);
    // A new regular file (EEXIST when the name is taken).
    virtual Result<Ref<Node>> create(Name name, uint32_t permissions);
    virtual Result<Ref<Node>> make_directory(Name name, uint32_t permissions);
    virtual Result<Ref<Node>> make_symlink(Name name, Name target);
    // A socket node (what bind(2) of an AF_UNIX path makes): no data, open() is ENXIO.
    virtual Result<Ref<Node>> make_socket(Name name, uint32_t permissions);
    // A new name for `target`, a node of the same file system that is not a directory.
    virtual Result<void> link(Name name, Node& target);
    virtual Result<void> unlink(Name name);            // EISDIR for a directory
    virtual Result<void> remove_directory(Name name);  // ENOTDIR, ENOTEMPTY
    // `new_directory` is of the same file system (the VFS checks: EXDEV otherwise).
    virtual Result<void> rename(Name name, Node& new_directory, Name new_name, uint32_t flags);
    // Lists entries from `cookie` (0 = the start; "." and ".." included) until the
    // listing refuses one or the directory ends.
    virtual Result<void> read_directory(uint64_t cookie, DirectoryListing& listing);

    // Which file system this node belongs to (the VFS compares them for EXDEV).
    virtual const void* file_system() const = 0;

private:
    NodeType type_;
};

}  // namespace eremite::fs
