// The kernel's cryptographic random generator: ChaCha20 (RFC 8439) in a fast key
// erasure construction, keyed from the hypervisor's seed (the host's getrandom) mixed
// with RDSEED/RDRAND where the CPU has them. Without a seed from the host or the CPU it
// refuses to generate rather than fall back to something weak.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::random {

// Returns false when no entropy source at all was available.
bool init(const uint8_t host_seed[32]);
bool ready();
void fill(void* buffer, size_t length);

}  // namespace eremite::random
