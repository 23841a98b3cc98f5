// /proc. The tree is built once at boot (the process is always pid 1, so /proc/1 is a
// fixed directory and /proc/self a fixed link to it); only fd/ and fdinfo/ list what is
// open at the moment they are read. Each file is a generator below writing Linux's
// format: the comments name the kernel function whose output it follows.
//
// Numbers come from the kernel's own accounting: memory from mm::usage and the app's
// regions, CPU time from the scheduler (which keeps it per thread, not per CPU: the
// per-CPU lines of /proc/stat share the total out evenly), threads from the scheduler.
// What Eremite does not have (swap, page cache, other processes, signals pending) reads
// as zero.
#include "fs/procfs.hpp"

#include "arch/x86_64/cpu.hpp"
#include "arch/x86_64/per_cpu.hpp"
#include "fs/synthetic.hpp"
#include "fs/vfs.hpp"
#include "lib/format.hpp"
#include "lib/log.hpp"
#include "lib/random.hpp"
#include "lib/string.hpp"
#include "linux/process.hpp"
#include "mm/app_memory.hpp"
#include "mm/memory.hpp"
#include "sched/scheduler.hpp"
#include "sync/spinlock.hpp"
#include "time/clock.hpp"

extern "C" const char vdso_image_start[], vdso_image_end[];

