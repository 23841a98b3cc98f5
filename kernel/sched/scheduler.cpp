#include "sched/scheduler.hpp"

#include "sched/queues.hpp"

#include "arch/x86_64/apic.hpp"
#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/extended_state.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "lib/log.hpp"
#include "lib/utility.hpp"
#include "mm/kernel_stacks.hpp"
#include "mm/memory.hpp"
#include "smp.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"

extern "C" void switch_context(uint64_t* save_rsp, uint64_t new_rsp, volatile bool* previous_on_cpu);
extern "C" void idle_wait_plain();
extern "C" void idle_wait_pvm(volatile uint8_t* vif);
extern "C" [[noreturn]] void run_on_stack(uint64_t stack_top, void (*function)());

namespace eremite::sched {
namespace {

constexpr uint32_t max_cpus = 64;
constexpr uint64_t time_slice_ns = 10000000;  // 10 ms, as CFS's default latency target

struct CpuScheduler {
    SpinLock lock;
    RunQueue runnable;
    SleepQueue sleepers;
    Thread* current = nullptr;
    Thread idle;                   // the CPU's boot context
    Thread* to_reap = nullptr;     // exited; freed by the next thread on this CPU
    Thread* to_migrate = nullptr;  // may no longer run here (affinity); moved after the switch
    volatile bool need_resched = false;
    bool polling = false;  // idle and watching its run queue: a wake-up needs no IPI
    uint32_t apic_id = 0;
    bool online = false;
};

CpuScheduler cpus[max_cpus];
uint32_t online_count = 1;
uint64_t live_count = 0;
uint64_t accounted_cpu_ns = 0;  // CPU time of every thread up to its last switch
uint64_t slice_ticks = 0;
uint64_t retry_ticks = 0;
// How long an idle CPU watches its run queue before it halts. A wake-up from another CPU
// within that time costs neither an IPI nor a halt and its wake-up (each traps on
// kvm-pvm: about 30 µs per cross-CPU futex round trip otherwise); the price is this much
// spinning each time a CPU goes idle.
constexpr uint64_t idle_poll_ns = 30000;
uint64_t idle_poll_ticks = 0;

CpuScheduler& local() { return cpus[arch::this_cpu().cpu_index]; }

// Arms this CPU's timer for the earliest event it must act on: a sleeper's deadline, or
// the end of the running thread's slice when another thread is waiting. Nothing else.
// Once a reschedule is pending, the switch happens at the next boundary to the app; the
// timer then only retries every 100 µs in case the thread returned to the app without
// passing one (re-arming the expired slice itself would fire at once, again and again,
// nesting interrupts until the stack overflows).
void program_timer(CpuScheduler& cs) {
    uint64_t deadline = cs.sleepers.earliest();
    if (!cs.runnable.empty() && !cs.current->is_idle) {
        uint64_t slice_end = cs.current->slice_end;
        // A switch already due waits for the thread to reach the app; look again a little
        // later rather than at once (an expired deadline would fire again immediately).
        if (cs.need_resched) slice_end = max(slice_end, arch::read_tsc() + retry_ticks);
        if (!deadline || slice_end < deadline) deadline = slice_end;
    }
    arch::apic::set_deadline(deadline);
}

void reap(Thread* t) { destroy_thread(t); }

// The least loaded online CPU the thread may run on (its queue plus its running thread);
// with none online, the first it may use: a CPU still starting finds the thread in its
// queue when it enters its idle loop.
uint32_t least_loaded_allowed(const Thread* t) {
    uint32_t best = max_cpus, best_load = ~0u;
    for (uint32_t i = 0; i < online_count; ++i) {
        if (!cpus[i].online || !(t->affinity & (1ull << i))) continue;
        uint32_t load = cpus[i].runnable.size() + (cpus[i].current->is_idle ? 0 : 1);
        if (load < best_load) {
            best = i;
            best_load = load;
        }
    }
    if (best != max_cpus) return best;
    for (uint32_t i = 0; i < online_count; ++i)
        if (t->affinity & (1ull << i)) return i;
    return 0;
}

void kick(uint32_t cpu);

// Queues a runnable thread that is in no run queue: on `preferred` when its mask allows
// that CPU, else on the least loaded one it may use, which is made to notice it. With
// interrupts off and no CPU lock held. (A mask that changes meanwhile is caught when the
// thread is taken from the queue: schedule() never runs a thread where it may not run.)
void place(Thread* t, uint32_t preferred) {
    uint32_t target =
        preferred < online_count && (t->affinity & (1ull << preferred)) ? preferred : least_loaded_allowed(t);
    CpuScheduler& cs = cpus[target];
    cs.lock.lock();
    t->cpu = target;
    t->state = ThreadState::runnable;
    cs.runnable.push(t);
    cs.lock.unlock();
    kick(target);
}

// Work that belongs to the thread now running, after any switch.
void finish_switch() {
    CpuScheduler& cs = local();
    if (cs.to_reap && cs.to_reap != cs.current) {
        reap(cs.to_reap);
        cs.to_reap = nullptr;
    }
    if (cs.to_migrate && cs.to_migrate != cs.current) {
        Thread* t = cs.to_migrate;
        cs.to_migrate = nullptr;
        place(t, max_cpus);
    }
    cs.lock.lock();
    program_timer(cs);
    cs.lock.unlock();
}

void switch_threads(CpuScheduler& cs, Thread* previous, Thread* next, uint64_t now) {
    // Before anything of `next` is loaded: its old CPU may still be saving it.
    while (next->on_cpu) arch::pause();
    if (previous->extended_state) {
        arch::save_extended_state(previous->extended_state);
        previous->extended_state_valid = true;
    }
    if (!previous->is_idle) {
        previous->fs_base = arch::fs_base();
        uint64_t ran = clock::ticks_to_ns(now - previous->ran_since);
        previous->cpu_time_ns += ran;
        __atomic_add_fetch(&accounted_cpu_ns, ran, __ATOMIC_RELAXED);
    }
    cs.current = next;
    arch::this_cpu().kernel_stack_top = next->kernel_stack_top;
    if (!next->is_idle) arch::set_fs_base(next->fs_base);
    if (next->extended_state && next->extended_state_valid) arch::restore_extended_state(next->extended_state);
    next->on_cpu = true;
    next->ran_since = now;
    switch_context(&previous->saved_rsp, next->saved_rsp, &previous->on_cpu);
}

// Makes `cpu` notice new work in its run queue.
void kick(uint32_t cpu) {
    if (cpu == arch::this_cpu().cpu_index) {
        CpuScheduler& cs = local();
        cs.lock.lock();
        if (cs.current->is_idle)
            cs.need_resched = true;
        else
            program_timer(cs);
        cs.lock.unlock();
        return;
    }
    // A CPU not yet online has no APIC id to send to; it looks at its queue when it starts.
    if (!__atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE)) return;
    // A polling CPU sees the new work itself. The fence orders the caller's push (its
    // lock release is a plain store on x86) before this load, against the idle loop's
    // store of `polling = false` and its look at the queue after it (Dekker's pattern).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&cpus[cpu].polling, __ATOMIC_RELAXED)) return;
    arch::apic::send_ipi(cpus[cpu].apic_id, arch::apic::reschedule_vector);
}

}  // namespace

