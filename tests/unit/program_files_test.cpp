// open_initrd: ehyve's checks of --initrd FILE before the VM starts. The guest kernel
// parses the archive; the host refuses what is plainly not one, with a clear line.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "error.hpp"
#include "program_files.hpp"
#include "scratch_directory.hpp"

namespace {

using ehyve::HostError;

class Initrd : public ::testing::Test {
protected:
    std::string file(const std::string& name, const std::string& bytes) {
        std::string path = scratch + "/" + name;
        FILE* f = std::fopen(path.c_str(), "wb");
        EXPECT_NE(f, nullptr);
        std::fwrite(bytes.data(), 1, bytes.size(), f);
        std::fclose(f);
        return path;
    }
    std::string error_of(const std::string& path) {
        try {
            ehyve::open_initrd(path);
        } catch (const HostError& e) {
            return e.what();
        }
        ADD_FAILURE() << "no HostError for " << path;
        return "";
    }
    eremite::test::ScratchDirectory scratch_directory{"initrd"};
    const std::string scratch = scratch_directory.path();
};

TEST_F(Initrd, NewcArchive) {
    // The start of what `cpio -o -H newc` writes; the rest is the guest's to check.
    std::string path = file("root.cpio", "07070100000001000041ed");
    ehyve::InitrdFile initrd = ehyve::open_initrd(path);
    EXPECT_TRUE(initrd.fd.valid());
    EXPECT_EQ(initrd.size, 22u);
    EXPECT_TRUE(ehyve::open_initrd(file("magic-only", "070701")).fd.valid());
}

TEST_F(Initrd, Refused) {
    struct Case {
        std::string path, expected;
    };
    for (const Case& c : std::vector<Case>{
             {scratch + "/missing", "No such file or directory"},
             {scratch, "is not a regular file"},
             {"/dev/null", "is not a regular file"},
             {file("empty", ""), "is not a cpio archive in the newc format"},
             {file("short", "07070"), "is not a cpio archive in the newc format"},
             {file("odc", "070707000000"), "is not a cpio archive in the newc format"},  // old portable format
             {file("crc", "070702000000"), "is not a cpio archive in the newc format"},  // newc with CRC
             {file("gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00"), "is not a cpio archive in the newc format"},
             {file("text", "hello, world"), "is not a cpio archive in the newc format"},
         }) {
        std::string message = error_of(c.path);
        EXPECT_NE(message.find("--initrd " + c.path), std::string::npos) << message;
        EXPECT_NE(message.find(c.expected), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
    }
}

}  // namespace
