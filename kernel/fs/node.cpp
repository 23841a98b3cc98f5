// What a node does when its file system does not say otherwise: the Linux error for
// that kind of node.
#include "fs/node.hpp"

#include "fs/file.hpp"
#include "lib/string.hpp"

namespace eremite::fs {

uint32_t mode_bits_of(NodeType type) {
    switch (type) {
        case NodeType::regular: return mode_regular;
        case NodeType::directory: return mode_directory;
        case NodeType::symlink: return mode_symlink;
        case NodeType::char_device: return mode_char_device;
        case NodeType::block_device: return mode_block_device;
        case NodeType::fifo: return mode_fifo;
        case NodeType::socket: return mode_socket;
    }
    return 0;
}

uint8_t dirent_type_of(NodeType type) {
    // DT_* values are the st_mode type bits shifted down by 12.
    return static_cast<uint8_t>(mode_bits_of(type) >> 12);
}

bool Name::operator==(const Name& other) const {
    return length == other.length && memcmp(text, other.text, length) == 0;
}

uint64_t Name::hash(uint64_t seed) const {
    uint64_t value = seed;
    for (uint32_t i = 0; i < length; ++i) value = (value ^ static_cast<uint8_t>(text[i])) * 0x100000001b3;
    return value;
}

namespace {

// The error for an operation on the contents of a node that is not a regular file.
Error not_regular(const Node& node) { return error(node.is_directory() ? Errno::eisdir : Errno::einval); }
// The error for a directory operation that this node does not support.
Error not_directory(const Node& node) { return error(node.is_directory() ? Errno::eperm : Errno::enotdir); }

}  // namespace

Result<void> Node::set_mode(uint32_t) { return error(Errno::eperm); }
Result<void> Node::set_owner(uint32_t, uint32_t) { return error(Errno::eperm); }
Result<void> Node::set_times(const Timestamp*, const Timestamp*) { return error(Errno::eperm); }
Result<FileSystemStatistics> Node::statistics() { return FileSystemStatistics{}; }

Result<Ref<File>> Node::open(uint32_t flags) {
    // A socket node is reached with connect(2), not open(2), unless only as a path.
    if (type_ == NodeType::socket && !(flags & o_path)) return error(Errno::enxio);
    auto* file = new NodeFile(*this, flags);
    if (!file) return error(Errno::enomem);
    return Ref<File>(file);
}

Result<uint64_t> Node::read(uint64_t, const IoBuffer&, uint64_t) { return not_regular(*this); }
Result<uint64_t> Node::write(uint64_t, const IoBuffer&, uint64_t) { return not_regular(*this); }
Result<uint64_t> Node::append(const IoBuffer&, uint64_t, uint64_t&) { return not_regular(*this); }
Result<void> Node::truncate(uint64_t) { return not_regular(*this); }
Result<void> Node::allocate(uint64_t, uint64_t) { return is_directory() ? error(Errno::eisdir) : error(Errno::enodev); }
Result<void> Node::sync() { return {}; }
Result<uint64_t> Node::read_link(char*, uint64_t) { return error(Errno::einval); }

Result<Ref<Node>> Node::lookup(Name) { return is_directory() ? error(Errno::enoent) : error(Errno::enotdir); }
Result<Ref<Node>> Node::create(Name, uint32_t) { return not_directory(*this); }
// File systems that keep no socket nodes (hostfs, /proc): Linux would make one on the
// host file system; here bind(2) of such a path fails.
Result<Ref<Node>> Node::make_socket(Name, uint32_t) {
    return is_directory() ? error(Errno::eopnotsupp) : error(Errno::enotdir);
}
Result<Ref<Node>> Node::make_directory(Name, uint32_t) { return not_directory(*this); }
Result<Ref<Node>> Node::make_symlink(Name, Name) { return not_directory(*this); }
Result<void> Node::link(Name, Node&) { return not_directory(*this); }
Result<void> Node::unlink(Name) { return not_directory(*this); }
Result<void> Node::remove_directory(Name) { return not_directory(*this); }
Result<void> Node::rename(Name, Node&, Name, uint32_t) { return not_directory(*this); }
Result<void> Node::read_directory(uint64_t, DirectoryListing&) { return error(Errno::enotdir); }

}  // namespace eremite::fs
