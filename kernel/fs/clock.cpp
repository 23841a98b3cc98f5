#include "fs/clock.hpp"

namespace eremite::fs {
namespace {

Timestamp (*clock_function)() = nullptr;

}  // namespace

void set_clock(Timestamp (*now)()) { __atomic_store_n(&clock_function, now, __ATOMIC_RELEASE); }

Timestamp current_time() {
    Timestamp (*now)() = __atomic_load_n(&clock_function, __ATOMIC_ACQUIRE);
    return now ? now() : Timestamp{};
}

}  // namespace eremite::fs
