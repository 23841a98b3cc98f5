// openat2(2) and its RESOLVE_* restrictions, in $SCRATCH, against Linux.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct open_how_v0 {
    uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10

static const char* errno_name(int e) {
    switch (e) {
        case EXDEV: return "EXDEV";
        case ELOOP: return "ELOOP";
        case ENOENT: return "ENOENT";
        case EINVAL: return "EINVAL";
        case E2BIG: return "E2BIG";
        case EISDIR: return "EISDIR";
        default: return "other";
    }
}

static void try_open(const char* what, int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how_v0 how = {flags, mode, resolve};
    long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (fd < 0) {
        printf("%-44s %s\n", what, errno_name(errno));
        return;
    }
    char text[32] = {0};
    ssize_t n = read((int)fd, text, sizeof text - 1);
    printf("%-44s opened%s%s\n", what, n > 0 ? ": " : "", n > 0 ? text : "");
    close((int)fd);
}

int main(void) {
    const char* scratch = getenv("SCRATCH");
    if (!scratch) return 2;
    mkdir(scratch, 0755);
    if (chdir(scratch) < 0) return 3;
    mkdir("d", 0755);
    mkdir("d/sub", 0755);
    int f = open("d/f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(f, "inside", 6);
    close(f);
    f = open("outside", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(f, "outside", 7);
    close(f);
    symlink("/etc", "d/abs");
    symlink("../outside", "d/rel");
    symlink("f", "d/near");
    int d = open("d", O_RDONLY | O_DIRECTORY);

    try_open("plain f", d, "f", O_RDONLY, 0, 0);
    try_open("plain rel", d, "rel", O_RDONLY, 0, 0);
    try_open("beneath f", d, "f", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath sub/../f", d, "sub/../f", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath ../outside", d, "../outside", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath absolute", d, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath abs link", d, "abs/passwd", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath rel link", d, "rel", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath near link", d, "near", O_RDONLY, 0, RESOLVE_BENEATH);
    try_open("beneath create", d, "new", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH);
    try_open("beneath create ../new", d, "../new", O_CREAT | O_WRONLY, 0644, RESOLVE_BENEATH);
    try_open("no_symlinks f", d, "f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
    try_open("no_symlinks near", d, "near", O_RDONLY, 0, RESOLVE_NO_SYMLINKS);
    try_open("no_symlinks near O_PATH|O_NOFOLLOW", d, "near", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
    try_open("in_root /f", d, "/f", O_RDONLY, 0, RESOLVE_IN_ROOT);
    try_open("in_root ../../f", d, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT);
    try_open("in_root rel link", d, "rel", O_RDONLY, 0, RESOLVE_IN_ROOT);
    try_open("in_root abs link", d, "abs/passwd", O_RDONLY, 0, RESOLVE_IN_ROOT);
    try_open("no_xdev into /proc", AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV);
    try_open("no_xdev f", d, "f", O_RDONLY, 0, RESOLVE_NO_XDEV);
    try_open("no_magiclinks /proc/self/fd/N", AT_FDCWD, "/proc/self/fd/3", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS);
    try_open("beneath|in_root", d, "f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT);
    try_open("unknown resolve bit", d, "f", O_RDONLY, 0, 0x1000);
    try_open("mode without O_CREAT", d, "f", O_RDONLY, 0644, 0);
    try_open("unknown open flag", d, "f", O_RDONLY | 0x40000000, 0, 0);
    struct open_how_v0 how = {O_RDONLY, 0, 0};
    printf("%-44s %s\n", "size too small", syscall(SYS_openat2, d, "f", &how, 8) < 0 ? errno_name(errno) : "opened");
    return 0;
}
