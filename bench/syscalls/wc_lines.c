// End to end: a small `wc -l`. Writes a 16 MiB text file in DIR (lines of 1 to 80
// characters), then counts its lines reading it with 4 KiB read()s; the median of 3
// rounds of each, in ms. Make DIR a tmpfs (natively /dev/shm, under Eremite /tmp).
//     result name=generate_16m_ms   writing the file (4 KiB writes)
//     result name=wc_16m_ms         open, 4096 reads of 4 KiB, counting, close
//
//   wc_lines DIR
#include "bench.h"

#include <fcntl.h>
#include <unistd.h>

enum { file_size = 16 << 20, chunk = 4096, rounds = 3 };

static char text[file_size];

// The file's contents and its number of lines: deterministic line lengths 1..80.
static long make_text(void) {
    long count = 0;
    uint32_t state = 12345;
    size_t at = 0;
    while (at < file_size) {
        state = state * 1103515245u + 12345u;
        size_t length = 1 + (state >> 16) % 80;
        for (size_t i = 0; i < length && at < file_size - 1; ++i, ++at) text[at] = (char)('a' + at % 26);
        text[at++] = '\n';
        ++count;
    }
    return count;
}

static long count_lines(const char* path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    check_sys(fd, path);
    static char buffer[chunk];
    long count = 0;
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        check_sys(n, "read");
        if (n == 0) break;
        for (ssize_t i = 0; i < n; ++i) count += buffer[i] == '\n';
    }
    check_sys(close(fd), "close");
    return count;
}

int main(int argc, char** argv) {
    bench_name = "wc_lines";
    if (argc != 2) die("usage: wc_lines DIR");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/wc_lines.txt", argv[1]) >= (int)sizeof path) die("DIR too long");
    long expected = make_text();

    double generate_ms[rounds], wc_ms[rounds];
    for (int round = 0; round < rounds; ++round) {
        uint64_t t0 = now_ns();
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check_sys(fd, path);
        for (size_t at = 0; at < file_size; at += chunk)
            if (write(fd, text + at, chunk) != chunk) die("write %s: %s", path, strerror(errno));
        check_sys(close(fd), "close");
        generate_ms[round] = (double)(now_ns() - t0) / 1e6;

        t0 = now_ns();
        long count = count_lines(path);
        wc_ms[round] = (double)(now_ns() - t0) / 1e6;
        if (count != expected) die("counted %ld lines, wrote %ld", count, expected);
        check_sys(unlink(path), "unlink");
    }
    result("generate_16m_ms", median(generate_ms, rounds));
    result("wc_16m_ms", median(wc_ms, rounds));
    return finish();
}
