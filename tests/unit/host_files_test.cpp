// The host_file hypercall (hyve/host_files.cpp), driven directly as a hostile guest would
// drive it: arguments in a real GuestMemory, scratch directories in /tmp as the mounts.
// Round trips of every call; names that try to leave the mount; symlinks that must not
// be followed on the host; FIFOs that must not block; read-only mounts that must not
// change (the tree is hashed before and after); EXDEV between mounts; hostile handles,
// lengths, segment lists and addresses.
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "console.hpp"
#include "eremite/abi.hpp"
#include "error.hpp"
#include "guest_memory.hpp"
#include "handle_table.hpp"
#include "host_files.hpp"
#include "hypercalls.hpp"
#include "scratch_directory.hpp"

namespace {

using namespace ehyve;
namespace abi = eremite::abi;
using Op = abi::HostFileOp;

constexpr uint64_t ram_size = 16ull << 20;
// Where the fake guest keeps things.
constexpr GuestPhysAddr args_at{0x1000}, name_at{0x2000}, name2_at{0x3000}, segments_at{0x4000}, data_at{0x100000};

std::string read_host_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_host_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// Everything about a tree that a write could change: names, types, modes, sizes, times,
// link counts, contents and link targets.
std::string describe_tree(const std::string& root) {
    static std::string* out;
    static size_t prefix;
    std::string text;
    out = &text;
    prefix = root.size();
    nftw(
        root.c_str(),
        [](const char* path, const struct stat* s, int, FTW*) {
            std::ostringstream line;
            line << (path + prefix) << " mode " << std::oct << s->st_mode << std::dec << " size " << s->st_size
                 << " links " << s->st_nlink << " mtime " << s->st_mtim.tv_sec << "." << s->st_mtim.tv_nsec
                 << " atime-set " << (s->st_atim.tv_sec < 1000) << " uid " << s->st_uid;
            if (S_ISREG(s->st_mode)) line << " content " << read_host_file(path);
            if (S_ISLNK(s->st_mode)) {
                char target[4096];
                ssize_t n = readlink(path, target, sizeof target);
                line << " target " << std::string(target, n > 0 ? n : 0);
            }
            *out += line.str() + "\n";
            return 0;
        },
        16, FTW_PHYS);
    return text;
}

class HostFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        saved_umask = umask(0);  // as run_vm does: the guest's modes are exact
        for (const char* d : {"/rw", "/ro", "/other", "/outside"}) ASSERT_EQ(mkdir((scratch + d).c_str(), 0755), 0);
        write_host_file(scratch + "/outside/secret", "secret");
        write_host_file(scratch + "/ro/file", "read only");
        ASSERT_EQ(mkdir((scratch + "/ro/sub").c_str(), 0755), 0);
        write_host_file(scratch + "/ro/sub/inner", "inner");
        ASSERT_EQ(::symlink("file", (scratch + "/ro/link").c_str()), 0);
        files = std::make_unique<HostFiles>(memory, std::vector<Mount>{{scratch + "/rw", "/rw", false},
                                                                       {scratch + "/ro", "/ro", true},
                                                                       {scratch + "/other", "/other", false}});
    }
    void TearDown() override {
        umask(saved_umask);
        files.reset();
    }

    static abi::HostFileArgs make(Op op) {
        abi::HostFileArgs a{};
        a.op = static_cast<uint32_t>(op);
        return a;
    }
    int64_t run(abi::HostFileArgs& a) {
        files->serve(a);
        return a.result;
    }
    void put(GuestPhysAddr at, const std::string& bytes) {
        std::memcpy(memory.span(at, bytes.size())->data(), bytes.data(), bytes.size());
    }
    std::string get(GuestPhysAddr at, uint64_t length) {
        auto bytes = memory.span(at, length);
        return std::string(bytes->begin(), bytes->end());
    }
    void set_name(abi::HostFileArgs& a, const std::string& name) {
        put(name_at, name);
        a.name = name_at.value;
        a.name_length = name.size();
    }
    void set_name2(abi::HostFileArgs& a, const std::string& name) {
        put(name2_at, name);
        a.name2 = name2_at.value;
        a.name2_length = name.size();
    }
    // One segment over the data area.
    void set_buffer(abi::HostFileArgs& a, uint64_t length, GuestPhysAddr at = data_at) {
        abi::HostSegment segment{at.value, length};
        memory.write(segments_at, segment);
        a.segments = segments_at.value;
        a.segment_count = 1;
    }

    int64_t root(uint64_t mount) {
        auto a = make(Op::mount_root);
        a.handle = mount;
        return run(a);
    }
    int64_t lookup(int64_t directory, const std::string& name, abi::HostStat* stat = nullptr) {
        auto a = make(Op::lookup);
        a.handle = directory;
        set_name(a, name);
        int64_t result = run(a);
        if (stat) *stat = a.stat;
        return result;
    }
    int64_t name_call(Op op, int64_t directory, const std::string& name, uint64_t mode = 0755) {
        auto a = make(op);
        a.handle = directory;
        a.mode = mode;
        set_name(a, name);
        return run(a);
    }
    int64_t create(int64_t directory, const std::string& name, uint64_t flags, uint64_t mode = 0644,
                   abi::HostStat* stat = nullptr) {
        auto a = make(Op::create);
        a.handle = directory;
        a.flags = flags;
        a.mode = mode;
        set_name(a, name);
        int64_t result = run(a);
        if (stat) *stat = a.stat;
        return result;
    }
    int64_t open(int64_t handle, uint64_t flags) {
        auto a = make(Op::open);
        a.handle = handle;
        a.flags = flags;
        return run(a);
    }
    int64_t write(int64_t handle, const std::string& text, uint64_t offset = 0) {
        put(data_at, text);
        auto a = make(Op::write);
        a.handle = handle;
        a.offset = offset;
        set_buffer(a, text.size());
        return run(a);
    }
    // The bytes read, or "error N".
    std::string read(int64_t handle, uint64_t length = 4096, uint64_t offset = 0) {
        auto a = make(Op::read);
        a.handle = handle;
        a.offset = offset;
        set_buffer(a, length);
        int64_t result = run(a);
        if (result < 0) return "error " + std::to_string(-result);
        return get(data_at, static_cast<uint64_t>(result));
    }
    int64_t release(int64_t handle) {
        auto a = make(Op::release);
        a.handle = handle;
        return run(a);
    }
    int64_t rename(int64_t from, const std::string& name, int64_t to, const std::string& new_name, uint64_t flags = 0) {
        auto a = make(Op::rename);
        a.handle = from;
        a.handle2 = to;
        a.flags = flags;
        set_name(a, name);
        set_name2(a, new_name);
        return run(a);
    }
    int64_t symlink(int64_t directory, const std::string& name, const std::string& target) {
        auto a = make(Op::symlink);
        a.handle = directory;
        set_name(a, name);
        set_name2(a, target);
        return run(a);
    }
    int64_t link(int64_t object, int64_t directory, const std::string& name) {
        auto a = make(Op::link);
        a.handle = object;
        a.handle2 = directory;
        set_name2(a, name);
        return run(a);
    }
    std::string read_link(int64_t handle) {
        auto a = make(Op::read_link);
        a.handle = handle;
        set_buffer(a, 4096);
        int64_t result = run(a);
        if (result < 0) return "error " + std::to_string(-result);
        return get(data_at, static_cast<uint64_t>(result));
    }
    int64_t handle_call(Op op, int64_t handle, uint64_t offset = 0, uint64_t mode = 0, uint64_t flags = 0) {
        auto a = make(op);
        a.handle = handle;
        a.offset = offset;
        a.mode = mode;
        a.flags = flags;
        return run(a);
    }
    int64_t set_times(int64_t handle, int64_t access, int64_t modify) {
        auto a = make(Op::set_times);
        a.handle = handle;
        a.times[0] = access;
        a.times[1] = 0;
        a.times[2] = modify;
        a.times[3] = 0;
        return run(a);
    }
    abi::HostStat stat(int64_t handle) {
        auto a = make(Op::stat);
        a.handle = handle;
        EXPECT_EQ(run(a), 0);
        return a.stat;
    }
    // Every name read_dir reports, reading `chunk` bytes at a time from cookie 0.
    std::multiset<std::string> list(int64_t directory_io, uint64_t chunk = 4096) {
        std::multiset<std::string> names;
        uint64_t cookie = 0;
        for (int rounds = 0; rounds < 1000; ++rounds) {
            auto a = make(Op::read_dir);
            a.handle = directory_io;
            a.offset = cookie;
            set_buffer(a, chunk);
            int64_t bytes = run(a);
            EXPECT_GE(bytes, 0);
            if (bytes <= 0) break;
            std::string records = get(data_at, static_cast<uint64_t>(bytes));
            for (size_t at = 0; at < records.size();) {
                uint16_t length;
                std::memcpy(&length, records.data() + at + 16, 2);
                std::memcpy(&cookie, records.data() + at + 8, 8);
                names.insert(std::string(records.c_str() + at + 19));
                at += length;
            }
        }
        return names;
    }

    GuestMemory memory{ram_size};
    eremite::test::ScratchDirectory scratch_directory{"host-files"};
    const std::string scratch = scratch_directory.path();
    std::unique_ptr<HostFiles> files;
    mode_t saved_umask = 022;
};

