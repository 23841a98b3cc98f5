// Every way a program reaches the kernel, for ehyve's load-time syscall rewriting
// (issue 5): libc wrappers, the generic syscall() function, `mov $NR,%eax; syscall`
// and lone `syscall` sites in inline asm, invalid numbers (each must say ENOSYS, also
// those that, as call targets, would land outside the nop slide at page 0 in mapped
// memory: the program's own text or its heap), a function that keeps data
// in the red zone across a syscall, a jump straight to a `syscall` behind a
// `mov $NR,%eax` (two entry points, a loop's back edge), and code generated at run
// time. Linux is the oracle: the output says only whether each result is what it must
// be, never a pid or an address.
//
// Reading through a NULL pointer is not tested: under Eremite page 0 may be readable
// (the nop slide lives there, docs/usage.md).
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;

static void check(const char* what, int ok) {
    printf("%s: %s\n", what, ok ? "yes" : "NO");
    if (!ok) failures++;
}

static const char* errno_name(long e) {
    switch (e) {
        case 0: return "none";
        case ENOSYS: return "ENOSYS";
        case EBADF: return "EBADF";
        case EFAULT: return "EFAULT";
        case EINVAL: return "EINVAL";
        case EPERM: return "EPERM";
        default: return "other";
    }
}

// Raw results are -errno on failure (the kernel ABI, without libc's errno).
static const char* raw_errno_name(long r) { return r < 0 && r >= -4095 ? errno_name(-r) : "none (it succeeded)"; }

// Prints what a raw syscall returned under `what` and counts a failure unless it is `expected`.
static void expect_raw(const char* what, long r, long expected) {
    printf("%s: %s\n", what, raw_errno_name(r));
    if (r != expected) failures++;
}

// Numbers that are no system call: each must fail with ENOSYS however it is made.
// 0x40000027 is getpid with the x32 bit; 0x401000 and 0x410000 are addresses in a
// static non-PIE binary's text, 0x500000 lies beyond its data (where its heap may be),
// 0x40000000 where mmap may place memory.
static const long invalid_numbers[] = {-1,         500,      1000,     4095,     4096,       100000,     0x40000027,
                                       0x7fffffff, 0x500000, 0x401000, 0x410000, 0x40000000, 0x80000000L};
// getpid (39) with bits set above bit 31.
static const long high_bits_getpid[] = {0x100000027L, (long)0xffffffff00000027ull};

// What a getpid through an unusual number did: RESULT and ERRNO as libc reports them.
static const char* getpid_or_errno(long result, int error) {
    if (result == -1) return errno_name(error);
    return result == getpid() ? "getpid" : "something else";
}

// ---------------------------------------------------------------- top-level asm
// Functions whose exact instructions matter; written in asm so that the compiler
// cannot reorder, merge or inline them.
long redzone_write(void);          // 16 bytes from the red zone to fd 1; see below
long redzone_lone(long nr);        // a lone syscall with data in the red zone
long two_entry_at_mov(void);       // mov $39,%eax; syscall; ret (getpid)
long two_entry_at_syscall(void);   // the syscall above, %eax set by the caller
long loop_to_syscall(long count);  // getpid once, then getppid count-1 times, one site
long call_with_rax(void* fn, long rax, long rdi, long rsi, long rdx);

#define REDZONE_MESSAGE_LO 0x656e6f7a20646572ull  // "red zone" as a little-endian qword
#define REDZONE_MESSAGE_HI 0x0a746361746e6920ull  // " intact\n"
#define REDZONE_CANARY_8 0x1122334455667788ull
#define REDZONE_CANARY_10 0x99aabbccddeeff00ull
#define REDZONE_CANARY_80 0x0123456789abcdefull