void init_this_cpu(uint32_t cpu_index) {
    CpuScheduler& cs = cpus[cpu_index];
    cs.idle.is_idle = true;
    cs.idle.state = ThreadState::running;
    cs.idle.on_cpu = true;
    cs.idle.cpu = cpu_index;
    cs.current = &cs.idle;
    cs.apic_id = arch::this_cpu().apic_id;
    __atomic_store_n(&cs.online, true, __ATOMIC_RELEASE);
    if (!slice_ticks) {
        slice_ticks = clock::ns_to_ticks(time_slice_ns);
        retry_ticks = clock::ns_to_ticks(100000);
        idle_poll_ticks = clock::ns_to_ticks(idle_poll_ns);
    }
}

uint32_t cpu_count() { return online_count; }

uint32_t this_cpu_index() { return arch::this_cpu().cpu_index; }

void set_own_affinity(uint64_t mask) {
    local().current->affinity = mask;
    if (!(mask & (1ull << arch::this_cpu().cpu_index))) schedule();  // leave this CPU now
}

void set_affinity(Thread& thread, uint64_t mask) {
    bool irq = arch::disable_interrupts();
    // Its CPU changes only under that CPU's lock: lock the one it names, then check.
    CpuScheduler* cs;
    for (;;) {
        uint32_t cpu = __atomic_load_n(&thread.cpu, __ATOMIC_RELAXED);
        cs = &cpus[cpu];
        cs->lock.lock();
        if (thread.cpu == cpu) break;
        cs->lock.unlock();
    }
    thread.affinity = mask;
    const uint32_t cpu = thread.cpu;
    bool move = false;
    if (!(mask & (1ull << cpu))) {
        if (thread.state == ThreadState::running) {
            // Running there now: its CPU switches at the next boundary to the app, and
            // schedule() sends it where it may run.
            cs->need_resched = true;
            cs->lock.unlock();
            arch::apic::send_ipi(cs->apic_id, arch::apic::reschedule_vector);
            arch::restore_interrupts(irq);
            return;
        }
        // Queued there: move it now. (Blocked: wake() places it; on its way between
        // queues: placed with the new mask, or moved when taken from a queue.)
        move = thread.state == ThreadState::runnable && cs->runnable.remove(&thread);
    }
    cs->lock.unlock();
    if (move) place(&thread, max_cpus);
    arch::restore_interrupts(irq);
}