constexpr int64_t error(int errno_value) { return -static_cast<int64_t>(errno_value); }

// ---- Names and the handle table ----------------------------------------------------------

TEST(HostFileNames, OneComponentOnly) {
    for (std::string good :
         std::vector<std::string>{"a", "file.txt", "...", " ", ".hidden", "..x", "x..", "-", std::string(255, 'n')})
        EXPECT_EQ(check_name(good), 0) << good;
    for (std::string bad : std::vector<std::string>{"", ".", "..", "a/b", "/", "/etc", "a/", "../x",
                                                    std::string("a\0b", 3), std::string(1, '\0')})
        EXPECT_EQ(check_name(bad), error(EINVAL)) << bad;
    EXPECT_EQ(check_name(std::string(256, 'n')), error(ENAMETOOLONG));
    EXPECT_EQ(check_name(std::string(100000, '/')), error(ENAMETOOLONG));
}

TEST(HandleTable, InsertFindRemove) {
    HandleTable<int> table(3);
    EXPECT_EQ(table.capacity(), 3u);
    EXPECT_EQ(table.find(0), nullptr);
    EXPECT_EQ(table.find(1), nullptr);
    uint64_t a = table.insert(std::make_shared<int>(10));
    uint64_t b = table.insert(std::make_shared<int>(20));
    uint64_t c = table.insert(std::make_shared<int>(30));
    EXPECT_GE(a, 1u);
    EXPECT_LE(std::max({a, b, c}), 3u);
    EXPECT_EQ(std::set<uint64_t>({a, b, c}).size(), 3u);
    EXPECT_EQ(table.insert(std::make_shared<int>(40)), 0u) << "full";
    EXPECT_EQ(table.size(), 3u);
    EXPECT_EQ(*table.find(b), 20);
    for (uint64_t bad : {uint64_t{0}, uint64_t{4}, uint64_t{1} << 32, UINT64_MAX}) {
        EXPECT_EQ(table.find(bad), nullptr) << bad;
        EXPECT_FALSE(table.remove(bad)) << bad;
    }
    auto held = table.find(b);
    EXPECT_TRUE(table.remove(b));
    EXPECT_FALSE(table.remove(b)) << "twice";
    EXPECT_EQ(table.find(b), nullptr);
    EXPECT_EQ(*held, 20) << "a user keeps the object alive";
    EXPECT_EQ(table.size(), 2u);
    uint64_t d = table.insert(std::make_shared<int>(50));
    EXPECT_EQ(d, b) << "the free slot is reused";
    EXPECT_EQ(*table.find(d), 50);
    EXPECT_EQ(*held, 20);
}

