// hostfs: a host directory given with --mount, through the host_file hypercall
// (abi/eremite/abi.hpp says what ehyve does and refuses). Every node holds a host handle;
// the guest walks paths itself, one name at a time, so symlinks and ".." resolve in the
// guest's tree and nothing it asks can reach outside the mounted directory.
//
// Each call is an exit to ehyve (about 25 µs on kvm-pvm), so data moves in large pieces,
// as segments of guest-physical memory that the host reads and writes directly with
// preadv/pwritev. A read or write with the app's buffer hands the host the app's own
// pages (pinned for the call: mm::AppMemory::pin_for_io), up to 4 MiB and 256 runs of
// contiguous frames per call, so the host's copy is the only one; a kernel buffer goes
// through 1 MiB of kernel frames (a bounce) instead.
//
// What the host answered is remembered (fs/host_cache.hpp): the node a name leads to, a
// node's attributes, the contents of small files, and one read-only host handle per file
// that every read-only open shares. A file served again and again costs no exits.
#include "fs/hostfs.hpp"

#include "drivers/hypercall.hpp"
#include "fs/clock.hpp"
#include "fs/file.hpp"
#include "fs/host_cache.hpp"
#include "lib/string.hpp"
#include "mm/app_memory.hpp"
#include "mm/memory.hpp"
#include "sync/mutex.hpp"

namespace eremite::fs {
namespace {

constexpr uint64_t transfer_pages = 256;  // 1 MiB per call
constexpr uint64_t st_rdonly = 1;
constexpr int64_t hostfs_magic = 0x6573;  // what statfs reports: hostfs has no Linux magic of its own

// One hypercall's arguments and its names, in one heap block: physically contiguous
// (blocks up to 2 KiB never straddle a page).
struct Call {
    abi::HostFileArgs args;
    char name[name_max + 1];
};
static_assert(sizeof(Call) <= 2048);

struct Mount {
    uint32_t index;
    bool read_only;
    uint64_t device;
};

// One for all mounts: two mounts may show the same host files (one directory twice, or
// one inside the other), and a change through either must reach both.
host_cache::Generations generations;

Errno errno_of(int64_t result) { return static_cast<Errno>(-result); }

Timestamp stamp(int64_t seconds, int64_t nanoseconds) { return Timestamp{seconds, nanoseconds}; }

NodeType type_of(uint32_t mode) {
    switch (mode & mode_type_mask) {
        case mode_directory: return NodeType::directory;
        case mode_symlink: return NodeType::symlink;
        case mode_char_device: return NodeType::char_device;
        case mode_block_device: return NodeType::block_device;
        case mode_fifo: return NodeType::fifo;
        case mode_socket: return NodeType::socket;
        default: return NodeType::regular;
    }
}

class Caller {
public:
    Caller() : call_(static_cast<Call*>(mm::allocate(sizeof(Call)))) {
        if (call_) memset(call_, 0, sizeof(Call));
    }
    ~Caller() { mm::free(call_); }
    bool ok() const { return call_ != nullptr; }
    abi::HostFileArgs& args() { return call_->args; }
    void set_name(Name name) {
        memcpy(call_->name, name.text, name.length);
        call_->args.name = mm::to_physical(call_->name).value;
        call_->args.name_length = name.length;
    }
    // A call that changes files' data or attributes, or directory entries (then `name` in
    // `directory`), on the host: whatever it returned, what the cache remembers is old
    // from now on (fs/host_cache.hpp), and the name is forgotten at once, since a
    // remembered node holds its host file open (a deleted file's space would stay taken).
    Result<int64_t> change_content(abi::HostFileOp op) {
        auto result = run(op);
        generations.content_changed();
        return result;
    }
    Result<int64_t> change_name(abi::HostFileOp op, host_cache::Directory directory, Name name) {
        auto result = run(op);
        generations.names_changed();
        host_cache::forget(directory, name);
        return result;
    }
    // The call's result, or its error.
    Result<int64_t> run(abi::HostFileOp op) {
        call_->args.op = static_cast<uint32_t>(op);
        hypercall::call(abi::Hypercall::host_file, &call_->args);
        int64_t result = call_->args.result;
        if (result < 0) return error(errno_of(result));
        return result;
    }

private:
    Call* call_;
};

// Gives a handle back to the host. Without memory for the call the host keeps it: a
// leak of one host descriptor, not a fault.
void release_handle(uint64_t handle) {
    Caller caller;
    if (!caller.ok()) return;
    caller.args().handle = handle;
    (void)caller.run(abi::HostFileOp::release);
}

class HostNode final : public Node {
public:
    // `stat` is the host's answer to the call that made the node, stamped before it.
    HostNode(const Mount& mount, uint64_t handle, const abi::HostStat& stat, const host_cache::Stamp& stamp)
        : Node(type_of(stat.mode)), mount_(mount), handle_(handle), inode_(stat.inode), stat_(stat), stamp_(stamp) {}
    ~HostNode() override {
        if (uint64_t spare = __atomic_exchange_n(&spare_io_handle_, 0, __ATOMIC_ACQ_REL)) release_handle(spare);
        if (read_handle_) release_handle(read_handle_);
        release_handle(handle_);
    }

