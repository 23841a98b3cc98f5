// The VFS on the host, over a tmpfs root: the path walk (".", "..", slashes, symlinks,
// ELOOP, ENAMETOOLONG, mounts, openat2's RESOLVE_* restrictions), walk_parent, the
// start of *at walks, the working directory and umask, and the file-descriptor table.
//
// The VFS has one tree per process (set_root is meant for boot), so the first test to
// run makes it and every test works in a directory of its own, /tN; mounts are never
// undone, so each mount test mounts on its own directory. The working directory, umask,
// descriptor table and fd limit are put back after each test.
#include "fs/vfs.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "fs/file.hpp"
#include "fs/tmpfs.hpp"
#include "result_checks.hpp"

namespace {

using namespace eremite;
using namespace eremite::fs;

Name name(const char* text) { return Name{text, static_cast<uint32_t>(strlen(text))}; }
std::string text_of(Name name) { return std::string(name.text, name.length); }

std::string path_of(const Location& location) {
    char buffer[path_max];
    uint64_t length = 0;
    if (!location.path(buffer, sizeof buffer, length)) return "(does not fit)";
    return std::string(buffer, length);
}

// What a walk ends at: the path of the result, or "errno N".
std::string failed(Errno code) { return "errno " + std::to_string(static_cast<int>(code)); }
std::string outcome(Result<Location> result) {
    if (!result.ok()) return failed(result.error_code());
    return path_of(result.value());
}
std::string walked(const Location& start, const std::string& path, uint32_t flags = walk_follow) {
    return outcome(walk(start, path.c_str(), flags));
}

// A file that tells when it is destroyed (its last reference dropped).
class TrackedFile : public File {
public:
    explicit TrackedFile(bool& destroyed) : File(o_rdonly), destroyed_(destroyed) {}

protected:
    ~TrackedFile() override { destroyed_ = true; }

private:
    bool& destroyed_;
};

Ref<File> plain_file() { return Ref<File>(new File(o_rdonly)); }

std::vector<int32_t> open_fds() {
    std::vector<int32_t> fds;
    for_each_fd([](int32_t fd, File&, void* context) { static_cast<std::vector<int32_t>*>(context)->push_back(fd); },
                &fds);
    return fds;
}

class Vfs : public testing::Test {
protected:
    void SetUp() override {
        if (!root_location().ok()) {
            Ref<Node> tree = make_tmpfs_root(0755);
            ASSERT_TRUE(tree);
            set_root(*tree);
        }
        root = value(root_location());
        ASSERT_EQ(root.depth(), 1u);
        static int tests = 0;
        base_path = "/t" + std::to_string(++tests);
        base_node = value(root.node()->make_directory(name(base_path.c_str() + 1), 0755));
        base = value(walk(root, base_path.c_str(), 0));
        ASSERT_EQ(base.node(), base_node.get());
        ASSERT_TRUE(open_fds().empty());
    }
    void TearDown() override {
        for (int32_t fd : open_fds()) succeeds(close_fd(fd));
        set_working_directory(root);
        set_umask(022);
        set_fd_limit(1024);
    }

    // Makes the last component of `path` (from the test's directory) with its parent's
    // operation: a directory, an empty file, a symlink to `target`.
    Ref<Node> make_directory(const char* path) {
        ParentWalk at = value(walk_parent(base, path));
        return value(at.parent.node()->make_directory(at.last, 0755));
    }
    Ref<Node> make_file(const char* path) {
        ParentWalk at = value(walk_parent(base, path));
        return value(at.parent.node()->create(at.last, 0644));
    }
    Ref<Node> make_symlink(const char* path, const std::string& target) {
        ParentWalk at = value(walk_parent(base, path));
        return value(
            at.parent.node()->make_symlink(at.last, Name{target.data(), static_cast<uint32_t>(target.size())}));
    }
    Location at(const char* path, uint32_t flags = walk_follow) { return value(walk(base, path, flags)); }
    // `base_path` + `suffix`: where a walk in this test's directory should end.
    std::string here(const std::string& suffix = "") { return base_path + suffix; }

