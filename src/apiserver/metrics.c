/* metrics.k8s.io/v1beta1 inside the API server: the sample store, the scraper thread and the REST handlers
 * (see metrics.h). The API group is listed in discovery the way Kubernetes lists metrics-server's
 * APIService (a group with one version, resources pods and nodes with verbs get and list), but it is
 * answered here rather than proxied.
 *
 * Store layout (jansson objects used as maps; all guarded by MetricsStore.lock):
 *   nodes: name -> {"t0","c0","t1","c1","ws"}           times in realtime usec, cpu in ns, ws in bytes
 *   pods:  "ns/name" -> {"node","uid","pass","start","containers": {name -> sample as above}}
 * A sample with t0 == 0 has one reading only and yields no rate yet. */
#include <errno.h>
#include <inttypes.h>

#include "api/jsonutil.h"
#include "api/quantity.h"
#include "api/selector.h"
#include "apiserver/apiserver-internal.h"
#include "apiserver/metrics.h"
#include "base/log.h"

#define METRICS_GV "metrics.k8s.io/v1beta1"

struct MetricsStore {
  pthread_mutex_t lock;
  json_t *nodes;
  json_t *pods;
  uint64_t pass;
};

typedef struct MetricsSource {
  char *node;
  ApiServerStatsFn fn;
  void *userdata;
} MetricsSource;

typedef struct Metrics {
  MetricsStore *store;
  pthread_mutex_t src_lock; /* guards sources; held while a source is called */
  MetricsSource *sources;
  size_t n_sources;
  pthread_t thread;
  bool started;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool stopping;
  uint64_t resolution_usec;
} Metrics;

/* ---- small helpers ---- */

void metrics_format_duration(uint64_t usec, char buf[static 40]) {
  if (usec == 0) {
    snprintf(buf, 40, "0s");
    return;
  }
  uint64_t h = usec / 3600000000u, m = usec / 60000000u % 60, s = usec / 1000000u % 60,
           frac = usec % 1000000u;
  char sec[24];
  if (frac) {
    snprintf(sec, sizeof sec, "%" PRIu64 ".%06" PRIu64, s, frac);
    size_t n = strlen(sec);
    while (sec[n - 1] == '0')
      sec[--n] = 0;
  } else {
    snprintf(sec, sizeof sec, "%" PRIu64, s);
  }
  if (h)
    snprintf(buf, 40, "%" PRIu64 "h%" PRIu64 "m%ss", h, m, sec);
  else if (m)
    snprintf(buf, 40, "%" PRIu64 "m%ss", m, sec);
  else
    snprintf(buf, 40, "%ss", sec);
}

int metrics_parse_time(const char *s, uint64_t *ret_usec) {
  if (!s)
    return -EINVAL;
  int64_t sec;
  if (parse_rfc3339(s, &sec) < 0)
    return -EINVAL;
  uint64_t frac = 0;
  const char *dot = strchr(s, '.');
  if (dot) {
    unsigned digits = 0;
    for (const char *p = dot + 1; *p >= '0' && *p <= '9'; p++, digits++)
      if (digits < 6)
        frac = frac * 10 + (uint64_t)(*p - '0');
    for (; digits < 6; digits++)
      frac *= 10;
  }
  *ret_usec = (uint64_t)sec * 1000000u + frac;
  return 0;
}

static json_t *cpu_quantity(uint64_t nanocores) {
  Quantity q;
  quantity_from_scaled((int64_t)nanocores, -9, QUANTITY_DECIMAL_SI, &q);
  char *s = quantity_canonical(&q);
  json_t *j = json_string(s);
  free(s);
  return j;
}

static json_t *mem_quantity(uint64_t bytes) {
  Quantity q;
  quantity_from_scaled((int64_t)bytes, 0, QUANTITY_BINARY_SI, &q);
  char *s = quantity_canonical(&q);
  json_t *j = json_string(s);
  free(s);
  return j;
}