    const void* file_system() const override { return &mount_; }

    Attributes attributes() override {
        MutexGuard guard(cache_lock_);
        if (!refresh_locked()) return Attributes{};
        return attributes_of(stat_);
    }

    Attributes attributes_of(const abi::HostStat& s) const {
        Attributes a;
        a.device = mount_.device;
        a.inode = s.inode;
        a.mode = s.mode;
        a.link_count = s.link_count;
        a.uid = s.uid;
        a.gid = s.gid;
        a.rdev = s.rdev;
        a.size = s.size;
        a.blocks = s.blocks;
        a.block_size = s.block_size;
        a.access = stamp(s.access_seconds, s.access_nanoseconds);
        a.modify = stamp(s.modify_seconds, s.modify_nanoseconds);
        a.change = stamp(s.change_seconds, s.change_nanoseconds);
        return a;
    }

    Result<void> set_mode(uint32_t permissions) override {
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.args().mode = permissions;
        TRY(caller.change_content(abi::HostFileOp::set_mode));
        return {};
    }
    // The host process cannot give files away; chown to the same ids is a no-op there too.
    Result<void> set_owner(uint32_t uid, uint32_t gid) override {
        Attributes a = attributes();
        bool same = (uid == ~0u || uid == a.uid) && (gid == ~0u || gid == a.gid);
        return same ? Result<void>() : Result<void>(error(Errno::eperm));
    }
    Result<void> set_times(const Timestamp* access, const Timestamp* modify) override {
        constexpr int64_t utime_omit = (1l << 30) - 2;
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.args().times[0] = access ? access->seconds : 0;
        caller.args().times[1] = access ? access->nanoseconds : utime_omit;
        caller.args().times[2] = modify ? modify->seconds : 0;
        caller.args().times[3] = modify ? modify->nanoseconds : utime_omit;
        TRY(caller.change_content(abi::HostFileOp::set_times));
        return {};
    }
    Result<FileSystemStatistics> statistics() override {
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        TRY(caller.run(abi::HostFileOp::statfs));
        const abi::HostStatfs& s = caller.args().statfs;
        FileSystemStatistics f;
        f.type = hostfs_magic;
        f.block_size = s.block_size;
        f.blocks = s.blocks;
        f.blocks_free = s.blocks_free;
        f.blocks_available = s.blocks_available;
        f.files = s.files;
        f.files_free = s.files_free;
        f.name_max = s.name_max;
        f.flags = s.flags | (mount_.read_only ? st_rdonly : 0);
        return f;
    }

    Result<Ref<File>> open(uint32_t flags) override;

    Result<void> truncate(uint64_t size) override {
        if (is_directory()) return error(Errno::eisdir);
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.args().offset = size;
        TRY(caller.change_content(abi::HostFileOp::truncate));
        return {};
    }

    Result<uint64_t> read_link(char* buffer, uint64_t capacity) override;

