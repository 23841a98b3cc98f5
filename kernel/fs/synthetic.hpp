// The building blocks of the synthetic file systems (/dev, /proc, /sys): nodes whose
// content the kernel makes up rather than stores.
//
// - GeneratedFile: a read-only file whose text a generator function writes when the file
//   is opened; the open file reads that snapshot, so a reader sees one consistent state
//   however small its reads (Linux's seq_file gives the same guarantee per record). Its
//   st_size is 0, as on /proc and /sys.
// - Symlink: a link whose target a generator writes each time it is read.
// - Directory: fixed entries, added while the tree is built at boot and never changed
//   after it is reachable, so lookups and listings take no lock.
// - DirectoryBase: what every synthetic directory shares ("." and "..", refusing to be
//   changed), for directories whose entries are generated (/proc/self/fd).
//
// Pure logic (no kernel-only dependency): tested on the host (tests/unit/synthetic_test.cpp).
#pragma once

#include <stdint.h>

#include "fs/file.hpp"
#include "fs/node.hpp"
#include "lib/vector.hpp"

namespace eremite::fs::synthetic {

// One synthetic file system: what statfs says of it and where its inode numbers come from.
struct FileSystem {
    int64_t magic = 0;                        // f_type: PROC_SUPER_MAGIC, SYSFS_MAGIC, TMPFS_MAGIC
    int64_t mount_flags = 0;                  // f_flags: ST_NOSUID, ST_NODEV, ...
    uint64_t device = 0;                      // st_dev: an anonymous device (major 0) of its own
    Timestamp created = {};                   // every node's atime, mtime and ctime (set at boot)
    int64_t io_block_size = 4096;             // st_blksize (1024 on /proc)
    bool link_size_is_target_length = false;  // st_size of a symlink (0 on /proc)
    int64_t regular_file_size = 0;            // st_size of a generated file (4096 on /sys)
    uint64_t next_inode = 1;
    uint64_t allocate_inode() { return __atomic_fetch_add(&next_inode, 1, __ATOMIC_RELAXED); }
};

// statfs f_flags (statvfs.h ST_*).
inline constexpr int64_t st_nosuid = 2, st_nodev = 4, st_noexec = 8, st_relatime = 4096;

// Text on the kernel heap, growing as it is written. Running out of memory is remembered
// and reported once at the end (failed()), so generators need not check every line.
class Text {
public:
    Text() = default;
    Text(const Text&) = delete;
    Text& operator=(const Text&) = delete;
    ~Text();

    __attribute__((format(printf, 2, 3))) void add(const char* format, ...);
    void add_bytes(const void* bytes, uint64_t length);
    void add_string(const char* string);
    // A path or name as /proc/self/mounts writes one: space, tab, newline and backslash as
    // octal escapes (\040...), so the fields stay separable.
    void add_escaped(const char* string);
    // A CPU list as sysfs writes one: "0", "0-3".
    void add_cpu_range(uint32_t count);

