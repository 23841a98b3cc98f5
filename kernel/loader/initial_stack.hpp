// The initial process stack, laid out exactly as Linux's execve leaves it
// (fs/binfmt_elf.c, create_elf_tables): from the top, the executable's name, the
// environment and argument strings, the platform string and 16 random bytes, then
// (16-byte aligned) argc, argv[], NULL, envp[], NULL, the auxiliary vector ending in
// AT_NULL. Pure logic over a caller-provided buffer, so it is tested on the host.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace eremite::loader {

// Auxiliary vector types (include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h).
enum AuxType : uint64_t {
    at_null = 0,
    at_phdr = 3,
    at_phent = 4,
    at_phnum = 5,
    at_pagesz = 6,
    at_base = 7,
    at_flags = 8,
    at_entry = 9,
    at_uid = 11,
    at_euid = 12,
    at_gid = 13,
    at_egid = 14,
    at_platform = 15,
    at_hwcap = 16,
    at_clktck = 17,
    at_secure = 23,
    at_random = 25,
    at_hwcap2 = 26,
    at_execfn = 31,
    at_sysinfo_ehdr = 33,
    at_minsigstksz = 51,
};

struct AuxEntry {
    uint64_t type;
    uint64_t value;
};

struct InitialStackSpec {
    const char* const* argv = nullptr;
    size_t argc = 0;
    const char* const* envp = nullptr;
    size_t envc = 0;
    const char* execfn = nullptr;     // AT_EXECFN: the name the program was started by
    const char* platform = nullptr;   // AT_PLATFORM, e.g. "x86_64"
    const uint8_t* random = nullptr;  // 16 bytes for AT_RANDOM
    // Everything else; AT_RANDOM, AT_EXECFN, AT_PLATFORM and AT_NULL are added here.
    const AuxEntry* aux = nullptr;
    size_t aux_count = 0;
};

struct InitialStack {
    bool fits = false;           // false: the strings and vectors do not fit (E2BIG)
    uint64_t stack_pointer = 0;  // the app's %rsp at its entry point, pointing at argc
};

// Writes the stack into `memory`, which is the kernel's view of the app addresses
// [top - size, top); `top` must be 16-byte aligned.
InitialStack build_initial_stack(uint8_t* memory, uint64_t top, uint64_t size, const InitialStackSpec& spec);

}  // namespace eremite::loader
