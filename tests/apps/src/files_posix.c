// The POSIX file API, in the directory $SCRATCH: natively a host directory, under Eremite
// its tmpfs or a --mount'ed host directory (tests/apps/CMakeLists.txt runs both). Every
// step prints its result or the errno name, so a difference from Linux shows as a line.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char* errno_name(int e) {
    switch (e) {
        case 0: return "ok";
        case ENOENT: return "ENOENT";
        case EEXIST: return "EEXIST";
        case ENOTDIR: return "ENOTDIR";
        case EISDIR: return "EISDIR";
        case ENOTEMPTY: return "ENOTEMPTY";
        case EBADF: return "EBADF";
        case EINVAL: return "EINVAL";
        case ELOOP: return "ELOOP";
        case ENAMETOOLONG: return "ENAMETOOLONG";
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case EBUSY: return "EBUSY";
        case ESPIPE: return "ESPIPE";
        case ERANGE: return "ERANGE";
        case EXDEV: return "EXDEV";
        case EFAULT: return "EFAULT";
        default: return "other";
    }
}

// Prints "what: result" with the value for success and the errno name for failure.
static long check(const char* what, long result) {
    if (result < 0)
        printf("%s: %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, result);
    return result;
}

// For calls that return a new descriptor: its number depends on what the process
// inherited, so only success is printed.
static int check_fd(const char* what, int fd) {
    if (fd < 0)
        printf("%s: %s\n", what, errno_name(errno));
    else
        printf("%s: fd\n", what);
    return fd;
}

static void print_stat(const char* what, const char* path, int follow) {
    struct stat st;
    int r = follow ? stat(path, &st) : lstat(path, &st);
    if (r < 0) {
        printf("%s: %s\n", what, errno_name(errno));
        return;
    }
    const char* type = S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : "?";
    printf("%s: %s mode %04o size %lld nlink %lu\n", what, type, (unsigned)(st.st_mode & 07777),
           S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size, (unsigned long)(S_ISDIR(st.st_mode) ? 0 : st.st_nlink));
}

static int compare(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void list(const char* what, const char* path) {
    DIR* dir = opendir(path);
    if (!dir) {
        printf("%s: %s\n", what, errno_name(errno));
        return;
    }
    char* names[64];
    int count = 0;
    struct dirent* entry;
    while ((entry = readdir(dir)) && count < 64) names[count++] = strdup(entry->d_name);
    closedir(dir);
    qsort(names, count, sizeof names[0], compare);  // directory order is the file system's own
    printf("%s:", what);
    for (int i = 0; i < count; ++i) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void write_file(const char* path, const char* text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) printf("write_file %s failed\n", path);
    close(fd);
}

int main(void) {
    const char* scratch = getenv("SCRATCH");
    if (!scratch) return 2;
    mkdir(scratch, 0755);  // Eremite's tmpfs variant starts without it
    if (chdir(scratch) < 0) return 3;
    umask(022);

    // open and creat
    int fd = check_fd("creat a", creat("a", 0666));
    check("write a", write(fd, "hello, world\n", 13));
    struct stat after_write;
    fstat(fd, &after_write);
    printf("fstat after write: size %lld\n", (long long)after_write.st_size);
    check("close a", close(fd));
    check_fd("open a O_CREAT|O_EXCL", open("a", O_CREAT | O_EXCL | O_RDWR, 0600));
    check_fd("open missing", open("missing", O_RDONLY));
    check_fd("open a/ (trailing slash)", open("a/", O_RDONLY));
    check_fd("open a O_DIRECTORY", open("a", O_RDONLY | O_DIRECTORY));
    check_fd("open . O_WRONLY", open(".", O_WRONLY));
    print_stat("stat a", "a", 1);

    // read, pread, lseek, holes
    fd = check_fd("open a rdwr", open("a", O_RDWR));
    char buffer[256] = {0};
    check("read 5", read(fd, buffer, 5));
    printf("  got '%s'\n", buffer);
    check("lseek cur", lseek(fd, 0, SEEK_CUR));
    check("pread 5 at 7", pread(fd, buffer, 5, 7));
    printf("  got '%.5s'\n", buffer);
    check("lseek cur after pread", lseek(fd, 0, SEEK_CUR));
    check("lseek end", lseek(fd, 0, SEEK_END));
    check("lseek 100 past end", lseek(fd, 100, SEEK_END));
    check("write past end", write(fd, "X", 1));
    print_stat("stat a after hole", "a", 1);
    memset(buffer, 'z', sizeof buffer);
    check("pread hole", pread(fd, buffer, 16, 20));
    int zeroes = 1;
    for (int i = 0; i < 16; ++i) zeroes &= buffer[i] == 0;
    printf("  hole reads zeroes: %d\n", zeroes);
    check("lseek negative", lseek(fd, -1, SEEK_SET));
    check("pwrite at 0", pwrite(fd, "HELLO", 5, 0));
    check("pread back", pread(fd, buffer, 13, 0));
    printf("  got '%.13s'\n", buffer);

    // vectored I/O
    struct iovec parts[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
    int v = check_fd("open v", open("v", O_CREAT | O_RDWR | O_TRUNC, 0644));
    check("writev", writev(v, parts, 3));
    check("pwritev at 4", pwritev(v, parts + 1, 1, 0));
    char x[5] = {0}, y[20] = {0};
    struct iovec in[2] = {{x, 4}, {y, sizeof y - 1}};
    check("preadv", preadv(v, in, 2, 0));
    printf("  got '%s' '%s'", x, y);
    check("close v", close(v));

    // truncate
    check("ftruncate a 5", ftruncate(fd, 5));
    print_stat("stat a 5", "a", 1);
    check("ftruncate a 10000", ftruncate(fd, 10000));
    print_stat("stat a 10000", "a", 1);
    check("truncate a 3", truncate("a", 3));
    check("pread after truncate", pread(fd, buffer, 100, 0));
    check("close a", close(fd));
    fd = check_fd("open a rdonly", open("a", O_RDONLY));
    check("ftruncate rdonly", ftruncate(fd, 0));
    check("write rdonly", write(fd, "x", 1));
    check("close", close(fd));
    check("close again", close(fd));

    // O_APPEND and O_TRUNC
    fd = check_fd("open a append", open("a", O_WRONLY | O_APPEND));
    check("lseek 0", lseek(fd, 0, SEEK_SET));
    check("append", write(fd, "tail", 4));
    check("position after append", lseek(fd, 0, SEEK_CUR));
    check("fcntl getfl has O_APPEND", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    // The kernel's O_LARGEFILE (glibc defines the macro as 0 on x86-64): open() adds it.
    check("fcntl getfl has the kernel's O_LARGEFILE", (fcntl(fd, F_GETFL) & 0100000) != 0);
    int ends[2];
    pipe(ends);
    check("a pipe's getfl has it", (fcntl(ends[0], F_GETFL) & 0100000) != 0);
    close(ends[0]);
    close(ends[1]);
    check("fcntl setfl 0 clears O_APPEND", fcntl(fd, F_SETFL, 0));
    check("fcntl getfl has O_APPEND", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    check("close", close(fd));
    print_stat("stat a after append", "a", 1);
    fd = check_fd("open a trunc", open("a", O_WRONLY | O_TRUNC));
    print_stat("stat a after O_TRUNC", "a", 1);
    check("close", close(fd));

    write_file("t", "abc");
    fd = check_fd("open t O_RDONLY|O_TRUNC", open("t", O_RDONLY | O_TRUNC));
    close(fd);
    print_stat("stat t after O_RDONLY|O_TRUNC", "t", 1);

    // directories
    check("mkdir d", mkdir("d", 0755));
    check("mkdir d again", mkdir("d", 0755));
    check("mkdir d/e/f", mkdir("d/e/f", 0755));
    check("mkdir d/e", mkdir("d/e", 0700));
    print_stat("stat d/e", "d/e", 1);
    write_file("d/file1", "1");
    write_file("d/file2", "22");
    list("list d", "d");
    check("rmdir d", rmdir("d"));
    check("rmdir d/file1", rmdir("d/file1"));
    check("unlink d", unlink("d"));
    check("unlink d/e", unlink("d/e"));
    check("rmdir d/e/.", rmdir("d/e/."));
    check("rmdir d/e", rmdir("d/e"));
    check("mkdir a/x", mkdir("a/x", 0755));
    check_fd("open a/x", open("a/x", O_RDONLY));
    check("stat a/", (long)stat("a/", &(struct stat){0}));
    char long_name[300];
    memset(long_name, 'n', 299);
    long_name[299] = 0;
    check_fd("open 299-byte name", open(long_name, O_CREAT | O_RDONLY, 0644));

    // rename
    check("rename d/file1 d/file3", rename("d/file1", "d/file3"));
    check("rename d/file3 over d/file2", rename("d/file3", "d/file2"));
    list("list d after renames", "d");
    check("rename missing", rename("d/nothing", "d/x"));
    check("mkdir d/sub", mkdir("d/sub", 0755));
    check("rename file over dir", rename("d/file2", "d/sub"));
    check("rename dir over file", rename("d/sub", "d/file2"));
    check("rename dir into itself", rename("d", "d/sub/d"));
    check("mkdir e", mkdir("e", 0755));
    check("rename d/sub e/sub", rename("d/sub", "e/sub"));
    write_file("e/sub/inner", "inner");
    check("mkdir e/empty", mkdir("e/empty", 0755));
    check("rename e/sub over empty dir", rename("e/sub", "e/empty"));
    list("list e", "e");
    check("mkdir e/full", mkdir("e/full", 0755));
    write_file("e/full/f", "f");
    check("rename e/empty over non-empty", rename("e/empty", "e/full"));
    check("renameat2 noreplace", syscall(SYS_renameat2, AT_FDCWD, "d/file2", AT_FDCWD, "e/full/f", 1));
    check("rename same", rename("d/file2", "d/file2"));

    // links
    check("link d/file2 d/hard", link("d/file2", "d/hard"));
    print_stat("stat d/hard", "d/hard", 1);
    check("link onto existing", link("d/file2", "d/hard"));
    check("link a directory", link("e", "e2"));
    check("unlink d/file2", unlink("d/file2"));
    print_stat("stat d/hard after unlink", "d/hard", 1);
    check("symlink", symlink("hard", "d/soft"));
    check("symlink to dir", symlink("../e", "d/to_e"));
    check("symlink absolute", symlink(scratch, "d/to_scratch"));
    check("symlink dangling", symlink("nowhere", "d/dangling"));
    check("symlink existing", symlink("x", "d/soft"));
    print_stat("lstat d/soft", "d/soft", 0);
    print_stat("stat d/soft", "d/soft", 1);
    memset(buffer, 0, sizeof buffer);
    check("readlink d/soft", readlink("d/soft", buffer, sizeof buffer));
    printf("  target '%s'\n", buffer);
    check("readlink short buffer", readlink("d/soft", buffer, 2));
    check("readlink a file", readlink("d/hard", buffer, sizeof buffer));
    list("list through d/to_e", "d/to_e");
    print_stat("stat d/to_e/full/f", "d/to_e/full/f", 1);
    print_stat("stat d/to_e/../d/hard", "d/to_e/../d/hard", 1);
    print_stat("stat d/to_scratch/d/hard", "d/to_scratch/d/hard", 1);
    check_fd("open dangling", open("d/dangling", O_RDONLY));
    check_fd("open O_NOFOLLOW on link", open("d/soft", O_RDONLY | O_NOFOLLOW));
    check("symlink loop a", symlink("loop_b", "loop_a"));
    check("symlink loop b", symlink("loop_a", "loop_b"));
    check_fd("open loop", open("loop_a", O_RDONLY));
    check("unlink symlink", unlink("d/dangling"));
    check("creat through dangling-free link", open("d/soft", O_CREAT | O_WRONLY, 0644) >= 0);

    // modes and times
    umask(077);
    fd = check_fd("creat with umask 077", open("m", O_CREAT | O_WRONLY, 0666));
    close(fd);
    print_stat("stat m", "m", 1);
    umask(022);
    check("chmod m 0751", chmod("m", 0751));
    print_stat("stat m after chmod", "m", 1);
    fd = open("m", O_RDONLY);
    check("fchmod m 0640", fchmod(fd, 0640));
    close(fd);
    print_stat("stat m after fchmod", "m", 1);
    struct timespec times[2] = {{1000000000, 5}, {1234567890, 123456789}};
    check("utimensat", utimensat(AT_FDCWD, "m", times, 0));
    struct stat st;
    stat("m", &st);
    printf("  mtime %lld.%09ld atime %lld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
           (long long)st.st_atim.tv_sec);
    check("chown to self", chown("m", getuid(), getgid()));
    check("mknod regular", mknod("n", S_IFREG | 0600, 0));
    print_stat("stat n", "n", 1);
    check("access m R_OK", access("m", R_OK));
    check("access missing", access("missing", F_OK));

    // descriptors
    fd = open("m", O_RDONLY);
    int d1 = check("dup >= 0", dup(fd) >= 0);
    (void)d1;
    check("dup2 to 100", dup2(fd, 100));
    check("fcntl getfd 100", fcntl(100, F_GETFD));
    check("dup3 cloexec to 101", dup3(fd, 101, O_CLOEXEC));
    check("fcntl getfd 101", fcntl(101, F_GETFD));
    check("dup3 same", dup3(101, 101, 0));
    check("fcntl dupfd >= 200", fcntl(fd, F_DUPFD, 200));
    check("fcntl dupfd_cloexec >= 200", fcntl(fd, F_DUPFD_CLOEXEC, 200));
    check("fcntl setfd", fcntl(200, F_SETFD, FD_CLOEXEC));
    check("fcntl getfd 200", fcntl(200, F_GETFD));
    check("close_range 100-201", syscall(SYS_close_range, 100, 201, 0));
    check("fcntl getfd 200 after close_range", fcntl(200, F_GETFD));
    check("dup bad", dup(9999));
    close(fd);

    // *at and the working directory
    int dir = check("open d dirfd", open("d", O_RDONLY | O_DIRECTORY) >= 0);
    dir = open("d", O_RDONLY | O_DIRECTORY);
    check("openat hard", openat(dir, "hard", O_RDONLY) >= 0);
    check("fstatat AT_EMPTY_PATH", fstatat(dir, "", &st, AT_EMPTY_PATH));
    printf("  is dir %d\n", S_ISDIR(st.st_mode));
    check("mkdirat", mkdirat(dir, "at", 0755));
    check("unlinkat AT_REMOVEDIR", unlinkat(dir, "at", AT_REMOVEDIR));
    check("unlinkat dir without flag", unlinkat(dir, "to_e", AT_REMOVEDIR));
    check("fchdir", fchdir(dir));
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    printf("  cwd ends in /d: %d\n", strlen(cwd) >= 2 && strcmp(cwd + strlen(cwd) - 2, "/d") == 0);
    check("chdir ..", chdir(".."));
    check("getcwd tiny buffer", getcwd(cwd, 2) ? 0 : -1);
    check("chdir a (file)", chdir("a"));
    check("fchdir file", fchdir(open("a", O_RDONLY)));
    close(dir);

    // getdents through readdir of a bigger directory
    check("mkdir many", mkdir("many", 0755));
    char name[64];
    for (int i = 0; i < 40; ++i) {
        snprintf(name, sizeof name, "many/entry-%02d", i);
        write_file(name, "x");
    }
    list("list many", "many");

    // copies between files
    write_file("src", "0123456789abcdefghij");
    int s = open("src", O_RDONLY), t = open("dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
    off_t offset = 5;
    check("sendfile 8 from 5", sendfile(t, s, &offset, 8));
    printf("  offset now %lld\n", (long long)offset);
    loff_t in_off = 10, out_off = 100;
    check("copy_file_range", copy_file_range(s, &in_off, t, &out_off, 4, 0));
    print_stat("stat dst", "dst", 1);
    check("fsync", fsync(t));
    check("fdatasync", fdatasync(t));
    check("fallocate", fallocate(t, 0, 0, 200000));
    print_stat("stat dst after fallocate", "dst", 1);
    close(s);
    close(t);

    // stdio
    FILE* f = fopen("stdio.txt", "w+");
    fprintf(f, "line %d\nline %s\n", 1, "two");
    rewind(f);
    char line[64];
    while (fgets(line, sizeof line, f)) printf("  stdio read: %s", line);
    fclose(f);
    return 0;
}
