/* segfault: prints a line, then stores through a NULL pointer (the shell sees 139). */
#include <stdio.h>

int main(void)
{
    printf("about to write through NULL\n");
    fflush(stdout);
    /* both volatile: the compiler can neither prove p is NULL nor drop the store */
    volatile int *volatile p = NULL;
    *p = 42;
    printf("still alive?\n");
    return 0;
}