__asm__(
    ".pushsection .text\n"

    // redzone_write: a leaf function that keeps a 16-byte message at -0x20(%rsp) and
    // canaries at -0x8, -0x10 and -0x80 (the red zone's first and last qwords) across
    // `mov $1,%eax; syscall` (write(1, -0x20(%rsp), 16)). Returns the xor of everything
    // it reads back after the call, or 0 when write did not return 16. Rewritten to a
    // call, the site would push its return address at -0x8(%rsp).
    ".globl redzone_write\n"
    ".type redzone_write,@function\n"
    "redzone_write:\n"
    "    movabs $0x656e6f7a20646572, %rax\n"
    "    mov %rax, -0x20(%rsp)\n"
    "    movabs $0x0a746361746e6920, %rax\n"
    "    mov %rax, -0x18(%rsp)\n"
    "    movabs $0x1122334455667788, %rax\n"
    "    mov %rax, -0x8(%rsp)\n"
    "    movabs $0x99aabbccddeeff00, %rax\n"
    "    mov %rax, -0x10(%rsp)\n"
    "    movabs $0x0123456789abcdef, %rax\n"
    "    mov %rax, -0x80(%rsp)\n"
    "    mov $1, %edi\n"
    "    lea -0x20(%rsp), %rsi\n"
    "    mov $16, %edx\n"
    "    mov $1, %eax\n"
    "    syscall\n"
    "    cmp $16, %rax\n"
    "    jne 1f\n"
    "    mov -0x20(%rsp), %rax\n"
    "    xor -0x18(%rsp), %rax\n"
    "    xor -0x10(%rsp), %rax\n"
    "    xor -0x8(%rsp), %rax\n"
    "    xor -0x80(%rsp), %rax\n"
    "    ret\n"
    "1:  xor %eax, %eax\n"
    "    ret\n"
    ".size redzone_write, .-redzone_write\n"

    // redzone_lone(nr): the same canaries around a lone `syscall` whose number comes
    // from the argument. Returns the result, or -1000 (no errno is 1000) when a canary
    // changed.
    ".globl redzone_lone\n"
    ".type redzone_lone,@function\n"
    "redzone_lone:\n"
    "    movabs $0x1122334455667788, %rax\n"
    "    mov %rax, -0x8(%rsp)\n"
    "    movabs $0x99aabbccddeeff00, %rax\n"
    "    mov %rax, -0x10(%rsp)\n"
    "    movabs $0x0123456789abcdef, %rax\n"
    "    mov %rax, -0x80(%rsp)\n"
    "    mov %rdi, %rax\n"
    "    syscall\n"
    "    movabs $0x1122334455667788, %rdx\n"
    "    cmp %rdx, -0x8(%rsp)\n"
    "    jne 1f\n"
    "    movabs $0x99aabbccddeeff00, %rdx\n"
    "    cmp %rdx, -0x10(%rsp)\n"
    "    jne 1f\n"
    "    movabs $0x0123456789abcdef, %rdx\n"
    "    cmp %rdx, -0x80(%rsp)\n"
    "    jne 1f\n"
    "    ret\n"
    "1:  mov $-1000, %rax\n"
    "    ret\n"
    ".size redzone_lone, .-redzone_lone\n"

    // two_entry_at_mov / two_entry_at_syscall: one `mov $39,%eax; syscall` site with a
    // second entry point at the syscall itself, reached with %eax set by the caller.
    ".globl two_entry_at_mov\n"
    ".type two_entry_at_mov,@function\n"
    ".globl two_entry_at_syscall\n"
    ".type two_entry_at_syscall,@function\n"
    "two_entry_at_mov:\n"
    "    mov $39, %eax\n"
    "two_entry_at_syscall:\n"
    "    syscall\n"
    "    ret\n"
    ".size two_entry_at_mov, .-two_entry_at_mov\n"
    ".size two_entry_at_syscall, .-two_entry_at_syscall\n"

    // loop_to_syscall(count): a `mov $39,%eax; syscall` site that is also the target of
    // the loop's back edge, taken with %eax = 110 (getppid) from another mov. Returns
    // getpid() + (count - 1) * getppid().
    ".globl loop_to_syscall\n"
    ".type loop_to_syscall,@function\n"
    "loop_to_syscall:\n"
    "    mov %rdi, %r8\n"
    "    xor %r9d, %r9d\n"
    "    mov $39, %eax\n"
    "1:  syscall\n"
    "    add %rax, %r9\n"
    "    mov $110, %eax\n"
    "    dec %r8\n"
    "    jnz 1b\n"
    "    mov %r9, %rax\n"
    "    ret\n"
    ".size loop_to_syscall, .-loop_to_syscall\n"

    // call_with_rax(fn, rax, rdi, rsi, rdx): jumps to fn with those registers set; fn's
    // ret returns to our caller. (A call from inline asm would push over the calling
    // function's red zone.)
    ".globl call_with_rax\n"
    ".type call_with_rax,@function\n"
    "call_with_rax:\n"
    "    mov %rdi, %r11\n"
    "    mov %rsi, %rax\n"
    "    mov %rdx, %rdi\n"
    "    mov %rcx, %rsi\n"
    "    mov %r8, %rdx\n"
    "    jmp *%r11\n"
    ".size call_with_rax, .-call_with_rax\n"

    ".popsection\n");