    Result<Ref<Node>> lookup(Name name) override {
        if (!is_directory()) return error(Errno::enotdir);
        Ref<Node> stale;
        if (Ref<Node> known = host_cache::find(directory(), name, generations, stale)) return known;
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.set_name(name);
        auto stamp = host_cache::Stamp::now(generations);
        uint64_t handle = static_cast<uint64_t>(TRY(caller.run(abi::HostFileOp::lookup)));
        Ref<Node> node;
        if (stale && static_cast<HostNode&>(*stale).renew(caller.args().stat, stamp)) {
            release_handle(handle);  // the node's own handle names the same file
            node = stale;
        } else {
            node = TRY(adopt(handle, caller.args().stat, stamp));
        }
        host_cache::remember(directory(), name, *node, stamp);
        return node;
    }

    Result<Ref<Node>> create(Name name, uint32_t permissions) override {
        if (!is_directory()) return error(Errno::enotdir);
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.set_name(name);
        caller.args().flags = o_creat | o_excl | o_rdwr;
        caller.args().mode = permissions;
        auto io_handle = static_cast<uint64_t>(TRY(caller.change_name(abi::HostFileOp::create, directory(), name)));
        // The host returned an I/O handle; the node needs a plain one: look it up (the
        // file exists now). The I/O handle (read-write, no O_APPEND) is kept for the open
        // that follows a create, which then needs no host call.
        auto node = lookup(name);
        if (!node.ok()) {
            release_handle(io_handle);
            return node;
        }
        __atomic_store_n(&static_cast<HostNode*>(node.value().get())->spare_io_handle_, io_handle, __ATOMIC_RELEASE);
        return node;
    }

    Result<Ref<Node>> make_directory(Name name, uint32_t permissions) override {
        TRY(name_call(abi::HostFileOp::mkdir, name, permissions));
        return lookup(name);
    }
    Result<Ref<Node>> make_symlink(Name name, Name target) override {
        if (!is_directory()) return error(Errno::enotdir);
        auto* text = static_cast<char*>(mm::allocate(path_max));
        if (!text) return error(Errno::enomem);
        memcpy(text, target.text, target.length);
        Caller caller;
        Result<int64_t> result = error(Errno::enomem);
        if (caller.ok()) {
            caller.args().handle = handle_;
            caller.set_name(name);
            caller.args().name2 = mm::to_physical(text).value;
            caller.args().name2_length = target.length;
            result = caller.change_name(abi::HostFileOp::symlink, directory(), name);
        }
        mm::free(text);
        if (!result.ok()) return Error{result.error_code()};
        return lookup(name);
    }
    Result<void> link(Name name, Node& target) override {
        if (!is_directory()) return error(Errno::enotdir);
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = static_cast<HostNode&>(target).handle_;
        caller.args().handle2 = handle_;
        caller.set_name(name);
        caller.args().name2 = caller.args().name;
        caller.args().name2_length = caller.args().name_length;
        TRY(caller.change_name(abi::HostFileOp::link, directory(), name));
        return {};
    }
    Result<void> unlink(Name name) override { return name_call(abi::HostFileOp::unlink, name, 0); }
    Result<void> remove_directory(Name name) override { return name_call(abi::HostFileOp::rmdir, name, 0); }
    Result<void> rename(Name name, Node& new_directory, Name new_name, uint32_t flags) override {
        if (!is_directory()) return error(Errno::enotdir);
        auto* second = static_cast<char*>(mm::allocate(name_max + 1));
        if (!second) return error(Errno::enomem);
        memcpy(second, new_name.text, new_name.length);
        Caller caller;
        Result<int64_t> result = error(Errno::enomem);
        if (caller.ok()) {
            caller.args().handle = handle_;
            caller.set_name(name);
            caller.args().handle2 = static_cast<HostNode&>(new_directory).handle_;
            caller.args().name2 = mm::to_physical(second).value;
            caller.args().name2_length = new_name.length;
            caller.args().flags = flags;
            result = caller.change_name(abi::HostFileOp::rename, directory(), name);
        }
        host_cache::forget(static_cast<HostNode&>(new_directory).directory(), Name{second, new_name.length});
        mm::free(second);
        if (!result.ok()) return Error{result.error_code()};
        return {};
    }