    Location root;
    Location base;  // the test's own directory, /tN
    std::string base_path;
    Ref<Node> base_node;
};

// ---- The path walk ----------------------------------------------------------------

TEST_F(Vfs, AbsoluteAndRelativePaths) {
    Ref<Node> a = make_directory("a");
    Ref<Node> b = make_directory("a/b");
    Ref<Node> f = make_file("a/b/f");
    Location absolute = value(walk(root, (here("/a/b/f")).c_str(), 0));
    EXPECT_EQ(absolute.node(), f.get());
    EXPECT_EQ(path_of(absolute), here("/a/b/f"));
    EXPECT_EQ(absolute.depth(), 5u);  // /, tN, a, b, f
    Location relative = at("a/b/f");
    EXPECT_EQ(relative.node(), f.get());
    EXPECT_EQ(path_of(relative), here("/a/b/f"));
    // A relative walk goes on from its start, an absolute one ignores it.
    Location from_a = at("a");
    EXPECT_EQ(from_a.node(), a.get());
    EXPECT_EQ(walked(from_a, "b"), here("/a/b"));
    EXPECT_EQ(walked(from_a, here("/a/b/f")), here("/a/b/f"));
    EXPECT_EQ(value(walk(from_a, "b", 0)).node(), b.get());
    // The start is not changed by walking from it.
    EXPECT_EQ(path_of(from_a), here("/a"));
}

TEST_F(Vfs, TheRoot) {
    EXPECT_EQ(walked(base, "/"), "/");
    EXPECT_EQ(walked(base, "///"), "/");
    EXPECT_EQ(value(walk(base, "/", 0)).node(), root.node());
    EXPECT_EQ(value(walk(base, "/", walk_directory)).depth(), 1u);
}

TEST_F(Vfs, DotAndDotDot) {
    make_directory("a");
    make_directory("a/b");
    make_file("f");
    EXPECT_EQ(walked(base, "."), here());
    EXPECT_EQ(walked(base, "./a"), here("/a"));
    EXPECT_EQ(walked(base, "a/."), here("/a"));
    EXPECT_EQ(walked(base, "a/./b/../b/."), here("/a/b"));
    EXPECT_EQ(walked(base, "a/.."), here());
    EXPECT_EQ(walked(base, "a/b/../../f"), here("/f"));
    EXPECT_EQ(walked(base, ".."), "/");
    EXPECT_EQ(walked(base, "../" + base_path.substr(1) + "/a"), here("/a"));
    // ".." leaves the directory the walk went through, not one found by name.
    EXPECT_EQ(value(walk(base, "a/b/..", 0)).depth(), 3u);
}

TEST_F(Vfs, DotDotAtTheRootStaysAtTheRoot) {
    make_directory("a");
    EXPECT_EQ(walked(root, ".."), "/");
    EXPECT_EQ(walked(root, "../../.."), "/");
    EXPECT_EQ(walked(base, "/.."), "/");
    EXPECT_EQ(walked(base, "/../../.."), "/");
    EXPECT_EQ(walked(base, "../../../.." + here("/a")), here("/a"));
    EXPECT_EQ(walked(base, "/../.." + here("/a/../a")), here("/a"));
    EXPECT_EQ(value(walk(base, "../../..", 0)).node(), root.node());
}

TEST_F(Vfs, RepeatedSlashes) {
    make_directory("a");
    make_directory("a/b");
    EXPECT_EQ(walked(base, "a//b"), here("/a/b"));
    EXPECT_EQ(walked(base, "a///b//"), here("/a/b"));
    EXPECT_EQ(walked(base, "//" + base_path.substr(1) + "///a"), here("/a"));
}

TEST_F(Vfs, TrailingSlashAsksForADirectory) {
    make_directory("d");
    make_file("f");
    make_symlink("to_d", "d");
    make_symlink("to_f", "f");
    EXPECT_EQ(walked(base, "d/"), here("/d"));
    EXPECT_EQ(walked(base, "d//", 0), here("/d"));
    EXPECT_EQ(walked(base, "f"), here("/f"));
    EXPECT_EQ(walked(base, "f/"), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "f//"), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "f/."), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "f/.."), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "missing/"), failed(Errno::enoent));
    // A trailing slash follows a symlink even without walk_follow (path_resolution(7)).
    EXPECT_EQ(walked(base, "to_d/", 0), here("/d"));
    EXPECT_EQ(walked(base, "to_f/", 0), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "to_f/"), failed(Errno::enotdir));
    // walk_directory asks the same without the slash.
    EXPECT_EQ(walked(base, "d", walk_directory), here("/d"));
    EXPECT_EQ(walked(base, "f", walk_directory), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "to_d", walk_follow | walk_directory), here("/d"));
    // O_DIRECTORY|O_NOFOLLOW on a symlink: the link is no directory.
    EXPECT_EQ(walked(base, "to_d", walk_directory), failed(Errno::enotdir));
}

TEST_F(Vfs, EmptyPath) {
    EXPECT_EQ(walked(base, ""), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "", walk_empty_ok), here());
    make_file("f");
    // AT_EMPTY_PATH names the start whatever it is.
    EXPECT_EQ(walked(at("f"), "", walk_empty_ok), here("/f"));
}

TEST_F(Vfs, MissingAndNotADirectory) {
    make_directory("d");
    make_file("f");
    EXPECT_EQ(walked(base, "missing"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "missing/x"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "d/missing"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "d/missing/x"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "f/x"), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "f/x/y"), failed(Errno::enotdir));
    EXPECT_EQ(walked(base, "d/../f/x"), failed(Errno::enotdir));
    // A walk from a file: any component at all needs a directory.
    EXPECT_EQ(walked(at("f"), "x"), failed(Errno::enotdir));
    EXPECT_EQ(walked(at("f"), "."), failed(Errno::enotdir));
}

TEST_F(Vfs, NameTooLong) {
    make_directory("a");
    make_file("f");
    std::string longest(name_max, 'n'), too_long(name_max + 1, 'n');
    EXPECT_EQ(walked(base, longest), failed(Errno::enoent));
    EXPECT_EQ(walked(base, too_long), failed(Errno::enametoolong));
    EXPECT_EQ(walked(base, "a/" + too_long), failed(Errno::enametoolong));
    EXPECT_EQ(walked(base, "a/" + too_long + "/x"), failed(Errno::enametoolong));
    // Components are checked in order: what fails first is what is reported.
    EXPECT_EQ(walked(base, "missing/" + too_long), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "f/" + too_long), failed(Errno::enotdir));

    // A path has at most path_max - 1 bytes, however it resolves.
    std::string dots;
    for (int i = 0; i < 2046; ++i) dots += "./";
    std::string fits = dots + "//a";
    ASSERT_EQ(fits.size(), path_max - 1);
    EXPECT_EQ(walked(base, fits), here("/a"));
    std::string too_long_path = dots + "///a";
    ASSERT_EQ(too_long_path.size(), path_max);
    EXPECT_EQ(walked(base, too_long_path), failed(Errno::enametoolong));
    EXPECT_EQ(walked(base, std::string(path_max + 100, '/')), failed(Errno::enametoolong));
}

// ---- Symlinks ---------------------------------------------------------------------

