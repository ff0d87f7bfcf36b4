/* rtnetlink requests of the pod network (see nl.h): one message built in a buffer, sent, and read back until
 * the kernel's acknowledgement (or the end of a dump). */
/* glibc's netinet/in.h before the kernel headers, which then skip their own copies. */
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/net/nl.h"
#include "base/util.h"

#define MSG_MAX 2048
#define RECV_MAX 65536

typedef struct Msg {
  union {
    struct nlmsghdr h;
    char buf[MSG_MAX];
  };
} Msg;

static struct nlmsghdr *msg_init(Msg *m, uint16_t type, uint16_t flags) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_len = NLMSG_LENGTH(0);
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  return &m->h;
}

/* Appends len zeroed bytes at the next aligned offset. */
static void *msg_put(struct nlmsghdr *h, size_t len) {
  size_t off = NLMSG_ALIGN(h->nlmsg_len);
  if (off + NLMSG_ALIGN(len) > MSG_MAX)
    abort(); /* our messages are small and fixed: a bug, not an input */
  void *p = (char *)h + off;
  memset(p, 0, NLMSG_ALIGN(len));
  h->nlmsg_len = (uint32_t)(off + len);
  return p;
}

static struct rtattr *attr_put(struct nlmsghdr *h, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = msg_put(h, RTA_LENGTH(len));
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(len);
  if (len)
    memcpy(RTA_DATA(a), data, len);
  return a;
}

static void attr_u32(struct nlmsghdr *h, unsigned short type, uint32_t v) {
  attr_put(h, type, &v, sizeof v);
}

static void attr_str(struct nlmsghdr *h, unsigned short type, const char *s) {
  attr_put(h, type, s, strlen(s) + 1);
}

static struct rtattr *nest_start(struct nlmsghdr *h, unsigned short type) {
  return attr_put(h, (unsigned short)(type | NLA_F_NESTED), NULL, 0);
}

static void nest_end(struct nlmsghdr *h, struct rtattr *a) {
  a->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)a);
}

int nl_open(Nl *ret) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return -errno;
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = -errno;
    close(fd);
    return e;
  }
  int one = 1; /* extended acks are not needed; errors come as errno values */
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  *ret = (Nl){.fd = fd, .seq = (uint32_t)now_monotonic_usec()};
  return 0;
}

int nl_open_netns(const char *netns_path, Nl *ret) {
  _cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return -errno;
  _cleanup_close_ int target = open(netns_path, O_RDONLY | O_CLOEXEC);
  if (target < 0)
    return -errno;
  if (setns(target, CLONE_NEWNET) < 0)
    return -errno;
  int rc = nl_open(ret);
  if (setns(self, CLONE_NEWNET) < 0)
    abort();
  return rc;
}

void nl_close(Nl *nl) {
  if (nl && nl->fd >= 0)
    close(nl->fd);
  if (nl)
    nl->fd = -1;
}

int nl_fd_transact(int fd, struct nlmsghdr *h, NlReplyFn fn, void *ud) {
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  ssize_t n;
  do
    n = sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -errno;
  _cleanup_free_ char *buf = xmalloc(RECV_MAX);
  for (;;) {
    n = recv(fd, buf, RECV_MAX, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      return -EPIPE;
    int len = (int)n;
    for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, len); r = NLMSG_NEXT(r, len)) {
      if (r->nlmsg_seq != h->nlmsg_seq)
        continue;
      if (r->nlmsg_type == NLMSG_ERROR)
        return ((struct nlmsgerr *)NLMSG_DATA(r))->error;
      if (r->nlmsg_type == NLMSG_DONE)
        return 0;
      if (fn)
        fn(r, ud);
    }
  }
}

/* nl_fd_transact on the rtnetlink socket, with the next sequence number. */
static int talk(Nl *nl, struct nlmsghdr *h, NlReplyFn fn, void *ud) {
  h->nlmsg_seq = ++nl->seq;
  return nl_fd_transact(nl->fd, h, fn, ud);
}

/* ---- links ---- */