void set_cpu_count(uint32_t count) { online_count = count < max_cpus ? count : max_cpus; }

Thread* current() { return local().current; }

uint64_t release_thread() { return __atomic_sub_fetch(&live_count, 1, __ATOMIC_ACQ_REL); }

uint64_t process_cpu_time_ns() {
    Thread* self = local().current;
    uint64_t running = self->is_idle ? 0 : clock::ticks_to_ns(arch::read_tsc() - self->ran_since);
    return __atomic_load_n(&accounted_cpu_ns, __ATOMIC_RELAXED) + running;
}

uint64_t live_threads() { return __atomic_load_n(&live_count, __ATOMIC_RELAXED); }

void interrupt_other_cpus() {
    for (uint32_t cpu = 0; cpu < online_count; ++cpu)
        if (cpu != arch::this_cpu().cpu_index && __atomic_load_n(&cpus[cpu].online, __ATOMIC_ACQUIRE))
            arch::apic::send_ipi(cpus[cpu].apic_id, arch::apic::reschedule_vector);
}

Thread* start_kernel_thread(void (*entry)(void*), void* argument) {
    Thread* thread = create_kernel_thread(entry, argument);
    if (!thread) return nullptr;
    bool irq = arch::disable_interrupts();
    place(thread, max_cpus);
    arch::restore_interrupts(irq);
    return thread;
}

void start(Thread* thread) {
    // Where a new thread runs. On this CPU when nothing else waits here: its creator
    // often blocks right away (pthread_join, a condition variable), and waking another
    // vCPU costs an IPI and, on a busy host, a host scheduling delay. Otherwise on the
    // least loaded CPU it may use, so that work spreads.
    __atomic_add_fetch(&live_count, 1, __ATOMIC_RELAXED);
    bool irq = arch::disable_interrupts();
    place(thread, local().runnable.empty() ? arch::this_cpu().cpu_index : max_cpus);
    arch::restore_interrupts(irq);
}

void schedule() {
    bool irq = arch::disable_interrupts();
    CpuScheduler& cs = local();
    uint64_t now = arch::read_tsc();
    cs.lock.lock();
    Thread* previous = cs.current;
    if (previous->state == ThreadState::running && !previous->is_idle) {
        previous->state = ThreadState::runnable;
        if (previous->affinity & (1ull << arch::this_cpu().cpu_index))
            cs.runnable.push(previous);
        else
            cs.to_migrate = previous;  // queued elsewhere once its stack is free
    }
    // A thread whose mask no longer allows this CPU (changed while it was queued here)
    // does not run here: it is moved once the lock is dropped.
    const uint64_t here = 1ull << arch::this_cpu().cpu_index;
    Thread* misplaced = nullptr;
    Thread* next;
    while ((next = cs.runnable.pop()) && !(next->affinity & here)) {
        next->queue_next = misplaced;
        misplaced = next;
    }
    if (!next) next = &cs.idle;
    next->state = ThreadState::running;
    next->cpu = arch::this_cpu().cpu_index;
    if (next != previous || next->slice_end <= now) next->slice_end = now + slice_for_nice(next->nice, slice_ticks);
    cs.need_resched = false;
    if (previous->state == ThreadState::dead) cs.to_reap = previous;
    cs.lock.unlock();
    while (misplaced) {
        Thread* t = misplaced;
        misplaced = t->queue_next;
        place(t, max_cpus);
    }
    if (next != previous) switch_threads(cs, previous, next, now);
    finish_switch();
    arch::restore_interrupts(irq);
}

void yield() { schedule(); }

void prepare_to_block(uint64_t deadline_tsc) {
    bool irq = arch::disable_interrupts();
    CpuScheduler& cs = local();
    cs.lock.lock();
    Thread* t = cs.current;
    t->state = ThreadState::blocked;
    t->timed_out = false;
    t->wake_deadline = deadline_tsc;
    if (deadline_tsc) cs.sleepers.insert(t);
    cs.lock.unlock();
    arch::restore_interrupts(irq);
}

