#include "kvm.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "error.hpp"

namespace ehyve {
namespace {

// <linux/kvm.h> declares the variable-length structs with __DECLARE_FLEX_ARRAY, which
// under C++ changes their size and with it the ioctl numbers computed from it. These are
// the numbers the kernel defines (header of 8 bytes: a count and padding).
struct VariableLengthHeader {
    uint32_t count, padding;
};
constexpr unsigned long ioctl_get_supported_cpuid = _IOWR(KVMIO, 0x05, VariableLengthHeader);
constexpr unsigned long ioctl_set_cpuid2 = _IOW(KVMIO, 0x90, VariableLengthHeader);
constexpr unsigned long ioctl_set_gsi_routing = _IOW(KVMIO, 0x6a, VariableLengthHeader);  // kvm_irq_routing

}  // namespace

Kvm::Kvm(const std::string& device) {
    fd_ = FileDescriptor(open(device.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd_.valid()) {
        if (errno == ENOENT)
            fail(device +
                 " does not exist: KVM is not available here (load kvm_intel or kvm_amd, or enable "
                 "virtualisation)");
        if (errno == EACCES || errno == EPERM)
            fail("no permission to open " + device + ": add your user to the group that owns it (usually kvm)");
        fail_errno("cannot open " + device);
    }
    int version = ioctl(fd_.get(), KVM_GET_API_VERSION, 0);
    if (version < 0) fail(device + " is not a KVM device");
    if (version != KVM_API_VERSION)
        fail(device + " speaks KVM API version " + std::to_string(version) + ", not " +
             std::to_string(KVM_API_VERSION));
}

std::vector<kvm_cpuid_entry2> Kvm::supported_cpuid() const {
    for (uint32_t count = 256; count <= 4096; count *= 2) {
        size_t bytes = sizeof(kvm_cpuid2) + count * sizeof(kvm_cpuid_entry2);
        std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
        auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.get());
        cpuid->nent = count;
        if (ioctl(fd_.get(), ioctl_get_supported_cpuid, cpuid) == 0)
            return std::vector<kvm_cpuid_entry2>(cpuid->entries, cpuid->entries + cpuid->nent);
        if (errno != E2BIG) fail_errno("KVM_GET_SUPPORTED_CPUID");
    }
    fail("KVM_GET_SUPPORTED_CPUID: too many entries");
}

Vm::Vm(const Kvm& kvm) {
    int fd;
    do fd = ioctl(kvm.fd(), KVM_CREATE_VM, 0);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) fail_errno("cannot create a VM (KVM_CREATE_VM)");
    fd_ = FileDescriptor(fd);
}

void Vm::set_memory(const GuestMemory& memory) {
    kvm_userspace_memory_region region{};
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = memory.size();
    region.userspace_addr = reinterpret_cast<uint64_t>(memory.host_base());
    if (ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region) < 0) fail_errno("KVM_SET_USER_MEMORY_REGION");
}

void Vm::create_split_irqchip() {
    kvm_enable_cap cap{};
    cap.cap = KVM_CAP_SPLIT_IRQCHIP;
    cap.args[0] = 24;  // IOAPIC routes reserved for userspace
    if (ioctl(fd_.get(), KVM_ENABLE_CAP, &cap) < 0) fail_errno("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)");
}

void Vm::add_ioeventfd(int fd, uint64_t address, uint32_t value) {
    kvm_ioeventfd request{};
    request.datamatch = value;
    request.addr = address;
    request.len = 4;
    request.fd = fd;
    request.flags = KVM_IOEVENTFD_FLAG_DATAMATCH;
    if (ioctl(fd_.get(), KVM_IOEVENTFD, &request) < 0) fail_errno("KVM_IOEVENTFD");
}

