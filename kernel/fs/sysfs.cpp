// /sys, as Linux 6.1 shows it on a machine with this many CPUs. Attributes are read-only
// and report st_size 4096, as kernfs does.
#include "fs/sysfs.hpp"

#include "fs/synthetic.hpp"
#include "lib/format.hpp"
#include "lib/log.hpp"
#include "linux/process.hpp"
#include "sched/scheduler.hpp"
#include "time/clock.hpp"

namespace eremite::fs {
namespace {

using synthetic::Directory;
using synthetic::Text;

constexpr int64_t sysfs_magic = 0x62656572;

synthetic::FileSystem sysfs{
    .magic = sysfs_magic,
    .mount_flags = synthetic::st_nosuid | synthetic::st_nodev | synthetic::st_noexec | synthetic::st_relatime,
    .device = synthetic::make_device(0, 20),
    .regular_file_size = 4096,  // as kernfs reports for an attribute
};

// "0-3": the CPU list format of drivers/base/cpu.c. `argument` is the count.
void generate_cpu_range(Text& out, uint64_t count) {
    out.add_cpu_range(static_cast<uint32_t>(count));
    out.add_string("\n");
}

void generate_online(Text& out, uint64_t) { generate_cpu_range(out, sched::cpu_count()); }

}  // namespace

Ref<Node> make_sysfs_root(uint32_t cpu_count) {
    if (cpu_count == 0) cpu_count = 1;
    uint64_t now = clock::realtime_ns();
    sysfs.created = Timestamp{static_cast<int64_t>(now / 1000000000), static_cast<int64_t>(now % 1000000000)};
    synthetic::DirectoryBase::set_privileged(linux::process_is_privileged());
    auto* root = new Directory(sysfs, 0555, synthetic::Owner{});
    if (!root) panic("out of memory building /sys");
    Ref<Node> reference(root);

    Directory& cpu = root->add_directory("devices", 0755).add_directory("system", 0755).add_directory("cpu", 0755);
    cpu.add_file("online", generate_online);
    cpu.add_file("possible", generate_cpu_range, cpu_count);
    cpu.add_file("present", generate_cpu_range, cpu_count);
    cpu.add_text("offline", "\n");
    cpu.add_text("kernel_max", "63\n");  // NR_CPUS - 1: Eremite runs at most abi::max_cpus
    for (uint32_t i = 0; i < cpu_count; ++i) {
        char name[16];
        format(name, sizeof name, "cpu%u", i);
        cpu.add_directory(name, 0755);
    }

    Directory& fs = root->add_directory("fs", 0755);
    fs.add_directory("cgroup", 0755);

    // Eremite maps 4 KiB pages only: transparent huge pages are off.
    Directory& huge_pages =
        root->add_directory("kernel", 0755).add_directory("mm", 0755).add_directory("transparent_hugepage", 0755);
    huge_pages.add_text("enabled", "always madvise [never]\n", 0644);
    huge_pages.add_text("defrag", "always defer defer+madvise madvise [never]\n", 0644);
    huge_pages.add_text("hpage_pmd_size", "2097152\n");
    huge_pages.add_directory("khugepaged", 0755).add_text("max_ptes_none", "511\n", 0644);
    return reference;
}

}  // namespace eremite::fs
