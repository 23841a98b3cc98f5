#include "fs/location.hpp"

#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::fs {

bool Location::fill(Step& step, Node& node, const char* name, uint32_t length) {
    if (length > inline_name_bytes) {
        step.heap_name = static_cast<char*>(mm::allocate(length));
        if (!step.heap_name) return false;
        memcpy(step.heap_name, name, length);
    } else {
        memcpy(step.inline_name, name, length);
    }
    step.name_length = length;
    step.node = &node;
    node.retain();
    return true;
}

Location::Location(const Location& other) {
    if (!reserve(other.depth_)) return;
    for (uint32_t i = 0; i < other.depth_; ++i) {
        const Step& from = other.steps_[i];
        if (!fill(steps_[depth_], *from.node, from.name(), from.name_length)) {
            clear();
            return;
        }
        ++depth_;
    }
}

Location& Location::operator=(const Location& other) {
    if (this != &other) {
        Location copy(other);
        *this = static_cast<Location&&>(copy);
    }
    return *this;
}

void Location::take(Location& other) {
    if (other.steps_ == other.inline_) {
        memcpy(inline_, other.inline_, other.depth_ * sizeof(Step));  // heap names move along
        steps_ = inline_;
        capacity_ = inline_steps;
    } else {
        steps_ = other.steps_;
        capacity_ = other.capacity_;
    }
    depth_ = other.depth_;
    other.steps_ = other.inline_;
    other.capacity_ = inline_steps;
    other.depth_ = 0;
}

Location::Location(Location&& other) { take(other); }

Location& Location::operator=(Location&& other) {
    if (this != &other) {
        clear();
        if (steps_ != inline_) mm::free(steps_);
        take(other);
    }
    return *this;
}

Location::~Location() {
    clear();
    if (steps_ != inline_) mm::free(steps_);
}

void Location::clear() {
    while (depth_) leave_step();
}

bool Location::reserve(uint32_t capacity) {
    if (capacity <= capacity_) return true;
    uint32_t wanted = capacity * 2;
    auto* steps = static_cast<Step*>(mm::allocate(wanted * sizeof(Step)));
    if (!steps) return false;
    if (depth_) memcpy(steps, steps_, depth_ * sizeof(Step));
    if (steps_ != inline_) mm::free(steps_);
    steps_ = steps;
    capacity_ = wanted;
    return true;
}

Result<Location> Location::at_root(Node& root) {
    Location location;
    TRY(location.enter(root, Name{"", 0}));
    return location;
}

Result<void> Location::enter(Node& child, Name name) {
    if (!reserve(depth_ + 1) || !fill(steps_[depth_], child, name.text, name.length)) return error(Errno::enomem);
    ++depth_;
    return {};
}

void Location::leave_step() {
    Step& step = steps_[--depth_];
    if (step.name_length > inline_name_bytes) mm::free(step.heap_name);
    step.node->release();
}

void Location::leave() {
    if (depth_ > 1) leave_step();
}

bool Location::path(char* buffer, uint64_t capacity, uint64_t& length) const {
    length = 0;
    if (depth_ <= 1) {
        if (capacity < 1) return false;
        buffer[length++] = '/';
        return true;
    }
    for (uint32_t i = 1; i < depth_; ++i) {
        const Step& step = steps_[i];
        if (length + 1 + step.name_length > capacity) return false;
        buffer[length++] = '/';
        memcpy(buffer + length, step.name(), step.name_length);
        length += step.name_length;
    }
    return true;
}

}  // namespace eremite::fs
