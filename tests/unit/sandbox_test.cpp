// --sandbox: Landlock confinement of ehyve (hyve/sandbox.cpp). Each case confines a
// forked child (Landlock cannot be undone) and reports back through its exit status:
// files outside the mounts cannot be opened, files beneath them can, read-only mounts
// refuse writes, and the host_file calls keep working, including their reopen through
// /proc/self/fd. Skipped where the host kernel has no Landlock ABI 2.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "error.hpp"
#include "guest_memory.hpp"
#include "host_files.hpp"
#include "sandbox.hpp"
#include "scratch_directory.hpp"

namespace {

using namespace ehyve;
namespace abi = eremite::abi;

class SandboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (const char* d : {"/rw", "/ro", "/outside"}) ASSERT_EQ(mkdir((scratch + d).c_str(), 0755), 0);
        for (const char* f : {"/rw/file", "/ro/file", "/outside/file"}) {
            int fd = ::open((scratch + f).c_str(), O_CREAT | O_WRONLY, 0644);
            ASSERT_GE(fd, 0);
            ASSERT_EQ(::write(fd, "text", 4), 4);
            close(fd);
        }
    }

    // Runs `body` in a child process; its return value is the child's exit status.
    template <typename Body>
    int in_child(Body body) {
        pid_t pid = fork();
        if (pid == 0) _exit(body());
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
    }

    bool can_open(const std::string& path, int flags) {
        int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
        if (fd >= 0) close(fd);
        return fd >= 0;
    }

    eremite::test::ScratchDirectory scratch_directory{"sandbox"};
    const std::string scratch = scratch_directory.path();
};

// In the child: on failure, say which check and end with status 1.
#define CHECK(condition)                                                                     \
    do {                                                                                     \
        if (!(condition)) {                                                                  \
            std::fprintf(stderr, "sandbox_test.cpp:%d: failed: %s\n", __LINE__, #condition); \
            return 1;                                                                        \
        }                                                                                    \
    } while (0)

TEST_F(SandboxTest, NoneAndVersion) {
    EXPECT_GE(landlock_abi_version(), 0);
    EXPECT_FALSE(enter_sandbox(Sandbox::none, {}));  // and the test process stays free
    EXPECT_TRUE(can_open(scratch + "/outside/file", O_RDONLY));
}

TEST_F(SandboxTest, StrictWithoutLandlockFails) {
    if (landlock_abi_version() >= 2) GTEST_SKIP() << "this host has Landlock";
    EXPECT_THROW(enter_sandbox(Sandbox::strict, {}), HostError);
    EXPECT_FALSE(enter_sandbox(Sandbox::normal, {})) << "normal goes on without";
}

TEST_F(SandboxTest, OnlyTheMountsAreReachable) {
    if (landlock_abi_version() < 2) GTEST_SKIP() << "no Landlock ABI 2 on this host kernel";
    int status = in_child([&]() -> int {
        int rw = ::open((scratch + "/rw").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        int ro = ::open((scratch + "/ro").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(rw >= 0 && ro >= 0);
        CHECK(enter_sandbox(Sandbox::strict, {{rw, true}, {ro, false}}));
        CHECK(!can_open(scratch + "/outside/file", O_RDONLY));
        CHECK(errno == EACCES);
        CHECK(!can_open("/etc/passwd", O_RDONLY));
        CHECK(!can_open("/dev/null", O_RDWR));
        CHECK(!can_open(scratch + "/outside/new", O_CREAT | O_WRONLY));
        CHECK(can_open(scratch + "/rw/file", O_RDWR));
        CHECK(can_open(scratch + "/rw/new", O_CREAT | O_WRONLY));
        CHECK(mkdir((scratch + "/rw/dir").c_str(), 0755) == 0);
        CHECK(rename((scratch + "/rw/new").c_str(), (scratch + "/rw/dir/new").c_str()) == 0);
        CHECK(truncate((scratch + "/rw/file").c_str(), 1) == 0);
        CHECK(can_open(scratch + "/ro/file", O_RDONLY));
        CHECK(!can_open(scratch + "/ro/file", O_WRONLY));
        CHECK(!can_open(scratch + "/ro/new", O_CREAT | O_WRONLY));
        CHECK(mkfifo((scratch + "/rw/fifo").c_str(), 0644) < 0);  // no FIFOs, even in a writable mount
        return 0;
    });
    EXPECT_EQ(status, 0) << "see the failed check above";
}

TEST_F(SandboxTest, HostFilesWorkInside) {
    if (landlock_abi_version() < 2) GTEST_SKIP() << "no Landlock ABI 2 on this host kernel";
    int status = in_child([&]() -> int {
        GuestMemory memory(1 << 20);
        HostFiles files(memory, {{scratch + "/rw", "/rw", false}, {scratch + "/ro", "/ro", true}});
        CHECK(enter_sandbox(Sandbox::normal, {{files.mount_directory(0), true}, {files.mount_directory(1), false}}));
        auto call = [&](abi::HostFileOp op, uint64_t handle, const char* name, uint64_t flags) {
            abi::HostFileArgs a{};
            a.op = static_cast<uint32_t>(op);
            a.handle = handle;
            a.flags = flags;
            a.mode = 0644;
            std::memcpy(memory.span(GuestPhysAddr{0x1000}, 16)->data(), name, std::strlen(name));
            a.name = 0x1000;
            a.name_length = std::strlen(name);
            abi::HostSegment segment{0x2000, 4};
            memory.write(GuestPhysAddr{0x3000}, segment);
            a.segments = 0x3000;
            a.segment_count = 1;
            files.serve(a);
            return a.result;
        };
        int64_t rw = call(abi::HostFileOp::mount_root, 0, "", 0);
        int64_t ro = call(abi::HostFileOp::mount_root, 1, "", 0);
        CHECK(rw > 0 && ro > 0);
        // Reopened through /proc/self/fd: Landlock sees the file beneath the mount.
        int64_t file = call(abi::HostFileOp::lookup, ro, "file", 0);
        CHECK(file > 0);
        int64_t reader = call(abi::HostFileOp::open, file, "", O_RDONLY);
        CHECK(reader > 0);
        CHECK(call(abi::HostFileOp::read, reader, "", 0) == 4);
        int64_t created = call(abi::HostFileOp::create, rw, "made", O_RDWR | O_EXCL);
        CHECK(created > 0);
        CHECK(call(abi::HostFileOp::write, created, "", 0) == 4);
        int64_t listing = call(abi::HostFileOp::open, rw, "", O_RDONLY | O_DIRECTORY);
        CHECK(listing > 0);
        int64_t made = call(abi::HostFileOp::lookup, rw, "made", 0);
        CHECK(call(abi::HostFileOp::truncate, made, "", 0) == 0);
        CHECK(call(abi::HostFileOp::mkdir, rw, "sub", 0) == 0);
        CHECK(call(abi::HostFileOp::unlink, rw, "made", 0) == 0);
        return 0;
    });
    EXPECT_EQ(status, 0) << "see the failed check above";
}

}  // namespace
