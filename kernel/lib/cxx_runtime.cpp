// The little C++ runtime a freestanding kernel needs: allocation operators on the kernel
// heap, and the hooks the compiler calls for static objects and pure virtual calls.
#include <stddef.h>

#include "lib/log.hpp"
#include "mm/memory.hpp"

void* operator new(size_t size) { return eremite::mm::allocate(size); }
void* operator new[](size_t size) { return eremite::mm::allocate(size); }
void operator delete(void* pointer) noexcept { eremite::mm::free(pointer); }
void operator delete[](void* pointer) noexcept { eremite::mm::free(pointer); }
void operator delete(void* pointer, size_t) noexcept { eremite::mm::free(pointer); }
void operator delete[](void* pointer, size_t) noexcept { eremite::mm::free(pointer); }

extern "C" {
void* __dso_handle = nullptr;
// Static destructors never run: the kernel ends by ending the VM.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void __cxa_pure_virtual() { eremite::panic("pure virtual function called"); }
}