static void parse_link(struct nlmsghdr *r, NlLink *l) {
  struct ifinfomsg *ifi = NLMSG_DATA(r);
  *l = (NlLink){.index = ifi->ifi_index, .up = (ifi->ifi_flags & IFF_UP) != 0};
  int len = (int)IFLA_PAYLOAD(r);
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    switch (a->rta_type & NLA_TYPE_MASK) {
    case IFLA_IFNAME:
      snprintf(l->name, sizeof l->name, "%.*s", (int)RTA_PAYLOAD(a), (char *)RTA_DATA(a));
      break;
    case IFLA_MTU:
      l->mtu = (int)*(uint32_t *)RTA_DATA(a);
      break;
    case IFLA_MASTER:
      l->master = (int)*(uint32_t *)RTA_DATA(a);
      break;
    case IFLA_LINKINFO: {
      int ilen = (int)RTA_PAYLOAD(a);
      for (struct rtattr *i = RTA_DATA(a); RTA_OK(i, ilen); i = RTA_NEXT(i, ilen))
        if ((i->rta_type & NLA_TYPE_MASK) == IFLA_INFO_KIND)
          snprintf(l->kind, sizeof l->kind, "%.*s", (int)RTA_PAYLOAD(i), (char *)RTA_DATA(i));
      break;
    }
    default:
      break;
    }
  }
}

static void on_link(struct nlmsghdr *r, void *ud) {
  if (r->nlmsg_type == RTM_NEWLINK)
    parse_link(r, ud);
}

int nl_link_get(Nl *nl, const char *name, NlLink *ret) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_GETLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  attr_str(h, IFLA_IFNAME, name);
  attr_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  NlLink l = {.index = 0};
  int rc = talk(nl, h, on_link, &l);
  if (rc < 0)
    return rc;
  if (!l.index)
    return -ENODEV;
  *ret = l;
  return 0;
}

typedef struct LinkList {
  NlLink *v;
  size_t n;
} LinkList;

static void on_link_list(struct nlmsghdr *r, void *ud) {
  LinkList *l = ud;
  if (r->nlmsg_type != RTM_NEWLINK)
    return;
  l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
  parse_link(r, &l->v[l->n++]);
}

int nl_link_list(Nl *nl, NlLink **ret, size_t *ret_n) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_GETLINK, NLM_F_DUMP);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  attr_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  LinkList l = {0};
  int rc = talk(nl, h, on_link_list, &l);
  if (rc < 0) {
    free(l.v);
    return rc;
  }
  *ret = l.v;
  *ret_n = l.n;
  return 0;
}

int nl_bridge_add(Nl *nl, const char *name) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  attr_str(h, IFLA_IFNAME, name);
  struct rtattr *li = nest_start(h, IFLA_LINKINFO);
  attr_str(h, IFLA_INFO_KIND, "bridge");
  nest_end(h, li);
  return talk(nl, h, NULL, NULL);
}

int nl_veth_add(Nl *nl, const char *name, int master, int mtu, const char *peer_name, int peer_netns_fd,
                const uint8_t peer_mac[6]) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  attr_str(h, IFLA_IFNAME, name);
  if (mtu > 0)
    attr_u32(h, IFLA_MTU, (uint32_t)mtu);
  if (master > 0)
    attr_u32(h, IFLA_MASTER, (uint32_t)master);
  struct rtattr *li = nest_start(h, IFLA_LINKINFO);
  attr_str(h, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest_start(h, IFLA_INFO_DATA);
  struct rtattr *peer = nest_start(h, VETH_INFO_PEER);
  struct ifinfomsg *pifi = msg_put(h, sizeof *pifi);
  pifi->ifi_family = AF_UNSPEC;
  /* Not IFF_UP here: the kernel configures the peer before the pair is joined, and opening a veth without
   * its peer fails (ENOTCONN). eth0 is brought up from inside the pod's namespace. */
  attr_str(h, IFLA_IFNAME, peer_name);
  if (mtu > 0)
    attr_u32(h, IFLA_MTU, (uint32_t)mtu);
  if (peer_mac)
    attr_put(h, IFLA_ADDRESS, peer_mac, 6);
  if (peer_netns_fd >= 0)
    attr_u32(h, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
  nest_end(h, peer);
  nest_end(h, data);
  nest_end(h, li);
  return talk(nl, h, NULL, NULL);
}

int nl_link_set_up(Nl *nl, int index) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_NEWLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return talk(nl, h, NULL, NULL);
}

int nl_link_del(Nl *nl, const char *name) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_DELLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  attr_str(h, IFLA_IFNAME, name);
  return talk(nl, h, NULL, NULL);
}

int nl_bridge_port_hairpin(Nl *nl, int index, bool on) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_SETLINK, NLM_F_ACK);
  struct ifinfomsg *ifi = msg_put(h, sizeof *ifi);
  ifi->ifi_family = AF_BRIDGE;
  ifi->ifi_index = index;
  struct rtattr *p = nest_start(h, IFLA_PROTINFO); /* nested: the bridge reads the port attributes */
  uint8_t v = on;
  attr_put(h, IFLA_BRPORT_MODE, &v, sizeof v);
  nest_end(h, p);
  return talk(nl, h, NULL, NULL);
}