TEST_F(Vfs, RelativeSymlinksResolveFromTheirDirectory) {
    make_directory("a");
    Ref<Node> b = make_directory("a/b");
    make_file("f");
    make_symlink("a/to_b", "b");
    make_symlink("a/up", "../f");
    make_symlink("a/parent", "..");
    make_symlink("a/dot", ".");
    EXPECT_EQ(walked(base, "a/to_b"), here("/a/b"));
    EXPECT_EQ(value(walk(base, "a/to_b", walk_follow)).node(), b.get());
    EXPECT_EQ(walked(base, "a/up"), here("/f"));
    EXPECT_EQ(walked(base, "a/parent"), here());
    EXPECT_EQ(walked(base, "a/parent/f"), here("/f"));
    EXPECT_EQ(walked(base, "a/dot/dot/dot/b"), here("/a/b"));
    // The location is the chain the walk took, not the link's name.
    EXPECT_EQ(walked(at("a"), "to_b/.."), here("/a"));
}

TEST_F(Vfs, AbsoluteSymlinksRestartAtTheRoot) {
    make_directory("a");
    make_directory("a/b");
    make_symlink("abs", here("/a/b"));
    make_symlink("a/slash", "/");
    make_symlink("a/slashes", "///" + base_path.substr(1) + "//a/");
    EXPECT_EQ(walked(base, "abs"), here("/a/b"));
    EXPECT_EQ(walked(base, "abs/.."), here("/a"));
    EXPECT_EQ(walked(base, "a/slash"), "/");
    EXPECT_EQ(walked(base, "a/slash/.."), "/");
    EXPECT_EQ(walked(base, "a/slashes/b"), here("/a/b"));
    EXPECT_EQ(value(walk(base, "a/slash", walk_follow)).node(), root.node());
}

TEST_F(Vfs, SymlinksInTheMiddleOfAPath) {
    make_directory("a");
    make_directory("a/b");
    Ref<Node> c = make_file("a/b/c");
    make_file("f");
    make_symlink("rel", "a/b");
    make_symlink("abs", here("/a"));
    make_symlink("to_f", "f");
    EXPECT_EQ(walked(base, "rel/c"), here("/a/b/c"));
    EXPECT_EQ(value(walk(base, "rel/c", 0)).node(), c.get());
    EXPECT_EQ(walked(base, "abs/b/c"), here("/a/b/c"));
    EXPECT_EQ(walked(base, "abs/b/../../rel/./c"), here("/a/b/c"));
    EXPECT_EQ(walked(base, "rel/missing"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "to_f/x"), failed(Errno::enotdir));
    // A link in the middle is followed whatever the flags say.
    EXPECT_EQ(walked(base, "rel/c", 0), here("/a/b/c"));
}

TEST_F(Vfs, FollowOnlyWhenAskedOnTheLastComponent) {
    make_directory("d");
    Ref<Node> link = make_symlink("link", "d");
    Location itself = at("link", 0);
    EXPECT_EQ(itself.node(), link.get());
    EXPECT_EQ(itself.node()->type(), NodeType::symlink);
    EXPECT_EQ(path_of(itself), here("/link"));
    EXPECT_EQ(walked(base, "link", walk_follow), here("/d"));
    EXPECT_EQ(walked(base, "link/.", 0), here("/d"));
    EXPECT_EQ(walked(base, "./link", 0), here("/link"));
}

TEST_F(Vfs, SymlinkChainsUpToForty) {
    Ref<Node> f = make_file("f");
    // link1 -> link2 -> ... -> link40 -> f: forty links followed.
    for (int i = 1; i <= 40; ++i) {
        std::string link = "link" + std::to_string(i);
        make_symlink(link.c_str(), i == 40 ? std::string("f") : "link" + std::to_string(i + 1));
    }
    EXPECT_EQ(walked(base, "link1"), here("/f"));
    EXPECT_EQ(value(walk(base, "link1", walk_follow)).node(), f.get());
    EXPECT_EQ(walked(base, "link1", 0), here("/link1"));
    // One more is one too many (MAXSYMLINKS).
    make_symlink("link0", "link1");
    EXPECT_EQ(walked(base, "link0"), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "link0", 0), here("/link0"));

    // The count is for the whole walk, not per component.
    make_directory("d");
    make_symlink("d/here", ".");
    std::string forty, forty_one;
    for (int i = 0; i < 40; ++i) forty += "here/";
    forty_one = forty + "here/";
    EXPECT_EQ(walked(at("d"), forty), here("/d"));
    EXPECT_EQ(walked(at("d"), forty_one), failed(Errno::eloop));
}

TEST_F(Vfs, SymlinkLoops) {
    make_symlink("self", "self");
    make_symlink("ping", "pong");
    make_symlink("pong", "ping");
    make_symlink("through", "through/x");
    EXPECT_EQ(walked(base, "self"), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "self/x"), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "self/", 0), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "ping"), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "through"), failed(Errno::eloop));
    // Not followed, a looping link is just a link.
    EXPECT_EQ(walked(base, "self", 0), here("/self"));
    EXPECT_EQ(walked(base, "ping", 0), here("/ping"));
}

TEST_F(Vfs, DanglingSymlinks) {
    make_directory("d");
    make_symlink("dangling", "nowhere");
    make_symlink("dangling_absolute", here("/d/nowhere"));
    make_symlink("dangling_parent", "nowhere/x");
    EXPECT_EQ(walked(base, "dangling"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "dangling/"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "dangling/x"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "dangling_absolute"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "dangling_parent"), failed(Errno::enoent));
    // The link itself is there (lstat, unlink, O_NOFOLLOW|O_PATH).
    EXPECT_EQ(walked(base, "dangling", 0), here("/dangling"));
    EXPECT_EQ(walked(base, "dangling_absolute", 0), here("/dangling_absolute"));
    // Once its target exists it leads there.
    make_file("nowhere");
    EXPECT_EQ(walked(base, "dangling"), here("/nowhere"));
}

// ---- walk_parent ------------------------------------------------------------------

