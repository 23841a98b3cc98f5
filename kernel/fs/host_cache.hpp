// What hostfs remembers of the host between calls, so that a file served again and again
// costs no exits (each is about 25 µs on kvm-pvm): the nodes that names lead to, the
// attributes of a node, and the contents of small files.
//
// Consistency: every change the guest makes through any mount advances one of two
// generations (one pair for all mounts: two mounts may show the same files), and every
// remembered answer carries the generations it was obtained under, so the guest sees its
// own changes at once, whichever name, node or mount it uses. Kept contents are checked
// against the file's attributes, which are current by the same rule. Changes made on the
// host (by another program) are seen within `validity_ns`, as with virtiofs's default
// cache=auto.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs::host_cache {

inline constexpr uint64_t validity_ns = 1'000'000'000;
// Files up to this size have their contents kept, within a budget (Contents).
inline constexpr uint64_t contents_max = 1ull << 20;

// Advanced after every change the guest makes through a mount.
class Generations {
public:
    // File data and attributes: write, truncate, fallocate, chmod, utimes.
    void content_changed() { __atomic_add_fetch(&content_, 1, __ATOMIC_ACQ_REL); }
    // Directory entries (and so link counts and directory times): create, mkdir, symlink,
    // link, unlink, rmdir, rename.
    void names_changed() { __atomic_add_fetch(&names_, 1, __ATOMIC_ACQ_REL); }
    uint64_t content() const { return __atomic_load_n(&content_, __ATOMIC_ACQUIRE); }
    uint64_t names() const { return __atomic_load_n(&names_, __ATOMIC_ACQUIRE); }

private:
    uint64_t content_ = 0;
    uint64_t names_ = 0;
};

// When an answer came from the host: taken before the host call, so that a change the
// guest makes during the call leaves the answer already old.
struct Stamp {
    uint64_t until = 0;  // CLOCK_MONOTONIC ns
    uint64_t content = 0;
    uint64_t names = 0;

    static Stamp now(const Generations& generations);
    // Attributes depend on both kinds of change (a link count on names, a size on content).
    bool attributes_current(const Generations& generations) const;
    bool names_current(const Generations& generations) const;
};

// A directory as the name cache knows it: by its mount and inode, not by node, so that
// every node of one host directory finds, and forgets, the same names.
struct Directory {
    const void* file_system;
    uint64_t inode;
};

// The node `name` in `directory` leads to, if remembered and still current; else empty,
// and a node remembered but no longer current goes to `stale` (the entry is cleared):
// when the host's new answer names the same file, the caller keeps that node, with what
// it holds (kept contents, a shared handle).
Ref<Node> find(Directory directory, Name name, const Generations& generations, Ref<Node>& stale);
// Remembers that `name` in `directory` led to `child` (an answer stamped `stamp`).
void remember(Directory directory, Name name, Node& child, const Stamp& stamp);
// Forgets what `name` in `directory` led to: after the guest changed that name, so that
// the old node (which holds its host file open) goes at once.
void forget(Directory directory, Name name);

// The kept contents of one file: whole pages, taken from a budget shared by all mounts
// (a sixteenth of memory) so that the cache never crowds out the app.
class Contents {
public:
    Contents() = default;
    ~Contents() { drop(); }
    Contents(const Contents&) = delete;
    Contents& operator=(const Contents&) = delete;

    // Pages for `size` bytes (at most contents_max); false when the budget or memory
    // refuses, with nothing kept.
    bool reserve(uint64_t size);
    uint64_t page_count() const { return page_count_; }
    void* page(uint64_t index) const { return pages_[index]; }
    // The reserved pages now hold the whole file as `version` describes it (its size fits
    // them).
    void keep(const Attributes& version);
    // Whether the kept bytes are the file's as `now` describes it: the same inode, size,
    // modification and change times.
    bool current(const Attributes& now) const;
    uint64_t size() const { return kept_ ? static_cast<uint64_t>(version_.size) : 0; }
    void drop();

private:
    void** pages_ = nullptr;
    uint64_t page_count_ = 0;
    bool kept_ = false;
    Attributes version_;
};

}  // namespace eremite::fs::host_cache