namespace eremite::fs {
namespace {

using synthetic::Directory;
using synthetic::Text;

constexpr int64_t proc_super_magic = 0x9fa0;
constexpr uint64_t clock_ticks_per_second = 100;  // USER_HZ
constexpr uint64_t fd_link_inode_base = 1ull << 32, fd_info_inode_base = 2ull << 32;

synthetic::FileSystem procfs{
    .magic = proc_super_magic,
    .mount_flags = synthetic::st_nosuid | synthetic::st_nodev | synthetic::st_noexec | synthetic::st_relatime,
    .device = synthetic::make_device(0, 21),
    .io_block_size = 1024,
};

// ---- What boot tells ----------------------------------------------------------------

struct Block {
    char* data = nullptr;
    uint64_t length = 0;
};

struct Process {
    Block arguments;    // argv, each NUL-terminated, back to back (/proc/self/cmdline)
    Block environment;  // envp, the same way
    uint32_t cpu_count = 1;
    uint64_t start_ticks = 0;  // since boot, in USER_HZ
    synthetic::Owner owner;
    char boot_id[40] = {};
    SpinLock lock;       // guards comm, which the app may write
    char comm[16] = {};  // TASK_COMM_LEN, with its NUL
    int32_t oom_score_adj = 0;
    uint64_t peak_rss_kib = 0;
} process;

// The strings ehyve packed (abi.hpp, BootInfo::strings): the executable's path, argv, envp.
void copy_boot_strings(const abi::BootInfo& info) {
    const char* cursor = mm::to_virtual<const char>(PhysAddr{info.strings});
    const char* end = cursor + info.strings_size;
    auto skip = [&](uint64_t count) {
        for (uint64_t i = 0; i < count && cursor < end; ++i) cursor += strnlen(cursor, end - cursor) + 1;
        if (cursor > end) cursor = end;
    };
    auto copy = [](const char* from, const char* to) {
        Block block{static_cast<char*>(mm::allocate(to > from ? to - from : 1)), static_cast<uint64_t>(to - from)};
        if (!block.data) panic("out of memory building /proc");
        memcpy(block.data, from, block.length);
        return block;
    };
    skip(1);
    const char* arguments = cursor;
    skip(info.argc);
    process.arguments = copy(arguments, cursor);
    const char* environment = cursor;
    skip(info.envc);
    process.environment = copy(environment, cursor);
}

// The name Linux gives a task at exec: the last component of the path, cut to 15 bytes.
void set_comm_from(const char* path) {
    const char* name = path;
    for (const char* c = path; *c; ++c)
        if (*c == '/' && c[1]) name = c + 1;
    uint64_t length = 0;
    while (name[length] && name[length] != '/' && length < sizeof process.comm - 1) ++length;
    memcpy(process.comm, name, length);
    process.comm[length] = 0;
}

void copy_comm(char (&out)[16]) {
    LockGuard guard(process.lock);
    memcpy(out, process.comm, sizeof out);
}

void make_uuid(char* out) {
    uint8_t bytes[16];
    random::fill(bytes, sizeof bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4: random
    bytes[8] = (bytes[8] & 0x3f) | 0x80;  // the RFC 4122 variant
    char* p = out;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        p += format(p, 3, "%02x", static_cast<unsigned>(bytes[i]));
    }
    *p = 0;
}

// ---- Memory -------------------------------------------------------------------------

// The app's regions at one moment, copied out of AppMemory.
class Regions {
public:
    Regions() {
        for (size_t capacity = 64;;) {
            regions_ = static_cast<mm::Region*>(mm::allocate(capacity * sizeof(mm::Region)));
            if (!regions_) return;
            count_ = mm::app_memory().copy_regions(regions_, capacity);
            if (count_ <= capacity) return;
            mm::free(regions_);
            capacity = count_ + 16;  // room for a few more mapped meanwhile
        }
    }
    ~Regions() { mm::free(regions_); }
    Regions(const Regions&) = delete;
    Regions& operator=(const Regions&) = delete;
    bool ok() const { return regions_ != nullptr; }
    size_t size() const { return regions_ ? count_ : 0; }
    const mm::Region& operator[](size_t i) const { return regions_[i]; }

private:
    mm::Region* regions_ = nullptr;
    size_t count_ = 0;
};

// Where vdso/vdso_mapping.cpp puts the vDSO (below the stack and a 1 MiB gap) and its
// data page (just below it), which Linux names [vdso] and [vvar].
uint64_t vdso_start() {
    uint64_t size = align_up(static_cast<uint64_t>(vdso_image_end - vdso_image_start), page_size);
    return mm::app_stack_top - mm::app_stack_size - (1ull << 20) - size;
}
uint64_t vdso_end() { return align_up(vdso_start() + (vdso_image_end - vdso_image_start), page_size); }

const char* region_name(const mm::Region& region) {
    switch (region.kind) {
        case mm::RegionKind::heap: return "[heap]";
        case mm::RegionKind::stack: return "[stack]";
        case mm::RegionKind::anonymous: return nullptr;
        case mm::RegionKind::syscall_stubs: return "[syscalls]";
        case mm::RegionKind::image:
            if (region.start >= vdso_start() && region.end <= vdso_end()) return "[vdso]";
            if (region.end == vdso_start() && region.start + page_size == region.end) return "[vvar]";
            return linux::executable_path();
    }
    return nullptr;
}

bool is_executable_image(const mm::Region& region) {
    return region.kind == mm::RegionKind::image && (region.protection & mm::prot_exec) &&
           !(region.start >= vdso_start() && region.end <= vdso_end());
}

// The sizes /proc/self/status, stat and statm report (fs/proc/task_mmu.c task_mem).
struct MemorySummary {
    uint64_t size = 0, data = 0, stack = 0, text = 0;  // bytes
    uint64_t code_start = 0, code_end = 0, data_start = 0, data_end = 0, heap_start = 0;
    uint64_t rss_kib = 0, peak_rss_kib = 0;
};

MemorySummary summarize_memory() {
    MemorySummary summary;
    Regions regions;
    for (size_t i = 0; i < regions.size(); ++i) {
        const mm::Region& region = regions[i];
        uint64_t size = region.end - region.start;
        summary.size += size;
        if (region.kind == mm::RegionKind::stack)
            summary.stack += size;
        else if (region.protection & mm::prot_write)
            summary.data += size;  // VM_WRITE & ~VM_SHARED & ~VM_STACK
        if (is_executable_image(region)) {
            summary.text += size;
            if (!summary.code_start) summary.code_start = region.start, summary.code_end = region.end;
        }
        if (region.kind == mm::RegionKind::image && (region.protection & mm::prot_write) && !summary.data_start)
            summary.data_start = region.start, summary.data_end = region.end;
        if (region.kind == mm::RegionKind::heap && !summary.heap_start) summary.heap_start = region.start;
    }
    // Every frame in use but the kernel's own image, as getrusage's maxrss counts it.
    mm::Usage usage = mm::usage();
    summary.rss_kib = (usage.total_frames - usage.free_frames) * 4;
    uint64_t peak = __atomic_load_n(&process.peak_rss_kib, __ATOMIC_RELAXED);
    while (peak < summary.rss_kib && !__atomic_compare_exchange_n(&process.peak_rss_kib, &peak, summary.rss_kib, true,
                                                                  __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    summary.peak_rss_kib = max(peak, summary.rss_kib);
    return summary;
}

// show_map_vma: "start-end perms offset major:minor inode", then the name from column 73.
// Neighbours Linux would have merged (same protection and kind) show as one line.
void generate_maps(Text& out, uint64_t) {
    Regions regions;
    if (!regions.ok()) out.fail();
    for (size_t i = 0; i < regions.size();) {
        mm::Region region = regions[i++];
        const char* name = region_name(region);
        while (i < regions.size() && regions[i].start == region.end && regions[i].protection == region.protection &&
               regions[i].kind == region.kind && region_name(regions[i]) == name)
            region.end = regions[i++].end;
        uint64_t line_start = out.length();
        out.add("%08lx-%08lx %c%c%cp %08x %02x:%02x %u ", region.start, region.end,
                region.protection & mm::prot_read ? 'r' : '-', region.protection & mm::prot_write ? 'w' : '-',
                region.protection & mm::prot_exec ? 'x' : '-', 0u, 0u, 0u, 0u);
        if (name) {
            uint64_t width = out.length() - line_start;
            if (width < 73) out.add("%*s", static_cast<int>(73 - width), "");
            out.add_string(name);
        }
        out.add_string("\n");
    }
}

// ---- The process --------------------------------------------------------------------

// Cpus_allowed: a hex bitmap in comma-separated 32-bit groups, as wide as the CPU count
// (bitmap_print_to_pagebuf).
void add_cpu_mask(Text& out, uint64_t mask, uint32_t cpus) {
    uint32_t digits = (cpus + 3) / 4;
    for (int32_t group = static_cast<int32_t>((digits + 7) / 8) - 1; group >= 0; --group) {
        uint32_t group_digits = min<uint32_t>(8, digits - static_cast<uint32_t>(group) * 8);
        out.add("%0*x", static_cast<int>(group_digits), static_cast<unsigned>((mask >> (32 * group)) & 0xffffffffu));
        if (group) out.add_string(",");
    }
}

// Cpus_allowed_list: "0-2,5".
void add_cpu_list(Text& out, uint64_t mask, uint32_t cpus) {
    bool first = true;
    for (uint32_t cpu = 0; cpu < cpus;) {
        if (!(mask >> cpu & 1)) {
            ++cpu;
            continue;
        }
        uint32_t last = cpu;
        while (last + 1 < cpus && (mask >> (last + 1) & 1)) ++last;
        out.add(first ? "%u" : ",%u", cpu);
        if (last > cpu) out.add("-%u", last);
        first = false;
        cpu = last + 1;
    }
}

uint64_t online_mask() {
    uint32_t cpus = sched::cpu_count();
    return cpus >= 64 ? ~0ull : (1ull << cpus) - 1;
}

void count_fd(int32_t fd, File&, void* context) {
    auto* highest = static_cast<int32_t*>(context);
    if (fd > *highest) *highest = fd;
}

// proc_pid_status (fs/proc/array.c).
void generate_status(Text& out, uint64_t) {
    char comm[16];
    copy_comm(comm);
    MemorySummary memory = summarize_memory();
    uint32_t uid = process.owner.uid, gid = process.owner.gid;
    int32_t highest_fd = -1;
    for_each_fd(count_fd, &highest_fd);
    uint32_t fd_size = 64;  // the fd table's size: 64 slots, doubled as needed
    while (static_cast<int64_t>(fd_size) <= highest_fd) fd_size *= 2;
    out.add("Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t0\nTracerPid:\t0\n",
            comm, umask(), linux::process_id, linux::process_id);
    out.add("Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%u\nGroups:\t\n", uid, uid, uid, uid, gid, gid, gid,
            gid, fd_size);
    out.add("NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", linux::process_id, linux::process_id,
            linux::process_id, linux::process_id);
    const struct {
        const char* name;
        uint64_t kib;
    } sizes[] = {
        {"VmPeak", memory.size / 1024},
        {"VmSize", memory.size / 1024},
        {"VmLck", 0},
        {"VmPin", 0},
        {"VmHWM", memory.peak_rss_kib},
        {"VmRSS", memory.rss_kib},
        {"RssAnon", memory.rss_kib},
        {"RssFile", 0},
        {"RssShmem", 0},
        {"VmData", memory.data / 1024},
        {"VmStk", memory.stack / 1024},
        {"VmExe", memory.text / 1024},
        {"VmLib", 0},
        {"VmPTE", 0},
        {"VmSwap", 0},
        {"HugetlbPages", 0},
    };
    for (const auto& size : sizes) out.add("%s:\t%8lu kB\n", size.name, size.kib);
    // Root has every capability (CAP_LAST_CAP 40); anyone else none.
    uint64_t capabilities = uid == 0 ? (1ull << 41) - 1 : 0;
    out.add("CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%lu\nSigQ:\t0/63432\n", sched::live_threads());
    out.add("SigPnd:\t%016x\nShdPnd:\t%016x\nSigBlk:\t%016x\nSigIgn:\t%016x\nSigCgt:\t%016x\n", 0u, 0u, 0u, 0u, 0u);
    out.add("CapInh:\t%016x\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\nCapAmb:\t%016x\n", 0u, capabilities,
            capabilities, uint64_t{(1ull << 41) - 1}, 0u);
    out.add("NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n");
    uint32_t cpus = process.cpu_count;
    uint64_t allowed = sched::current()->affinity & online_mask();
    out.add_string("Cpus_allowed:\t");
    add_cpu_mask(out, allowed, cpus);
    out.add_string("\nCpus_allowed_list:\t");
    add_cpu_list(out, allowed, cpus);
    out.add("\nMems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n");
    out.add("voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

// do_task_stat (fs/proc/array.c): the 52 fields of Linux 6.1.
void generate_stat(Text& out, uint64_t) {
    char comm[16];
    copy_comm(comm);
    MemorySummary memory = summarize_memory();
    uint64_t cpu_ticks = sched::process_cpu_time_ns() / (1000000000 / clock_ticks_per_second);
    int nice = sched::current()->nice;
    out.add("%d (%s) R 0 %d %d 0 -1 %u %lu 0 0 0 %lu 0 0 0 %d %d %lu 0 %lu %lu %lu %lu ", linux::process_id, comm,
            linux::process_id, linux::process_id, 0u /* no PF_RANDOMIZE: no ASLR yet */, mm::app_memory().fault_count(),
            cpu_ticks, 20 + nice, nice, sched::live_threads(), process.start_ticks, memory.size, memory.rss_kib / 4,
            ~uint64_t{0} /* RLIMIT_RSS */);
    out.add("%lu %lu 0 0 0 0 0 0 0 0 0 0 17 %u 0 0 0 0 0 %lu %lu %lu 0 0 0 0 0\n", memory.code_start, memory.code_end,
            sched::this_cpu_index(), memory.data_start, memory.data_end, memory.heap_start);
}

// proc_pid_statm: pages.
void generate_statm(Text& out, uint64_t) {
    MemorySummary memory = summarize_memory();
    out.add("%lu %lu 0 %lu 0 %lu 0\n", memory.size / page_size, memory.rss_kib / 4, memory.text / page_size,
            (memory.data + memory.stack) / page_size);
}

void generate_block(Text& out, uint64_t argument) {
    const Block& block = *reinterpret_cast<const Block*>(argument);
    out.add_bytes(block.data, block.length);
}

void generate_comm(Text& out, uint64_t) {
    char comm[16];
    copy_comm(comm);
    out.add("%s\n", comm);
}

// Writing comm renames the task (as PR_SET_NAME), cut to 15 bytes; a final newline (what
// `echo` adds) is not part of the name.
Result<uint64_t> receive_comm(const IoBuffer& buffer, uint64_t length, uint64_t) {
    char name[16] = {};
    uint64_t count = min<uint64_t>(length, sizeof name - 1);
    if (!buffer.drain(name, 0, count)) return error(Errno::efault);
    if (count && name[count - 1] == '\n') name[count - 1] = 0;
    LockGuard guard(process.lock);
    memcpy(process.comm, name, sizeof name);
    return length;
}

void generate_oom_score_adj(Text& out, uint64_t) {
    out.add("%d\n", __atomic_load_n(&process.oom_score_adj, __ATOMIC_RELAXED));
}

// oom_score_adj_write: an integer in [-1000, 1000], blanks around it allowed.
Result<uint64_t> receive_oom_score_adj(const IoBuffer& buffer, uint64_t length, uint64_t) {
    char text[24] = {};
    if (length > sizeof text - 1) return error(Errno::einval);
    if (!buffer.drain(text, 0, length)) return error(Errno::efault);
    const char* p = text;
    while (*p == ' ' || *p == '\t') ++p;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+') ++p;
    if (*p < '0' || *p > '9') return error(Errno::einval);
    int64_t value = 0;
    while (*p >= '0' && *p <= '9' && value <= 1000) value = value * 10 + (*p++ - '0');
    while (*p == ' ' || *p == '\t' || *p == '\n') ++p;
    if (*p || value > 1000) return error(Errno::einval);
    __atomic_store_n(&process.oom_score_adj, static_cast<int32_t>(negative ? -value : value), __ATOMIC_RELAXED);
    return length;
}

// ---- Links --------------------------------------------------------------------------

void generate_pid(Text& out, uint64_t) { out.add("%d", linux::process_id); }
void generate_exe(Text& out, uint64_t) { out.add_string(linux::executable_path()); }

void generate_cwd(Text& out, uint64_t) {
    char* path = static_cast<char*>(mm::allocate(path_max));
    uint64_t length = 0;
    if (path && working_directory().path(path, path_max, length))
        out.add_bytes(path, length);
    else
        out.fail();
    mm::free(path);
}

// ---- Mounts -------------------------------------------------------------------------

struct MountRecord {
    const char* path;
    const char* type;
    bool read_only;
};

struct MountList {
    Vector<MountRecord> mounts;
    bool complete = true;
};

void collect_mount(const char* path, const char* type, bool read_only, void* context) {
    auto* list = static_cast<MountList*>(context);
    if (!list->mounts.push_back(MountRecord{path, type, read_only})) list->complete = false;
}

// The options Linux mounts each kind of file system with (what /proc/self/mounts shows).
const char* mount_options(const char* type) {
    if (!strcmp(type, "proc") || !strcmp(type, "sysfs") || !strcmp(type, "cgroup2"))
        return "nosuid,nodev,noexec,relatime";
    if (!strcmp(type, "devtmpfs")) return "nosuid,relatime";
    return "relatime";
}

// The device its root reports (st_dev), for mountinfo's major:minor.
uint64_t mount_device(const char* path) {
    auto root = root_location();
    if (!root.ok()) return 0;
    auto at = walk(root.value(), path, walk_follow | walk_directory);
    return at.ok() ? at.value().node()->attributes().device : 0;
}

// show_vfsmnt: "source mountpoint type options 0 0".
void generate_mounts(Text& out, uint64_t) {
    MountList list;
    for_each_mount(collect_mount, &list);
    if (!list.complete) out.fail();
    Vector<MountRecord>& mounts = list.mounts;
    for (const MountRecord& mount : mounts) {
        out.add_escaped(mount.type);
        out.add_string(" ");
        out.add_escaped(mount.path);
        out.add(" %s %s,%s 0 0\n", mount.type, mount.read_only ? "ro" : "rw", mount_options(mount.type));
    }
}

bool is_under(const char* path, const char* parent) {
    size_t length = strlen(parent);
    if (length == 1) return path[0] == '/' && path[1];  // everything but "/" is under "/"
    return !memcmp(path, parent, length) && path[length] == '/';
}

// show_mountinfo: "id parent major:minor root mountpoint options - type source super-options".
void generate_mountinfo(Text& out, uint64_t) {
    MountList list;
    for_each_mount(collect_mount, &list);
    if (!list.complete) out.fail();
    Vector<MountRecord>& mounts = list.mounts;
    constexpr uint32_t first_id = 21;
    for (size_t i = 0; i < mounts.size(); ++i) {
        const MountRecord& mount = mounts[i];
        uint32_t parent = 1;  // the root's parent is outside the namespace
        for (size_t j = i; j-- > 0;) {
            if (is_under(mount.path, mounts[j].path)) {
                parent = first_id + static_cast<uint32_t>(j);
                break;
            }
        }
        uint64_t device = mount_device(mount.path);
        const char* access = mount.read_only ? "ro" : "rw";
        out.add("%u %u %u:%u / ", first_id + static_cast<uint32_t>(i), parent,
                static_cast<unsigned>((device >> 8) & 0xfff),
                static_cast<unsigned>((device & 0xff) | ((device >> 12) & 0xfff00)));
        out.add_escaped(mount.path);
        out.add(" %s,%s - %s ", access, mount_options(mount.type), mount.type);
        out.add_escaped(mount.type);
        out.add(" %s\n", access);
    }
}

// ---- Descriptors --------------------------------------------------------------------

class FdLink : public synthetic::SyntheticNode {
public:
    FdLink(int32_t fd, uint32_t permissions, char* target, uint64_t length)
        : SyntheticNode(procfs, NodeType::symlink, permissions, process.owner), target_(target), length_(length) {
        inode_ = fd_link_inode_base + static_cast<uint32_t>(fd);
    }
    ~FdLink() override { mm::free(target_); }
    Result<uint64_t> read_link(char* buffer, uint64_t capacity) override {
        uint64_t count = min(capacity, length_);
        memcpy(buffer, target_, count);
        return count;
    }

private:
    char* target_;
    uint64_t length_;
};

// pid/fdinfo/N (seq_show in fs/proc/fd.c).
void generate_fd_info(Text& out, uint64_t fd) {
    auto file = file_of(static_cast<int32_t>(fd));
    if (!file.ok()) return;
    auto cloexec = close_on_exec(static_cast<int32_t>(fd));
    uint32_t flags = file.value()->flags() | (cloexec.ok() && cloexec.value() ? o_cloexec : 0);
    uint64_t inode = 0;
    if (auto attributes = file.value()->attributes(); attributes.ok()) inode = attributes.value().inode;
    out.add("pos:\t%lu\nflags:\t0%o\nmnt_id:\t0\nino:\t%lu\n", file.value()->position, flags, inode);
}

struct CollectedFds {
    Vector<int32_t> fds;
    bool complete = true;
};

void collect_fd(int32_t fd, File&, void* context) {
    auto* collected = static_cast<CollectedFds*>(context);
    if (!collected->fds.push_back(fd)) collected->complete = false;
}

// fd/ (a link per descriptor, named by what the file is) or fdinfo/ (a file per
// descriptor): entries exist while the descriptor is open.
class FdDirectory : public synthetic::DirectoryBase {
public:
    explicit FdDirectory(bool info) : DirectoryBase(procfs, info ? 0555 : 0500, process.owner), info_(info) {}

    Result<Ref<Node>> lookup(Name name) override {
        // Decimal, without leading zeros (name_to_int).
        if (name.length == 0 || name.length > 10 || (name.length > 1 && name.text[0] == '0'))
            return error(Errno::enoent);
        uint64_t fd = 0;
        for (uint32_t i = 0; i < name.length; ++i) {
            if (name.text[i] < '0' || name.text[i] > '9') return error(Errno::enoent);
            fd = fd * 10 + (name.text[i] - '0');
        }
        if (fd > 0x7fffffff) return error(Errno::enoent);
        auto file = file_of(static_cast<int32_t>(fd));
        if (!file.ok()) return error(Errno::enoent);
        synthetic::SyntheticNode* node;
        if (info_) {
            node = new synthetic::GeneratedFile(procfs, generate_fd_info, fd, 0444, process.owner);
        } else {
            // tid_fd_update_inode: r-x for reading, -wx for writing.
            uint32_t permissions = (file.value()->readable() ? 0500 : 0) | (file.value()->writable() ? 0300 : 0);
            char* target = static_cast<char*>(mm::allocate(path_max));
            if (!target) return error(Errno::enomem);
            uint64_t length = 0;
            if (!file.value()->describe(target, path_max, length)) {
                const char* unknown = "anon_inode:[unknown]";
                length = strlen(unknown);
                memcpy(target, unknown, length);
            }
            node = new FdLink(static_cast<int32_t>(fd), permissions, target, length);
            if (!node) mm::free(target);
        }
        if (!node) return error(Errno::enomem);
        node->set_parent_inode(inode_);
        return Ref<Node>(node);
    }

    Result<void> read_directory(uint64_t cookie, DirectoryListing& listing) override {
        if (!list_dots(cookie, listing)) return {};
        // Collected first, then listed: listing copies to the app (and may fault), which
        // is no business of the descriptor table's walk.
        CollectedFds collected;
        for_each_fd(collect_fd, &collected);
        if (!collected.complete) return error(Errno::enomem);
        for (int32_t fd : collected.fds) {
            if (static_cast<uint64_t>(fd) + 2 < cookie) continue;  // listed before: entry fd has cookie fd + 2
            char name[12];
            auto length = static_cast<uint32_t>(format(name, sizeof name, "%d", fd));
            DirectoryEntry entry{(info_ ? fd_info_inode_base : fd_link_inode_base) + static_cast<uint32_t>(fd),
                                 info_ ? NodeType::regular : NodeType::symlink, Name{name, length},
                                 static_cast<uint64_t>(fd) + 3};
            if (!listing.add(entry)) return {};
        }
        return {};
    }

private:
    bool info_;
};

// ---- The machine --------------------------------------------------------------------

// CPUID feature bits with the names Linux gives them (arch/x86/include/asm/cpufeatures.h),
// in the order /proc/cpuinfo lists them (by Linux's capability word).
struct FeatureWord {
    uint32_t leaf, subleaf;
    uint8_t reg;  // 0 eax, 1 ebx, 2 ecx, 3 edx
    const char* names[32];
};

constexpr FeatureWord feature_words[] = {
    {1, 0, 3, {"fpu",  "vme",  "de",   "pse", "tsc",  "msr", "pae",   "mce", "cx8",     "apic",  nullptr,
               "sep",  "mtrr", "pge",  "mca", "cmov", "pat", "pse36", "pn",  "clflush", nullptr, "dts",
               "acpi", "mmx",  "fxsr", "sse", "sse2", "ss",  "ht",    "tm",  "ia64",    "pbe"}},
    {0x80000001, 0, 3, {nullptr, nullptr,    nullptr,   nullptr,   nullptr, nullptr, nullptr,    nullptr,
                        nullptr, nullptr,    nullptr,   "syscall", nullptr, nullptr, nullptr,    nullptr,
                        nullptr, nullptr,    nullptr,   "mp",      "nx",    nullptr, "mmxext",   nullptr,
                        nullptr, "fxsr_opt", "pdpe1gb", "rdtscp",  nullptr, "lm",    "3dnowext", "3dnow"}},
    {0x80000007, 0, 3, {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, "constant_tsc"}},
    {1, 0, 2, {"pni",    "pclmulqdq", "dtes64", "monitor", "ds_cpl",
               "vmx",    "smx",       "est",    "tm2",     "ssse3",
               "cid",    "sdbg",      "fma",    "cx16",    "xtpr",
               "pdcm",   nullptr,     "pcid",   "dca",     "sse4_1",
               "sse4_2", "x2apic",    "movbe",  "popcnt",  "tsc_deadline_timer",
               "aes",    "xsave",     nullptr,  "avx",     "f16c",
               "rdrand", "hypervisor"}},
    {0x80000001, 0, 2, {"lahf_lm",    "cmp_legacy",  "svm",           "extapic", "cr8_legacy",  "abm",
                        "sse4a",      "misalignsse", "3dnowprefetch", "osvw",    "ibs",         "xop",
                        "skinit",     "wdt",         nullptr,         "lwp",     "fma4",        "tce",
                        nullptr,      "nodeid_msr",  nullptr,         "tbm",     "topoext",     "perfctr_core",
                        "perfctr_nb", nullptr,       "bpext",         "ptsc",    "perfctr_llc", "mwaitx"}},
    {7, 0, 1, {"fsgsbase", "tsc_adjust", "sgx",      "bmi1",     "hle",      "avx2",       nullptr,    "smep",
               "bmi2",     "erms",       "invpcid",  "rtm",      "cqm",      nullptr,      "mpx",      "rdt_a",
               "avx512f",  "avx512dq",   "rdseed",   "adx",      "smap",     "avx512ifma", nullptr,    "clflushopt",
               "clwb",     "intel_pt",   "avx512pf", "avx512er", "avx512cd", "sha_ni",     "avx512bw", "avx512vl"}},
    {0xd, 1, 0, {"xsaveopt", "xsavec", "xgetbv1", "xsaves"}},
    {7, 1, 0, {nullptr, nullptr, nullptr, nullptr, "avx_vnni", "avx512_bf16"}},
    {6, 0, 0, {nullptr, nullptr, "arat"}},
    {7, 0, 2, {nullptr,      "avx512vbmi",   "umip",          "pku",       "ospke",
               "waitpkg",    "avx512_vbmi2", nullptr,         "gfni",      "vaes",
               "vpclmulqdq", "avx512_vnni",  "avx512_bitalg", "tme",       "avx512_vpopcntdq",
               nullptr,      "la57",         nullptr,         nullptr,     nullptr,
               nullptr,      nullptr,        "rdpid",         nullptr,     "bus_lock_detect",
               "cldemote",   nullptr,        "movdiri",       "movdir64b", "enqcmd",
               "sgx_lc"}},
    {7, 0, 3, {nullptr,         nullptr,     "avx512_4vnniw",
               "avx512_4fmaps", "fsrm",      nullptr,
               nullptr,         nullptr,     "avx512_vp2intersect",
               nullptr,         "md_clear",  nullptr,
               nullptr,         nullptr,     "serialize",
               nullptr,         "tsxldtrk",  nullptr,
               "pconfig",       "arch_lbr",  "ibt",
               nullptr,         "amx_bf16",  "avx512_fp16",
               "amx_tile",      "amx_int8",  nullptr,
               nullptr,         "flush_l1d", "arch_capabilities"}},
};

// What every CPU block of /proc/cpuinfo shares, asked of CPUID once (each CPUID traps to
// the host on kvm-pvm) and kept.
struct CpuDescription {
    char vendor[13];
    char model_name[49];
    uint32_t family, model, stepping, cpuid_level;
    uint32_t cache_kib, clflush_bytes, physical_bits, virtual_bits;
    char flags[1536];
};

CpuDescription cpu_description;
bool cpu_described = false;
SpinLock cpu_description_lock;

uint32_t register_of(const arch::CpuidResult& result, uint8_t reg) {
    const uint32_t values[] = {result.eax, result.ebx, result.ecx, result.edx};
    return values[reg];
}

// The largest cache, as Linux's "cache size" shows it: Intel describes its caches in
// leaf 4 (the last level is the largest), AMD and Hygon give L2 in 0x80000006.
uint32_t cache_size_kib(bool amd, uint32_t max_leaf, uint32_t max_extended) {
    if (amd) return max_extended >= 0x80000006 ? arch::cpuid(0x80000006).ecx >> 16 : 0;
    if (max_leaf < 4) return 0;
    uint64_t largest = 0;
    for (uint32_t index = 0; index < 16; ++index) {
        arch::CpuidResult r = arch::cpuid(4, index);
        if ((r.eax & 0x1f) == 0) break;
        uint64_t ways = (r.ebx >> 22) + 1, partitions = ((r.ebx >> 12) & 0x3ff) + 1, line = (r.ebx & 0xfff) + 1;
        largest = max(largest, ways * partitions * line * (uint64_t{r.ecx} + 1));
    }
    return static_cast<uint32_t>(largest / 1024);
}

const CpuDescription& describe_cpu() {
    LockGuard guard(cpu_description_lock);
    if (cpu_described) return cpu_description;
    CpuDescription& d = cpu_description;
    arch::CpuidResult leaf0 = arch::cpuid(0);
    uint32_t max_leaf = leaf0.eax, max_extended = arch::cpuid(0x80000000).eax;
    memcpy(d.vendor, &leaf0.ebx, 4);
    memcpy(d.vendor + 4, &leaf0.edx, 4);
    memcpy(d.vendor + 8, &leaf0.ecx, 4);
    d.vendor[12] = 0;
    d.cpuid_level = max_leaf;
    arch::CpuidResult leaf1 = arch::cpuid(1);
    uint32_t base_family = (leaf1.eax >> 8) & 0xf, base_model = (leaf1.eax >> 4) & 0xf;
    d.family = base_family == 0xf ? base_family + ((leaf1.eax >> 20) & 0xff) : base_family;
    d.model = base_family >= 6 ? base_model | (((leaf1.eax >> 16) & 0xf) << 4) : base_model;
    d.stepping = leaf1.eax & 0xf;
    d.clflush_bytes = ((leaf1.ebx >> 8) & 0xff) * 8;
    memset(d.model_name, 0, sizeof d.model_name);
    if (max_extended >= 0x80000004) {
        for (uint32_t i = 0; i < 3; ++i) {
            arch::CpuidResult r = arch::cpuid(0x80000002 + i);
            memcpy(d.model_name + 16 * i, &r, 16);
        }
    }
    // Linux strips the leading blanks some brand strings have, and says "unknown" for none.
    uint32_t skip = 0;
    while (d.model_name[skip] == ' ') ++skip;
    memmove(d.model_name, d.model_name + skip, sizeof d.model_name - skip);
    if (!d.model_name[0]) memcpy(d.model_name, "unknown", 8);
    bool amd = !strcmp(d.vendor, "AuthenticAMD") || !strcmp(d.vendor, "HygonGenuine");
    d.cache_kib = cache_size_kib(amd, max_leaf, max_extended);
    d.physical_bits = 36, d.virtual_bits = 48;
    if (max_extended >= 0x80000008) {
        uint32_t sizes = arch::cpuid(0x80000008).eax;
        d.physical_bits = sizes & 0xff, d.virtual_bits = (sizes >> 8) & 0xff;
    }
    uint64_t length = 0;
    d.flags[0] = 0;
    for (const FeatureWord& word : feature_words) {
        uint32_t highest = word.leaf >= 0x80000000 ? max_extended : max_leaf;
        if (word.leaf > highest) continue;
        if (word.leaf == 7 && word.subleaf > arch::cpuid(7).eax) continue;
        uint32_t bits = register_of(arch::cpuid(word.leaf, word.subleaf), word.reg);
        for (uint32_t bit = 0; bit < 32; ++bit) {
            if (!(bits >> bit & 1) || !word.names[bit]) continue;
            length += format(d.flags + length, sizeof d.flags - length, length ? " %s" : "%s", word.names[bit]);
            if (length >= sizeof d.flags) length = sizeof d.flags - 1;
        }
        // An invariant TSC: Linux shows both names for the one bit.
        if (word.leaf == 0x80000007 && (bits >> 8 & 1))
            length += format(d.flags + length, sizeof d.flags - length, " nonstop_tsc");
    }
    cpu_described = true;
    return d;
}

// show_cpuinfo (arch/x86/kernel/cpu/proc.c): one block per CPU.
void generate_cpuinfo(Text& out, uint64_t) {
    const CpuDescription& d = describe_cpu();
    uint64_t khz = clock::tsc_khz();
    uint32_t cpus = process.cpu_count;
    for (uint32_t cpu = 0; cpu < cpus; ++cpu) {
        const arch::PerCpu* block = arch::cpu_block(cpu);
        uint32_t apic_id = block ? block->apic_id : cpu;
        out.add(
            "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
            "stepping\t: %u\n",
            cpu, d.vendor, d.family, d.model, d.model_name, d.stepping);
        out.add("cpu MHz\t\t: %lu.%03lu\n", khz / 1000, khz % 1000);
        if (d.cache_kib) out.add("cache size\t: %u KB\n", d.cache_kib);
        out.add(
            "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\napicid\t\t: %u\n"
            "initial apicid\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\nwp\t\t: yes\n",
            cpus, cpu, cpus, apic_id, apic_id, d.cpuid_level);
        out.add("flags\t\t: %s\nbugs\t\t:\n", d.flags);
        out.add("bogomips\t: %lu.%02lu\n", 2 * khz / 1000, (2 * khz % 1000) / 10);
        out.add(
            "clflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits virtual\n"
            "power management:\n\n",
            d.clflush_bytes, d.clflush_bytes, d.physical_bits, d.virtual_bits);
    }
}

// meminfo_proc_show (fs/proc/meminfo.c): "Name:" padded to 16, the number to 8, in KiB.
void generate_meminfo(Text& out, uint64_t) {
    mm::Usage usage = mm::usage();
    uint64_t total = usage.total_frames * 4, free = usage.free_frames * 4, used = total - free;
    uint64_t heap = min(usage.heap_bytes / 1024, used);
    const struct {
        const char* name;
        uint64_t kib;
    } lines[] = {
        {"MemTotal:", total},
        {"MemFree:", free},
        {"MemAvailable:", free},
        {"Buffers:", 0},
        {"Cached:", 0},
        {"SwapCached:", 0},
        {"Active:", used - heap},
        {"Inactive:", 0},
        {"Active(anon):", used - heap},
        {"Inactive(anon):", 0},
        {"Active(file):", 0},
        {"Inactive(file):", 0},
        {"Unevictable:", 0},
        {"Mlocked:", 0},
        {"SwapTotal:", 0},
        {"SwapFree:", 0},
        {"Zswap:", 0},
        {"Zswapped:", 0},
        {"Dirty:", 0},
        {"Writeback:", 0},
        {"AnonPages:", used - heap},
        {"Mapped:", 0},
        {"Shmem:", 0},
        {"KReclaimable:", 0},
        {"Slab:", heap},
        {"SReclaimable:", 0},
        {"SUnreclaim:", heap},
        {"KernelStack:", 0},
        {"PageTables:", 0},
        {"SecPageTables:", 0},
        {"NFS_Unstable:", 0},
        {"Bounce:", 0},
        {"WritebackTmp:", 0},
        {"CommitLimit:", total / 2},
        {"Committed_AS:", used},
        {"VmallocTotal:", 34359738367},
        {"VmallocUsed:", 0},
        {"VmallocChunk:", 0},
        {"Percpu:", 0},
        {"HardwareCorrupted:", 0},
        {"AnonHugePages:", 0},
        {"ShmemHugePages:", 0},
        {"ShmemPmdMapped:", 0},
        {"FileHugePages:", 0},
        {"FilePmdMapped:", 0},
    };
    for (const auto& line : lines) out.add("%-16s%8lu kB\n", line.name, line.kib);
    out.add(
        "HugePages_Total:   %5u\nHugePages_Free:    %5u\nHugePages_Rsvd:    %5u\nHugePages_Surp:    %5u\n"
        "Hugepagesize:   %8u kB\nHugetlb:        %8u kB\n",
        0u, 0u, 0u, 0u, 2048u, 0u);
    out.add("%-16s%8lu kB\n", "DirectMap4k:", uint64_t{0});
    out.add("%-16s%8lu kB\n", "DirectMap2M:", total);
}

uint64_t uptime_ns() { return clock::nanoseconds_since_boot(); }
constexpr uint64_t ns_per_tick = 1000000000 / clock_ticks_per_second;

// show_stat (fs/proc/stat.c). The scheduler keeps CPU time per thread, not per CPU: the
// per-CPU lines share the process's time out evenly, and the rest of each CPU's time
// since boot is idle.
void generate_proc_stat(Text& out, uint64_t) {
    uint32_t cpus = process.cpu_count;
    uint64_t uptime_ticks = uptime_ns() / ns_per_tick;
    uint64_t user = sched::process_cpu_time_ns() / ns_per_tick;
    uint64_t user_per_cpu = user / cpus;
    uint64_t idle_per_cpu = uptime_ticks > user_per_cpu ? uptime_ticks - user_per_cpu : 0;
    out.add("cpu  %lu 0 0 %lu 0 0 0 0 0 0\n", user, idle_per_cpu * cpus);
    for (uint32_t cpu = 0; cpu < cpus; ++cpu)
        out.add("cpu%u %lu 0 0 %lu 0 0 0 0 0 0\n", cpu, user_per_cpu, idle_per_cpu);
    uint64_t interrupts = 0;
    for (uint32_t cpu = 0; cpu < abi::max_cpus; ++cpu)
        if (const arch::PerCpu* block = arch::cpu_block(cpu)) interrupts += block->interrupt_count;
    uint64_t boot_seconds = (clock::realtime_ns() - uptime_ns()) / 1000000000;
    out.add("intr %lu\nctxt 0\nbtime %lu\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n", interrupts, boot_seconds);
    out.add("softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

// uptime_proc_show: seconds up, and seconds every CPU spent idle, summed.
void generate_uptime(Text& out, uint64_t) {
    uint64_t up = uptime_ns(), busy = sched::process_cpu_time_ns();
    uint64_t total = up * process.cpu_count;
    uint64_t idle = total > busy ? total - busy : 0;
    out.add("%lu.%02lu %lu.%02lu\n", up / 1000000000, up % 1000000000 / 10000000, idle / 1000000000,
            idle % 1000000000 / 10000000);
}

// loadavg_proc_show. The scheduler keeps no load average yet: zeros, then running/total
// tasks and the last pid.
void generate_loadavg(Text& out, uint64_t) {
    out.add("0.00 0.00 0.00 1/%lu %d\n", sched::live_threads(), linux::process_id);
}

void generate_version(Text& out, uint64_t) {
    out.add("Linux version %s (eremite@eremite) (%s) %s\n", kernel_release,
#ifdef __clang__
            "clang version " __clang_version__,
#else
            "gcc version " __VERSION__,
#endif
            kernel_version);
}

void generate_uuid(Text& out, uint64_t) {
    char uuid[40];
    make_uuid(uuid);
    out.add("%s\n", uuid);
}

void generate_boot_id(Text& out, uint64_t) { out.add("%s\n", process.boot_id); }

struct SysEntry {
    const char* path;  // under /proc/sys, directories made as needed
    const char* text;
};

// /proc/sys: the values Linux has by default (or that Eremite really has, such as
// overcommit_memory 0: mmap's heuristic in linux/memory.cpp). Read-only here.
constexpr SysEntry sys_entries[] = {
    {"kernel/hostname", "eremite\n"},
    {"kernel/domainname", "(none)\n"},
    {"kernel/ostype", "Linux\n"},
    {"kernel/osrelease", nullptr},
    {"kernel/version", nullptr},
    {"kernel/pid_max", "4194304\n"},
    {"kernel/threads-max", "126864\n"},
    {"kernel/ngroups_max", "65536\n"},
    {"kernel/cap_last_cap", "40\n"},
    {"kernel/overflowuid", "65534\n"},
    {"kernel/overflowgid", "65534\n"},
    {"kernel/randomize_va_space", "0\n"},
    {"kernel/random/entropy_avail", "256\n"},
    {"kernel/random/poolsize", "256\n"},
    {"kernel/random/boot_id", nullptr},
    {"kernel/random/uuid", nullptr},
    {"vm/overcommit_memory", "0\n"},
    {"vm/overcommit_ratio", "50\n"},
    {"vm/max_map_count", "65530\n"},
    {"vm/mmap_min_addr", "65536\n"},
    {"fs/file-max", "9223372036854775807\n"},
    {"fs/nr_open", "1048576\n"},
    {"fs/pipe-max-size", "1048576\n"},
    {"net/core/somaxconn", "4096\n"},
};

const char* find_slash(const char* path) {
    for (; *path; ++path)
        if (*path == '/') return path;
    return nullptr;
}

// The directory at `path` under `root` (made on the way) and the last component.
Directory& directory_for(Directory& root, const char* path, const char*& last) {
    Directory* at = &root;
    for (const char* slash; (slash = find_slash(path));) {
        char name[32];
        uint64_t length = static_cast<uint64_t>(slash - path);
        memcpy(name, path, length);
        name[length] = 0;
        auto found = at->lookup(Name{name, static_cast<uint32_t>(length)});
        at = found.ok() ? static_cast<Directory*>(found.value().get()) : &at->add_directory(name);
        path = slash + 1;
    }
    last = path;
    return *at;
}

void build_sys(Directory& sys) {
    for (const SysEntry& entry : sys_entries) {
        const char* name;
        Directory& directory = directory_for(sys, entry.path, name);
        if (entry.text)
            directory.add_text(name, entry.text);
        else if (!strcmp(name, "osrelease"))
            directory.add_file(name, [](Text& out, uint64_t) { out.add("%s\n", kernel_release); });
        else if (!strcmp(name, "version"))
            directory.add_file(name, [](Text& out, uint64_t) { out.add("%s\n", kernel_version); });
        else if (!strcmp(name, "boot_id"))
            directory.add_file(name, generate_boot_id);
        else
            directory.add_file(name, generate_uuid);
    }
}

struct FileEntry {
    const char* name;
    synthetic::Generator generator;
    uint64_t argument;
    uint32_t permissions;
};

void build_process_directory(Directory& pid) {
    pid.add_symlink("exe", generate_exe);
    pid.add_symlink("cwd", generate_cwd);
    pid.add_link_text("root", "/");
    pid.add("fd", new FdDirectory(false));
    pid.add("fdinfo", new FdDirectory(true));
    const FileEntry files[] = {
        {"maps", generate_maps, 0, 0444},
        {"status", generate_status, 0, 0444},
        {"stat", generate_stat, 0, 0444},
        {"statm", generate_statm, 0, 0444},
        {"cmdline", generate_block, reinterpret_cast<uint64_t>(&process.arguments), 0444},
        {"environ", generate_block, reinterpret_cast<uint64_t>(&process.environment), 0400},
        {"mounts", generate_mounts, 0, 0444},
        {"mountinfo", generate_mountinfo, 0, 0444},
        {"cgroup", synthetic::constant_text, synthetic::text_argument("0::/\n"), 0444},
        {"oom_score", synthetic::constant_text, synthetic::text_argument("0\n"), 0444},
    };
    for (const FileEntry& file : files) pid.add_file(file.name, file.generator, file.argument, file.permissions);
    pid.add_file("comm", generate_comm, 0, 0644).set_receiver(receive_comm);
    pid.add_file("oom_score_adj", generate_oom_score_adj, 0, 0644).set_receiver(receive_oom_score_adj);
}

}  // namespace

Ref<Node> make_procfs_root(const abi::BootInfo& boot_info) {
    uint64_t now = clock::realtime_ns();
    procfs.created = Timestamp{static_cast<int64_t>(now / 1000000000), static_cast<int64_t>(now % 1000000000)};
    synthetic::DirectoryBase::set_privileged(linux::process_is_privileged());
    process.owner = synthetic::Owner{linux::process_user_id(), linux::process_group_id()};
    process.cpu_count = boot_info.cpu_count ? boot_info.cpu_count : 1;
    process.start_ticks = uptime_ns() / ns_per_tick;
    copy_boot_strings(boot_info);
    set_comm_from(linux::executable_path());
    make_uuid(process.boot_id);

    auto* root = new Directory(procfs, 0555, synthetic::Owner{});
    if (!root) panic("out of memory building /proc");
    Ref<Node> reference(root);
    char pid_name[12];
    format(pid_name, sizeof pid_name, "%d", linux::process_id);
    // The process's own entries belong to its user, as on Linux.
    auto* pid = new Directory(procfs, 0555, process.owner);
    root->add(pid_name, pid);
    build_process_directory(*pid);
    root->add_symlink("self", generate_pid);
    const FileEntry files[] = {
        {"cpuinfo", generate_cpuinfo, 0, 0444},
        {"meminfo", generate_meminfo, 0, 0444},
        {"stat", generate_proc_stat, 0, 0444},
        {"uptime", generate_uptime, 0, 0444},
        {"loadavg", generate_loadavg, 0, 0444},
        {"version", generate_version, 0, 0444},
        {"filesystems", synthetic::constant_text,
         synthetic::text_argument("nodev\tsysfs\nnodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\thostfs\n"), 0444},
        {"swaps", synthetic::constant_text,
         synthetic::text_argument("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"), 0444},
    };
    for (const FileEntry& file : files) root->add_file(file.name, file.generator, file.argument, file.permissions);
    root->add_link_text("mounts", "self/mounts");
    build_sys(root->add_directory("sys"));
    return reference;
}

int32_t proc_fd_link_descriptor(Node& node) {
    if (node.file_system() != &procfs || node.type() != NodeType::symlink) return -1;
    uint64_t inode = static_cast<synthetic::SyntheticNode&>(node).inode();
    if (inode < fd_link_inode_base || inode >= fd_info_inode_base) return -1;
    return static_cast<int32_t>(inode - fd_link_inode_base);
}

}  // namespace eremite::fs