// ---------------------------------------------------------------- inline asm sites
// `mov $NR,%eax; syscall` with NR an immediate: the form the rewriter turns into a
// direct call.
#define MOV_SYSCALL0(nr)                                                                          \
    ({                                                                                            \
        long r_;                                                                                  \
        __asm__ volatile("mov $" #nr ", %%eax\n\tsyscall" : "=a"(r_) : : "rcx", "r11", "memory"); \
        r_;                                                                                       \
    })

__attribute__((noinline)) static long getpid_mov_syscall(void) { return MOV_SYSCALL0(39); }

// A lone `syscall`: the number is in %rax, loaded from memory at run time.
__attribute__((noinline)) static long lone_syscall3(long nr, long a1, long a2, long a3) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
    return r;
}

// Two `mov $NR,%eax; syscall` sites back to back: getpid, then getppid.
__attribute__((noinline)) static void two_sites(long* pid, long* ppid) {
    long a, b;
    __asm__ volatile(
        "mov $39, %%eax\n\t"
        "syscall\n\t"
        "mov %%rax, %0\n\t"
        "mov $110, %%eax\n\t"
        "syscall"
        : "=&r"(a), "=a"(b)
        :
        : "rcx", "r11", "memory");
    *pid = a;
    *ppid = b;
}

// Two adjacent `syscall` instructions: sched_yield returns 0 in %rax, so the second,
// a lone syscall, is read(fd, buf, 0), here with a bad fd: -EBADF shows both ran.
__attribute__((noinline)) static long adjacent_syscalls(void) {
    char buf[1];
    long r;
    __asm__ volatile(
        "mov $24, %%eax\n\t"
        "syscall\n\t"
        "syscall"
        : "=a"(r)
        : "D"(-1L), "S"(buf), "d"(0L)
        : "rcx", "r11", "memory");
    return r;
}

static volatile long runtime_nr_getpid = SYS_getpid;  // volatile: read at run time

__attribute__((noinline)) static long loop_mov_syscall(long count) {
    long sum = 0;
    for (long i = 0; i < count; ++i) sum += MOV_SYSCALL0(39);
    return sum;
}

__attribute__((noinline)) static long loop_lone_syscall(long count) {
    long sum = 0;
    for (long i = 0; i < count; ++i) sum += lone_syscall3(runtime_nr_getpid, 0, 0, 0);
    return sum;
}

// ---------------------------------------------------------------- sections
static void libc_wrappers(void) {
    pid_t pid = getpid();
    check("getpid via libc is positive", pid > 0);
    check("getpid via libc is stable", getpid() == pid);

    fflush(stdout);
    static const char line[] = "write via libc to stdout\n";
    check("write via libc returns the length", write(1, line, sizeof line - 1) == (ssize_t)(sizeof line - 1));

    int fds[2];
    check("pipe via libc", pipe(fds) == 0);
    static const char msg[] = "through the pipe";
    char buf[64] = {0};
    check("write to the pipe", write(fds[1], msg, sizeof msg) == (ssize_t)sizeof msg);
    check("read from the pipe", read(fds[0], buf, sizeof buf) == (ssize_t)sizeof msg);
    check("the pipe's bytes arrive", memcmp(buf, msg, sizeof msg) == 0);
    check("close both ends", close(fds[0]) == 0 && close(fds[1]) == 0);
}

