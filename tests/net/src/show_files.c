/* Prints the files named on the command line, one after the other (cat, for a guest
 * without one). */
#include <stdio.h>

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        FILE* file = fopen(argv[i], "r");
        if (!file) {
            perror(argv[i]);
            return 1;
        }
        char buffer[4096];
        size_t n;
        while ((n = fread(buffer, 1, sizeof buffer, file)) > 0) fwrite(buffer, 1, n, stdout);
        fclose(file);
    }
    return 0;
}
