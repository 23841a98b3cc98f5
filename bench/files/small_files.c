// Many small files in one directory: COUNT files of 4 KiB each are created (open with
// O_CREAT|O_EXCL, one 4 KiB write, close), then each is stat'ed, then each is unlinked.
// Results in files per second for each phase: create_files_per_s, stat_files_per_s,
// unlink_files_per_s.
//
//   small_files all DIR [COUNT]      the three phases in one process
//   small_files create DIR [COUNT]   one phase per process, in this order, so that two
//   small_files stat DIR [COUNT]     places on the same host file system can each
//   small_files unlink DIR [COUNT]   create before either deletes (see run.sh)
//
// COUNT defaults to 10000. The files go in a new directory DIR/small_files, named by
// relative paths from it (as tar or a build tool would name them after a chdir); the
// unlink phase removes the directory too.
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define FILE_SIZE 4096
#define SUBDIR "small_files"

static void name_of(char* name, size_t size, long i) { snprintf(name, size, "f%06ld", i); }

static double per_second(long count, uint64_t ns) { return (double)count / ((double)ns / 1e9); }

static void create_all(long count) {
    static char data[FILE_SIZE];
    memset(data, 'x', sizeof data);
    char name[32];
    uint64_t t0 = now_ns();
    for (long i = 0; i < count; ++i) {
        name_of(name, sizeof name, i);
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        check_sys(fd, name);
        ssize_t put = write(fd, data, sizeof data);
        check_sys(put, "write");
        if (put != FILE_SIZE) die("write: %zd of %d bytes", put, FILE_SIZE);
        check_sys(close(fd), "close");
    }
    result("create_files_per_s", per_second(count, now_ns() - t0));
}

static void stat_all(long count) {
    char name[32];
    uint64_t t0 = now_ns();
    for (long i = 0; i < count; ++i) {
        name_of(name, sizeof name, i);
        struct stat st;
        check_sys(stat(name, &st), name);
        if (st.st_size != FILE_SIZE || !S_ISREG(st.st_mode)) die("stat %s: size %lld", name, (long long)st.st_size);
    }
    result("stat_files_per_s", per_second(count, now_ns() - t0));
}

static void unlink_all(long count) {
    char name[32];
    uint64_t t0 = now_ns();
    for (long i = 0; i < count; ++i) {
        name_of(name, sizeof name, i);
        check_sys(unlink(name), name);
    }
    result("unlink_files_per_s", per_second(count, now_ns() - t0));
    check_sys(chdir(".."), "chdir ..");
    check_sys(rmdir(SUBDIR), "rmdir " SUBDIR);
}

int main(int argc, char** argv) {
    bench_name = "small_files";
    if (argc < 3 || argc > 4) die("usage: small_files all|create|stat|unlink DIR [COUNT]");
    const char* phase = argv[1];
    long count = 10000;
    if (argc == 4) {
        char* end;
        count = strtol(argv[3], &end, 10);
        if (*end || count <= 0 || count > 10000000) die("COUNT: '%s' is not a file count", argv[3]);
    }
    bool all = strcmp(phase, "all") == 0;
    bool create = all || strcmp(phase, "create") == 0;
    if (!create && strcmp(phase, "stat") != 0 && strcmp(phase, "unlink") != 0) die("unknown phase '%s'", phase);
    check_sys(chdir(argv[2]), argv[2]);
    if (create) check_sys(mkdir(SUBDIR, 0755), "mkdir " SUBDIR);
    check_sys(chdir(SUBDIR), "chdir " SUBDIR);

    if (create) create_all(count);
    if (all || strcmp(phase, "stat") == 0) stat_all(count);
    if (all || strcmp(phase, "unlink") == 0) unlink_all(count);
    return finish();
}
