// Thread switches. switch_context saves the callee-saved registers on the old thread's
// kernel stack, records its stack pointer, moves to the new thread's stack and returns
// there. Caller-saved registers are the C++ caller's business; the extended state and FS
// base are switched in C++ (sched/scheduler.cpp) before this runs.

    .text

// void switch_context(uint64_t* save_rsp, uint64_t new_rsp, volatile bool* previous_on_cpu)
    .globl switch_context
switch_context:
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    // Only now is the old stack free: another CPU may run the old thread from here on.
    movb $0, (%rdx)
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    ret

// void run_on_stack(uint64_t stack_top, void (*function)()): calls `function`, which never
// returns, on a fresh stack (a CPU's idle thread leaves its boot stack this way).
    .globl run_on_stack
run_on_stack:
    mov %rdi, %rsp
    xor %ebp, %ebp
    call *%rsi
    ud2

// The first run of a thread made by clone: its kernel stack holds a copy of the parent's
// SyscallFrame; it returns from the same syscall with 0.
    .globl return_from_clone
return_from_clone:
    call thread_first_run
    call park_if_exiting  // a thread born while the process exits never runs app code
    xor %eax, %eax
    jmp syscall_return

// The first run of the app's main thread: %r12 = entry point, %r13 = stack pointer.
    .globl start_app_thread
start_app_thread:
    call thread_first_run
    call app_entry_hook
    mov %r12, %rdi
    mov %r13, %rsi
    jmp enter_app

// The first run of a kernel thread (sched/thread.cpp): %r12 = entry, %r13 = argument.
    .globl start_kernel_thread_trampoline
start_kernel_thread_trampoline:
    call thread_first_run
    mov %r12, %rdi
    mov %r13, %rsi
    call run_kernel_thread
    ud2
