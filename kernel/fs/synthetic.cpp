#include "fs/synthetic.hpp"

#include <stdarg.h>

#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "lib/utility.hpp"
#include "mm/memory.hpp"

namespace eremite::fs::synthetic {

// ---- Text ---------------------------------------------------------------------------

Text::~Text() { mm::free(data_); }

bool Text::reserve(uint64_t more) {
    if (failed_) return false;
    uint64_t needed = length_ + more + 1;  // and a NUL, which vformat writes
    if (needed <= capacity_) return true;
    uint64_t capacity = max<uint64_t>(max<uint64_t>(capacity_ * 2, needed), 256);
    auto* data = static_cast<char*>(mm::allocate(capacity));
    if (!data) {
        failed_ = true;
        return false;
    }
    if (data_) memcpy(data, data_, length_);
    mm::free(data_);
    data_ = data;
    capacity_ = capacity;
    return true;
}

void Text::add(const char* format, ...) {
    if (!reserve(0)) return;
    va_list args;
    va_start(args, format);
    va_list again;
    va_copy(again, args);
    uint64_t length = vformat(data_ + length_, capacity_ - length_, format, args);
    va_end(args);
    if (length_ + length + 1 > capacity_) {  // did not fit: grow and write it again
        if (reserve(length)) vformat(data_ + length_, capacity_ - length_, format, again);
    }
    va_end(again);
    if (!failed_) length_ += length;
}

void Text::add_bytes(const void* bytes, uint64_t length) {
    if (!reserve(length)) return;
    memcpy(data_ + length_, bytes, length);
    length_ += length;
}

void Text::add_string(const char* string) { add_bytes(string, strlen(string)); }

void Text::add_escaped(const char* string) {
    for (const char* c = string; *c; ++c) {
        if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\\')
            add("\\%03o", static_cast<unsigned>(static_cast<unsigned char>(*c)));
        else
            add_bytes(c, 1);
    }
}

void Text::add_cpu_range(uint32_t count) {
    if (count <= 1)
        add_string("0");
    else
        add("0-%u", count - 1);
}

char* Text::take() {
    char* data = data_;
    data_ = nullptr;
    length_ = capacity_ = 0;
    return data;
}

void constant_text(Text& out, uint64_t argument) { out.add_string(reinterpret_cast<const char*>(argument)); }

// ---- Nodes --------------------------------------------------------------------------

SyntheticNode::SyntheticNode(FileSystem& file_system, NodeType type, uint32_t permissions, Owner owner, uint64_t rdev)
    : Node(type),
      file_system_(file_system),
      inode_(file_system.allocate_inode()),
      parent_inode_(inode_),
      permissions_(permissions),
      owner_(owner),
      rdev_(rdev) {}

Attributes SyntheticNode::attributes() {
    Attributes attributes;
    attributes.device = file_system_.device;
    attributes.inode = inode_;
    attributes.mode = mode_bits_of(type()) | permissions_;
    attributes.uid = owner_.uid;
    attributes.gid = owner_.gid;
    attributes.rdev = rdev_;
    attributes.block_size = file_system_.io_block_size;
    if (type() == NodeType::regular) attributes.size = file_system_.regular_file_size;
    attributes.access = attributes.modify = attributes.change = file_system_.created;
    return attributes;
}

Result<FileSystemStatistics> SyntheticNode::statistics() {
    FileSystemStatistics statistics;
    statistics.type = file_system_.magic;
    statistics.flags = file_system_.mount_flags;
    return statistics;
}

namespace {

// An open generated file: the snapshot taken at open, read like a file. Linux's seq_file
// refuses SEEK_END (size() says so) and never grows while it is open.
class SnapshotFile : public File {
public:
    SnapshotFile(Node& node, uint32_t flags, char* data, uint64_t length)
        : File(flags), node_(&node), data_(data), length_(length) {}
    Node* node() override { return node_.get(); }
    bool seekable() const override { return true; }
    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t& position) override {
        if (position >= length_) return uint64_t{0};
        uint64_t count = min(length, length_ - position);
        if (!buffer.fill(0, data_ + position, count)) return error(Errno::efault);
        position += count;
        return count;
    }
    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t& position) override {
        return node_->write(position, buffer, length);
    }
    Result<uint64_t> size() override { return error(Errno::einval); }
    Result<Attributes> attributes() override { return node_->attributes(); }

protected:
    ~SnapshotFile() override { mm::free(data_); }

private:
    Ref<Node> node_;
    char* data_;
    uint64_t length_;
};

bool privileged_process = false;

Error refuse_change() { return error(privileged_process ? Errno::eperm : Errno::eacces); }

}  // namespace

Result<Ref<File>> GeneratedFile::open(uint32_t flags) {
    if (flags & o_path) return Node::open(flags);
    Text text;
    generate(text);
    if (text.failed()) return error(Errno::enomem);
    uint64_t length = text.length();
    char* data = text.take();
    auto* file = new SnapshotFile(*this, flags, data, length);
    if (!file) {
        mm::free(data);
        return error(Errno::enomem);
    }
    return Ref<File>(file);
}

