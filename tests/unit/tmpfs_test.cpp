// tmpfs on the host: files (sparse, truncate, fallocate, ENOSPC, EFAULT), directories
// (listing cookies, link counts, rmdir), links, rename's rules, times, and threads.
#include "fs/tmpfs.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fs/clock.hpp"
#include "fs/file.hpp"
#include "io_buffer_on_host.hpp"
#include "page_store_on_host.hpp"
#include "result_checks.hpp"

namespace {

using namespace eremite;
using namespace eremite::fs;
namespace pages = eremite::fs::page_store::host;

constexpr uint64_t kib = 1024, mib = 1024 * kib, gib = 1024 * mib;

Name name(const char* text) { return Name{text, static_cast<uint32_t>(strlen(text))}; }
Name name(const std::string& text) { return Name{text.data(), static_cast<uint32_t>(text.size())}; }
std::string numbered(const char* prefix, int number) {
    char text[32];
    std::snprintf(text, sizeof text, "%s%d", prefix, number);
    return text;
}

uint64_t write_text(Node& file, uint64_t offset, const std::string& text) {
    return value(file.write(offset, IoBuffer::kernel(text.data()), text.size()));
}

std::string read_text(Node& file, uint64_t offset, uint64_t length) {
    std::string text(length, '\xee');
    uint64_t got = value(file.read(offset, IoBuffer::kernel(text.data()), length));
    text.resize(got);
    return text;
}

bool all_zero(const std::string& text) {
    for (char c : text)
        if (c) return false;
    return true;
}

struct Listed {
    uint64_t inode;
    NodeType type;
    std::string name;
    uint64_t next_cookie;
};

// Takes up to `limit` entries, then refuses the next one.
class Listing : public DirectoryListing {
public:
    explicit Listing(uint64_t limit = ~0ull) : limit_(limit) {}
    bool add(const DirectoryEntry& entry) override {
        if (entries.size() == limit_) return false;
        entries.push_back(
            Listed{entry.inode, entry.type, std::string(entry.name.text, entry.name.length), entry.next_cookie});
        return true;
    }
    std::vector<Listed> entries;

private:
    uint64_t limit_;
};

std::vector<std::string> names_in(Node& directory) {
    Listing listing;
    succeeds(directory.read_directory(0, listing));
    std::vector<std::string> names;
    for (auto& entry : listing.entries) names.push_back(entry.name);
    return names;
}

// A clock that ticks one second per reading, to see which operation touched which time.
int64_t ticks = 0;
Timestamp ticking_clock() { return Timestamp{1000 + __atomic_add_fetch(&ticks, 1, __ATOMIC_RELAXED), 5}; }
bool same(const Timestamp& a, const Timestamp& b) { return a.seconds == b.seconds && a.nanoseconds == b.nanoseconds; }
bool later(const Timestamp& a, const Timestamp& b) {
    return a.seconds > b.seconds || (a.seconds == b.seconds && a.nanoseconds > b.nanoseconds);
}

class Tmpfs : public testing::Test {
protected:
    void SetUp() override {
        ASSERT_EQ(pages::in_use(), 0u);
        root = make_tmpfs_root(0755);
        ASSERT_TRUE(root);
    }
    void TearDown() override {
        root.reset();
        set_clock(nullptr);
        host::set_faulting_range(nullptr, nullptr);
        pages::set_limit(pages::default_limit);
        EXPECT_EQ(pages::in_use(), 0u) << "pages outlived the file system";
    }
    Ref<Node> file(const char* path_name, const std::string& contents = "") {
        Ref<Node> node = value(root->create(name(path_name), 0644));
        if (!contents.empty()) {
            EXPECT_EQ(write_text(*node, 0, contents), contents.size());
        }
        return node;
    }
    Ref<Node> directory(Node& parent, const char* directory_name) {
        return value(parent.make_directory(name(directory_name), 0755));
    }
    Ref<Node> lookup(Node& parent, const char* entry_name) { return value(parent.lookup(name(entry_name))); }

