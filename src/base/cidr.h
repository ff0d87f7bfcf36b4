/* IPv4 addresses and CIDR blocks as host-order integers: parsing, formatting and the little arithmetic the
 * pod network needs (the server's per-node podCIDR allocator and the agent's IPAM). IPv6 is not handled yet:
 * the parsers reject it with -EAFNOSUPPORT so that callers can say so. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Cidr4 {
  uint32_t addr; /* network address, host byte order, host bits cleared */
  int prefix;    /* 0..32 */
} Cidr4;

#define CIDR4_STRLEN 19 /* "255.255.255.255/32" + NUL */
#define IP4_STRLEN 16

/* "a.b.c.d" → host-order address. -EINVAL on garbage, -EAFNOSUPPORT for an IPv6 address. */
int ip4_parse(const char *s, uint32_t *ret);
void ip4_format(uint32_t ip, char buf[static IP4_STRLEN]);
/* "a.b.c.d/n" → block; host bits are cleared. -EINVAL on garbage, -EAFNOSUPPORT for IPv6. */
int cidr4_parse(const char *s, Cidr4 *ret);
void cidr4_format(const Cidr4 *c, char buf[static CIDR4_STRLEN]);
uint32_t cidr4_mask(int prefix);
bool cidr4_contains(const Cidr4 *c, uint32_t ip);
/* Number of addresses in the block (2^(32-prefix)), as 64 bits so that /0 fits. */
uint64_t cidr4_size(const Cidr4 *c);
