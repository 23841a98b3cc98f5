/* malloc_churn: many malloc/realloc/free of pseudo-random sizes; verifies contents
 * and prints a checksum. Deterministic: sizes come from a fixed LCG. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512
#define ROUNDS 60000

static uint64_t lcg_state = 0x2545F4914F6CDD1Dull;

static uint32_t next_rand(void)
{
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(lcg_state >> 33);
}

static size_t random_size(void)
{
    uint32_t r = next_rand();
    uint32_t k = next_rand() % 64;
    if (k == 0)
        return 0;
    if (k < 40)
        return 1 + r % 64;
    if (k < 54)
        return 64 + r % 1024;
    if (k < 60)
        return 1024 + r % 16384;
    if (k < 63)
        return 16384 + r % 131072;
    return 131072 + r % (512u << 10); /* large: likely mmap-backed */
}

struct slot {
    unsigned char *p;
    size_t size;
    unsigned char tag;
};

static int check(const struct slot *s)
{
    for (size_t i = 0; i < s->size; i++)
        if (s->p[i] != (unsigned char)(s->tag + i * 7))
            return 0;
    return 1;
}

static void fill(struct slot *s, size_t from)
{
    for (size_t i = from; i < s->size; i++)
        s->p[i] = (unsigned char)(s->tag + i * 7);
}

int main(void)
{
    static struct slot slots[SLOTS];
    uint64_t checksum = 0;
    unsigned long mallocs = 0, reallocs = 0, frees = 0, errors = 0;

    for (int round = 0; round < ROUNDS; round++) {
        struct slot *s = &slots[next_rand() % SLOTS];
        uint32_t op = next_rand() % 3;
        if (s->p == NULL || op == 0) {
            if (s->p != NULL) {
                if (!check(s))
                    errors++;
                free(s->p);
                frees++;
            }
            s->size = random_size();
            s->tag = (unsigned char)next_rand();
            s->p = malloc(s->size ? s->size : 1);
            mallocs++;
            if (s->p == NULL) {
                printf("malloc(%zu) failed\n", s->size);
                return 1;
            }
            fill(s, 0);
        } else if (op == 1) {
            if (!check(s))
                errors++;
            size_t old = s->size;
            size_t nsize = random_size();
            unsigned char *np = realloc(s->p, nsize ? nsize : 1);
            reallocs++;
            if (np == NULL) {
                printf("realloc(%zu) failed\n", nsize);
                return 1;
            }
            s->p = np;
            s->size = nsize;
            size_t keep = old < nsize ? old : nsize;
            if (keep > 0) {
                /* the preserved prefix must still hold the old pattern */
                struct slot prefix = {np, keep, s->tag};
                if (!check(&prefix))
                    errors++;
            }
            fill(s, keep);
        } else {
            if (!check(s))
                errors++;
            for (size_t i = 0; i < s->size; i += 61)
                checksum = checksum * 31 + s->p[i];
            free(s->p);
            frees++;
            s->p = NULL;
            s->size = 0;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].p == NULL)
            continue;
        if (!check(&slots[i]))
            errors++;
        checksum = checksum * 31 + slots[i].size;
        free(slots[i].p);
        frees++;
    }

    /* calloc must return zeroed memory, also when it reuses freed chunks */
    for (int i = 0; i < 100; i++) {
        size_t n = 1 + next_rand() % 20000;
        unsigned char *p = calloc(n, 1);
        if (p == NULL) {
            printf("calloc failed\n");
            return 1;
        }
        for (size_t j = 0; j < n; j++)
            if (p[j] != 0)
                errors++;
        memset(p, 0xAB, n);
        free(p);
    }

    printf("mallocs=%lu reallocs=%lu frees=%lu\n", mallocs, reallocs, frees);
    printf("errors=%lu\n", errors);
    printf("checksum=%016llx\n", (unsigned long long)checksum);
    printf("%s\n", errors == 0 ? "ok" : "FAIL");
    return errors == 0 ? 0 : 1;
}
