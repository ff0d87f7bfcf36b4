/* A small rtnetlink client for the pod network: the handful of link, address and route operations the
 * agent needs, each one request and one acknowledgement on a NETLINK_ROUTE socket (no `ip` process per
 * step). A socket belongs to the network namespace it was opened in; nl_open_netns opens one inside
 * another namespace (the pod's) by switching the calling thread there and back.
 * Errors are negative errno values from the kernel's acknowledgement; "already there" (EEXIST) and "already
 * gone" (ENODEV, ESRCH, ENOENT) are reported as such and the callers decide.
 * Threads: an Nl is used by one thread at a time; open one per operation. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Nl {
  int fd;
  uint32_t seq;
} Nl;

#define NL_INIT                                                                                              \
  { .fd = -1 }

/* A NETLINK_ROUTE socket in the caller's network namespace. */
int nl_open(Nl *ret);
/* One inside the namespace at netns_path ("/run/netns/NAME"); the calling thread is back in its own
 * namespace on return (aborts if it cannot get back: a thread left in a pod's namespace is not safe). */
int nl_open_netns(const char *netns_path, Nl *ret);
void nl_close(Nl *nl);
struct nlmsghdr;
/* Sends h (nlmsg_seq already set) on the netlink socket fd, of any netlink family, and reads until the
 * kernel's acknowledgement or the end of a dump, handing each reply with h's sequence number to fn (may be
 * NULL). 0, or the negative errno of the acknowledgement or of the socket. */
typedef void (*NlReplyFn)(struct nlmsghdr *r, void *ud);
int nl_fd_transact(int fd, struct nlmsghdr *h, NlReplyFn fn, void *ud);
static inline void nl_closep(Nl *nl) {
  nl_close(nl);
}
#define _cleanup_nl_ __attribute__((cleanup(nl_closep)))

typedef struct NlLink {
  int index;
  int mtu;
  int master; /* bridge's index, 0 when none */
  bool up;
  char name[16];
  char kind[16]; /* "bridge", "veth", ... ("" when the kernel does not say) */
} NlLink;

/* The link called name: -ENODEV when there is none. */
int nl_link_get(Nl *nl, const char *name, NlLink *ret);
/* Every link of the namespace (caller frees *ret). */
int nl_link_list(Nl *nl, NlLink **ret, size_t *ret_n);
/* A bridge called name, up. -EEXIST when a link of that name exists. */
int nl_bridge_add(Nl *nl, const char *name);
/* A veth pair: host side `name` enslaved to master (an index; 0 = none), up, with mtu (0 = default); the peer
 * created directly inside the namespace of peer_netns_fd as peer_name, with the MAC address peer_mac (NULL =
 * random). -EEXIST when name exists. */
int nl_veth_add(Nl *nl, const char *name, int master, int mtu, const char *peer_name, int peer_netns_fd,
                const uint8_t peer_mac[6]);
int nl_link_set_up(Nl *nl, int index);
int nl_link_del(Nl *nl, const char *name);
/* `bridge link set dev X hairpin on|off` on a bridge port. */
int nl_bridge_port_hairpin(Nl *nl, int index, bool on);
/* ip (host order)/prefix on the link. -EEXIST when present. */
int nl_addr_add(Nl *nl, int index, uint32_t ip, int prefix);
/* A route to dst/prefix via gw (0 = directly connected) out of oif (0 = any), replacing one to the same
 * destination. */
int nl_route_replace(Nl *nl, uint32_t dst, int prefix, uint32_t gw, int oif);
/* Deletes the route to dst/prefix via gw (0 = any gateway); -ESRCH when there is none. */
int nl_route_del(Nl *nl, uint32_t dst, int prefix, uint32_t gw);

/* Deletes the nftables table `family name` ("ip", "coracle") of the caller's namespace through
 * NETLINK_NETFILTER (no nft binary needed). -ENOENT when there is none. */
int nl_nft_table_delete(const char *family, const char *name);
