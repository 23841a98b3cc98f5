// Shared pieces of the file syscalls (files.cpp: by descriptor; paths.cpp: by name).
#pragma once

#include "fs/vfs.hpp"
#include "linux/syscall.hpp"

namespace eremite::linux {

// struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h), from a node's attributes.
int64_t write_stat(void* app_out, const fs::Attributes& attributes);
// struct statx (include/uapi/linux/stat.h).
int64_t write_statx(void* app_out, const fs::Attributes& attributes, uint32_t mask);
// struct statfs for x86-64.
int64_t write_statfs(void* app_out, const fs::FileSystemStatistics& statistics);

// Whether the app (its uid, or root) may access a node with these attributes as
// `access` asks (R_OK 4, W_OK 2, X_OK 1), as Linux's permission check for a process
// without capabilities beyond its uid; EACCES otherwise.
Result<void> check_access(const fs::Attributes& attributes, uint32_t access);

// A syscall result from a Result<T> of a count or descriptor.
template <typename T>
int64_t result_of(const Result<T>& result) {
    return result.ok() ? static_cast<int64_t>(result.value()) : failure(result.error_code());
}
inline int64_t result_of(const Result<void>& result) { return result.ok() ? 0 : failure(result.error_code()); }
// 0 or the error, whatever the value.
template <typename T>
int64_t status_of(const Result<T>& result) {
    return result.ok() ? 0 : failure(result.error_code());
}

}  // namespace eremite::linux
