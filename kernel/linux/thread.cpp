// Threads: clone and clone3 for every flag glibc and musl pass when they create a
// thread, thread exit with the child-tid clear and futex wake that pthread_join waits on,
// set_tid_address, gettid. A clone without CLONE_VM would be a new process, which a
// unikernel does not have: -ENOSYS with a logged reason.
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/extended_state.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "linux/futex.hpp"
#include "linux/process.hpp"
#include "linux/syscall.hpp"
#include "sched/scheduler.hpp"
#include "sched/thread_table.hpp"

extern "C" void return_from_clone();

namespace eremite::linux {
namespace {

// include/uapi/linux/sched.h
constexpr uint64_t clone_vm = 0x100, clone_fs = 0x200, clone_files = 0x400, clone_sighand = 0x800, clone_pidfd = 0x1000,
                   clone_vfork = 0x4000, clone_parent = 0x8000, clone_thread = 0x10000, clone_sysvsem = 0x40000,
                   clone_settls = 0x80000, clone_parent_settid = 0x100000, clone_child_cleartid = 0x200000,
                   clone_detached = 0x400000, clone_child_settid = 0x1000000, clone_io = 0x80000000ull,
                   exit_signal_mask = 0xff;
constexpr uint64_t thread_flags_supported = clone_vm | clone_fs | clone_files | clone_sighand | clone_thread |
                                            clone_sysvsem | clone_settls | clone_parent_settid | clone_child_cleartid |
                                            clone_detached | clone_child_settid | clone_io;

bool write_tid(uint64_t address, int32_t tid) {
    return store_app_u32(reinterpret_cast<uint32_t*>(address), static_cast<uint32_t>(tid));
}

int64_t create_thread(uint64_t flags, uint64_t stack_pointer, uint64_t parent_tid, uint64_t child_tid, uint64_t tls) {
    if (!(flags & clone_vm) || (flags & clone_vfork)) {
        log::info("clone without CLONE_VM (fork, vfork, posix_spawn) is not supported: Eremite runs one process");
        return failure(Errno::enosys);
    }
    // Linux's own consistency rules (kernel/fork.c, copy_process).
    if ((flags & clone_thread) && !(flags & clone_sighand)) return failure(Errno::einval);
    if ((flags & clone_sighand) && !(flags & clone_vm)) return failure(Errno::einval);
    if (!(flags & clone_thread)) {
        log::info("clone without CLONE_THREAD (a new process sharing memory) is not supported");
        return failure(Errno::enosys);
    }
    if (flags & ~(thread_flags_supported | exit_signal_mask | clone_pidfd | clone_parent))
        return failure(Errno::einval);
    if (flags & clone_pidfd) return failure(Errno::enosys);
    if ((flags & clone_settls) && tls >= (1ull << 47)) return failure(Errno::eperm);

    sched::Thread* parent = sched::current();
    sched::Thread* child = sched::create_app_thread();
    if (!child) return failure(Errno::eagain);  // Linux: EAGAIN when out of thread resources

    // The child returns from this very syscall with 0, on its own stack and TLS.
    SyscallFrame frame = current_syscall_frame();
    if (stack_pointer) frame.rsp = stack_pointer;
    auto* child_frame = reinterpret_cast<SyscallFrame*>(child->kernel_stack_top - sizeof(SyscallFrame));
    *child_frame = frame;
    auto* switch_frame = reinterpret_cast<uint64_t*>(child_frame) - 7;  // r15..rbx, return address
    memset(switch_frame, 0, 6 * sizeof(uint64_t));
    switch_frame[6] = reinterpret_cast<uint64_t>(&return_from_clone);
    child->saved_rsp = reinterpret_cast<uint64_t>(switch_frame);
    child->fs_base = (flags & clone_settls) ? tls : arch::fs_base();
    child->affinity = parent->affinity;
    child->nice = parent->nice;                        // threads inherit their creator's priority, as on Linux
    arch::save_extended_state(child->extended_state);  // the child starts with the parent's registers
    child->extended_state_valid = true;

    if ((flags & clone_parent_settid) && !write_tid(parent_tid, child->tid)) {
        sched::destroy_thread(child);
        return failure(Errno::efault);
    }
    if ((flags & clone_child_settid) && !write_tid(child_tid, child->tid)) {
        sched::destroy_thread(child);
        return failure(Errno::efault);
    }
    if (flags & clone_child_cleartid) child->clear_child_tid = child_tid;
    int32_t tid = child->tid;
    sched::start(child);
    return tid;
}

// struct clone_args (include/uapi/linux/sched.h), CLONE_ARGS_SIZE_VER0 = 64 bytes.
struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

}  // namespace

SyscallFrame& current_syscall_frame() {
    return *reinterpret_cast<SyscallFrame*>(sched::current()->kernel_stack_top - sizeof(SyscallFrame));
}

int64_t sys_clone(const SyscallArgs& args) {
    // x86-64 order: flags, new stack, parent tid pointer, child tid pointer, tls.
    return create_thread(args[0], args[1], args[2], args[3], args[4]);
}

int64_t sys_clone3(const SyscallArgs& args) {
    uint64_t size = args[1];
    if (size < 64 || size > 4096) return failure(Errno::einval);
    CloneArgs clone{};
    if (!copy_from_app(&clone, args.pointer<void>(0), min<uint64_t>(size, sizeof clone))) return failure(Errno::efault);
    if (clone.exit_signal & ~exit_signal_mask) return failure(Errno::einval);
    if (clone.set_tid || clone.set_tid_size || (size > 80 && clone.cgroup)) return failure(Errno::einval);
    if ((clone.stack == 0) != (clone.stack_size == 0)) return failure(Errno::einval);
    uint64_t stack_pointer = clone.stack ? clone.stack + clone.stack_size : 0;
    return create_thread(clone.flags | clone.exit_signal, stack_pointer, clone.parent_tid, clone.child_tid, clone.tls);
}

int64_t sys_exit(const SyscallArgs& args) {
    sched::Thread* self = sched::current();
    release_robust_futexes(self->robust_list, self->tid);
    // What pthread_join waits for: the tid word cleared and a futex wake on it.
    if (self->clear_child_tid && write_tid(self->clear_child_tid, 0))
        futex_wake(reinterpret_cast<const uint32_t*>(self->clear_child_tid), 1, 0xffffffff);
    sched::thread_table::remove(self);                                       // its tid names no thread from now on
    if (sched::release_thread() == 0) exit_process(args.integer(0) & 0xff);  // the last thread
    sched::exit_current();
}

int64_t sys_exit_group(const SyscallArgs& args) { exit_process(args.integer(0) & 0xff); }

int64_t sys_set_tid_address(const SyscallArgs& args) {
    sched::current()->clear_child_tid = args[0];
    return sched::current()->tid;
}

int64_t sys_gettid(const SyscallArgs&) { return sched::current()->tid; }

int64_t sys_sched_yield(const SyscallArgs&) {
    sched::yield();
    return 0;
}

}  // namespace eremite::linux
