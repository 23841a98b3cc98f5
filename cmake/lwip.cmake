# lwIP 2.1.3, the kernel's TCP/IP stack, built as a static library from Debian's `lwip`
# source package (scripts/debian_source.sh, at configure time: the sources land in the
# build directory, never in git) with the kernel's code-generation flags. The port
# (options, compiler definitions, the few C headers lwIP wants) is in kernel/net/ip_stack_port;
# the kernel drives the stack itself (NO_SYS=1: no lwIP threads, see kernel/net/stack.hpp).
#
# Defines the target lwip_kernel.
set(EREMITE_DEBIAN_SOURCES ${CMAKE_BINARY_DIR}/_debian_sources)
execute_process(
    COMMAND ${PROJECT_SOURCE_DIR}/scripts/debian_source.sh lwip ${EREMITE_DEBIAN_SOURCES}
    RESULT_VARIABLE lwip_fetch_result
    ERROR_VARIABLE lwip_fetch_error)
if(NOT lwip_fetch_result EQUAL 0)
    message(FATAL_ERROR "lwIP (Debian source package lwip): ${lwip_fetch_error}")
endif()

set(lwip_dir ${EREMITE_DEBIAN_SOURCES}/lwip/src)
set(lwip_core ${lwip_dir}/core)
add_library(lwip_kernel STATIC
    ${lwip_core}/init.c ${lwip_core}/def.c ${lwip_core}/inet_chksum.c ${lwip_core}/ip.c
    ${lwip_core}/mem.c ${lwip_core}/memp.c ${lwip_core}/netif.c ${lwip_core}/pbuf.c
    ${lwip_core}/raw.c ${lwip_core}/stats.c ${lwip_core}/sys.c ${lwip_core}/tcp.c
    ${lwip_core}/tcp_in.c ${lwip_core}/tcp_out.c ${lwip_core}/timeouts.c ${lwip_core}/udp.c
    ${lwip_core}/ipv4/icmp.c ${lwip_core}/ipv4/ip4.c ${lwip_core}/ipv4/ip4_addr.c
    ${lwip_core}/ipv4/ip4_frag.c ${lwip_core}/ipv4/etharp.c ${lwip_core}/ipv4/dhcp.c ${lwip_core}/dns.c
    ${lwip_core}/ipv6/icmp6.c ${lwip_core}/ipv6/inet6.c ${lwip_core}/ipv6/ip6.c
    ${lwip_core}/ipv6/ip6_addr.c ${lwip_core}/ipv6/ip6_frag.c ${lwip_core}/ipv6/nd6.c
    ${lwip_core}/ipv6/mld6.c ${lwip_core}/ipv6/ethip6.c
    ${lwip_dir}/netif/ethernet.c)
target_include_directories(lwip_kernel SYSTEM PUBLIC
    ${PROJECT_SOURCE_DIR}/kernel/net/ip_stack_port ${lwip_dir}/include)
# Only the compiler's own headers (stddef.h, stdint.h) and the port's string.h: never the
# host's C library.
target_include_directories(lwip_kernel SYSTEM PRIVATE ${PROJECT_SOURCE_DIR}/kernel/net/ip_stack_port/libc)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=include
                OUTPUT_VARIABLE compiler_include OUTPUT_STRIP_TRAILING_WHITESPACE)
target_compile_options(lwip_kernel PRIVATE
    -nostdinc -isystem ${compiler_include}
    -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns
    -mno-red-zone -mgeneral-regs-only -mcmodel=kernel -fno-pic -fno-pie
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-omit-frame-pointer -O2)
# ip6.c hands datagrams larger than the path MTU to eremite_ip6_frag
# (kernel/net/ip6_fragments.cpp), which completes a TCP checksum the device would have
# computed (the fragments no longer carry a whole segment for it) and then calls lwIP's
# ip6_frag.
set_source_files_properties(${lwip_core}/ipv6/ip6.c PROPERTIES COMPILE_DEFINITIONS ip6_frag=eremite_ip6_frag)
