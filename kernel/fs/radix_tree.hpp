// A radix tree from 64-bit keys to non-null pointers: tmpfs's index from page number to
// page, and from directory cookie to entry. Nodes have 64 slots (6 bits of the key per
// level) and the tree is only as tall as its largest key needs, so a lookup in a 1 GiB
// file (2^18 pages) is three steps and one in a one-page file none: at height 0 the root
// is the item for key 0 itself. Nodes come from the kernel heap; a node whose slots all
// empty is freed at once. Not internally locked: the owner's lock guards it.
#pragma once

#include <stdint.h>

namespace eremite::fs {

class RadixTree {
public:
    RadixTree() = default;
    RadixTree(const RadixTree&) = delete;
    RadixTree& operator=(const RadixTree&) = delete;
    // Frees the nodes, not the items: owners take their items out first.
    ~RadixTree();

    void* get(uint64_t key) const;
    // Stores `item` (not nullptr) at `key`, replacing what was there. False when a node
    // could not be allocated; the items are then as they were.
    [[nodiscard]] bool set(uint64_t key, void* item);
    // Replaces the item at `key`, which must be present (never allocates); returns the old one.
    void* replace(uint64_t key, void* item);
    // Takes the item at `key` out; returns it, or nullptr when there was none.
    void* remove(uint64_t key);
    // The item with the smallest key >= `from`, its key in `key`; nullptr when none.
    void* next(uint64_t from, uint64_t& key) const;

    uint64_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

private:
    static constexpr uint32_t bits_per_level = 6;
    static constexpr uint32_t fanout = 1u << bits_per_level;
    static constexpr uint32_t max_height = (64 + bits_per_level - 1) / bits_per_level;  // 11
    struct TreeNode {
        void* slots[fanout];
    };

    // Whether a tree of `height` has room for `key`.
    static bool fits(uint64_t key, uint32_t height);
    static uint32_t slot_index(uint64_t key, uint32_t level) {
        return static_cast<uint32_t>(key >> ((level - 1) * bits_per_level)) & (fanout - 1);
    }
    static void* find_next(void* subtree, uint32_t level, uint64_t from, uint64_t& key);
    static void free_subtree(void* subtree, uint32_t level);

    void* root_ = nullptr;  // an item at height 0, a TreeNode above
    uint32_t height_ = 0;
    uint64_t size_ = 0;
};

}  // namespace eremite::fs
