// Small integers handed to the guest in place of host objects (the host_file hypercall's
// handles). The guest is hostile: a handle it passes may be 0, huge, released, never
// given out, or released by another vCPU while this one still uses it. So handles are
// looked up, never trusted, and an object lives on (its fd stays open, its number unused
// by anything else) until the last vCPU that found it is done with it: the table holds
// shared_ptrs and `find` hands out a copy. Every vCPU thread may call every member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace ehyve {

template <typename T>
class HandleTable {
public:
    // At most `capacity` handles live at once; they are 1 .. capacity (0 is never a handle).
    explicit HandleTable(size_t capacity) : capacity_(capacity) {}

    // The new object's handle, or 0 when the table is full.
    uint64_t insert(std::shared_ptr<T> object) {
        std::lock_guard<std::mutex> guard(mutex_);
        size_t index;
        if (!free_.empty()) {
            index = free_.back();
            free_.pop_back();
        } else if (slots_.size() < capacity_) {
            index = slots_.size();
            slots_.emplace_back();
        } else {
            return 0;
        }
        slots_[index] = std::move(object);
        ++used_;
        return index + 1;
    }

    // The object, or null when `handle` names none.
    std::shared_ptr<T> find(uint64_t handle) const {
        std::lock_guard<std::mutex> guard(mutex_);
        if (handle == 0 || handle > slots_.size()) return nullptr;
        return slots_[handle - 1];
    }

    // Forgets the handle; false when it named nothing. The object goes when its last
    // user lets go.
    bool remove(uint64_t handle) {
        std::shared_ptr<T> released;  // destroyed after the lock is dropped
        std::lock_guard<std::mutex> guard(mutex_);
        if (handle == 0 || handle > slots_.size() || !slots_[handle - 1]) return false;
        released = std::move(slots_[handle - 1]);
        slots_[handle - 1] = nullptr;
        free_.push_back(handle - 1);
        --used_;
        return true;
    }

    size_t size() const {
        std::lock_guard<std::mutex> guard(mutex_);
        return used_;
    }
    size_t capacity() const { return capacity_; }

private:
    const size_t capacity_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<T>> slots_;  // grows on demand up to capacity_
    std::vector<size_t> free_;               // released slots, reused first
    size_t used_ = 0;
};

}  // namespace ehyve
