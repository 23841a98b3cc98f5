#include "fs/host_cache.hpp"

#include "fs/page_store.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"

namespace eremite::fs::host_cache {
namespace {

// The name cache: direct-mapped on (directory, name); a new answer replaces whatever
// shared its slot, and an entry found stale or whose name the guest changed is cleared.
// Each entry holds its directory and its node, so a slot's directory pointer cannot be
// reused by another node while remembered; each node holds up to three host handles (its
// own, the shared read-only one, a create's spare), so the cache holds at most a few
// thousand. An entry for a file deleted on the host keeps it open until its slot is
// reused or its name looked up again.
constexpr uint32_t slot_count = 512;
constexpr uint32_t name_kept_max = 47;  // longer names are looked up every time

struct Entry {
    Ref<Node> directory;
    Ref<Node> node;
    Stamp stamp;
    uint8_t length = 0;
    char name[name_kept_max];
};

Entry entries[slot_count];
SpinLock entries_lock;

uint32_t slot_of(const Node& directory, Name name) {
    uint64_t hash = 14695981039346656037ull ^ reinterpret_cast<uint64_t>(&directory);
    for (uint32_t i = 0; i < name.length; ++i) hash = (hash ^ static_cast<uint8_t>(name.text[i])) * 1099511628211ull;
    return static_cast<uint32_t>((hash ^ (hash >> 32)) % slot_count);
}

bool same_name(const Entry& entry, Name name) {
    return entry.length == name.length && memcmp(entry.name, name.text, name.length) == 0;
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

namespace {

// Empties `entry` (the lock held); the references go to `old_directory` and `old_node`,
// released by the caller after the lock.
void clear(Entry& entry, Ref<Node>& old_directory, Ref<Node>& old_node) {
    old_directory = entry.directory;
    old_node = entry.node;
    entry.directory = Ref<Node>();
    entry.node = Ref<Node>();
    entry.length = 0;
}

}  // namespace

Ref<Node> find(Node& directory, Name name, const Generations& generations) {
    if (name.length > name_kept_max) return {};
    Entry& entry = entries[slot_of(directory, name)];
    Ref<Node> old_directory, old_node;  // released after the lock
    LockGuard guard(entries_lock);
    if (entry.directory.get() != &directory || !same_name(entry, name)) return {};
    if (!entry.stamp.names_current(generations)) {
        clear(entry, old_directory, old_node);
        return {};
    }
    return entry.node;
}

void remember(Node& directory, Name name, Node& child, const Stamp& stamp) {
    if (name.length > name_kept_max) return;
    Entry& entry = entries[slot_of(directory, name)];
    Ref<Node> old_directory, old_node;  // released after the lock (a last reference is an exit)
    LockGuard guard(entries_lock);
    clear(entry, old_directory, old_node);
    entry.directory = Ref<Node>(&directory);
    entry.node = Ref<Node>(&child);
    entry.stamp = stamp;
    entry.length = static_cast<uint8_t>(name.length);
    memcpy(entry.name, name.text, name.length);
}

void forget(Node& directory, Name name) {
    if (name.length > name_kept_max) return;
    Entry& entry = entries[slot_of(directory, name)];
    Ref<Node> old_directory, old_node;
    LockGuard guard(entries_lock);
    if (entry.directory.get() == &directory && same_name(entry, name)) clear(entry, old_directory, old_node);
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

void Contents::keep(uint64_t size, const Attributes& version, uint64_t content_generation) {
    kept_ = true;
    size_ = min(size, page_count_ * page_size);
    content_generation_ = content_generation;
    inode_ = version.inode;
    modify_ = version.modify;
    change_ = version.change;
    file_size_ = version.size;
}

bool Contents::current(const Attributes& now, uint64_t content_generation) const {
    return kept_ && content_generation == content_generation_ && now.inode == inode_ && now.size == file_size_ &&
           now.modify.seconds == modify_.seconds && now.modify.nanoseconds == modify_.nanoseconds &&
           now.change.seconds == change_.seconds && now.change.nanoseconds == change_.nanoseconds;
}

void Contents::drop() {
    for (uint64_t i = 0; i < page_count_; ++i) page_store::free(pages_[i]);
    __atomic_sub_fetch(&pages_in_use, page_count_, __ATOMIC_RELAXED);
    mm::free(pages_);
    pages_ = nullptr;
    page_count_ = 0;
    kept_ = false;
    size_ = 0;
}

}  // namespace eremite::fs::host_cache
