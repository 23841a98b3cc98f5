// The initramfs: cpio archives in the "newc" format (magic 070701, and 070702 with a
// checksum), read from memory and unpacked into a directory as Linux's init/initramfs.c
// does (Documentation/driver-api/early-userspace/buffer-format.rst). An archive may be
// several archives one after another, with NUL padding between them.
//
// Each entry is a 110-byte header of ASCII fields (the magic, then 13 fields of 8 hex
// digits), the NUL-terminated name padded so that the data starts at a multiple of 4,
// then the data (a file's contents, a symlink's target) padded to a multiple of 4. The
// entry named "TRAILER!!!" ends an archive.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs {

struct CpioEntry {
    uint64_t inode;
    uint32_t mode;  // type and permission bits
    uint32_t uid, gid;
    uint32_t link_count;
    int64_t modify_time;                  // seconds since the epoch
    uint32_t device_major, device_minor;  // of the file system it came from (with `inode`, what hard links share)
    uint32_t rdev_major, rdev_minor;      // of a device node
    Name name;                            // as in the archive, without its NUL
    const uint8_t* data;
    uint64_t size;
    uint32_t archive;  // which of several concatenated archives (0 for the first)
};

// Reads the entries of an archive in memory, checking everything against its bounds.
class CpioReader {
public:
    CpioReader(const void* archive, uint64_t size) : start_(static_cast<const uint8_t*>(archive)), size_(size) {}

    // The next entry: true with `entry` filled in, false after the last archive's trailer,
    // EINVAL when the archive is malformed (message() says what and where).
    Result<bool> next(CpioEntry& entry);
    const char* message() const { return message_; }

private:
    Error fail(const char* format, ...) __attribute__((format(printf, 2, 3)));

    const uint8_t* start_;
    uint64_t size_;
    uint64_t offset_ = 0;
    uint32_t archive_ = 0;
    bool between_archives_ = true;  // at the start, or after a trailer
    char message_[160] = {};
};

struct CpioSummary {
    uint64_t directories = 0;  // including parents the archive left out
    uint64_t files = 0;
    uint64_t symlinks = 0;
    uint64_t hard_links = 0;  // names linked to a file made earlier in the archive
    uint64_t skipped = 0;     // device nodes, fifos and sockets: not made
};

// Unpacks `archive` into `directory`. Names are relative to it ("a/b", "./a/b" and
// "/a/b" alike); names with an empty or ".." component are refused, as is a path
// through a file or symlink. Parents missing from the archive are made (mode 0755). An
// entry whose name is taken replaces what is there (a directory only when empty), except
// that a directory entry over a directory just sets its mode, owner and time. Hard links
// (newc: the same inode number, the data with the last name) become links to one node.
// Modes, owners and modification times are applied; directories' times at the end, once
// their contents are in. Device nodes, fifos and sockets are skipped: counted in the
// summary and named in `message`.
//
// On failure: EINVAL for a malformed archive, or the file system's error (ENOSPC...),
// with a one-line reason in `message` (NUL-terminated, cut to `capacity`); the entries
// before the bad one stay unpacked. On success `message` notes what was skipped, or is
// empty.
Result<CpioSummary> unpack_cpio(const void* archive, uint64_t size, Node& directory, char* message, uint64_t capacity);

}  // namespace eremite::fs
