#include "loader/initial_stack.hpp"

namespace eremite::loader {
namespace {

// Fills the buffer downwards from the top and tracks the app address of each write.
class Writer {
public:
    Writer(uint8_t* memory, uint64_t top, uint64_t size) : memory_(memory), top_(top), size_(size), cursor_(top) {}

    bool ok() const { return ok_; }
    uint64_t cursor() const { return cursor_; }

    uint64_t push_bytes(const void* bytes, uint64_t length) {
        if (!ok_ || length > cursor_ - (top_ - size_)) {
            ok_ = false;
            return 0;
        }
        cursor_ -= length;
        __builtin_memcpy(memory_ + (cursor_ - (top_ - size_)), bytes, length);
        return cursor_;
    }
    uint64_t push_string(const char* s) { return push_bytes(s, __builtin_strlen(s) + 1); }
    void align_down(uint64_t alignment) {
        uint64_t aligned = cursor_ & ~(alignment - 1);
        if (aligned < top_ - size_)
            ok_ = false;
        else
            cursor_ = aligned;
    }
    void reserve(uint64_t bytes) {
        if (!ok_ || bytes > cursor_ - (top_ - size_))
            ok_ = false;
        else
            cursor_ -= bytes;
    }
    void store(uint64_t address, uint64_t value) {
        __builtin_memcpy(memory_ + (address - (top_ - size_)), &value, sizeof value);
    }

private:
    uint8_t* memory_;
    uint64_t top_, size_, cursor_;
    bool ok_ = true;
};

}  // namespace

InitialStack build_initial_stack(uint8_t* memory, uint64_t top, uint64_t size, const InitialStackSpec& spec) {
    Writer w(memory, top, size);
    const uint64_t end_marker = 0;
    w.push_bytes(&end_marker, sizeof end_marker);
    uint64_t execfn = w.push_string(spec.execfn ? spec.execfn : "");

    // Strings go in reverse so that argv[0] ends up lowest, as Linux copies them.
    for (size_t i = spec.envc; i-- > 0;) w.push_string(spec.envp[i]);
    for (size_t i = spec.argc; i-- > 0;) w.push_string(spec.argv[i]);
    uint64_t strings_start = w.cursor();

    uint64_t platform = spec.platform ? w.push_string(spec.platform) : 0;
    static const uint8_t zero_random[16] = {};
    uint64_t random = w.push_bytes(spec.random ? spec.random : zero_random, 16);

    size_t aux_total = spec.aux_count + 3 + (platform ? 1 : 0);
    size_t words = 1 + spec.argc + 1 + spec.envc + 1 + 2 * aux_total;
    w.align_down(16);
    if (words % 2) w.reserve(8);  // so that %rsp (pointing at argc) ends 16-byte aligned
    w.reserve(words * 8);
    if (!w.ok()) return InitialStack{};

    uint64_t sp = w.cursor();
    uint64_t slot = sp;
    auto put = [&](uint64_t value) {
        w.store(slot, value);
        slot += 8;
    };
    put(spec.argc);
    uint64_t string = strings_start;
    for (size_t i = 0; i < spec.argc; ++i) {
        put(string);
        string += __builtin_strlen(spec.argv[i]) + 1;
    }
    put(0);
    for (size_t i = 0; i < spec.envc; ++i) {
        put(string);
        string += __builtin_strlen(spec.envp[i]) + 1;
    }
    put(0);
    for (size_t i = 0; i < spec.aux_count; ++i) {
        put(spec.aux[i].type);
        put(spec.aux[i].value);
    }
    put(at_random);
    put(random);
    put(at_execfn);
    put(execfn);
    if (platform) {
        put(at_platform);
        put(platform);
    }
    put(at_null);
    put(0);
    return InitialStack{true, sp};
}

}  // namespace eremite::loader