TEST_F(Vfs, WalkParent) {
    Ref<Node> a = make_directory("a");
    make_directory("a/b");
    make_file("f");
    make_symlink("to_a", "a");

    const char* path = "a/b";
    ParentWalk result = value(walk_parent(base, path));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    EXPECT_EQ(result.parent.node(), a.get());
    EXPECT_EQ(text_of(result.last), "b");
    EXPECT_EQ(result.last.text, path + 2);  // points into the path
    EXPECT_FALSE(result.trailing_slash);

    const char* slashes = "a//b//";
    result = value(walk_parent(base, slashes));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    EXPECT_EQ(text_of(result.last), "b");
    EXPECT_EQ(result.last.text, slashes + 3);
    EXPECT_TRUE(result.trailing_slash);

    // One component: the start is the parent; the last component need not exist.
    result = value(walk_parent(base, "new"));
    EXPECT_EQ(path_of(result.parent), here());
    EXPECT_EQ(text_of(result.last), "new");
    result = value(walk_parent(base, "a/missing/"));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    EXPECT_EQ(text_of(result.last), "missing");
    EXPECT_TRUE(result.trailing_slash);

    // Absolute, and the root's own children.
    result = value(walk_parent(at("a"), here("/a/b").c_str()));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    result = value(walk_parent(base, base_path.c_str()));
    EXPECT_EQ(path_of(result.parent), "/");
    EXPECT_EQ(text_of(result.last), base_path.substr(1));

    // "." and ".." are handed back for the caller to judge.
    result = value(walk_parent(base, "a/."));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    EXPECT_EQ(text_of(result.last), ".");
    result = value(walk_parent(base, ".."));
    EXPECT_EQ(path_of(result.parent), here());
    EXPECT_EQ(text_of(result.last), "..");

    // The directory part follows symlinks; the last component is left alone.
    result = value(walk_parent(base, "to_a/b"));
    EXPECT_EQ(path_of(result.parent), here("/a"));
    result = value(walk_parent(base, "to_a/"));
    EXPECT_EQ(path_of(result.parent), here());
    EXPECT_EQ(text_of(result.last), "to_a");
    EXPECT_TRUE(result.trailing_slash);
}

TEST_F(Vfs, WalkParentOfTheRoot) {
    for (const char* path : {"/", "///"}) {
        ParentWalk result = value(walk_parent(base, path));
        EXPECT_EQ(path_of(result.parent), "/") << path;
        EXPECT_EQ(result.parent.node(), root.node()) << path;
        EXPECT_EQ(result.last.length, 0u) << path;
        EXPECT_TRUE(result.trailing_slash) << path;
    }
}

TEST_F(Vfs, WalkParentFailures) {
    make_file("f");
    make_symlink("dangling", "nowhere");
    EXPECT_EQ(failure(walk_parent(base, "")), Errno::enoent);
    EXPECT_EQ(failure(walk_parent(base, "missing/x")), Errno::enoent);
    EXPECT_EQ(failure(walk_parent(base, "dangling/x")), Errno::enoent);
    EXPECT_EQ(failure(walk_parent(base, "f/x")), Errno::enotdir);
    std::string too_long(name_max + 1, 'n');
    EXPECT_EQ(failure(walk_parent(base, too_long.c_str())), Errno::enametoolong);
    EXPECT_EQ(failure(walk_parent(base, (too_long + "/").c_str())), Errno::enametoolong);
    // As Linux's mkdir("missing/<256 bytes>"): the directory part fails first.
    EXPECT_EQ(failure(walk_parent(base, ("missing/" + too_long).c_str())), Errno::enoent);
    EXPECT_EQ(failure(walk_parent(base, ("f/" + too_long).c_str())), Errno::enotdir);
    std::string longest(name_max, 'n');
    EXPECT_EQ(text_of(value(walk_parent(base, longest.c_str())).last), longest);
    std::string too_long_path(path_max - 1, '/');
    too_long_path += "x";
    EXPECT_EQ(failure(walk_parent(base, too_long_path.c_str())), Errno::enametoolong);
}

// ---- Mounts -----------------------------------------------------------------------

TEST_F(Vfs, WalkIntoAMountedFileSystem) {
    Ref<Node> point = make_directory("mnt");
    make_file("f");
    Ref<Node> mounted = make_tmpfs_root(0700);
    ASSERT_TRUE(mounted);
    Ref<Node> inner = value(mounted->make_directory(name("d"), 0755));
    Ref<Node> file = value(inner->create(name("g"), 0644));
    value(point->create(name("hidden"), 0644));
    succeeds(mount(here("/mnt").c_str(), *mounted, "testfs", true));

    EXPECT_EQ(mounted_on(*point), mounted.get());
    EXPECT_EQ(mounted_on(*mounted), nullptr);
    EXPECT_EQ(mounted_on(*base_node), nullptr);
    EXPECT_TRUE(is_mount_root(*mounted));
    EXPECT_FALSE(is_mount_root(*point));

    Location top = at("mnt");
    EXPECT_EQ(top.node(), mounted.get());
    EXPECT_EQ(path_of(top), here("/mnt"));
    EXPECT_EQ(walked(base, "mnt/d/g"), here("/mnt/d/g"));
    EXPECT_EQ(value(walk(base, "mnt/d/g", 0)).node(), file.get());
    EXPECT_EQ(walked(root, here("/mnt/d")), here("/mnt/d"));
    // The mount point's own entries are hidden under the mount.
    EXPECT_EQ(walked(base, "mnt/hidden"), failed(Errno::enoent));

    // ".." out of the mounted root goes to the directory holding the mount point.
    EXPECT_EQ(walked(top, ".."), here());
    EXPECT_EQ(value(walk(top, "..", 0)).node(), base_node.get());
    EXPECT_EQ(walked(base, "mnt/.."), here());
    EXPECT_EQ(walked(base, "mnt/d/../../f"), here("/f"));
    EXPECT_EQ(walked(at("mnt/d"), "../../mnt/d/g"), here("/mnt/d/g"));

    // /proc/self/mounts' view: the root first, then the mounts in order.
    struct Seen {
        std::vector<std::string> paths;
        bool found_read_only = false;
    } seen;
    for_each_mount(
        [](const char* path, const char* type, bool read_only, void* context) {
            auto* seen = static_cast<Seen*>(context);
            seen->paths.push_back(path);
            if (!strcmp(type, "testfs")) seen->found_read_only = read_only;
        },
        &seen);
    ASSERT_FALSE(seen.paths.empty());
    EXPECT_EQ(seen.paths.front(), "/");
    EXPECT_EQ(seen.paths.back(), here("/mnt"));
    EXPECT_TRUE(seen.found_read_only);
}

