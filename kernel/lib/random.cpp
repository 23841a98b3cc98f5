#include "lib/random.hpp"

#include "arch/x86_64/cpu.hpp"
#include "lib/chacha20.hpp"
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

bool hardware_random(uint64_t& value) {
    for (int attempt = 0; attempt < 10; ++attempt) {
        unsigned char ok = 0;
        if (has_rdseed)
            asm volatile("rdseed %0; setc %1" : "=r"(value), "=qm"(ok));
        else if (has_rdrand)
            asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        else
            return false;
        if (ok) return true;
    }
    return false;
}

}  // namespace

bool init(const uint8_t host_seed[32]) {
    LockGuard guard(lock);
    bool host_seeded = false;
    for (int i = 0; i < 32; ++i) host_seeded |= host_seed[i] != 0;
    memcpy(key, host_seed, sizeof key);
    has_rdseed = arch::cpuid(7).ebx & (1u << 18);
    has_rdrand = arch::cpuid(1).ecx & (1u << 30);
    bool cpu_seeded = true;
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
