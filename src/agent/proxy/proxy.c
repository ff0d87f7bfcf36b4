/* The service proxy's runtime: informers, the coalescing sync thread and the libnftables applier (see
 * proxy.h). The sync thread is the only user of the nft context and of `applied` (the model the kernel
 * holds); `lock` guards the dirty flag, the change timestamps, the stop flag and the stats. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "agent/net/podnet.h"
#include "agent/proxy/conntrack.h"
#include "agent/proxy/proxy.h"
#include "agent/proxy/rules.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/informer.h"

#define COMPONENT "proxy"
#define DEFAULT_DEBOUNCE_USEC 10000ull
#define MAX_COALESCE_USEC 50000ull /* a burst never delays a sync more than this */
#define RETRY_USEC 1000000ull      /* after a failed transaction */

struct Proxy {
  Client *client;
  char *node_name, *cluster_cidr, *data_dir;
  uint64_t debounce_usec;
  Informer *svcs, *slices, *pods;
  struct nft_ctx *nft;
  json_t *applied; /* the model the kernel holds; NULL until the first full sync */
  pthread_t thread;
  bool started;

  pthread_mutex_t lock;
  pthread_cond_t cond; /* CLOCK_MONOTONIC */
  bool dirty, stopping;
  uint64_t first_change, last_change; /* monotonic usec of the oldest / newest unsynced change */
  ProxyStats stats;
};

/* ---- nft ---- */

static struct nft_ctx *nft_new(void) {
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (!ctx)
    return NULL;
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  return ctx;
}

static int nft_run(struct nft_ctx *ctx, const char *script, Error *err) {
  if (nft_run_cmd_from_buffer(ctx, script) != 0) {
    const char *msg = nft_ctx_get_error_buffer(ctx);
    return error_set(err, -EINVAL, NULL, "nft: %s", isempty(msg) ? "transaction failed" : msg);
  }
  return 0;
}

int proxy_nft_run(const char *script, Error *err) {
  struct nft_ctx *ctx = nft_new();
  if (!ctx)
    return error_set(err, -ENOMEM, NULL, "nft: cannot create a context");
  int rc = nft_run(ctx, script, err);
  nft_ctx_free(ctx);
  return rc;
}

/* NodePorts on 127.0.0.1 need the kernel to route 127/8 sources off the loopback device. The value before
 * is recorded with the pod network's (podnet_sysctl_set), so that uninstall and --cleanup-on-exit restore it
 * whichever of the two changed it first. */
static void ensure_route_localnet(const char *data_dir) {
  const char *path = "/proc/sys/net/ipv4/conf/all/route_localnet";
  _cleanup_free_ char *cur = NULL;
  if (read_file(path, &cur, NULL) == 0 && cur[0] == '1')
    return;
  _cleanup_error_ Error err = ERROR_INIT;
  int rc = 0;
  if (data_dir) {
    rc = podnet_sysctl_set(data_dir, "net.ipv4.conf.all.route_localnet", &err);
  } else {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "1", 1) != 1)
      rc = error_set(&err, -errno, NULL, "%s", strerror(errno));
    if (fd >= 0)
      close(fd);
  }
  if (rc < 0)
    log_warn(COMPONENT,
             "msg=\"cannot set route_localnet: NodePorts will not answer on 127.0.0.1\" err=\"%s\"",
             err.message ? err.message : "");
}

/* After a transaction: UDP conntrack entries that still lead to an endpoint the rules no longer use (or that
 * bypassed a Service address before it had endpoints) are deleted, so that clients sending without pause
 * move to the current endpoints. */
static void flush_udp_conntrack(json_t *old, json_t *model) {
  _cleanup_json_ json_t *gone = proxy_rules_udp_gone(old, model);
  size_t n = json_array_size(gone);
  if (n == 0)
    return;
  ConntrackFilter *f = xcalloc(n, sizeof *f);
  size_t k = 0, i;
  json_t *g;
  json_array_foreach(gone, i, g) {
    const char *flow = jstr(g, "flow"), *fe = jstr(g, "frontend");
    ConntrackFilter c = {.l4proto = IPPROTO_UDP};
    if (flow) {
      size_t cut = strcspn(flow, ">");
      _cleanup_free_ char *front = xstrndup(flow, cut);
      if (!flow[cut] || conntrack_parse_addr(front, &c.orig_dst, &c.orig_dport) < 0 ||
          conntrack_parse_addr(flow + cut + 1, &c.reply_src, &c.reply_sport) < 0)
        continue;
    } else if (!fe || conntrack_parse_addr(fe, &c.orig_dst, &c.orig_dport) < 0) {
      continue;
    } else {
      c.untranslated = true;
    }
    f[k++] = c;
  }
  int rc = conntrack_delete(f, k);
  free(f);
  if (rc > 0)
    log_info(COMPONENT, "msg=\"stale UDP conntrack entries deleted\" entries=%d", rc);
  else if (rc < 0 && rc != -ENOENT && rc != -EPROTONOSUPPORT)
    log_warn(COMPONENT, "msg=\"cannot delete stale UDP conntrack entries\" err=\"%s\"", strerror(-rc));
}

