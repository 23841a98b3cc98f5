// memcpy bandwidth for 4 KiB, 1 MiB and 16 MiB buffers: bytes copied per second
// in GB/s (10^9 bytes), median of several batches. The buffers are touched
// before timing, so first-touch page faults are not counted.
#include "bench.h"

static char* src;
static char* dst;

static void batch(long iters, void* ctx) {
    size_t size = *(const size_t*)ctx;
    for (long i = 0; i < iters; ++i) {
        memcpy(dst, src, size);
        sink(dst);
    }
}

int main(void) {
    bench_name = "memcpy_bw";
    const size_t max = 16u << 20;
    src = aligned_alloc(4096, max);
    dst = aligned_alloc(4096, max);
    if (!src || !dst) die("allocating 2 x %zu bytes failed", max);
    memset(src, 0x5a, max);
    memset(dst, 0, max);

    static const struct { size_t size; const char* name; } sizes[] = {
        {4u << 10, "memcpy_4k_gbps"}, {1u << 20, "memcpy_1m_gbps"}, {16u << 20, "memcpy_16m_gbps"}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
        size_t size = sizes[i].size;
        double ns = ns_per_op(batch, &size, 20, 11);
        if (dst[size - 1] != 0x5a) die("memcpy of %zu bytes did not copy", size);
        result(sizes[i].name, (double)size / ns);
    }
    free(src);
    free(dst);
    return finish();
}