static uint64_t ju(json_t *o, const char *k) {
  return (uint64_t)json_integer_value(json_object_get(o, k));
}

static void set_u(json_t *o, const char *k, uint64_t v) {
  json_object_set_new(o, k, json_integer((json_int_t)v));
}

/* Folds one reading ({"cpu": {"time", "usageCoreNanoSeconds"}, "memory": {"workingSetBytes"}}) into sample.
 */
static void shift(json_t *sample, json_t *reading) {
  uint64_t t, c = (uint64_t)jint(reading, "cpu.usageCoreNanoSeconds", -1);
  if (metrics_parse_time(jstr(reading, "cpu.time"), &t) < 0 ||
      !json_is_integer(jpath(reading, "cpu.usageCoreNanoSeconds")))
    return;
  uint64_t t1 = ju(sample, "t1"), c1 = ju(sample, "c1");
  if (t1 && t <= t1)
    return; /* the same reading again */
  if (t1 && c >= c1) {
    set_u(sample, "t0", t1);
    set_u(sample, "c0", c1);
  } else {
    set_u(sample, "t0", 0); /* first reading, or the counter restarted: no rate until the next one */
  }
  set_u(sample, "t1", t);
  set_u(sample, "c1", c);
  set_u(sample, "ws", (uint64_t)jint(reading, "memory.workingSetBytes", 0));
}

/* Rate and window of a sample; false without two readings. */
static bool rate(json_t *sample, uint64_t *ret_nanocores, uint64_t *ret_window_usec) {
  uint64_t t0 = ju(sample, "t0"), t1 = ju(sample, "t1");
  if (!t0 || t1 <= t0)
    return false;
  uint64_t dc = ju(sample, "c1") - ju(sample, "c0"), dt = t1 - t0;
  /* nanoseconds of cpu per second: dc * 1e6 / dt_usec, in 128 bits so that long windows cannot overflow */
  *ret_nanocores = (uint64_t)((unsigned __int128)dc * 1000000u / dt);
  *ret_window_usec = dt;
  return true;
}

/* ---- the store ---- */

MetricsStore *metrics_store_new(void) {
  MetricsStore *m = xzalloc(sizeof *m);
  pthread_mutex_init(&m->lock, NULL);
  m->nodes = json_object();
  m->pods = json_object();
  return m;
}

void metrics_store_free(MetricsStore *m) {
  if (!m)
    return;
  json_decref(m->nodes);
  json_decref(m->pods);
  pthread_mutex_destroy(&m->lock);
  free(m);
}

void metrics_store_ingest(MetricsStore *m, json_t *summary) {
  const char *node = jstr(summary, "node.nodeName");
  if (!node)
    return;
  pthread_mutex_lock(&m->lock);
  uint64_t pass = ++m->pass;
  json_t *ns = json_object_get(m->nodes, node);
  if (!ns) {
    ns = json_object();
    json_object_set_new(m->nodes, node, ns);
  }
  shift(ns, jpath(summary, "node"));
  size_t i;
  json_t *p;
  json_array_foreach(jpath(summary, "pods"), i, p) {
    const char *pns = jstr(p, "podRef.namespace"), *pname = jstr(p, "podRef.name"),
               *uid = jstr(p, "podRef.uid");
    if (!pns || !pname || !uid)
      continue;
    _cleanup_free_ char *key = xasprintf("%s/%s", pns, pname);
    json_t *pe = json_object_get(m->pods, key);
    if (!pe || !streq_ptr(jstr(pe, "uid"), uid)) {
      pe = json_pack("{s:s,s:s,s:{}}", "node", node, "uid", uid, "containers");
      json_object_set_new(m->pods, key, pe);
    }
    json_object_set_new(pe, "node", json_string(node));
    set_u(pe, "pass", pass);
    json_t *ctrs = json_object_get(pe, "containers"), *seen = json_object();
    size_t c;
    json_t *ce;
    json_array_foreach(jpath(p, "containers"), c, ce) {
      const char *name = jstr(ce, "name");
      if (!name)
        continue;
      json_t *s = json_object_get(ctrs, name);
      if (!s) {
        s = json_object();
        json_object_set_new(ctrs, name, s);
      }
      shift(s, ce);
      json_object_set(seen, name, s);
    }
    /* Containers that stopped running are no longer part of the pod's usage. */
    json_object_set_new(pe, "containers", seen);
  }
  /* This node's pods that are gone from its summary. */
  const char *key;
  json_t *pe;
  void *tmp;
  json_object_foreach_safe(m->pods, tmp, key, pe) {
    if (streq_ptr(jstr(pe, "node"), node) && ju(pe, "pass") != pass)
      json_object_del(m->pods, key);
  }
  pthread_mutex_unlock(&m->lock);
}