    // This directory, as the name cache knows it.
    host_cache::Directory directory() const { return {&mount_, inode_}; }

    // The host's new answer for a name that led to this node: when it names the same
    // file (the same inode, with the change time this node saw last, which a new file
    // that reused the inode number would not have), the node stays, with what it keeps,
    // and its attributes are the answer's. False for another file.
    bool renew(const abi::HostStat& stat, const host_cache::Stamp& stamp) {
        MutexGuard guard(cache_lock_);
        if (stat.inode != stat_.inode || stat.change_seconds != stat_.change_seconds ||
            stat.change_nanoseconds != stat_.change_nanoseconds || type_of(stat.mode) != type())
            return false;
        stat_ = stat;
        stamp_ = stamp;
        return true;
    }

    Result<Ref<Node>> adopt(uint64_t handle, const abi::HostStat& stat, const host_cache::Stamp& stamp) {
        auto* node = new HostNode(mount_, handle, stat, stamp);
        if (!node) {
            release_handle(handle);
            return error(Errno::enomem);
        }
        return Ref<Node>(node);
    }

    // Reads a regular file from its kept contents, keeping them first when the file is
    // small enough; `served` false when the file's contents are not kept (the caller
    // reads from the host).
    Result<uint64_t> read_kept(const IoBuffer& buffer, uint64_t length, uint64_t position, bool& served);
    // The handle a read-only open of a regular file may share, or 0: only while the
    // node's mode (made current first) is the one the handle was opened under, so that an
    // open after a change of permissions asks the host again.
    uint64_t shared_read_handle() {
        MutexGuard guard(cache_lock_);
        if (!read_handle_ || !refresh_locked() || stat_.mode != read_handle_mode_) return 0;
        return read_handle_;
    }
    // Offers the handle of a read-only open to later ones; false when one is kept already.
    bool share_read_handle(uint64_t io) {
        MutexGuard guard(cache_lock_);
        if (read_handle_) return false;
        read_handle_ = io;
        read_handle_mode_ = stat_.mode;
        return true;
    }

private:
    Result<void> name_call(abi::HostFileOp op, Name name, uint32_t mode) {
        if (!is_directory()) return error(Errno::enotdir);
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.set_name(name);
        caller.args().mode = mode;
        TRY(caller.change_name(op, directory(), name));
        return {};
    }

    // Makes stat_ current, from the host when its stamp is old (cache_lock_ held).
    bool refresh_locked() {
        if (stamp_.attributes_current(generations)) return true;
        Caller caller;
        if (!caller.ok()) return false;
        caller.args().handle = handle_;
        auto stamp = host_cache::Stamp::now(generations);
        if (!caller.run(abi::HostFileOp::stat).ok()) return false;
        stat_ = caller.args().stat;
        stamp_ = stamp;
        return true;
    }

    // Reads the whole file, as `now` describes it, into kept contents (cache_lock_ held).
    bool keep_contents_locked(const Attributes& now);

