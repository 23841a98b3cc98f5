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
    if (!app_writable(args.pointer<void>(0), length)) return failure(Errno::efault);
    random::fill(args.pointer<void>(0), length);
    return static_cast<int64_t>(length);
}

}  // namespace eremite::linux