void metrics_store_forget_node(MetricsStore *m, const char *node) {
  pthread_mutex_lock(&m->lock);
  json_object_del(m->nodes, node);
  const char *key;
  json_t *pe;
  void *tmp;
  json_object_foreach_safe(m->pods, tmp, key, pe) {
    if (streq_ptr(jstr(pe, "node"), node))
      json_object_del(m->pods, key);
  }
  pthread_mutex_unlock(&m->lock);
}

size_t metrics_store_pod_count(MetricsStore *m) {
  pthread_mutex_lock(&m->lock);
  size_t n = json_object_size(m->pods);
  pthread_mutex_unlock(&m->lock);
  return n;
}

static json_t *metrics_meta(const char *ns, const char *name) {
  char now[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), now);
  json_t *meta = json_pack("{s:s,s:s}", "name", name, "creationTimestamp", now);
  if (ns)
    json_object_set_new(meta, "namespace", json_string(ns));
  return meta;
}

json_t *metrics_store_pod(MetricsStore *m, const char *ns, const char *name) {
  _cleanup_free_ char *key = xasprintf("%s/%s", ns, name);
  pthread_mutex_lock(&m->lock);
  json_t *pe = json_object_get(m->pods, key), *out = NULL;
  json_t *ctrs = json_object_get(pe, "containers");
  if (pe && json_object_size(ctrs) > 0) {
    json_t *list = json_array();
    uint64_t latest = 0, window = 0;
    bool complete = true;
    const char *cname;
    json_t *s;
    json_object_foreach(ctrs, cname, s) {
      uint64_t nc, w;
      if (!rate(s, &nc, &w)) {
        complete = false; /* metrics-server drops a pod with a container it cannot rate */
        break;
      }
      if (ju(s, "t1") > latest) {
        latest = ju(s, "t1");
        window = w;
      }
      json_array_append_new(list, json_pack("{s:s,s:{s:o,s:o}}", "name", cname, "usage", "cpu",
                                            cpu_quantity(nc), "memory", mem_quantity(ju(s, "ws"))));
    }
    if (complete) {
      char ts[32], win[40];
      format_rfc3339((int64_t)(latest / 1000000u), ts);
      metrics_format_duration(window, win);
      out = json_pack("{s:o,s:s,s:s,s:O}", "metadata", metrics_meta(ns, name), "timestamp", ts, "window", win,
                      "containers", list);
    }
    json_decref(list);
  }
  pthread_mutex_unlock(&m->lock);
  return out;
}

json_t *metrics_store_node(MetricsStore *m, const char *name) {
  pthread_mutex_lock(&m->lock);
  json_t *s = json_object_get(m->nodes, name), *out = NULL;
  uint64_t nc, w;
  if (s && rate(s, &nc, &w)) {
    char ts[32], win[40];
    format_rfc3339((int64_t)(ju(s, "t1") / 1000000u), ts);
    metrics_format_duration(w, win);
    out = json_pack("{s:o,s:s,s:s,s:{s:o,s:o}}", "metadata", metrics_meta(NULL, name), "timestamp", ts,
                    "window", win, "usage", "cpu", cpu_quantity(nc), "memory", mem_quantity(ju(s, "ws")));
  }
  pthread_mutex_unlock(&m->lock);
  return out;
}