    const Mount& mount_;
    uint64_t handle_;
    const uint64_t inode_;
    uint64_t spare_io_handle_ = 0;  // from create(), for the first open without O_APPEND
    Mutex cache_lock_;              // guards what follows
    abi::HostStat stat_;
    host_cache::Stamp stamp_;
    host_cache::Contents contents_;
    uint64_t read_handle_ = 0;       // read-only, shared by read-only opens and by keep_contents_locked
    uint32_t read_handle_mode_ = 0;  // the file's mode when read_handle_ was opened
};

// Kernel frames that carry a transfer, described to the host as segments.
class Bounce {
public:
    ~Bounce() {
        for (uint64_t i = 0; i < count_; ++i) mm::free_frames(frames_[i]);
        mm::free(segments_);
    }
    bool ready() {
        if (segments_) return true;
        segments_ = static_cast<abi::HostSegment*>(mm::allocate(transfer_pages * sizeof(abi::HostSegment)));
        if (!segments_) return false;
        for (; count_ < transfer_pages; ++count_) {
            auto frame = mm::allocate_frame();
            if (!frame.ok()) break;
            frames_[count_] = frame.value();
            segments_[count_] = abi::HostSegment{frame.value().value, page_size};
        }
        return count_ > 0;
    }
    uint64_t capacity() const { return count_ * page_size; }
    // The segments for `length` bytes (the last one shortened).
    uint32_t describe(uint64_t length) {
        auto pages = static_cast<uint32_t>((length + page_size - 1) / page_size);
        for (uint32_t i = 0; i < pages; ++i)
            segments_[i].length = i + 1 == pages && length % page_size ? length % page_size : page_size;
        return pages;
    }
    uint64_t segments_address() const { return mm::to_physical(segments_).value; }
    uint8_t* page(uint64_t i) const { return mm::to_virtual<uint8_t>(frames_[i]); }

private:
    PhysAddr frames_[transfer_pages];
    abi::HostSegment* segments_ = nullptr;
    uint64_t count_ = 0;
};

// The runs of app memory one direct transfer covers, and the same as host segments.
struct DirectRuns {
    mm::PhysicalRun runs[abi::host_segments_max];
    abi::HostSegment segments[abi::host_segments_max];
};

// A pin on app memory for one host call (mm::AppMemory::pin_for_io), released at the
// end of the scope.
class AppPin {
public:
    AppPin(uint8_t* app, uint64_t length, bool host_writes, DirectRuns& runs)
        : bytes_(mm::app_memory().pin_for_io(reinterpret_cast<uint64_t>(app), length, host_writes, runs.runs,
                                             abi::host_segments_max, count_)) {
        for (size_t i = 0; i < count_; ++i)
            runs.segments[i] = abi::HostSegment{runs.runs[i].address, runs.runs[i].length};
    }
    ~AppPin() { mm::app_memory().unpin_for_io(); }
    AppPin(const AppPin&) = delete;
    AppPin& operator=(const AppPin&) = delete;
    uint64_t bytes() const { return bytes_; }
    uint32_t count() const { return static_cast<uint32_t>(count_); }

private:
    size_t count_ = 0;
    uint64_t bytes_;
};

class HostFile final : public File {
public:
    // `owns_handle` false: the node's shared read-only handle, which the node gives back.
    HostFile(HostNode& node, uint64_t io_handle, bool owns_handle, uint32_t flags)
        : File(flags), node_(&node), io_handle_(io_handle), owns_handle_(owns_handle) {}
    ~HostFile() override {
        delete bounce_;
        mm::free(direct_);
        if (owns_handle_) release_handle(io_handle_);
    }

    Node* node() override { return node_.get(); }
    bool seekable() const override { return true; }

    Result<uint64_t> read(const IoBuffer& buffer, uint64_t length, uint64_t& position) override {
        if (node_->is_directory()) return error(Errno::eisdir);
        if (node_->type() == NodeType::regular) {
            bool served = false;
            uint64_t done = TRY(node_->read_kept(buffer, length, position, served));
            if (served) {
                position += done;
                return done;
            }
        }
        MutexGuard guard(lock_);
        uint64_t done = TRY(buffer.in_app() ? direct(abi::HostFileOp::read, buffer.address(), length, position)
                                            : read_bounced(buffer, length, position));
        position += done;
        return done;
    }

    Result<uint64_t> write(const IoBuffer& buffer, uint64_t length, uint64_t& position) override {
        MutexGuard guard(lock_);
        auto written = buffer.in_app() ? direct(abi::HostFileOp::write, buffer.address(), length, position)
                                       : write_bounced(buffer, length, position);
        generations.content_changed();
        uint64_t done = TRY(written);
        if (flags() & o_append) {
            // The host appended at its end of file: the position follows it.
            position = static_cast<uint64_t>(node_->attributes().size);
        } else {
            position += done;
        }
        return done;
    }

    Result<uint64_t> size() override { return static_cast<uint64_t>(node_->attributes().size); }
    Result<Attributes> attributes() override { return node_->attributes(); }

    Result<void> allocate(uint64_t offset, uint64_t length) override {
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = io_handle_;
        caller.args().offset = offset;
        caller.args().flags = length;
        TRY(caller.change_content(abi::HostFileOp::allocate));
        return {};
    }

