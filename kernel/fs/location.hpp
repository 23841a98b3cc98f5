// A place in the VFS tree: the chain of nodes from the root down to one node, with the
// names that led there. `..` steps back along that chain, so it leaves a mounted file
// system at its root for the directory it is mounted on, and a symlink's target is
// walked from the directory that holds the link, as on Linux. The chain also gives
// getcwd and /proc/self/fd their paths. Each step holds a reference to its node.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs {

class Location {
public:
    Location() = default;
    // A copy that cannot get memory is empty (depth 0): callers check depth().
    Location(const Location& other);
    Location& operator=(const Location& other);
    Location(Location&& other);
    Location& operator=(Location&& other);
    ~Location();

    // The location of `root` itself (depth 1, path "/").
    static Result<Location> at_root(Node& root);
    Node* node() const { return depth_ ? steps_[depth_ - 1].node : nullptr; }
    uint32_t depth() const { return depth_; }
    // Steps down to `child`, reached by `name` (ENOMEM when out of memory).
    Result<void> enter(Node& child, Name name);
    // To the parent; the root stays where it is (its ".." is itself).
    void leave();
    // The absolute path ("/" for the root), not NUL-terminated; false when it does not fit.
    bool path(char* buffer, uint64_t capacity, uint64_t& length) const;

private:
    // A path walk copies and builds locations all the time (every stat starts from a copy
    // of the working directory): short names and shallow chains live inside the object,
    // so the common walk allocates nothing.
    static constexpr uint32_t inline_name_bytes = 24;
    static constexpr uint32_t inline_steps = 6;
    struct Step {
        Node* node;  // a reference held
        uint32_t name_length;
        union {
            char inline_name[inline_name_bytes];  // names up to inline_name_bytes
            char* heap_name;                      // longer ones: a heap copy
        };
        const char* name() const { return name_length <= inline_name_bytes ? inline_name : heap_name; }
    };
    void clear();
    void leave_step();
    bool reserve(uint32_t capacity);
    // Fills `step` with `node` (retained) and a copy of `name`; false without memory.
    static bool fill(Step& step, Node& node, const char* name, uint32_t length);
    void take(Location& other);  // moves other's steps here (this one empty)

    Step* steps_ = inline_;
    uint32_t depth_ = 0;
    uint32_t capacity_ = inline_steps;
    Step inline_[inline_steps];
};

}  // namespace eremite::fs