/* ---- sources and the scraper ---- */

void apiserver_set_stats_source(ApiServer *s, const char *node, ApiServerStatsFn fn, void *userdata) {
  Metrics *mt = s->metrics;
  if (!mt || !node)
    return;
  pthread_mutex_lock(&mt->src_lock);
  size_t i = 0;
  for (; i < mt->n_sources; i++)
    if (streq(mt->sources[i].node, node))
      break;
  if (i == mt->n_sources && fn) {
    mt->sources = xrealloc(mt->sources, (mt->n_sources + 1) * sizeof *mt->sources);
    mt->sources[mt->n_sources++] = (MetricsSource){.node = xstrdup(node)};
  }
  if (i < mt->n_sources) {
    if (fn) {
      mt->sources[i].fn = fn;
      mt->sources[i].userdata = userdata;
    } else {
      free(mt->sources[i].node);
      mt->sources[i] = mt->sources[--mt->n_sources];
    }
  }
  pthread_mutex_unlock(&mt->src_lock);
}

static char *node_prefix(void) {
  return registry_prefix(api_resource_find("", "v1", "nodes"), NULL);
}

int apiserver_metrics_scrape(ApiServer *s) {
  Metrics *mt = s->metrics;
  if (!mt)
    return 0;
  _cleanup_free_ char *prefix = node_prefix();
  CacheObj **objs = NULL;
  size_t n = 0, rem;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, &rem);
  int scraped = 0;
  for (size_t i = 0; i < n; i++) {
    const char *node = jstr(objs[i]->obj, "metadata.name");
    if (!node)
      continue;
    json_t *summary = NULL;
    bool local = false;
    pthread_mutex_lock(&mt->src_lock);
    for (size_t k = 0; k < mt->n_sources; k++)
      if (streq(mt->sources[k].node, node)) {
        summary = mt->sources[k].fn(mt->sources[k].userdata);
        local = true;
        break;
      }
    pthread_mutex_unlock(&mt->src_lock);
    /* Remote agents (their kubelet port over HTTPS) are not scraped yet: such nodes have no metrics. */
    if (!local)
      continue;
    if (summary) {
      metrics_store_ingest(mt->store, summary);
      scraped++;
    } else {
      log_debug("metrics", "node=%s msg=\"no stats from the node\"", node);
    }
    json_decref(summary);
  }
  /* Nodes that are gone. */
  _cleanup_json_ json_t *known = json_array();
  pthread_mutex_lock(&mt->store->lock);
  const char *kn;
  json_t *kv;
  json_object_foreach(mt->store->nodes, kn, kv) json_array_append_new(known, json_string(kn));
  pthread_mutex_unlock(&mt->store->lock);
  size_t k;
  json_t *name;
  json_array_foreach(known, k, name) {
    bool present = false;
    for (size_t i = 0; i < n && !present; i++)
      present = streq_ptr(jstr(objs[i]->obj, "metadata.name"), json_string_value(name));
    if (!present)
      metrics_store_forget_node(mt->store, json_string_value(name));
  }
  watch_cache_list_free(objs, n);
  return scraped;
}

static void *scraper(void *arg) {
  ApiServer *s = arg;
  Metrics *mt = s->metrics;
  pthread_mutex_lock(&mt->lock);
  while (!mt->stopping) {
    pthread_mutex_unlock(&mt->lock);
    uint64_t start = now_monotonic_usec();
    int n = apiserver_metrics_scrape(s);
    log_trace("metrics", "scraped nodes=%d usec=%llu", n, (unsigned long long)(now_monotonic_usec() - start));
    pthread_mutex_lock(&mt->lock);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    uint64_t ns = (uint64_t)until.tv_nsec + (mt->resolution_usec % 1000000u) * 1000u;
    until.tv_sec += (time_t)(mt->resolution_usec / 1000000u + ns / 1000000000u);
    until.tv_nsec = (long)(ns % 1000000000u);
    while (!mt->stopping && pthread_cond_timedwait(&mt->cond, &mt->lock, &until) == 0)
      ;
  }
  pthread_mutex_unlock(&mt->lock);
  return NULL;
}

