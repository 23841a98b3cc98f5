// The host side of --mount: the host_file hypercall (abi/eremite/abi.hpp, "Host files").
// The guest is hostile; how it is kept inside the mounted directories is described at
// the top of host_files.cpp.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "eremite/abi.hpp"
#include "file_descriptor.hpp"
#include "guest_memory.hpp"
#include "handle_table.hpp"
#include "options.hpp"

namespace ehyve {

// 0 when `name` is one path component the host may look up; otherwise the negative errno
// the call fails with: -EINVAL when it is empty, ".", "..", or holds a '/' or a NUL;
// -ENAMETOOLONG beyond abi::host_name_max bytes.
int64_t check_name(std::string_view name);

struct HostObject;

class HostFiles {
public:
    // Opens each mount's host directory (in order: mount i is the guest's mount index i).
    // Throws HostError when one cannot be opened, or when the host lacks what confinement
    // needs (openat2, /proc/self/fd).
    HostFiles(const GuestMemory& memory, const std::vector<Mount>& mounts);
    ~HostFiles();
    HostFiles(const HostFiles&) = delete;
    HostFiles& operator=(const HostFiles&) = delete;

    // Serves one call whose arguments ehyve has copied out of guest memory: sets
    // `args.result` and, for the calls that return one, `args.stat` or `args.statfs`.
    // Whatever the guest passed, it answers with an errno and never throws.
    void serve(eremite::abi::HostFileArgs& args);

    size_t mount_count() const { return mounts_.size(); }
    int mount_directory(size_t index) const { return mounts_[index].root.get(); }  // O_PATH
    bool mount_read_only(size_t index) const { return mounts_[index].read_only; }
    size_t open_handles() const { return handles_.size(); }

private:
    struct MountPoint {
        FileDescriptor root;  // O_PATH | O_DIRECTORY
        bool read_only = false;
    };
    using Args = eremite::abi::HostFileArgs;
    using Segments = eremite::abi::HostSegment[eremite::abi::host_segments_max];
    using IoVectors = struct iovec[eremite::abi::host_segments_max];

    int64_t dispatch(Args& a);
    int64_t mount_root(Args& a);
    int64_t lookup(Args& a);
    int64_t open(Args& a);
    int64_t create(Args& a);
    int64_t transfer(Args& a, bool writing);  // read, write
    int64_t read_dir(Args& a);
    int64_t name_operation(Args& a);  // mkdir, unlink, rmdir, symlink
    int64_t rename(Args& a);
    int64_t read_link(Args& a);
    int64_t link(Args& a);
    int64_t truncate(Args& a);
    int64_t allocate(Args& a);
    int64_t set_mode(Args& a);
    int64_t set_times(Args& a);
    int64_t sync(Args& a);
    int64_t stat(Args& a);
    int64_t statfs(Args& a);

    // The object a handle names, or null.
    std::shared_ptr<HostObject> find(uint64_t handle) const { return handles_.find(handle); }
    // A name copied out of guest memory and checked: 0 or the negative errno.
    int64_t read_name(uint64_t address, uint64_t length, std::string& name) const;
    // The guest's segment list copied out of its memory: the count or the negative errno.
    int64_t copy_segments(const Args& a, Segments& segments) const;
    // The segments as host iovecs into guest RAM, each checked whole, together at most
    // host_transfer_max bytes: how many, or the negative errno.
    int64_t gather(const Args& a, IoVectors& vector) const;
    // The first segment's bytes in guest RAM, at most `limit` of them: 0 or the negative errno.
    int64_t first_segment(const Args& a, uint64_t limit, uint8_t*& data, uint64_t& length) const;
    // Opens the object again for I/O with `flags`, through /proc/self/fd: the new
    // object's handle (and its stat in `a`), or the negative errno.
    int64_t reopen(const HostObject& object, int flags, Args& a);
    // A host path that names exactly the inode of `object` ("N" under /proc/self/fd).
    static std::string proc_name(const HostObject& object);
    // Adds the object to the handle table and reports its stat: the handle or -errno.
    int64_t hand_out(std::shared_ptr<HostObject> object, Args& a);
    bool read_only(const HostObject& object) const;

    const GuestMemory& memory_;
    std::vector<MountPoint> mounts_;
    FileDescriptor proc_fds_;  // /proc/self/fd, opened before any sandbox
    HandleTable<HostObject> handles_{eremite::abi::host_handles_max};
};

}  // namespace ehyve
