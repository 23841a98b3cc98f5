/* getrandom: two 64-byte getrandom() results are non-zero and differ; AT_RANDOM is set. */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

int main(void)
{
    int failures = 0;
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    ssize_t na = getrandom(a, sizeof a, 0);
    ssize_t nb = getrandom(b, sizeof b, 0);
    if (na == (ssize_t)sizeof a && nb == (ssize_t)sizeof b) {
        printf("getrandom returned 64 bytes twice: ok\n");
    } else {
        printf("getrandom returned %zd and %zd: FAIL\n", na, nb);
        failures++;
    }
    if (!all_zero(a, sizeof a) && !all_zero(b, sizeof b)) {
        printf("getrandom bytes not all zero: ok\n");
    } else {
        printf("getrandom bytes all zero: FAIL\n");
        failures++;
    }
    if (memcmp(a, b, sizeof a) != 0) {
        printf("two getrandom results differ: ok\n");
    } else {
        printf("two getrandom results are equal: FAIL\n");
        failures++;
    }

    unsigned char c[16];
    ssize_t nc = getrandom(c, sizeof c, GRND_NONBLOCK);
    if (nc == (ssize_t)sizeof c) {
        printf("getrandom GRND_NONBLOCK: ok\n");
    } else {
        printf("getrandom GRND_NONBLOCK returned %zd: FAIL\n", nc);
        failures++;
    }

    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    if (r != NULL) {
        printf("AT_RANDOM is set: ok\n");
        if (!all_zero(r, 16)) {
            printf("AT_RANDOM bytes not all zero: ok\n");
        } else {
            printf("AT_RANDOM bytes all zero: FAIL\n");
            failures++;
        }
    } else {
        printf("AT_RANDOM is NULL: FAIL\n");
        failures++;
    }
    return failures == 0 ? 0 : 1;
}