Result<uint64_t> GeneratedFile::read(uint64_t offset, const IoBuffer& buffer, uint64_t length) {
    Text text;
    generate(text);
    if (text.failed()) return error(Errno::enomem);
    if (offset >= text.length()) return uint64_t{0};
    uint64_t count = min(length, text.length() - offset);
    if (!buffer.fill(0, text.data() + offset, count)) return error(Errno::efault);
    return count;
}

Result<uint64_t> GeneratedFile::write(uint64_t, const IoBuffer& buffer, uint64_t length) {
    return receiver_ ? receiver_(buffer, length, argument_) : error(Errno::eio);
}
Result<uint64_t> GeneratedFile::append(const IoBuffer& buffer, uint64_t length, uint64_t&) {
    return write(0, buffer, length);
}
Result<void> GeneratedFile::truncate(uint64_t) { return {}; }

Attributes Symlink::attributes() {
    Attributes attributes = SyntheticNode::attributes();
    if (file_system_.link_size_is_target_length) {
        Text text;
        generator_(text, argument_);
        attributes.size = static_cast<int64_t>(text.length());
    }
    return attributes;
}

Result<uint64_t> Symlink::read_link(char* buffer, uint64_t capacity) {
    Text text;
    generator_(text, argument_);
    if (text.failed()) return error(Errno::enomem);
    uint64_t count = min(capacity, text.length());
    memcpy(buffer, text.data(), count);
    return count;
}

void DirectoryBase::set_privileged(bool privileged) { privileged_process = privileged; }

Result<Ref<Node>> DirectoryBase::create(Name, uint32_t) { return error(Errno::eacces); }
Result<Ref<Node>> DirectoryBase::make_directory(Name, uint32_t) { return refuse_change(); }
Result<Ref<Node>> DirectoryBase::make_symlink(Name, Name) { return refuse_change(); }
Result<void> DirectoryBase::link(Name, Node&) { return refuse_change(); }
Result<void> DirectoryBase::unlink(Name) { return refuse_change(); }
Result<void> DirectoryBase::remove_directory(Name) { return refuse_change(); }
Result<void> DirectoryBase::rename(Name, Node&, Name, uint32_t) { return refuse_change(); }

bool DirectoryBase::list_dots(uint64_t& cookie, DirectoryListing& listing) {
    if (cookie == 0) {
        if (!listing.add(DirectoryEntry{inode_, NodeType::directory, Name{".", 1}, 1})) return false;
        cookie = 1;
    }
    if (cookie == 1) {
        if (!listing.add(DirectoryEntry{parent_inode_, NodeType::directory, Name{"..", 2}, 2})) return false;
        cookie = 2;
    }
    return true;
}

Directory::~Directory() {
    for (Entry& entry : entries_) entry.node->release();
}

SyntheticNode& Directory::add(const char* name, SyntheticNode* child) {
    size_t length = strlen(name);
    if (length == 0 || length >= sizeof(Entry::name)) panic("synthetic file system: bad name \"%s\"", name);
    if (!child) panic("out of memory building the synthetic file systems");
    Entry entry{};
    memcpy(entry.name, name, length);
    entry.name_length = static_cast<uint32_t>(length);
    entry.node = child;
    child->retain();
    if (!entries_.push_back(entry)) panic("out of memory building the synthetic file systems");
    child->set_parent_inode(inode_);
    if (child->is_directory()) ++subdirectories_;
    return *child;
}

Directory& Directory::add_directory(const char* name, uint32_t permissions) {
    return static_cast<Directory&>(add(name, new Directory(file_system_, permissions, owner_)));
}

GeneratedFile& Directory::add_file(const char* name, Generator generator, uint64_t argument, uint32_t permissions) {
    return static_cast<GeneratedFile&>(
        add(name, new GeneratedFile(file_system_, generator, argument, permissions, owner_)));
}

Symlink& Directory::add_symlink(const char* name, Generator generator, uint64_t argument) {
    return static_cast<Symlink&>(add(name, new Symlink(file_system_, generator, argument, owner_)));
}

Attributes Directory::attributes() {
    Attributes attributes = SyntheticNode::attributes();
    attributes.link_count = 2 + subdirectories_;
    return attributes;
}

Result<Ref<Node>> Directory::lookup(Name name) {
    for (Entry& entry : entries_)
        if (Name{entry.name, entry.name_length} == name) return Ref<Node>(entry.node);
    return error(Errno::enoent);
}

Result<void> Directory::read_directory(uint64_t cookie, DirectoryListing& listing) {
    if (!list_dots(cookie, listing)) return {};
    for (uint64_t i = cookie - 2; i < entries_.size(); ++i) {
        const Entry& entry = entries_[i];
        if (!listing.add(
                DirectoryEntry{entry.node->inode(), entry.node->type(), Name{entry.name, entry.name_length}, i + 3}))
            return {};
    }
    return {};
}

}  // namespace eremite::fs::synthetic
