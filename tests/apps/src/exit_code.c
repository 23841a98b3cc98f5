/* exit_code: exits with the status given as argv[1]. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: exit_code STATUS\n");
        return 2;
    }
    int status = atoi(argv[1]);
    printf("exiting with %d\n", status);
    exit(status);
}
