// The newc cpio reader and unpacker, on archives written here (every malformed case) and,
// when the host has it, by the real cpio.
#include "fs/cpio.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "fs/tmpfs.hpp"
#include "page_store_on_host.hpp"

namespace {

using namespace eremite;
using namespace eremite::fs;

Name name(const std::string& text) { return Name{text.data(), static_cast<uint32_t>(text.size())}; }

// The header fields of one entry besides its name, mode and size.
struct Fields {
    uint32_t inode = 0;
    uint32_t uid = 0, gid = 0;
    uint32_t link_count = 1;
    uint32_t modify_time = 0;
    uint32_t device_major = 0, device_minor = 0;
    uint32_t rdev_major = 0, rdev_minor = 0;
    const char* magic = "070701";
    uint32_t check = 0;
};

// A newc writer, as `cpio -o -H newc` lays archives out.
class Archive {
public:
    Archive& add(const std::string& entry_name, uint32_t mode, const std::string& data = "", Fields fields = {}) {
        if (!fields.inode) fields.inode = ++last_inode_;
        char header[111];
        std::snprintf(header, sizeof header, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", fields.magic,
                      fields.inode, mode, fields.uid, fields.gid, fields.link_count, fields.modify_time,
                      static_cast<uint32_t>(data.size()), fields.device_major, fields.device_minor, fields.rdev_major,
                      fields.rdev_minor, static_cast<uint32_t>(entry_name.size() + 1), fields.check);
        bytes.append(header, 110);
        bytes.append(entry_name);
        bytes.push_back('\0');
        pad();
        bytes.append(data);
        pad();
        return *this;
    }
    Archive& directory(const std::string& entry_name, uint32_t permissions = 0755, Fields fields = {}) {
        return add(entry_name, 040000 | permissions, "", fields);
    }
    Archive& file(const std::string& entry_name, const std::string& data, uint32_t permissions = 0644,
                  Fields fields = {}) {
        return add(entry_name, 0100000 | permissions, data, fields);
    }
    Archive& symlink(const std::string& entry_name, const std::string& target, Fields fields = {}) {
        return add(entry_name, 0120777, target, fields);
    }
    Archive& trailer() { return add("TRAILER!!!", 0, "", Fields{.inode = 0xffffffff}); }

    std::string bytes;

private:
    void pad() {
        while (bytes.size() % 4) bytes.push_back('\0');
    }
    uint32_t last_inode_ = 100;
};

// The header field numbers (after the magic), and an archive of one file, "abc" holding
// "x", with one field replaced by `digits`.
enum { field_size = 6, field_name_size = 11 };
std::string patched(int field, const char* digits, bool with_trailer = true) {
    Archive archive;
    archive.file("abc", "x");
    if (with_trailer) archive.trailer();
    memcpy(&archive.bytes[6 + field * 8], digits, 8);
    return archive.bytes;
}

struct Outcome {
    Result<CpioSummary> result;
    std::string message;
};

class Cpio : public testing::Test {
protected:
    void SetUp() override { root = make_tmpfs_root(0755); }
    void TearDown() override {
        root.reset();
        page_store::host::set_limit(page_store::host::default_limit);
        EXPECT_EQ(page_store::host::in_use(), 0u);
    }

    Outcome unpack(const std::string& bytes, uint64_t capacity = 200) {
        std::vector<char> message(capacity + 1, '#');
        auto result = unpack_cpio(bytes.data(), bytes.size(), *root, message.data(), capacity);
        EXPECT_EQ(message[capacity], '#') << "wrote past the message buffer";
        std::string text = capacity ? std::string(message.data()) : std::string();
        EXPECT_EQ(text.find('\n'), std::string::npos);
        return Outcome{result, text};
    }

    // Expects a refusal: `code`, and a message that mentions `words`.
    void refused(const std::string& bytes, Errno code, const std::string& words) {
        Outcome outcome = unpack(bytes, 1000);
        EXPECT_FALSE(outcome.result.ok());
        EXPECT_EQ(outcome.result.error_code(), code) << outcome.message;
        EXPECT_NE(outcome.message.find(words), std::string::npos) << "message: " << outcome.message;
    }

