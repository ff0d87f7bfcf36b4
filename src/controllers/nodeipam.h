/* Node IPAM: every Node gets a block of the cluster CIDR for its pods (kube-controller-manager's range
 * allocator). The allocator is a bitmap over the cluster CIDR's node-sized blocks (/24 out of the default
 * 10.42.0.0/16), searched round-robin from the last block handed out; the controller rebuilds it from the
 * podCIDRs the Nodes already carry, so a restarted server never hands a block out twice.
 * Threads: NodeIpam itself is not locked; the controller guards it with its own mutex. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/cidr.h"
#include "base/error.h"

#define NODEIPAM_NODE_PREFIX 24 /* kube-controller-manager's --node-cidr-mask-size for IPv4 */

typedef struct NodeIpam {
  Cidr4 cluster;
  int node_prefix;
  size_t n;      /* node blocks in the cluster CIDR */
  uint8_t *used; /* n bits */
  size_t next;   /* where the next search starts */
} NodeIpam;

/* Parses cluster_cidr and sizes the bitmap for node_prefix blocks. -EINVAL with a message when the CIDR is
 * malformed, IPv6, smaller than one node block or wider than /8. */
int nodeipam_init(NodeIpam *a, const char *cluster_cidr, int node_prefix, Error *err);
void nodeipam_done(NodeIpam *a);
/* Marks a podCIDR that a Node already has as used. -ERANGE when it is not one of our blocks (another
 * range, or another size); the Node keeps it, we simply do not track it. */
int nodeipam_occupy(NodeIpam *a, const char *cidr);
/* The next free block, marked used. -ENOSPC when the cluster CIDR is full. */
int nodeipam_allocate(NodeIpam *a, char ret[static CIDR4_STRLEN]);
/* Frees a block (a deleted Node's, or one whose patch failed); a block not ours is ignored. */
void nodeipam_release(NodeIpam *a, const char *cidr);

typedef struct CtrlManager CtrlManager;
/* Registers the controller (nodes informer, "nodeipam" queue) for the manager's cluster CIDR. */
int nodeipam_controller_setup(CtrlManager *m, Error *err);