    Ref<Node> root;
};

// Basics.

TEST_F(Tmpfs, RootAttributes) {
    Attributes attributes = root->attributes();
    EXPECT_EQ(attributes.mode, 040755u);
    EXPECT_EQ(attributes.link_count, 2u);
    EXPECT_EQ(attributes.size, 40);  // Linux: two BOGO_DIRENT_SIZE for "." and ".."
    EXPECT_NE(attributes.inode, 0u);
    EXPECT_EQ(attributes.blocks, 0);
    EXPECT_EQ(attributes.block_size, 4096);
    EXPECT_TRUE(root->is_directory());
    EXPECT_EQ(tmpfs_parent(*root).get(), root.get());
    FileSystemStatistics statistics = value(root->statistics());
    EXPECT_EQ(statistics.type, 0x01021994);
    EXPECT_EQ(statistics.block_size, 4096);
    EXPECT_EQ(statistics.name_max, 255);
    EXPECT_EQ(statistics.blocks, static_cast<int64_t>(pages::default_limit));
    EXPECT_EQ(statistics.blocks_free, statistics.blocks);
    EXPECT_GT(statistics.files_free, 0);
}

TEST_F(Tmpfs, RootWithoutMemoryIsNull) {
    // Only the host's new would throw; the kernel's returns nullptr, which the factory
    // passes on. Here: two roots are independent file systems.
    Ref<Node> other = make_tmpfs_root(0700);
    EXPECT_NE(other->file_system(), root->file_system());
    EXPECT_EQ(other->attributes().mode, 040700u);
}

TEST_F(Tmpfs, CreateAndLookup) {
    Ref<Node> a = file("a");
    Attributes attributes = a->attributes();
    EXPECT_EQ(attributes.mode, 0100644u);
    EXPECT_EQ(attributes.link_count, 1u);
    EXPECT_EQ(attributes.size, 0);
    EXPECT_EQ(attributes.blocks, 0);
    EXPECT_EQ(lookup(*root, "a").get(), a.get());
    EXPECT_EQ(failure(root->lookup(name("b"))), Errno::enoent);
    EXPECT_EQ(failure(root->create(name("a"), 0644)), Errno::eexist);
    EXPECT_EQ(failure(root->make_directory(name("a"), 0755)), Errno::eexist);
    EXPECT_EQ(failure(root->make_symlink(name("a"), name("x"))), Errno::eexist);
    EXPECT_EQ(root->attributes().size, 60);
    EXPECT_EQ(root->attributes().link_count, 2u);  // a file is no subdirectory
    EXPECT_EQ(a->file_system(), root->file_system());
}

TEST_F(Tmpfs, PermissionsAreKeptAsGiven) {
    EXPECT_EQ(value(root->create(name("s"), 07777))->attributes().mode, 0107777u);
    EXPECT_EQ(value(root->create(name("t"), 0170600))->attributes().mode, 0100600u);  // type bits ignored
    EXPECT_EQ(value(root->make_directory(name("d"), 01777))->attributes().mode, 041777u);
}

TEST_F(Tmpfs, InodeNumbersAreUnique) {
    std::set<uint64_t> inodes{root->attributes().inode};
    for (int i = 0; i < 300; ++i) {
        std::string n = numbered("n", i);
        Ref<Node> node = i % 3 == 0   ? value(root->create(name(n), 0644))
                         : i % 3 == 1 ? value(root->make_directory(name(n), 0755))
                                      : value(root->make_symlink(name(n), name("t")));
        EXPECT_TRUE(inodes.insert(node->attributes().inode).second);
    }
}

TEST_F(Tmpfs, OperationsOfTheWrongKind) {
    Ref<Node> a = file("a", "x");
    Ref<Node> d = directory(*root, "d");
    char buffer[8];
    EXPECT_EQ(failure(d->read(0, IoBuffer::kernel(buffer), 8)), Errno::eisdir);
    EXPECT_EQ(failure(d->write(0, IoBuffer::kernel(buffer), 8)), Errno::eisdir);
    EXPECT_EQ(failure(d->truncate(0)), Errno::eisdir);
    EXPECT_EQ(failure(d->allocate(0, 1)), Errno::eisdir);
    EXPECT_EQ(failure(a->lookup(name("x"))), Errno::enotdir);
    EXPECT_EQ(failure(a->create(name("x"), 0644)), Errno::enotdir);
    EXPECT_EQ(failure(a->make_directory(name("x"), 0755)), Errno::enotdir);
    EXPECT_EQ(failure(a->unlink(name("x"))), Errno::enotdir);
    Listing listing;
    EXPECT_EQ(failure(a->read_directory(0, listing)), Errno::enotdir);
    EXPECT_EQ(failure(a->read_link(buffer, 8)), Errno::einval);
    EXPECT_EQ(failure(d->read_link(buffer, 8)), Errno::einval);
    EXPECT_FALSE(tmpfs_parent(*a));
}

// Regular files.

TEST_F(Tmpfs, WriteAndReadBack) {
    Ref<Node> a = file("a", "hello, world");
    EXPECT_EQ(read_text(*a, 0, 100), "hello, world");
    EXPECT_EQ(read_text(*a, 7, 3), "wor");
    EXPECT_EQ(read_text(*a, 12, 10), "");  // at the end
    EXPECT_EQ(read_text(*a, 1000, 10), "");
    EXPECT_EQ(read_text(*a, 0, 0), "");
    EXPECT_EQ(write_text(*a, 7, "there!"), 6u);
    EXPECT_EQ(read_text(*a, 0, 100), "hello, there!");
    EXPECT_EQ(a->attributes().size, 13);
    EXPECT_EQ(a->attributes().blocks, 8);
    EXPECT_EQ(value(a->write(5, IoBuffer::kernel("x"), 0)), 0u);  // nothing to write
    EXPECT_EQ(a->attributes().size, 13);
}

TEST_F(Tmpfs, WritesAcrossPageBoundaries) {
    Ref<Node> a = file("a");
    std::string data(3 * 4096 + 100, 0);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 1);
    EXPECT_EQ(write_text(*a, 4000, data), data.size());
    EXPECT_EQ(a->attributes().size, static_cast<int64_t>(4000 + data.size()));
    EXPECT_EQ(a->attributes().blocks, 5 * 8);  // bytes 4000 to 16388: pages 0 to 4
    EXPECT_TRUE(all_zero(read_text(*a, 0, 4000)));
    EXPECT_EQ(read_text(*a, 4000, data.size()), data);
    EXPECT_EQ(read_text(*a, 4096 + 5, 10), data.substr(96 + 5, 10));
}

TEST_F(Tmpfs, SparseFilesTakeNoMemoryForHoles) {
    Ref<Node> a = file("a");
    EXPECT_EQ(write_text(*a, gib, "z"), 1u);
    Attributes attributes = a->attributes();
    EXPECT_EQ(attributes.size, static_cast<int64_t>(gib + 1));
    EXPECT_EQ(attributes.blocks, 8);
    EXPECT_EQ(pages::in_use(), 1u);
    EXPECT_TRUE(all_zero(read_text(*a, 0, mib)));
    EXPECT_TRUE(all_zero(read_text(*a, gib - 4096, 4096)));
    EXPECT_EQ(read_text(*a, gib - 2, 10), std::string("\0\0z", 3));
    EXPECT_EQ(pages::in_use(), 1u);  // reading a hole allocates nothing
    // A write in the middle of a hole takes one page.
    EXPECT_EQ(write_text(*a, 5 * mib + 10, "mid"), 3u);
    EXPECT_EQ(a->attributes().blocks, 16);
    EXPECT_EQ(read_text(*a, 5 * mib, 16), std::string(10, '\0') + "mid" + std::string(3, '\0'));
}

TEST_F(Tmpfs, TheLargestOffsets) {
    Ref<Node> a = file("a");
    constexpr uint64_t max = 0x7fffffffffffffff;
    EXPECT_EQ(failure(a->write(max, IoBuffer::kernel("x"), 1)), Errno::efbig);
    EXPECT_EQ(failure(a->write(~0ull, IoBuffer::kernel("x"), 1)), Errno::efbig);
    EXPECT_EQ(value(a->write(max - 2, IoBuffer::kernel("xyz"), 3)), 2u);  // cut at the limit
    EXPECT_EQ(a->attributes().size, static_cast<int64_t>(max));
    EXPECT_EQ(read_text(*a, max - 3, 10), std::string("\0xy", 3));
    EXPECT_EQ(failure(a->truncate(max + 1)), Errno::efbig);
    EXPECT_EQ(failure(a->allocate(max, 1)), Errno::efbig);
    EXPECT_EQ(failure(a->allocate(~0ull, 2)), Errno::efbig);
    succeeds(a->truncate(0));
    EXPECT_EQ(pages::in_use(), 0u);
}

TEST_F(Tmpfs, TruncateDownFreesAndZeroesTheTail) {
    Ref<Node> a = file("a", std::string(3 * 4096, '\xaa'));
    EXPECT_EQ(pages::in_use(), 3u);
    succeeds(a->truncate(5000));
    EXPECT_EQ(a->attributes().size, 5000);
    EXPECT_EQ(a->attributes().blocks, 16);
    EXPECT_EQ(pages::in_use(), 2u);
    EXPECT_EQ(read_text(*a, 0, 10000), std::string(5000, '\xaa'));
    // Growing again shows zeroes, not the old bytes.
    succeeds(a->truncate(3 * 4096));
    EXPECT_EQ(a->attributes().blocks, 16);  // growing allocates nothing
    std::string all = read_text(*a, 0, 3 * 4096);
    EXPECT_EQ(all.substr(0, 5000), std::string(5000, '\xaa'));
    EXPECT_TRUE(all_zero(all.substr(5000)));
    succeeds(a->truncate(4096));  // exactly at a page boundary
    EXPECT_EQ(pages::in_use(), 1u);
    succeeds(a->truncate(0));
    EXPECT_EQ(pages::in_use(), 0u);
    EXPECT_EQ(a->attributes().blocks, 0);
    EXPECT_EQ(read_text(*a, 0, 10), "");
}

