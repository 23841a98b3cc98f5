// malloc/free: ns per malloc+free pair for 64 B and 64 KiB blocks (one byte of
// each block is written), median of several batches.
#include "bench.h"

static void batch(long iters, void* ctx) {
    size_t size = *(const size_t*)ctx;
    for (long i = 0; i < iters; ++i) {
        char* p = malloc(size);
        if (!p) die("malloc(%zu) failed", size);
        *(volatile char*)p = (char)i;
        sink(p);
        free(p);
    }
}

int main(void) {
    bench_name = "malloc_free";
    size_t small = 64, big = 64 * 1024;
    result("malloc_free_64_ns", ns_per_op(batch, &small, 20, 11));
    result("malloc_free_64k_ns", ns_per_op(batch, &big, 20, 11));
    return finish();
}
