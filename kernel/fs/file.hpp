// An open file description (what Linux calls a struct file): what a file descriptor
// refers to, shared by dup and by threads. It holds the access mode and status flags and
// the position; subclasses are the kinds of open files (a node of a file system, a pipe
// end, an eventfd, the console...).
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite {
class WaitQueue;
}

namespace eremite::fs {

// Linux open flags (asm-generic/fcntl.h, x86-64 values).
inline constexpr uint32_t o_accmode = 3, o_rdonly = 0, o_wronly = 1, o_rdwr = 2, o_creat = 0100, o_excl = 0200,
                          o_noctty = 0400, o_trunc = 01000, o_append = 02000, o_nonblock = 04000, o_dsync = 010000,
                          o_async = 020000, o_direct = 040000, o_largefile = 0100000, o_directory = 0200000,
                          o_nofollow = 0400000, o_noatime = 01000000, o_cloexec = 02000000, o_sync = 04010000,
                          o_path = 010000000, o_tmpfile = 020200000;

// poll(2) events.
inline constexpr uint32_t poll_in = 0x1, poll_pri = 0x2, poll_out = 0x4, poll_err = 0x8, poll_hup = 0x10,
                          poll_nval = 0x20, poll_rdnorm = 0x40, poll_wrnorm = 0x100, poll_rdhup = 0x2000;

class Location;

class File : public RefCounted {
public:
    explicit File(uint32_t flags) : flags_(flags & ~(o_creat | o_excl | o_noctty | o_trunc | o_cloexec)) {}

    uint32_t flags() const { return __atomic_load_n(&flags_, __ATOMIC_RELAXED); }
    // fcntl(F_SETFL): only these may change.
    static constexpr uint32_t settable_flags = o_append | o_nonblock | o_async | o_direct | o_noatime;
    void set_status_flags(uint32_t flags) {
        __atomic_store_n(&flags_, (flags_ & ~settable_flags) | (flags & settable_flags), __ATOMIC_RELAXED);
    }
    bool readable() const { return !(flags_ & o_path) && (flags_ & o_accmode) != o_wronly; }
    bool writable() const { return !(flags_ & o_path) && (flags_ & o_accmode) != o_rdonly; }
    bool nonblocking() const { return flags() & o_nonblock; }

    // The node behind it, if any (pipes and eventfds have none of a file system).
    virtual Node* node() { return nullptr; }
    // Whether lseek/pread/pwrite apply (ESPIPE otherwise).
    virtual bool seekable() const { return false; }
    // lseek answers the position and changes nothing (Linux's noop_llseek: eventfd),
    // where other files that are not seekable are ESPIPE.
    virtual bool seek_does_nothing() const { return false; }

    // Reads at `position` and moves it on (a non-seekable file ignores it).
    virtual Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t& position);
    virtual Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t& position);
    // The size lseek(SEEK_END) counts from.
    virtual Result<uint64_t> size();
    virtual Result<Attributes> attributes();
    virtual Result<int64_t> ioctl(uint64_t request, uint64_t argument);
    // fallocate mode 0 (the file is open for writing): the node's by default.
    virtual Result<void> allocate(uint64_t offset, uint64_t length);
    // Lists a directory from `cookie` (the file's position).
    virtual Result<void> read_directory(uint64_t cookie, DirectoryListing& listing);

    // The poll events ready now, and the queue woken whenever they may have changed
    // (nullptr: they never change, as for a regular file, always ready).
    virtual uint32_t poll_events() { return poll_in | poll_out | poll_rdnorm | poll_wrnorm; }
    virtual WaitQueue* poll_queue() { return nullptr; }
    // Whether this is an epoll set (fs/epoll.hpp), which may be watched by other sets.
    virtual bool is_epoll_set() const { return false; }
    // Whether this is a socket (net/socket.hpp: a net::Socket).
    virtual bool is_socket() const { return false; }

    // What /proc/self/fd/N shows: the path it was opened by, or what a subclass says
    // ("pipe:[3]", "anon_inode:[eventfd]"). False when it does not fit.
    virtual bool describe(char* buffer, uint64_t capacity, uint64_t& length);
    // For describe(): a fixed text ("anon_inode:[eventfd]").
    static bool describe_as(const char* text, char* buffer, uint64_t capacity, uint64_t& length);
    // Where it was opened, for *at syscalls, fchdir and describe(); the VFS sets it when
    // it opens a path. nullptr for files that have no place in the tree.
    const Location* location() const { return location_; }
    [[nodiscard]] bool set_location(const Location& location);

    // The position for read/write/lseek; `position_lock` makes read-then-advance atomic
    // for threads sharing the description, as Linux's f_pos_lock does.
    uint64_t position = 0;

protected:
    ~File() override;
    // Takes the file out of every epoll set that watches it (fs/epoll.hpp), while its
    // poll queue still exists.
    void last_reference_dropped() override;

private:
    friend class EpollWatches;
    uint32_t flags_;
    Location* location_ = nullptr;
    void* epoll_watches_ = nullptr;  // the epoll items watching it (fs/epoll.cpp)
};

// Set by fs/epoll.cpp once a set watches a file: takes the file out of every set.
inline void (*forget_epoll_watches)(File& file) = nullptr;

// An open file on a node: regular files, directories and symlinks (O_PATH) of tmpfs and
// the synthetic file systems, through the node's own operations.
class NodeFile : public File {
public:
    NodeFile(Node& node, uint32_t flags) : File(flags), node_(&node) {}
    Node* node() override { return node_.get(); }
    bool seekable() const override { return true; }
    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t& position) override;
    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t& position) override;
    Result<uint64_t> size() override;
    Result<Attributes> attributes() override;
    Result<void> read_directory(uint64_t cookie, DirectoryListing& listing) override;

private:
    Ref<Node> node_;
};

}  // namespace eremite::fs
