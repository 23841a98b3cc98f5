// Boot entry from other VMMs (QEMU's -kernel, Firecracker): the PVH boot protocol
// (xen/include/public/arch-x86/hvm/start_info.h). The VMM finds the entry point in the
// Xen ELF note below and starts the CPU there in 32-bit protected mode, paging off, with
// %ebx = the guest-physical address of the PVH start info.
//
// This file takes the CPU to 64-bit mode on a small set of page tables in the image
// (the first 4 GiB identity-mapped and in the direct map, the first GiB in the kernel
// window), then calls pvh_main (pvh_boot.cpp), which lays out memory as ehyve does and
// enters the kernel at _start like ehyve's vCPU. ehyve itself never comes here.

#define KERNEL_VIRTUAL_BASE 0xffffffff80000000
#define PHYSICAL(symbol) ((symbol) - KERNEL_VIRTUAL_BASE)
#define XEN_ELFNOTE_PHYS32_ENTRY 18

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
#define PTE_TABLE 0x3      /* present, writable */
#define PTE_LARGE 0x83     /* present, writable, 2 MiB page */

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                             // name size ("Xen\0")
    .long 4                             // descriptor size
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .long PHYSICAL(pvh_start)

// The data segments of the boot GDTs (pvh_gdt's and the boot layout's: data at 0x18), no
// FS or GS.
.macro DATA_SEGMENTS
    mov $0x18, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
.endm

    .section .text.boot, "ax"
    .code32
    .globl pvh_start
pvh_start:
    cli
    cld
    mov %ebx, %esi                      // the start info, for pvh_main

    // The image's bss, the page tables below among it, may hold anything: the VMM need
    // not zero what the file leaves out, and the kernel relies on zeroed globals.
    mov $PHYSICAL(__bss_start), %edi
    mov $PHYSICAL(__kernel_end), %ecx
    sub %edi, %ecx
    shr $2, %ecx
    xor %eax, %eax
    rep stosl

    // PML4: slot 0 (identity, for the step into long mode) and slot 273 (the direct map
    // at 0xffff888000000000) share one PDPT; slot 511 leads to the kernel window.
    mov $PHYSICAL(pvh_pdpt_low) + PTE_TABLE, %eax
    mov %eax, PHYSICAL(pvh_pml4)
    mov %eax, PHYSICAL(pvh_pml4) + 273 * 8
    movl $PHYSICAL(pvh_pdpt_kernel) + PTE_TABLE, PHYSICAL(pvh_pml4) + 511 * 8
    // Four page directories of 2 MiB pages: the first 4 GiB.
    mov $PHYSICAL(pvh_pd), %edi
    mov $PHYSICAL(pvh_pdpt_low), %ebx
    mov $4, %ecx
1:  lea PTE_TABLE(%edi), %eax
    mov %eax, (%ebx)
    add $8, %ebx
    add $4096, %edi
    loop 1b
    mov $PHYSICAL(pvh_pd), %edi
    mov $PTE_LARGE, %eax
    xor %edx, %edx
    mov $2048, %ecx
2:  mov %eax, (%edi)
    mov %edx, 4(%edi)
    add $0x200000, %eax
    adc $0, %edx
    add $8, %edi
    loop 2b
    // The kernel window (0xffffffff80000000, PDPT slot 510): the first GiB.
    movl $PHYSICAL(pvh_pd) + PTE_TABLE, PHYSICAL(pvh_pdpt_kernel) + 510 * 8

    mov $PHYSICAL(pvh_pml4), %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_SCE | EFER_LME), %eax
    // No-execute only where the CPU has it (CPUID 0x80000001 EDX bit 20).
    mov %eax, %edi
    mov $0x80000001, %eax
    cpuid
    mov %edi, %eax
    bt $20, %edx
    jnc 3f
    or $EFER_NXE, %eax
3:  xor %edx, %edx
    mov $MSR_EFER, %ecx
    wrmsr
    mov %cr0, %eax
    or $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    mov %eax, %cr0

    lgdt PHYSICAL(pvh_gdt_pointer)
    ljmp $0x10, $PHYSICAL(pvh_long_mode)

    .code64
pvh_long_mode:
    DATA_SEGMENTS
    movabs $pvh_stack_top, %rsp
    mov %esi, %edi                      // the start info (guest-physical)
    movabs $pvh_main, %rax
    call *%rax                          // never returns
4:  hlt
    jmp 4b

// pvh_enter_kernel(boot_info, stack_top, cpu_tables): loads the GDT, TSS and IDT the
// boot layout holds (what ehyve puts in the vCPU's registers), then starts the kernel
// as ehyve does: at _start, %rdi = the boot info, on the boot stack (all direct-map
// addresses).
    .globl pvh_enter_kernel
pvh_enter_kernel:
    mov %rsi, %rsp
    lgdt (%rdx)
    lidt 16(%rdx)
    lea _start(%rip), %rcx
    jmp enter_with_boot_segments

// With a boot-layout GDT and IDT loaded and the stack set: the segment registers from
// that GDT (code 0x10, data 0x18, no FS or GS), its TSS (0x40), then a jump to %rcx with
// %rdi untouched: the state ehyve gives a vCPU. The boot CPU comes here from
// pvh_enter_kernel, the others from ap_trampoline.S.
    .globl enter_with_boot_segments
enter_with_boot_segments:
    pushq $0x10
    lea 1f(%rip), %rax
    push %rax
    lretq
1:  DATA_SEGMENTS
    mov $0x40, %eax
    ltr %ax
    xor %ebp, %ebp
    jmp *%rcx

    .section .rodata
    .balign 8
pvh_gdt:
    .quad 0
    .quad 0
    .quad 0x00af9b000000ffff            // 0x10: 64-bit code, as the kernel's own GDT
    .quad 0x00cf93000000ffff            // 0x18: data
pvh_gdt_end:
pvh_gdt_pointer:
    .word pvh_gdt_end - pvh_gdt - 1
    .long PHYSICAL(pvh_gdt)

    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
pvh_tables:
    .globl pvh_pml4                     // also the other CPUs' first tables (cpu_startup.cpp)
pvh_pml4:
    .skip 4096
pvh_pdpt_low:
    .skip 4096
pvh_pdpt_kernel:
    .skip 4096
pvh_pd:
    .skip 4 * 4096
pvh_tables_end:
    .balign 16
    .skip 16384
pvh_stack_top:
