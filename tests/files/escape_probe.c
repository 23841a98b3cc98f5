// Run inside Eremite with a host directory at /shared and a read-only one at /ro (see
// escape_test.sh): tries every way out of them it knows and prints what happened. A
// line with the host secret's content, or a change to the read-only directory, fails
// the test.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_read(const char* path) {
    char buffer[256] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("read %s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    printf("read %s: %zd bytes: %s\n", path, n, n > 0 ? buffer : "");
    close(fd);
}

static void try_list(const char* path) {
    DIR* dir = opendir(path);
    if (!dir) {
        printf("list %s: %s\n", path, strerror(errno));
        return;
    }
    printf("list %s:", path);
    struct dirent* entry;
    while ((entry = readdir(dir))) printf(" %s", entry->d_name);
    printf("\n");
    closedir(dir);
}

static void result(const char* what, int r) { printf("%s: %s\n", what, r < 0 ? strerror(errno) : "done"); }

int main(void) {
    try_read("/shared/file");
    try_read("/shared/../outside/secret");
    try_read("/shared/../../outside/secret");
    try_read("/shared/abs_link");
    try_read("/shared/rel_link");
    try_read("/shared/dir_link/secret");
    try_list("/shared/dir_link");
    try_list("/shared/..");
    try_read("/proc/self/root/outside/secret");
    try_read("/proc/self/cwd/../outside/secret");
    result("symlink /shared/evil -> host secret", symlink("../outside/secret", "/shared/evil"));
    try_read("/shared/evil");
    result("link /shared/file /shared/linked", link("/shared/file", "/shared/linked"));

    try_read("/ro/keep");
    result("open /ro/keep for writing", open("/ro/keep", O_WRONLY));
    result("open /ro/keep O_TRUNC", open("/ro/keep", O_RDONLY | O_TRUNC));
    result("create /ro/new", open("/ro/new", O_CREAT | O_WRONLY, 0644));
    result("unlink /ro/keep", unlink("/ro/keep"));
    result("mkdir /ro/dir", mkdir("/ro/dir", 0755));
    result("rmdir /ro/sub", rmdir("/ro/sub"));
    result("rename /ro/keep /ro/moved", rename("/ro/keep", "/ro/moved"));
    result("chmod /ro/keep", chmod("/ro/keep", 0777));
    result("truncate /ro/keep", truncate("/ro/keep", 0));
    result("symlink in /ro", symlink("x", "/ro/link"));
    result("utimensat /ro/keep", utimensat(AT_FDCWD, "/ro/keep", NULL, 0));
    result("rename /shared/file /ro/file", rename("/shared/file", "/ro/file"));
    result("link /ro/keep /shared/keep", link("/ro/keep", "/shared/keep"));
    result("rename /ro/keep /shared/keep", rename("/ro/keep", "/shared/keep"));
    return 0;
}