    Result<void> read_directory(uint64_t cookie, DirectoryListing& listing) override {
        if (!node_->is_directory()) return error(Errno::enotdir);
        MutexGuard guard(lock_);
        if (!bounce_ready()) return error(Errno::enomem);
        // One page of linux_dirent64 records per call; the listing stops when full.
        for (;;) {
            uint64_t bytes = TRY(through_bounce(abi::HostFileOp::read_dir, cookie, page_size));
            if (bytes == 0) return {};
            const uint8_t* records = bounce_->page(0);
            for (uint64_t at = 0; at + 19 < bytes;) {
                uint64_t inode, next;
                uint16_t length;
                memcpy(&inode, records + at, 8);
                memcpy(&next, records + at + 8, 8);
                memcpy(&length, records + at + 16, 2);
                if (length < 20 || at + length > bytes) return error(Errno::eio);  // malformed: stop
                const char* name = reinterpret_cast<const char*>(records + at + 19);
                auto name_length = static_cast<uint32_t>(strnlen(name, length - 19));
                DirectoryEntry entry{inode, dirent_node_type(records[at + 18]), Name{name, name_length}, next};
                if (!listing.add(entry)) return {};
                cookie = next;
                at += length;
            }
        }
    }

private:
    // Moves up to `length` bytes between the file at `position` and the app's memory at
    // `app`, as few host calls as the runs allow (the lock held). Stops early at the end
    // of the file, a short write, or a page the transfer may not use; EFAULT when that
    // is the first page.
    Result<uint64_t> direct(abi::HostFileOp op, uint8_t* app, uint64_t length, uint64_t position) {
        if (!direct_) direct_ = static_cast<DirectRuns*>(mm::allocate(sizeof(DirectRuns)));
        if (!direct_) return error(Errno::enomem);
        uint64_t done = 0;
        while (done < length) {
            Caller caller;
            if (!caller.ok()) return done ? Result<uint64_t>(done) : error(Errno::enomem);
            uint64_t want = min(length - done, abi::host_transfer_max);
            AppPin pin(app + done, want, op == abi::HostFileOp::read, *direct_);
            if (pin.bytes() == 0) return done ? Result<uint64_t>(done) : error(Errno::efault);
            caller.args().handle = io_handle_;
            caller.args().offset = position + done;
            caller.args().segment_count = pin.count();
            caller.args().segments = mm::to_physical(direct_->segments).value;
            auto moved = caller.run(op);
            if (!moved.ok()) return done ? Result<uint64_t>(done) : Error{moved.error_code()};
            auto count = static_cast<uint64_t>(moved.value());
            if (count > pin.bytes()) return error(Errno::eio);  // the host may not claim more than asked
            done += count;
            if (count < pin.bytes()) break;
        }
        return done;
    }

    // A read into a kernel buffer, through the bounce frames (the lock held).
    Result<uint64_t> read_bounced(const IoBuffer& buffer, uint64_t length, uint64_t position) {
        if (!bounce_ready()) return error(Errno::enomem);
        uint64_t done = 0;
        while (done < length) {
            uint64_t want = min(length - done, bounce_->capacity());
            auto got = through_bounce(abi::HostFileOp::read, position + done, want);
            if (!got.ok()) return done ? Result<uint64_t>(done) : Error{got.error_code()};
            uint64_t count = got.value();
            for (uint64_t at = 0; at < count; at += page_size) {
                uint64_t piece = min(page_size, count - at);
                if (!buffer.fill(done + at, bounce_->page(at / page_size), piece)) {
                    done += at;
                    return done ? Result<uint64_t>(done) : error(Errno::efault);
                }
            }
            done += count;
            if (count < want) break;  // end of file
        }
        return done;
    }

    // A write from a kernel buffer, through the bounce frames (the lock held).
    Result<uint64_t> write_bounced(const IoBuffer& buffer, uint64_t length, uint64_t position) {
        if (!bounce_ready()) return error(Errno::enomem);
        uint64_t done = 0;
        while (done < length) {
            uint64_t want = min(length - done, bounce_->capacity());
            for (uint64_t at = 0; at < want; at += page_size) {
                uint64_t piece = min(page_size, want - at);
                if (!buffer.drain(bounce_->page(at / page_size), done + at, piece)) {
                    want = at;
                    break;
                }
            }
            if (want == 0) return done ? Result<uint64_t>(done) : error(Errno::efault);
            auto put = through_bounce(abi::HostFileOp::write, position + done, want);
            if (!put.ok()) return done ? Result<uint64_t>(done) : Error{put.error_code()};
            uint64_t count = put.value();
            done += count;
            if (count < want) break;
        }
        return done;
    }

