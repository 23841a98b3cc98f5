// The ChaCha20 block function (RFC 8439, section 2.3). Pure logic, tested on the host
// against the RFC's test vector.
#pragma once

#include <stdint.h>

namespace eremite {

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

}  // namespace eremite
