// getrandom(2) from the kernel's ChaCha20 generator.
#include "lib/random.hpp"
#include "lib/utility.hpp"
#include "linux/syscall.hpp"

namespace eremite::linux {

int64_t sys_getrandom(const SyscallArgs& args) {
    constexpr uint64_t grnd_nonblock = 1, grnd_random = 2, grnd_insecure = 4;
    uint64_t flags = args[2];
    if (flags & ~(grnd_nonblock | grnd_random | grnd_insecure)) return failure(Errno::einval);
    if ((flags & grnd_random) && (flags & grnd_insecure)) return failure(Errno::einval);
    if (!random::ready()) return failure(Errno::eagain);
    uint64_t length = min<uint64_t>(args[1], 33554431);  // Linux's per-call cap (INT_MAX >> 6)
    auto* out = args.pointer<uint8_t>(0);
    if (!in_app_half(out, length)) return failure(Errno::efault);
    // Generated into a kernel buffer and copied out: what was copied before a bad page
    // counts, as on Linux.
    uint8_t chunk[512];
    for (uint64_t done = 0; done < length;) {
        uint64_t size = min<uint64_t>(length - done, sizeof chunk);
        random::fill(chunk, size);
        if (!copy_to_app(out + done, chunk, size)) return done ? static_cast<int64_t>(done) : failure(Errno::efault);
        done += size;
    }
    return static_cast<int64_t>(length);
}

}  // namespace eremite::linux
