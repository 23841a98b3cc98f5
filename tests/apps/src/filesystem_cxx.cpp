// std::filesystem and iostreams on files, in $SCRATCH (tmpfs or a --mount under Eremite).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

static std::vector<std::string> listing(const fs::path& where, bool recursive) {
    std::vector<std::string> names;
    if (recursive) {
        for (auto& entry : fs::recursive_directory_iterator(where))
            names.push_back(fs::relative(entry.path(), where).string() + (entry.is_directory() ? "/" : ""));
    } else {
        for (auto& entry : fs::directory_iterator(where)) names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());  // iteration order is the file system's own
    return names;
}

static void show(const char* what, const std::vector<std::string>& names) {
    std::cout << what << ":";
    for (auto& name : names) std::cout << ' ' << name;
    std::cout << '\n';
}

int main() {
    const char* scratch = std::getenv("SCRATCH");
    if (!scratch) return 2;
    fs::create_directories(scratch);
    fs::current_path(scratch);
    fs::path root = "tree";

    std::cout << "create_directories: " << fs::create_directories(root / "a" / "b" / "c") << '\n';
    std::cout << "again: " << fs::create_directories(root / "a" / "b" / "c") << '\n';
    {
        std::ofstream out(root / "a" / "hello.txt");
        out << "hello from iostreams\n" << 42 << '\n';
    }
    {
        std::ifstream in(root / "a" / "hello.txt");
        std::string line;
        while (std::getline(in, line)) std::cout << "read: " << line << '\n';
    }
    std::cout << "file_size: " << fs::file_size(root / "a" / "hello.txt") << '\n';
    std::cout << "exists: " << fs::exists(root / "a") << fs::exists(root / "nope") << '\n';
    std::cout << "is_directory: " << fs::is_directory(root / "a") << fs::is_regular_file(root / "a") << '\n';

    fs::copy_file(root / "a" / "hello.txt", root / "copy.txt");
    fs::copy(root / "a", root / "a_copy", fs::copy_options::recursive);
    show("recursive listing", listing(root, true));

    fs::rename(root / "copy.txt", root / "a" / "b" / "moved.txt");
    show("after rename", listing(root / "a" / "b", false));

    fs::create_symlink("a/hello.txt", root / "link");
    std::cout << "is_symlink: " << fs::is_symlink(root / "link") << '\n';
    std::cout << "read_symlink: " << fs::read_symlink(root / "link").string() << '\n';
    std::string canonical = fs::canonical(root / "link").string();
    std::string tail = "/tree/a/hello.txt";
    std::cout << "canonical ends with tree/a/hello.txt: "
              << (canonical.size() > tail.size() &&
                  canonical.compare(canonical.size() - tail.size(), tail.size(), tail) == 0)
              << '\n';
    fs::create_hard_link(root / "a" / "hello.txt", root / "hard");
    std::cout << "hard_link_count: " << fs::hard_link_count(root / "hard") << '\n';

    fs::permissions(root / "hard", fs::perms::owner_read | fs::perms::owner_write);
    std::cout << "perms: " << std::oct << static_cast<int>(fs::status(root / "hard").permissions()) << std::dec << '\n';
    fs::resize_file(root / "hard", 5);
    std::cout << "resized: " << fs::file_size(root / "a" / "hello.txt") << '\n';

    auto space = fs::space(".");
    std::cout << "space has capacity: " << (space.capacity > 0)
              << " free <= capacity: " << (space.free <= space.capacity) << '\n';

    std::error_code error;
    fs::remove(root / "a", error);
    std::cout << "remove non-empty: " << (error ? "error" : "ok") << '\n';
    std::cout << "remove_all: " << fs::remove_all(root) << '\n';
    std::cout << "exists after: " << fs::exists(root) << '\n';
    return 0;
}
