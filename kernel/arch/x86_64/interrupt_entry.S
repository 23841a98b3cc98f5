// Interrupt and exception entry stubs, one per vector. Every gate uses an IST stack:
// the app runs in ring 0 and owns its red zone, so the CPU must never push onto the
// interrupted stack (on kvm-pvm the host does not switch stacks for app frames either).
// The common paths save the general registers into an InterruptFrame
// (arch/x86_64/interrupts.hpp).
//
// Exceptions (vectors 0-31) are handled on their IST stack and never switch threads.
// Interrupts (32-255) first move their frame off the IST stack, because the handler may
// switch threads and because on kvm-pvm `iretq` does not restore the interrupt flag: the
// handler sets it again before returning, and a new interrupt must not land on the same
// IST stack while the old frame is still there. The frame goes to the top of the thread's
// kernel stack when the app was interrupted (that stack is unused then), or just below
// the interrupted stack pointer when the kernel was (kernel code keeps no red zone).

#define FRAME_SIZE 176          /* sizeof(InterruptFrame) */
#define FRAME_RIP 136
#define FRAME_RSP 160
#define PER_CPU_KERNEL_STACK 8
#define PER_CPU_VIF 24

    .text

// The general registers of an InterruptFrame, in its order (lowest address last pushed).
.macro SAVE_REGISTERS
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro RESTORE_REGISTERS_BUT_RAX
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
.endm

// Vectors whose exceptions push an error code themselves.
.macro STUB vector
    .balign 16
interrupt_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    push $0
    .endif
    push $\vector
    .if \vector < 32
    jmp interrupt_common
    .else
    jmp irq_common
    .endif
.endm

.altmacro
.macro STUBS from, to
    STUB %from
    .if \to-\from
    STUBS %(from+1), \to
    .endif
.endm

    STUBS 0, 63
    STUBS 64, 127
    STUBS 128, 191
    STUBS 192, 255

interrupt_common:
    SAVE_REGISTERS
    mov %rsp, %rdi
    cld
    call interrupt_dispatch
    RESTORE_REGISTERS_BUT_RAX
    pop %rax
    add $16, %rsp               // vector and error code
    iretq

irq_common:
    SAVE_REGISTERS
    cld
    mov %rsp, %rsi
    mov FRAME_RIP(%rsi), %rax
    // The app was interrupted: its RIP is in the lower half, or it is at the first two
    // instructions of the syscall entry or the last one of its return, which run on the
    // app's stack.
    mov %rax, %rdx
    shr $47, %rdx
    jz 1f
    lea syscall_entry_windows(%rip), %rdx
    cmp %rdx, %rax
    jb 5f
    lea syscall_entry_windows_end(%rip), %rdx
    cmp %rdx, %rax
    jb 1f
5:  lea syscall_exit_window(%rip), %rdx
    cmp %rdx, %rax
    jb 2f
    lea syscall_exit_window_end(%rip), %rdx
    cmp %rdx, %rax
    jae 2f
1:  mov %gs:PER_CPU_KERNEL_STACK, %rdi
    jmp 3f
2:  mov FRAME_RSP(%rsi), %rdi
    and $-16, %rdi
3:  sub $FRAME_SIZE, %rdi
    mov %rdi, %rbx
    mov $FRAME_SIZE/8, %ecx
    rep movsq
    mov %rbx, %rsp
    mov %rsp, %rdi
    call irq_dispatch
    RESTORE_REGISTERS_BUT_RAX
    // Interrupts were enabled when this one arrived. On kvm-pvm set the flag again (and
    // take an interrupt that became pending meanwhile, now that the frame is safe); on
    // plain x86 `iretq` restores it and the private vif page never has `pending` set.
    mov %gs:PER_CPU_VIF, %rax
    movb $1, (%rax)
    cmpb $0, 1(%rax)
    je 4f
    sti
4:  pop %rax
    add $16, %rsp               // vector and error code
    iretq

// Halting until the next interrupt. On plain x86 `sti` delays interrupts by one
// instruction, so `sti; hlt` cannot miss one. On kvm-pvm the flag is the vif byte: an
// interrupt delivered between setting it and `hlt` makes irq_dispatch move the return
// address past the `hlt` (idle_wait_window), so the wake-up is never slept through.
    .globl idle_wait_plain
idle_wait_plain:
    sti
    hlt
    ret

    .globl idle_wait_pvm, idle_wait_window, idle_wait_window_end
idle_wait_pvm:
    movb $1, (%rdi)
idle_wait_window:
    cmpb $0, 1(%rdi)
    jne 1f
    hlt
idle_wait_window_end:
    ret
1:  sti
    ret

.macro STUB_ADDRESS vector
    .quad interrupt_stub_\vector
.endm
.macro STUB_ADDRESSES from, to
    STUB_ADDRESS %from
    .if \to-\from
    STUB_ADDRESSES %(from+1), \to
    .endif
.endm

    .section .rodata
    .balign 8
    .globl interrupt_stubs
interrupt_stubs:
    STUB_ADDRESSES 0, 63
    STUB_ADDRESSES 64, 127
    STUB_ADDRESSES 128, 191
    STUB_ADDRESSES 192, 255