TEST_F(Vfs, SymlinksAcrossAMount) {
    make_directory("mnt");
    make_directory("a");
    Ref<Node> mounted = make_tmpfs_root(0755);
    succeeds(mount(here("/mnt").c_str(), *mounted, "tmpfs", false));
    // Links inside the mounted file system, and one outside pointing into it.
    value(mounted->make_symlink(name("up"), name("../a")));
    std::string absolute = here("/a");
    value(mounted->make_symlink(name("absolute"), Name{absolute.data(), static_cast<uint32_t>(absolute.size())}));
    make_symlink("into", "mnt/up");
    EXPECT_EQ(walked(base, "mnt/up"), here("/a"));
    EXPECT_EQ(walked(base, "mnt/absolute"), here("/a"));
    EXPECT_EQ(walked(base, "into"), here("/a"));
    // A symlink to the mount point lands on the mounted root.
    make_symlink("to_mnt", "mnt");
    EXPECT_EQ(value(walk(base, "to_mnt", walk_follow)).node(), mounted.get());
}

TEST_F(Vfs, MountOverAMountStacks) {
    make_directory("mnt");
    Ref<Node> first = make_tmpfs_root(0755), second = make_tmpfs_root(0755);
    value(first->create(name("first"), 0644));
    value(second->create(name("second"), 0644));
    succeeds(mount(here("/mnt").c_str(), *first, "tmpfs", false));
    succeeds(mount(here("/mnt").c_str(), *second, "tmpfs", false));
    // As Linux's mount over a mount: the newest hides the others, ".." still leaves all.
    EXPECT_EQ(mounted_on(*first), second.get());
    EXPECT_EQ(at("mnt").node(), second.get());
    EXPECT_EQ(walked(base, "mnt/second"), here("/mnt/second"));
    EXPECT_EQ(walked(base, "mnt/first"), failed(Errno::enoent));
    EXPECT_EQ(walked(base, "mnt/.."), here());
}

TEST_F(Vfs, MountNeedsAnExistingDirectory) {
    make_file("f");
    Ref<Node> mounted = make_tmpfs_root(0755);
    EXPECT_EQ(failure(mount(here("/missing").c_str(), *mounted, "tmpfs", false)), Errno::enoent);
    EXPECT_EQ(failure(mount(here("/f").c_str(), *mounted, "tmpfs", false)), Errno::enotdir);
    EXPECT_FALSE(is_mount_root(*mounted));
}

// ---- openat2's RESOLVE_* restrictions ---------------------------------------------

TEST_F(Vfs, ResolveBeneath) {
    make_directory("a");
    make_directory("a/b");
    make_symlink("a/up", "../a/b");
    make_symlink("a/out", "../..");
    make_symlink("a/absolute", here("/a"));
    Location from = at("a");
    EXPECT_EQ(walked(from, "b/..", walk_beneath), here("/a"));
    EXPECT_EQ(walked(from, "b/../b", walk_beneath), here("/a/b"));
    EXPECT_EQ(walked(from, "..", walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, "b/../..", walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, here("/a"), walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, "out", walk_follow | walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, "absolute", walk_follow | walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, "up", walk_follow | walk_beneath), failed(Errno::exdev));
    EXPECT_EQ(walked(from, "absolute", walk_beneath), here("/a/absolute"));  // not followed
}

TEST_F(Vfs, ResolveInRoot) {
    make_directory("a");
    make_directory("a/b");
    make_symlink("a/absolute", "/b");
    make_symlink("a/out", "../../..");
    Location from = at("a");
    EXPECT_EQ(walked(from, "..", walk_in_root), here("/a"));
    EXPECT_EQ(walked(from, "../../b", walk_in_root), here("/a/b"));
    EXPECT_EQ(walked(from, "/b", walk_in_root), here("/a/b"));
    EXPECT_EQ(walked(from, "/", walk_in_root), here("/a"));
    EXPECT_EQ(walked(from, "absolute", walk_follow | walk_in_root), here("/a/b"));
    EXPECT_EQ(walked(from, "out/b", walk_in_root), here("/a/b"));
    ParentWalk parent = value(walk_parent(from, "/", walk_in_root));
    EXPECT_EQ(path_of(parent.parent), here("/a"));
    parent = value(walk_parent(from, "/../x", walk_in_root));
    EXPECT_EQ(path_of(parent.parent), here("/a"));
    EXPECT_EQ(failure(walk_parent(from, "/", walk_beneath)), Errno::exdev);
}

