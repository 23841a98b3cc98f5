// The Linux system-call edge. Handlers live by area (process.cpp, memory.cpp,
// console_files.cpp, time.cpp, signals.cpp, random.cpp, futex.cpp); syscall_table.inc
// names every x86-64 syscall number once, with its handler or none, and drives the
// dispatcher, the "not implemented" log line and the tracer (--strace).
#pragma once

#include <stdint.h>

#include "lib/errno.hpp"
#include "lib/result.hpp"
#include "linux/app_access.hpp"

namespace eremite::linux {

// What syscall_entry.S saved, lowest address first.
struct SyscallFrame {
    uint64_t r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi;
    uint64_t number, rip, rflags, rsp;
};

// Runs the syscall that `frame` describes and returns its result; every entry path
// (the `syscall` instruction, rewritten sites) ends here.
int64_t dispatch_syscall(SyscallFrame* frame);

// The frame of the syscall the current thread is in: syscall_entry.S pushes it at the
// very top of the thread's kernel stack.
SyscallFrame& current_syscall_frame();

struct SyscallArgs {
    uint64_t a[6];
    uint64_t operator[](int i) const { return a[i]; }
    template <typename T>
    T* pointer(int i) const {
        return reinterpret_cast<T*>(a[i]);
    }
    int32_t integer(int i) const { return static_cast<int32_t>(a[i]); }
};

using SyscallHandler = int64_t (*)(const SyscallArgs&);

inline int64_t failure(Errno e) { return -static_cast<int64_t>(e); }

template <typename T>
int64_t to_syscall_result(const Result<T>& result, int64_t value) {
    return result.ok() ? value : failure(result.error_code());
}

// Handlers, by area. Each returns the value the app sees in %rax (negative errno).
#define EREMITE_DECLARE_HANDLER(name) int64_t sys_##name(const SyscallArgs&);
#define SYSCALL(number, name, handler, args) handler
#define HANDLER(name) EREMITE_DECLARE_HANDLER(name)
#define NONE
#include "linux/syscall_table.inc"
#undef SYSCALL
#undef HANDLER
#undef NONE
#undef EREMITE_DECLARE_HANDLER

}  // namespace eremite::linux
