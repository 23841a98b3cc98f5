/* lwIP's options for the Eremite kernel (lwip/opt.h documents each).
 *
 * NO_SYS=1: lwIP runs no threads of its own. The kernel calls into it under one lock
 * (kernel/net/stack.hpp) from the syscalls and from its timer, and takes what lwIP
 * delivers in callbacks (the raw API). Memory comes from the kernel heap. */
#ifndef EREMITE_LWIPOPTS_H
#define EREMITE_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0

#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define mem_clib_malloc eremite_lwip_malloc
#define mem_clib_calloc eremite_lwip_calloc
#define mem_clib_free eremite_lwip_free

#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
/* The device's IPv4 address comes from DHCP unless ehyve gives a static one; the
 * address is not probed with ARP first (DHCP_DOES_ARP_CHECK would hold boot for a
 * second and more). lwIP's DNS module only keeps the servers DHCP names, for
 * /etc/resolv.conf: the C library resolves names itself. */
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_DHCP_CHECK_LINK_UP 1
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 2
/* IPv6 on the device: a link-local address, then stateless autoconfiguration from the
 * router's advertisements (user-mode networking sends them; so does a router on TAP). */
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
/* Reassembly keeps its bookkeeping beside the packet: 64-bit pointers do not fit the
 * fragment header lwIP would otherwise reuse. */
#define IPV6_FRAG_COPYHEADER 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1

/* 127.0.0.1 and ::1 inside the guest: a loopback interface whose packets are delivered
 * when the kernel polls it (after each send). */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#define LWIP_LOOPBACK_MAX_PBUFS 0

/* The loopback interface has no MTU, so its segments are TCP_MSS long; an Ethernet
 * interface caps them at its MTU (TCP_CALCULATE_EFF_SEND_MSS). Large segments make
 * streaming over loopback a few copies per 8 KiB rather than per 1460 bytes. */
#define TCP_MSS 8192
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (32 * TCP_MSS)
#define TCP_SND_BUF (32 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* lwIP's own sockets would use it; its default exceeds what lwIP's checks allow here. */
#define TCP_SNDLOWAT (2 * TCP_MSS + 1)
#define TCP_LISTEN_BACKLOG 1
/* A connection attempt ends after TCP_SYNCNT retransmissions (the socket layer checks),
 * at most lwIP's limit of 12 (its backoff table; Linux allows 127, about 2 minutes at
 * the default of 6 already). */
#define TCP_SYNMAXRTX 12
#define LWIP_SO_RCVBUF 0
#define SO_REUSE 1

#define LWIP_CHKSUM_ALGORITHM 3
/* The network device completes TCP checksums when it offers to (VIRTIO_NET_F_CSUM):
 * the device's interface then generates and checks none (the driver checks received
 * ones); UDP keeps its own (a fragmented datagram's checksum covers all fragments, which
 * the driver never sees together). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
/* (lwIP's loopback interface then computes and checks no checksums at all: its packets
 * never leave memory.) */
#define LWIP_STATS 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_SINGLE_NETIF 0

#endif
