/* The pod network of a node (issue 7): a Linux bridge `coracle0` in the node's network namespace holding the
 * first address of the node's podCIDR (the pods' gateway), and per pod a veth pair — host side
 * `veth<8 hex of the uid's hash>` on the bridge with hairpin on, pod side `eth0` inside the pod's namespace
 * (/run/netns/coracle-UID) with an address from the file-backed IPAM (ipam.h) and a default route via the
 * gateway. All of it through rtnetlink (nl.h). The node also gets ip_forward=1 and route_localnet=1
 * (NodePorts on 127.0.0.1).
 *
 * Not here: masquerading of traffic that leaves the cluster CIDR, Services and hostPorts are the service
 * proxy's (src/agent/proxy, the nft table `ip coracle`), which learns the bridge and the CIDRs from this
 * header (PODNET_BRIDGE, podnet_read_config).
 *
 * On disk, DATA_DIR/agent/net/:
 *   config.json     {"bridge","podCIDR","clusterCIDR","gateway","mtu"} once the node is configured
 *   ipam/<ip>       the pod uid holding the address (ipam.h)
 *   sysctl/<name>   a sysctl's value before we first changed it (restored by `coracle uninstall` and
 *                   `coracle server --cleanup-on-exit`, which then removes the record)
 *   routes/<a.b.c.d_n>  a route we added to another node's podCIDR, holding the gateway (multi-node)
 *
 * Multi-node: each node routes the other nodes' podCIDRs via their node IPs (podnet_route_set/del); the
 * watcher of Nodes that calls them lands with the multi-node agent.
 * Threads: every function may be called from any thread; PodNet's lock guards its configuration. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "base/cidr.h"
#include "base/error.h"

#define PODNET_BRIDGE "coracle0"
#define PODNET_VETH_PREFIX "veth"
#define PODNET_POD_IFNAME "eth0"
#define PODNET_NFT_TABLE "coracle" /* the proxy's table, family ip; deleted by `coracle uninstall` */

typedef struct PodNet PodNet;

typedef struct PodNetOptions {
  const char *data_dir;
  const char *cluster_cidr; /* NULL = 10.42.0.0/16 */
} PodNetOptions;

int podnet_open(const PodNetOptions *opts, PodNet **ret, Error *err);
void podnet_free(PodNet *n);

/* Whether the node is configured (bridge and podCIDR known). */
bool podnet_ready(PodNet *n);
/* Configures the node for pod_cidr (the Node's spec.podCIDR): the bridge with the gateway address, the
 * sysctls (originals recorded first), config.json. Idempotent; a second call with another CIDR fails. */
int podnet_configure_node(PodNet *n, const char *pod_cidr, Error *err);

/* Connects the pod's namespace (netns_path) to the bridge and returns its address ("10.42.0.7"). Idempotent
 * (a restarted agent gets the same address back); -ENODATA before podnet_configure_node. */
int podnet_setup_pod(PodNet *n, const char *uid, const char *netns_path, char ret_ip[static IP4_STRLEN],
                     Error *err);
/* Deletes the pod's veth and frees its address; fine when there is none. */
void podnet_teardown_pod(PodNet *n, const char *uid);
/* At agent start: frees addresses (and veths) of pods that have no directory under pods_dir any more (a
 * `coracle killall`, a crash between removal and release). Returns how many were freed. */
int podnet_reconcile(PodNet *n, const char *pods_dir);

/* Sets one of the node-wide sysctls the pod network manages ("net.ipv4.ip_forward",
 * "net.ipv4.conf.all.route_localnet") to its wanted value, recording the value before our first change under
 * DATA_DIR/agent/net/sysctl so that podnet_uninstall restores it. For other components that need one (the
 * service proxy). -ENOENT for a sysctl not in the list. */
int podnet_sysctl_set(const char *data_dir, const char *name, Error *err);

/* A route to another node's podCIDR via its node IP, recorded for uninstall (replaces one to the same
 * CIDR). */
int podnet_route_set(PodNet *n, const char *cidr, const char *via, Error *err);
int podnet_route_del(PodNet *n, const char *cidr);

/* The host-side veth name of a pod: "veth" + 8 hex digits of FNV-1a(uid). buf >= 16 bytes. */
void podnet_veth_name(const char *uid, char buf[static 16]);

/* What the service proxy (and anyone else) needs to know, read from DATA_DIR/agent/net/config.json.
 * -ENOENT before the node is configured. */
typedef struct PodNetConfig {
  char bridge[16];
  char pod_cidr[CIDR4_STRLEN];
  char cluster_cidr[CIDR4_STRLEN];
  char gateway[IP4_STRLEN];
  int mtu;
} PodNetConfig;
int podnet_read_config(const char *data_dir, PodNetConfig *ret);

/* `coracle uninstall`'s network part, in the caller's namespace: deletes the bridge and every veth of ours
 * (ports of the bridge, and the names of pods IPAM still knows), the routes recorded under routes/, the nft
 * table `ip coracle`, and restores the recorded sysctls. Other links and tables are never touched. Prints
 * what it removed to out (may be NULL). Returns the number of things removed. */
int podnet_uninstall(const char *data_dir, FILE *out);
