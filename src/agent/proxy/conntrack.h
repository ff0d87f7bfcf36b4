/* Stale UDP conntrack entries of the service proxy (kube-proxy's conntrack cleanup). A UDP "connection" is a
 * conntrack entry that lives as long as datagrams keep coming: after the proxy drops an endpoint, a client
 * that keeps sending from the same socket stays DNATed to the removed pod (or to a pod that is no longer an
 * endpoint) until it pauses for the UDP timeout. The proxy deletes those entries when an endpoint leaves a
 * UDP Service port, and the untranslated entries of a Service address that was sent to before it had rules.
 *
 * Talks ctnetlink directly (NETLINK_NETFILTER, IPCTNL_MSG_CT_GET dump + IPCTNL_MSG_CT_DELETE per entry), in
 * the caller's network namespace; no conntrack binary, no library. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One kind of entry to delete; addresses and ports in host order, 0 = any. An entry matches when its
 * original direction goes to orig_dst:orig_dport and its reply direction comes from reply_src:reply_sport.
 * `untranslated` matches only entries whose reply comes from the original destination (no DNAT). */
typedef struct ConntrackFilter {
  uint8_t l4proto; /* IPPROTO_UDP, ... */
  uint32_t orig_dst;
  uint16_t orig_dport;
  uint32_t reply_src;
  uint16_t reply_sport;
  bool untranslated;
} ConntrackFilter;

/* Whether an entry (orig src/dst, reply src, ports, protocol) matches f. Pure; for tests. */
bool conntrack_filter_match(const ConntrackFilter *f, uint8_t l4proto, uint32_t orig_dst, uint16_t orig_dport,
                            uint32_t reply_src, uint16_t reply_sport);

/* Deletes the IPv4 entries that match any of the n filters. Returns how many were deleted, or a negative
 * errno when the table cannot be read (no conntrack module: nothing to delete, -ENOENT/-EPROTONOSUPPORT). */
int conntrack_delete(const ConntrackFilter *filters, size_t n);

/* Parses "A.B.C.D:PORT" (or "*:PORT" = any address) into host-order values. 0 or -EINVAL. */
int conntrack_parse_addr(const char *s, uint32_t *ret_ip, uint16_t *ret_port);