TEST_F(Tmpfs, WritePastTheEndAfterShrinkingSeesZeroes) {
    Ref<Node> a = file("a", std::string(4096, 'q'));
    succeeds(a->truncate(10));
    EXPECT_EQ(write_text(*a, 100, "w"), 1u);
    EXPECT_EQ(read_text(*a, 0, 200), std::string(10, 'q') + std::string(90, '\0') + "w");
}

TEST_F(Tmpfs, AllocateMakesPagesAndGrows) {
    Ref<Node> a = file("a", "keep");
    succeeds(a->allocate(2, 3 * 4096 + 1));
    Attributes attributes = a->attributes();
    EXPECT_EQ(attributes.size, static_cast<int64_t>(2 + 3 * 4096 + 1));
    EXPECT_EQ(attributes.blocks, 4 * 8);
    EXPECT_EQ(read_text(*a, 0, 4), "keep");
    EXPECT_TRUE(all_zero(read_text(*a, 4, 3 * 4096 - 1)));
    // Inside the file: no size change, holes filled.
    succeeds(a->truncate(20 * 4096));
    succeeds(a->allocate(10 * 4096, 4096));
    EXPECT_EQ(a->attributes().size, 20 * 4096);
    EXPECT_EQ(a->attributes().blocks, 5 * 8);
    EXPECT_EQ(failure(a->allocate(0, 0)), Errno::einval);
}

TEST_F(Tmpfs, AllocateOutOfSpaceUndoesItself) {
    Ref<Node> a = file("a");
    // Ten pages far out, so that the quick check lets a five-page range through.
    succeeds(a->allocate(100 * 4096, 10 * 4096));
    EXPECT_EQ(pages::in_use(), 10u);
    EXPECT_EQ(write_text(*a, 4096, "x"), 1u);  // page 1 exists and must stay
    pages::set_limit(13);
    EXPECT_EQ(failure(a->allocate(0, 5 * 4096)), Errno::enospc);
    EXPECT_EQ(pages::in_use(), 11u);
    EXPECT_EQ(a->attributes().blocks, 11 * 8);
    EXPECT_EQ(a->attributes().size, 110 * 4096);
    EXPECT_EQ(read_text(*a, 4096, 1), "x");
    // Far more than there is: refused at once.
    EXPECT_EQ(failure(a->allocate(0, gib)), Errno::enospc);
    EXPECT_EQ(pages::in_use(), 11u);
}

TEST_F(Tmpfs, WriteOutOfSpaceIsShortThenEnospc) {
    Ref<Node> a = file("a");
    pages::set_limit(2);
    std::string data(3 * 4096, 'd');
    EXPECT_EQ(write_text(*a, 0, data), 2 * 4096u);
    EXPECT_EQ(a->attributes().size, 2 * 4096);
    EXPECT_EQ(failure(a->write(2 * 4096, IoBuffer::kernel(data.data()), 4096)), Errno::enospc);
    EXPECT_EQ(a->attributes().size, 2 * 4096);
    // Overwriting pages that exist needs no memory.
    EXPECT_EQ(write_text(*a, 0, std::string(2 * 4096, 'e')), 2 * 4096u);
    EXPECT_EQ(failure(root->lookup(name("b"))), Errno::enoent);
    Ref<Node> b = file("b");  // nodes come from the heap, not from pages
    EXPECT_EQ(failure(b->write(0, IoBuffer::kernel("x"), 1)), Errno::enospc);
    EXPECT_EQ(failure(b->allocate(0, 1)), Errno::enospc);
    FileSystemStatistics statistics = value(root->statistics());
    EXPECT_EQ(statistics.blocks, 2);
    EXPECT_EQ(statistics.blocks_free, 0);
}

TEST_F(Tmpfs, AppBuffersThatFaultEntirely) {
    Ref<Node> a = file("a", "abc");
    char app[8192];
    host::set_faulting_range(app, app + sizeof app);
    EXPECT_EQ(failure(a->write(0, IoBuffer::app(app), sizeof app)), Errno::efault);
    EXPECT_EQ(failure(a->write(100000, IoBuffer::app(app), sizeof app)), Errno::efault);
    uint64_t end = 0;
    EXPECT_EQ(failure(a->append(IoBuffer::app(app), 10, end)), Errno::efault);
    EXPECT_EQ(a->attributes().size, 3);
    EXPECT_EQ(pages::in_use(), 1u);  // the pages for the failed copies went back
    EXPECT_EQ(failure(a->read(0, IoBuffer::app(app), 3)), Errno::efault);
    succeeds(a->truncate(8192));
    EXPECT_EQ(failure(a->read(4096, IoBuffer::app(app), 10)), Errno::efault);  // from a hole
}

TEST_F(Tmpfs, FaultingAppBuffers) {
    if (!host::app_copies_work()) GTEST_SKIP() << "this host IoBuffer has no working app copies";
    Ref<Node> a = file("a");
    std::vector<char> app(3 * 4096, 'p');
    // The second page of the buffer faults: the first page is written, then a short count.
    host::set_faulting_range(app.data() + 4096, app.data() + 2 * 4096);
    EXPECT_EQ(value(a->write(0, IoBuffer::app(app.data()), app.size())), 4096u);
    EXPECT_EQ(a->attributes().size, 4096);
    EXPECT_EQ(pages::in_use(), 1u);  // the page of the failed copy went back
    // Nothing at all: EFAULT, and no size change.
    EXPECT_EQ(failure(a->write(4096, IoBuffer::app(app.data() + 4096), 10)), Errno::efault);
    EXPECT_EQ(a->attributes().size, 4096);
    // Reads: the same.
    std::vector<char> into(3 * 4096);
    host::set_faulting_range(into.data() + 4096, into.data() + 4097);
    EXPECT_EQ(value(a->read(0, IoBuffer::app(into.data()), 4096)), 4096u);
    succeeds(a->truncate(3 * 4096));
    EXPECT_EQ(value(a->read(0, IoBuffer::app(into.data()), 3 * 4096)), 4096u);
    EXPECT_EQ(failure(a->read(0, IoBuffer::app(into.data() + 4096), 10)), Errno::efault);
    EXPECT_EQ(failure(a->read(8192, IoBuffer::app(into.data() + 4096), 10)), Errno::efault);  // from a hole
    host::set_faulting_range(nullptr, nullptr);
}

TEST_F(Tmpfs, AFaultPastTheEndLeavesNoBytesBehind) {
    if (!host::app_copies_work()) GTEST_SKIP() << "this host IoBuffer has no working app copies";
    Ref<Node> a = file("a", std::string(100, 'k'));
    std::vector<char> app(200, 'g');
    // Half the copy lands in the page (past the end) before the fault.
    host::set_faulting_range(app.data() + 50, app.data() + 200);
    EXPECT_EQ(failure(a->write(100, IoBuffer::app(app.data()), 200)), Errno::efault);
    host::set_faulting_range(nullptr, nullptr);
    EXPECT_EQ(a->attributes().size, 100);
    succeeds(a->truncate(4096));
    EXPECT_TRUE(all_zero(read_text(*a, 100, 4096 - 100)));
}

