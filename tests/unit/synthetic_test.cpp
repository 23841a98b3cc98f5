// The building blocks of /dev, /proc and /sys (kernel/fs/synthetic.hpp): generated text,
// directories of fixed entries, snapshot files and links.
#include "fs/synthetic.hpp"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>

#include <string>
#include <vector>

using namespace eremite;
using namespace eremite::fs;
using namespace eremite::fs::synthetic;

namespace {

FileSystem test_fs{.magic = 0x9fa0, .mount_flags = st_nosuid | st_nodev, .device = make_device(0, 21)};

struct Listed {
    std::string name;
    NodeType type;
    uint64_t next_cookie;
};

class Collect : public DirectoryListing {
public:
    explicit Collect(size_t room = 1000) : room_(room) {}
    bool add(const DirectoryEntry& entry) override {
        if (entries.size() == room_) return false;
        entries.push_back({std::string(entry.name.text, entry.name.length), entry.type, entry.next_cookie});
        return true;
    }
    std::vector<Listed> entries;

private:
    size_t room_;
};

Name name_of(const char* text) { return Name{text, static_cast<uint32_t>(strlen(text))}; }

std::string read_all(File& file, uint64_t piece) {
    std::string out;
    char buffer[64];
    for (;;) {
        auto got = file.read(IoBuffer::kernel(buffer), std::min<uint64_t>(piece, sizeof buffer), file.position);
        EXPECT_TRUE(got.ok());
        if (!got.ok() || got.value() == 0) return out;
        out.append(buffer, got.value());
    }
}

int generations = 0;
void counting_generator(Text& out, uint64_t argument) {
    ++generations;
    for (uint64_t i = 0; i < argument; ++i) out.add("line %d of generation %d\n", static_cast<int>(i), generations);
}

std::string received;
Result<uint64_t> receive(const IoBuffer& buffer, uint64_t length, uint64_t) {
    std::string text(length, '\0');
    if (!buffer.drain(text.data(), 0, length)) return error(Errno::efault);
    received = text;
    return length;
}

}  // namespace

TEST(SyntheticText, GrowsAndFormats) {
    Text text;
    std::string expected;
    for (int i = 0; i < 200; ++i) {
        text.add("%d:%s;", i, "abcdefgh");
        expected += std::to_string(i) + ":abcdefgh;";
    }
    EXPECT_FALSE(text.failed());
    EXPECT_EQ(std::string(text.data(), text.length()), expected);
    char* taken = text.take();
    EXPECT_EQ(std::string(taken, expected.size()), expected);
    mm::free(taken);
    EXPECT_EQ(text.length(), 0u);
}

TEST(SyntheticText, EscapesAsMountsDoes) {
    Text text;
    text.add_escaped("/mnt/my dir\\x\ty\n");
    EXPECT_EQ(std::string(text.data(), text.length()), "/mnt/my\\040dir\\134x\\011y\\012");
}

TEST(SyntheticText, CpuRanges) {
    Text one, four;
    one.add_cpu_range(1);
    four.add_cpu_range(4);
    EXPECT_EQ(std::string(one.data(), one.length()), "0");
    EXPECT_EQ(std::string(four.data(), four.length()), "0-3");
}

TEST(Synthetic, DeviceNumbersAsGlibcMakedev) {
    EXPECT_EQ(make_device(1, 3), makedev(1, 3));
    EXPECT_EQ(make_device(5, 1), makedev(5, 1));
    EXPECT_EQ(make_device(259, 0x12345), makedev(259, 0x12345));
    EXPECT_EQ(make_device(0x12345, 7), makedev(0x12345, 7));
}

TEST(SyntheticDirectory, LooksUpAndListsWithCookies) {
    Ref<Directory> root(new Directory(test_fs, 0555, Owner{}));
    root->add_text("version", "Linux\n");
    Directory& sub = root->add_directory("sys");
    sub.add_text("hostname", "eremite\n");
    root->add_link_text("self", "1");

    EXPECT_EQ(root->attributes().link_count, 3u);  // ".", the parent's entry, and sys's ".."
    EXPECT_EQ(root->attributes().mode, mode_directory | 0555);
    auto found = root->lookup(name_of("sys"));
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found.value()->is_directory());
    EXPECT_EQ(root->lookup(name_of("nothing")).error_code(), Errno::enoent);
    EXPECT_EQ(root->lookup(name_of("sy")).error_code(), Errno::enoent);

    Collect all;
    ASSERT_TRUE(root->read_directory(0, all).ok());
    ASSERT_EQ(all.entries.size(), 5u);
    EXPECT_EQ(all.entries[0].name, ".");
    EXPECT_EQ(all.entries[1].name, "..");
    EXPECT_EQ(all.entries[2].name, "version");
    EXPECT_EQ(all.entries[2].type, NodeType::regular);
    EXPECT_EQ(all.entries[3].type, NodeType::directory);
    EXPECT_EQ(all.entries[4].type, NodeType::symlink);

    // A listing that runs out of room resumes where it stopped.
    Collect first(3);
    ASSERT_TRUE(root->read_directory(0, first).ok());
    ASSERT_EQ(first.entries.size(), 3u);
    Collect rest;
    ASSERT_TRUE(root->read_directory(first.entries.back().next_cookie, rest).ok());
    ASSERT_EQ(rest.entries.size(), 2u);
    EXPECT_EQ(rest.entries[0].name, "sys");
    EXPECT_EQ(rest.entries[1].name, "self");
}

