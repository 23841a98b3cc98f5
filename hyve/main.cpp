// ehyve: runs a static Linux x86_64 program in an Eremite VM.
#include <csignal>
#include <cstdio>

#include "eremite/abi.hpp"
#include "error.hpp"
#include "options.hpp"
#include "vm.hpp"

int main(int argc, char** argv) {
    // Output to a closed pipe must not kill ehyve before it reports the app's status.
    std::signal(SIGPIPE, SIG_IGN);
    // A guest writing a host file past the host user's file-size limit gets EFBIG, as a
    // process that ignores SIGXFSZ does, instead of ending ehyve.
    std::signal(SIGXFSZ, SIG_IGN);
    try {
        ehyve::Options options = ehyve::parse_options(argc, argv);
        if (options.show_help) {
            std::fputs(ehyve::usage_text().c_str(), stdout);
            return 0;
        }
        if (options.show_version) {
            std::printf("ehyve (Eremite) %s, boot ABI %u\n", EREMITE_VERSION, eremite::abi::boot_abi_version);
            return 0;
        }
        return ehyve::run_vm(options);
    } catch (const ehyve::HostError& e) {
        std::fprintf(stderr, "ehyve: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ehyve: %s\n", e.what());
    }
    return eremite::abi::exit_status_host_error;
}
