/* stdio: printf formats, puts, fputs and a little stderr (stderr is not compared). */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    puts("stdio: hello from puts");
    fputs("stdio: hello from fputs\n", stdout);
    fprintf(stderr, "stdio: this line goes to stderr\n");

    printf("int: %d %i %5d|%-5d|%05d %+d\n", 42, -7, 13, 13, 13, 99);
    printf("limits: %d %d %u\n", INT_MIN, INT_MAX, UINT_MAX);
    printf("long: %ld %lu %lld %llu\n", LONG_MIN, ULONG_MAX, LLONG_MIN, ULLONG_MAX);
    printf("hex/oct: %x %X %#x %#o %o\n", 0xdeadbeefu, 0xcafeu, 255u, 8u, 0777u);
    printf("inttypes: %" PRId64 " %" PRIu64 " %" PRIx64 "\n",
           INT64_C(-1234567890123), UINT64_C(18446744073709551615), UINT64_C(0x0123456789abcdef));
    printf("float: %f %.3f %10.2f|%-10.2f| %e %E %g %G\n",
           3.14159265358979, 2.718281828, 1.5, -1.5, 123456.789, 0.000123, 1e-10, 1e20);
    printf("special: %f %f %.0f %.0f\n", (double)INFINITY, -(double)INFINITY, 0.5, 1.5);
    printf("char/string: %c%c%c [%s] [%10s] [%-10s] [%.3s]\n", 'a', 'b', 'c', "str", "right", "left", "truncate");
    printf("percent: 100%%\n");
    printf("size_t: %zu ptrdiff: %td\n", sizeof(long double), (ptrdiff_t)-5);

    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s-%d-%.2f", "snprintf", 7, 0.25);
    printf("snprintf wrote %d: %s\n", n, buf);
    const char *volatile long_text = "this will be truncated"; /* hides the truncation from -Wformat-truncation */
    n = snprintf(buf, 8, "%s", long_text);
    printf("snprintf truncated %d: %s (len %zu)\n", n, buf, strlen(buf));

    for (int i = 0; i < 5; i++)
        printf("line %d of %d\n", i + 1, 5);
    putchar('x');
    putchar('\n');
    fwrite("fwrite works\n", 1, 13, stdout);
    fprintf(stderr, "stdio: done (stderr)\n");
    return 0;
}
