// The device and pseudo files that C libraries and language runtimes read: /dev/null,
// zero, full, urandom, /proc/self/*, /proc/cpuinfo and meminfo, /sys's CPU lists, /etc.
// Only what holds on any Linux machine is printed (no host names, sizes or ids).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void result(const char* what, long value) {
    if (value < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, value);
}

static long read_all(const char* path, char* buffer, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    size_t used = 0;
    ssize_t n;
    while (used + 1 < size && (n = read(fd, buffer + used, size - 1 - used)) > 0) used += (size_t)n;
    buffer[used] = 0;
    close(fd);
    return (long)used;
}

static int count_lines_starting(const char* text, const char* prefix) {
    int count = 0;
    size_t length = strlen(prefix);
    for (const char* line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, prefix, length) == 0) ++count;
    return count;
}

// "0-3" or "0" or "0,2-3" -> how many CPUs.
static int count_cpu_list(const char* text) {
    int count = 0;
    while (*text && *text != '\n') {
        int first = (int)strtol(text, (char**)&text, 10), last = first;
        if (*text == '-') last = (int)strtol(text + 1, (char**)&text, 10);
        count += last - first + 1;
        if (*text == ',') ++text;
    }
    return count;
}

int main(void) {
    static char buffer[1 << 20];
    char small[64];

    int fd = open("/dev/null", O_RDWR);
    result("/dev/null read", read(fd, small, sizeof small));
    result("/dev/null write", write(fd, "abc", 3));
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(small, 1, sizeof small);
    result("/dev/zero read", read(fd, small, sizeof small));
    int zero = 1;
    for (size_t i = 0; i < sizeof small; ++i) zero &= small[i] == 0;
    printf("/dev/zero gives zeroes: %d\n", zero);
    close(fd);
    fd = open("/dev/full", O_WRONLY);
    result("/dev/full write", write(fd, "x", 1));
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    result("/dev/urandom read", read(fd, small, 32));
    int distinct = 0;
    for (int i = 1; i < 32; ++i) distinct += small[i] != small[0];
    printf("/dev/urandom varies: %d\n", distinct > 8);
    close(fd);
    struct stat st;
    stat("/dev/null", &st);
    printf("/dev/null is a char device 1:3: %d\n",
           S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3);

    long online = sysconf(_SC_NPROCESSORS_ONLN);
    read_all("/proc/cpuinfo", buffer, sizeof buffer);
    printf("cpuinfo processors match sysconf: %d\n", count_lines_starting(buffer, "processor") == online);
    read_all("/sys/devices/system/cpu/online", buffer, sizeof buffer);
    printf("sys cpu online matches sysconf: %d\n", count_cpu_list(buffer) == online);
    read_all("/proc/meminfo", buffer, sizeof buffer);
    printf("meminfo has MemTotal, MemFree, MemAvailable: %d\n", count_lines_starting(buffer, "MemTotal:") +
                                                                        count_lines_starting(buffer, "MemFree:") +
                                                                        count_lines_starting(buffer, "MemAvailable:") ==
                                                                    3);

    read_all("/proc/self/maps", buffer, sizeof buffer);
    printf("maps has [stack]: %d, [vdso]: %d\n", strstr(buffer, "[stack]") != NULL, strstr(buffer, "[vdso]") != NULL);
    read_all("/proc/self/status", buffer, sizeof buffer);
    printf("status has Threads:\t1: %d\n", strstr(buffer, "Threads:\t1\n") != NULL);
    long n = read_all("/proc/self/cmdline", buffer, sizeof buffer);
    printf("cmdline ends in proc_dev: %d\n", n > 0 && strstr(buffer, "proc_dev") != NULL);
    n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    buffer[n > 0 ? n : 0] = 0;
    printf("exe ends in proc_dev: %d\n", strstr(buffer, "proc_dev") != NULL);
    n = readlink("/proc/self/fd/1", buffer, sizeof buffer - 1);
    printf("fd/1 is a link: %d\n", n > 0);
    char cwd[4096];
    chdir("/tmp");
    n = readlink("/proc/self/cwd", buffer, sizeof buffer - 1);
    buffer[n > 0 ? n : 0] = 0;
    printf("cwd link: %s (getcwd %s)\n", buffer, getcwd(cwd, sizeof cwd));

    printf("/etc/hostname exists: %d\n", access("/etc/hostname", R_OK) == 0);
    printf("/etc/passwd has root: %d\n",
           read_all("/etc/passwd", buffer, sizeof buffer) > 0 && strncmp(buffer, "root:", 5) == 0);
    printf("/tmp is a sticky directory: %d\n", stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 01000));
    return 0;
}
