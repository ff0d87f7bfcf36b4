/* The node IPAM controller (see nodeipam.h): gives each Node without spec.podCIDR the next free block of
 * --cluster-cidr and writes it as spec.podCIDR and spec.podCIDRs. Keys are node names. The informer's
 * handlers mark the blocks of existing Nodes before any worker runs (workers start after the first list), so
 * the bitmap is complete before the first allocation; a deleted Node's block is freed. */
#include <errno.h>

#include "controllers/controllers-internal.h"
#include "controllers/nodeipam.h"

#define COMPONENT "nodeipam-controller"

int nodeipam_init(NodeIpam *a, const char *cluster_cidr, int node_prefix, Error *err) {
  *a = (NodeIpam){0};
  int rc = cidr4_parse(cluster_cidr, &a->cluster);
  if (rc == -EAFNOSUPPORT)
    return error_set(err, -EINVAL, "--cluster-cidr", "%s: IPv6 pod networks are not supported yet",
                     cluster_cidr);
  if (rc < 0)
    return error_set(err, -EINVAL, "--cluster-cidr", "invalid CIDR address: %s", cluster_cidr ?: "");
  if (a->cluster.prefix > node_prefix || node_prefix > 30)
    return error_set(err, -EINVAL, "--cluster-cidr",
                     "%s is smaller than one node's pod range (/%d): use a larger cluster CIDR", cluster_cidr,
                     node_prefix);
  if (node_prefix - a->cluster.prefix > 16)
    return error_set(err, -EINVAL, "--cluster-cidr", "%s has more than 65536 node ranges of /%d",
                     cluster_cidr, node_prefix);
  a->node_prefix = node_prefix;
  a->n = (size_t)1 << (node_prefix - a->cluster.prefix);
  a->used = xcalloc((a->n + 7) / 8, 1);
  return 0;
}

void nodeipam_done(NodeIpam *a) {
  free(a->used);
  *a = (NodeIpam){0};
}

static bool bit(const NodeIpam *a, size_t i) {
  return a->used[i / 8] & (1u << (i % 8));
}

