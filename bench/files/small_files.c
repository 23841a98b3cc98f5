// Many small files in one directory: COUNT files of 4 KiB each are created (open with
// O_CREAT|O_EXCL, one 4 KiB write, close), then each is stat'ed, then each is unlinked.
// Results in files per second for each phase: create_files_per_s, stat_files_per_s,
// unlink_files_per_s.
//
//   small_files DIR [COUNT]      (COUNT defaults to 10000)
//
// The files go in a new directory DIR/small_files, named by relative paths from it
// (as tar or a build tool would name them after a chdir), which is removed at the end.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define FILE_SIZE 4096
#define SUBDIR "small_files"

static void name_of(char* name, size_t size, long i) { snprintf(name, size, "f%06ld", i); }

int main(int argc, char** argv) {
    bench_name = "small_files";
    if (argc < 2 || argc > 3) die("usage: small_files DIR [COUNT]");
    long count = 10000;
    if (argc == 3) {
        char* end;
        count = strtol(argv[2], &end, 10);
        if (*end || count <= 0 || count > 10000000) die("COUNT: '%s' is not a file count", argv[2]);
    }
    check_sys(chdir(argv[1]), argv[1]);
    check_sys(mkdir(SUBDIR, 0755), "mkdir " SUBDIR);
    check_sys(chdir(SUBDIR), "chdir " SUBDIR);

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
    uint64_t create_ns = now_ns() - t0;

    t0 = now_ns();
    for (long i = 0; i < count; ++i) {
        name_of(name, sizeof name, i);
        struct stat st;
        check_sys(stat(name, &st), name);
        if (st.st_size != FILE_SIZE || !S_ISREG(st.st_mode)) die("stat %s: size %lld", name, (long long)st.st_size);
    }
    uint64_t stat_ns = now_ns() - t0;

    t0 = now_ns();
    for (long i = 0; i < count; ++i) {
        name_of(name, sizeof name, i);
        check_sys(unlink(name), name);
    }
    uint64_t unlink_ns = now_ns() - t0;

    check_sys(chdir(".."), "chdir ..");
    check_sys(rmdir(SUBDIR), "rmdir " SUBDIR);

    result("create_files_per_s", (double)count / ((double)create_ns / 1e9));
    result("stat_files_per_s", (double)count / ((double)stat_ns / 1e9));
    result("unlink_files_per_s", (double)count / ((double)unlink_ns / 1e9));
    return finish();
}