    Ref<Node> at(const std::string& path) {
        Ref<Node> node = root;
        size_t start = 0;
        while (start < path.size()) {
            size_t end = path.find('/', start);
            if (end == std::string::npos) end = path.size();
            auto next = node->lookup(name(path.substr(start, end - start)));
            if (!next.ok()) return {};
            node = next.value();
            start = end + 1;
        }
        return node;
    }

    std::string contents(const std::string& path) {
        Ref<Node> node = at(path);
        if (!node) return "<missing>";
        std::string text(node->attributes().size, '\0');
        auto got = node->read(0, IoBuffer::kernel(text.data()), text.size());
        if (!got.ok()) return "<unreadable>";
        text.resize(got.value());
        return text;
    }

    std::string link_target(const std::string& path) {
        Ref<Node> node = at(path);
        if (!node) return "<missing>";
        char buffer[4096];
        auto got = node->read_link(buffer, sizeof buffer);
        return got.ok() ? std::string(buffer, got.value()) : "<not a link>";
    }

    Ref<Node> root;
};

TEST_F(Cpio, UnpacksDirectoriesFilesAndSymlinks) {
    Archive archive;
    archive.directory("bin", 0750, {.uid = 5, .gid = 6, .modify_time = 1000000})
        .file("bin/tool", "#!/bin/sh\necho hi\n", 04755, {.uid = 7, .gid = 8, .modify_time = 2000000})
        .symlink("bin/link", "tool", {.modify_time = 3000000})
        .file("empty", "")
        .file("data", std::string(10000, 'd'))
        .trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(outcome.message, "");
    CpioSummary summary = outcome.result.value();
    EXPECT_EQ(summary.directories, 1u);
    EXPECT_EQ(summary.files, 3u);
    EXPECT_EQ(summary.symlinks, 1u);
    EXPECT_EQ(summary.hard_links, 0u);
    EXPECT_EQ(summary.skipped, 0u);

    Attributes bin = at("bin")->attributes();
    EXPECT_EQ(bin.mode, 040750u);
    EXPECT_EQ(bin.uid, 5u);
    EXPECT_EQ(bin.gid, 6u);
    EXPECT_EQ(bin.modify.seconds, 1000000);  // applied after its contents went in
    Attributes tool = at("bin/tool")->attributes();
    EXPECT_EQ(tool.mode, 0104755u);  // chown before chmod: set-user-ID kept
    EXPECT_EQ(tool.uid, 7u);
    EXPECT_EQ(tool.gid, 8u);
    EXPECT_EQ(tool.modify.seconds, 2000000);
    EXPECT_EQ(tool.access.seconds, 2000000);
    EXPECT_EQ(contents("bin/tool"), "#!/bin/sh\necho hi\n");
    EXPECT_EQ(link_target("bin/link"), "tool");
    EXPECT_EQ(at("bin/link")->attributes().modify.seconds, 3000000);
    EXPECT_EQ(contents("empty"), "");
    EXPECT_EQ(contents("data"), std::string(10000, 'd'));
}

TEST_F(Cpio, NamesAreRelativeAndParentsAreMade) {
    Archive archive;
    archive.file("./a/b/c", "1").file("x/y", "2").file("/abs/z", "3").file("//two", "4").file("p/./q", "5").trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(contents("a/b/c"), "1");
    EXPECT_EQ(contents("x/y"), "2");
    EXPECT_EQ(contents("abs/z"), "3");
    EXPECT_EQ(contents("two"), "4");
    EXPECT_EQ(contents("p/q"), "5");
    EXPECT_EQ(at("a/b")->attributes().mode, 040755u);
    EXPECT_EQ(outcome.result.value().directories, 5u);  // a, a/b, x, abs, p
}

TEST_F(Cpio, TheDotEntryIsTheRoot) {
    Archive archive;
    archive.directory(".", 0700, {.uid = 3, .modify_time = 77}).file("f", "x").trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    Attributes attributes = root->attributes();
    EXPECT_EQ(attributes.mode, 040700u);
    EXPECT_EQ(attributes.uid, 3u);
    EXPECT_EQ(attributes.modify.seconds, 77);
    Archive bad;
    bad.file(".", "x").trailer();
    refused(bad.bytes, Errno::einval, "not a directory");
}

TEST_F(Cpio, HardLinksShareANode) {
    // GNU cpio: each name with the same inode number, the data with the last one only.
    Archive archive;
    Fields linked{.inode = 42, .link_count = 3, .modify_time = 9};
    archive.file("one", "", 0755, linked).file("dir/two", "", 0755, linked).file("three", "payload", 0755, linked);
    archive.file("other", "o", 0644, {.inode = 43, .link_count = 2});  // same count, another inode
    archive.trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(outcome.result.value().files, 2u);
    EXPECT_EQ(outcome.result.value().hard_links, 2u);
    Ref<Node> one = at("one");
    EXPECT_EQ(at("dir/two").get(), one.get());
    EXPECT_EQ(at("three").get(), one.get());
    EXPECT_EQ(one->attributes().link_count, 3u);
    EXPECT_EQ(contents("one"), "payload");
    EXPECT_EQ(contents("other"), "o");
    EXPECT_NE(at("other").get(), one.get());
}

TEST_F(Cpio, HardLinksDoNotReachIntoTheNextArchive) {
    Archive first, second;
    first.file("a", "first", 0644, {.inode = 5, .link_count = 2}).trailer();
    second.file("b", "second", 0644, {.inode = 5, .link_count = 2}).trailer();
    Outcome outcome = unpack(first.bytes + second.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_NE(at("a").get(), at("b").get());
    EXPECT_EQ(contents("a"), "first");
    EXPECT_EQ(contents("b"), "second");
}

TEST_F(Cpio, DevicesFifosAndSocketsAreSkippedWithANote) {
    Archive archive;
    archive.add("dev/console", 020600, "", {.rdev_major = 5, .rdev_minor = 1})
        .add("dev/sda", 060600)
        .add("pipe", 010644)
        .add("socket", 0140755)
        .file("kept", "k")
        .trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(outcome.result.value().skipped, 4u);
    EXPECT_NE(outcome.message.find("skipped 4"), std::string::npos) << outcome.message;
    EXPECT_NE(outcome.message.find("dev/console"), std::string::npos) << outcome.message;
    EXPECT_FALSE(at("dev/console"));
    EXPECT_EQ(contents("kept"), "k");
}

TEST_F(Cpio, ConcatenatedArchivesWithPadding) {
    Archive first, second;
    first.file("a", "1").trailer();
    second.file("b", "2").file("a", "replaced").trailer();
    std::string bytes =
        std::string(8, '\0') + first.bytes + std::string(512, '\0') + second.bytes + std::string(1000, '\0');
    Outcome outcome = unpack(bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(contents("a"), "replaced");
    EXPECT_EQ(contents("b"), "2");
}

TEST_F(Cpio, LaterEntriesReplaceEarlierOnes) {
    Archive archive;
    archive.file("x", "file").directory("x").file("x/in", "i");  // a file, then a directory
    archive.directory("y").file("y", "now a file");              // an empty directory, then a file
    archive.symlink("z", "t").file("z", "over a link");
    archive.directory("d", 0700).directory("d", 0711);  // a directory again: updated
    archive.file("f", "long contents").file("f", "short");
    archive.trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_TRUE(at("x")->is_directory());
    EXPECT_EQ(contents("x/in"), "i");
    EXPECT_EQ(contents("y"), "now a file");
    EXPECT_EQ(contents("z"), "over a link");
    EXPECT_EQ(at("d")->attributes().mode, 040711u);
    EXPECT_EQ(contents("f"), "short");

    Archive blocked;
    blocked.file("full/file", "x").file("full", "cannot replace a non-empty directory").trailer();
    refused(blocked.bytes, Errno::enotempty, "full");
}

TEST_F(Cpio, ChecksummedArchives) {
    std::string data = "checked data";
    uint32_t sum = 0;
    for (unsigned char c : data) sum += c;
    Archive good;
    good.file("c", data, 0644, {.magic = "070702", .check = sum}).trailer();
    Outcome outcome = unpack(good.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(contents("c"), data);
    Archive bad;
    bad.file("c", data, 0644, {.magic = "070702", .check = sum + 1}).trailer();
    refused(bad.bytes, Errno::einval, "checksum");
}

TEST_F(Cpio, OnlyATrailerIsAnEmptyArchive) {
    Archive archive;
    archive.trailer();
    Outcome outcome = unpack(archive.bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    EXPECT_EQ(outcome.result.value().files, 0u);
}

// Malformed archives: refused with a reason, never a crash.

TEST_F(Cpio, RefusesEmptyInput) {
    refused("", Errno::einval, "empty");
    refused(std::string(64, '\0'), Errno::einval, "empty");
}

TEST_F(Cpio, RefusesBadMagic) {
    Archive archive;
    archive.file("a", "x").trailer();
    std::string bytes = archive.bytes;
    bytes[5] = '9';
    refused(bytes, Errno::einval, "bad magic at offset 0");
    bytes[5] = '7';  // 070707: the old portable format
    refused(bytes, Errno::einval, "odc");
    refused("garbage that is long enough to hold a whole header, and then some more bytes to be sure of it, yes....",
            Errno::einval, "bad magic");
}

TEST_F(Cpio, RefusesTruncatedHeaders) {
    Archive archive;
    archive.file("a", "x").trailer();
    refused(archive.bytes.substr(0, 50), Errno::einval, "truncated header at offset 0");
    Archive two;
    two.file("a", "x").file("b", "y").trailer();
    size_t second = 112 + 4;  // header + "a\0" padded, then "x" padded
    refused(two.bytes.substr(0, second + 30), Errno::einval, "truncated header");
    EXPECT_EQ(contents("a"), "x");  // what came before stays
}

TEST_F(Cpio, RefusesTheMissingTrailer) {
    Archive archive;
    archive.file("a", "x");
    refused(archive.bytes, Errno::einval, "truncated header");  // the archive simply stops
}

TEST_F(Cpio, RefusesNonHexDigits) {
    for (int field = 0; field < 13; ++field) {
        Archive archive;
        archive.file("a", "x").trailer();
        std::string bytes = archive.bytes;
        bytes[6 + field * 8 + 3] = 'g';
        SetUp();
        refused(bytes, Errno::einval, "bad hex digit");
    }
    refused(patched(field_size, " 0000001"), Errno::einval, "filesize");
}

TEST_F(Cpio, RefusesBadNames) {
    Archive zero;
    zero.add("", 0100644);  // namesize 1: an empty name
    zero.trailer();
    refused(zero.bytes, Errno::einval, "empty name");

    Archive no_nul;
    no_nul.file("abc", "x").trailer();
    no_nul.bytes[110 + 3] = 'd';  // the NUL that ends "abc"
    refused(no_nul.bytes, Errno::einval, "not NUL-terminated");

    Archive inner_nul;
    inner_nul.file("abc", "x").trailer();
    inner_nul.bytes[110 + 1] = '\0';
    refused(inner_nul.bytes, Errno::einval, "NUL inside");

    refused(patched(field_name_size, "00000000"), Errno::einval, "namesize 0");
    refused(patched(field_name_size, "00001001"), Errno::einval, "PATH_MAX");
    refused(patched(field_name_size, "00000F00", false), Errno::einval, "truncated name");

    for (const char* path : {"../escape", "a/../../b", "a/..", "..", "a//b", "a/", "/", "./"}) {
        SetUp();
        Archive archive;
        archive.file(path, "x").trailer();
        Outcome outcome = unpack(archive.bytes);
        EXPECT_FALSE(outcome.result.ok()) << path;
        EXPECT_NE(outcome.message.find(path), std::string::npos) << outcome.message;
    }
    Archive long_component;
    long_component.file(std::string(256, 'n'), "x").trailer();
    refused(long_component.bytes, Errno::enametoolong, "NAME_MAX");
    Archive longest;
    longest.file(std::string(255, 'n'), "x").trailer();
    EXPECT_TRUE(unpack(longest.bytes).result.ok());
}

TEST_F(Cpio, RefusesDataPastTheEnd) {
    refused(patched(field_size, "7FFFFFFF"), Errno::einval, "past the end of the archive");
    refused(patched(field_size, "FFFFFFFF"), Errno::einval, "abc: 4294967295 bytes");
    Archive just;
    just.file("big", "xy");
    refused(just.bytes.substr(0, 110 + 4 + 1), Errno::einval, "past the end");  // one byte of two
}

TEST_F(Cpio, RefusesJunkAfterTheTrailer) {
    Archive archive;
    archive.file("a", "x").trailer();
    refused(archive.bytes + "JUNKJUNK", Errno::einval, "junk after the trailer");
    refused(archive.bytes + std::string("\0\0\0\0JUNK", 8) + std::string(200, 'j'), Errno::einval,
            "junk after the trailer");
    refused(archive.bytes + std::string("\0\0\0", 3) + "x", Errno::einval, "misaligned");
}

TEST_F(Cpio, RefusesPathsThroughFilesAndSymlinks) {
    Archive through_file;
    through_file.file("f", "x").file("f/g", "y").trailer();
    refused(through_file.bytes, Errno::enotdir, "f/g: a parent is not a directory");
    SetUp();
    Archive through_link;
    through_link.directory("real").symlink("link", "real").file("link/g", "y").trailer();
    refused(through_link.bytes, Errno::enotdir, "link/g");
    EXPECT_FALSE(at("real/g"));
}

TEST_F(Cpio, RefusesOddEntries) {
    Archive unknown;
    unknown.add("weird", 0170644).trailer();
    refused(unknown.bytes, Errno::einval, "unknown file type");
    Archive no_type;
    no_type.add("none", 0644).trailer();
    refused(no_type.bytes, Errno::einval, "unknown file type");
    Archive empty_link;
    empty_link.symlink("l", "").trailer();
    refused(empty_link.bytes, Errno::einval, "empty symlink target");
    Archive nul_link;
    nul_link.symlink("l", std::string("a\0b", 3)).trailer();
    refused(nul_link.bytes, Errno::einval, "NUL");
    Archive long_link;
    long_link.symlink("l", std::string(4096, 't')).trailer();
    refused(long_link.bytes, Errno::einval, "PATH_MAX");
}

TEST_F(Cpio, RefusesWhatDoesNotFit) {
    page_store::host::set_limit(2);
    Archive archive;
    archive.file("small", "fits").file("large", std::string(3 * 4096, 'L')).trailer();
    refused(archive.bytes, Errno::enospc, "large: no space left");
    EXPECT_EQ(contents("small"), "fits");
}

TEST_F(Cpio, MessagesAreCutToTheBuffer) {
    Archive archive;
    archive.file(std::string(200, 'a') + "/../x", "x").trailer();
    Outcome tiny = unpack(archive.bytes, 10);
    EXPECT_FALSE(tiny.result.ok());
    EXPECT_EQ(tiny.message, std::string(9, 'a'));
    Outcome none = unpack(archive.bytes, 0);
    EXPECT_FALSE(none.result.ok());
}

TEST_F(Cpio, UnpacksOnlyIntoDirectories) {
    Archive archive;
    archive.file("a", "x").trailer();
    Ref<Node> file = root->create(name("f"), 0644).release();
    char message[100];
    EXPECT_EQ(unpack_cpio(archive.bytes.data(), archive.bytes.size(), *file, message, sizeof message).error_code(),
              Errno::enotdir);
}

// Random damage to a valid archive never crashes the reader (ASan watches).
TEST_F(Cpio, SurvivesRandomDamage) {
    Archive archive;
    archive.directory("d").file("d/f", std::string(5000, 'f')).symlink("d/l", "f");
    archive.file("h1", "", 0644, {.inode = 9, .link_count = 2}).file("h2", "h", 0644, {.inode = 9, .link_count = 2});
    archive.add("dev/null", 020666).trailer();
    std::mt19937 random(7);
    int accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string bytes = archive.bytes;
        switch (round % 3) {
            case 0: bytes.resize(random() % bytes.size()); break;
            case 1:
                for (int i = 0; i < 3; ++i) bytes[random() % bytes.size()] = static_cast<char>(random());
                break;
            case 2: bytes[random() % bytes.size()] = "0123456789ABCDEF/.\0"[random() % 19]; break;
        }
        SetUp();
        Outcome outcome = unpack(bytes);
        if (outcome.result.ok())
            ++accepted;
        else
            EXPECT_FALSE(outcome.message.empty());
    }
    EXPECT_GT(accepted, 0);
}

// The reader on its own.
TEST(CpioReader, ReadsEntriesInOrder) {
    Archive archive;
    archive.directory("d", 0711, {.inode = 7, .uid = 1, .gid = 2, .modify_time = 3})
        .file("d/f", "abc", 0600, {.inode = 8, .device_major = 4, .device_minor = 5})
        .add("c", 020600, "", {.inode = 9, .rdev_major = 1, .rdev_minor = 3})
        .trailer();
    CpioReader reader(archive.bytes.data(), archive.bytes.size());
    CpioEntry entry;
    ASSERT_TRUE(reader.next(entry).value());
    EXPECT_EQ(std::string(entry.name.text, entry.name.length), "d");
    EXPECT_EQ(entry.mode, 040711u);
    EXPECT_EQ(entry.inode, 7u);
    EXPECT_EQ(entry.uid, 1u);
    EXPECT_EQ(entry.gid, 2u);
    EXPECT_EQ(entry.modify_time, 3);
    EXPECT_EQ(entry.size, 0u);
    ASSERT_TRUE(reader.next(entry).value());
    EXPECT_EQ(std::string(entry.name.text, entry.name.length), "d/f");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(entry.data), entry.size), "abc");
    EXPECT_EQ(entry.device_major, 4u);
    EXPECT_EQ(entry.device_minor, 5u);
    ASSERT_TRUE(reader.next(entry).value());
    EXPECT_EQ(entry.rdev_major, 1u);
    EXPECT_EQ(entry.rdev_minor, 3u);
    EXPECT_EQ(entry.archive, 0u);
    auto end = reader.next(entry);
    ASSERT_TRUE(end.ok());
    EXPECT_FALSE(end.value());
    EXPECT_FALSE(reader.next(entry).value());  // and stays at the end
}

// An archive from the real cpio, when the host has it.
TEST_F(Cpio, ArchiveFromTheRealCpio) {
    if (std::system("command -v cpio >/dev/null 2>&1") != 0) GTEST_SKIP() << "no cpio on this host";
    char directory_template[] = "/tmp/eremite-cpio-XXXXXX";
    ASSERT_NE(mkdtemp(directory_template), nullptr);
    std::string top = directory_template;
    std::string tree = top + "/tree";
    std::string script = "set -e; mkdir -p " + tree + "/etc/deep/er " + tree + "/bin; cd " + tree +
                         "; printf 'root:x:0:0::/root:/bin/sh\\n' > etc/passwd; head -c 70000 /dev/urandom > bin/blob;"
                         " chmod 0751 bin/blob; ln bin/blob bin/hard; ln -s ../etc/passwd bin/pw; : > empty;"
                         " chmod 0700 etc/deep; touch -d @1500000000 etc/passwd;"
                         " find . | LC_ALL=C sort | cpio --quiet -o -H newc > " +
                         top + "/archive.cpio";
    ASSERT_EQ(std::system(("sh -c \"" + script + "\"").c_str()), 0);
    std::ifstream in(top + "/archive.cpio", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(bytes.empty());

    Outcome outcome = unpack(bytes);
    ASSERT_TRUE(outcome.result.ok()) << outcome.message;
    auto file_of = [&](const std::string& path) {
        std::ifstream file(tree + "/" + path, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    };
    EXPECT_EQ(contents("etc/passwd"), file_of("etc/passwd"));
    EXPECT_EQ(contents("bin/blob"), file_of("bin/blob"));
    EXPECT_EQ(at("bin/hard").get(), at("bin/blob").get());
    EXPECT_EQ(at("bin/blob")->attributes().link_count, 2u);
    EXPECT_EQ(at("bin/blob")->attributes().mode, 0100751u);
    EXPECT_EQ(link_target("bin/pw"), "../etc/passwd");
    EXPECT_EQ(at("etc/deep")->attributes().mode, 040700u);
    EXPECT_TRUE(at("etc/deep/er")->is_directory());
    EXPECT_EQ(at("etc/passwd")->attributes().modify.seconds, 1500000000);
    EXPECT_EQ(contents("empty"), "");
    struct stat host;
    ASSERT_EQ(stat((tree + "/etc").c_str(), &host), 0);
    EXPECT_EQ(at("etc")->attributes().modify.seconds, host.st_mtime);  // set after its contents
    EXPECT_EQ(std::system(("rm -rf " + top).c_str()), 0);
}

}  // namespace