TEST(HandleTable, ConcurrentUse) {
    HandleTable<int> table(64);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; ++i) {
                uint64_t h = table.insert(std::make_shared<int>(t));
                if (h == 0) continue;
                auto found = table.find(h);
                if (!found || *found != t) ++failures;
                (void)table.find((i % 70) + 1);  // perhaps another thread's, perhaps being removed
                if (!table.remove(h)) ++failures;
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(table.size(), 0u);
}

// ---- Construction --------------------------------------------------------------------------

TEST(HostFilesSetup, MissingDirectoryFails) {
    GuestMemory memory(1 << 20);
    EXPECT_THROW(HostFiles(memory, {{"/nonexistent/ehyve-test", "/x", false}}), HostError);
    EXPECT_NO_THROW(HostFiles(memory, {}));
    HostFiles none(memory, {});
    abi::HostFileArgs a{};
    a.op = static_cast<uint32_t>(Op::mount_root);
    none.serve(a);
    EXPECT_EQ(a.result, error(EINVAL)) << "no mounts";
}

// ---- Round trips ---------------------------------------------------------------------------

TEST_F(HostFilesTest, MountRoot) {
    auto a = make(Op::mount_root);
    a.handle = 0;
    int64_t rw = run(a);
    ASSERT_GT(rw, 0);
    EXPECT_TRUE(S_ISDIR(a.stat.mode));
    struct stat host;
    ASSERT_EQ(::stat((scratch + "/rw").c_str(), &host), 0);
    EXPECT_EQ(a.stat.inode, host.st_ino);
    EXPECT_GT(root(1), 0);
    EXPECT_GT(root(2), 0);
    for (uint64_t bad : {uint64_t{3}, uint64_t{32}, uint64_t{1} << 32, UINT64_MAX}) EXPECT_EQ(root(bad), error(EINVAL));
}

TEST_F(HostFilesTest, CreateWriteReadStat) {
    int64_t dir = root(0);
    abi::HostStat s{};
    int64_t file = create(dir, "f", O_RDWR | O_EXCL, 0640, &s);
    ASSERT_GT(file, 0);
    EXPECT_TRUE(S_ISREG(s.mode));
    EXPECT_EQ(s.mode & 07777, 0640u);
    EXPECT_EQ(s.size, 0);
    EXPECT_EQ(write(file, "hello, host"), 11);
    EXPECT_EQ(read(file), "hello, host");
    EXPECT_EQ(read(file, 4, 7), "host");
    EXPECT_EQ(read(file, 100, 1000), "") << "past the end";
    EXPECT_EQ(write(file, "H"), 1);
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "Hello, host");
    EXPECT_EQ(stat(file).size, 11);
    EXPECT_EQ(handle_call(Op::sync, file), 0);
    EXPECT_EQ(handle_call(Op::sync, file, 0, 0, 1), 0);
    EXPECT_EQ(create(dir, "f", O_RDWR | O_EXCL), error(EEXIST));
    // Without O_EXCL the existing file opens; O_TRUNC empties it.
    int64_t again = create(dir, "f", O_RDONLY);
    ASSERT_GT(again, 0);
    EXPECT_EQ(read(again), "Hello, host");
    int64_t truncating = create(dir, "f", O_WRONLY | O_TRUNC);
    ASSERT_GT(truncating, 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "");
    EXPECT_EQ(read(truncating), "error " + std::to_string(EBADF)) << "write-only";

    // lookup + open.
    int64_t path = lookup(dir, "f", &s);
    ASSERT_GT(path, 0);
    EXPECT_TRUE(S_ISREG(s.mode));
    EXPECT_EQ(read(path), "error " + std::to_string(EBADF)) << "a lookup handle is not for I/O";
    int64_t appending = open(path, O_WRONLY | O_APPEND);
    ASSERT_GT(appending, 0);
    EXPECT_EQ(write(appending, "one", 1000), 3) << "O_APPEND ignores the offset";
    EXPECT_EQ(write(appending, "two", 0), 3);
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "onetwo");
    int64_t reader = open(path, O_RDONLY);
    ASSERT_GT(reader, 0);
    EXPECT_EQ(write(reader, "x"), error(EBADF));
    EXPECT_EQ(open(path, O_RDONLY | O_DIRECTORY), error(ENOTDIR));

    // truncate by path handle and by I/O handle.
    EXPECT_EQ(handle_call(Op::truncate, path, 3), 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "one");
    EXPECT_EQ(handle_call(Op::truncate, appending, 1), 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "o");
    EXPECT_EQ(handle_call(Op::truncate, dir), error(EISDIR));

    // set_mode, set_times, statfs.
    EXPECT_EQ(handle_call(Op::set_mode, path, 0, 0600), 0);
    EXPECT_EQ(stat(path).mode & 07777, 0600u);
    EXPECT_EQ(set_times(path, 1000, 2000), 0);
    EXPECT_EQ(stat(path).access_seconds, 1000);
    EXPECT_EQ(stat(path).modify_seconds, 2000);
    auto a = make(Op::statfs);
    a.handle = path;
    EXPECT_EQ(run(a), 0);
    EXPECT_GT(a.statfs.block_size, 0);
    EXPECT_EQ(a.statfs.flags & ST_RDONLY, 0);

    for (int64_t h : {file, again, truncating, path, appending, reader}) EXPECT_EQ(release(h), 0);
    EXPECT_EQ(release(file), error(EBADF)) << "released twice";
    EXPECT_EQ(release(dir), 0);
    EXPECT_EQ(files->open_handles(), 0u);
}