int metrics_start(ApiServer *s, Error *err) {
  Metrics *mt = xzalloc(sizeof *mt);
  mt->store = metrics_store_new();
  pthread_mutex_init(&mt->src_lock, NULL);
  pthread_mutex_init(&mt->lock, NULL);
  cond_init_monotonic(&mt->cond);
  mt->resolution_usec =
      s->opts.metrics_resolution_ms > 0 ? (uint64_t)s->opts.metrics_resolution_ms * 1000u : 15000000u;
  s->metrics = mt;
  if (pthread_create(&mt->thread, NULL, scraper, s) != 0)
    return error_set(err, -EAGAIN, NULL, "cannot start the metrics scraper thread");
  mt->started = true;
  return 0;
}

void metrics_stop(ApiServer *s) {
  Metrics *mt = s->metrics;
  if (!mt)
    return;
  if (mt->started) {
    pthread_mutex_lock(&mt->lock);
    mt->stopping = true;
    pthread_cond_broadcast(&mt->cond);
    pthread_mutex_unlock(&mt->lock);
    pthread_join(mt->thread, NULL);
  }
  for (size_t i = 0; i < mt->n_sources; i++)
    free(mt->sources[i].node);
  free(mt->sources);
  metrics_store_free(mt->store);
  pthread_mutex_destroy(&mt->src_lock);
  pthread_mutex_destroy(&mt->lock);
  pthread_cond_destroy(&mt->cond);
  free(mt);
  s->metrics = NULL;
}

/* ---- discovery ---- */

json_t *metrics_group_entry(void) {
  return json_pack("{s:s,s:[{s:s,s:s}],s:{s:s,s:s}}", "name", "metrics.k8s.io", "versions", "groupVersion",
                   METRICS_GV, "version", "v1beta1", "preferredVersion", "groupVersion", METRICS_GV,
                   "version", "v1beta1");
}

json_t *metrics_aggregated_group(void) {
  json_t *res = json_array();
  static const struct {
    const char *resource, *kind;
    bool namespaced;
  } rs[] = {{"nodes", "NodeMetrics", false}, {"pods", "PodMetrics", true}};
  for (size_t i = 0; i < ELEMENTSOF(rs); i++)
    json_array_append_new(res,
                          json_pack("{s:s,s:{s:s,s:s,s:s},s:s,s:s,s:[s,s]}", "resource", rs[i].resource,
                                    "responseKind", "group", "metrics.k8s.io", "version", "v1beta1", "kind",
                                    rs[i].kind, "scope", rs[i].namespaced ? "Namespaced" : "Cluster",
                                    "singularResource", "", "verbs", "get", "list"));
  return json_pack("{s:{s:s},s:[{s:s,s:o,s:s}]}", "metadata", "name", "metrics.k8s.io", "versions", "version",
                   "v1beta1", "resources", res, "freshness", "Current");
}

static json_t *resource_list(void) {
  return json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:b,s:s,s:[s,s]},{s:s,s:s,s:b,s:s,s:[s,s]}]}", "kind",
                   "APIResourceList", "apiVersion", "v1", "groupVersion", METRICS_GV, "resources", "name",
                   "nodes", "singularName", "", "namespaced", false, "kind", "NodeMetrics", "verbs", "get",
                   "list", "name", "pods", "singularName", "", "namespaced", true, "kind", "PodMetrics",
                   "verbs", "get", "list");
}

/* ---- REST ---- */

static void respond_status(HttpResponse *resp, int code, int http, const char *reason, const char *group,
                           const char *kind, const char *name, const char *fmt, ...) _printf_(8, 9);
