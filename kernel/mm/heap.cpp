#include "mm/heap.hpp"

#include "lib/utility.hpp"

namespace eremite::mm {
namespace {

struct Header {
    uint64_t size_class;  // index into the free lists, or large_marker
    uint64_t pages;       // for large blocks: pages in the run
};
static_assert(sizeof(Header) == Heap::header_size);
constexpr uint64_t large_marker = ~0ull;

constexpr size_t class_bytes(size_t size_class) { return size_t{16} << size_class; }

}  // namespace

void* Heap::allocate(size_t size) {
    size_t total = size + header_size;
    if (total < size) return nullptr;
    size_t size_class = 0;
    while (size_class < class_count && class_bytes(size_class) < total) ++size_class;

    if (size_class == class_count) {
        if (total > SIZE_MAX - page_size) return nullptr;  // the page count would wrap to 0
        uint64_t pages = align_up(total, page_size) / page_size;
        auto* header = static_cast<Header*>(source_.allocate_pages(pages));
        if (!header) return nullptr;
        header->size_class = large_marker;
        header->pages = pages;
        bytes_in_use_ += pages * page_size;
        return reinterpret_cast<uint8_t*>(header) + header_size;
    }

    if (!free_lists_[size_class]) {
        auto* page = static_cast<uint8_t*>(source_.allocate_pages(1));
        if (!page) return nullptr;
        for (size_t offset = 0; offset + class_bytes(size_class) <= page_size; offset += class_bytes(size_class)) {
            auto* block = reinterpret_cast<FreeBlock*>(page + offset);
            block->next = free_lists_[size_class];
            free_lists_[size_class] = block;
        }
    }
    FreeBlock* block = free_lists_[size_class];
    free_lists_[size_class] = block->next;
    auto* header = reinterpret_cast<Header*>(block);
    header->size_class = size_class;
    header->pages = 0;
    bytes_in_use_ += class_bytes(size_class);
    return reinterpret_cast<uint8_t*>(header) + header_size;
}

void Heap::free(void* pointer) {
    if (!pointer) return;
    auto* header = reinterpret_cast<Header*>(static_cast<uint8_t*>(pointer) - header_size);
    if (header->size_class == large_marker) {
        bytes_in_use_ -= header->pages * page_size;
        source_.free_pages(header, header->pages);
        return;
    }
    size_t size_class = header->size_class;
    bytes_in_use_ -= class_bytes(size_class);
    auto* block = reinterpret_cast<FreeBlock*>(header);
    block->next = free_lists_[size_class];
    free_lists_[size_class] = block;
}

}  // namespace eremite::mm
