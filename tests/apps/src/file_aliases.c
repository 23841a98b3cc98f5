// One file reached many ways at once (two names, several open descriptions, a renamed or
// replaced name), changed through one and read through the others: every reader sees
// every change at once. Under Eremite on a --mount'ed directory this is what
// hostfs's cache (names, attributes, contents) must never get wrong; natively and in
// tmpfs it is plain POSIX. Works in $SCRATCH; prints each result.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "outcome.h"

static char path_buffer[4][4096];
static const char* at(int slot, const char* name) {
    snprintf(path_buffer[slot], sizeof path_buffer[slot], "%s/%s", getenv("SCRATCH"), name);
    return path_buffer[slot];
}

// Writes the file and dates it a minute back: a file written in the last moments is read
// from the host each time (its times could hide a second change), one that has been still
// has its contents kept, and it is the kept contents that every later change must reach.
static void put(const char* path, const char* text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        exit(2);
    }
    struct timespec past[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
    if (futimens(fd, past) < 0) {
        perror(path);
        exit(2);
    }
    close(fd);
}

// The whole file through a new descriptor, as one line.
static void show(const char* label, const char* path) {
    char text[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open %s\n", label, outcome(-errno));
        return;
    }
    ssize_t got = read(fd, text, sizeof text - 1);
    close(fd);
    if (got < 0) {
        printf("%s: read %s\n", label, outcome(-errno));
        return;
    }
    text[got] = 0;
    printf("%s: \"%s\"\n", label, text);
}

// What an already open descriptor reads from its start.
static void show_fd(const char* label, int fd) {
    char text[256];
    ssize_t got = pread(fd, text, sizeof text - 1, 0);
    if (got < 0) {
        printf("%s: pread %s\n", label, outcome(-errno));
        return;
    }
    text[got] = 0;
    printf("%s: \"%s\"\n", label, text);
}

static void show_stat(const char* label, const char* path) {
    struct stat st;
    if (stat(path, &st) < 0) {
        printf("%s: stat %s\n", label, outcome(-errno));
        return;
    }
    // A directory's size is the file system's own business (ext4 and tmpfs differ).
    long long size = S_ISDIR(st.st_mode) ? 0 : (long long)st.st_size;
    printf("%s: size %lld links %lu mode %o\n", label, size, (unsigned long)st.st_nlink, st.st_mode & 07777);
}

int main(void) {
    if (!getenv("SCRATCH")) return 2;
    mkdir(getenv("SCRATCH"), 0755);  // in Eremite's tmpfs the program makes it
    const char* a = at(0, "a");
    const char* b = at(1, "b");
    put(a, "first");
    printf("link: %s\n", outcome(link(a, b) < 0 ? -errno : 0));
    show("a", a);
    show("b", b);
    show_stat("b", b);

    // A write through one name is seen through the other, by new and open descriptors.
    int reader = open(b, O_RDONLY);
    show_fd("reader", reader);
    int writer = open(a, O_WRONLY);
    printf("pwrite: %s\n", outcome(pwrite(writer, "SECOND!", 7, 0) < 0 ? -errno : 7));
    show("b after write", b);
    show_fd("reader after write", reader);
    show_stat("b after write", b);

    // Growth and truncation, through the other name.
    printf("append: %s\n", outcome(pwrite(writer, " and more", 9, 7) < 0 ? -errno : 9));
    show("b after growing", b);
    printf("truncate b: %s\n", outcome(truncate(b, 3) < 0 ? -errno : 0));
    show_fd("reader after truncate", reader);
    show_stat("a after truncate", a);

    // An O_APPEND descriptor and ftruncate through the writer.
    int appender = open(b, O_WRONLY | O_APPEND);
    printf("append through b: %s\n", outcome(write(appender, "++", 2) < 0 ? -errno : 2));
    show_fd("reader after O_APPEND", reader);
    printf("ftruncate a: %s\n", outcome(ftruncate(writer, 2) < 0 ? -errno : 0));
    show_fd("reader after ftruncate", reader);
    show_stat("b after ftruncate", b);
    close(appender);

    // Modes and link counts follow chmod, unlink and link.
    printf("chmod a: %s\n", outcome(chmod(a, 0600) < 0 ? -errno : 0));
    show_stat("b after chmod", b);
    printf("unlink a: %s\n", outcome(unlink(a) < 0 ? -errno : 0));
    show("a after unlink", a);
    show_stat("b after unlink", b);
    show_fd("reader after unlink", reader);

    // A name replaced by rename leads to the new file at once.
    const char* c = at(2, "c");
    put(c, "third file");
    show("b before rename", b);
    printf("rename c b: %s\n", outcome(rename(c, b) < 0 ? -errno : 0));
    show("b after rename", b);
    show("c after rename", c);
    show_fd("reader after rename", reader);
    show_stat("b after rename", b);

    // A name removed and created again: the new file, not the old one.
    printf("unlink b: %s\n", outcome(unlink(b) < 0 ? -errno : 0));
    show("b after unlink", b);
    put(b, "fourth");
    show("b recreated", b);

    // A directory's link count and listing follow what is made in it.
    const char* d = at(3, "d");
    printf("mkdir d: %s\n", outcome(mkdir(d, 0755) < 0 ? -errno : 0));
    show_stat("d", d);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/sub", d);
    printf("mkdir d/sub: %s\n", outcome(mkdir(sub, 0755) < 0 ? -errno : 0));
    show_stat("d with sub", d);
    printf("rmdir d/sub: %s\n", outcome(rmdir(sub) < 0 ? -errno : 0));
    show_stat("d without sub", d);

    close(reader);
    close(writer);
    unlink(b);
    rmdir(d);
    return 0;
}