TEST_F(Tmpfs, Append) {
    Ref<Node> a = file("a", "12");
    uint64_t end = 0;
    EXPECT_EQ(value(a->append(IoBuffer::kernel("345"), 3, end)), 3u);
    EXPECT_EQ(end, 5u);
    EXPECT_EQ(value(a->append(IoBuffer::kernel("6"), 1, end)), 1u);
    EXPECT_EQ(end, 6u);
    EXPECT_EQ(read_text(*a, 0, 10), "123456");
}

TEST_F(Tmpfs, ThroughAnOpenFile) {
    Ref<Node> a = file("a", "abcdef");
    Ref<File> open = value(a->open(o_rdwr));
    EXPECT_EQ(open->node(), a.get());
    char buffer[4] = {};
    uint64_t position = 2;
    EXPECT_EQ(value(open->read(IoBuffer::kernel(buffer), 3, position)), 3u);
    EXPECT_EQ(std::string(buffer, 3), "cde");
    EXPECT_EQ(position, 5u);
    EXPECT_EQ(value(open->write(IoBuffer::kernel("XY"), 2, position)), 2u);
    EXPECT_EQ(position, 7u);
    EXPECT_EQ(value(open->size()), 7u);
    Ref<File> appending = value(a->open(o_wronly | o_append));
    position = 0;
    EXPECT_EQ(value(appending->write(IoBuffer::kernel("!"), 1, position)), 1u);
    EXPECT_EQ(position, 8u);
    EXPECT_EQ(read_text(*a, 0, 10), "abcdeXY!");
}

TEST_F(Tmpfs, LargeFileContents) {
    Ref<Node> a = file("a");
    constexpr uint64_t size = 64 * mib;
    std::vector<uint64_t> chunk(mib / 8);
    for (uint64_t offset = 0; offset < size; offset += mib) {
        for (uint64_t i = 0; i < chunk.size(); ++i) chunk[i] = (offset / 8 + i) * 0x9e3779b97f4a7c15;
        ASSERT_EQ(value(a->write(offset, IoBuffer::kernel(chunk.data()), mib)), mib);
    }
    EXPECT_EQ(a->attributes().size, static_cast<int64_t>(size));
    EXPECT_EQ(a->attributes().blocks, static_cast<int64_t>(size / 512));
    // Back in odd pieces, across page boundaries.
    constexpr uint64_t piece = 1000003 & ~7ull;
    std::vector<uint64_t> got(piece / 8);
    for (uint64_t offset = 0; offset < size; offset += piece) {
        uint64_t length = std::min(piece, size - offset);
        ASSERT_EQ(value(a->read(offset, IoBuffer::kernel(got.data()), length)), length);
        for (uint64_t i = 0; i < length / 8; ++i) ASSERT_EQ(got[i], (offset / 8 + i) * 0x9e3779b97f4a7c15) << offset;
    }
    succeeds(a->truncate(size / 2 + 3));
    EXPECT_EQ(pages::in_use(), size / 2 / 4096 + 1);
}

// The benchmark's shape: a big file written and read back in 1 MiB pieces, with the
// speed reported. 256 MiB by default, to stay well inside the test timeout on a busy
// machine; EREMITE_TMPFS_BENCH_MIB=1024 for the benchmark's full GiB.
TEST_F(Tmpfs, SequentialWriteAndReadInMebibytes) {
    const char* setting = std::getenv("EREMITE_TMPFS_BENCH_MIB");
    uint64_t size = (setting ? std::strtoull(setting, nullptr, 10) : 256) * mib;
    Ref<Node> a = file("a");
    std::vector<char> buffer(mib, 'b');
    auto start = std::chrono::steady_clock::now();
    for (uint64_t offset = 0; offset < size; offset += mib)
        ASSERT_EQ(value(a->write(offset, IoBuffer::kernel(buffer.data()), mib)), mib);
    auto written = std::chrono::steady_clock::now();
    for (uint64_t offset = 0; offset < size; offset += mib)
        ASSERT_EQ(value(a->read(offset, IoBuffer::kernel(buffer.data()), mib)), mib);
    auto read = std::chrono::steady_clock::now();
    succeeds(a->truncate(0));
    auto freed = std::chrono::steady_clock::now();
    auto ms = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };
    double mebibytes = static_cast<double>(size / mib);
    std::printf(
        "%.0f MiB in 1 MiB pieces (host, ASan): write %.0f ms (%.0f MiB/s), read %.0f ms (%.0f MiB/s), "
        "truncate %.0f ms\n",
        mebibytes, ms(start, written), mebibytes * 1e3 / ms(start, written), ms(written, read),
        mebibytes * 1e3 / ms(written, read), ms(read, freed));
    EXPECT_EQ(pages::in_use(), 0u);
}

// Times, with a clock that ticks at every reading.

TEST_F(Tmpfs, TimesOfFiles) {
    set_clock(ticking_clock);
    Ref<Node> a = file("a");
    Attributes made = a->attributes();
    EXPECT_GT(made.modify.seconds, 1000);
    EXPECT_EQ(made.modify.nanoseconds, 5);
    EXPECT_TRUE(same(made.access, made.modify) && same(made.change, made.modify));
    EXPECT_TRUE(same(root->attributes().modify, made.modify) || later(root->attributes().modify, made.modify));

    write_text(*a, 0, "data");
    Attributes written = a->attributes();
    EXPECT_TRUE(later(written.modify, made.modify));
    EXPECT_TRUE(same(written.change, written.modify));
    EXPECT_TRUE(same(written.access, made.access));

    read_text(*a, 0, 4);  // relatime: the access time was older than the modification
    Attributes read_once = a->attributes();
    EXPECT_TRUE(later(read_once.access, written.modify));
    read_text(*a, 0, 4);  // now newer than both: left alone
    EXPECT_TRUE(same(a->attributes().access, read_once.access));

    succeeds(a->truncate(2));
    Attributes truncated = a->attributes();
    EXPECT_TRUE(later(truncated.modify, read_once.access));
    EXPECT_TRUE(same(truncated.change, truncated.modify));

    succeeds(a->set_mode(0600));
    Attributes changed = a->attributes();
    EXPECT_TRUE(same(changed.modify, truncated.modify));
    EXPECT_TRUE(later(changed.change, truncated.change));

    Timestamp access{10, 1}, modify{20, 2};
    succeeds(a->set_times(&access, &modify));
    Attributes set = a->attributes();
    EXPECT_TRUE(same(set.access, access));
    EXPECT_TRUE(same(set.modify, modify));
    EXPECT_TRUE(later(set.change, changed.change));
    succeeds(a->set_times(nullptr, &access));
    EXPECT_TRUE(same(a->attributes().access, access));
    EXPECT_TRUE(same(a->attributes().modify, access));

    Attributes before = a->attributes();
    succeeds(a->allocate(0, 8192));
    EXPECT_TRUE(later(a->attributes().modify, before.modify));
}