/* ---- addresses and routes ---- */

int nl_addr_add(Nl *nl, int index, uint32_t ip, int prefix) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifaddrmsg *ifa = msg_put(h, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_index = (unsigned)index;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  uint32_t be = htonl(ip);
  attr_u32(h, IFA_LOCAL, be);
  attr_u32(h, IFA_ADDRESS, be);
  return talk(nl, h, NULL, NULL);
}

int nl_route_replace(Nl *nl, uint32_t dst, int prefix, uint32_t gw, int oif) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  struct rtmsg *rt = msg_put(h, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = (unsigned char)prefix;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  if (prefix > 0)
    attr_u32(h, RTA_DST, htonl(dst));
  if (gw)
    attr_u32(h, RTA_GATEWAY, htonl(gw));
  if (oif > 0)
    attr_u32(h, RTA_OIF, (uint32_t)oif);
  return talk(nl, h, NULL, NULL);
}

int nl_route_del(Nl *nl, uint32_t dst, int prefix, uint32_t gw) {
  Msg m;
  struct nlmsghdr *h = msg_init(&m, RTM_DELROUTE, NLM_F_ACK);
  struct rtmsg *rt = msg_put(h, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = (unsigned char)prefix;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_scope = RT_SCOPE_NOWHERE;
  if (prefix > 0)
    attr_u32(h, RTA_DST, htonl(dst));
  if (gw)
    attr_u32(h, RTA_GATEWAY, htonl(gw));
  return talk(nl, h, NULL, NULL);
}

/* ---- nftables ---- */

static void put_nfgen(struct nlmsghdr *h, uint8_t family, uint16_t res_id) {
  struct nfgenmsg *g = msg_put(h, sizeof *g);
  g->nfgen_family = family;
  g->version = NFNETLINK_V0;
  g->res_id = htons(res_id);
}

int nl_nft_table_delete(const char *family, const char *name) {
  uint8_t fam = streq(family, "ip")     ? NFPROTO_IPV4
                : streq(family, "ip6")  ? NFPROTO_IPV6
                : streq(family, "inet") ? NFPROTO_INET
                                        : NFPROTO_UNSPEC;
  if (fam == NFPROTO_UNSPEC)
    return -EAFNOSUPPORT;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0)
    return -errno;
  Nl nl = {.fd = fd, .seq = (uint32_t)now_monotonic_usec()};
  /* A transaction: BEGIN, DELTABLE (acknowledged), END, in one datagram. */
  char buf[3 * 256] __attribute__((aligned(4))) = {0};
  Msg m;
  uint32_t seq = ++nl.seq;
  struct nlmsghdr *h = msg_init(&m, NFNL_MSG_BATCH_BEGIN, 0);
  h->nlmsg_seq = seq;
  put_nfgen(h, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  size_t off = 0;
  memcpy(buf + off, h, h->nlmsg_len);
  off += NLMSG_ALIGN(h->nlmsg_len);
  h = msg_init(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NLM_F_ACK);
  h->nlmsg_seq = seq + 1;
  put_nfgen(h, fam, 0);
  attr_str(h, NFTA_TABLE_NAME, name);
  memcpy(buf + off, h, h->nlmsg_len);
  off += NLMSG_ALIGN(h->nlmsg_len);
  h = msg_init(&m, NFNL_MSG_BATCH_END, 0);
  h->nlmsg_seq = seq + 2;
  put_nfgen(h, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
  memcpy(buf + off, h, h->nlmsg_len);
  off += NLMSG_ALIGN(h->nlmsg_len);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  int rc = 0;
  if (sendto(fd, buf, off, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  char rbuf[4096] __attribute__((aligned(4)));
  for (;;) {
    ssize_t n = recv(fd, rbuf, sizeof rbuf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      rc = n < 0 ? -errno : -EPIPE;
      break;
    }
    int len = (int)n;
    bool done = false;
    for (struct nlmsghdr *r = (struct nlmsghdr *)rbuf; NLMSG_OK(r, len); r = NLMSG_NEXT(r, len))
      if (r->nlmsg_type == NLMSG_ERROR && r->nlmsg_seq >= seq && r->nlmsg_seq <= seq + 2) {
        rc = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
        done = true;
        break;
      }
    if (done)
      break;
  }
  close(fd);
  return rc;
}
