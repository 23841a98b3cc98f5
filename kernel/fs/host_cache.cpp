#include "fs/host_cache.hpp"

#include "fs/page_store.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"

namespace eremite::fs::host_cache {
namespace {

// The name cache: direct-mapped on (directory, name); a new answer replaces whatever
// shared its slot, and an entry found stale or whose name the guest changed is cleared.
// Each entry holds its node, and a node up to three host handles (its own, the shared
// read-only one, a create's spare): at most about 1,500 host handles for the cache. An
// entry for a file deleted on the host keeps it open until its slot is reused or its
// name looked up again.
constexpr uint32_t slot_count = 512;
constexpr uint32_t name_kept_max = 47;  // longer names are looked up every time

struct Entry {
    Directory directory{nullptr, 0};
    Ref<Node> node;
    Stamp stamp;
    uint8_t length = 0;
    char name[name_kept_max];
};

Entry entries[slot_count];
SpinLock entries_lock;

uint32_t slot_of(Directory directory, Name name) {
    uint64_t hash = name.hash(reinterpret_cast<uint64_t>(directory.file_system) * 31 + directory.inode);
    return static_cast<uint32_t>((hash ^ (hash >> 32)) % slot_count);
}

bool holds(const Entry& entry, Directory directory, Name name) {
    return entry.node && entry.directory.file_system == directory.file_system &&
           entry.directory.inode == directory.inode && Name{entry.name, entry.length} == name;
}

// Pages of kept contents, across all files.
uint64_t pages_in_use = 0;

uint64_t page_budget() { return page_store::usage().total_pages / 16; }

}  // namespace

Stamp Stamp::now(const Generations& generations) {
    return Stamp{clock::monotonic_ns() + validity_ns, generations.content(), generations.names()};
}

bool Stamp::attributes_current(const Generations& generations) const {
    return content == generations.content() && names_current(generations);
}

bool Stamp::names_current(const Generations& generations) const {
    return names == generations.names() && clock::monotonic_ns() < until;
}

namespace {}  // namespace

// The references an entry gave up are released by the callers after the lock: a last
// reference releases host handles (exits).

Ref<Node> find(Directory directory, Name name, const Generations& generations, Ref<Node>& stale) {
    if (name.length > name_kept_max) return {};
    Entry& entry = entries[slot_of(directory, name)];
    LockGuard guard(entries_lock);
    if (!holds(entry, directory, name)) return {};
    if (!entry.stamp.names_current(generations)) {
        stale = move(entry.node);
        return {};
    }
    return entry.node;
}

void remember(Directory directory, Name name, Node& child, const Stamp& stamp) {
    if (name.length > name_kept_max) return;
    Entry& entry = entries[slot_of(directory, name)];
    Ref<Node> old;
    LockGuard guard(entries_lock);
    old = move(entry.node);
    entry.directory = directory;
    entry.node = Ref<Node>(&child);
    entry.stamp = stamp;
    entry.length = static_cast<uint8_t>(name.length);
    memcpy(entry.name, name.text, name.length);
}

void forget(Directory directory, Name name) {
    if (name.length > name_kept_max) return;
    Entry& entry = entries[slot_of(directory, name)];
    Ref<Node> old;
    LockGuard guard(entries_lock);
    if (holds(entry, directory, name)) old = move(entry.node);
}

bool Contents::reserve(uint64_t size) {
    drop();
    if (size > contents_max) return false;
    uint64_t count = (size + page_size - 1) / page_size;
    if (__atomic_add_fetch(&pages_in_use, count, __ATOMIC_RELAXED) > page_budget()) {
        __atomic_sub_fetch(&pages_in_use, count, __ATOMIC_RELAXED);
        return false;
    }
    pages_ = count ? static_cast<void**>(mm::allocate(count * sizeof(void*))) : nullptr;
    if (count && !pages_) {
        __atomic_sub_fetch(&pages_in_use, count, __ATOMIC_RELAXED);
        return false;
    }
    for (; page_count_ < count; ++page_count_) {
        pages_[page_count_] = page_store::allocate();
        if (!pages_[page_count_]) {
            __atomic_sub_fetch(&pages_in_use, count - page_count_, __ATOMIC_RELAXED);
            drop();
            return false;
        }
    }
    return true;
}

void Contents::keep(const Attributes& version) {
    kept_ = true;
    version_ = version;
}

bool Contents::current(const Attributes& now) const {
    auto same = [](const Timestamp& a, const Timestamp& b) {
        return a.seconds == b.seconds && a.nanoseconds == b.nanoseconds;
    };
    return kept_ && now.inode == version_.inode && now.size == version_.size && same(now.modify, version_.modify) &&
           same(now.change, version_.change);
}

void Contents::drop() {
    for (uint64_t i = 0; i < page_count_; ++i) page_store::free(pages_[i]);
    __atomic_sub_fetch(&pages_in_use, page_count_, __ATOMIC_RELAXED);
    mm::free(pages_);
    pages_ = nullptr;
    page_count_ = 0;
    kept_ = false;
}

}  // namespace eremite::fs::host_cache
