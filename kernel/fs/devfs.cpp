// The devices of /dev. Each is a row of a table: its name, Linux's major:minor and mode,
// and what reading and writing it do (drivers/char/mem.c, random.c). They are always
// ready for poll; reads and writes never move the file position, as on Linux. tty and
// console are the host's terminal (fs/console_file.hpp).
#include "fs/devfs.hpp"

#include "fs/console_file.hpp"
#include "fs/synthetic.hpp"
#include "lib/log.hpp"
#include "lib/random.hpp"
#include "lib/utility.hpp"
#include "linux/process.hpp"
#include "time/clock.hpp"

namespace eremite::fs {
namespace {

using synthetic::SyntheticNode;

constexpr int64_t tmpfs_magic = 0x01021994;  // devtmpfs reports TMPFS_MAGIC

synthetic::FileSystem devfs{
    .magic = tmpfs_magic,
    .mount_flags = synthetic::st_nosuid | synthetic::st_relatime,
    .device = synthetic::make_device(0, 5),
    .link_size_is_target_length = true,
};

using ReadFunction = Result<uint64_t> (*)(const IoBuffer& buffer, uint64_t length);
using WriteFunction = Result<uint64_t> (*)(const IoBuffer& buffer, uint64_t length);

Result<uint64_t> read_nothing(const IoBuffer&, uint64_t) { return uint64_t{0}; }

Result<uint64_t> read_zeroes(const IoBuffer& buffer, uint64_t length) {
    // In pieces, so a bad page part of the way counts what came before it, as on Linux.
    constexpr uint64_t piece = 1 << 20;
    for (uint64_t done = 0; done < length;) {
        uint64_t count = min(piece, length - done);
        if (!buffer.fill_zero(done, count)) return done ? Result<uint64_t>(done) : error(Errno::efault);
        done += count;
    }
    return length;
}

// From the kernel's ChaCha20 generator, which refuses to exist without a strong seed
// (lib/random.hpp): without one, reads fail rather than return something guessable.
Result<uint64_t> read_random(const IoBuffer& buffer, uint64_t length) {
    if (!random::ready()) return error(Errno::eio);
    uint8_t chunk[256];
    for (uint64_t done = 0; done < length;) {
        uint64_t count = min<uint64_t>(sizeof chunk, length - done);
        random::fill(chunk, count);
        if (!buffer.fill(done, chunk, count)) return done ? Result<uint64_t>(done) : error(Errno::efault);
        done += count;
    }
    return length;
}

Result<uint64_t> write_swallow(const IoBuffer&, uint64_t length) { return length; }
Result<uint64_t> write_no_space(const IoBuffer&, uint64_t) { return error(Errno::enospc); }

struct Device {
    const char* name;
    uint32_t major, minor;
    uint32_t permissions;
    ReadFunction read;  // nullptr: opens the console instead
    WriteFunction write;
};

// Writes to random and urandom add nothing here (Linux mixes them in without crediting
// any entropy: the generator is no weaker without them).
constexpr Device devices[] = {
    {"null", 1, 3, 0666, read_nothing, write_swallow},   {"zero", 1, 5, 0666, read_zeroes, write_swallow},
    {"full", 1, 7, 0666, read_zeroes, write_no_space},   {"random", 1, 8, 0666, read_random, write_swallow},
    {"urandom", 1, 9, 0666, read_random, write_swallow}, {"tty", 5, 0, 0666, nullptr, nullptr},
    {"console", 5, 1, 0600, nullptr, nullptr},
};

class DeviceNode : public SyntheticNode {
public:
    explicit DeviceNode(const Device& device)
        : SyntheticNode(devfs, NodeType::char_device, device.permissions, synthetic::Owner{},
                        synthetic::make_device(device.major, device.minor)),
          device_(device) {}
    Result<Ref<File>> open(uint32_t flags) override;
    Result<uint64_t> read(uint64_t, const IoBuffer& buffer, uint64_t length) override {
        return device_.read ? device_.read(buffer, length) : error(Errno::einval);
    }
    Result<uint64_t> write(uint64_t, const IoBuffer& buffer, uint64_t length) override {
        return device_.write ? device_.write(buffer, length) : error(Errno::einval);
    }
    const Device& device() const { return device_; }

private:
    const Device& device_;
};

class DeviceFile : public File {
public:
    DeviceFile(DeviceNode& node, uint32_t flags) : File(flags), node_(&node) {}
    Node* node() override { return node_.get(); }
    bool seekable() const override { return true; }
    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        return node_->device().read(buffer, length);
    }
    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t&) override {
        return node_->device().write(buffer, length);
    }
    Result<Attributes> attributes() override { return node_->attributes(); }

private:
    Ref<DeviceNode> node_;
};

Result<Ref<File>> DeviceNode::open(uint32_t flags) {
    if (flags & o_path) return Node::open(flags);
    if (!device_.read) return open_console(flags);
    auto* file = new DeviceFile(*this, flags);
    if (!file) return error(Errno::enomem);
    return Ref<File>(file);
}

}  // namespace

Ref<Node> make_devfs_root() {
    uint64_t now = clock::realtime_ns();
    devfs.created = Timestamp{static_cast<int64_t>(now / 1000000000), static_cast<int64_t>(now % 1000000000)};
    synthetic::DirectoryBase::set_privileged(linux::process_is_privileged());
    auto* root = new synthetic::Directory(devfs, 0755, synthetic::Owner{});
    if (!root) panic("out of memory building /dev");
    Ref<Node> reference(root);
    for (const Device& device : devices) root->add(device.name, new DeviceNode(device));
    root->add_link_text("fd", "/proc/self/fd");
    root->add_link_text("stdin", "/proc/self/fd/0");
    root->add_link_text("stdout", "/proc/self/fd/1");
    root->add_link_text("stderr", "/proc/self/fd/2");
    return reference;
}

}  // namespace eremite::fs