TEST(SyntheticDirectory, RefusesChangesAsLinux) {
    Ref<Directory> root(new Directory(test_fs, 0555, Owner{}));
    DirectoryBase::set_privileged(false);
    EXPECT_EQ(root->create(name_of("x"), 0644).error_code(), Errno::eacces);
    EXPECT_EQ(root->make_directory(name_of("x"), 0755).error_code(), Errno::eacces);
    DirectoryBase::set_privileged(true);
    EXPECT_EQ(root->create(name_of("x"), 0644).error_code(), Errno::eacces);
    EXPECT_EQ(root->make_directory(name_of("x"), 0755).error_code(), Errno::eperm);
    EXPECT_EQ(root->unlink(name_of("x")).error_code(), Errno::eperm);
    DirectoryBase::set_privileged(false);
}

TEST(SyntheticFile, ReadsTheSnapshotTakenAtOpen) {
    Ref<Directory> root(new Directory(test_fs, 0555, Owner{}));
    GeneratedFile& file = root->add_file("status", counting_generator, 20);
    EXPECT_EQ(file.attributes().size, 0);
    EXPECT_EQ(file.attributes().mode, mode_regular | 0444);
    generations = 0;
    auto opened = file.open(o_rdonly);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(generations, 1);
    // Small reads all come from the one snapshot, however many there are.
    std::string content = read_all(*opened.value(), 7);
    EXPECT_EQ(generations, 1);
    EXPECT_NE(content.find("line 0 of generation 1\n"), std::string::npos);
    EXPECT_NE(content.find("line 19 of generation 1\n"), std::string::npos);
    EXPECT_EQ(content.find("generation 2"), std::string::npos);
    EXPECT_EQ(opened.value()->size().error_code(), Errno::einval);  // no SEEK_END, as seq_file
    EXPECT_EQ(opened.value()->node(), &file);

    // Without a receiver only EIO (root past the permission check); O_PATH generates nothing.
    uint64_t position = 0;
    EXPECT_EQ(opened.value()->write(IoBuffer::kernel("x"), 1, position).error_code(), Errno::eio);
    auto path_only = file.open(o_path);
    ASSERT_TRUE(path_only.ok());
    EXPECT_EQ(generations, 1);
}

TEST(SyntheticFile, WritesGoToTheReceiver) {
    Ref<Directory> root(new Directory(test_fs, 0555, Owner{1000, 1000}));
    GeneratedFile& file = root->add_file("comm", synthetic::constant_text, text_argument("app\n"), 0644);
    file.set_receiver(receive);
    EXPECT_EQ(file.attributes().uid, 1000u);
    auto opened = file.open(o_rdwr);
    ASSERT_TRUE(opened.ok());
    uint64_t position = 0;
    auto written = opened.value()->write(IoBuffer::kernel("renamed\n"), 8, position);
    ASSERT_TRUE(written.ok());
    EXPECT_EQ(written.value(), 8u);
    EXPECT_EQ(received, "renamed\n");
}

TEST(SyntheticLink, ReadsItsTarget) {
    Ref<Directory> root(new Directory(test_fs, 0555, Owner{}));
    Symlink& link = root->add_link_text("stdin", "/proc/self/fd/0");
    char buffer[64];
    auto length = link.read_link(buffer, sizeof buffer);
    ASSERT_TRUE(length.ok());
    EXPECT_EQ(std::string(buffer, length.value()), "/proc/self/fd/0");
    auto cut = link.read_link(buffer, 5);
    ASSERT_TRUE(cut.ok());
    EXPECT_EQ(std::string(buffer, cut.value()), "/proc");
    EXPECT_EQ(link.attributes().mode, mode_symlink | 0777);
    EXPECT_EQ(link.attributes().size, 0);  // as on /proc
}
