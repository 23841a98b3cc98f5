// The vDSO shared object (kernel/vdso), built before the kernel and embedded here,
// page aligned so that its pages can be mapped into the app as they are.
    .section .rodata.vdso, "a"
    .balign 4096
    .globl vdso_image_start, vdso_image_end
vdso_image_start:
    .incbin VDSO_PATH
vdso_image_end:
    .balign 4096
