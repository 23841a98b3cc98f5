#include "lib/chacha20.hpp"

namespace eremite {
namespace {

constexpr uint32_t rotate(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

void quarter_round(uint32_t* x, int a, int b, int c, int d) {
    x[a] += x[b];
    x[d] = rotate(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = rotate(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = rotate(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = rotate(x[b] ^ x[c], 7);
}

}  // namespace

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]) {
    uint32_t state[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    for (int i = 0; i < 8; ++i) state[4 + i] = key[i];
    state[12] = counter;
    for (int i = 0; i < 3; ++i) state[13 + i] = nonce[i];
    uint32_t x[16];
    for (int i = 0; i < 16; ++i) x[i] = state[i];
    for (int round = 0; round < 10; ++round) {
        quarter_round(x, 0, 4, 8, 12);
        quarter_round(x, 1, 5, 9, 13);
        quarter_round(x, 2, 6, 10, 14);
        quarter_round(x, 3, 7, 11, 15);
        quarter_round(x, 0, 5, 10, 15);
        quarter_round(x, 1, 6, 11, 12);
        quarter_round(x, 2, 7, 8, 13);
        quarter_round(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; ++i) {
        uint32_t word = x[i] + state[i];  // little-endian serialisation
        out[4 * i] = static_cast<uint8_t>(word);
        out[4 * i + 1] = static_cast<uint8_t>(word >> 8);
        out[4 * i + 2] = static_cast<uint8_t>(word >> 16);
        out[4 * i + 3] = static_cast<uint8_t>(word >> 24);
    }
}

}  // namespace eremite