static void respond_status(HttpResponse *resp, int code, int http, const char *reason, const char *group,
                           const char *kind, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                         "status", "Failure", "message", msg, "reason", reason, "code", http);
  if (kind)
    json_object_set_new(st, "details",
                        json_pack("{s:s,s:s,s:s}", "name", name ? name : "", "group", group, "kind", kind));
  (void)code;
  http_respond_json(resp, http, st);
}

static void respond_not_found(HttpResponse *resp) {
  respond_status(resp, -ENOENT, 404, "NotFound", NULL, NULL, NULL,
                 "the server could not find the requested resource");
}

static json_t *list_of(const char *kind, json_t *items) {
  return json_pack("{s:s,s:s,s:{},s:o}", "kind", kind, "apiVersion", METRICS_GV, "metadata", "items", items);
}

static void add_labels(json_t *m, json_t *obj) {
  json_t *labels = jpath(obj, "metadata.labels");
  if (json_object_size(labels))
    json_object_set(json_object_get(m, "metadata"), "labels", labels);
}

/* ---- Tables (kubectl get podmetrics / nodemetrics) ----
 * metrics-server's table convertor: a Name column, one quantity column per resource of the first item's
 * usage (sorted: cpu, memory; a pod's containers summed), and a Window duration column. A list without
 * items has no columns. Row objects follow includeObject like every other resource (Metadata by default). */

/* usage summed over containers (PodMetrics) or taken as is (NodeMetrics): resource -> canonical string. */
static json_t *total_usage(json_t *m) {
  json_t *usage = json_object_get(m, "usage");
  if (usage)
    return json_incref(usage);
  json_t *sums = json_object();
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(m, "containers"), i, c) {
    const char *res;
    json_t *v;
    json_object_foreach(json_object_get(c, "usage"), res, v) {
      Quantity q, prev;
      if (quantity_from_json(v, &q, NULL) < 0)
        continue;
      json_t *acc = json_object_get(sums, res);
      bool cpu = streq(res, "cpu");
      int32_t scale = cpu ? -9 : 0;
      int64_t total = quantity_scaled_value(&q, scale);
      if (acc && quantity_from_json(acc, &prev, NULL) >= 0)
        total += quantity_scaled_value(&prev, scale);
      Quantity sum;
      quantity_from_scaled(total, scale, q.format, &sum);
      char *str = quantity_canonical(&sum);
      json_object_set_new(sums, res, json_string(str));
      free(str);
    }
  }
  return sums;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A new Table of items (PodMetrics or NodeMetrics objects without kind/apiVersion; borrowed). */
static json_t *metrics_table(HttpRequest *req, const char *kind, json_t *items) {
  json_t *cols = json_array(), *rows = json_array();
  _cleanup_json_ json_t *first = NULL; /* the first item's usage: names[] point at its keys */
  const char *names[8];
  size_t n_names = 0;
  const char *include = http_query(req, "includeObject");
  size_t i;
  json_t *m;
  json_array_foreach(items, i, m) {
    _cleanup_json_ json_t *usage = total_usage(m);
    if (!first) {
      first = json_incref(usage);
      const char *res;
      json_t *v;
      json_object_foreach(first, res, v) {
        if (n_names < ELEMENTSOF(names))
          names[n_names++] = res;
      }
      qsort(names, n_names, sizeof *names, cmp_str);
      json_array_append_new(cols,
                            json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Name", "type", "string", "format",
                                      "name", "description", "Name of the resource", "priority", 0));
      for (size_t k = 0; k < n_names; k++)
        json_array_append_new(cols, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", names[k], "type", "string",
                                              "format", "quantity", "description", "", "priority", 0));
      json_array_append_new(cols, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", "Window", "type", "string",
                                            "format", "duration", "description", "", "priority", 0));
    }
    json_t *cells = json_pack("[s]", jstr(m, "metadata.name") ?: "");
    for (size_t k = 0; k < n_names; k++) {
      json_t *v = json_object_get(usage, names[k]);
      json_array_append_new(cells, json_string(json_is_string(v) ? json_string_value(v) : "0"));
    }
    json_array_append_new(cells, json_string(jstr(m, "window") ?: ""));
    json_t *row = json_pack("{s:o}", "cells", cells);
    if (!include || !streq(include, "None")) {
      json_t *obj;
      if (include && streq(include, "Object")) {
        obj = json_deep_copy(m);
        json_object_set_new(obj, "kind", json_string(kind));
        json_object_set_new(obj, "apiVersion", json_string(METRICS_GV));
      } else {
        obj = json_pack("{s:s,s:s,s:O}", "kind", "PartialObjectMetadata", "apiVersion", "meta.k8s.io/v1",
                        "metadata", json_object_get(m, "metadata"));
      }
      json_object_set_new(row, "object", obj);
    }
    json_array_append_new(rows, row);
  }
  return json_pack("{s:s,s:s,s:{},s:o,s:o}", "kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata",
                   "columnDefinitions", cols, "rows", rows);
}

