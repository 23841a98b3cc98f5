// Boot entry from ehyve. The vCPU arrives in 64-bit mode at `_start` with:
//   %rdi = the boot-info block (direct-map virtual address), %rsp = a boot stack in the
//   upper half, GDTR/IDTR/TR loaded by the VMM, interrupts off.
//
// On kvm-pvm every instruction until the native-mode switch runs in the host's
// emulator (~600 ns each, no SSE, string instructions unreliable), so this path is
// short, hand-written and touches only general registers. PVM.md is the recipe.

#define BOOT_INFO_IDT_OFFSET 568   /* offsetof(BootInfo, boot_cpu.idt), checked in cpu.cpp */
#define KERNEL_VIRTUAL_BASE 0xffffffff80000000

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
#define MSR_PVM_SWITCH 0x4b564d10
#define MSR_PVM_SIGNATURE 0x4b564d11
#define PVM_SIGNATURE 0x4d5650
#define PVM_ENABLE_NATIVE_WITH_CR2 0x11   /* bit 0: native mode; bit 4: CR2 into vif.cr2 */
#define SFMASK_VALUE 0x47700   /* TF, IF, DF, NT, AC cleared on syscall entry */

// The syscall MSRs (per CPU): the app calls the kernel with `syscall` from ring 0.
.macro SYSCALL_MSRS
    mov $MSR_STAR, %ecx
    xor %eax, %eax
    mov $0x00230010, %edx
    wrmsr
    mov $MSR_LSTAR, %ecx
    lea syscall_entry(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
    mov $MSR_SFMASK, %ecx
    mov $SFMASK_VALUE, %eax
    xor %edx, %edx
    wrmsr
.endm

    .section .text.boot, "ax"
    .globl _start
_start:
    mov %rdi, %r15
    rdtsc                       // the boot timestamp: the clock's origin (time/clock.cpp)
    shl $32, %rdx
    or %rax, %rdx
    mov %rdx, %r13

    // An early #GP gate, so that probing the kvm-pvm signature MSR is safe on hosts
    // that do not have it (hardware KVM raises #GP for an unknown MSR).
    mov BOOT_INFO_IDT_OFFSET(%rdi), %rbx
    lea early_general_protection(%rip), %rax
    mov %ax, 13*16(%rbx)
    movw $0x10, 13*16+2(%rbx)
    movw $0x8e00, 13*16+4(%rbx)
    shr $16, %rax
    mov %ax, 13*16+6(%rbx)
    shr $16, %rax
    mov %eax, 13*16+8(%rbx)
    movl $0, 13*16+12(%rbx)

    SYSCALL_MSRS

    // kvm-pvm? CPUID says "KVMKVMKVM" and the signature MSR reads "PVM".
    xor %r14d, %r14d
    mov $0x40000000, %eax
    cpuid
    cmp $0x4b4d564b, %ebx
    jne 1f
    cmp $0x564b4d56, %ecx
    jne 1f
    cmp $0x4d, %edx
    jne 1f
    mov $MSR_PVM_SIGNATURE, %ecx
    xor %eax, %eax
    xor %edx, %edx
    rdmsr                       // skipped by early_general_protection where absent
    cmp $PVM_SIGNATURE, %eax
    jne 1f

    // Switch to native mode: from the next instruction on the vCPU runs at full speed.
    lea boot_vif_page(%rip), %rax
    mov $KERNEL_VIRTUAL_BASE, %rdx
    sub %rdx, %rax              // guest-physical address of the vif page
    or $PVM_ENABLE_NATIVE_WITH_CR2, %rax
    mov %rax, %rdx
    shr $32, %rdx
    mov $MSR_PVM_SWITCH, %ecx
    wrmsr
    mov $1, %r14d
1:
    mov %r15, %rdi
    mov %r14d, %esi
    mov %r13, %rdx
    xor %ebp, %ebp
    and $-16, %rsp
    call kernel_main
2:  hlt
    jmp 2b

// Another CPU, started by the boot CPU through the start_cpu hypercall, on the boot stack
// ehyve gave it, with %rdi = its ApStart block (kernel/smp.hpp): the value for the
// kvm-pvm switch MSR (0 on plain x86) comes first. Same rules as _start: emulated on
// kvm-pvm until the switch, so as few instructions as possible.
    .globl ap_start
ap_start:
    mov %rdi, %r15
    SYSCALL_MSRS
    mov (%r15), %rax
    test %rax, %rax
    jz 1f
    mov %rax, %rdx
    shr $32, %rdx
    mov $MSR_PVM_SWITCH, %ecx
    wrmsr
1:  mov %r15, %rdi
    xor %ebp, %ebp
    and $-16, %rsp
    call ap_main
2:  hlt
    jmp 2b

// #GP during the signature probe: skip the 2-byte rdmsr and return.
early_general_protection:
    addq $2, 8(%rsp)
    add $8, %rsp
    iretq

    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
    .globl boot_vif_page
boot_vif_page:
    .skip 4096

// enter_app(entry, stack_pointer): the first jump into the app, with the register state
// Linux's execve leaves (all zero; %rdx = 0 means no function for atexit) and the
// default x87 and SSE control words.
    .text
    .globl enter_app
enter_app:
    fninit
    movl $0x1f80, -8(%rsp)
    ldmxcsr -8(%rsp)
    mov %rdi, %rcx
    mov %rsi, %rsp
    xor %eax, %eax
    xor %ebx, %ebx
    xor %edx, %edx
    xor %esi, %esi
    xor %edi, %edi
    xor %ebp, %ebp
    xor %r8d, %r8d
    xor %r9d, %r9d
    xor %r10d, %r10d
    xor %r11d, %r11d
    xor %r12d, %r12d
    xor %r13d, %r13d
    xor %r14d, %r14d
    xor %r15d, %r15d
    jmp *%rcx