/* ---- change tracking ---- */

static void mark_dirty(Proxy *p) {
  pthread_mutex_lock(&p->lock);
  uint64_t now = now_monotonic_usec();
  if (!p->dirty)
    p->first_change = now;
  p->last_change = now;
  p->dirty = true;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
}

static void on_any_add(json_t *obj, void *ud) {
  mark_dirty(ud);
}
static void on_any_update(json_t *old, json_t *obj, void *ud) {
  if (old && obj && streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(obj, "metadata.resourceVersion")))
    return; /* a re-list or resync reporting what we have */
  mark_dirty(ud);
}

static bool pod_has_host_port(json_t *pod) {
  size_t i, k;
  json_t *c, *port;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    json_array_foreach(json_object_get(c, "ports"), k, port) {
      if (jint(port, "hostPort", 0) > 0)
        return true;
    }
  }
  return false;
}

/* Pods matter only for hostPorts: other pod changes reach the proxy through EndpointSlices. */
static void on_pod_add(json_t *pod, void *ud) {
  if (pod_has_host_port(pod))
    mark_dirty(ud);
}
static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  if (pod_has_host_port(pod) || (old && pod_has_host_port(old)))
    on_any_update(old, pod, ud);
}

/* ---- the sync thread ---- */

static void timed_wait(Proxy *p, uint64_t until) {
  struct timespec ts = {.tv_sec = (time_t)(until / 1000000), .tv_nsec = (long)(until % 1000000) * 1000};
  pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

static int sync_once(Proxy *p, uint64_t first_change) {
  uint64_t start = now_monotonic_usec();
  _cleanup_json_ json_t *svcs = informer_list(p->svcs), *slices = informer_list(p->slices),
                        *pods = informer_list(p->pods);
  ProxyRulesInput in = {.node_name = p->node_name,
                        .cluster_cidr = p->cluster_cidr,
                        .services = svcs,
                        .slices = slices,
                        .pods = pods};
  json_t *model = proxy_rules_model(&in);
  bool full = !p->applied;
  _cleanup_free_ char *script =
      full ? proxy_rules_full(p->cluster_cidr, model) : proxy_rules_diff(p->applied, model);
  _cleanup_error_ Error err = ERROR_INIT;
  /* A context per transaction: one kept across syncs holds libnftables' ruleset cache (~0.7 MB). */
  int rc = isempty(script) ? 0 : proxy_nft_run(script, &err);
  uint64_t end = now_monotonic_usec();
  pthread_mutex_lock(&p->lock);
  if (rc < 0) {
    p->stats.failures++;
  } else if (!isempty(script)) {
    p->stats.syncs++;
    p->stats.full_syncs += full;
    p->stats.last_usec = end - start;
    p->stats.last_lag_usec = end - first_change;
    p->stats.endpoints = proxy_rules_count_endpoints(model);
  }
  pthread_mutex_unlock(&p->lock);
  if (rc < 0) {
    log_error(COMPONENT, "msg=\"rules not applied, replacing the table on the next try\" full=%d err=\"%s\"",
              full, err.message ? err.message : "");
    log_debug(COMPONENT, "script=\"%s\"", script);
    json_decref(model);
    json_decref(p->applied);
    p->applied = NULL; /* the kernel's state is unknown: the next sync replaces the whole table */
    return rc;
  }
  if (!isempty(script))
    log_debug(COMPONENT, "msg=\"rules applied\" full=%d bytes=%zu endpoints=%zu usec=%llu lag_usec=%llu",
              full, strlen(script), proxy_rules_count_endpoints(model), (unsigned long long)(end - start),
              (unsigned long long)(end - first_change));
  if (full)
    log_info(COMPONENT, "msg=\"table ip " PROXY_TABLE " written\" services=%zu endpoints=%zu usec=%llu",
             json_array_size(svcs), proxy_rules_count_endpoints(model), (unsigned long long)(end - start));
  flush_udp_conntrack(p->applied, model);
  json_decref(p->applied);
  p->applied = model;
  return 0;
}

static void *sync_thread(void *arg) {
  Proxy *p = arg;
  /* Nothing is written before every informer has its first list: a restarted agent must not replace a
   * working table with an empty one. */
  Informer *infs[] = {p->svcs, p->slices, p->pods};
  for (size_t i = 0; i < ELEMENTSOF(infs); i++) {
    for (;;) {
      pthread_mutex_lock(&p->lock);
      bool stop = p->stopping;
      pthread_mutex_unlock(&p->lock);
      if (stop)
        return NULL;
      if (informer_wait_for_sync(infs[i], 200000) == 0)
        break;
    }
  }
  mark_dirty(p);
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->dirty && !p->stopping)
      pthread_cond_wait(&p->cond, &p->lock);
    if (p->stopping)
      break;
    /* Coalesce: wait until no change came for debounce_usec, but never longer than MAX_COALESCE_USEC. */
    for (;;) {
      uint64_t now = now_monotonic_usec();
      uint64_t quiet = p->last_change + p->debounce_usec, cap = p->first_change + MAX_COALESCE_USEC;
      uint64_t until = MIN(quiet, cap);
      if (now >= until || p->stopping)
        break;
      timed_wait(p, until);
    }
    if (p->stopping)
      break;
    uint64_t first = p->first_change;
    p->dirty = false;
    pthread_mutex_unlock(&p->lock);
    int rc = sync_once(p, first);
    pthread_mutex_lock(&p->lock);
    if (rc < 0 && !p->stopping) {
      /* Retry after a pause (unless a new change arrives, which retries sooner). */
      uint64_t until = now_monotonic_usec() + RETRY_USEC;
      while (!p->dirty && !p->stopping && now_monotonic_usec() < until)
        timed_wait(p, until);
      if (!p->dirty) {
        p->dirty = true;
        p->first_change = p->last_change = now_monotonic_usec();
      }
    }
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

/* ---- lifecycle ---- */

void proxy_get_stats(Proxy *p, ProxyStats *ret) {
  pthread_mutex_lock(&p->lock);
  *ret = p->stats;
  pthread_mutex_unlock(&p->lock);
}

void proxy_stop(Proxy *p) {
  if (!p)
    return;
  pthread_mutex_lock(&p->lock);
  p->stopping = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->lock);
  /* Informers first: their handlers signal the condition the sync thread waits on. */
  Informer *infs[] = {p->svcs, p->slices, p->pods};
  for (size_t i = 0; i < ELEMENTSOF(infs); i++) {
    if (infs[i])
      informer_stop(infs[i]);
  }
  if (p->started)
    pthread_join(p->thread, NULL);
  for (size_t i = 0; i < ELEMENTSOF(infs); i++)
    informer_free(infs[i]);
  if (p->nft)
    nft_ctx_free(p->nft);
  json_decref(p->applied);
  free(p->node_name);
  free(p->cluster_cidr);
  free(p->data_dir);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
  free(p);
}

