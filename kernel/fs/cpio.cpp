#include "fs/cpio.hpp"

#include <stdarg.h>

#include "lib/format.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "lib/vector.hpp"

namespace eremite::fs {
namespace {

constexpr uint64_t header_size = 110;
constexpr uint32_t field_count = 13;
constexpr char trailer_name[] = "TRAILER!!!";

enum Field : uint32_t {
    field_inode,
    field_mode,
    field_uid,
    field_gid,
    field_link_count,
    field_modify_time,
    field_size,
    field_device_major,
    field_device_minor,
    field_rdev_major,
    field_rdev_minor,
    field_name_size,
    field_check,
};
const char* const field_names[field_count] = {"ino",       "mode",     "uid",      "gid",      "nlink",
                                              "mtime",     "filesize", "devmajor", "devminor", "rdevmajor",
                                              "rdevminor", "namesize", "check"};

int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool contains_nul(const void* text, uint64_t length) {
    const auto* bytes = static_cast<const uint8_t*>(text);
    for (uint64_t i = 0; i < length; ++i)
        if (!bytes[i]) return true;
    return false;
}

}  // namespace

Error CpioReader::fail(const char* format_text, ...) {
    va_list args;
    va_start(args, format_text);
    vformat(message_, sizeof message_, format_text, args);
    va_end(args);
    return error(Errno::einval);
}

Result<bool> CpioReader::next(CpioEntry& entry) {
    for (;;) {
        if (between_archives_) {
            // NUL padding may come before an archive and after its trailer.
            while (offset_ < size_ && start_[offset_] == 0) ++offset_;
            if (offset_ == size_) {
                if (archive_ == 0) return fail("no cpio archive: empty, or only NUL bytes");
                return false;
            }
        }
        uint64_t at = offset_;
        if (at % 4) return fail("misaligned header at offset %lu", at);
        const uint8_t* header = start_ + at;
        uint64_t left = size_ - at;
        // The magic first (as much of it as there is), for the clearer message.
        bool with_checksum = left >= 6 && !memcmp(header, "070702", 6);
        if (memcmp(header, "070701", min<uint64_t>(left, 6)) && !with_checksum) {
            if (between_archives_ && archive_ > 0) return fail("junk after the trailer at offset %lu", at);
            if (left >= 6 && !memcmp(header, "070707", 6))
                return fail("old-style (odc) cpio header at offset %lu: only newc (cpio -H newc) is read", at);
            return fail("bad magic at offset %lu: not a newc cpio header (070701)", at);
        }
        if (left < header_size)
            return fail("truncated header at offset %lu (%lu bytes left, a header is %lu)", at, left, header_size);

        uint32_t fields[field_count];
        for (uint32_t field = 0; field < field_count; ++field) {
            uint32_t value = 0;
            for (uint32_t digit = 0; digit < 8; ++digit) {
                int nibble = hex_value(header[6 + field * 8 + digit]);
                if (nibble < 0)
                    return fail("bad hex digit in the %s field of the header at offset %lu", field_names[field], at);
                value = value << 4 | static_cast<uint32_t>(nibble);
            }
            fields[field] = value;
        }

        uint64_t name_size = fields[field_name_size];
        if (name_size == 0) return fail("entry at offset %lu has no name (namesize 0)", at);
        if (name_size > path_max) return fail("name of %lu bytes at offset %lu: longer than PATH_MAX", name_size, at);
        uint64_t name_at = at + header_size;
        if (size_ - name_at < name_size) return fail("truncated name at offset %lu", name_at);
        const char* name = reinterpret_cast<const char*>(start_ + name_at);
        uint32_t name_length = static_cast<uint32_t>(name_size - 1);
        if (name[name_length] != 0) return fail("name at offset %lu is not NUL-terminated", name_at);
        if (contains_nul(name, name_length)) return fail("name at offset %lu has a NUL inside", name_at);

        // The data starts 4-aligned; both alignments fit in 64 bits as name_size <= PATH_MAX.
        uint64_t data_at = align_up(name_at + name_size, 4);
        uint64_t size = fields[field_size];
        if (data_at > size_ || size_ - data_at < size)
            return fail("%.*s: %lu bytes of data at offset %lu, past the end of the archive (%lu bytes)",
                        static_cast<int>(name_length), name, size, data_at, size_);
        offset_ = min(align_up(data_at + size, 4), size_);
        between_archives_ = false;

        if (name_length == sizeof trailer_name - 1 && !memcmp(name, trailer_name, name_length)) {
            ++archive_;
            between_archives_ = true;
            continue;
        }
        if (with_checksum) {
            uint32_t sum = 0;
            for (uint64_t i = 0; i < size; ++i) sum += start_[data_at + i];
            if (sum != fields[field_check])
                return fail("%.*s: checksum mismatch (070702 archive)", static_cast<int>(name_length), name);
        }

        entry.inode = fields[field_inode];
        entry.mode = fields[field_mode];
        entry.uid = fields[field_uid];
        entry.gid = fields[field_gid];
        entry.link_count = fields[field_link_count];
        entry.modify_time = fields[field_modify_time];
        entry.device_major = fields[field_device_major];
        entry.device_minor = fields[field_device_minor];
        entry.rdev_major = fields[field_rdev_major];
        entry.rdev_minor = fields[field_rdev_minor];
        entry.name = Name{name, name_length};
        entry.data = start_ + data_at;
        entry.size = size;
        entry.archive = archive_;
        return true;
    }
}

namespace {

// One path component at a time: leading slashes are dropped, "." components skipped.
class PathComponents {
public:
    explicit PathComponents(Name path) : cursor_(path.text), end_(path.text + path.length) {
        while (cursor_ < end_ && *cursor_ == '/') ++cursor_;
        skip_dots();
    }
    bool done() const { return cursor_ == end_; }
    // The next component; an empty one (from "a//b" or "a/") is returned as such.
    Name next() {
        const char* start = cursor_;
        while (cursor_ < end_ && *cursor_ != '/') ++cursor_;
        Name component{start, static_cast<uint32_t>(cursor_ - start)};
        if (cursor_ < end_) {
            ++cursor_;  // the slash
            if (cursor_ == end_) trailing_empty_ = true;
        }
        skip_dots();
        return component;
    }
    // A trailing slash leaves one last, empty component.
    bool trailing_empty() {
        bool result = trailing_empty_;
        trailing_empty_ = false;
        return result;
    }

private:
    void skip_dots() {
        while (end_ - cursor_ >= 1 && cursor_[0] == '.' && (end_ - cursor_ == 1 || cursor_[1] == '/')) {
            cursor_ += end_ - cursor_ == 1 ? 1 : 2;
        }
    }
    const char* cursor_;
    const char* end_;
    bool trailing_empty_ = false;
};

struct HardLink {
    uint32_t archive;
    uint32_t device_major, device_minor;
    uint64_t inode;
    Node* node;  // a reference held
};

struct DirectoryTime {
    Node* node;  // a reference held
    int64_t seconds;
};

const char* describe(Errno code) {
    switch (code) {
        case Errno::enospc: return "no space left";
        case Errno::enomem: return "out of memory";
        case Errno::enotdir: return "a parent is not a directory";
        case Errno::enotempty: return "a non-empty directory is in the way";
        case Errno::enametoolong: return "a component is longer than NAME_MAX";
        case Errno::eexist: return "already exists";
        default: return "failed";
    }
}

class Unpacker {
public:
    Unpacker(Node& root, char* message, uint64_t capacity) : root_(&root), message_(message), capacity_(capacity) {
        if (capacity_) message_[0] = 0;
    }
    ~Unpacker() {
        for (HardLink& link : hard_links_) link.node->release();
        for (DirectoryTime& time : directory_times_) time.node->release();
    }