TEST_F(HostFilesTest, DirectoriesRenameUnlink) {
    int64_t dir = root(0);
    EXPECT_EQ(name_call(Op::mkdir, dir, "d", 0750), 0);
    EXPECT_EQ(name_call(Op::mkdir, dir, "d"), error(EEXIST));
    abi::HostStat s{};
    int64_t d = lookup(dir, "d", &s);
    ASSERT_GT(d, 0);
    EXPECT_TRUE(S_ISDIR(s.mode));
    EXPECT_EQ(s.mode & 07777, 0750u);
    int64_t f = create(d, "inner", O_WRONLY);
    ASSERT_GT(f, 0);
    EXPECT_EQ(write(f, "in d"), 4);
    EXPECT_EQ(read_host_file(scratch + "/rw/d/inner"), "in d");

    // rename within and between directories, with flags.
    EXPECT_EQ(rename(d, "inner", dir, "moved"), 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/moved"), "in d");
    EXPECT_EQ(lookup(d, "inner"), error(ENOENT));
    EXPECT_EQ(create(d, "other", O_WRONLY | O_EXCL) > 0, true);
    EXPECT_EQ(rename(dir, "moved", d, "other", RENAME_NOREPLACE), error(EEXIST));
    EXPECT_EQ(rename(dir, "moved", d, "other", RENAME_EXCHANGE), 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/d/other"), "in d");
    EXPECT_EQ(rename(dir, "moved", d, "other", 4), error(EINVAL)) << "RENAME_WHITEOUT is not offered";
    EXPECT_EQ(rename(dir, "moved", d, "other", ~0ull), error(EINVAL));

    EXPECT_EQ(name_call(Op::rmdir, dir, "d"), error(ENOTEMPTY));
    EXPECT_EQ(name_call(Op::unlink, d, "other"), 0);
    EXPECT_EQ(name_call(Op::unlink, dir, "moved"), 0);
    EXPECT_EQ(name_call(Op::unlink, dir, "moved"), error(ENOENT));
    EXPECT_EQ(name_call(Op::unlink, dir, "d"), error(EISDIR));
    EXPECT_EQ(name_call(Op::rmdir, dir, "d"), 0);
    EXPECT_EQ(access((scratch + "/rw/d").c_str(), F_OK), -1);
    // The handle of a removed directory still answers, as an fd would.
    EXPECT_EQ(stat(d).link_count, 0u);
    EXPECT_EQ(create(d, "late", O_WRONLY), error(ENOENT));
}

TEST_F(HostFilesTest, ReadDirectory) {
    int64_t dir = root(0);
    std::multiset<std::string> expected{".", ".."};
    for (int i = 0; i < 200; ++i) {
        std::string name = "entry-" + std::to_string(i) + std::string(i % 40, 'x');
        expected.insert(name);
        int64_t f = create(dir, name, O_WRONLY | O_EXCL);
        ASSERT_GT(f, 0);
        EXPECT_EQ(release(f), 0);
    }
    int64_t io = open(dir, O_RDONLY | O_DIRECTORY);
    ASSERT_GT(io, 0);
    EXPECT_EQ(list(io), expected);
    EXPECT_EQ(list(io, 512), expected) << "small buffers, cookie by cookie";
    // Wrong kinds of handle.
    auto a = make(Op::read_dir);
    a.handle = dir;
    set_buffer(a, 4096);
    EXPECT_EQ(run(a), error(EBADF)) << "a lookup handle";
    int64_t file = create(dir, "plain", O_RDWR);
    a.handle = file;
    EXPECT_EQ(run(a), error(ENOTDIR));
    EXPECT_EQ(read(io), "error " + std::to_string(EISDIR));
    a.handle = io;
    a.segment_count = 0;
    EXPECT_EQ(run(a), error(EINVAL)) << "no buffer";
    set_buffer(a, 10);
    EXPECT_EQ(run(a), error(EINVAL)) << "too small for one record (getdents64)";
    EXPECT_EQ(open(dir, O_WRONLY), error(EISDIR));
    EXPECT_EQ(open(dir, O_RDONLY | O_TRUNC), error(EISDIR));
}

TEST_F(HostFilesTest, Links) {
    int64_t dir = root(0);
    int64_t f = create(dir, "target", O_WRONLY);
    ASSERT_GT(f, 0);
    EXPECT_EQ(write(f, "data"), 4);
    int64_t path = lookup(dir, "target");
    EXPECT_EQ(link(path, dir, "hard"), 0);
    EXPECT_EQ(read_host_file(scratch + "/rw/hard"), "data");
    EXPECT_EQ(stat(path).link_count, 2u);
    EXPECT_EQ(link(path, dir, "hard"), error(EEXIST));
    EXPECT_EQ(link(dir, dir, "dirlink"), error(EPERM));
    EXPECT_EQ(link(path, path, "x"), error(ENOTDIR));

    EXPECT_EQ(symlink(dir, "sym", "target"), 0);
    abi::HostStat s{};
    int64_t sym = lookup(dir, "sym", &s);
    ASSERT_GT(sym, 0);
    EXPECT_TRUE(S_ISLNK(s.mode)) << "lookup never follows";
    EXPECT_EQ(read_link(sym), "target");
    EXPECT_EQ(read_link(path), "error " + std::to_string(EINVAL));
    EXPECT_EQ(symlink(dir, "empty", ""), error(ENOENT));
    EXPECT_EQ(symlink(dir, "nul", std::string("a\0b", 3)), error(EINVAL));
    EXPECT_EQ(symlink(dir, "long", std::string(4096, 'x')), error(ENAMETOOLONG));
    EXPECT_EQ(symlink(dir, "odd", std::string(4095, 'y')), 0) << "any bytes but NUL, up to PATH_MAX - 1";
}

// ---- Confinement ---------------------------------------------------------------------------

TEST_F(HostFilesTest, NamesThatLeaveTheMountAreRefused) {
    int64_t dir = root(0);
    ASSERT_EQ(mkdir((scratch + "/rw/sub").c_str(), 0755), 0);
    int64_t sub = lookup(dir, "sub");
    ASSERT_GT(sub, 0);
    for (int64_t at : {dir, sub}) {
        for (std::string bad : std::vector<std::string>{"..", ".", "../outside", "sub/..", "/etc", "/", "a/b",
                                                        std::string("x\0y", 3), ""}) {
            SCOPED_TRACE(bad);
            EXPECT_EQ(lookup(at, bad), error(EINVAL));
            EXPECT_EQ(create(at, bad, O_RDWR), error(EINVAL));
            EXPECT_EQ(name_call(Op::mkdir, at, bad), error(EINVAL));
            EXPECT_EQ(name_call(Op::unlink, at, bad), error(EINVAL));
            EXPECT_EQ(name_call(Op::rmdir, at, bad), error(EINVAL));
            EXPECT_EQ(symlink(at, bad, "x"), error(EINVAL));
            EXPECT_EQ(rename(at, bad, dir, "x"), error(EINVAL));
            EXPECT_EQ(rename(dir, "sub", at, bad), error(EINVAL));
            EXPECT_EQ(link(sub, at, bad), error(EINVAL));
        }
        EXPECT_EQ(lookup(at, std::string(256, 'n')), error(ENAMETOOLONG));
    }
    EXPECT_EQ(read_host_file(scratch + "/outside/secret"), "secret");
    EXPECT_EQ(access((scratch + "/x").c_str(), F_OK), -1);
}

TEST_F(HostFilesTest, SymlinksAreNeverFollowedOnTheHost) {
    int64_t dir = root(0);
    std::string secret = scratch + "/outside/secret";
    ASSERT_EQ(::symlink(secret.c_str(), (scratch + "/rw/escape").c_str()), 0);
    ASSERT_EQ(::symlink((scratch + "/outside").c_str(), (scratch + "/rw/escape_dir").c_str()), 0);
    ASSERT_EQ(::symlink("../outside/secret", (scratch + "/rw/relative").c_str()), 0);
    struct stat before;
    ASSERT_EQ(::stat(secret.c_str(), &before), 0);

    for (const char* name : {"escape", "relative"}) {
        SCOPED_TRACE(name);
        abi::HostStat s{};
        int64_t link_handle = lookup(dir, name, &s);
        ASSERT_GT(link_handle, 0);
        EXPECT_TRUE(S_ISLNK(s.mode));
        EXPECT_EQ(open(link_handle, O_RDONLY), error(ELOOP));
        EXPECT_EQ(open(link_handle, O_RDWR | O_TRUNC), error(ELOOP));
        EXPECT_EQ(handle_call(Op::truncate, link_handle, 0), error(EINVAL));
        EXPECT_EQ(handle_call(Op::set_mode, link_handle, 0, 0777), error(EOPNOTSUPP));
        EXPECT_EQ(lookup(link_handle, "x"), error(ENOTDIR));
        // create over the symlink's name: O_EXCL says it exists, without it the link is
        // not followed.
        EXPECT_EQ(create(dir, name, O_RDWR | O_EXCL), error(EEXIST));
        EXPECT_EQ(create(dir, name, O_RDWR | O_TRUNC), error(ELOOP));
        // set_times changes the link itself.
        EXPECT_EQ(set_times(link_handle, 5, 6), 0);
        struct stat link_stat;
        ASSERT_EQ(lstat((scratch + "/rw/" + name).c_str(), &link_stat), 0);
        EXPECT_EQ(link_stat.st_mtim.tv_sec, 6);
        // A hard link of a symlink is a second symlink, not the file it points to.
        std::string hard = std::string(name) + "-hard";
        EXPECT_EQ(link(link_handle, dir, hard), 0);
        ASSERT_EQ(lstat((scratch + "/rw/" + hard).c_str(), &link_stat), 0);
        EXPECT_TRUE(S_ISLNK(link_stat.st_mode));
    }
    int64_t escape_dir = lookup(dir, "escape_dir");
    ASSERT_GT(escape_dir, 0);
    EXPECT_EQ(lookup(escape_dir, "secret"), error(ENOTDIR));
    EXPECT_EQ(create(escape_dir, "planted", O_RDWR), error(ENOTDIR));
    EXPECT_EQ(name_call(Op::mkdir, escape_dir, "planted"), error(ENOTDIR));
    EXPECT_EQ(open(escape_dir, O_RDONLY | O_DIRECTORY), error(ELOOP));

    struct stat after;
    ASSERT_EQ(::stat(secret.c_str(), &after), 0);
    EXPECT_EQ(read_host_file(secret), "secret");
    EXPECT_EQ(after.st_mode, before.st_mode);
    EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    EXPECT_EQ(after.st_nlink, 1u);
    EXPECT_EQ(access((scratch + "/outside/planted").c_str(), F_OK), -1);
}

TEST_F(HostFilesTest, FifosDevicesAndSocketsAreNotOpened) {
    int64_t dir = root(0);
    ASSERT_EQ(mkfifo((scratch + "/rw/fifo").c_str(), 0666), 0);
    abi::HostStat s{};
    int64_t fifo = lookup(dir, "fifo", &s);
    ASSERT_GT(fifo, 0);
    EXPECT_TRUE(S_ISFIFO(s.mode));
    // Each of these would block the test forever if the FIFO were opened.
    EXPECT_EQ(open(fifo, O_RDONLY), error(EACCES));
    EXPECT_EQ(open(fifo, O_WRONLY), error(EACCES));
    EXPECT_EQ(create(dir, "fifo", O_RDONLY), error(EACCES));
    EXPECT_EQ(create(dir, "fifo", O_WRONLY | O_TRUNC), error(EACCES));
    EXPECT_EQ(handle_call(Op::truncate, fifo, 0), error(EINVAL));

    int sock = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string socket_path = scratch + "/rw/sock";
    ASSERT_LT(socket_path.size(), sizeof address.sun_path);
    std::strcpy(address.sun_path, socket_path.c_str());
    ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    int64_t socket_handle = lookup(dir, "sock");
    ASSERT_GT(socket_handle, 0);
    EXPECT_EQ(open(socket_handle, O_RDWR), error(ENXIO));
    close(sock);

    // A device node needs CAP_MKNOD; where the test may not make one, it skips this part.
    if (mknod((scratch + "/rw/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        int64_t device = lookup(dir, "null");
        ASSERT_GT(device, 0);
        EXPECT_EQ(open(device, O_RDWR), error(EACCES));
        EXPECT_EQ(create(dir, "null", O_WRONLY), error(EACCES));
    }
}

TEST_F(HostFilesTest, NoSetUserIdBits) {
    int64_t dir = root(0);
    abi::HostStat s{};
    int64_t f = create(dir, "suid", O_RDWR, 06755, &s);
    ASSERT_GT(f, 0);
    EXPECT_EQ(s.mode & 07777, 0755u);
    int64_t path = lookup(dir, "suid");
    EXPECT_EQ(handle_call(Op::set_mode, path, 0, 04777), 0);
    EXPECT_EQ(stat(path).mode & 07777, 0777u);
    EXPECT_EQ(handle_call(Op::set_mode, path, 0, 02777), 0);
    EXPECT_EQ(stat(path).mode & 07777, 0777u);
    EXPECT_EQ(handle_call(Op::set_mode, path, 0, (0xfffffull << 12) | 0644), 0) << "bits beyond 07777 are ignored";
    EXPECT_EQ(stat(path).mode & 07777, 0644u);
    EXPECT_EQ(name_call(Op::mkdir, dir, "shared", 03775), 0);
    int64_t shared = lookup(dir, "shared", &s);
    ASSERT_GT(shared, 0);
    EXPECT_EQ(s.mode & S_ISUID, 0u);
    EXPECT_EQ(s.mode & S_ISVTX, unsigned{S_ISVTX}) << "the sticky bit is harmless";
}

TEST_F(HostFilesTest, ReadOnlyMountChangesNothing) {
    const std::string before = describe_tree(scratch + "/ro");
    int64_t dir = root(1);
    int64_t file = lookup(dir, "file");
    int64_t sub = lookup(dir, "sub");
    int64_t link_handle = lookup(dir, "link");
    int64_t other_root = root(2);
    ASSERT_GT(file, 0);
    ASSERT_GT(sub, 0);
    ASSERT_GT(link_handle, 0);

    // Reading works.
    int64_t reader = open(file, O_RDONLY);
    ASSERT_GT(reader, 0);
    EXPECT_EQ(read(reader), "read only");
    EXPECT_EQ(read_link(link_handle), "file");
    int64_t listing = open(dir, O_RDONLY | O_DIRECTORY);
    EXPECT_EQ(list(listing), (std::multiset<std::string>{".", "..", "file", "sub", "link"}));
    auto a = make(Op::statfs);
    a.handle = dir;
    EXPECT_EQ(run(a), 0);
    EXPECT_EQ(a.statfs.flags & ST_RDONLY, ST_RDONLY);

    // Every call that writes.
    for (uint64_t flags : {O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND})
        EXPECT_EQ(open(file, flags), error(EROFS)) << flags;
    for (std::string name : {std::string("file"), std::string("new")}) {
        EXPECT_EQ(create(dir, name, O_RDONLY), error(EROFS));
        EXPECT_EQ(create(dir, name, O_RDWR | O_EXCL), error(EROFS));
        EXPECT_EQ(create(sub, name, O_WRONLY | O_TRUNC), error(EROFS));
    }
    EXPECT_EQ(write(reader, "x"), error(EBADF)) << "no handle for writing can exist";
    EXPECT_EQ(name_call(Op::mkdir, dir, "new"), error(EROFS));
    EXPECT_EQ(name_call(Op::mkdir, sub, "new"), error(EROFS));
    EXPECT_EQ(name_call(Op::unlink, dir, "file"), error(EROFS));
    EXPECT_EQ(name_call(Op::unlink, sub, "inner"), error(EROFS));
    EXPECT_EQ(name_call(Op::unlink, dir, "link"), error(EROFS));
    EXPECT_EQ(name_call(Op::rmdir, dir, "sub"), error(EROFS));
    EXPECT_EQ(rename(dir, "file", dir, "renamed"), error(EROFS));
    EXPECT_EQ(rename(dir, "file", sub, "renamed"), error(EROFS));
    EXPECT_EQ(rename(sub, "inner", dir, "file", RENAME_EXCHANGE), error(EROFS));
    EXPECT_EQ(symlink(dir, "new", "file"), error(EROFS));
    EXPECT_EQ(link(file, dir, "hard"), error(EROFS));
    EXPECT_EQ(link(file, sub, "hard"), error(EROFS));
    for (int64_t h : {file, reader, sub, dir}) {
        EXPECT_EQ(handle_call(Op::truncate, h, 0), h == sub || h == dir ? error(EISDIR) : error(EROFS));
        EXPECT_EQ(handle_call(Op::set_mode, h, 0, 0777), error(EROFS));
        EXPECT_EQ(set_times(h, 1, 2), error(EROFS));
    }
    EXPECT_EQ(set_times(link_handle, 1, 2), error(EROFS));
    // Involving the writable mount too: EXDEV first, as Linux checks it before EROFS.
    EXPECT_EQ(rename(dir, "file", other_root, "stolen"), error(EXDEV));
    EXPECT_EQ(rename(other_root, "x", dir, "planted"), error(EXDEV));
    EXPECT_EQ(link(file, other_root, "stolen"), error(EXDEV));
    EXPECT_EQ(handle_call(Op::sync, reader), 0) << "sync writes nothing of the guest's";

    EXPECT_EQ(describe_tree(scratch + "/ro"), before);
    DIR* other = opendir((scratch + "/other").c_str());
    int entries = 0;
    while (readdir(other)) ++entries;
    closedir(other);
    EXPECT_EQ(entries, 2) << "nothing arrived in the other mount";
}

TEST_F(HostFilesTest, NothingCrossesBetweenMounts) {
    int64_t rw = root(0), other = root(2);
    int64_t f = create(rw, "f", O_RDWR);
    ASSERT_GT(f, 0);
    int64_t path = lookup(rw, "f");
    EXPECT_EQ(rename(rw, "f", other, "f"), error(EXDEV));
    EXPECT_EQ(rename(rw, "f", other, "f", RENAME_EXCHANGE), error(EXDEV));
    EXPECT_EQ(link(path, other, "f"), error(EXDEV));
    EXPECT_EQ(access((scratch + "/other/f").c_str(), F_OK), -1);
    // Two mounts of the same host directory are two mounts, as two bind mounts are.
    HostFiles twice(memory, {{scratch + "/rw", "/a", false}, {scratch + "/rw", "/b", false}});
    abi::HostFileArgs a = make(Op::mount_root);
    a.handle = 0;
    twice.serve(a);
    int64_t first = a.result;
    a.handle = 1;
    twice.serve(a);
    int64_t second = a.result;
    a = make(Op::rename);
    a.handle = first;
    a.handle2 = second;
    set_name(a, "f");
    set_name2(a, "g");
    twice.serve(a);
    EXPECT_EQ(a.result, error(EXDEV));
}

// ---- Hostile arguments ---------------------------------------------------------------------

TEST_F(HostFilesTest, BadOperations) {
    for (uint32_t op : {0u, static_cast<uint32_t>(Op::count), 22u, 1000u, 0x80000000u, UINT32_MAX}) {
        auto a = make(Op::stat);
        a.op = op;
        a.handle = static_cast<uint64_t>(root(0));
        EXPECT_EQ(run(a), error(EINVAL)) << op;
    }
}

TEST_F(HostFilesTest, BadHandles) {
    int64_t dir = root(0);
    int64_t released = root(0);
    ASSERT_EQ(release(released), 0);
    for (uint64_t bad : {uint64_t{0}, static_cast<uint64_t>(released), uint64_t{12345}, abi::host_handles_max,
                         abi::host_handles_max + 1, uint64_t{1} << 32, UINT64_MAX}) {
        SCOPED_TRACE(bad);
        for (Op op : {Op::lookup, Op::release, Op::open, Op::create, Op::read, Op::write, Op::stat, Op::read_dir,
                      Op::mkdir, Op::unlink, Op::rmdir, Op::symlink, Op::read_link, Op::truncate, Op::set_mode,
                      Op::set_times, Op::sync, Op::statfs}) {
            auto a = make(op);
            a.handle = bad;
            set_name(a, "x");
            set_name2(a, "y");
            set_buffer(a, 16);
            EXPECT_EQ(run(a), error(EBADF)) << static_cast<int>(op);
        }
        EXPECT_EQ(rename(bad, "x", dir, "y"), error(EBADF));
        EXPECT_EQ(rename(dir, "x", bad, "y"), error(EBADF));
        EXPECT_EQ(link(bad, dir, "y"), error(EBADF));
        EXPECT_EQ(link(dir, bad, "y"), error(EBADF));
    }
}

TEST_F(HostFilesTest, HandlesOfTheWrongKind) {
    int64_t dir = root(0);
    int64_t file_io = create(dir, "f", O_RDWR);
    int64_t file = lookup(dir, "f");
    int64_t dir_io = open(dir, O_RDONLY);
    ASSERT_GT(file_io, 0);
    ASSERT_GT(dir_io, 0);
    // Names are looked up in directories only (either kind of handle).
    EXPECT_EQ(lookup(file, "x"), error(ENOTDIR));
    EXPECT_EQ(lookup(file_io, "x"), error(ENOTDIR));
    EXPECT_EQ(create(file, "x", O_RDWR), error(ENOTDIR));
    EXPECT_EQ(name_call(Op::mkdir, file, "x"), error(ENOTDIR));
    EXPECT_EQ(rename(file, "x", dir, "y"), error(ENOTDIR));
    EXPECT_EQ(rename(dir, "f", file, "y"), error(ENOTDIR));
    EXPECT_EQ(lookup(dir_io, "f") > 0, true);
    // I/O needs an I/O handle.
    EXPECT_EQ(read(file), "error " + std::to_string(EBADF));
    EXPECT_EQ(write(file, "x"), error(EBADF));
    EXPECT_EQ(handle_call(Op::sync, file), error(EBADF));
    EXPECT_EQ(write(dir_io, "x"), error(EBADF));
    // Flags outside the ABI's.
    for (uint64_t flags : {uint64_t{O_ACCMODE}, uint64_t{O_CREAT}, uint64_t{O_EXCL}, uint64_t{O_NONBLOCK},
                           uint64_t{O_PATH}, uint64_t{O_NOFOLLOW}, uint64_t{1} << 40, UINT64_MAX})
        EXPECT_EQ(open(file, flags), error(EINVAL)) << flags;
    for (uint64_t flags : {uint64_t{O_ACCMODE}, uint64_t{O_DIRECTORY}, uint64_t{O_PATH}, uint64_t{O_TMPFILE},
                           uint64_t{1} << 40, UINT64_MAX})
        EXPECT_EQ(create(dir, "g", flags), error(EINVAL)) << flags;
    EXPECT_EQ(handle_call(Op::sync, file_io, 0, 0, 2), error(EINVAL));
    EXPECT_EQ(handle_call(Op::sync, file_io, 0, 0, UINT64_MAX), error(EINVAL));
}

TEST_F(HostFilesTest, BadNamesAndAddresses) {
    int64_t dir = root(0);
    auto a = make(Op::lookup);
    a.handle = dir;
    for (auto [address, length] : std::vector<std::pair<uint64_t, uint64_t>>{
             {ram_size, 1}, {ram_size - 1, 2}, {UINT64_MAX, 1}, {UINT64_MAX - 1, 4}, {1ull << 63, 8}}) {
        a.name = address;
        a.name_length = length;
        EXPECT_EQ(run(a), error(EFAULT)) << address << " " << length;
    }
    for (uint64_t length : {uint64_t{256}, uint64_t{1} << 20, UINT64_MAX}) {
        a.name = name_at.value;
        a.name_length = length;
        EXPECT_EQ(run(a), error(ENAMETOOLONG)) << length;
    }
    // Symlink targets: EFAULT outside RAM, however long.
    auto s = make(Op::symlink);
    s.handle = dir;
    set_name(s, "t");
    s.name2 = ram_size - 2;
    s.name2_length = 4;
    EXPECT_EQ(run(s), error(EFAULT));
    s.name2_length = UINT64_MAX;
    EXPECT_EQ(run(s), error(ENAMETOOLONG));
}

TEST_F(HostFilesTest, BadSegments) {
    int64_t dir = root(0);
    int64_t f = create(dir, "f", O_RDWR);
    ASSERT_EQ(write(f, "0123456789"), 10);
    for (Op op : {Op::read, Op::write}) {
        SCOPED_TRACE(static_cast<int>(op));
        auto a = make(op);
        a.handle = f;
        a.segments = segments_at.value;
        a.segment_count = abi::host_segments_max + 1;
        EXPECT_EQ(run(a), error(EINVAL)) << "too many segments";
        a.segment_count = UINT32_MAX;
        EXPECT_EQ(run(a), error(EINVAL));
        a.segment_count = 1;
        for (uint64_t list : {ram_size, ram_size - 8, UINT64_MAX - 7, UINT64_MAX}) {
            a.segments = list;
            EXPECT_EQ(run(a), error(EFAULT)) << "the list itself outside RAM: " << list;
        }
        a.segments = segments_at.value;
        for (abi::HostSegment bad : std::vector<abi::HostSegment>{{ram_size, 1},
                                                                  {ram_size - 4, 5},
                                                                  {UINT64_MAX, 2},
                                                                  {data_at.value, UINT64_MAX},
                                                                  {data_at.value, ram_size},
                                                                  {UINT64_MAX - 10, 20},
                                                                  {1ull << 63, 1ull << 63}}) {
            memory.write(segments_at, bad);
            EXPECT_EQ(run(a), error(EFAULT)) << bad.address << " " << bad.length;
            // One good segment before it does not help: every segment is checked.
            abi::HostSegment two[2] = {{data_at.value, 4}, bad};
            std::memcpy(memory.span(segments_at, sizeof two)->data(), two, sizeof two);
            a.segment_count = 2;
            EXPECT_EQ(run(a), error(EFAULT));
            a.segment_count = 1;
        }
        a.segment_count = 0;
        a.segments = UINT64_MAX;
        EXPECT_EQ(run(a), 0) << "no segments: nothing to move";
        set_buffer(a, 4);
        a.offset = uint64_t{1} << 63;
        EXPECT_EQ(run(a), error(EINVAL)) << "offset beyond off_t";
        a.offset = UINT64_MAX;
        EXPECT_EQ(run(a), error(EINVAL));
    }
    EXPECT_EQ(read_host_file(scratch + "/rw/f"), "0123456789");
}

TEST_F(HostFilesTest, ScatterGatherAndTransferLimit) {
    int64_t dir = root(0);
    int64_t f = create(dir, "big", O_RDWR);
    ASSERT_GT(f, 0);
    // Three segments, out of order in guest RAM.
    put(GuestPhysAddr{0x300000}, "ccc");
    put(GuestPhysAddr{0x200000}, "bb");
    put(GuestPhysAddr{0x280000}, "a");
    abi::HostSegment three[3] = {{0x280000, 1}, {0x200000, 2}, {0x300000, 3}};
    std::memcpy(memory.span(segments_at, sizeof three)->data(), three, sizeof three);
    auto a = make(Op::write);
    a.handle = f;
    a.segments = segments_at.value;
    a.segment_count = 3;
    EXPECT_EQ(run(a), 6);
    EXPECT_EQ(read_host_file(scratch + "/rw/big"), "abbccc");
    // More than host_transfer_max in one call: a short transfer of exactly the maximum.
    abi::HostSegment large[2] = {{0x100000, 3 << 20}, {0x400000, 3 << 20}};
    std::memcpy(memory.span(segments_at, sizeof large)->data(), large, sizeof large);
    a.segment_count = 2;
    a.offset = 0;
    EXPECT_EQ(run(a), static_cast<int64_t>(abi::host_transfer_max));
    struct stat s;
    ASSERT_EQ(::stat((scratch + "/rw/big").c_str(), &s), 0);
    EXPECT_EQ(static_cast<uint64_t>(s.st_size), abi::host_transfer_max);
    a.op = static_cast<uint32_t>(Op::read);
    EXPECT_EQ(run(a), static_cast<int64_t>(abi::host_transfer_max));
}

// The hypercall itself: the argument struct must be in RAM (else the VM ends, as for every
// hypercall); results go back into it.
TEST_F(HostFilesTest, ThroughTheHypercall) {
    ConsoleDrain console(memory, GuestPhysAddr{0x8000}, 4096);
    Hypercalls hypercalls(memory, console, *files);
    const uint16_t port = abi::hypercall_port_base + static_cast<uint16_t>(abi::Hypercall::host_file);
    EXPECT_TRUE(Hypercalls::is_hypercall_port(port));
    EXPECT_STREQ(Hypercalls::name(static_cast<uint16_t>(abi::Hypercall::host_file)), "host_file");
    auto a = make(Op::mount_root);
    a.handle = 0;
    a.mode = 0x5555;  // not the call's: must stay as the guest wrote it
    memory.write(args_at, a);
    EXPECT_EQ(hypercalls.handle(port, args_at.value).kind, HypercallOutcome::Kind::resume);
    auto back = memory.read<abi::HostFileArgs>(args_at);
    EXPECT_GT(back->result, 0);
    EXPECT_TRUE(S_ISDIR(back->stat.mode));
    EXPECT_EQ(back->mode, 0x5555u);
    EXPECT_EQ(hypercalls.count(static_cast<uint16_t>(abi::Hypercall::host_file)), 1u);
    for (uint64_t bad : {ram_size, ram_size - 8, args_at.value + 4, UINT64_MAX - 7})
        EXPECT_EQ(hypercalls.handle(port, bad).kind, HypercallOutcome::Kind::guest_error) << bad;
}

// Several vCPUs at once: lookups, I/O and releases of each other's handles.
TEST_F(HostFilesTest, ConcurrentCalls) {
    int64_t dir = root(0);
    write_host_file(scratch + "/rw/shared", "shared");
    put(name_at, "shared");
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 300; ++i) {
                abi::HostFileArgs a{};
                a.op = static_cast<uint32_t>(Op::lookup);
                a.handle = dir;
                a.name = name_at.value;  // "shared", written once before
                a.name_length = 6;
                files->serve(a);
                if (a.result <= 0) {
                    ++wrong;
                    continue;
                }
                uint64_t handle = a.result;
                a = abi::HostFileArgs{};
                a.op = static_cast<uint32_t>(Op::release);
                a.handle = handle + (i % 3 == 0 ? 1 : 0);  // sometimes someone else's
                files->serve(a);
                a.handle = handle;
                files->serve(a);
            }
        });
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(wrong, 0);
}

}  // namespace
