// The smallest Eremite program is an ordinary static Linux program.
#include <stdio.h>

int main(int argc, char** argv) {
    printf("Hello from Eremite!");
    for (int i = 1; i < argc; ++i) printf(" %s", argv[i]);
    printf("\n");
    return 0;
}
