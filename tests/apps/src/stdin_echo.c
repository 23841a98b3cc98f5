/* stdin_echo: reads stdin to EOF, prints the byte count and the content uppercased. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        return 1;
    size_t n;
    while ((n = fread(buf + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                return 1;
            buf = nb;
        }
    }
    if (ferror(stdin)) {
        printf("read error\n");
        return 1;
    }
    printf("bytes=%zu\n", len);
    for (size_t i = 0; i < len; i++)
        putchar(toupper((unsigned char)buf[i]));
    printf("<EOF>\n");
    free(buf);
    return 0;
}
