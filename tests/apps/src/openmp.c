// OpenMP (GCC's libgomp, linked statically) on a fixed team of four threads, whatever
// the number of CPUs: worksharing loops with reductions and schedules, critical sections,
// atomics, barriers, single and master, tasks, nested parallel sections, threadprivate
// data and ordered. Every result is checked against a serial computation or a count
// known in advance, and only those results are printed, so stdout is the same natively
// and in Eremite with one or two vCPUs. libgomp builds all of this on clone threads,
// futexes (its barriers, locks and idle workers), TLS and sched_getaffinity.
#include <omp.h>
#include <stdio.h>
#include <string.h>

enum { kThreads = 4 };

static int failures;

static void check(const char* what, int ok) {
    printf("%-50s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) ++failures;
}

// The team: omp_set_num_threads, not OMP_NUM_THREADS, which libgomp reads once when the
// program starts, before main could set it.
static void team(void) {
    omp_set_dynamic(0);
    omp_set_num_threads(kThreads);
    check("omp_get_max_threads() == 4", omp_get_max_threads() == kThreads);
    check("omp_get_num_procs() >= 1", omp_get_num_procs() >= 1);
    int size = 0;
    int seen[kThreads] = {0};
#pragma omp parallel
    {
#pragma omp master
        size = omp_get_num_threads();
        seen[omp_get_thread_num()] = 1;
    }
    check("a parallel region has 4 threads", size == kThreads);
    check("every thread number 0..3 ran", seen[0] && seen[1] && seen[2] && seen[3]);
    check("outside a region: one thread, number 0", omp_get_num_threads() == 1 && omp_get_thread_num() == 0);
}

static void reductions(void) {
    enum { kCount = 1000000 };
    long long serial_sum = 0;
    unsigned serial_xor = 0;
    long long serial_max = 0;
    for (long long i = 0; i < kCount; ++i) {
        serial_sum += i * i % 1000;
        serial_xor ^= (unsigned)(i * 2654435761u);
        if (i * 7919 % 100003 > serial_max) serial_max = i * 7919 % 100003;
    }
    long long sum = 0;
    unsigned xor_all = 0;
    long long max = 0;
#pragma omp parallel for reduction(+ : sum) reduction(^ : xor_all) reduction(max : max)
    for (long long i = 0; i < kCount; ++i) {
        sum += i * i % 1000;
        xor_all ^= (unsigned)(i * 2654435761u);
        if (i * 7919 % 100003 > max) max = i * 7919 % 100003;
    }
    printf("reduction sum %lld\n", sum);
    check("parallel for reduction(+) == serial", sum == serial_sum);
    check("parallel for reduction(^) == serial", xor_all == serial_xor);
    check("parallel for reduction(max) == serial", max == serial_max);

    double harmonic = 0, serial_harmonic = 0;
    for (int i = 1; i <= 10000; ++i) serial_harmonic += 1.0 / i;
#pragma omp parallel for reduction(+ : harmonic) schedule(static, 100)
    for (int i = 1; i <= 10000; ++i) harmonic += 1.0 / i;
    // The order of the additions differs, so the last bits may too.
    check("reduction(+) over doubles ~= serial",
          harmonic > serial_harmonic - 1e-9 && harmonic < serial_harmonic + 1e-9);
}

static void critical_sections(void) {
    enum { kPerThread = 5000 };
    // Plain (not atomic) read-modify-writes: only the critical section keeps them whole.
    long counter = 0;
    long list[kThreads * 16];
    int list_length = 0;
#pragma omp parallel
    {
        for (int i = 0; i < kPerThread; ++i) {
#pragma omp critical(counter)
            {
                long value = counter;
                counter = value + 1;
            }
        }
        for (int i = 0; i < 16; ++i) {
#pragma omp critical(list)
            list[list_length++] = omp_get_thread_num();
        }
    }
    printf("critical counter %ld\n", counter);
    check("critical: no increment lost", counter == (long)kThreads * kPerThread);
    int per_thread[kThreads] = {0};
    for (int i = 0; i < list_length; ++i) per_thread[list[i]]++;
    check("critical: every append kept", list_length == kThreads * 16 && per_thread[0] == 16 && per_thread[1] == 16 &&
                                             per_thread[2] == 16 && per_thread[3] == 16);

    omp_lock_t lock;
    omp_init_lock(&lock);
    long locked = 0;
#pragma omp parallel for
    for (int i = 0; i < 20000; ++i) {
        omp_set_lock(&lock);
        locked += 1;
        omp_unset_lock(&lock);
    }
    omp_destroy_lock(&lock);
    check("omp_set_lock: no increment lost", locked == 20000);
}

static void atomics(void) {
    long added = 0;
    unsigned long ored = 0;
    long captured_sum = 0;
    int captured_out_of_range = 0;
#pragma omp parallel for
    for (int i = 0; i < 100000; ++i) {
#pragma omp atomic
        added += i % 7;
#pragma omp atomic update
        ored |= 1ul << (i % 64);
        long before;
#pragma omp atomic capture
        {
            before = captured_sum;
            captured_sum += 1;
        }
        if (before < 0 || before >= 100000) {
#pragma omp atomic
            captured_out_of_range++;
        }
    }
    long serial = 0;
    for (int i = 0; i < 100000; ++i) serial += i % 7;
    printf("atomic sum %ld\n", added);
    check("atomic +=: == serial", added == serial);
    check("atomic |=: all 64 bits set", ored == ~0ul);
    check("atomic capture: 100000 increments", captured_sum == 100000 && captured_out_of_range == 0);

    // Every captured value is unique: each thread gets a distinct ticket.
    static unsigned char taken[4000];
    memset(taken, 0, sizeof taken);
    int next = 0, duplicates = 0;
#pragma omp parallel
    {
        for (int i = 0; i < 1000; ++i) {
            int ticket;
#pragma omp atomic capture
            ticket = next++;
            if (ticket < 0 || ticket >= 4000 || taken[ticket]) {
#pragma omp atomic
                duplicates++;
            } else {
                taken[ticket] = 1;
            }
        }
    }
    check("atomic capture: tickets unique", duplicates == 0 && next == 4000);
}

static void barriers(void) {
    enum { kRounds = 200 };
    int slots[kThreads];
    int bad = 0;
#pragma omp parallel
    {
        int me = omp_get_thread_num();
        for (int round = 0; round < kRounds; ++round) {
            slots[me] = round * kThreads + me;
#pragma omp barrier
            // After the barrier every thread has written this round's value...
            for (int t = 0; t < kThreads; ++t)
                if (slots[t] != round * kThreads + t) {
#pragma omp atomic
                    bad++;
                }
#pragma omp barrier
            // ...and nobody writes the next round's before everyone has read this one.
        }
    }
    check("barrier: 200 rounds, every slot seen", bad == 0);
}

static void single_and_master(void) {
    int singles = 0, masters = 0, master_thread = -1, after_single_bad = 0;
    int shared_value = 0;
#pragma omp parallel
    {
        for (int i = 0; i < 100; ++i) {
#pragma omp single
            {
                singles++;
                shared_value = i + 1;
            }
            // single ends with a barrier: every thread sees its write.
            if (shared_value != i + 1) {
#pragma omp atomic
                after_single_bad++;
            }
#pragma omp barrier
        }
#pragma omp master
        {
            masters++;
            master_thread = omp_get_thread_num();
        }
    }
    check("single: once per construct (100)", singles == 100);
    check("single: its write seen after the barrier", after_single_bad == 0);
    check("master: once, on thread 0", masters == 1 && master_thread == 0);

    int copied = 0, copy_bad = 0;
#pragma omp parallel firstprivate(copied)
    {
#pragma omp single copyprivate(copied)
        copied = 4242;
        if (copied != 4242) {
#pragma omp atomic
            copy_bad++;
        }
    }
    check("single copyprivate", copy_bad == 0);
}

static long fib_serial(int n) { return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2); }