static void generic_syscall(void) {
    check("getpid via syscall() matches", syscall(SYS_getpid) == getpid());
    check("getppid via syscall() matches", syscall(SYS_getppid) == getppid());
    fflush(stdout);
    static const char line[] = "write via syscall() to stdout\n";
    check("write via syscall() returns the length",
          syscall(SYS_write, 1, line, sizeof line - 1) == (long)(sizeof line - 1));
    errno = 0;
    long r = syscall(SYS_close, -1);
    printf("close(-1) via syscall(): %ld errno %s\n", r, errno_name(errno));

    for (size_t i = 0; i < sizeof invalid_numbers / sizeof invalid_numbers[0]; ++i) {
        errno = 0;
        r = syscall(invalid_numbers[i]);
        printf("syscall(%#lx) via syscall(): %ld errno %s\n", (unsigned long)invalid_numbers[i], r, errno_name(errno));
        if (!(r == -1 && errno == ENOSYS)) failures++;
    }
    // Linux takes the number from %rax as an int (arch/x86/entry/common.c,
    // do_syscall_64): the upper 32 bits do not count, so 0x100000027 is getpid. Not a
    // failure either way natively; under Eremite the answer must be Linux's.
    for (size_t i = 0; i < sizeof high_bits_getpid / sizeof high_bits_getpid[0]; ++i) {
        errno = 0;
        r = syscall(high_bits_getpid[i]);
        printf("syscall(%#lx) via syscall(): %s\n", (unsigned long)high_bits_getpid[i], getpid_or_errno(r, errno));
    }
}

static void inline_asm(void) {
    pid_t pid = getpid();
    pid_t ppid = getppid();
    check("getpid via inline asm matches", getpid_mov_syscall() == pid);
    check("getpid via a lone syscall matches", lone_syscall3(runtime_nr_getpid, 0, 0, 0) == pid);
    volatile long nr_getppid = SYS_getppid;
    check("getppid via a lone syscall matches", lone_syscall3(nr_getppid, 0, 0, 0) == ppid);

    fflush(stdout);
    static const char line[] = "write via a lone syscall to stdout\n";
    volatile long nr_write = SYS_write;
    check("write via a lone syscall returns the length",
          lone_syscall3(nr_write, 1, (long)line, sizeof line - 1) == (long)(sizeof line - 1));

    long a = 0, b = 0;
    two_sites(&a, &b);
    check("two sites back to back: getpid matches", a == pid);
    check("two sites back to back: getppid matches", b == ppid);

    long r = adjacent_syscalls();
    printf("adjacent syscalls: sched_yield, then read(-1, buf, 0): %s\n", raw_errno_name(r));
    if (r != -EBADF) failures++;

    long count = 100000;
    check("100000 x getpid via mov+syscall in a loop sums right", loop_mov_syscall(count) == count * pid);
    check("100000 x getpid via a lone syscall in a loop sums right", loop_lone_syscall(count) == count * pid);

    // Invalid numbers at `mov $NR,%eax; syscall` sites, then at lone sites.
    expect_raw("mov $500 + syscall", MOV_SYSCALL0(500), -ENOSYS);
    expect_raw("mov $4095 + syscall", MOV_SYSCALL0(4095), -ENOSYS);
    expect_raw("mov $4096 + syscall", MOV_SYSCALL0(4096), -ENOSYS);
    expect_raw("mov $0x500000 + syscall", MOV_SYSCALL0(0x500000), -ENOSYS);
    expect_raw("mov $0x40000027 + syscall", MOV_SYSCALL0(0x40000027), -ENOSYS);
    expect_raw("mov $0x7fffffff + syscall", MOV_SYSCALL0(0x7fffffff), -ENOSYS);

    for (size_t i = 0; i < sizeof invalid_numbers / sizeof invalid_numbers[0]; ++i) {
        volatile long nr = invalid_numbers[i];
        r = lone_syscall3(nr, 0, 0, 0);
        printf("lone syscall %#lx: %s\n", (unsigned long)invalid_numbers[i], raw_errno_name(r));
        if (r != -ENOSYS) failures++;
    }
    for (size_t i = 0; i < sizeof high_bits_getpid / sizeof high_bits_getpid[0]; ++i) {
        volatile long nr = high_bits_getpid[i];
        r = lone_syscall3(nr, 0, 0, 0);
        printf("lone syscall %#lx: %s\n", (unsigned long)high_bits_getpid[i],
               r < 0 && r >= -4095 ? getpid_or_errno(-1, (int)-r) : getpid_or_errno(r, 0));
    }
}

static void red_zone(void) {
    fflush(stdout);
    long sum = redzone_write();
    long expected =
        (long)(REDZONE_MESSAGE_LO ^ REDZONE_MESSAGE_HI ^ REDZONE_CANARY_8 ^ REDZONE_CANARY_10 ^ REDZONE_CANARY_80);
    check("red zone intact across mov+syscall (write)", sum == expected);
    check("red zone intact across a lone syscall (getpid)", redzone_lone(SYS_getpid) == getpid());
    long r = redzone_lone(500);
    printf("red zone, lone syscall 500: %s\n", r == -1000 ? "red zone corrupted" : raw_errno_name(r));
    if (r != -ENOSYS) failures++;
}

