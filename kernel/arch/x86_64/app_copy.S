// The only instructions through which the kernel touches app memory on the app's behalf.
// Each instruction that may fault on an app address is listed in .app_fixups with the
// place to continue when the fault is not demand paging (unmapped, protected, or unmapped
// by another thread meanwhile): the #PF handler moves the faulting RIP there
// (interrupts.cpp), so a bad pointer becomes EFAULT instead of a kernel crash. The C++
// side (linux/app_access.cpp) checks that ranges lie in the app half first.
//
// The "_locked" variants are for callers holding a spinlock with interrupts off (the
// futex buckets): a fault there does not page anything in (that takes the app memory
// lock, whose holder may be waiting for this CPU), it just fails; the caller drops its
// lock, faults the word in with the plain variant and retries, as Linux's futexes do.

    .macro APP_FIXUP fault, resume, page_in=1
    .pushsection .app_fixups, "a"
    .balign 8
    .quad \fault, \resume, \page_in
    .popsection
    .endm

    .text

// uint64_t app_copy_bytes(void* to, const void* from, uint64_t length): the bytes NOT
// copied (0 on success). rep movsb is interruptible: on a fault %rcx holds what is left.
    .globl app_copy_bytes
app_copy_bytes:
    mov %rdx, %rcx
1:  rep movsb
    xor %eax, %eax
    ret
2:  mov %rcx, %rax
    ret
    APP_FIXUP 1b, 2b

// uint64_t app_clear_bytes(void* to, uint64_t length): the bytes NOT zeroed.
    .globl app_clear_bytes
app_clear_bytes:
    mov %rsi, %rcx
    xor %eax, %eax
1:  rep stosb
    ret
2:  mov %rcx, %rax
    ret
    APP_FIXUP 1b, 2b

// int64_t app_copy_string(char* to, const char* from, uint64_t capacity): the length of
// the string copied with its NUL, `capacity` when no NUL came within it, -1 on a fault.
    .globl app_copy_string
app_copy_string:
    xor %eax, %eax
3:  cmp %rdx, %rax
    jae 5f
1:  movzbl (%rsi,%rax), %ecx
    mov %cl, (%rdi,%rax)
    test %cl, %cl
    jz 4f
    inc %rax
    jmp 3b
4:  ret
5:  mov %rdx, %rax
    ret
2:  mov $-1, %rax
    ret
    APP_FIXUP 1b, 2b

// bool app_load_u32(const uint32_t* from, uint32_t* value), and its _locked variant.
    .macro APP_LOAD_U32 name, page_in
    .globl \name
\name:
1:  mov (%rdi), %eax
    mov %eax, (%rsi)
    mov $1, %eax
    ret
2:  xor %eax, %eax
    ret
    APP_FIXUP 1b, 2b, \page_in
    .endm
    APP_LOAD_U32 app_load_u32, 1
    APP_LOAD_U32 app_load_u32_locked, 0

// bool app_store_u32(uint32_t* to, uint32_t value)
    .globl app_store_u32
app_store_u32:
1:  mov %esi, (%rdi)
    mov $1, %eax
    ret
2:  xor %eax, %eax
    ret
    APP_FIXUP 1b, 2b

// bool app_compare_exchange_u32(uint32_t* word, uint32_t* expected, uint32_t desired):
// as __atomic_compare_exchange_n (seq_cst); *expected receives the value seen. False
// on a fault; the caller compares *expected to know whether the exchange happened.
// And its _locked variant.
    .macro APP_COMPARE_EXCHANGE_U32 name, page_in
    .globl \name
\name:
    mov (%rsi), %eax
1:  lock cmpxchg %edx, (%rdi)
    mov %eax, (%rsi)
    mov $1, %eax
    ret
2:  xor %eax, %eax
    ret
    APP_FIXUP 1b, 2b, \page_in
    .endm
    APP_COMPARE_EXCHANGE_U32 app_compare_exchange_u32, 1
    APP_COMPARE_EXCHANGE_U32 app_compare_exchange_u32_locked, 0