static long fib_tasks(int n) {
    if (n < 12) return fib_serial(n);
    long a, b;
#pragma omp task shared(a)
    a = fib_tasks(n - 1);
#pragma omp task shared(b)
    b = fib_tasks(n - 2);
#pragma omp taskwait
    return a + b;
}

static void tasks(void) {
    long fib = 0;
#pragma omp parallel
#pragma omp single
    fib = fib_tasks(25);
    printf("fib(25) with tasks %ld\n", fib);
    check("tasks + taskwait: fib(25) == serial", fib == fib_serial(25));

    int done[500];
    memset(done, 0, sizeof done);
    int ran_on[kThreads] = {0};
    int all_done_at_taskwait = 0;
#pragma omp parallel
#pragma omp single
    {
        for (int i = 0; i < 500; ++i) {
#pragma omp task firstprivate(i)
            {
                volatile long spin = 0;
                for (int k = 0; k < 2000; ++k) spin += k;
                done[i] = 1;
#pragma omp atomic
                ran_on[omp_get_thread_num()]++;
            }
        }
#pragma omp taskwait
        int all = 1;
        for (int i = 0; i < 500; ++i) all &= done[i];
        all_done_at_taskwait = all;
    }
    check("taskwait: 500 tasks all finished", all_done_at_taskwait);
    check("tasks: 500 ran", ran_on[0] + ran_on[1] + ran_on[2] + ran_on[3] == 500);

    int group_total = 0;
#pragma omp parallel
#pragma omp single
    {
#pragma omp taskgroup
        {
            for (int i = 0; i < 50; ++i) {
#pragma omp task
                {
                    // A child task: taskgroup waits for descendants, not only children.
#pragma omp task
                    {
#pragma omp atomic
                        group_total++;
                    }
#pragma omp atomic
                    group_total++;
                }
            }
        }
    }
    check("taskgroup: children and grandchildren (100)", group_total == 100);
}

