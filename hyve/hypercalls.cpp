#include "hypercalls.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "eremite/abi.hpp"

namespace ehyve {

using namespace eremite;

namespace {

HypercallOutcome bad_argument(const char* call, uint64_t address) {
    return {HypercallOutcome::Kind::guest_error, 0,
            std::string("the guest passed an invalid address to the ") + call + " hypercall (" +
                std::to_string(address) + ")"};
}

}  // namespace

bool Hypercalls::is_hypercall_port(uint16_t port) {
    return port >= abi::hypercall_port_base &&
           port < abi::hypercall_port_base + static_cast<uint16_t>(abi::Hypercall::count);
}

const char* Hypercalls::name(uint16_t number) {
    switch (static_cast<abi::Hypercall>(number)) {
        case abi::Hypercall::exit: return "exit";
        case abi::Hypercall::console_flush: return "console_flush";
        case abi::Hypercall::stdin_read: return "stdin_read";
        case abi::Hypercall::panic: return "panic";
        case abi::Hypercall::start_cpu: return "start_cpu";
        case abi::Hypercall::host_file: return "host_file";
        default: return "unknown";
    }
}

HypercallOutcome Hypercalls::handle(uint16_t port, uint64_t arguments) {
    auto number = static_cast<uint16_t>(port - abi::hypercall_port_base);
    if (number < counts_size) ++counts_[number];
    switch (static_cast<abi::Hypercall>(number)) {
        case abi::Hypercall::exit: {
            auto args = memory_.read<abi::ExitArgs>(GuestPhysAddr{arguments});
            if (!args) return bad_argument("exit", arguments);
            return {HypercallOutcome::Kind::exit, args->status & 0xff, {}};
        }
        case abi::Hypercall::console_flush: console_.drain(); return {};
        case abi::Hypercall::stdin_read: return stdin_read(arguments);
        case abi::Hypercall::panic: {
            auto args = memory_.read<abi::PanicArgs>(GuestPhysAddr{arguments});
            if (!args) return bad_argument("panic", arguments);
            uint64_t length = std::min<uint64_t>(args->length, abi::panic_message_max);
            auto text = memory_.span(GuestPhysAddr{args->message}, length);
            std::string message = text ? std::string(text->begin(), text->end()) : "(message not readable)";
            return {HypercallOutcome::Kind::panic, 0, message};
        }
        case abi::Hypercall::start_cpu: {
            auto args = memory_.read<abi::StartCpuArgs>(GuestPhysAddr{arguments});
            if (!args) return bad_argument("start_cpu", arguments);
            HypercallOutcome outcome{HypercallOutcome::Kind::start_cpu, 0, {}};
            outcome.cpu = args->cpu;
            outcome.entry = args->entry;
            outcome.argument = args->argument;
            return outcome;
        }
        case abi::Hypercall::host_file: return host_file(arguments);
        default: return {HypercallOutcome::Kind::guest_error, 0, "unknown hypercall " + std::to_string(number)};
    }
}

HypercallOutcome Hypercalls::stdin_read(uint64_t arguments) {
    GuestPhysAddr address{arguments};
    auto args = memory_.read<abi::StdinReadArgs>(address);
    if (!args) return bad_argument("stdin_read", arguments);
    auto buffer = memory_.span(GuestPhysAddr{args->buffer}, args->length);
    if (!buffer) return bad_argument("stdin_read", args->buffer);
    // What the app printed before it reads (a prompt) must be visible first.
    console_.drain();
    ssize_t count;
    do count = ::read(0, buffer->data(), buffer->size());
    while (count < 0 && errno == EINTR);
    args->result = count < 0 ? -errno : count;
    memory_.write(address, *args);
    return {};
}

// Only the argument struct itself must be where it belongs: everything it points to is
// checked by HostFiles, and a bad pointer there is the call's EFAULT, not the VM's end.
HypercallOutcome Hypercalls::host_file(uint64_t arguments) {
    GuestPhysAddr address{arguments};
    auto args = memory_.read<abi::HostFileArgs>(address);
    if (!args) return bad_argument("host_file", arguments);
    host_files_.serve(*args);
    // Only what the call returns goes back: the guest's other fields stay as it wrote them.
    memory_.write(address + offsetof(abi::HostFileArgs, result), args->result);
    memory_.write(address + offsetof(abi::HostFileArgs, stat), args->stat);
    return {};
}

}  // namespace ehyve
