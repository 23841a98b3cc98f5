// What hostfs remembers of the host between calls, so that a file served again and again
// costs no exits (each is about 25 µs on kvm-pvm): the nodes that names lead to, the
// attributes of a node, and the contents of small files.
//
// Consistency: every change the guest makes through a mount advances one of the mount's
// generations, and every remembered answer carries the generations it was obtained under,
// so the guest sees its own changes at once, whichever name or node it uses. Changes made
// on the host (by another program) are seen within `validity_ns`, as with virtiofs's
// default cache=auto.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs::host_cache {

inline constexpr uint64_t validity_ns = 1'000'000'000;
// Files up to this size have their contents kept, within a budget (Contents).
inline constexpr uint64_t contents_max = 1ull << 20;

// A mount's generations: advanced after every change the guest makes through it.
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

// The node `name` in `directory` leads to, if remembered and still current; else empty.
Ref<Node> find(Node& directory, Name name, const Generations& generations);
// Remembers that `name` in `directory` led to `child` (an answer stamped `stamp`).
void remember(Node& directory, Name name, Node& child, const Stamp& stamp);
// Forgets what `name` in `directory` led to: after the guest changed that name, so that
// the old node (which holds its host file open) goes at once.
void forget(Node& directory, Name name);

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
    // The reserved pages now hold the file's first `size` bytes, as of `version`.
    void keep(uint64_t size, const Attributes& version, uint64_t content_generation);
    // Whether the kept bytes are the file's as `now` describes it.
    bool current(const Attributes& now, uint64_t content_generation) const;
    uint64_t size() const { return size_; }
    void drop();

private:
    void** pages_ = nullptr;
    uint64_t page_count_ = 0;
    bool kept_ = false;
    uint64_t size_ = 0;
    uint64_t content_generation_ = 0;
    uint64_t inode_ = 0;
    Timestamp modify_, change_;
    int64_t file_size_ = 0;
};

}  // namespace eremite::fs::host_cache
