// What a program learns about its standard streams: a terminal or not, and the terminal
// calls glibc's stdio makes. Compared natively and in Eremite, under `script` (a pty) and
// with pipes.
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    struct winsize size;
    struct termios modes;
    printf("isatty(0)=%d isatty(1)=%d tcgetattr=%d winsize=%d\n", isatty(0), isatty(1), tcgetattr(1, &modes),
           ioctl(1, TIOCGWINSZ, &size));
    return 0;
}