TEST_F(Tmpfs, TimesOfDirectoryOperations) {
    set_clock(ticking_clock);
    Ref<Node> d = directory(*root, "d");
    Ref<Node> a = value(d->create(name("a"), 0644));
    auto stamp = [](Node& node) { return node.attributes(); };
    Attributes d1 = stamp(*d), a1 = stamp(*a);
    EXPECT_TRUE(same(d1.modify, a1.modify) || later(d1.modify, a1.modify));

    succeeds(d->link(name("b"), *a));
    Attributes d2 = stamp(*d), a2 = stamp(*a);
    EXPECT_TRUE(later(d2.modify, d1.modify));
    EXPECT_TRUE(later(a2.change, a1.change));
    EXPECT_TRUE(same(a2.modify, a1.modify));

    succeeds(d->rename(name("b"), *root, name("c"), 0));
    Attributes d3 = stamp(*d), a3 = stamp(*a), r3 = stamp(*root);
    EXPECT_TRUE(later(d3.modify, d2.modify));
    EXPECT_TRUE(same(r3.modify, d3.modify));
    EXPECT_TRUE(later(a3.change, a2.change));

    succeeds(root->unlink(name("c")));
    Attributes a4 = stamp(*a), r4 = stamp(*root);
    EXPECT_TRUE(later(r4.modify, r3.modify));
    EXPECT_TRUE(later(a4.change, a3.change));

    Listing listing;
    succeeds(d->read_directory(0, listing));
    EXPECT_TRUE(later(stamp(*d).access, d3.access));

    succeeds(d->unlink(name("a")));
    Ref<Node> e = directory(*d, "e");
    Attributes d5 = stamp(*d);
    succeeds(d->remove_directory(name("e")));
    EXPECT_TRUE(later(stamp(*d).modify, d5.modify));
    EXPECT_TRUE(later(stamp(*e).change, d5.change));
}

// Modes and owners.

TEST_F(Tmpfs, ModesAndOwners) {
    Ref<Node> a = file("a");
    succeeds(a->set_mode(0640));
    EXPECT_EQ(a->attributes().mode, 0100640u);
    succeeds(a->set_mode(0170777));  // only permission bits
    EXPECT_EQ(a->attributes().mode, 0100777u);
    succeeds(a->set_owner(1000, 100));
    EXPECT_EQ(a->attributes().uid, 1000u);
    EXPECT_EQ(a->attributes().gid, 100u);
    succeeds(a->set_owner(~0u, 50));  // -1 leaves the owner
    EXPECT_EQ(a->attributes().uid, 1000u);
    EXPECT_EQ(a->attributes().gid, 50u);
    succeeds(a->set_owner(7, ~0u));
    EXPECT_EQ(a->attributes().uid, 7u);
    EXPECT_EQ(a->attributes().gid, 50u);

    // chown clears set-user-ID, and set-group-ID with group execute.
    succeeds(a->set_mode(06755));
    succeeds(a->set_owner(0, 0));
    EXPECT_EQ(a->attributes().mode, 0100755u);
    succeeds(a->set_mode(06745));  // set-group-ID without group execute: mandatory locking, kept
    succeeds(a->set_owner(0, 0));
    EXPECT_EQ(a->attributes().mode, 0102745u);
    Ref<Node> d = directory(*root, "d");
    succeeds(d->set_mode(06755));
    succeeds(d->set_owner(3, 3));
    EXPECT_EQ(d->attributes().mode, 046755u);  // directories keep theirs

    Ref<Node> link = value(root->make_symlink(name("l"), name("a")));
    EXPECT_EQ(failure(link->set_mode(0600)), Errno::eopnotsupp);
    succeeds(link->set_owner(5, 6));
    EXPECT_EQ(link->attributes().uid, 5u);
    EXPECT_EQ(link->attributes().mode, 0120777u);
}

TEST_F(Tmpfs, SetGroupIdDirectoriesPassOnTheirGroup) {
    Ref<Node> d = directory(*root, "d");
    succeeds(d->set_owner(0, 42));
    succeeds(d->set_mode(02775));
    Ref<Node> f = value(d->create(name("f"), 0644));
    Ref<Node> sub = value(d->make_directory(name("sub"), 0755));
    Ref<Node> link = value(d->make_symlink(name("l"), name("f")));
    EXPECT_EQ(f->attributes().gid, 42u);
    EXPECT_EQ(f->attributes().mode, 0100644u);
    EXPECT_EQ(sub->attributes().gid, 42u);
    EXPECT_EQ(sub->attributes().mode, 042755u);
    EXPECT_EQ(link->attributes().gid, 42u);
    Ref<Node> plain = value(root->create(name("plain"), 0644));
    EXPECT_EQ(plain->attributes().gid, 0u);
}

// Directories.

TEST_F(Tmpfs, DirectoryLinkCounts) {
    Ref<Node> a = directory(*root, "a");
    EXPECT_EQ(root->attributes().link_count, 3u);
    EXPECT_EQ(a->attributes().link_count, 2u);
    Ref<Node> b = directory(*a, "b");
    directory(*a, "c");
    file("f");
    EXPECT_EQ(a->attributes().link_count, 4u);
    EXPECT_EQ(root->attributes().link_count, 3u);
    EXPECT_EQ(a->attributes().size, 80);
    succeeds(a->remove_directory(name("c")));
    EXPECT_EQ(a->attributes().link_count, 3u);
    EXPECT_EQ(tmpfs_parent(*b).get(), a.get());
    EXPECT_EQ(tmpfs_parent(*a).get(), root.get());
}

TEST_F(Tmpfs, RemoveDirectoryRules) {
    Ref<Node> a = directory(*root, "a");
    Ref<Node> b = directory(*a, "b");
    file("f");
    EXPECT_EQ(failure(root->remove_directory(name("a"))), Errno::enotempty);
    EXPECT_EQ(failure(root->remove_directory(name("f"))), Errno::enotdir);
    EXPECT_EQ(failure(root->remove_directory(name("none"))), Errno::enoent);
    EXPECT_EQ(failure(root->unlink(name("a"))), Errno::eisdir);
    EXPECT_EQ(failure(root->unlink(name("none"))), Errno::enoent);
    succeeds(a->remove_directory(name("b")));
    // A removed directory that is still held: no new entries, no listing, no parent.
    Attributes attributes = b->attributes();
    EXPECT_EQ(attributes.link_count, 0u);
    EXPECT_EQ(failure(b->create(name("x"), 0644)), Errno::enoent);
    EXPECT_EQ(failure(b->make_directory(name("x"), 0755)), Errno::enoent);
    EXPECT_EQ(failure(b->make_symlink(name("x"), name("y"))), Errno::enoent);
    EXPECT_EQ(failure(b->lookup(name("x"))), Errno::enoent);
    EXPECT_EQ(failure(b->unlink(name("x"))), Errno::enoent);
    EXPECT_EQ(failure(b->remove_directory(name("x"))), Errno::enoent);
    EXPECT_EQ(failure(b->rename(name("x"), *root, name("y"), 0)), Errno::enoent);
    EXPECT_EQ(failure(root->rename(name("f"), *b, name("y"), 0)), Errno::enoent);
    Listing listing;
    EXPECT_EQ(failure(b->read_directory(0, listing)), Errno::enoent);
    EXPECT_FALSE(tmpfs_parent(*b));
    succeeds(root->remove_directory(name("a")));
    EXPECT_EQ(root->attributes().link_count, 2u);
}