    Result<void> unpack(const CpioEntry& entry);
    // Gives the directories their times, last made first, and notes what was skipped.
    void finish();
    CpioSummary summary() const { return summary_; }
    // Says in the message which entry failed and why.
    Error fail(Errno code, const CpioEntry& entry);

private:
    Result<Ref<Node>> parent_of(const CpioEntry& entry, Name& last, bool& is_root);
    Result<void> clear(Node& parent, Name last, bool keep_directory);
    Result<void> make_file(const CpioEntry& entry, Node& parent, Name last);
    Node* find_hard_link(const CpioEntry& entry);
    static Result<void> set_attributes(Node& node, const CpioEntry& entry, bool with_mode, bool with_time);

    Ref<Node> root_;
    char* message_;
    uint64_t capacity_;
    CpioSummary summary_;
    Vector<HardLink> hard_links_;  // searched linearly: hard links are few in an initramfs
    Vector<DirectoryTime> directory_times_;
    char first_skipped_[64] = {};
    const char* reason_ = nullptr;  // set by a step that fails for a reason of its own
};

Error Unpacker::fail(Errno code, const CpioEntry& entry) {
    format(message_, capacity_, "%.*s: %s", static_cast<int>(entry.name.length), entry.name.text,
           reason_ ? reason_ : describe(code));
    return error(code);
}

// Walks to the directory that holds the entry's last component, making the missing ones.
// `is_root` when the name is the root itself ("." or "/").
Result<Ref<Node>> Unpacker::parent_of(const CpioEntry& entry, Name& last, bool& is_root) {
    if (entry.name.length == 0) {
        reason_ = "empty name";
        return error(Errno::einval);
    }
    PathComponents components(entry.name);
    Ref<Node> at = root_;
    is_root = components.done();
    if (is_root) return at;
    for (;;) {
        Name component = components.next();
        if (component.length == 0 || components.trailing_empty()) {
            reason_ = "empty path component";
            return error(Errno::einval);
        }
        if (component.length == 2 && component.text[0] == '.' && component.text[1] == '.') {
            reason_ = "\"..\" in the name";
            return error(Errno::einval);
        }
        if (component.length > name_max) return error(Errno::enametoolong);
        if (components.done()) {
            last = component;
            return at;
        }
        auto child = at->lookup(component);
        if (!child.ok() && child.error_code() == Errno::enoent) {
            child = at->make_directory(component, 0755);
            if (child.ok()) ++summary_.directories;
        }
        if (!child.ok()) return Error{child.error_code()};
        // Never through a symlink: the archive's names stay inside the directory.
        if (!child.value()->is_directory()) return error(Errno::enotdir);
        at = child.value();
    }
}

// Makes room for a new entry named `last`: what is there goes, a directory only when it
// is empty. With `keep_directory` a directory stays (a directory entry updates it).
Result<void> Unpacker::clear(Node& parent, Name last, bool keep_directory) {
    auto existing = parent.lookup(last);
    if (!existing.ok()) return existing.error_code() == Errno::enoent ? Result<void>{} : Error{existing.error_code()};
    if (existing.value()->is_directory()) {
        if (keep_directory) return {};
        return parent.remove_directory(last);
    }
    return parent.unlink(last);
}

Result<void> Unpacker::set_attributes(Node& node, const CpioEntry& entry, bool with_mode, bool with_time) {
    // chown before chmod: chown clears set-user-ID, as in initramfs.c.
    TRY(node.set_owner(entry.uid, entry.gid));
    if (with_mode) TRY(node.set_mode(entry.mode & mode_permission_mask));
    if (with_time) {
        Timestamp time{entry.modify_time, 0};
        TRY(node.set_times(&time, &time));
    }
    return {};
}

Node* Unpacker::find_hard_link(const CpioEntry& entry) {
    for (HardLink& link : hard_links_)
        if (link.inode == entry.inode && link.archive == entry.archive && link.device_major == entry.device_major &&
            link.device_minor == entry.device_minor)
            return link.node;
    return nullptr;
}

Result<void> Unpacker::make_file(const CpioEntry& entry, Node& parent, Name last) {
    Ref<Node> file;
    // newc writes each name of a hard-linked file with the same inode number and the data
    // only with the last one: the first name makes the file, the others link to it, and
    // the data goes in wherever it comes.
    Node* earlier = entry.link_count >= 2 ? find_hard_link(entry) : nullptr;
    if (earlier) {
        TRY(parent.link(last, *earlier));
        ++summary_.hard_links;
        file = Ref<Node>(earlier);
        if (entry.size) TRY(file->truncate(0));
    } else {
        file = TRY(parent.create(last, entry.mode & mode_permission_mask));
        ++summary_.files;
        if (entry.link_count >= 2) {
            if (!hard_links_.push_back(
                    HardLink{entry.archive, entry.device_major, entry.device_minor, entry.inode, file.get()}))
                return error(Errno::enomem);
            file->retain();
        }
    }
    if (entry.size) {
        uint64_t written = TRY(file->write(0, IoBuffer::kernel(entry.data), entry.size));
        if (written != entry.size) return error(Errno::enospc);
    }
    return set_attributes(*file, entry, true, true);
}

Result<void> Unpacker::unpack(const CpioEntry& entry) {
    reason_ = nullptr;
    Name last{nullptr, 0};
    bool is_root = false;
    Ref<Node> parent = TRY(parent_of(entry, last, is_root));
    uint32_t type = entry.mode & mode_type_mask;
    if (is_root) {
        if (type != mode_directory) {
            reason_ = "names the directory unpacked into, but is not a directory";
            return error(Errno::einval);
        }
        TRY(set_attributes(*root_, entry, true, false));
        if (directory_times_.push_back(DirectoryTime{root_.get(), entry.modify_time})) root_->retain();
        return {};
    }

    switch (type) {
        case mode_directory: {
            TRY(clear(*parent, last, true));
            auto existing = parent->lookup(last);
            Ref<Node> directory;
            if (existing.ok()) {
                directory = existing.value();
            } else {
                directory = TRY(parent->make_directory(last, entry.mode & mode_permission_mask));
                ++summary_.directories;
            }
            TRY(set_attributes(*directory, entry, true, false));
            if (directory_times_.push_back(DirectoryTime{directory.get(), entry.modify_time}))
                directory->retain();
            else
                TRY(set_attributes(*directory, entry, false, true));  // out of memory: the time now, then
            return {};
        }
        case mode_regular: TRY(clear(*parent, last, false)); return make_file(entry, *parent, last);
        case mode_symlink: {
            if (entry.size == 0 || entry.size >= path_max) {
                reason_ = entry.size ? "symlink target longer than PATH_MAX" : "empty symlink target";
                return error(Errno::einval);
            }
            if (contains_nul(entry.data, entry.size)) {
                reason_ = "symlink target has a NUL inside";
                return error(Errno::einval);
            }
            TRY(clear(*parent, last, false));
            Ref<Node> link = TRY(parent->make_symlink(
                last, Name{reinterpret_cast<const char*>(entry.data), static_cast<uint32_t>(entry.size)}));
            ++summary_.symlinks;
            return set_attributes(*link, entry, false, true);
        }
        case mode_char_device:
        case mode_block_device:
        case mode_fifo:
        case mode_socket:
            // The node interface has no mknod: /dev is the kernel's own anyway.
            if (!summary_.skipped++)
                format(first_skipped_, sizeof first_skipped_, "%.*s", static_cast<int>(entry.name.length),
                       entry.name.text);
            return {};
        default: reason_ = "unknown file type in mode"; return error(Errno::einval);
    }
}

void Unpacker::finish() {
    for (uint64_t i = directory_times_.size(); i-- > 0;) {
        DirectoryTime& time = directory_times_[i];
        Timestamp stamp{time.seconds, 0};
        (void)time.node->set_times(&stamp, &stamp);  // best effort: the contents are in
    }
    if (summary_.skipped)
        format(message_, capacity_, "skipped %lu device nodes, fifos or sockets (the first: %s)", summary_.skipped,
               first_skipped_);
}

}  // namespace

Result<CpioSummary> unpack_cpio(const void* archive, uint64_t size, Node& directory, char* message, uint64_t capacity) {
    if (!directory.is_directory()) return error(Errno::enotdir);
    Unpacker unpacker(directory, message, capacity);
    CpioReader reader(archive, size);
    for (;;) {
        CpioEntry entry;
        auto more = reader.next(entry);
        if (!more.ok()) {
            format(message, capacity, "%s", reader.message());
            return Error{more.error_code()};
        }
        if (!more.value()) break;
        auto unpacked = unpacker.unpack(entry);
        if (!unpacked.ok()) return unpacker.fail(unpacked.error_code(), entry);
    }
    unpacker.finish();
    return unpacker.summary();
}

}  // namespace eremite::fs
