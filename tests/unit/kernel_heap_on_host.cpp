// The kernel heap's interface (mm/memory.hpp), backed by malloc for host builds of
// kernel logic that allocates (lib/vector.hpp).
#include <cstdlib>

#include "mm/memory.hpp"

namespace eremite::mm {

void* allocate(size_t size) { return std::malloc(size); }
void free(void* pointer) { std::free(pointer); }

}  // namespace eremite::mm