TEST_F(Tmpfs, ListingCookies) {
    Ref<Node> d = directory(*root, "d");
    Ref<Node> x = value(d->create(name("x"), 0644));
    Ref<Node> y = value(d->make_directory(name("y"), 0755));
    Ref<Node> z = value(d->make_symlink(name("z"), name("x")));
    Listing all;
    succeeds(d->read_directory(0, all));
    ASSERT_EQ(all.entries.size(), 5u);
    EXPECT_EQ(all.entries[0].name, ".");
    EXPECT_EQ(all.entries[0].inode, d->attributes().inode);
    EXPECT_EQ(all.entries[0].next_cookie, 1u);
    EXPECT_EQ(all.entries[1].name, "..");
    EXPECT_EQ(all.entries[1].inode, root->attributes().inode);
    EXPECT_EQ(all.entries[1].type, NodeType::directory);
    EXPECT_EQ(all.entries[1].next_cookie, 2u);
    EXPECT_EQ(all.entries[2].name, "x");
    EXPECT_EQ(all.entries[2].type, NodeType::regular);
    EXPECT_EQ(all.entries[2].inode, x->attributes().inode);
    EXPECT_EQ(all.entries[3].name, "y");
    EXPECT_EQ(all.entries[3].type, NodeType::directory);
    EXPECT_EQ(all.entries[4].name, "z");
    EXPECT_EQ(all.entries[4].type, NodeType::symlink);

    // Resuming from each cookie gives the rest.
    for (size_t i = 0; i < all.entries.size(); ++i) {
        Listing rest;
        succeeds(d->read_directory(all.entries[i].next_cookie, rest));
        ASSERT_EQ(rest.entries.size(), all.entries.size() - i - 1);
        if (!rest.entries.empty()) {
            EXPECT_EQ(rest.entries[0].name, all.entries[i + 1].name);
        }
    }
    // A listing that refuses an entry gets it again next time.
    Listing two(2);
    succeeds(d->read_directory(0, two));
    ASSERT_EQ(two.entries.size(), 2u);
    Listing next(1);
    succeeds(d->read_directory(two.entries[1].next_cookie, next));
    ASSERT_EQ(next.entries.size(), 1u);
    EXPECT_EQ(next.entries[0].name, "x");
    // Removing "x" does not move the others.
    succeeds(d->unlink(name("x")));
    Listing after;
    succeeds(d->read_directory(all.entries[2].next_cookie, after));
    ASSERT_EQ(after.entries.size(), 2u);
    EXPECT_EQ(after.entries[0].name, "y");
    Listing from_removed;
    succeeds(d->read_directory(all.entries[1].next_cookie, from_removed));
    ASSERT_EQ(from_removed.entries.size(), 2u);
    EXPECT_EQ(from_removed.entries[0].name, "y");
    // The root's ".." is the root.
    Listing top;
    succeeds(root->read_directory(0, top));
    EXPECT_EQ(top.entries[1].inode, root->attributes().inode);
    // A cookie past the end lists nothing.
    Listing none;
    succeeds(d->read_directory(1ull << 40, none));
    EXPECT_TRUE(none.entries.empty());
}

TEST_F(Tmpfs, TenThousandEntriesRemovedWhileListing) {
    Ref<Node> d = directory(*root, "d");
    constexpr int count = 10000;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
        std::string n = numbered("file-", i);
        Ref<Node> f = value(d->create(name(n), 0644));
        if (i % 1000 == 0) write_text(*f, 0, n);
    }
    auto created = std::chrono::steady_clock::now();
    EXPECT_EQ(d->attributes().size, (count + 2) * 20);
    for (int i = 0; i < count; i += 997) EXPECT_TRUE(d->lookup(name(numbered("file-", i))).ok());

    // rm -rf: list a bufferful, unlink what came, list on from the cookie.
    std::map<std::string, int> seen;
    uint64_t cookie = 0;
    for (;;) {
        Listing batch(100);
        succeeds(d->read_directory(cookie, batch));
        if (batch.entries.empty()) break;
        for (auto& entry : batch.entries) {
            ++seen[entry.name];
            cookie = entry.next_cookie;
            if (entry.name != "." && entry.name != "..") succeeds(d->unlink(name(entry.name)));
        }
    }
    auto removed = std::chrono::steady_clock::now();
    EXPECT_EQ(seen.size(), static_cast<size_t>(count + 2));
    for (auto& [entry_name, times] : seen) EXPECT_EQ(times, 1) << entry_name;
    EXPECT_EQ(names_in(*d), (std::vector<std::string>{".", ".."}));
    EXPECT_EQ(d->attributes().size, 40);
    succeeds(root->remove_directory(name("d")));
    auto ms = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };
    std::printf("10000 entries: created in %.1f ms, listed and removed in %.1f ms\n", ms(start, created),
                ms(created, removed));
}

TEST_F(Tmpfs, EntriesAddedDuringAListingAreSeenOnceAtMost) {
    Ref<Node> d = directory(*root, "d");
    for (int i = 0; i < 50; ++i) value(d->create(name(numbered("old", i)), 0644));
    std::map<std::string, int> seen;
    uint64_t cookie = 0;
    int added = 0;
    for (;;) {
        Listing batch(7);
        succeeds(d->read_directory(cookie, batch));
        if (batch.entries.empty()) break;
        for (auto& entry : batch.entries) {
            ++seen[entry.name];
            cookie = entry.next_cookie;
        }
        if (added < 20) value(d->create(name(numbered("new", added++)), 0644));
        if (added == 10) succeeds(d->unlink(name("old49")));
    }
    for (auto& [entry_name, times] : seen) EXPECT_EQ(times, 1) << entry_name;
    for (int i = 0; i < 49; ++i) EXPECT_EQ(seen.count(numbered("old", i)), 1u);
}

// Links.

TEST_F(Tmpfs, HardLinks) {
    Ref<Node> a = file("a", "shared");
    Ref<Node> d = directory(*root, "d");
    succeeds(d->link(name("b"), *a));
    EXPECT_EQ(a->attributes().link_count, 2u);
    EXPECT_EQ(lookup(*d, "b").get(), a.get());
    EXPECT_EQ(failure(d->link(name("b"), *a)), Errno::eexist);
    EXPECT_EQ(failure(root->link(name("dd"), *d)), Errno::eperm);
    Ref<Node> link = value(root->make_symlink(name("l"), name("a")));
    succeeds(root->link(name("l2"), *link));
    EXPECT_EQ(link->attributes().link_count, 2u);
    Ref<Node> other = make_tmpfs_root(0755);
    EXPECT_EQ(failure(other->link(name("x"), *a)), Errno::exdev);

    succeeds(root->unlink(name("a")));
    EXPECT_EQ(a->attributes().link_count, 1u);
    EXPECT_EQ(read_text(*lookup(*d, "b"), 0, 10), "shared");
    succeeds(d->unlink(name("b")));
    EXPECT_EQ(a->attributes().link_count, 0u);
    // An unlinked file cannot be linked back (no O_TMPFILE here).
    EXPECT_EQ(failure(root->link(name("back"), *a)), Errno::enoent);
}