void Vm::add_msi_irqfd(int fd, uint32_t apic_id, uint8_t vector) {
    const uint32_t gsi = static_cast<uint32_t>(routes_.size());
    kvm_irq_routing_entry route{};
    route.gsi = gsi;
    route.type = KVM_IRQ_ROUTING_MSI;
    route.u.msi.address_lo = 0xfee00000u | (apic_id << 12);  // physical destination, fixed delivery
    route.u.msi.data = vector;                               // edge, fixed
    routes_.push_back(route);
    std::vector<uint8_t> table(sizeof(VariableLengthHeader) + routes_.size() * sizeof(kvm_irq_routing_entry));
    VariableLengthHeader header{static_cast<uint32_t>(routes_.size()), 0};
    std::memcpy(table.data(), &header, sizeof header);
    std::memcpy(table.data() + sizeof header, routes_.data(), routes_.size() * sizeof(kvm_irq_routing_entry));
    if (ioctl(fd_.get(), ioctl_set_gsi_routing, table.data()) < 0) fail_errno("KVM_SET_GSI_ROUTING");
    kvm_irqfd request{};
    request.fd = static_cast<uint32_t>(fd);
    request.gsi = gsi;
    if (ioctl(fd_.get(), KVM_IRQFD, &request) < 0) fail_errno("KVM_IRQFD");
}

Vcpu::Vcpu(const Kvm& kvm, const Vm& vm, unsigned index) {
    int fd = ioctl(vm.fd(), KVM_CREATE_VCPU, index);
    if (fd < 0) fail_errno("KVM_CREATE_VCPU");
    fd_ = FileDescriptor(fd);
    int size = ioctl(kvm.fd(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < static_cast<int>(sizeof(kvm_run))) fail_errno("KVM_GET_VCPU_MMAP_SIZE");
    void* run = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (run == MAP_FAILED) fail_errno("cannot map the vCPU's kvm_run");
    run_ = static_cast<kvm_run*>(run);
    run_size_ = size;
}

Vcpu::~Vcpu() {
    if (run_) munmap(run_, run_size_);
}

kvm_regs Vcpu::registers() const {
    kvm_regs regs{};
    if (ioctl(fd_.get(), KVM_GET_REGS, &regs) < 0) fail_errno("KVM_GET_REGS");
    return regs;
}

void Vcpu::set_registers(const kvm_regs& regs) {
    if (ioctl(fd_.get(), KVM_SET_REGS, &regs) < 0) fail_errno("KVM_SET_REGS");
}

kvm_sregs Vcpu::special_registers() const {
    kvm_sregs sregs{};
    if (ioctl(fd_.get(), KVM_GET_SREGS, &sregs) < 0) fail_errno("KVM_GET_SREGS");
    return sregs;
}

void Vcpu::set_special_registers(const kvm_sregs& sregs) {
    if (ioctl(fd_.get(), KVM_SET_SREGS, &sregs) < 0) fail_errno("KVM_SET_SREGS");
}

void Vcpu::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) {
    size_t bytes = sizeof(kvm_cpuid2) + entries.size() * sizeof(kvm_cpuid_entry2);
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]());
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.get());
    cpuid->nent = static_cast<uint32_t>(entries.size());
    std::memcpy(cpuid->entries, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
    if (ioctl(fd_.get(), ioctl_set_cpuid2, cpuid) < 0) fail_errno("KVM_SET_CPUID2");
}

void Vcpu::make_runnable() {
    kvm_mp_state state{KVM_MP_STATE_RUNNABLE};
    if (ioctl(fd_.get(), KVM_SET_MP_STATE, &state) < 0) fail_errno("KVM_SET_MP_STATE");
}

uint64_t Vcpu::tsc_khz() const {
    int khz = ioctl(fd_.get(), KVM_GET_TSC_KHZ, 0);
    return khz > 0 ? static_cast<uint64_t>(khz) : 0;
}

bool Vcpu::run() {
    if (ioctl(fd_.get(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) return false;
        fail_errno("KVM_RUN");
    }
    return true;
}

}  // namespace ehyve