    const char* data() const { return data_ ? data_ : ""; }
    uint64_t length() const { return length_; }
    bool failed() const { return failed_; }
    // For a generator that could not get what it needed: the open fails with ENOMEM.
    void fail() { failed_ = true; }
    // Hands the buffer over (free it with mm::free); the text is empty afterwards.
    char* take();

private:
    bool reserve(uint64_t more);
    char* data_ = nullptr;
    uint64_t length_ = 0;
    uint64_t capacity_ = 0;
    bool failed_ = false;
};

// Writes a file's content or a link's target; `argument` is the node's own (an index, a
// pointer to a constant...).
using Generator = void (*)(Text& out, uint64_t argument);
// Takes what the app writes to a generated file that accepts writes (/proc/self/comm).
using Receiver = Result<uint64_t> (*)(const IoBuffer& buffer, uint64_t length, uint64_t argument);
// A generator for fixed text: `argument` is a `const char*`.
void constant_text(Text& out, uint64_t argument);
inline uint64_t text_argument(const char* text) { return reinterpret_cast<uint64_t>(text); }

struct Owner {
    uint32_t uid = 0;
    uint32_t gid = 0;
};

// glibc's makedev, for st_rdev.
constexpr uint64_t make_device(uint32_t major, uint32_t minor) {
    return (static_cast<uint64_t>(major & 0xfffff000u) << 32) | ((major & 0xfffu) << 8) |
           (static_cast<uint64_t>(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}

class SyntheticNode : public Node {
public:
    SyntheticNode(FileSystem& file_system, NodeType type, uint32_t permissions, Owner owner, uint64_t rdev = 0);
    Attributes attributes() override;
    Result<FileSystemStatistics> statistics() override;
    const void* file_system() const override { return &file_system_; }
    uint64_t inode() const { return inode_; }
    Owner owner() const { return owner_; }
    FileSystem& synthetic_file_system() const { return file_system_; }
    // The directory that holds it (Directory::add sets it), for "..".
    void set_parent_inode(uint64_t inode) { parent_inode_ = inode; }

protected:
    FileSystem& file_system_;
    uint64_t inode_;
    uint64_t parent_inode_;
    uint32_t permissions_;
    Owner owner_;
    uint64_t rdev_;
};

class GeneratedFile : public SyntheticNode {
public:
    GeneratedFile(FileSystem& file_system, Generator generator, uint64_t argument, uint32_t permissions, Owner owner)
        : SyntheticNode(file_system, NodeType::regular, permissions, owner),
          generator_(generator),
          argument_(argument) {}
    // Generates the snapshot the open file reads (not for O_PATH).
    Result<Ref<File>> open(uint32_t flags) override;
    // Reads without an open file (the VFS may read a node directly): a fresh snapshot.
    Result<uint64_t> read(uint64_t offset, const IoBuffer& buffer, uint64_t length) override;
    // Writes go to the receiver. Without one, only root gets past the permission check
    // to write (as with CAP_DAC_OVERRIDE), and the write fails with EIO as Linux's
    // proc_reg_write does for a file without a write handler.
    Result<uint64_t> write(uint64_t offset, const IoBuffer& buffer, uint64_t length) override;
    Result<uint64_t> append(const IoBuffer& buffer, uint64_t length, uint64_t& new_end) override;
    // O_TRUNC by root: accepted and ignored, as procfs does.
    Result<void> truncate(uint64_t size) override;
    void generate(Text& out) const { generator_(out, argument_); }
    void set_receiver(Receiver receiver) { receiver_ = receiver; }

private:
    Generator generator_;
    uint64_t argument_;
    Receiver receiver_ = nullptr;
};

class Symlink : public SyntheticNode {
public:
    Symlink(FileSystem& file_system, Generator generator, uint64_t argument, Owner owner, uint32_t permissions = 0777)
        : SyntheticNode(file_system, NodeType::symlink, permissions, owner),
          generator_(generator),
          argument_(argument) {}
    Attributes attributes() override;
    Result<uint64_t> read_link(char* buffer, uint64_t capacity) override;

private:
    Generator generator_;
    uint64_t argument_;
};

// What every synthetic directory shares: its entries cannot be changed by the app. Linux
// checks write permission on the directory first (EACCES for anyone but root); root then
// finds no such operation: EACCES for create, EPERM for the rest (fs/namei.c).
class DirectoryBase : public SyntheticNode {
public:
    DirectoryBase(FileSystem& file_system, uint32_t permissions, Owner owner)
        : SyntheticNode(file_system, NodeType::directory, permissions, owner) {}
    Result<Ref<Node>> create(Name name, uint32_t permissions) override;
    Result<Ref<Node>> make_directory(Name name, uint32_t permissions) override;
    Result<Ref<Node>> make_symlink(Name name, Name target) override;
    Result<void> link(Name name, Node& target) override;
    Result<void> unlink(Name name) override;
    Result<void> remove_directory(Name name) override;
    Result<void> rename(Name name, Node& new_directory, Name new_name, uint32_t flags) override;

    // The listing of "." (cookie 0) and ".." (cookie 1): false when the listing stopped.
    // Entries after them start at cookie 2.
    bool list_dots(uint64_t& cookie, DirectoryListing& listing);

    // Set at boot by the factories that build trees: whether the app runs as root.
    static void set_privileged(bool privileged);
};

// A directory of fixed entries. The builders panic when memory runs out: they run only
// at boot, where the kernel could not start the app without the tree anyway.
class Directory : public DirectoryBase {
public:
    Directory(FileSystem& file_system, uint32_t permissions, Owner owner)
        : DirectoryBase(file_system, permissions, owner) {}
    ~Directory() override;

    // Adds `child` under `name` (a static string or not: it is copied) and returns it.
    SyntheticNode& add(const char* name, SyntheticNode* child);
    // Children take this directory's owner.
    Directory& add_directory(const char* name, uint32_t permissions = 0555);
    GeneratedFile& add_file(const char* name, Generator generator, uint64_t argument = 0, uint32_t permissions = 0444);
    GeneratedFile& add_text(const char* name, const char* text, uint32_t permissions = 0444) {
        return add_file(name, constant_text, text_argument(text), permissions);
    }
    Symlink& add_symlink(const char* name, Generator generator, uint64_t argument = 0);
    Symlink& add_link_text(const char* name, const char* target) {
        return add_symlink(name, constant_text, text_argument(target));
    }

    Attributes attributes() override;
    Result<Ref<Node>> lookup(Name name) override;
    Result<void> read_directory(uint64_t cookie, DirectoryListing& listing) override;

private:
    struct Entry {
        char name[32];
        uint32_t name_length;
        SyntheticNode* node;  // a reference held
    };
    Vector<Entry> entries_;
    uint32_t subdirectories_ = 0;
};

}  // namespace eremite::fs::synthetic
