// tmpfs: a file system in memory (regular files, directories and symlinks), the root of
// the VFS tree. Design and locking are described at the top of tmpfs.cpp.
#pragma once

#include <stdint.h>

#include "fs/node.hpp"

namespace eremite::fs {

inline constexpr int64_t tmpfs_magic = 0x01021994;  // TMPFS_MAGIC, statfs's f_type

// A new, empty tmpfs: its root directory, with these permission bits. nullptr when out
// of memory. The file system lives as long as any of its nodes.
Ref<Node> make_tmpfs_root(uint32_t permissions);

// The directory that holds `directory` (what ".." names): `directory` itself for the
// root, nullptr once it has been removed (and for a node that is not a directory).
// `directory` must be a node of a tmpfs, that is one whose file_system() is that of a
// tmpfs root: without RTTI this cannot be checked here.
Ref<Node> tmpfs_parent(Node& directory);

}  // namespace eremite::fs
