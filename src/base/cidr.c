/* IPv4 CIDR helpers (see cidr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cidr.h"

int ip4_parse(const char *s, uint32_t *ret) {
  if (!s)
    return -EINVAL;
  if (strchr(s, ':'))
    return -EAFNOSUPPORT;
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1)
    return -EINVAL;
  *ret = ntohl(a.s_addr);
  return 0;
}

void ip4_format(uint32_t ip, char buf[static IP4_STRLEN]) {
  snprintf(buf, IP4_STRLEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

uint32_t cidr4_mask(int prefix) {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int cidr4_parse(const char *s, Cidr4 *ret) {
  if (!s)
    return -EINVAL;
  if (strchr(s, ':'))
    return -EAFNOSUPPORT;
  const char *slash = strchr(s, '/');
  if (!slash || slash == s || slash - s >= IP4_STRLEN)
    return -EINVAL;
  char ip[IP4_STRLEN];
  memcpy(ip, s, (size_t)(slash - s));
  ip[slash - s] = 0;
  uint32_t a;
  int rc = ip4_parse(ip, &a);
  if (rc < 0)
    return rc;
  char *end;
  errno = 0;
  long p = strtol(slash + 1, &end, 10);
  if (errno || end == slash + 1 || *end || p < 0 || p > 32)
    return -EINVAL;
  *ret = (Cidr4){.addr = a & cidr4_mask((int)p), .prefix = (int)p};
  return 0;
}

void cidr4_format(const Cidr4 *c, char buf[static CIDR4_STRLEN]) {
  char ip[IP4_STRLEN];
  ip4_format(c->addr, ip);
  snprintf(buf, CIDR4_STRLEN, "%s/%d", ip, c->prefix);
}

bool cidr4_contains(const Cidr4 *c, uint32_t ip) {
  return (ip & cidr4_mask(c->prefix)) == c->addr;
}

uint64_t cidr4_size(const Cidr4 *c) {
  return 1ull << (32 - c->prefix);
}
