/* Deleting stale conntrack entries through ctnetlink (see conntrack.h): one dump of the IPv4 table, the
 * matching entries collected, then one delete request per entry (a dump cannot be changed while it runs). */
/* glibc's netinet/in.h before the kernel headers, which then skip their own copies. */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/net/nl.h"
#include "agent/proxy/conntrack.h"
#include "base/util.h"

bool conntrack_filter_match(const ConntrackFilter *f, uint8_t l4proto, uint32_t orig_dst, uint16_t orig_dport,
                            uint32_t reply_src, uint16_t reply_sport) {
  if (f->l4proto != l4proto)
    return false;
  if ((f->orig_dst && f->orig_dst != orig_dst) || (f->orig_dport && f->orig_dport != orig_dport))
    return false;
  if ((f->reply_src && f->reply_src != reply_src) || (f->reply_sport && f->reply_sport != reply_sport))
    return false;
  if (f->untranslated && (reply_src != orig_dst || reply_sport != orig_dport))
    return false;
  /* Without untranslated, only entries that were DNATed: the endpoint's own direct traffic stays. */
  if (!f->untranslated && reply_src == orig_dst)
    return false;
  return true;
}

int conntrack_parse_addr(const char *s, uint32_t *ret_ip, uint16_t *ret_port) {
  const char *colon = s ? strrchr(s, ':') : NULL;
  if (!colon)
    return -EINVAL;
  char ip[16];
  size_t n = (size_t)(colon - s);
  if (n == 0 || n >= sizeof ip)
    return -EINVAL;
  memcpy(ip, s, n);
  ip[n] = 0;
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (*end || port == 0 || port > 65535)
    return -EINVAL;
  uint32_t addr = 0;
  if (!streq(ip, "*")) {
    struct in_addr a;
    if (inet_pton(AF_INET, ip, &a) != 1)
      return -EINVAL;
    addr = ntohl(a.s_addr);
  }
  *ret_ip = addr;
  *ret_port = (uint16_t)port;
  return 0;
}

/* ---- netlink ---- */

typedef struct Tuple {
  uint32_t src, dst; /* network order, as the kernel gives them */
  uint16_t sport, dport;
  uint8_t proto;
  bool have;
} Tuple;

typedef struct Entry {
  Tuple orig;
  uint16_t zone;
  bool have_zone;
} Entry;

typedef struct Collect {
  const ConntrackFilter *filters;
  size_t n_filters;
  Entry *v;
  size_t n, cap;
} Collect;

static void parse_tuple(struct nlattr *t, Tuple *ret) {
  Tuple tp = {.have = true};
  int len = (int)(t->nla_len - NLA_HDRLEN);
  for (struct nlattr *a = (struct nlattr *)((char *)t + NLA_HDRLEN);
       len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
       len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
    int ilen = (int)(a->nla_len - NLA_HDRLEN);
    for (struct nlattr *i = (struct nlattr *)((char *)a + NLA_HDRLEN);
         ilen >= NLA_HDRLEN && i->nla_len >= NLA_HDRLEN && i->nla_len <= ilen;
         ilen -= NLA_ALIGN(i->nla_len), i = (struct nlattr *)((char *)i + NLA_ALIGN(i->nla_len))) {
      void *d = (char *)i + NLA_HDRLEN;
      size_t dl = i->nla_len - NLA_HDRLEN;
      int outer = a->nla_type & NLA_TYPE_MASK, inner = i->nla_type & NLA_TYPE_MASK;
      if (outer == CTA_TUPLE_IP && inner == CTA_IP_V4_SRC && dl == 4)
        memcpy(&tp.src, d, 4);
      else if (outer == CTA_TUPLE_IP && inner == CTA_IP_V4_DST && dl == 4)
        memcpy(&tp.dst, d, 4);
      else if (outer == CTA_TUPLE_PROTO && inner == CTA_PROTO_NUM && dl >= 1)
        tp.proto = *(uint8_t *)d;
      else if (outer == CTA_TUPLE_PROTO && inner == CTA_PROTO_SRC_PORT && dl == 2)
        memcpy(&tp.sport, d, 2);
      else if (outer == CTA_TUPLE_PROTO && inner == CTA_PROTO_DST_PORT && dl == 2)
        memcpy(&tp.dport, d, 2);
    }
  }
  *ret = tp;
}

