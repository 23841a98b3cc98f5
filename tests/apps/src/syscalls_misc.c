/* syscalls_misc: uname, getpid, write/writev on fd 1, a few more cheap calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

static int failures;

static void report(const char *what, int ok)
{
    printf("%s: %s\n", what, ok ? "ok" : "FAIL");
    if (!ok)
        failures++;
}

int main(void)
{
    struct utsname u;
    report("uname succeeds", uname(&u) == 0);
    printf("sysname=%s\n", u.sysname);
    report("machine is x86_64", strcmp(u.machine, "x86_64") == 0);
    report("getpid > 0", getpid() > 0);
    report("getppid >= 0", getppid() >= 0);
    report("getuid/geteuid agree", getuid() == geteuid());
    report("getgid/getegid agree", getgid() == getegid());
    fflush(stdout);

    /* raw write and writev straight to fd 1, interleaved with flushed stdio */
    const char msg[] = "write: direct to fd 1\n";
    report("write returns the length", write(STDOUT_FILENO, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1));
    fflush(stdout);
    char a[] = "writev: ", b[] = "three ", c[] = "pieces\n";
    struct iovec iov[3] = {{a, strlen(a)}, {b, strlen(b)}, {c, strlen(c)}};
    ssize_t n = writev(STDOUT_FILENO, iov, 3);
    report("writev returns the total", n == (ssize_t)(strlen(a) + strlen(b) + strlen(c)));
    report("write of 0 bytes returns 0", write(STDOUT_FILENO, msg, 0) == 0);
    errno = 0;
    report("write to a bad fd fails with EBADF", write(1000, msg, 1) == -1 && errno == EBADF);
    errno = 0;
    report("close of a bad fd fails with EBADF", close(1000) == -1 && errno == EBADF);

    printf("syscalls_misc: %s\n", failures == 0 ? "ok" : "FAIL");
    return failures == 0 ? 0 : 1;
}
