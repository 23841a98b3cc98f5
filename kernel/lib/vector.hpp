// A growable array on the kernel heap, for the few places that need one. Elements must
// be trivially copyable (they are moved with memmove).
#pragma once

#include <stddef.h>

#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite {

template <typename T>
class Vector {
public:
    Vector() = default;
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;
    ~Vector() { mm::free(items_); }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T& operator[](size_t i) { return items_[i]; }
    const T& operator[](size_t i) const { return items_[i]; }
    T* begin() { return items_; }
    T* end() { return items_ + size_; }

    // Inserts before `index`; false when memory is exhausted.
    [[nodiscard]] bool insert(size_t index, const T& value) {
        if (size_ == capacity_ && !grow()) return false;
        memmove(items_ + index + 1, items_ + index, (size_ - index) * sizeof(T));
        items_[index] = value;
        ++size_;
        return true;
    }
    [[nodiscard]] bool push_back(const T& value) { return insert(size_, value); }

    void erase(size_t index, size_t count = 1) {
        memmove(items_ + index, items_ + index + count, (size_ - index - count) * sizeof(T));
        size_ -= count;
    }

private:
    bool grow() {
        size_t capacity = capacity_ ? capacity_ * 2 : 16;
        auto* items = static_cast<T*>(mm::allocate(capacity * sizeof(T)));
        if (!items) return false;
        if (items_) memcpy(items, items_, size_ * sizeof(T));
        mm::free(items_);
        items_ = items;
        capacity_ = capacity;
        return true;
    }

    T* items_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};

}  // namespace eremite