    // One host call that moves up to `length` bytes through the bounce frames (the lock
    // held); the count the host reports, never more than asked.
    Result<uint64_t> through_bounce(abi::HostFileOp op, uint64_t offset, uint64_t length) {
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = io_handle_;
        caller.args().offset = offset;
        caller.args().segment_count = bounce_->describe(length);
        caller.args().segments = bounce_->segments_address();
        auto count = static_cast<uint64_t>(TRY(caller.run(op)));
        if (count > length) return error(Errno::eio);  // the host may not claim more than asked
        return count;
    }

    static NodeType dirent_node_type(uint8_t type) { return type_of(static_cast<uint32_t>(type) << 12); }
    bool bounce_ready() {
        if (!bounce_) bounce_ = new Bounce;
        return bounce_ && bounce_->ready();
    }

    Ref<HostNode> node_;
    uint64_t io_handle_;
    bool owns_handle_;
    Mutex lock_;
    Bounce* bounce_ = nullptr;
    DirectRuns* direct_ = nullptr;  // for transfers with the app's memory
};

Result<Ref<File>> HostNode::open(uint32_t flags) {
    if (flags & o_path) return Node::open(flags);
    bool read_only =
        type() == NodeType::regular && (flags & o_accmode) == o_rdonly && !(flags & (o_append | o_directory));
    bool owns = true;
    uint64_t io = 0;
    if (read_only && (io = shared_read_handle())) owns = false;
    // The access mode the app asked for is enforced by File::readable/writable; the
    // spare handle is read-write without O_APPEND, so it serves any other open.
    if (!io && !(flags & (o_append | o_directory))) io = __atomic_exchange_n(&spare_io_handle_, 0, __ATOMIC_ACQ_REL);
    if (!io) {
        Caller caller;
        if (!caller.ok()) return error(Errno::enomem);
        caller.args().handle = handle_;
        caller.args().flags = flags & (o_accmode | o_append | o_directory);
        io = static_cast<uint64_t>(TRY(caller.run(abi::HostFileOp::open)));
        if (read_only && share_read_handle(io)) owns = false;
    }
    auto* file = new HostFile(*this, io, owns, flags);
    if (!file) {
        if (owns) release_handle(io);
        return error(Errno::enomem);
    }
    return Ref<File>(file);
}

Result<uint64_t> HostNode::read_kept(const IoBuffer& buffer, uint64_t length, uint64_t position, bool& served) {
    MutexGuard guard(cache_lock_);
    served = false;
    // Too large to keep, as last seen: straight to the host, without asking its size.
    if (stat_.size < 0 || static_cast<uint64_t>(stat_.size) >= host_cache::contents_max) return 0;
    // The attributes current (a stat after any change the guest made, or a second), the
    // kept bytes are the file's while its inode, size and times are the same.
    if (!refresh_locked()) return 0;
    Attributes now = attributes_of(stat_);
    if (!contents_.current(now) && !keep_contents_locked(now)) return 0;
    served = true;
    uint64_t size = contents_.size();
    if (position >= size) return 0;
    length = min(length, size - position);
    for (uint64_t done = 0; done < length;) {
        uint64_t at = position + done;
        uint64_t piece = min(length - done, page_size - at % page_size);
        if (!buffer.fill(done, static_cast<uint8_t*>(contents_.page(at / page_size)) + at % page_size, piece))
            return done ? Result<uint64_t>(done) : error(Errno::efault);
        done += piece;
    }
    return length;
}

bool HostNode::keep_contents_locked(const Attributes& now) {
    contents_.drop();
    // Kept: files with a size that says what they hold (not /proc's and /sys's zeros)
    // and whose data did not change in the last moments: a second write within the same
    // tick of the host's clock would leave mtime and size as they are ("racily clean",
    // as git calls it), so such a file is read from the host until it has been still.
    if (now.size <= 0 || static_cast<uint64_t>(now.size) >= host_cache::contents_max) return false;
    constexpr int64_t settle_seconds = 2;
    if (now.modify.seconds + settle_seconds > current_time().seconds) return false;
    auto size = static_cast<uint64_t>(now.size);
    if (!read_handle_) {
        Caller caller;
        if (!caller.ok()) return false;
        caller.args().handle = handle_;
        caller.args().flags = o_rdonly;
        auto opened = caller.run(abi::HostFileOp::open);
        if (!opened.ok()) return false;
        read_handle_ = static_cast<uint64_t>(opened.value());
        read_handle_mode_ = stat_.mode;
    }
    // One byte more than the size: a file that holds more than its size says is not kept.
    if (!contents_.reserve(size + 1)) return false;
    uint64_t pages = contents_.page_count();
    // The segments (at most 256: 4 KiB) in one frame, which is contiguous.
    static_assert(host_cache::contents_max / page_size * sizeof(abi::HostSegment) <= page_size);
    auto frame = mm::allocate_frame();
    if (!frame.ok()) {
        contents_.drop();
        return false;
    }
    auto* segments = mm::to_virtual<abi::HostSegment>(frame.value());
    for (uint64_t i = 0; i < pages; ++i)
        segments[i] = abi::HostSegment{mm::to_physical(contents_.page(i)).value, page_size};
    Caller caller;
    Result<int64_t> read = error(Errno::enomem);
    if (caller.ok()) {
        caller.args().handle = read_handle_;
        caller.args().offset = 0;
        caller.args().segment_count = static_cast<uint32_t>(pages);
        caller.args().segments = frame.value().value;
        read = caller.run(abi::HostFileOp::read);
    }
    mm::free_frames(frame.value());
    if (!read.ok() || static_cast<uint64_t>(read.value()) != size) {
        contents_.drop();
        return false;
    }
    contents_.keep(now);
    return true;
}

Result<uint64_t> HostNode::read_link(char* buffer, uint64_t capacity) {
    if (type() != NodeType::symlink) return error(Errno::einval);
    auto frame = mm::allocate_frame();
    if (!frame.ok()) return error(Errno::enomem);
    auto* segment = static_cast<abi::HostSegment*>(mm::allocate(sizeof(abi::HostSegment)));
    Caller caller;
    Result<int64_t> got = error(Errno::enomem);
    if (segment && caller.ok()) {
        *segment = abi::HostSegment{frame.value().value, page_size};
        caller.args().handle = handle_;
        caller.args().segment_count = 1;
        caller.args().segments = mm::to_physical(segment).value;
        got = caller.run(abi::HostFileOp::read_link);
    }
    uint64_t length = 0;
    if (got.ok()) {
        length = min(min(static_cast<uint64_t>(got.value()), page_size), capacity);
        memcpy(buffer, mm::to_virtual<char>(frame.value()), length);
    }
    mm::free(segment);
    mm::free_frames(frame.value());
    if (!got.ok()) return Error{got.error_code()};
    return length;
}

Mount mounts[abi::max_mounts];

}  // namespace

Result<Ref<Node>> mount_host_directory(uint32_t index, bool read_only) {
    if (index >= abi::max_mounts) return error(Errno::einval);
    // Device numbers as Linux gives anonymous file systems (major 0), one per mount.
    mounts[index] = Mount{index, read_only, 0x30 + index};
    Caller caller;
    if (!caller.ok()) return error(Errno::enomem);
    caller.args().handle = index;
    auto stamp = host_cache::Stamp::now(generations);
    uint64_t handle = static_cast<uint64_t>(TRY(caller.run(abi::HostFileOp::mount_root)));
    auto* root = new HostNode(mounts[index], handle, caller.args().stat, stamp);
    if (!root) return error(Errno::enomem);
    if (!root->is_directory()) {
        delete root;
        return error(Errno::enotdir);
    }
    return Ref<Node>(root);
}

}  // namespace eremite::fs
