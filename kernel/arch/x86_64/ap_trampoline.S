// Where another CPU starts when the kernel was booted by another VMM (PVH): the boot CPU
// copies this blob to a page below 1 MiB (cpu_startup.cpp) and sends INIT and STARTUP
// IPIs; the CPU arrives in real mode at the page's start. It goes through protected
// mode into long mode on the PVH entry's page tables, loads the GDT, IDT and TSS the
// boot layout gave it, and jumps to the entry with %rdi = the argument: what ehyve's
// start_cpu hypercall does for a vCPU. The parameters sit at the end of the page
// (ApTrampolineParameters in cpu_startup.cpp); the blob is position-independent except
// for the page's address, which it takes from %cs.

#define CR0_PE 0x1
#define CR0_MP 0x2
#define CR0_NE 0x20
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400
#define MSR_EFER 0xc0000080
#define EFER_SCE 0x1
#define EFER_LME 0x100
#define EFER_NXE 0x800

#define PARAMETERS 0xf00                 /* offset in the page: ApTrampolineParameters */
#define P_CR3 (PARAMETERS + 0)
#define P_GDT (PARAMETERS + 8)           /* 10-byte pointer */
#define P_IDT (PARAMETERS + 24)          /* 10-byte pointer */
#define P_STACK (PARAMETERS + 40)
#define P_ENTRY (PARAMETERS + 48)
#define P_ARGUMENT (PARAMETERS + 56)
#define P_STARTED (PARAMETERS + 64)
#define P_BASE (PARAMETERS + 72)         /* the page's physical address */
#define P_KERNEL_CR3 (PARAMETERS + 80)   /* the kernel's own page tables */

    .section .rodata
    .balign 16
    .globl ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    .code16
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    // The temporary GDT's base: the page's physical address plus its offset.
    movl P_BASE, %ebx
    lea (trampoline_gdt - ap_trampoline_start)(%ebx), %eax
    movl %eax, (trampoline_gdt_pointer - ap_trampoline_start + 2)
    lgdtl (trampoline_gdt_pointer - ap_trampoline_start)
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    // A far jump through memory: the target's offset is the page's address plus that
    // of protected_mode, patched in first.
    lea (protected_mode - ap_trampoline_start)(%ebx), %eax
    movl %eax, (far_target - ap_trampoline_start)
    ljmpl *(far_target - ap_trampoline_start)

    .code32
protected_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov P_CR3(%ebx), %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4
    mov %ebx, %edi                       // cpuid writes %ebx
    mov $0x80000001, %eax
    cpuid
    mov %edi, %ebx
    mov $(EFER_SCE | EFER_LME), %esi
    bt $20, %edx
    jnc 1f
    or $EFER_NXE, %esi
1:  mov $MSR_EFER, %ecx
    rdmsr
    or %esi, %eax
    wrmsr
    // A fixed CR0 (as the boot CPU's): INIT leaves CD and NW set, caches off.
    mov $(CR0_PG | CR0_PE | CR0_MP | CR0_NE | CR0_WP), %eax
    mov %eax, %cr0
    lea (long_mode - ap_trampoline_start)(%ebx), %eax
    mov %eax, (far_target - ap_trampoline_start)(%ebx)
    movw $0x18, (far_target - ap_trampoline_start + 4)(%ebx)
    ljmpl *(far_target - ap_trampoline_start)(%ebx)

    .code64
long_mode:
    mov %ebx, %ebx                       // the page (identity-mapped), zero-extended
    lgdt P_GDT(%rbx)
    lidt P_IDT(%rbx)
    mov P_STACK(%rbx), %rsp
    mov P_ARGUMENT(%rbx), %rdi
    mov P_ENTRY(%rbx), %rcx
    mov P_KERNEL_CR3(%rbx), %rsi
    movl $1, P_STARTED(%rbx)             // the parameters are read: the page may be reused
    movabs $ap_switch_tables, %rdx
    jmp *%rdx

    .balign 8
trampoline_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff             // 0x08: 32-bit code
    .quad 0x00cf92000000ffff             // 0x10: data
    .quad 0x00af9a000000ffff             // 0x18: 64-bit code
trampoline_gdt_pointer:
    .word 4 * 8 - 1
    .long 0
far_target:
    .long 0
    .word 0x08
ap_trampoline_end:

// On to the kernel's page tables before the entry: the PVH entry's map only the first
// 4 GiB, and the entry's argument (heap memory) may lie above. From the kernel's image,
// which both map, as the trampoline page is mapped only in the PVH tables. Then the
// segments, the TSS and the entry as for the boot CPU (pvh_entry.S).
    .text
ap_switch_tables:
    mov %rsi, %cr3
    jmp enter_with_boot_segments