TEST_F(Tmpfs, AnOpenFileOutlivesItsName) {
    Ref<File> open;
    {
        Ref<Node> a = file("a", std::string(10000, 'o'));
        open = value(a->open(o_rdonly));
    }
    EXPECT_EQ(pages::in_use(), 3u);
    succeeds(root->unlink(name("a")));
    EXPECT_EQ(failure(root->lookup(name("a"))), Errno::enoent);
    EXPECT_EQ(pages::in_use(), 3u);
    char buffer[10000];
    uint64_t position = 0;
    EXPECT_EQ(value(open->read(IoBuffer::kernel(buffer), sizeof buffer, position)), sizeof buffer);
    EXPECT_EQ(std::string(buffer, 10000), std::string(10000, 'o'));
    EXPECT_EQ(value(open->attributes()).link_count, 0u);
    // Still writable too.
    position = 0;
    EXPECT_EQ(value(open->write(IoBuffer::kernel("n"), 1, position)), 1u);
    open.reset();
    EXPECT_EQ(pages::in_use(), 0u);
}

TEST_F(Tmpfs, Symlinks) {
    Ref<Node> link = value(root->make_symlink(name("l"), name("some/target")));
    Attributes attributes = link->attributes();
    EXPECT_EQ(attributes.mode, 0120777u);
    EXPECT_EQ(attributes.size, 11);
    EXPECT_EQ(attributes.link_count, 1u);
    char buffer[64];
    EXPECT_EQ(value(link->read_link(buffer, sizeof buffer)), 11u);
    EXPECT_EQ(std::string(buffer, 11), "some/target");
    EXPECT_EQ(value(link->read_link(buffer, 4)), 4u);
    EXPECT_EQ(std::string(buffer, 4), "some");
    EXPECT_EQ(lookup(*root, "l").get(), link.get());
    EXPECT_EQ(failure(link->read(0, IoBuffer::kernel(buffer), 1)), Errno::einval);
    EXPECT_EQ(failure(root->make_symlink(name("e"), Name{"", 0})), Errno::enoent);
    std::string long_target(4096, 'x');
    EXPECT_EQ(failure(root->make_symlink(name("e"), name(long_target))), Errno::enametoolong);
    long_target.resize(4095);
    Ref<Node> longest = value(root->make_symlink(name("e"), name(long_target)));
    std::vector<char> text(5000);
    EXPECT_EQ(value(longest->read_link(text.data(), text.size())), 4095u);
    EXPECT_EQ(std::string(text.data(), 4095), long_target);
}

// Rename.

class TmpfsRename : public Tmpfs {};

TEST_F(TmpfsRename, WithinADirectory) {
    Ref<Node> a = file("a", "1");
    succeeds(root->rename(name("a"), *root, name("b"), 0));
    EXPECT_EQ(failure(root->lookup(name("a"))), Errno::enoent);
    EXPECT_EQ(lookup(*root, "b").get(), a.get());
    EXPECT_EQ(a->attributes().link_count, 1u);
    EXPECT_EQ(root->attributes().size, 60);
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("c"), 0)), Errno::enoent);
}

TEST_F(TmpfsRename, OverAFile) {
    Ref<Node> a = file("a", "new");
    Ref<Node> b = file("b", "old");
    succeeds(root->rename(name("a"), *root, name("b"), 0));
    EXPECT_EQ(lookup(*root, "b").get(), a.get());
    EXPECT_EQ(b->attributes().link_count, 0u);
    EXPECT_EQ(read_text(*b, 0, 10), "old");  // still held here
    EXPECT_EQ(names_in(*root), (std::vector<std::string>{".", "..", "b"}));
}

TEST_F(TmpfsRename, SameNameAndSameFileDoNothing) {
    Ref<Node> a = file("a");
    succeeds(root->link(name("b"), *a));
    succeeds(root->rename(name("a"), *root, name("a"), 0));
    succeeds(root->rename(name("a"), *root, name("b"), 0));  // two names of one file: both stay
    EXPECT_EQ(lookup(*root, "a").get(), a.get());
    EXPECT_EQ(lookup(*root, "b").get(), a.get());
    EXPECT_EQ(a->attributes().link_count, 2u);
    Ref<Node> d = directory(*root, "d");
    succeeds(root->rename(name("d"), *root, name("d"), 0));
    EXPECT_EQ(lookup(*root, "d").get(), d.get());
    EXPECT_EQ(root->attributes().link_count, 3u);
}

TEST_F(TmpfsRename, DirectoryOverDirectory) {
    Ref<Node> a = directory(*root, "a");
    Ref<Node> b = directory(*root, "b");
    value(a->create(name("inside"), 0644));
    EXPECT_EQ(root->attributes().link_count, 4u);
    succeeds(root->rename(name("a"), *root, name("b"), 0));  // b is empty
    EXPECT_EQ(lookup(*root, "b").get(), a.get());
    EXPECT_EQ(root->attributes().link_count, 3u);
    EXPECT_EQ(b->attributes().link_count, 0u);
    EXPECT_EQ(failure(b->create(name("x"), 0644)), Errno::enoent);
    Ref<Node> c = directory(*root, "c");
    EXPECT_EQ(failure(root->rename(name("c"), *root, name("b"), 0)), Errno::enotempty);
    EXPECT_EQ(lookup(*root, "c").get(), c.get());
}

TEST_F(TmpfsRename, KindMismatches) {
    file("f");
    directory(*root, "d");
    EXPECT_EQ(failure(root->rename(name("f"), *root, name("d"), 0)), Errno::eisdir);
    EXPECT_EQ(failure(root->rename(name("d"), *root, name("f"), 0)), Errno::enotdir);
    Ref<Node> f = lookup(*root, "f");
    EXPECT_EQ(failure(root->rename(name("d"), *f, name("x"), 0)), Errno::enotdir);
    Ref<Node> other = make_tmpfs_root(0755);
    EXPECT_EQ(failure(root->rename(name("f"), *other, name("x"), 0)), Errno::exdev);
    EXPECT_EQ(failure(f->rename(name("a"), *root, name("b"), 0)), Errno::enotdir);
}

TEST_F(TmpfsRename, IntoItsOwnSubtree) {
    Ref<Node> a = directory(*root, "a");
    Ref<Node> b = directory(*a, "b");
    Ref<Node> c = directory(*b, "c");
    EXPECT_EQ(failure(root->rename(name("a"), *c, name("a"), 0)), Errno::einval);
    EXPECT_EQ(failure(root->rename(name("a"), *a, name("x"), 0)), Errno::einval);
    EXPECT_EQ(failure(a->rename(name("b"), *b, name("x"), 0)), Errno::einval);
    // Over an ancestor of the source: not empty (EINVAL for an exchange).
    EXPECT_EQ(failure(b->rename(name("c"), *root, name("a"), 0)), Errno::enotempty);
    EXPECT_EQ(failure(b->rename(name("c"), *root, name("a"), rename_exchange)), Errno::einval);
    EXPECT_EQ(failure(root->rename(name("a"), *b, name("c"), rename_exchange)), Errno::einval);
    // A sibling's subtree is fine.
    Ref<Node> e = directory(*root, "e");
    succeeds(b->rename(name("c"), *e, name("c"), 0));
    EXPECT_EQ(tmpfs_parent(*c).get(), e.get());
}

