#include "fs/etc_files.hpp"

#include "fs/procfs.hpp"
#include "fs/synthetic.hpp"
#include "lib/log.hpp"
#include "lib/string.hpp"
#include "mm/memory.hpp"

namespace eremite::fs {
namespace {

using synthetic::Text;

// The value of `name` in the environment the app starts with, or nullptr.
const char* environment_value(const abi::BootInfo& info, const char* name) {
    const char* cursor = mm::to_virtual<const char>(PhysAddr{info.strings});
    const char* end = cursor + info.strings_size;
    size_t name_length = strlen(name);
    for (uint64_t i = 0; i < 1ull + info.argc + info.envc && cursor < end; ++i) {
        size_t length = strnlen(cursor, end - cursor);
        if (i > info.argc && length > name_length && !memcmp(cursor, name, name_length) && cursor[name_length] == '=' &&
            cursor + length < end)
            return cursor + name_length + 1;
        cursor += length + 1;
    }
    return nullptr;
}

// What useradd accepts as a user name ([a-z_][a-z0-9_-]*, at most 32 bytes).
bool valid_user_name(const char* name) {
    if (!name || !*name || strlen(name) > 32) return false;
    for (const char* c = name; *c; ++c) {
        bool letter = (*c >= 'a' && *c <= 'z') || *c == '_';
        bool other = (*c >= '0' && *c <= '9') || *c == '-';
        if (!letter && !(other && c != name)) return false;
    }
    return true;
}

// A home directory passwd can hold: absolute, with no field separator or line break.
bool valid_home(const char* home) {
    if (!home || home[0] != '/') return false;
    for (const char* c = home; *c; ++c)
        if (*c == ':' || *c == '\n') return false;
    return true;
}

// The file it wrote, or a null reference when the initramfs brought one or on failure.
Ref<Node> write_file(Node& directory, const char* name, const Text& text) {
    Name file_name{name, static_cast<uint32_t>(strlen(name))};
    auto existing = directory.lookup(file_name);
    if (existing.ok()) return {};  // the initramfs brought one: it wins
    if (text.failed()) {
        log::warn("/etc/%s: out of memory", name);
        return {};
    }
    auto file = directory.create(file_name, 0644);
    if (!file.ok()) {
        log::warn("/etc/%s: cannot create it (errno %d)", name, static_cast<int>(file.error_code()));
        return {};
    }
    auto written = file.value()->write(0, IoBuffer::kernel(text.data()), text.length());
    if (!written.ok() || written.value() != text.length()) {
        log::warn("/etc/%s: cannot write it (errno %d)", name, static_cast<int>(written.error_code()));
        return {};
    }
    return file.release();
}

// The files the kernel wrote, which describe_network rewrites.
Ref<Node> resolv_conf;
Ref<Node> hosts_file;

// /etc/hosts as Debian writes it, the host name on `own_address`.
void add_hosts(Text& hosts, const char* own_address) {
    hosts.add(
        "127.0.0.1\tlocalhost\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "ff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
        own_address, kernel_hostname);
}

void replace(Node& file, const Text& text) {
    if (text.failed() || !file.truncate(0).ok()) return;
    (void)file.write(0, IoBuffer::kernel(text.data()), text.length());
}

}  // namespace

void describe_network(const char* address, const char* name_server) {
    if (address && hosts_file) {
        Text hosts;
        add_hosts(hosts, address);
        replace(*hosts_file, hosts);
    }
    if (name_server && resolv_conf) {
        Text resolv;
        resolv.add("# The network's name server (from DHCP or ehyve --dns).\nnameserver %s\n", name_server);
        replace(*resolv_conf, resolv);
    }
}

void populate_etc(Node& etc_directory, const abi::BootInfo& boot_info) {
    uint32_t uid = boot_info.uid, gid = boot_info.gid;
    const char* user = environment_value(boot_info, "USER");
    if (!valid_user_name(user) || !strcmp(user, "root") || !strcmp(user, "nobody")) user = "user";
    const char* home = environment_value(boot_info, "HOME");
    if (!valid_home(home)) home = "/";

    Text hostname;
    hostname.add("%s\n", kernel_hostname);
    write_file(etc_directory, "hostname", hostname);

    Text hosts;
    add_hosts(hosts, "127.0.1.1");
    hosts_file = write_file(etc_directory, "hosts", hosts);

    Text passwd;
    passwd.add_string("root:x:0:0:root:/root:/bin/sh\n");
    if (uid != 0 && uid != 65534) passwd.add("%s:x:%u:%u:%s:%s:/bin/sh\n", user, uid, gid, user, home);
    passwd.add_string("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    write_file(etc_directory, "passwd", passwd);

    Text group;
    group.add_string("root:x:0:\n");
    if (gid != 0 && gid != 65534) group.add("%s:x:%u:\n", uid != 0 ? user : "users", gid);
    group.add_string("nogroup:x:65534:\n");
    write_file(etc_directory, "group", group);

    // Rewritten by set_name_server once the network knows its server (DHCP or --dns).
    Text resolv;
    resolv.add_string(
        "# No name server known (no network device, or none configured): names resolve from\n"
        "# /etc/hosts only.\nnameserver 127.0.0.1\n");
    resolv_conf = write_file(etc_directory, "resolv.conf", resolv);

    // What getaddrinfo and getservbyname look service names up in, and getprotobyname
    // protocols: the IANA numbers of the common ones (a program may name them, "http").
    Text services;
    services.add_string(
        "ftp\t\t21/tcp\nssh\t\t22/tcp\ntelnet\t\t23/tcp\nsmtp\t\t25/tcp\t\tmail\n"
        "domain\t\t53/tcp\ndomain\t\t53/udp\nbootps\t\t67/udp\nbootpc\t\t68/udp\n"
        "http\t\t80/tcp\t\twww\nntp\t\t123/udp\nimap2\t\t143/tcp\t\timap\n"
        "https\t\t443/tcp\nhttps\t\t443/udp\nsubmission\t587/tcp\nimaps\t\t993/tcp\n"
        "mysql\t\t3306/tcp\npostgresql\t5432/tcp\nhttp-alt\t8080/tcp\n");
    write_file(etc_directory, "services", services);

    Text protocols;
    protocols.add_string(
        "ip\t0\tIP\nicmp\t1\tICMP\ntcp\t6\tTCP\nudp\t17\tUDP\nipv6\t41\tIPv6\n"
        "ipv6-icmp\t58\tIPv6-ICMP\n");
    write_file(etc_directory, "protocols", protocols);

    Text nsswitch;
    nsswitch.add_string(
        "passwd:         files\ngroup:          files\nshadow:         files\n"
        "hosts:          files dns\nnetworks:       files\nprotocols:      files\nservices:       files\n"
        "ethers:         files\nrpc:            files\n");
    write_file(etc_directory, "nsswitch.conf", nsswitch);
}

}  // namespace eremite::fs
