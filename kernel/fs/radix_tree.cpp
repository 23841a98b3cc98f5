#include "fs/radix_tree.hpp"

#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::fs {
namespace {

bool node_is_empty(void* const* slots, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i)
        if (slots[i]) return false;
    return true;
}

}  // namespace

RadixTree::~RadixTree() { free_subtree(root_, height_); }

bool RadixTree::fits(uint64_t key, uint32_t height) {
    if (height == 0) return key == 0;
    if (height * bits_per_level >= 64) return true;
    return (key >> (height * bits_per_level)) == 0;
}

void* RadixTree::get(uint64_t key) const {
    if (!fits(key, height_)) return nullptr;
    void* at = root_;
    for (uint32_t level = height_; level > 0 && at; --level)
        at = static_cast<TreeNode*>(at)->slots[slot_index(key, level)];
    return at;
}

bool RadixTree::set(uint64_t key, void* item) {
    while (!fits(key, height_)) {
        if (root_) {  // the old tree becomes slot 0 of a new root
            auto* top = static_cast<TreeNode*>(mm::allocate(sizeof(TreeNode)));
            if (!top) return false;
            memset(top, 0, sizeof(TreeNode));
            top->slots[0] = root_;
            root_ = top;
        }
        ++height_;
    }
    void** slot = &root_;
    for (uint32_t level = height_; level > 0; --level) {
        auto* node = static_cast<TreeNode*>(*slot);
        if (!node) {
            node = static_cast<TreeNode*>(mm::allocate(sizeof(TreeNode)));
            if (!node) {
                // Frees the empty nodes made on the way down so far, and a taller root
                // that holds nothing new.
                remove(key);
                return false;
            }
            memset(node, 0, sizeof(TreeNode));
            *slot = node;
        }
        slot = &node->slots[slot_index(key, level)];
    }
    if (!*slot) ++size_;
    *slot = item;
    return true;
}

void* RadixTree::replace(uint64_t key, void* item) {
    void* at = root_;
    void** slot = &root_;
    for (uint32_t level = height_; level > 0; --level) {
        slot = &static_cast<TreeNode*>(at)->slots[slot_index(key, level)];
        at = *slot;
    }
    void* old = *slot;
    *slot = item;
    return old;
}

void* RadixTree::remove(uint64_t key) {
    if (!fits(key, height_)) return nullptr;
    TreeNode* path[max_height];
    void** slot = &root_;
    uint32_t depth = 0;
    for (uint32_t level = height_; level > 0 && *slot; --level) {
        auto* node = static_cast<TreeNode*>(*slot);
        path[depth++] = node;
        slot = &node->slots[slot_index(key, level)];
    }
    // `slot` is the item's slot when the walk reached the bottom, or an empty slot on the
    // way (set() may leave empty nodes above it when it runs out of memory).
    void* item = depth == height_ ? *slot : nullptr;
    if (item) {
        *slot = nullptr;
        --size_;
    }
    // Frees the nodes that emptied, bottom up.
    while (depth > 0 && node_is_empty(path[depth - 1]->slots, fanout)) {
        mm::free(path[--depth]);
        if (depth == 0)
            root_ = nullptr;
        else
            path[depth - 1]->slots[slot_index(key, height_ - depth + 1)] = nullptr;
    }
    // Shortens the tree while its root holds only slot 0.
    while (height_ > 0 && (!root_ || node_is_empty(static_cast<TreeNode*>(root_)->slots + 1, fanout - 1))) {
        void* below = root_ ? static_cast<TreeNode*>(root_)->slots[0] : nullptr;
        mm::free(root_);
        root_ = below;
        --height_;
    }
    return item;
}

void* RadixTree::find_next(void* subtree, uint32_t level, uint64_t from, uint64_t& key) {
    if (level == 0) {
        key = from;
        return subtree;
    }
    auto* node = static_cast<TreeNode*>(subtree);
    uint32_t shift = (level - 1) * bits_per_level;
    uint64_t above = shift + bits_per_level >= 64 ? 0 : from & ~((uint64_t{1} << (shift + bits_per_level)) - 1);
    uint32_t start = slot_index(from, level);
    for (uint32_t i = start; i < fanout; ++i) {
        if (!node->slots[i]) continue;
        uint64_t child_from = i == start ? from : above | (uint64_t{i} << shift);
        if (void* found = find_next(node->slots[i], level - 1, child_from, key)) return found;
    }
    return nullptr;
}

void* RadixTree::next(uint64_t from, uint64_t& key) const {
    if (!root_ || !fits(from, height_)) return nullptr;
    return find_next(root_, height_, from, key);
}

void RadixTree::free_subtree(void* subtree, uint32_t level) {
    if (level == 0 || !subtree) return;
    auto* node = static_cast<TreeNode*>(subtree);
    for (void* child : node->slots) free_subtree(child, level - 1);
    mm::free(node);
}

}  // namespace eremite::fs