TEST_F(Vfs, ResolveNoSymlinksAndNoXdev) {
    make_directory("d");
    make_directory("mnt");
    make_symlink("link", "d");
    Ref<Node> mounted = make_tmpfs_root(0755);
    value(mounted->make_directory(name("inner"), 0755));
    succeeds(mount(here("/mnt").c_str(), *mounted, "tmpfs", false));

    EXPECT_EQ(walked(base, "link", walk_follow | walk_no_symlinks), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "link/", walk_no_symlinks), failed(Errno::eloop));
    EXPECT_EQ(walked(base, "link", walk_no_symlinks), here("/link"));  // not followed: no symlink walked through
    EXPECT_EQ(walked(base, "d", walk_follow | walk_no_symlinks), here("/d"));

    EXPECT_EQ(walked(base, "mnt", walk_no_xdev), failed(Errno::exdev));
    EXPECT_EQ(walked(base, "mnt/inner", walk_no_xdev), failed(Errno::exdev));
    Location inside = at("mnt");
    EXPECT_EQ(walked(inside, "inner", walk_no_xdev), here("/mnt/inner"));
    EXPECT_EQ(walked(inside, "inner/..", walk_no_xdev), here("/mnt"));
    EXPECT_EQ(walked(inside, "..", walk_no_xdev), failed(Errno::exdev));
}

// ---- Locations --------------------------------------------------------------------

TEST_F(Vfs, LocationPathNeedsRoom) {
    make_directory("abc");
    Location location = at("abc");
    std::string expected = here("/abc");
    std::vector<char> buffer(expected.size());
    uint64_t length = 0;
    EXPECT_TRUE(location.path(buffer.data(), buffer.size(), length));
    EXPECT_EQ(std::string(buffer.data(), length), expected);
    EXPECT_FALSE(location.path(buffer.data(), buffer.size() - 1, length));
    char one;
    EXPECT_TRUE(root.path(&one, 1, length));
    EXPECT_EQ(length, 1u);
    EXPECT_EQ(one, '/');
    EXPECT_FALSE(root.path(&one, 0, length));
}

TEST_F(Vfs, LocationsHoldTheirNodes) {
    Ref<Node> d = make_directory("d");
    uint64_t before = d->references();
    {
        Location location = at("d");
        EXPECT_EQ(d->references(), before + 1);
        Location copy(location);
        EXPECT_EQ(d->references(), before + 2);
        copy.leave();
        EXPECT_EQ(d->references(), before + 1);
        EXPECT_EQ(path_of(copy), here());
    }
    EXPECT_EQ(d->references(), before);
}

// ---- The start of a walk, the working directory, umask ----------------------------

// Short names and shallow chains live inside a Location, longer ones on the heap: both
// kinds survive copies, moves, assignments and leaving, at every depth.
TEST_F(Vfs, LocationsWithLongNamesAndDeepChains) {
    const std::string long_name(200, 'n');
    const std::string names[] = {
        "a", long_name, "exactly_twenty_four_byte", "twenty_five_bytes_is_more", "b", "c", "d", long_name + "2",
        "e", "f"};
    std::string path, expected = here();
    std::vector<Ref<Node>> nodes;
    for (const std::string& component : names) {
        path += (path.empty() ? "" : "/") + component;
        expected += "/" + component;
        nodes.push_back(make_directory(path.c_str()));
    }
    Location deep = at(path.c_str());
    EXPECT_EQ(deep.node(), nodes.back().get());
    EXPECT_EQ(path_of(deep), expected);
    Location copy(deep);
    EXPECT_EQ(path_of(copy), expected);
    Location moved(static_cast<Location&&>(copy));
    EXPECT_EQ(copy.depth(), 0u);
    EXPECT_EQ(path_of(moved), expected);
    Location assigned = at("a");
    assigned = moved;
    EXPECT_EQ(path_of(assigned), expected);
    Location shallow = at("a");
    shallow = static_cast<Location&&>(assigned);  // an inline chain takes a heap one
    EXPECT_EQ(path_of(shallow), expected);
    assigned = at("a");  // and the other way
    EXPECT_EQ(path_of(assigned), here("/a"));
    for (size_t i = 0; i < 8; ++i) shallow.leave();
    EXPECT_EQ(path_of(shallow), here("/a/" + long_name));
    EXPECT_EQ(shallow.node(), nodes[1].get());
    uint64_t references = nodes.back()->references();
    {
        Location again(deep);
        EXPECT_EQ(nodes.back()->references(), references + 1);
    }
    EXPECT_EQ(nodes.back()->references(), references);
}

TEST_F(Vfs, StartForAnAbsolutePathIsTheRoot) {
    EXPECT_EQ(outcome(start_for(at_fdcwd, "/x")), "/");
    EXPECT_EQ(outcome(start_for(12345, "/x")), "/");  // dirfd is not even looked at
    EXPECT_EQ(outcome(start_for(-1, "/")), "/");
}

TEST_F(Vfs, StartForTheWorkingDirectory) {
    make_directory("a");
    make_file("a/f");
    set_working_directory(at("a"));
    EXPECT_EQ(outcome(start_for(at_fdcwd, "f")), here("/a"));
    EXPECT_EQ(outcome(start_for(at_fdcwd, "")), here("/a"));
    Location start = value(start_for(at_fdcwd, "f"));
    EXPECT_EQ(walked(start, "f"), here("/a/f"));
}

TEST_F(Vfs, StartForADirectoryDescriptor) {
    Ref<Node> d = make_directory("d");
    make_file("d/f");
    Ref<File> directory(new NodeFile(*d, o_rdonly | o_directory));
    ASSERT_TRUE(directory->set_location(at("d")));
    int32_t fd = value(install_fd(directory, false));
    EXPECT_EQ(outcome(start_for(fd, "f")), here("/d"));
    EXPECT_EQ(outcome(start_for(fd, "")), here("/d"));
    EXPECT_EQ(walked(value(start_for(fd, "f")), "f"), here("/d/f"));
    EXPECT_EQ(walked(value(start_for(fd, "..")), ".."), here());
    // The working directory does not matter to it.
    set_working_directory(root);
    EXPECT_EQ(outcome(start_for(fd, "f")), here("/d"));
}

