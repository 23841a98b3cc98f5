/* argv_env: prints argc, every argv entry and every environment entry, in order. */
#include <stdio.h>

extern char **environ;

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");
    int n = 0;
    for (char **e = environ; *e != NULL; e++, n++)
        printf("env[%d]=[%s]\n", n, *e);
    printf("envc=%d\n", n);
    return 0;
}
