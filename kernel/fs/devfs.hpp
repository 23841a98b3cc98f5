// /dev: the character devices programs open by name (null, zero, full, random, urandom,
// tty, console) and the links into /proc/self/fd (stdin, stdout, stderr, fd). Linux's
// numbers and modes, so stat and ls -l show what they would on Linux.
#pragma once

#include "fs/node.hpp"

namespace eremite::fs {

// The root of a new /dev tree, to be mounted at /dev ("devtmpfs"). Panics when memory runs
// out (it is built at boot).
Ref<Node> make_devfs_root();

}  // namespace eremite::fs