static void on_entry(struct nlmsghdr *r, void *ud) {
  Collect *c = ud;
  if ((r->nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW || r->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
    return;
  Entry e = {0};
  Tuple reply = {0};
  int len = (int)(r->nlmsg_len - NLMSG_LENGTH(sizeof(struct nfgenmsg)));
  for (struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(r) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
       len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
       len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
    int type = a->nla_type & NLA_TYPE_MASK;
    if (type == CTA_TUPLE_ORIG)
      parse_tuple(a, &e.orig);
    else if (type == CTA_TUPLE_REPLY)
      parse_tuple(a, &reply);
    else if (type == CTA_ZONE && a->nla_len - NLA_HDRLEN == 2) {
      memcpy(&e.zone, (char *)a + NLA_HDRLEN, 2);
      e.have_zone = true;
    }
  }
  if (!e.orig.have || !reply.have)
    return;
  for (size_t i = 0; i < c->n_filters; i++) {
    if (!conntrack_filter_match(&c->filters[i], e.orig.proto, ntohl(e.orig.dst), ntohs(e.orig.dport),
                                ntohl(reply.src), ntohs(reply.sport)))
      continue;
    if (c->n == c->cap) {
      c->cap = c->cap ? c->cap * 2 : 16;
      c->v = xrealloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = e;
    return;
  }
}

typedef struct Req {
  union {
    struct nlmsghdr h;
    char buf[256];
  };
} Req;

static struct nlmsghdr *req_init(Req *m, uint16_t type, uint16_t flags, uint32_t seq) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  m->h.nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
  m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  m->h.nlmsg_seq = seq;
  struct nfgenmsg *g = NLMSG_DATA(&m->h);
  g->nfgen_family = AF_INET;
  g->version = NFNETLINK_V0;
  return &m->h;
}

static struct nlattr *put(struct nlmsghdr *h, uint16_t type, const void *data, size_t len) {
  struct nlattr *a = (struct nlattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
  if (NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(NLA_HDRLEN + len) > sizeof(Req))
    abort(); /* fixed-size requests: a bug, not an input */
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  if (len)
    memcpy((char *)a + NLA_HDRLEN, data, len);
  h->nlmsg_len = (uint32_t)(NLMSG_ALIGN(h->nlmsg_len) + NLA_ALIGN(a->nla_len));
  return a;
}

static void end_nest(struct nlmsghdr *h, struct nlattr *a) {
  a->nla_len = (uint16_t)((char *)h + h->nlmsg_len - (char *)a);
}

static int delete_entry(int fd, const Entry *e, uint32_t seq) {
  Req m;
  struct nlmsghdr *h = req_init(&m, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq);
  struct nlattr *t = put(h, CTA_TUPLE_ORIG | NLA_F_NESTED, NULL, 0);
  struct nlattr *ip = put(h, CTA_TUPLE_IP | NLA_F_NESTED, NULL, 0);
  put(h, CTA_IP_V4_SRC, &e->orig.src, 4);
  put(h, CTA_IP_V4_DST, &e->orig.dst, 4);
  end_nest(h, ip);
  struct nlattr *pr = put(h, CTA_TUPLE_PROTO | NLA_F_NESTED, NULL, 0);
  put(h, CTA_PROTO_NUM, &e->orig.proto, 1);
  put(h, CTA_PROTO_SRC_PORT, &e->orig.sport, 2);
  put(h, CTA_PROTO_DST_PORT, &e->orig.dport, 2);
  end_nest(h, pr);
  end_nest(h, t);
  if (e->have_zone)
    put(h, CTA_ZONE, &e->zone, 2);
  return nl_fd_transact(fd, h, NULL, NULL);
}

int conntrack_delete(const ConntrackFilter *filters, size_t n) {
  if (n == 0)
    return 0;
  _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0)
    return -errno;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
    return -errno;
  uint32_t seq = (uint32_t)now_monotonic_usec();
  Req m;
  struct nlmsghdr *h = req_init(&m, IPCTNL_MSG_CT_GET, NLM_F_DUMP, ++seq);
  Collect c = {.filters = filters, .n_filters = n};
  int rc = nl_fd_transact(fd, h, on_entry, &c);
  if (rc < 0) {
    free(c.v);
    return rc;
  }
  int deleted = 0;
  for (size_t i = 0; i < c.n; i++) {
    /* ENOENT: the entry expired or was deleted meanwhile. */
    if (delete_entry(fd, &c.v[i], ++seq) == 0)
      deleted++;
  }
  free(c.v);
  return deleted;
}