/* Answers one object (single) or a list of items; takes m. */
static void respond_metrics(HttpRequest *req, HttpResponse *resp, const char *kind, json_t *m, bool single) {
  if (resources_wants_table(req)) {
    json_t *items = single ? json_pack("[o]", m) : m;
    http_respond_json(resp, 200, metrics_table(req, kind, items));
    json_decref(items);
    return;
  }
  if (single) {
    json_object_set_new(m, "kind", json_string(kind));
    json_object_set_new(m, "apiVersion", json_string(METRICS_GV));
    http_respond_json(resp, 200, m);
    return;
  }
  _cleanup_free_ char *list_kind = xasprintf("%sList", kind);
  http_respond_json(resp, 200, list_of(list_kind, m));
}

static void handle_pods(ApiServer *s, HttpRequest *req, HttpResponse *resp, const char *ns,
                        const char *name) {
  Metrics *mt = s->metrics;
  if (name) {
    _cleanup_free_ char *key = registry_key(api_resource_find("", "v1", "pods"), ns, name);
    _cleanup_cache_obj_ CacheObj *pod = watch_cache_get(s->cache, key);
    /* metrics-server knows no metrics of a pod that is not Running (or gone) */
    json_t *m = mt && pod && streq_ptr(jstr(pod->obj, "status.phase"), "Running")
                    ? metrics_store_pod(mt->store, ns, name)
                    : NULL;
    if (!m) {
      respond_status(resp, -ENOENT, 404, "NotFound", "metrics.k8s.io", "pods", name,
                     "podmetrics.metrics.k8s.io \"%s/%s\" not found", ns, name);
      return;
    }
    add_labels(m, pod->obj);
    respond_metrics(req, resp, "PodMetrics", m, true);
    return;
  }
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_(label_selector_freep) LabelSelector *sel = NULL;
  _cleanup_(field_selector_freep) FieldSelector *fsel = NULL;
  if (label_selector_parse(http_query(req, "labelSelector"), &sel, &e) < 0 ||
      field_selector_parse(http_query(req, "fieldSelector"), &fsel, &e) < 0) {
    respond_status(resp, -EINVAL, 400, "BadRequest", NULL, NULL, NULL, "%s",
                   e.message ? e.message : "bad selector");
    return;
  }
  _cleanup_free_ char *prefix = registry_prefix(api_resource_find("", "v1", "pods"), ns);
  CacheObj **objs = NULL;
  size_t n = 0, rem;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, &rem);
  json_t *items = json_array();
  for (size_t i = 0; i < n && mt; i++) {
    json_t *pod = objs[i]->obj;
    if (sel && !label_selector_matches(sel, jpath(pod, "metadata.labels")))
      continue;
    if (fsel && !field_selector_matches(fsel, "", "pods", pod))
      continue;
    if (!streq_ptr(jstr(pod, "status.phase"), "Running")) /* metrics-server lists running pods only */
      continue;
    json_t *m = metrics_store_pod(mt->store, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"));
    if (!m)
      continue;
    add_labels(m, pod);
    json_array_append_new(items, m);
  }
  watch_cache_list_free(objs, n);
  respond_metrics(req, resp, "PodMetrics", items, false);
}

