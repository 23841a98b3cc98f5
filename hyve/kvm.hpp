// RAII wrappers for the KVM API (Documentation/virt/kvm/api.rst): the system fd, a VM
// and its vCPUs. Every fd is owned; an error anywhere closes what was opened so far.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "file_descriptor.hpp"
#include "guest_memory.hpp"

namespace ehyve {

class Kvm {
public:
    // Opens /dev/kvm and checks the API version; clear errors when it is missing, not
    // accessible, or not KVM.
    explicit Kvm(const std::string& device = "/dev/kvm");
    int fd() const { return fd_.get(); }
    std::vector<kvm_cpuid_entry2> supported_cpuid() const;

private:
    FileDescriptor fd_;
};

class Vcpu;

class Vm {
public:
    explicit Vm(const Kvm& kvm);
    int fd() const { return fd_.get(); }
    void set_memory(const GuestMemory& memory);
    // The local APICs in the kernel, the PIC and IOAPIC not at all (the split irqchip):
    // the guest's x2APIC timer needs the former, nothing needs the latter, and the full
    // irqchip costs about 15 ms at VM tear-down on kvm-pvm (bench/boot measures it).
    void create_split_irqchip();

    // KVM signals `fd` itself when the guest writes the 4-byte `value` to MMIO `address`:
    // no exit reaches ehyve's vCPU threads (a device thread waits on the eventfd).
    void add_ioeventfd(int fd, uint64_t address, uint32_t value);
    // Each signal of `fd` becomes an MSI to local APIC `apic_id` at `vector`, delivered
    // by KVM (needs the irqchip); the routing table grows by one entry per call.
    void add_msi_irqfd(int fd, uint32_t apic_id, uint8_t vector);

private:
    FileDescriptor fd_;
    std::vector<kvm_irq_routing_entry> routes_;
};

class Vcpu {
public:
    Vcpu(const Kvm& kvm, const Vm& vm, unsigned index);
    ~Vcpu();
    Vcpu(const Vcpu&) = delete;
    Vcpu& operator=(const Vcpu&) = delete;

    int fd() const { return fd_.get(); }
    kvm_run& run_state() const { return *run_; }

    kvm_regs registers() const;
    void set_registers(const kvm_regs& regs);
    kvm_sregs special_registers() const;
    void set_special_registers(const kvm_sregs& sregs);
    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries);
    // With the local APIC in KVM, a vCPU other than 0 waits for INIT/SIPI; ehyve puts it
    // straight into its 64-bit state instead and marks it runnable.
    void make_runnable();
    uint64_t tsc_khz() const;  // 0 when KVM does not know

    // KVM_RUN; false when interrupted by a signal (EINTR), true on a VM exit.
    bool run();

private:
    FileDescriptor fd_;
    kvm_run* run_ = nullptr;
    size_t run_size_ = 0;
};

}  // namespace ehyve
