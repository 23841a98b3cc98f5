/* clocks: MONOTONIC never goes back, REALTIME is after 2020-01-01, gettimeofday and
 * time() agree with REALTIME. Prints only pass/fail lines, so stdout is deterministic. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static int failures;

static void report(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "pass" : "FAIL");
    if (!ok)
        failures++;
}

static long long ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000ll + t->tv_nsec;
}

int main(void)
{
    struct timespec prev, cur;
    int ok = clock_gettime(CLOCK_MONOTONIC, &prev) == 0;
    int monotonic = 1, valid_nsec = 1;
    for (int i = 0; i < 100000 && ok; i++) {
        ok = clock_gettime(CLOCK_MONOTONIC, &cur) == 0;
        if (cur.tv_nsec < 0 || cur.tv_nsec >= 1000000000l)
            valid_nsec = 0;
        if (ns(&cur) < ns(&prev))
            monotonic = 0;
        prev = cur;
    }
    report("clock_gettime(CLOCK_MONOTONIC) succeeds", ok);
    report("CLOCK_MONOTONIC never decreases", monotonic);
    report("CLOCK_MONOTONIC tv_nsec in range", valid_nsec);

    struct timespec rt;
    ok = clock_gettime(CLOCK_REALTIME, &rt) == 0;
    report("clock_gettime(CLOCK_REALTIME) succeeds", ok);
    report("CLOCK_REALTIME is after 2020-01-01", rt.tv_sec > 1577836800);
    report("CLOCK_REALTIME tv_nsec in range", rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000l);

    struct timeval tv;
    ok = gettimeofday(&tv, NULL) == 0;
    report("gettimeofday succeeds", ok);
    long long d = (long long)tv.tv_sec - rt.tv_sec;
    report("gettimeofday within 2 s of CLOCK_REALTIME", d >= -2 && d <= 2);
    report("gettimeofday tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    time_t t1 = time(NULL), t2;
    time(&t2);
    d = (long long)t1 - rt.tv_sec;
    report("time() within 2 s of CLOCK_REALTIME", d >= -2 && d <= 2);
    report("time(&t) agrees with time(NULL)", t2 >= t1 && t2 - t1 <= 2);

    struct timespec res;
    report("clock_getres(CLOCK_MONOTONIC) succeeds", clock_getres(CLOCK_MONOTONIC, &res) == 0);

    /* a busy loop must make CLOCK_MONOTONIC advance */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    volatile unsigned long spin = 0;
    do {
        for (int i = 0; i < 100000; i++)
            spin++;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while (ns(&b) == ns(&a) && spin < 1000000000ul);
    report("CLOCK_MONOTONIC advances", ns(&b) > ns(&a));

    printf("clocks: %s\n", failures == 0 ? "ok" : "FAIL");
    return failures == 0 ? 0 : 1;
}