static void nested_sections(void) {
    omp_set_max_active_levels(2);
    int outer_ran[3] = {0};
    int inner_size[3] = {0};
    int inner_level[3] = {0};
    int inner_sections[3][2];
    memset(inner_sections, 0, sizeof inner_sections);
#pragma omp parallel sections num_threads(3)
    {
#pragma omp section
        outer_ran[0] = 1;
#pragma omp section
        {
            outer_ran[1] = 1;
#pragma omp parallel sections num_threads(2)
            {
#pragma omp section
                {
                    inner_size[1] = omp_get_num_threads();
                    inner_level[1] = omp_get_active_level();
                    inner_sections[1][0] = 1;
                }
#pragma omp section
                inner_sections[1][1] = 1;
            }
        }
#pragma omp section
        {
            outer_ran[2] = 1;
#pragma omp parallel sections num_threads(2)
            {
#pragma omp section
                inner_sections[2][0] = 1;
#pragma omp section
                {
                    inner_size[2] = omp_get_num_threads();
                    inner_level[2] = omp_get_active_level();
                    inner_sections[2][1] = 1;
                }
            }
        }
    }
    check("sections: all three ran", outer_ran[0] && outer_ran[1] && outer_ran[2]);
    check("nested parallel sections: all ran",
          inner_sections[1][0] && inner_sections[1][1] && inner_sections[2][0] && inner_sections[2][1]);
    check("nested regions: 2 threads, active level 2",
          inner_size[1] == 2 && inner_size[2] == 2 && inner_level[1] == 2 && inner_level[2] == 2);
    omp_set_max_active_levels(1);
}

// threadprivate: one copy per thread (TLS), persisting from one region to the next
// while the team is unchanged.
static int private_counter;
#pragma omp threadprivate(private_counter)

static void thread_private(void) {
    private_counter = 100;  // the initial thread's copy, broadcast by copyin
    int bad = 0;
#pragma omp parallel copyin(private_counter)
    {
        if (private_counter != 100) {
#pragma omp atomic
            bad++;
        }
        private_counter = 1000 * (omp_get_thread_num() + 1);
    }
    int persisted[kThreads] = {0};
#pragma omp parallel
    persisted[omp_get_thread_num()] = private_counter == 1000 * (omp_get_thread_num() + 1);
    check("threadprivate: copyin broadcast", bad == 0);
    check("threadprivate: each copy persists across regions",
          persisted[0] && persisted[1] && persisted[2] && persisted[3]);
    check("threadprivate: thread 0's copy is main's", private_counter == 1000);
}

static void dynamic_schedule(void) {
    enum { kIterations = 10000 };
    static unsigned char hits[kIterations];
    memset(hits, 0, sizeof hits);
    long sum = 0;
    int per_thread[kThreads] = {0};
#pragma omp parallel for schedule(dynamic, 7) reduction(+ : sum)
    for (int i = 0; i < kIterations; ++i) {
        // Uneven work, so dynamic scheduling matters.
        volatile int spin = 0;
        for (int k = 0; k < i % 97; ++k) spin += k;
        hits[i]++;
        sum += i;
#pragma omp atomic
        per_thread[omp_get_thread_num()]++;
    }
    int once = 1;
    for (int i = 0; i < kIterations; ++i) once &= hits[i] == 1;
    printf("schedule(dynamic) sum %ld\n", sum);
    check("schedule(dynamic, 7): each iteration once", once);
    check("schedule(dynamic, 7): sum == serial", sum == (long)kIterations * (kIterations - 1) / 2);
    check("schedule(dynamic, 7): counts add up",
          per_thread[0] + per_thread[1] + per_thread[2] + per_thread[3] == kIterations);

    long guided = 0;
#pragma omp parallel for schedule(guided) reduction(+ : guided)
    for (int i = 0; i < kIterations; ++i) guided += i;
    check("schedule(guided): sum == serial", guided == (long)kIterations * (kIterations - 1) / 2);
}

static void ordered(void) {
    char text[64];
    int length = 0;
#pragma omp parallel for ordered schedule(dynamic)
    for (int i = 0; i < 26; ++i) {
        char c = (char)('a' + i);
#pragma omp ordered
        text[length++] = c;
    }
    text[length] = '\0';
    printf("ordered %s\n", text);
    check("ordered: iterations in order", strcmp(text, "abcdefghijklmnopqrstuvwxyz") == 0);
}

int main(void) {
    team();
    reductions();
    critical_sections();
    atomics();
    barriers();
    single_and_master();
    tasks();
    nested_sections();
    thread_private();
    dynamic_schedule();
    ordered();
    printf("%s\n", failures == 0 ? "all OpenMP checks passed" : "some OpenMP checks FAILED");
    return failures == 0 ? 0 : 1;
}