static void handle_nodes(ApiServer *s, HttpRequest *req, HttpResponse *resp, const char *name) {
  Metrics *mt = s->metrics;
  if (name) {
    json_t *m = mt ? metrics_store_node(mt->store, name) : NULL;
    if (!m) {
      respond_status(resp, -ENOENT, 404, "NotFound", "metrics.k8s.io", "nodes", name,
                     "nodemetrics.metrics.k8s.io \"%s\" not found", name);
      return;
    }
    _cleanup_free_ char *key = registry_key(api_resource_find("", "v1", "nodes"), NULL, name);
    _cleanup_cache_obj_ CacheObj *node = watch_cache_get(s->cache, key);
    if (node)
      add_labels(m, node->obj);
    respond_metrics(req, resp, "NodeMetrics", m, true);
    return;
  }
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_(label_selector_freep) LabelSelector *sel = NULL;
  if (label_selector_parse(http_query(req, "labelSelector"), &sel, &e) < 0) {
    respond_status(resp, -EINVAL, 400, "BadRequest", NULL, NULL, NULL, "%s",
                   e.message ? e.message : "bad selector");
    return;
  }
  _cleanup_free_ char *prefix = node_prefix();
  CacheObj **objs = NULL;
  size_t n = 0, rem;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, &rem);
  json_t *items = json_array();
  for (size_t i = 0; i < n && mt; i++) {
    json_t *node = objs[i]->obj;
    if (sel && !label_selector_matches(sel, jpath(node, "metadata.labels")))
      continue;
    json_t *m = metrics_store_node(mt->store, jstr(node, "metadata.name"));
    if (!m)
      continue;
    add_labels(m, node);
    json_array_append_new(items, m);
  }
  watch_cache_list_free(objs, n);
  respond_metrics(req, resp, "NodeMetrics", items, false);
}

bool metrics_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp) {
  if (req->segc < 2 || !streq(req->segv[0], "apis") || !streq(req->segv[1], "metrics.k8s.io"))
    return false;
  if (req->segc == 2) {
    json_t *e = metrics_group_entry();
    json_object_set_new(e, "kind", json_string("APIGroup"));
    json_object_set_new(e, "apiVersion", json_string("v1"));
    http_respond_json(resp, 200, e);
    return true;
  }
  if (!streq(req->segv[2], "v1beta1")) {
    respond_not_found(resp);
    return true;
  }
  if (req->segc == 3) {
    http_respond_json(resp, 200, resource_list());
    return true;
  }
  if (!streq(req->method, "GET")) {
    respond_status(resp, -EOPNOTSUPP, 405, "MethodNotAllowed", NULL, NULL, NULL,
                   "the server does not allow this method on the requested resource");
    return true;
  }
  if (http_query_bool(req, "watch")) {
    respond_status(resp, -EOPNOTSUPP, 405, "MethodNotAllowed", NULL, NULL, NULL,
                   "the server does not allow this method on the requested resource");
    return true;
  }
  char **seg = req->segv + 3;
  size_t n = req->segc - 3;
  if (n >= 1 && n <= 2 && streq(seg[0], "nodes"))
    handle_nodes(s, req, resp, n == 2 ? seg[1] : NULL);
  else if (n == 1 && streq(seg[0], "pods"))
    handle_pods(s, req, resp, NULL, NULL);
  else if (n >= 3 && n <= 4 && streq(seg[0], "namespaces") && streq(seg[2], "pods"))
    handle_pods(s, req, resp, seg[1], n == 4 ? seg[3] : NULL);
  else
    respond_not_found(resp);
  return true;
}
