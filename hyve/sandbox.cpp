#include "sandbox.hpp"

#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "error.hpp"
#include "file_descriptor.hpp"

// Rights newer than Debian 12's headers (Linux 6.1).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5
#endif

namespace ehyve {
namespace {

// ABI 1 denies every rename and link between directories: too little for a writable mount.
constexpr int minimum_abi = 2;

// Every file-system right the kernel's ABI version knows: all of them are denied unless a
// rule allows them.
uint64_t handled_rights(int abi) {
    uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: EXECUTE .. MAKE_SYM
    rights |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return rights;
}

constexpr uint64_t read_rights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// What the host_file calls do in a writable mount; never devices, FIFOs, sockets or exec.
constexpr uint64_t write_rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                                  LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |
                                  LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |
                                  LANDLOCK_ACCESS_FS_TRUNCATE;

}  // namespace

int landlock_abi_version() {
    long version = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return version < 0 ? 0 : static_cast<int>(version);
}

bool enter_sandbox(Sandbox mode, const std::vector<SandboxDirectory>& directories) {
    if (mode == Sandbox::none) return false;
    int abi = landlock_abi_version();
    if (abi < minimum_abi) {
        if (mode == Sandbox::normal) return false;
        fail(abi == 0 ? "--sandbox strict: this host kernel has no Landlock (it needs Linux 5.19 or later with "
                        "Landlock enabled, e.g. lsm=landlock,...); use --sandbox normal or none"
                      : "--sandbox strict: this host kernel's Landlock is too old (ABI " + std::to_string(abi) +
                            ", needs 2: Linux 5.19); use --sandbox normal or none");
    }
    const uint64_t handled = handled_rights(abi);
    landlock_ruleset_attr attributes{};
    attributes.handled_access_fs = handled;
    FileDescriptor ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0)));
    if (!ruleset.valid()) fail_errno("--sandbox: cannot create a Landlock ruleset");
    for (const SandboxDirectory& directory : directories) {
        landlock_path_beneath_attr rule{};
        rule.allowed_access = (read_rights | (directory.writable ? write_rights : 0)) & handled;
        rule.parent_fd = directory.fd;
        if (syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
            fail_errno("--sandbox: cannot allow a mounted directory in the Landlock ruleset");
    }
    // Required to confine oneself without CAP_SYS_ADMIN; ehyve never executes anything.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_errno("--sandbox: prctl(PR_SET_NO_NEW_PRIVS)");
    if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) < 0) fail_errno("--sandbox: landlock_restrict_self");
    return true;
}

}  // namespace ehyve
