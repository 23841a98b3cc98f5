// Prints what the guest sees at the paths it is given: type, mode, size, link target
// and the first line of a file's contents (used by initrd_test.sh).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        struct stat st;
        if (lstat(argv[i], &st) < 0) {
            printf("%s: %s\n", argv[i], strerror(errno));
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[256] = {0};
            readlink(argv[i], target, sizeof target - 1);
            printf("%s: link -> %s\n", argv[i], target);
        } else if (S_ISDIR(st.st_mode)) {
            printf("%s: dir %04o\n", argv[i], (unsigned)(st.st_mode & 07777));
        } else {
            char line[128] = {0};
            int fd = open(argv[i], O_RDONLY);
            ssize_t n = read(fd, line, sizeof line - 1);
            close(fd);
            char* end = strchr(line, '\n');
            if (end) *end = 0;
            printf("%s: file %04o size %lld links %lu: %s\n", argv[i], (unsigned)(st.st_mode & 07777),
                   (long long)st.st_size, (unsigned long)st.st_nlink, n > 0 ? line : "");
        }
    }
    return 0;
}