static void set_bit(NodeIpam *a, size_t i, bool on) {
  if (on)
    a->used[i / 8] |= (uint8_t)(1u << (i % 8));
  else
    a->used[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

/* The block index of cidr, or -ERANGE. */
static long index_of(const NodeIpam *a, const char *cidr) {
  Cidr4 c;
  if (!a->used || cidr4_parse(cidr, &c) < 0 || c.prefix != a->node_prefix ||
      !cidr4_contains(&a->cluster, c.addr))
    return -ERANGE;
  return (long)((c.addr - a->cluster.addr) >> (32 - a->node_prefix));
}

int nodeipam_occupy(NodeIpam *a, const char *cidr) {
  long i = index_of(a, cidr);
  if (i < 0)
    return (int)i;
  set_bit(a, (size_t)i, true);
  return 0;
}

int nodeipam_allocate(NodeIpam *a, char ret[static CIDR4_STRLEN]) {
  for (size_t k = 0; k < a->n; k++) {
    size_t i = (a->next + k) % a->n;
    if (bit(a, i))
      continue;
    set_bit(a, i, true);
    a->next = (i + 1) % a->n;
    Cidr4 c = {.addr = a->cluster.addr + ((uint32_t)i << (32 - a->node_prefix)), .prefix = a->node_prefix};
    cidr4_format(&c, ret);
    return 0;
  }
  return -ENOSPC;
}

void nodeipam_release(NodeIpam *a, const char *cidr) {
  long i = index_of(a, cidr);
  if (i >= 0)
    set_bit(a, (size_t)i, false);
}

/* ---- the controller ---- */

typedef struct IpamState {
  CtrlController *c;
  Informer *nodes;
  pthread_mutex_t lock; /* guards ipam and pending */
  NodeIpam ipam;
  /* node name → the block we patched in and the informer has not shown yet: a second sync of the same Node
   * from a stale cache patches the same block again instead of taking another one */
  json_t *pending;
} IpamState;

static void state_free(void *p) {
  IpamState *s = p;
  pthread_mutex_destroy(&s->lock);
  nodeipam_done(&s->ipam);
  json_decref(s->pending);
  free(s);
}

static int ipam_sync(CtrlController *c, const char *name, Error *err) {
  IpamState *s = c->state;
  _cleanup_json_ json_t *node = informer_get(s->nodes, name);
  if (!node || ctrl_is_deleting(node))
    return 0;
  const char *have = jstr(node, "spec.podCIDR");
  if (!isempty(have)) {
    pthread_mutex_lock(&s->lock);
    nodeipam_occupy(&s->ipam, have);
    pthread_mutex_unlock(&s->lock);
    return 0;
  }
  char cidr[CIDR4_STRLEN];
  pthread_mutex_lock(&s->lock);
  const char *prev = json_string_value(json_object_get(s->pending, name));
  int rc = 0;
  if (prev)
    snprintf(cidr, sizeof cidr, "%s", prev);
  else if ((rc = nodeipam_allocate(&s->ipam, cidr)) >= 0)
    json_object_set_new(s->pending, name, json_string(cidr));
  pthread_mutex_unlock(&s->lock);
  if (rc < 0) {
    ctrl_event(c->m, node, "v1", "Node", COMPONENT, "Normal", "CIDRNotAvailable",
               "Node %s status is now: CIDRNotAvailable", name);
    /* Not retried with back-off (hundreds of simulated nodes would flood the queue): the Node's next update,
     * or a freed block, brings it back. */
    log_debug(COMPONENT, "node=%s msg=\"no pod range left in the cluster CIDR\"", name);
    return 0;
  }
  /* The resourceVersion makes the patch fail (409) if someone set a podCIDR meanwhile. */
  _cleanup_json_ json_t *patch =
      json_pack("{s:{s:s},s:{s:s,s:[s]}}", "metadata", "resourceVersion",
                jstr(node, "metadata.resourceVersion") ?: "", "spec", "podCIDR", cidr, "podCIDRs", cidr);
  rc = client_patch(c->m->client, api_resource_find("", "v1", "nodes"), NULL, name, NULL, CLIENT_PATCH_MERGE,
                    patch, NULL, err);
  if (rc == -ENOENT) { /* deleted meanwhile: the block goes back */
    pthread_mutex_lock(&s->lock);
    nodeipam_release(&s->ipam, cidr);
    json_object_del(s->pending, name);
    pthread_mutex_unlock(&s->lock);
    error_reset(err);
    return 0;
  }
  if (rc < 0) /* a conflict (the kubelet writes the Node too): retried with the same pending block */
    return rc;
  log_info(COMPONENT, "node=%s podCIDR=%s msg=\"pod range allocated\"", name, cidr);
  return 0;
}

static void on_node(json_t *node, void *ud) {
  IpamState *s = ud;
  const char *have = jstr(node, "spec.podCIDR");
  if (isempty(have)) {
    ctrl_enqueue(s->c, jstr(node, "metadata.name"));
    return;
  }
  pthread_mutex_lock(&s->lock);
  int rc = nodeipam_occupy(&s->ipam, have);
  const char *prev = json_string_value(json_object_get(s->pending, jstr(node, "metadata.name")));
  if (prev && !streq(prev, have)) /* someone else set another block: ours goes back */
    nodeipam_release(&s->ipam, prev);
  json_object_del(s->pending, jstr(node, "metadata.name"));
  pthread_mutex_unlock(&s->lock);
  if (rc < 0)
    log_debug(COMPONENT, "node=%s podCIDR=%s msg=\"outside the cluster CIDR: not tracked\"",
              jstr(node, "metadata.name"), have);
}

static void on_node_update(json_t *old, json_t *node, void *ud) {
  (void)old;
  on_node(node, ud);
}

static void on_node_delete(json_t *node, void *ud) {
  IpamState *s = ud;
  const char *have = jstr(node, "spec.podCIDR");
  pthread_mutex_lock(&s->lock);
  const char *prev = json_string_value(json_object_get(s->pending, jstr(node, "metadata.name")));
  if (prev)
    nodeipam_release(&s->ipam, prev);
  json_object_del(s->pending, jstr(node, "metadata.name"));
  if (!isempty(have))
    nodeipam_release(&s->ipam, have);
  pthread_mutex_unlock(&s->lock);
  if (isempty(have))
    return;
  log_info(COMPONENT, "node=%s podCIDR=%s msg=\"pod range released\"", jstr(node, "metadata.name"), have);
  /* Nodes that found the cluster CIDR full may have a block now. */
  _cleanup_json_ json_t *all = informer_list(s->nodes);
  size_t i;
  json_t *n;
  json_array_foreach(all, i, n) {
    if (isempty(jstr(n, "spec.podCIDR")))
      ctrl_enqueue(s->c, jstr(n, "metadata.name"));
  }
}

int nodeipam_controller_setup(CtrlManager *m, Error *err) {
  if (isempty(m->cluster_cidr))
    return 0; /* no pod network managed by us */
  IpamState *s = xzalloc(sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  s->pending = json_object();
  Error ierr = ERROR_INIT;
  if (nodeipam_init(&s->ipam, m->cluster_cidr, NODEIPAM_NODE_PREFIX, &ierr) < 0) {
    /* The other controllers still run; Nodes get no podCIDR, so their pods wait in ContainerCreating. */
    log_error(COMPONENT, "msg=\"node IPAM disabled: nodes get no podCIDR\" err=\"%s\"", ierr.message);
    error_reset(&ierr);
    state_free(s);
    return 0;
  }
  s->c = ctrl_controller_new(m, "nodeipam", ipam_sync, s, state_free);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  informer_add_handlers(s->nodes, &(InformerHandlers){.on_add = on_node,
                                                      .on_update = on_node_update,
                                                      .on_delete = on_node_delete,
                                                      .userdata = s});
  return 0;
}
