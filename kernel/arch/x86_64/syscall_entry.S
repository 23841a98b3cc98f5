// The syscall entries. The app runs in ring 0 with the kernel, so a system call never
// changes privilege: it arrives either through the `syscall` instruction (jumping to
// LSTAR with %rcx = return address and %r11 = RFLAGS, on the app's own stack) or, where
// ehyve's load-time pass rewrote the site (abi.hpp, "Syscall rewriting"), as a plain
// `call` that pushed a return address into the app's red zone, which the pass proved
// unused there. The app owns the 128-byte red zone below its %rsp: nothing else is
// pushed before the switch to the thread's kernel stack. Every path builds the same
// frame and leaves through syscall_return with a plain `jmp *%rcx`, %rcx = return
// address and %r11 = RFLAGS as Linux leaves them; sysretq and swapgs both trap on kvm-pvm
// and neither is needed in ring 0. No privileged instruction runs on these paths unless
// an interrupt became pending while the flag was clear.
//
// Frame (SyscallFrame in linux/syscall.hpp), from the lowest address:
//   r15 r14 r13 r12 rbp rbx r9 r8 r10 rdx rsi rdi number rip rflags rsp

#define PER_CPU_KERNEL_STACK 8
#define PER_CPU_USER_STACK 16
#define PER_CPU_VIF 24
#define PER_CPU_HOST_IS_KVM_PVM 80
#define RFLAGS_IF 0x200
#define RFLAGS_CALLED 0x202         /* IF and the reserved bit: what a called entry records */

// The general registers of a SyscallFrame below the number (lowest address last pushed).
.macro SAVE_ARGUMENTS_AND_CALLEE_SAVED
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
.endm

// Interrupts on again on kvm-pvm: the vif byte, and one trapping `sti` only when an
// interrupt became pending while they were off (%r11 is scratch).
.macro VIF_ENABLE_INTERRUPTS
    mov %gs:PER_CPU_VIF, %r11
    movb $1, (%r11)
    cmpb $0, 1(%r11)
    je 9f
    sti
9:
.endm

.macro RESTORE_ARGUMENTS_AND_CALLEE_SAVED
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
.endm

    .text
    .balign 64
// The entry windows: the first two instructions of each entry run on the app's stack
// with its pointer parked in per-CPU scratch. An interrupt anywhere in
// [syscall_entry_windows, syscall_entry_windows_end) is taken as an interrupt of the
// app (interrupt_entry.S) and never switches threads (interrupts.cpp), so nothing lands
// in the app's red zone and the scratch slot stays this thread's. The `syscall`
// instruction clears the interrupt flag (SFMASK); the called entries keep the app's
// (on) and rely on the window rule alone.
    .globl syscall_entry_windows, syscall_entry_windows_end
    .globl syscall_entry, syscall_direct_entry, syscall_rax_entry
syscall_entry_windows:
syscall_entry:                  // the `syscall` instruction (LSTAR)
    mov %rsp, %gs:PER_CPU_USER_STACK
    mov %gs:PER_CPU_KERNEL_STACK, %rsp
    jmp syscall_trapped
syscall_direct_entry:           // from a direct stub: %eax = number, [%rsp] = return address
    mov %rsp, %gs:PER_CPU_USER_STACK
    mov %gs:PER_CPU_KERNEL_STACK, %rsp
    jmp syscall_called_direct
syscall_rax_entry:              // from page 0's slide after `call *%rax`
    mov %rsp, %gs:PER_CPU_USER_STACK
    mov %gs:PER_CPU_KERNEL_STACK, %rsp
    jmp syscall_called_through_rax
syscall_entry_windows_end:

// A rewritten site: the call pushed the return address, so the app's own %rsp is 8
// higher. The return skips the `syscall` that follows a direct call (2 bytes). The app
// called with interrupts on, and no ABI keeps the arithmetic flags across a syscall: the
// frame records RFLAGS_CALLED, and the return (syscall_return_called) needs no popfq.
syscall_called_direct:
    mov %gs:PER_CPU_USER_STACK, %rcx
    lea 8(%rcx), %r11
    push %r11                   // rsp
    push $RFLAGS_CALLED         // rflags
    mov (%rcx), %rcx
    add $2, %rcx
    push %rcx                   // rip
    push %rax                   // number
    SAVE_ARGUMENTS_AND_CALLEE_SAVED
    mov %rsp, %rdi
    call syscall_dispatch_direct
    jmp syscall_return_called

syscall_called_through_rax:
    mov %gs:PER_CPU_USER_STACK, %rcx
    lea 8(%rcx), %r11
    push %r11
    push $RFLAGS_CALLED
    push (%rcx)                 // rip: the call's return address
    push %rax
    SAVE_ARGUMENTS_AND_CALLEE_SAVED
    mov %rsp, %rdi
    call syscall_dispatch_through_rax
    jmp syscall_return_called

syscall_trapped:
    push %gs:PER_CPU_USER_STACK
    push %r11
    push %rcx
    push %rax
    SAVE_ARGUMENTS_AND_CALLEE_SAVED
    mov %rsp, %rdi
    call syscall_dispatch       // returns the result in %rax
    .globl syscall_return
syscall_return:
    RESTORE_ARGUMENTS_AND_CALLEE_SAVED
    add $8, %rsp                // the syscall number
    pop %rcx                    // return address
    // Restore the app's interrupt flag. On kvm-pvm `popfq` cannot set IF (the vCPU
    // runs in hardware ring 3): the flag is vif.interrupts_enabled, and an interrupt
    // that arrived meanwhile is delivered by one trapping `sti`. On plain x86 the vif
    // page is private and `pending` is never set, so the `sti` never runs and `popfq`
    // restores IF itself.
    testl $RFLAGS_IF, (%rsp)
    jz 1f
    VIF_ENABLE_INTERRUPTS
1:
    mov (%rsp), %r11            // Linux returns RFLAGS in %r11
    popfq
    pop %rsp
    // Here the stack pointer is already the app's: an interrupt arriving at this last
    // instruction is handled as an interrupt of the app (interrupt_entry.S checks it).
    .globl syscall_exit_window, syscall_exit_window_end
syscall_exit_window:
    jmp *%rcx
// The called entries' return, on the app's stack with interrupts still off: it turns them
// on (the vif byte on kvm-pvm, plus one trapping `sti` only when an interrupt is pending;
// `sti`, whose shadow covers the jump, on plain x86). An interrupt here is an interrupt of
// the app: its frame goes to the (now empty) kernel stack, and it may switch threads; the
// pending check may then read the old CPU's vif, which is harmless (the interrupt's own
// return turned the flag on where the thread resumes).
syscall_called_exit:
    cmpq $0, %gs:PER_CPU_HOST_IS_KVM_PVM
    je 2f
    VIF_ENABLE_INTERRUPTS
    mov $RFLAGS_CALLED, %r11d       // as Linux leaves %r11
    jmp *%rcx
2:  mov $RFLAGS_CALLED, %r11d
    sti
    jmp *%rcx
syscall_exit_window_end:

syscall_return_called:
    RESTORE_ARGUMENTS_AND_CALLEE_SAVED
    add $8, %rsp                // the syscall number
    pop %rcx                    // return address
    add $8, %rsp                // rflags (RFLAGS_CALLED)
    pop %rsp                    // interrupts stay off until syscall_called_exit
    jmp syscall_called_exit
