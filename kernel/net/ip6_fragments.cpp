// IPv6 fragmentation with TCP checksum offload. On the network device's interface lwIP
// leaves TCP checksums to the device (drivers/tcp_checksum.hpp), which finds the segment
// in each frame. A segment larger than the path MTU (lowered by an ICMPv6 Packet Too Big
// or a router advertisement after the connection chose its segment size) leaves as
// IPv6 fragments, which no frame holds whole: its checksum is computed here, before
// lwIP cuts it (cmake/lwip.cmake routes ip6.c's call here).

extern "C" {
#include "lwip/inet_chksum.h"
#include "lwip/ip6.h"
#include "lwip/ip6_frag.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/ip6.h"
#include "lwip/prot/tcp.h"
}

extern "C" err_t eremite_ip6_frag(struct pbuf* p, struct netif* netif, const ip6_addr_t* dest) {
    if (p->len >= IP6_HLEN && netif && !(netif->chksum_flags & NETIF_CHECKSUM_GEN_TCP)) {
        auto* header = static_cast<struct ip6_hdr*>(p->payload);
        if (IP6H_NEXTH(header) == IP6_NEXTH_TCP && p->tot_len >= IP6_HLEN + TCP_HLEN) {
            ip6_addr_t source, destination;
            ip6_addr_copy_from_packed(source, header->src);
            ip6_addr_copy_from_packed(destination, header->dest);
            if (pbuf_remove_header(p, IP6_HLEN) == 0) {
                u16_t checksum = ip6_chksum_pseudo(p, IP6_NEXTH_TCP, p->tot_len, &source, &destination);
                pbuf_add_header(p, IP6_HLEN);
                pbuf_take_at(p, &checksum, sizeof checksum, IP6_HLEN + 16);  // tcphdr.chksum
            }
        }
    }
    return ip6_frag(p, netif, dest);
}
