// Interrupt and exception entry stubs, one per vector. Every gate uses an IST stack:
// the app runs in ring 0 and owns its red zone, so the CPU must never push onto the
// interrupted stack (on kvm-pvm the host does not switch stacks for app frames either).
// The common path saves the general registers into an InterruptFrame
// (arch/x86_64/interrupts.hpp) and calls interrupt_dispatch.

    .text

// Vectors whose exceptions push an error code themselves.
.macro STUB vector
    .balign 16
interrupt_stub_\vector:
    .if (\vector == 8) || (\vector >= 10 && \vector <= 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
    .else
    push $0
    .endif
    push $\vector
    jmp interrupt_common
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
    mov %rsp, %rdi
    cld
    call interrupt_dispatch
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
    pop %rax
    add $16, %rsp               // vector and error code
    iretq

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