TEST_F(Vfs, StartForOtherDescriptors) {
    Ref<Node> f = make_file("f");
    Ref<File> file(new NodeFile(*f, o_rdonly));
    ASSERT_TRUE(file->set_location(at("f")));
    int32_t file_fd = value(install_fd(file, false));
    EXPECT_EQ(outcome(start_for(file_fd, "x")), failed(Errno::enotdir));
    EXPECT_EQ(outcome(start_for(file_fd, "")), here("/f"));  // AT_EMPTY_PATH: the file itself

    // A file with no place in the tree (a pipe, an eventfd).
    int32_t placeless = value(install_fd(plain_file(), false));
    EXPECT_EQ(outcome(start_for(placeless, "x")), failed(Errno::enotdir));
    EXPECT_EQ(outcome(start_for(placeless, "")), failed(Errno::ebadf));

    EXPECT_EQ(outcome(start_for(-1, "x")), failed(Errno::ebadf));
    EXPECT_EQ(outcome(start_for(999, "x")), failed(Errno::ebadf));
    succeeds(close_fd(file_fd));
    EXPECT_EQ(outcome(start_for(file_fd, "x")), failed(Errno::ebadf));
}

TEST_F(Vfs, WorkingDirectory) {
    Ref<Node> a = make_directory("a");
    make_directory("a/b");
    Location location = at("a");
    set_working_directory(location);
    EXPECT_EQ(path_of(working_directory()), here("/a"));
    EXPECT_EQ(working_directory().node(), a.get());
    // It is a copy: the caller's location moving on does not move it.
    location.leave();
    EXPECT_EQ(path_of(working_directory()), here("/a"));
    // It holds a reference until it changes.
    uint64_t before = a->references();
    set_working_directory(base);
    EXPECT_EQ(a->references(), before - 1);
    EXPECT_EQ(path_of(working_directory()), here());
    set_working_directory(at("a/b"));
    EXPECT_EQ(a->references(), before);  // a step of the new one's chain
    EXPECT_EQ(path_of(working_directory()), here("/a/b"));
    EXPECT_EQ(walked(working_directory(), ".."), here("/a"));
}

TEST_F(Vfs, Umask) {
    EXPECT_EQ(umask(), 022u);
    EXPECT_EQ(set_umask(077), 022u);
    EXPECT_EQ(umask(), 077u);
    EXPECT_EQ(set_umask(01777), 077u);  // only the permission bits (umask(2))
    EXPECT_EQ(umask(), 0777u);
    EXPECT_EQ(set_umask(0), 0777u);
    EXPECT_EQ(umask(), 0u);
}

// ---- The file-descriptor table ----------------------------------------------------

using FdTable = Vfs;

TEST_F(FdTable, InstallTakesTheLowestFree) {
    Ref<File> a = plain_file(), b = plain_file(), c = plain_file(), d = plain_file();
    EXPECT_EQ(value(install_fd(a, false)), 0);
    EXPECT_EQ(value(install_fd(b, false)), 1);
    EXPECT_EQ(value(install_fd(c, false)), 2);
    EXPECT_EQ(value(file_of(1)).get(), b.get());
    succeeds(close_fd(1));
    EXPECT_EQ(value(install_fd(d, false)), 1);
    EXPECT_EQ(value(file_of(1)).get(), d.get());
    EXPECT_EQ(value(install_fd(b, false)), 3);
    // The same description may sit at several descriptors (dup).
    EXPECT_EQ(value(install_fd(a, false)), 4);
    EXPECT_EQ(value(file_of(4)).get(), a.get());
    EXPECT_EQ(value(file_of(0)).get(), a.get());
}

TEST_F(FdTable, InstallFromALowestDescriptor) {
    Ref<File> file = plain_file();
    EXPECT_EQ(value(install_fd(file, false, 10)), 10);  // F_DUPFD
    EXPECT_EQ(value(install_fd(file, false, 10)), 11);
    EXPECT_EQ(value(install_fd(file, false, 5)), 5);
    EXPECT_EQ(value(install_fd(file, false)), 0);
    EXPECT_EQ(value(install_fd(file, false, 200)), 200);  // beyond the table's first size
    EXPECT_EQ(value(file_of(10)).get(), file.get());
    EXPECT_EQ(failure(file_of(12)), Errno::ebadf);
    EXPECT_EQ(failure(install_fd(file, false, -1)), Errno::einval);
    EXPECT_EQ(failure(install_fd(file, false, 1024)), Errno::einval);  // F_DUPFD at RLIMIT_NOFILE
}

TEST_F(FdTable, TooManyOpenFiles) {
    set_fd_limit(4);
    EXPECT_EQ(fd_limit(), 4u);
    Ref<File> file = plain_file();
    for (int32_t fd = 0; fd < 4; ++fd) EXPECT_EQ(value(install_fd(file, false)), fd);
    EXPECT_EQ(failure(install_fd(file, false)), Errno::emfile);
    EXPECT_EQ(failure(install_fd(file, false, 3)), Errno::emfile);
    EXPECT_EQ(failure(install_fd(file, false, 4)), Errno::einval);
    EXPECT_EQ(failure(install_fd_at(4, file, false)), Errno::ebadf);  // dup2 beyond the limit
    EXPECT_EQ(value(install_fd_at(3, plain_file(), false)), 3);
    // A failed install takes no reference.
    EXPECT_EQ(file->references(), 4u);
    succeeds(close_fd(2));
    EXPECT_EQ(value(install_fd(file, false)), 2);
}