void wake(Thread* thread) {
    bool irq = arch::disable_interrupts();
    uint32_t cpu;
    {
        // The thread's CPU changes only under that CPU's lock: lock the one it names,
        // then check (another waker may have moved it meanwhile).
        CpuScheduler* locked;
        for (;;) {
            uint32_t named = __atomic_load_n(&thread->cpu, __ATOMIC_RELAXED);
            locked = &cpus[named];
            locked->lock.lock();
            if (thread->cpu == named) break;
            locked->lock.unlock();
        }
        CpuScheduler& cs = *locked;
        if (thread->state != ThreadState::blocked) {
            cs.lock.unlock();
            arch::restore_interrupts(irq);
            return;
        }
        if (thread->wake_deadline) cs.sleepers.remove(thread);
        thread->wake_deadline = 0;
        thread->state = ThreadState::runnable;
        if (!(thread->affinity & (1ull << thread->cpu))) {
            // Its mask changed while it slept: straight to a CPU it may use.
            cs.lock.unlock();
            place(thread, max_cpus);
            arch::restore_interrupts(irq);
            return;
        }
        cs.runnable.push(thread);
        cpu = thread->cpu;
        cs.lock.unlock();
    }
    kick(cpu);
    arch::restore_interrupts(irq);
}

void exit_current() {
    arch::disable_interrupts();
    CpuScheduler& cs = local();
    cs.lock.lock();
    cs.current->state = ThreadState::dead;
    cs.lock.unlock();
    schedule();
    panic("an exited thread was scheduled again");
}

void on_timer_interrupt() {
    arch::apic::timer_fired();
    CpuScheduler& cs = local();
    uint64_t now = arch::read_tsc();
    cs.lock.lock();
    while (Thread* t = cs.sleepers.pop_expired(now)) {
        t->wake_deadline = 0;
        t->timed_out = true;
        t->state = ThreadState::runnable;
        cs.runnable.push(t);
    }
    if (!cs.runnable.empty() && (cs.current->is_idle || now >= cs.current->slice_end)) cs.need_resched = true;
    program_timer(cs);
    cs.lock.unlock();
}

void on_reschedule_interrupt() {
    CpuScheduler& cs = local();
    cs.lock.lock();
    if (cs.current->is_idle && !cs.runnable.empty()) cs.need_resched = true;
    program_timer(cs);
    cs.lock.unlock();
}

bool reschedule_pending() { return local().need_resched; }

namespace {

// An idle CPU takes a runnable thread from another CPU's queue.
bool steal_work() {
    uint32_t self = arch::this_cpu().cpu_index;
    for (uint32_t i = 0; i < online_count; ++i) {
        CpuScheduler& other = cpus[i];
        if (i == self || !other.online || other.runnable.empty()) continue;
        other.lock.lock();
        Thread* stolen = other.runnable.take_for(self);
        if (stolen) stolen->cpu = self;
        other.lock.unlock();
        if (!stolen) continue;
        CpuScheduler& cs = local();
        cs.lock.lock();
        cs.runnable.push(stolen);
        cs.lock.unlock();
        return true;
    }
    return false;
}

// Watches the run queue for idle_poll_ticks with interrupts off (a timer or shootdown
// waits at most that long); true when work arrived.
bool poll_for_work(CpuScheduler& cs) {
    if (!idle_poll_ticks) return false;
    __atomic_store_n(&cs.polling, true, __ATOMIC_SEQ_CST);
    uint64_t until = arch::read_tsc() + idle_poll_ticks;
    bool work = false;
    while (!(work = __atomic_load_n(&cs.need_resched, __ATOMIC_RELAXED) || !cs.runnable.empty()) &&
           arch::read_tsc() < until) {
        arch::pause();
        asm volatile("" ::: "memory");  // read the queue afresh
    }
    __atomic_store_n(&cs.polling, false, __ATOMIC_SEQ_CST);
    // Work pushed just before `polling` went false found no IPI: look once more.
    asm volatile("" ::: "memory");
    return work || !cs.runnable.empty();
}

[[noreturn]] void run_idle_loop() {
    for (;;) {
        arch::disable_interrupts();
        CpuScheduler& cs = local();
        if (!cs.runnable.empty() || cs.need_resched || steal_work()) {
            smp::leave_idle();  // before any thread runs here again
            schedule();
            continue;
        }
        if (poll_for_work(cs)) continue;
        smp::enter_idle();
        cs.lock.lock();
        program_timer(cs);
        cs.lock.unlock();
        ++arch::this_cpu().traps.halts;
        if (arch::on_kvm_pvm())
            idle_wait_pvm(&arch::vif().interrupts_enabled);
        else
            idle_wait_plain();
    }
}

}  // namespace

void idle_loop() {
    // The boot context runs on the stack the hypervisor gave this CPU, with nothing
    // unmapped below it. The idle thread continues on a kernel stack with a guard
    // (mm/kernel_stacks.hpp), never freed; the boot stack is not used again.
    auto stack = mm::allocate_kernel_stack();
    if (!stack.ok()) panic("out of memory for the idle stack of CPU %u", arch::this_cpu().cpu_index);
    run_on_stack(stack.value().top(), run_idle_loop);
}

}  // namespace eremite::sched

extern "C" void thread_first_run() { eremite::sched::finish_switch(); }
