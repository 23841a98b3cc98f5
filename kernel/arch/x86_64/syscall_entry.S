// The `syscall` entry. The app runs in ring 0 with the kernel, so `syscall` only jumps
// here with %rcx = return address and %r11 = RFLAGS, on the app's own stack. The app
// owns the 128-byte red zone below its %rsp: nothing is pushed before the switch to the
// thread's kernel stack. The return is a plain `jmp *%rcx`: sysretq and swapgs both
// trap on kvm-pvm and neither is needed in ring 0. No privileged instruction runs on
// this path unless an interrupt became pending while the flag was clear.
//
// Frame (SyscallFrame in linux/syscall.hpp), from the lowest address:
//   r15 r14 r13 r12 rbp rbx r9 r8 r10 rdx rsi rdi number rip rflags rsp

#define PER_CPU_KERNEL_STACK 8
#define PER_CPU_USER_STACK 16
#define PER_CPU_VIF 24
#define RFLAGS_IF 0x200

    .text
    .globl syscall_entry
    .balign 64
syscall_entry:
    // Until the stack switch below the stack pointer is the app's. The interrupt flag is
    // already clear here (SFMASK), but should an interrupt still be delivered at these
    // two instructions, interrupt_entry.S treats it as an interrupt of the app
    // (syscall_entry_window), so nothing is written into the app's red zone.
    .globl syscall_entry_window_end
    mov %rsp, %gs:PER_CPU_USER_STACK
    mov %gs:PER_CPU_KERNEL_STACK, %rsp
syscall_entry_window_end:
    push %gs:PER_CPU_USER_STACK
    push %r11
    push %rcx
    push %rax
    push %rdi
    push %rsi
    push %rdx
    push %r10
    push %r8
    push %r9
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    call syscall_dispatch       // returns the result in %rax
    .globl syscall_return
syscall_return:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r9
    pop %r8
    pop %r10
    pop %rdx
    pop %rsi
    pop %rdi
    add $8, %rsp                // the syscall number
    pop %rcx                    // return address
    // Restore the app's interrupt flag. On kvm-pvm `popfq` cannot set IF (the vCPU
    // runs in hardware ring 3): the flag is vif.interrupts_enabled, and an interrupt
    // that arrived meanwhile is delivered by one trapping `sti`. On plain x86 the vif
    // page is private and `pending` is never set, so the `sti` never runs and `popfq`
    // restores IF itself.
    testl $RFLAGS_IF, (%rsp)
    jz 1f
    mov %gs:PER_CPU_VIF, %r11
    movb $1, (%r11)
    cmpb $0, 1(%r11)
    je 1f
    sti
1:
    mov (%rsp), %r11            // Linux returns RFLAGS in %r11
    popfq
    pop %rsp
    // Here the stack pointer is already the app's: an interrupt arriving at this last
    // instruction is handled as an interrupt of the app (interrupt_entry.S checks it).
    .globl syscall_exit_window, syscall_exit_window_end
syscall_exit_window:
    jmp *%rcx
syscall_exit_window_end:
