#include "lib/random.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/chacha20.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "sync/spinlock.hpp"

namespace eremite::random {
namespace {

SpinLock lock;
uint32_t key[8];
uint32_t counter = 0;
bool seeded = false;

// CPUID traps on kvm-pvm (about 8 µs here): ask once.
bool has_rdseed = false, has_rdrand = false;

// One 64-bit value from RDSEED (straight from the entropy source), else from RDRAND (a
// generator the same source reseeds). Either may run dry for a moment: a few retries.
// All zeroes or all ones count as failure: some AMD parts return ~0 with CF set after
// a suspend, and a stuck source looks the same.
bool hardware_random(uint64_t& value) {
    for (int attempt = 0; has_rdseed && attempt < 10; ++attempt) {
        unsigned char ok = 0;
        asm volatile("rdseed %0; setc %1" : "=r"(value), "=qm"(ok));
        if (ok && value != 0 && value != ~0ull) return true;
        arch::pause();
    }
    for (int attempt = 0; has_rdrand && attempt < 10; ++attempt) {
        unsigned char ok = 0;
        asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        if (ok && value != 0 && value != ~0ull) return true;
    }
    return false;
}

}  // namespace

bool init(const uint8_t host_seed[32]) {
    bool host_seeded = false, cpu_seeded = true;
    {
        LockGuard guard(lock);
        for (int i = 0; i < 32; ++i) host_seeded |= host_seed[i] != 0;
        memcpy(key, host_seed, sizeof key);
        has_rdseed = arch::cpuid(7).ebx & (1u << 18);
        has_rdrand = arch::cpuid(1).ecx & (1u << 30);
        for (int i = 0; i < 4; ++i) {
            uint64_t value;
            if (!hardware_random(value)) {
                cpu_seeded = false;
                break;
            }
            key[2 * i] ^= static_cast<uint32_t>(value);
            key[2 * i + 1] ^= static_cast<uint32_t>(value >> 32);
        }
        seeded = host_seeded || cpu_seeded;
    }
    // Either source alone is strong (the host's getrandom, or the CPU's); the missing one
    // is said out loud, never made up for with something weaker. With neither the kernel
    // refuses to run (kernel_main).
    if (!cpu_seeded)
        log::warn(has_rdseed || has_rdrand ? "random: RDSEED/RDRAND failed; keyed from the hypervisor's seed alone"
                                           : "random: this CPU has no RDSEED/RDRAND; keyed from the hypervisor's seed "
                                             "alone");
    if (!host_seeded) log::warn("random: the hypervisor gave no seed; keyed from RDSEED/RDRAND alone");
    return seeded;
}

bool ready() { return seeded; }

void fill(void* buffer, size_t length) {
    LockGuard guard(lock);
    static const uint32_t nonce[3] = {0, 0, 0};
    auto* out = static_cast<uint8_t*>(buffer);
    while (length) {
        // Fast key erasure: each block's first 32 bytes replace the key, so earlier output
        // cannot be reconstructed from the state later.
        uint8_t block[64];
        chacha20_block(key, counter++, nonce, block);
        memcpy(key, block, 32);
        size_t chunk = length < 32 ? length : 32;
        memcpy(out, block + 32, chunk);
        memset(block, 0, sizeof block);
        out += chunk;
        length -= chunk;
    }
}

}  // namespace eremite::random
