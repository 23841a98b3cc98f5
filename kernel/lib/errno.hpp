// Linux errno values (asm-generic/errno-base.h and errno.h): the guest ABI. Lower-case
// names, so that host builds of kernel logic never meet the <errno.h> macros.
#pragma once

namespace eremite {

enum class Errno : int {
    none = 0,
    eperm = 1,
    enoent = 2,
    esrch = 3,
    eintr = 4,
    eio = 5,
    enxio = 6,
    e2big = 7,
    enoexec = 8,
    ebadf = 9,
    echild = 10,
    eagain = 11,
    enomem = 12,
    eacces = 13,
    efault = 14,
    ebusy = 16,
    eexist = 17,
    exdev = 18,
    enodev = 19,
    enotdir = 20,
    eisdir = 21,
    einval = 22,
    enfile = 23,
    emfile = 24,
    enotty = 25,
    efbig = 27,
    enospc = 28,
    espipe = 29,
    erofs = 30,
    emlink = 31,
    epipe = 32,
    erange = 34,
    enametoolong = 36,
    enosys = 38,
    enotempty = 39,
    eloop = 40,
    eoverflow = 75,
    etimedout = 110,
    enotsup = 95,
};

}  // namespace eremite
