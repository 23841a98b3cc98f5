// fs/page_store.hpp for host builds of kernel logic: pages from aligned_alloc, counted,
// with a limit that tests lower to see ENOSPC.
#include <cstdlib>

#include "fs/page_store.hpp"
#include "page_store_on_host.hpp"

namespace eremite::fs::page_store {
namespace {

uint64_t limit = host::default_limit;
uint64_t used = 0;

}  // namespace

void* allocate() {
    uint64_t now = __atomic_add_fetch(&used, 1, __ATOMIC_RELAXED);
    if (now > __atomic_load_n(&limit, __ATOMIC_RELAXED)) {
        __atomic_sub_fetch(&used, 1, __ATOMIC_RELAXED);
        return nullptr;
    }
    void* page = std::aligned_alloc(4096, 4096);
    if (!page) __atomic_sub_fetch(&used, 1, __ATOMIC_RELAXED);
    return page;
}

void free(void* page) {
    std::free(page);
    __atomic_sub_fetch(&used, 1, __ATOMIC_RELAXED);
}

Usage usage() {
    uint64_t total = __atomic_load_n(&limit, __ATOMIC_RELAXED);
    uint64_t in_use = __atomic_load_n(&used, __ATOMIC_RELAXED);
    return Usage{total, total > in_use ? total - in_use : 0};
}

namespace host {
void set_limit(uint64_t pages) { __atomic_store_n(&limit, pages, __ATOMIC_RELAXED); }
uint64_t in_use() { return __atomic_load_n(&used, __ATOMIC_RELAXED); }
}  // namespace host

}  // namespace eremite::fs::page_store
