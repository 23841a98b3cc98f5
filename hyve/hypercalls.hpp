// The host side of the hypercall interface (abi/eremite/abi.hpp): a port write whose
// port names the call and whose %rdi holds the guest-physical address of the arguments.
// Every argument struct is read through GuestMemory; a bad address ends the VM with a
// message instead of touching memory outside the guest.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "console.hpp"
#include "guest_memory.hpp"
#include "host_files.hpp"

namespace ehyve {

struct HypercallOutcome {
    enum class Kind { resume, exit, panic, guest_error, start_cpu } kind = Kind::resume;
    int status = 0;       // for exit
    std::string message;  // for panic and guest_error
    uint32_t cpu = 0;     // for start_cpu
    uint64_t entry = 0, argument = 0;
};

class Hypercalls {
public:
    Hypercalls(const GuestMemory& memory, ConsoleDrain& console, HostFiles& host_files)
        : memory_(memory), console_(console), host_files_(host_files) {}

    static bool is_hypercall_port(uint16_t port);
    HypercallOutcome handle(uint16_t port, uint64_t arguments);

    uint64_t count(uint16_t number) const { return number < counts_size ? counts_[number].load() : 0; }
    static const char* name(uint16_t number);
    static constexpr uint16_t counts_size = 8;

private:
    HypercallOutcome stdin_read(uint64_t arguments);
    HypercallOutcome host_file(uint64_t arguments);

    const GuestMemory& memory_;
    ConsoleDrain& console_;
    HostFiles& host_files_;
    std::atomic<uint64_t> counts_[counts_size] = {};
};

}  // namespace ehyve