TEST_F(FdTable, LoweringTheLimitKeepsOpenDescriptors) {
    Ref<File> file = plain_file();
    EXPECT_EQ(fd_limit(), 1024u);
    EXPECT_EQ(value(install_fd(file, false, 20)), 20);
    set_fd_limit(8);
    EXPECT_EQ(fd_limit(), 8u);
    EXPECT_EQ(value(file_of(20)).get(), file.get());
    EXPECT_EQ(failure(install_fd(file, false, 8)), Errno::einval);
    EXPECT_EQ(value(install_fd(file, false, 7)), 7);
    EXPECT_EQ(failure(install_fd(file, false, 7)), Errno::emfile);
    succeeds(close_fd(20));
    set_fd_limit(64);
    EXPECT_EQ(value(install_fd(file, false, 8)), 8);
}

TEST_F(FdTable, InstallAtReplacesAndReleasesTheOldFile) {
    bool old_destroyed = false;
    Ref<File> old(new TrackedFile(old_destroyed));
    Ref<File> replacement = plain_file();
    EXPECT_EQ(value(install_fd_at(5, old, false)), 5);
    EXPECT_EQ(old->references(), 2u);  // ours and the table's
    EXPECT_EQ(value(install_fd_at(5, replacement, true)), 5);
    EXPECT_EQ(old->references(), 1u);
    EXPECT_EQ(replacement->references(), 2u);
    EXPECT_EQ(value(file_of(5)).get(), replacement.get());
    EXPECT_TRUE(value(close_on_exec(5)));
    // When the table held the last reference, the file goes.
    File* raw = old.get();
    EXPECT_EQ(value(install_fd_at(6, Ref<File>(raw), false)), 6);
    old.reset();
    EXPECT_FALSE(old_destroyed);
    EXPECT_EQ(value(install_fd_at(6, replacement, false)), 6);
    EXPECT_TRUE(old_destroyed);
    // Far beyond the table's size, and below zero.
    EXPECT_EQ(value(install_fd_at(900, replacement, false)), 900);
    EXPECT_EQ(value(file_of(900)).get(), replacement.get());
    EXPECT_EQ(value(file_of(5)).get(), replacement.get());
    EXPECT_EQ(failure(install_fd_at(-1, replacement, false)), Errno::ebadf);
    // dup2(fd, fd) at the table's level: the file stays.
    EXPECT_EQ(value(install_fd_at(5, replacement, false)), 5);
    EXPECT_EQ(value(file_of(5)).get(), replacement.get());
}

TEST_F(FdTable, CloseReleasesTheFile) {
    bool destroyed = false;
    int32_t fd = value(install_fd(Ref<File>(new TrackedFile(destroyed)), false));
    EXPECT_FALSE(destroyed);
    Ref<File> held = value(file_of(fd));
    EXPECT_EQ(held->references(), 2u);
    succeeds(close_fd(fd));
    EXPECT_EQ(held->references(), 1u);
    EXPECT_FALSE(destroyed);
    held.reset();
    EXPECT_TRUE(destroyed);
    EXPECT_EQ(failure(file_of(fd)), Errno::ebadf);
    EXPECT_EQ(failure(close_fd(fd)), Errno::ebadf);
    EXPECT_EQ(failure(close_fd(-1)), Errno::ebadf);
    EXPECT_EQ(failure(close_fd(100000)), Errno::ebadf);
    EXPECT_EQ(failure(file_of(-5)), Errno::ebadf);
}

TEST_F(FdTable, CloseOnExec) {
    int32_t plain = value(install_fd(plain_file(), false));
    int32_t cloexec = value(install_fd(plain_file(), true));
    EXPECT_FALSE(value(close_on_exec(plain)));
    EXPECT_TRUE(value(close_on_exec(cloexec)));
    succeeds(set_close_on_exec(plain, true));
    succeeds(set_close_on_exec(cloexec, false));
    EXPECT_TRUE(value(close_on_exec(plain)));
    EXPECT_FALSE(value(close_on_exec(cloexec)));
    // The flag belongs to the descriptor: closing forgets it.
    succeeds(close_fd(plain));
    EXPECT_EQ(failure(close_on_exec(plain)), Errno::ebadf);
    EXPECT_EQ(failure(set_close_on_exec(plain, true)), Errno::ebadf);
    EXPECT_EQ(value(install_fd(plain_file(), false)), plain);
    EXPECT_FALSE(value(close_on_exec(plain)));
    EXPECT_EQ(failure(close_on_exec(-1)), Errno::ebadf);
    EXPECT_EQ(failure(set_close_on_exec(5000, false)), Errno::ebadf);
}

TEST_F(FdTable, ForEachFdInOrder) {
    EXPECT_TRUE(open_fds().empty());
    Ref<File> files[4] = {plain_file(), plain_file(), plain_file(), plain_file()};
    EXPECT_EQ(value(install_fd_at(70, files[0], false)), 70);
    EXPECT_EQ(value(install_fd_at(2, files[1], false)), 2);
    EXPECT_EQ(value(install_fd_at(30, files[2], false)), 30);
    EXPECT_EQ(value(install_fd(files[3], false)), 0);
    struct Visit {
        int32_t fd;
        File* file;
    };
    std::vector<Visit> visits;
    for_each_fd(
        [](int32_t fd, File& file, void* context) {
            static_cast<std::vector<Visit>*>(context)->push_back(Visit{fd, &file});
        },
        &visits);
    ASSERT_EQ(visits.size(), 4u);
    int32_t fds[] = {0, 2, 30, 70};
    File* expected[] = {files[3].get(), files[1].get(), files[2].get(), files[0].get()};
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(visits[i].fd, fds[i]);
        EXPECT_EQ(visits[i].file, expected[i]);
    }
    succeeds(close_fd(30));
    EXPECT_EQ(open_fds(), (std::vector<int32_t>{0, 2, 70}));
}

}  // namespace
