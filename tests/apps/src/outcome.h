// What a system call returned, as a test prints it: the number, or the errno's name
// (strerror's text for one not listed). Shared by the differential tests of files,
// readiness and sockets; both runs print through the same code, so only the kernels'
// answers can differ.
#ifndef EREMITE_TESTS_OUTCOME_H
#define EREMITE_TESTS_OUTCOME_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char* outcome(long result) {
    static char text[32];
    if (result >= 0) {
        snprintf(text, sizeof text, "%ld", result);
        return text;
    }
    static const struct {
        int code;
        const char* name;
    } names[] = {
        {EPERM, "EPERM"},
        {ENOENT, "ENOENT"},
        {ENXIO, "ENXIO"},
        {EBADF, "EBADF"},
        {EAGAIN, "EAGAIN"},
        {EFAULT, "EFAULT"},
        {EEXIST, "EEXIST"},
        {EINVAL, "EINVAL"},
        {EPIPE, "EPIPE"},
        {ELOOP, "ELOOP"},
        {ENOTSOCK, "ENOTSOCK"},
        {EDESTADDRREQ, "EDESTADDRREQ"},
        {EMSGSIZE, "EMSGSIZE"},
        {EPROTOTYPE, "EPROTOTYPE"},
        {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
        {EOPNOTSUPP, "EOPNOTSUPP"},
        {EAFNOSUPPORT, "EAFNOSUPPORT"},
        {EADDRINUSE, "EADDRINUSE"},
        {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
        {ECONNRESET, "ECONNRESET"},
        {EISCONN, "EISCONN"},
        {ENOTCONN, "ENOTCONN"},
        {ECONNREFUSED, "ECONNREFUSED"},
        {EINPROGRESS, "EINPROGRESS"},
        {ETIMEDOUT, "ETIMEDOUT"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
        if (names[i].code == errno) return names[i].name;
    return strerror(errno);
}

#endif