static void jumps_to_syscall(void) {
    pid_t pid = getpid();
    pid_t ppid = getppid();
    check("entered at the mov: getpid matches", two_entry_at_mov() == pid);
    check("entered at the syscall with eax=39: getpid matches",
          call_with_rax((void*)two_entry_at_syscall, SYS_getpid, 0, 0, 0) == pid);
    check("entered at the syscall with eax=110: getppid matches",
          call_with_rax((void*)two_entry_at_syscall, SYS_getppid, 0, 0, 0) == ppid);
    long r = call_with_rax((void*)two_entry_at_syscall, SYS_close, -1, 0, 0);
    printf("entered at the syscall with eax=3 (close(-1)): %s\n", raw_errno_name(r));
    if (r != -EBADF) failures++;
    fflush(stdout);
    static const char line[] = "entered at the syscall with eax=1: write to stdout\n";
    check("entered at the syscall with eax=1: write returns the length",
          call_with_rax((void*)two_entry_at_syscall, SYS_write, 1, (long)line, sizeof line - 1) ==
              (long)(sizeof line - 1));
    expect_raw("entered at the syscall with eax=500", call_with_rax((void*)two_entry_at_syscall, 500, 0, 0, 0),
               -ENOSYS);
    expect_raw("entered at the syscall with eax=0x500000",
               call_with_rax((void*)two_entry_at_syscall, 0x500000, 0, 0, 0), -ENOSYS);
    check("a loop's back edge to a mov+syscall site with eax=110 sums right",
          loop_to_syscall(1000) == pid + 999L * ppid);
}

static void generated_code(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    unsigned char* code = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap a RW page for code", code != MAP_FAILED);
    if (code == MAP_FAILED) return;

    static const unsigned char getpid_code[] = {0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3};  // getpid; ret
    static const unsigned char lone_code[] = {0x0f, 0x05, 0xc3};                                  // syscall; ret
    enum { lone_offset = 64 };
    memcpy(code, getpid_code, sizeof getpid_code);
    memcpy(code + lone_offset, lone_code, sizeof lone_code);
    check("mprotect it RX", mprotect(code, page, PROT_READ | PROT_EXEC) == 0);

    pid_t pid = getpid();
    long (*generated_getpid)(void) = (long (*)(void))(void*)code;
    check("generated mov $39 + syscall: getpid matches", generated_getpid() == pid);
    check("generated lone syscall with eax=39: getpid matches",
          call_with_rax(code + lone_offset, SYS_getpid, 0, 0, 0) == pid);
    check("generated lone syscall with eax=110: getppid matches",
          call_with_rax(code + lone_offset, SYS_getppid, 0, 0, 0) == getppid());
    long r = call_with_rax(code + lone_offset, 500, 0, 0, 0);
    printf("generated lone syscall with eax=500: %s\n", raw_errno_name(r));
    if (r != -ENOSYS) failures++;
    expect_raw("generated lone syscall with eax=0x500000", call_with_rax(code + lone_offset, 0x500000, 0, 0, 0),
               -ENOSYS);

    // Generated code changed after it ran: make it writable, turn getpid into getppid
    // (the immediate 0x27 becomes 0x6e), run it again.
    check("mprotect it RW again", mprotect(code, page, PROT_READ | PROT_WRITE) == 0);
    code[1] = SYS_getppid;
    check("mprotect it RX again", mprotect(code, page, PROT_READ | PROT_EXEC) == 0);
    check("patched generated code: getppid matches", generated_getpid() == getppid());
    check("munmap the code page", munmap(code, page) == 0);
}

int main(void) {
    printf("-- libc wrappers\n");
    libc_wrappers();
    printf("-- syscall()\n");
    generic_syscall();
    printf("-- inline asm\n");
    inline_asm();
    printf("-- red zone\n");
    red_zone();
    printf("-- jumps to a syscall instruction\n");
    jumps_to_syscall();
    printf("-- generated code\n");
    generated_code();
    printf("syscall_paths: %s\n", failures == 0 ? "ok" : "FAIL");
    return failures == 0 ? 0 : 1;
}
