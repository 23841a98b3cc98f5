#include "fs/location.hpp"

#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::fs {

Location::Location(const Location& other) {
    if (!reserve(other.depth_)) return;
    for (uint32_t i = 0; i < other.depth_; ++i) {
        const Step& from = other.steps_[i];
        char* name = static_cast<char*>(mm::allocate(from.name_length ? from.name_length : 1));
        if (!name) {
            clear();
            return;
        }
        memcpy(name, from.name, from.name_length);
        from.node->retain();
        steps_[depth_++] = Step{from.node, name, from.name_length};
    }
}

Location& Location::operator=(const Location& other) {
    if (this != &other) {
        Location copy(other);
        *this = static_cast<Location&&>(copy);
    }
    return *this;
}

Location::Location(Location&& other) : steps_(other.steps_), depth_(other.depth_), capacity_(other.capacity_) {
    other.steps_ = nullptr;
    other.depth_ = other.capacity_ = 0;
}

Location& Location::operator=(Location&& other) {
    if (this != &other) {
        clear();
        mm::free(steps_);
        steps_ = other.steps_;
        depth_ = other.depth_;
        capacity_ = other.capacity_;
        other.steps_ = nullptr;
        other.depth_ = other.capacity_ = 0;
    }
    return *this;
}

Location::~Location() {
    clear();
    mm::free(steps_);
}

void Location::clear() {
    while (depth_) leave_step();
}

bool Location::reserve(uint32_t capacity) {
    if (capacity <= capacity_) return true;
    uint32_t wanted = capacity < 8 ? 8 : capacity * 2;
    auto* steps = static_cast<Step*>(mm::allocate(wanted * sizeof(Step)));
    if (!steps) return false;
    if (depth_) memcpy(steps, steps_, depth_ * sizeof(Step));
    mm::free(steps_);
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
    if (!reserve(depth_ + 1)) return error(Errno::enomem);
    char* copy = static_cast<char*>(mm::allocate(name.length ? name.length : 1));
    if (!copy) return error(Errno::enomem);
    memcpy(copy, name.text, name.length);
    child.retain();
    steps_[depth_++] = Step{&child, copy, name.length};
    return {};
}

void Location::leave_step() {
    Step& step = steps_[--depth_];
    mm::free(step.name);
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
        memcpy(buffer + length, step.name, step.name_length);
        length += step.name_length;
    }
    return true;
}

}  // namespace eremite::fs