int proxy_start(Client *c, const ProxyOptions *opts, Proxy **ret, Error *err) {
  if (!opts || isempty(opts->node_name))
    return error_set(err, -EINVAL, NULL, "proxy: a node name is required");
  Proxy *p = xzalloc(sizeof *p);
  p->client = c;
  p->node_name = xstrdup(opts->node_name);
  p->cluster_cidr = isempty(opts->cluster_cidr) ? NULL : xstrdup(opts->cluster_cidr);
  p->data_dir = isempty(opts->data_dir) ? NULL : xstrdup(opts->data_dir);
  p->debounce_usec = opts->debounce_usec ? opts->debounce_usec : DEFAULT_DEBOUNCE_USEC;
  pthread_mutex_init(&p->lock, NULL);
  cond_init_monotonic(&p->cond);
  p->nft = nft_new();
  if (!p->nft) {
    proxy_stop(p);
    return error_set(err, -ENOMEM, NULL, "proxy: cannot initialise libnftables");
  }
  ensure_route_localnet(p->data_dir);
  _cleanup_free_ char *selector = xasprintf("spec.nodeName=%s", p->node_name);
  InformerOptions popts = {.field_selector = selector};
  int rc = informer_new(c, api_resource_find("", "v1", "services"), NULL, &p->svcs, err);
  if (rc >= 0)
    rc =
        informer_new(c, api_resource_find("discovery.k8s.io", "v1", "endpointslices"), NULL, &p->slices, err);
  if (rc >= 0)
    rc = informer_new(c, api_resource_find("", "v1", "pods"), &popts, &p->pods, err);
  if (rc < 0) {
    proxy_stop(p);
    return rc;
  }
  InformerHandlers h = {
      .on_add = on_any_add, .on_update = on_any_update, .on_delete = on_any_add, .userdata = p};
  informer_add_handlers(p->svcs, &h);
  informer_add_handlers(p->slices, &h);
  InformerHandlers ph = {
      .on_add = on_pod_add, .on_update = on_pod_update, .on_delete = on_pod_add, .userdata = p};
  informer_add_handlers(p->pods, &ph);
  Informer *infs[] = {p->svcs, p->slices, p->pods};
  for (size_t i = 0; i < ELEMENTSOF(infs); i++) {
    rc = informer_start(infs[i], err);
    if (rc < 0) {
      proxy_stop(p);
      return rc;
    }
  }
  if (pthread_create(&p->thread, NULL, sync_thread, p) != 0) {
    proxy_stop(p);
    return error_set(err, -EAGAIN, NULL, "proxy: cannot start the sync thread");
  }
  p->started = true;
  log_info(COMPONENT, "node=%s cluster_cidr=%s msg=\"service proxy started\"", p->node_name,
           p->cluster_cidr ? p->cluster_cidr : "-");
  *ret = p;
  return 0;
}
