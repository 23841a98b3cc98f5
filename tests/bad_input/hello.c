/* The valid program the hostile inputs are derived from (and the app for option tests). */
#include <stdio.h>

int main(void)
{
    puts("hello from tests/bad_input");
    return 0;
}