TEST_F(TmpfsRename, AcrossDirectories) {
    Ref<Node> from = directory(*root, "from");
    Ref<Node> to = directory(*root, "to");
    Ref<Node> moved = directory(*from, "moved");
    Ref<Node> f = value(from->create(name("f"), 0644));
    EXPECT_EQ(from->attributes().link_count, 3u);
    succeeds(from->rename(name("moved"), *to, name("here"), 0));
    succeeds(from->rename(name("f"), *to, name("g"), 0));
    EXPECT_EQ(from->attributes().link_count, 2u);
    EXPECT_EQ(to->attributes().link_count, 3u);
    EXPECT_EQ(tmpfs_parent(*moved).get(), to.get());
    Listing listing;
    succeeds(moved->read_directory(0, listing));
    EXPECT_EQ(listing.entries[1].inode, to->attributes().inode);  // ".." follows
    EXPECT_EQ(names_in(*from), (std::vector<std::string>{".", ".."}));
    EXPECT_EQ(names_in(*to), (std::vector<std::string>{".", "..", "here", "g"}));
    EXPECT_EQ(from->attributes().size, 40);
    EXPECT_EQ(to->attributes().size, 80);
}

TEST_F(TmpfsRename, NoReplace) {
    file("a");
    file("b");
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("b"), rename_noreplace)), Errno::eexist);
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("a"), rename_noreplace)), Errno::eexist);
    succeeds(root->rename(name("a"), *root, name("c"), rename_noreplace));
    EXPECT_EQ(names_in(*root), (std::vector<std::string>{".", "..", "b", "c"}));
}

TEST_F(TmpfsRename, BadFlags) {
    file("a");
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("b"), rename_noreplace | rename_exchange)), Errno::einval);
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("b"), 4)), Errno::einval);  // RENAME_WHITEOUT
}

TEST_F(TmpfsRename, Exchange) {
    Ref<Node> a = file("a", "A");
    Ref<Node> d = directory(*root, "d");
    Ref<Node> sub = directory(*d, "sub");
    Ref<Node> g = value(d->create(name("g"), 0644));
    EXPECT_EQ(failure(root->rename(name("a"), *root, name("none"), rename_exchange)), Errno::enoent);
    // Two files in one directory.
    Ref<Node> b = file("b", "B");
    succeeds(root->rename(name("a"), *root, name("b"), rename_exchange));
    EXPECT_EQ(lookup(*root, "a").get(), b.get());
    EXPECT_EQ(lookup(*root, "b").get(), a.get());
    // A file and a directory across directories: link counts and parents follow.
    EXPECT_EQ(root->attributes().link_count, 3u);
    EXPECT_EQ(d->attributes().link_count, 3u);
    succeeds(root->rename(name("b"), *d, name("sub"), rename_exchange));
    EXPECT_EQ(lookup(*root, "b").get(), sub.get());
    EXPECT_EQ(lookup(*d, "sub").get(), a.get());
    EXPECT_EQ(root->attributes().link_count, 4u);
    EXPECT_EQ(d->attributes().link_count, 2u);
    EXPECT_EQ(tmpfs_parent(*sub).get(), root.get());
    EXPECT_EQ(a->attributes().link_count, 1u);
    // With itself.
    succeeds(root->rename(name("b"), *root, name("b"), rename_exchange));
    EXPECT_EQ(lookup(*root, "b").get(), sub.get());
}

TEST_F(TmpfsRename, ThreadsRenamingBackAndForthDoNotDeadlock) {
    Ref<Node> left = directory(*root, "left");
    Ref<Node> right = directory(*root, "right");
    constexpr int per_side = 8;
    for (int i = 0; i < per_side; ++i) {
        value(left->create(name(numbered("l", i)), 0644));
        value(right->make_directory(name(numbered("r", i)), 0755));
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            Node& from = t % 2 ? *left : *right;
            Node& to = t % 2 ? *right : *left;
            for (int i = 0; i < 3000; ++i) {
                std::string n = numbered(i % 2 ? "l" : "r", i % per_side);
                (void)from.rename(name(n), to, name(n), 0);
                (void)to.rename(name(n), from, name(n), t == 3 ? rename_exchange : 0);
            }
        });
    }
    threads.emplace_back([&] {
        while (!stop) {
            (void)names_in(*left);
            (void)right->attributes();
            (void)left->lookup(name("l1"));
        }
    });
    for (int t = 0; t < 4; ++t) threads[t].join();
    stop = true;
    threads.back().join();
    // Whatever the interleaving, nothing was lost or doubled.
    std::multiset<std::string> names;
    for (auto& n : names_in(*left)) names.insert(n);
    for (auto& n : names_in(*right)) names.insert(n);
    EXPECT_EQ(names.size(), 4u + 2 * per_side);
    for (int i = 0; i < per_side; ++i) {
        EXPECT_EQ(names.count(numbered("l", i)), 1u);
        EXPECT_EQ(names.count(numbered("r", i)), 1u);
    }
    uint32_t subdirectories = left->attributes().link_count + right->attributes().link_count - 4;
    EXPECT_EQ(subdirectories, static_cast<uint32_t>(per_side));
}

TEST_F(Tmpfs, ThreadsWritingAndReadingOneFile) {
    Ref<Node> a = file("a");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            std::vector<char> block(4096 + 17, static_cast<char>('a' + t));
            for (int i = 0; i < 200; ++i) {
                uint64_t offset = static_cast<uint64_t>(i * 4 + t) * block.size();
                EXPECT_EQ(value(a->write(offset, IoBuffer::kernel(block.data()), block.size())), block.size());
                std::vector<char> back(block.size());
                EXPECT_EQ(value(a->read(offset, IoBuffer::kernel(back.data()), back.size())), back.size());
                EXPECT_EQ(back, block);
                uint64_t end;
                EXPECT_EQ(value(a->append(IoBuffer::kernel("!"), 1, end)), 1u);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_GE(a->attributes().size, static_cast<int64_t>(800 * (4096 + 17)));
}

TEST_F(Tmpfs, DroppingTheRootFreesTheTree) {
    Ref<Node> held;
    {
        Ref<Node> a = directory(*root, "a");
        Ref<Node> b = directory(*a, "b");
        Ref<Node> f = value(b->create(name("f"), 0644));
        write_text(*f, 0, std::string(9000, 'f'));
        held = directory(*b, "held");
    }
    EXPECT_EQ(pages::in_use(), 3u);
    root.reset();
    EXPECT_EQ(pages::in_use(), 0u);
    // What is still held lives on, out of the tree.
    EXPECT_FALSE(tmpfs_parent(*held));
    value(held->create(name("x"), 0644));
    EXPECT_EQ(names_in(*held).size(), 3u);
}

}  // namespace
