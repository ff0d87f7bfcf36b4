/* The record index and the answers of dns-index.h. Services are kept by "ns/name" with their cluster IPs,
 * ports and the EndpointSlices that name them (kubernetes.io/service-name); a slice may arrive before its
 * Service, so an entry lives while either is known. Forward lookups are hash look-ups; reverse (PTR) lookups
 * scan the Services and slices, which is fine for the rare PTR query of a cluster of this size. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>

#include "agent/dns/dns-index.h"
#include "api/jsonutil.h"
#include "base/util.h"

/* ---- a small string-keyed hash map ---- */

typedef struct MapEntry {
  char *key;
  void *val;
  struct MapEntry *next;
} MapEntry;

typedef struct Map {
  MapEntry **b;
  size_t nb, n;
} Map;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

static void *map_get(const Map *m, const char *key) {
  if (!m->nb)
    return NULL;
  for (MapEntry *e = m->b[hash_str(key) % m->nb]; e; e = e->next)
    if (streq(e->key, key))
      return e->val;
  return NULL;
}

static void map_grow(Map *m) {
  size_t nb = m->nb ? m->nb * 2 : 64;
  MapEntry **b = xcalloc(nb, sizeof *b);
  for (size_t i = 0; i < m->nb; i++)
    for (MapEntry *e = m->b[i], *next; e; e = next) {
      next = e->next;
      size_t h = hash_str(e->key) % nb;
      e->next = b[h];
      b[h] = e;
    }
  free(m->b);
  m->b = b;
  m->nb = nb;
}

/* Sets key to val; returns the previous value (NULL if none). */
static void *map_put(Map *m, const char *key, void *val) {
  if (m->n + 1 > m->nb * 2)
    map_grow(m);
  size_t h = hash_str(key) % m->nb;
  for (MapEntry *e = m->b[h]; e; e = e->next)
    if (streq(e->key, key)) {
      void *old = e->val;
      e->val = val;
      return old;
    }
  MapEntry *e = xmalloc(sizeof *e);
  e->key = xstrdup(key);
  e->val = val;
  e->next = m->b[h];
  m->b[h] = e;
  m->n++;
  return NULL;
}

/* Removes key; returns its value (NULL if absent). */
static void *map_del(Map *m, const char *key) {
  if (!m->nb)
    return NULL;
  for (MapEntry **pe = &m->b[hash_str(key) % m->nb]; *pe; pe = &(*pe)->next)
    if (streq((*pe)->key, key)) {
      MapEntry *e = *pe;
      void *val = e->val;
      *pe = e->next;
      free(e->key);
      free(e);
      m->n--;
      return val;
    }
  return NULL;
}

static void map_clear(Map *m, void (*free_val)(void *)) {
  for (size_t i = 0; i < m->nb; i++)
    for (MapEntry *e = m->b[i], *next; e; e = next) {
      next = e->next;
      if (free_val)
        free_val(e->val);
      free(e->key);
      free(e);
    }
  free(m->b);
  *m = (Map){0};
}

#define MAP_FOREACH(m, e)                                                                                    \
  for (size_t _i = 0; _i < (m)->nb; _i++)                                                                    \
    for (MapEntry *e = (m)->b[_i]; e; e = e->next)

/* ---- the records ---- */

typedef struct Port {
  char *name;    /* lower-case; "" when unnamed */
  char proto[8]; /* "tcp", "udp", "sctp" */
  uint16_t port;
} Port;

typedef struct Endpoint {
  int family; /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  bool ready;
  char *hostname; /* lower-case, or NULL */
} Endpoint;

typedef struct Slice {
  char *svc_key; /* "ns/service", or NULL without the label */
  Endpoint *eps;
  size_t n_eps;
  Port *ports;
  size_t n_ports;
} Slice;

typedef enum SvcKind { SVC_CLUSTER_IP, SVC_HEADLESS, SVC_EXTERNAL_NAME } SvcKind;

typedef struct Service {
  char *ns, *name;
  bool present; /* the Service itself is known (not only slices naming it) */
  SvcKind kind;
  uint8_t (*v4)[4];
  size_t n_v4;
  uint8_t (*v6)[16];
  size_t n_v6;
  Port *ports;
  size_t n_ports;
  char *external_name;
  bool publish_not_ready;
  Slice **slices;
  size_t n_slices;
} Service;

struct DnsIndex {
  pthread_rwlock_t lock; /* guards everything below */
  char *domain;
  uint32_t ttl;
  bool synced;
  uint32_t serial;
  Map services;   /* "ns/name" → Service */
  Map slices;     /* "ns/name" → Slice */
  Map namespaces; /* name → (void *)1 */
  Map pod_ips;    /* "ns/name" → the pod's IPv4 text (owned) */
  Map ip_pods;    /* IPv4 text → "ns/name" (owned) */
};

static void ports_free(Port *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(p[i].name);
  free(p);
}

static void slice_free(void *v) {
  Slice *s = v;
  if (!s)
    return;
  free(s->svc_key);
  for (size_t i = 0; i < s->n_eps; i++)
    free(s->eps[i].hostname);
  free(s->eps);
  ports_free(s->ports, s->n_ports);
  free(s);
}

static void service_clear(Service *s) {
  free(s->v4);
  free(s->v6);
  ports_free(s->ports, s->n_ports);
  free(s->external_name);
  s->v4 = NULL;
  s->v6 = NULL;
  s->ports = NULL;
  s->external_name = NULL;
  s->n_v4 = s->n_v6 = s->n_ports = 0;
}

static void service_free(void *v) {
  Service *s = v;
  if (!s)
    return;
  service_clear(s);
  free(s->slices); /* the slices belong to DnsIndex.slices */
  free(s->ns);
  free(s->name);
  free(s);
}

DnsIndex *dns_index_new(const char *domain, uint32_t ttl) {
  DnsIndex *x = xzalloc(sizeof *x);
  pthread_rwlock_init(&x->lock, NULL);
  x->domain = xstrdup(domain);
  for (char *c = x->domain; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c + 32);
  size_t l = strlen(x->domain);
  if (l && x->domain[l - 1] == '.')
    x->domain[l - 1] = 0;
  x->ttl = ttl;
  x->serial = (uint32_t)(now_realtime_usec() / 1000000u);
  return x;
}

void dns_index_free(DnsIndex *x) {
  if (!x)
    return;
  map_clear(&x->services, service_free);
  map_clear(&x->slices, slice_free);
  map_clear(&x->namespaces, NULL);
  map_clear(&x->pod_ips, free);
  map_clear(&x->ip_pods, free);
  pthread_rwlock_destroy(&x->lock);
  free(x->domain);
  free(x);
}

void dns_index_set_synced(DnsIndex *x, bool synced) {
  pthread_rwlock_wrlock(&x->lock);
  x->synced = synced;
  pthread_rwlock_unlock(&x->lock);
}

static char *lower_dup(const char *s) {
  char *d = xstrdup(s ? s : "");
  for (char *c = d; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c + 32);
  return d;
}

static Port *parse_ports(json_t *arr, size_t *ret_n) {
  size_t n = json_array_size(arr), k = 0;
  Port *p = xcalloc(n ? n : 1, sizeof *p);
  size_t i;
  json_t *jp;
  json_array_foreach(arr, i, jp) {
    json_int_t port = json_integer_value(json_object_get(jp, "port"));
    if (port <= 0 || port > 65535)
      continue;
    p[k].name = lower_dup(jstr(jp, "name"));
    _cleanup_free_ char *proto = lower_dup(jstr(jp, "protocol") ?: "TCP");
    snprintf(p[k].proto, sizeof p[k].proto, "%s", proto);
    p[k].port = (uint16_t)port;
    k++;
  }
  *ret_n = k;
  return p;
}

static void mark_changed(DnsIndex *x) {
  x->serial++;
}

/* The Service entry of key, created when absent. */
static Service *service_get_or_new(DnsIndex *x, const char *key, const char *ns, const char *name) {
  Service *s = map_get(&x->services, key);
  if (!s) {
    s = xzalloc(sizeof *s);
    s->ns = lower_dup(ns);
    s->name = lower_dup(name);
    map_put(&x->services, key, s);
  }
  return s;
}

/* Drops the entry when neither the Service nor any slice keeps it. */
static void service_maybe_drop(DnsIndex *x, const char *key) {
  Service *s = map_get(&x->services, key);
  if (s && !s->present && s->n_slices == 0)
    service_free(map_del(&x->services, key));
}

static char *obj_key(json_t *obj) {
  const char *ns = jstr(obj, "metadata.namespace"), *name = jstr(obj, "metadata.name");
  if (!name)
    return NULL;
  _cleanup_free_ char *k = xasprintf("%s/%s", ns ? ns : "", name);
  return lower_dup(k);
}

void dns_index_update_service(DnsIndex *x, json_t *svc) {
  _cleanup_free_ char *key = obj_key(svc);
  if (!key)
    return;
  pthread_rwlock_wrlock(&x->lock);
  Service *s = service_get_or_new(x, key, jstr(svc, "metadata.namespace"), jstr(svc, "metadata.name"));
  service_clear(s);
  s->present = true;
  const char *type = jstr(svc, "spec.type") ?: "ClusterIP";
  const char *cip = jstr(svc, "spec.clusterIP");
  if (streq(type, "ExternalName")) {
    s->kind = SVC_EXTERNAL_NAME;
    const char *ext = jstr(svc, "spec.externalName");
    s->external_name = isempty(ext) ? NULL : lower_dup(ext);
  } else if (streq_ptr(cip, "None")) {
    s->kind = SVC_HEADLESS;
  } else {
    s->kind = SVC_CLUSTER_IP;
    json_t *ips = jpath(svc, "spec.clusterIPs");
    size_t n = json_array_size(ips);
    s->v4 = xcalloc(n + 1, sizeof *s->v4);
    s->v6 = xcalloc(n + 1, sizeof *s->v6);
    for (size_t i = 0; i <= n; i++) {
      const char *ip = i < n ? json_string_value(json_array_get(ips, i)) : (n ? NULL : cip);
      if (!ip)
        continue;
      if (inet_pton(AF_INET, ip, s->v4[s->n_v4]) == 1)
        s->n_v4++;
      else if (inet_pton(AF_INET6, ip, s->v6[s->n_v6]) == 1)
        s->n_v6++;
    }
  }
  s->ports = parse_ports(jpath(svc, "spec.ports"), &s->n_ports);
  s->publish_not_ready = json_is_true(jpath(svc, "spec.publishNotReadyAddresses"));
  mark_changed(x);
  pthread_rwlock_unlock(&x->lock);
}

void dns_index_delete_service(DnsIndex *x, json_t *svc) {
  _cleanup_free_ char *key = obj_key(svc);
  if (!key)
    return;
  pthread_rwlock_wrlock(&x->lock);
  Service *s = map_get(&x->services, key);
  if (s) {
    s->present = false;
    service_clear(s);
    service_maybe_drop(x, key);
  }
  mark_changed(x);
  pthread_rwlock_unlock(&x->lock);
}

static void service_unlink_slice(DnsIndex *x, Slice *sl) {
  if (!sl->svc_key)
    return;
  Service *s = map_get(&x->services, sl->svc_key);
  if (!s)
    return;
  for (size_t i = 0; i < s->n_slices; i++)
    if (s->slices[i] == sl) {
      s->slices[i] = s->slices[--s->n_slices];
      break;
    }
  service_maybe_drop(x, sl->svc_key);
}

static Slice *parse_slice(json_t *obj) {
  Slice *sl = xzalloc(sizeof *sl);
  const char *svc =
      json_string_value(json_object_get(jpath(obj, "metadata.labels"), "kubernetes.io/service-name"));
  const char *ns = jstr(obj, "metadata.namespace");
  if (!isempty(svc)) {
    _cleanup_free_ char *k = xasprintf("%s/%s", ns ? ns : "", svc);
    sl->svc_key = lower_dup(k);
  }
  const char *at = jstr(obj, "addressType") ?: "IPv4";
  int family = streq(at, "IPv6") ? AF_INET6 : streq(at, "IPv4") ? AF_INET : 0;
  json_t *eps = json_object_get(obj, "endpoints");
  size_t n = 0;
  size_t i, k;
  json_t *ep, *addr;
  json_array_foreach(eps, i, ep) n += json_array_size(json_object_get(ep, "addresses"));
  sl->eps = xcalloc(n ? n : 1, sizeof *sl->eps);
  json_array_foreach(eps, i, ep) {
    json_t *ready = jpath(ep, "conditions.ready");
    const char *hostname = jstr(ep, "hostname");
    json_array_foreach(json_object_get(ep, "addresses"), k, addr) {
      const char *ip = json_string_value(addr);
      Endpoint *e = &sl->eps[sl->n_eps];
      if (!ip || !family || inet_pton(family, ip, e->addr) != 1)
        continue;
      e->family = family;
      e->ready = !json_is_false(ready); /* unknown counts as ready, as the API says consumers should */
      e->hostname = isempty(hostname) ? NULL : lower_dup(hostname);
      sl->n_eps++;
    }
  }
  sl->ports = parse_ports(json_object_get(obj, "ports"), &sl->n_ports);
  return sl;
}

void dns_index_update_slice(DnsIndex *x, json_t *obj) {
  _cleanup_free_ char *key = obj_key(obj);
  if (!key)
    return;
  Slice *sl = parse_slice(obj);
  pthread_rwlock_wrlock(&x->lock);
  Slice *old = map_put(&x->slices, key, sl);
  if (old)
    service_unlink_slice(x, old);
  if (sl->svc_key) {
    _cleanup_free_ char *ns = NULL, *name = NULL;
    const char *slash = strchr(sl->svc_key, '/');
    ns = xstrndup(sl->svc_key, (size_t)(slash - sl->svc_key));
    name = xstrdup(slash + 1);
    Service *s = service_get_or_new(x, sl->svc_key, ns, name);
    s->slices = xrealloc(s->slices, (s->n_slices + 1) * sizeof *s->slices);
    s->slices[s->n_slices++] = sl;
  }
  mark_changed(x);
  pthread_rwlock_unlock(&x->lock);
  slice_free(old);
}

void dns_index_delete_slice(DnsIndex *x, json_t *obj) {
  _cleanup_free_ char *key = obj_key(obj);
  if (!key)
    return;
  pthread_rwlock_wrlock(&x->lock);
  Slice *old = map_del(&x->slices, key);
  if (old)
    service_unlink_slice(x, old);
  mark_changed(x);
  pthread_rwlock_unlock(&x->lock);
  slice_free(old);
}

void dns_index_update_namespace(DnsIndex *x, json_t *ns) {
  _cleanup_free_ char *name = lower_dup(jstr(ns, "metadata.name"));
  pthread_rwlock_wrlock(&x->lock);
  map_put(&x->namespaces, name, (void *)1);
  pthread_rwlock_unlock(&x->lock);
}

void dns_index_delete_namespace(DnsIndex *x, json_t *ns) {
  _cleanup_free_ char *name = lower_dup(jstr(ns, "metadata.name"));
  pthread_rwlock_wrlock(&x->lock);
  map_del(&x->namespaces, name);
  pthread_rwlock_unlock(&x->lock);
}

static void pod_forget(DnsIndex *x, const char *key) {
  char *ip = map_del(&x->pod_ips, key);
  if (!ip)
    return;
  const char *owner = map_get(&x->ip_pods, ip);
  if (owner && streq(owner, key))
    free(map_del(&x->ip_pods, ip));
  free(ip);
}

void dns_index_update_pod(DnsIndex *x, json_t *pod) {
  _cleanup_free_ char *key = obj_key(pod);
  if (!key)
    return;
  const char *ip = jstr(pod, "status.podIP");
  const char *phase = jstr(pod, "status.phase");
  struct in_addr a;
  /* Host-network pods carry the node's address: that is not theirs to name. */
  bool named = ip && inet_pton(AF_INET, ip, &a) == 1 && !json_is_true(jpath(pod, "spec.hostNetwork")) &&
               !streq_ptr(phase, "Succeeded") && !streq_ptr(phase, "Failed");
  pthread_rwlock_wrlock(&x->lock);
  pod_forget(x, key);
  if (named) {
    map_put(&x->pod_ips, key, xstrdup(ip));
    free(map_put(&x->ip_pods, ip, xstrdup(key)));
  }
  pthread_rwlock_unlock(&x->lock);
}

void dns_index_delete_pod(DnsIndex *x, json_t *pod) {
  _cleanup_free_ char *key = obj_key(pod);
  if (!key)
    return;
  pthread_rwlock_wrlock(&x->lock);
  pod_forget(x, key);
  pthread_rwlock_unlock(&x->lock);
}

/* ---- answers ---- */

/* The records of one answer, collected before writing (the additional section comes after all answers). */
typedef struct Answer {
  DnsRR *rr[4]; /* per DnsSection (0 unused) */
  size_t n[4], cap[4];
  char **strs; /* owned names referenced by the records */
  size_t n_strs, cap_strs;
  uint8_t rcode;
  bool negative_soa; /* add the zone's SOA to the authority section */
  const char *zone;  /* owner of that SOA */
  const char *owner; /* of the answer records: NULL = the question's name */
  int depth;         /* 1 while answering for an ExternalName's in-zone target */
} Answer;

static DnsRR *ans_add(Answer *a, DnsSection s, uint16_t type, const char *owner, uint32_t ttl) {
  if (a->n[s] == a->cap[s]) {
    a->cap[s] = a->cap[s] ? a->cap[s] * 2 : 8;
    a->rr[s] = xrealloc(a->rr[s], a->cap[s] * sizeof(DnsRR));
  }
  DnsRR *rr = &a->rr[s][a->n[s]++];
  memset(rr, 0, sizeof *rr);
  rr->owner = owner;
  rr->type = type;
  rr->ttl = ttl;
  return rr;
}

static const char *ans_str(Answer *a, char *s) {
  if (a->n_strs == a->cap_strs) {
    a->cap_strs = a->cap_strs ? a->cap_strs * 2 : 8;
    a->strs = xrealloc(a->strs, a->cap_strs * sizeof(char *));
  }
  a->strs[a->n_strs++] = s;
  return s;
}

static void ans_done(Answer *a) {
  for (int i = 0; i < 4; i++)
    free(a->rr[i]);
  for (size_t i = 0; i < a->n_strs; i++)
    free(a->strs[i]);
  free(a->strs);
}

static void add_addr(Answer *a, DnsSection s, const char *owner, int family, const uint8_t *addr,
                     uint32_t ttl) {
  DnsRR *rr = ans_add(a, s, family == AF_INET ? DNS_TYPE_A : DNS_TYPE_AAAA, owner, ttl);
  memcpy(family == AF_INET ? rr->a : rr->aaaa, addr, family == AF_INET ? 4 : 16);
}

static bool want_addr(uint16_t qtype, int family) {
  return qtype == DNS_TYPE_ANY || (family == AF_INET && qtype == DNS_TYPE_A) ||
         (family == AF_INET6 && qtype == DNS_TYPE_AAAA);
}

/* The label naming an endpoint: its hostname, else its address with dashes. */
static void endpoint_label(const Endpoint *e, char buf[static 64]) {
  if (e->hostname) {
    snprintf(buf, 64, "%s", e->hostname);
    return;
  }
  char ip[INET6_ADDRSTRLEN];
  inet_ntop(e->family, e->addr, ip, sizeof ip);
  for (char *c = ip; *c; c++)
    if (*c == '.' || *c == ':')
      *c = '-';
  snprintf(buf, 64, "%s", ip);
}

static bool endpoint_usable(const Service *s, const Endpoint *e) {
  return e->ready || s->publish_not_ready;
}

static bool port_matches(const Port *p, const char *port, const char *proto) {
  return (!port || streq(p->name, port)) && (!proto || streq(p->proto, proto));
}

static void answer_cluster(DnsIndex *x, Answer *a, const char *rel, uint16_t qtype);

/* An ExternalName pointing into the cluster domain: its target's records follow the CNAME (one level), as
 * CoreDNS resolves in-zone targets itself. A target without records adds nothing. */
static void chase_in_zone(DnsIndex *x, Answer *a, const char *target, uint16_t qtype) {
  size_t tl = strlen(target), dl = strlen(x->domain);
  if (tl <= dl || target[tl - dl - 1] != '.' || !streq(target + tl - dl, x->domain))
    return;
  Answer sub = {.rcode = DNS_RCODE_NOERROR, .owner = target, .depth = 1};
  char rel[DNS_NAME_TEXT_MAX];
  snprintf(rel, sizeof rel, "%.*s", (int)(tl - dl - 1), target);
  answer_cluster(x, &sub, rel, qtype);
  static const DnsSection copied[] = {DNS_SECTION_ANSWER, DNS_SECTION_ADDITIONAL};
  for (size_t k = 0; k < ELEMENTSOF(copied) && sub.rcode == DNS_RCODE_NOERROR; k++)
    for (size_t i = 0; i < sub.n[copied[k]]; i++)
      *ans_add(a, copied[k], sub.rr[copied[k]][i].type, NULL, 0) = sub.rr[copied[k]][i];
  for (size_t i = 0; i < sub.n_strs; i++)
    ans_str(a, sub.strs[i]); /* the copied records point to them */
  sub.n_strs = 0;
  ans_done(&sub);
}

/* Records of a Service name (endpoint NULL) or of one of its endpoints; port/proto non-NULL for the SRV form.
 * Returns whether the name exists. */
static bool answer_service(DnsIndex *x, Answer *a, const Service *s, const char *endpoint, const char *port,
                           const char *proto, uint16_t qtype) {
  char svc_name[600];
  snprintf(svc_name, sizeof svc_name, "%s.%s.svc.%s", s->name, s->ns, x->domain);
  if (s->kind == SVC_EXTERNAL_NAME) {
    if (endpoint || port || !s->external_name)
      return false;
    DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_CNAME, a->owner, x->ttl);
    rr->target = s->external_name;
    if (qtype != DNS_TYPE_CNAME && a->depth == 0)
      chase_in_zone(x, a, s->external_name, qtype);
    return true;
  }
  bool exists = false;
  bool srv = qtype == DNS_TYPE_SRV;
  if (s->kind == SVC_HEADLESS || endpoint) {
    /* The endpoints, merged over the slices (an address listed twice is named once). */
    size_t n_srv = 0;
    for (size_t i = 0; i < s->n_slices; i++) {
      const Slice *sl = s->slices[i];
      for (size_t k = 0; k < sl->n_eps; k++) {
        const Endpoint *e = &sl->eps[k];
        if (!endpoint_usable(s, e))
          continue;
        char label[64];
        endpoint_label(e, label);
        if (endpoint && !streq(label, endpoint))
          continue;
        bool dup = false;
        for (size_t j = 0; j <= i && !dup; j++)
          for (size_t m = 0; m < (j == i ? k : s->slices[j]->n_eps) && !dup; m++) {
            const Endpoint *o = &s->slices[j]->eps[m];
            dup = o->family == e->family && endpoint_usable(s, o) && !memcmp(o->addr, e->addr, 16);
          }
        if (dup)
          continue;
        bool match = !port;
        for (size_t p = 0; p < sl->n_ports && !match; p++)
          match = port_matches(&sl->ports[p], port, proto);
        if (!match)
          continue;
        exists = true;
        if (!srv && !port && want_addr(qtype, e->family))
          add_addr(a, DNS_SECTION_ANSWER, a->owner, e->family, e->addr, x->ttl);
        if (srv) {
          const char *target = ans_str(a, xasprintf("%s.%s", label, svc_name));
          bool any = false;
          for (size_t p = 0; p < sl->n_ports; p++) {
            if (!port_matches(&sl->ports[p], port, proto))
              continue;
            DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_SRV, a->owner, x->ttl);
            rr->srv.priority = 0;
            rr->srv.port = sl->ports[p].port;
            rr->srv.target = target;
            any = true;
            n_srv++;
          }
          if (any)
            add_addr(a, DNS_SECTION_ADDITIONAL, target, e->family, e->addr, x->ttl);
        }
      }
    }
    for (size_t i = 0; i < a->n[DNS_SECTION_ANSWER]; i++)
      if (a->rr[DNS_SECTION_ANSWER][i].type == DNS_TYPE_SRV)
        a->rr[DNS_SECTION_ANSWER][i].srv.weight = (uint16_t)(n_srv ? MAX(100 / n_srv, 1) : 100);
    return exists;
  }
  /* A ClusterIP Service. */
  if (port) {
    for (size_t p = 0; p < s->n_ports; p++)
      if (port_matches(&s->ports[p], port, proto))
        exists = true;
  } else {
    exists = true;
  }
  if (!exists)
    return false;
  if (srv) {
    size_t n = 0;
    for (size_t p = 0; p < s->n_ports; p++)
      n += port_matches(&s->ports[p], port, proto);
    const char *target = ans_str(a, xstrdup(svc_name));
    for (size_t p = 0; p < s->n_ports; p++) {
      if (!port_matches(&s->ports[p], port, proto))
        continue;
      DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_SRV, a->owner, x->ttl);
      rr->srv.priority = 0;
      rr->srv.weight = (uint16_t)MAX(100 / n, 1);
      rr->srv.port = s->ports[p].port;
      rr->srv.target = target;
    }
    if (n) {
      for (size_t i = 0; i < s->n_v4; i++)
        add_addr(a, DNS_SECTION_ADDITIONAL, target, AF_INET, s->v4[i], x->ttl);
      for (size_t i = 0; i < s->n_v6; i++)
        add_addr(a, DNS_SECTION_ADDITIONAL, target, AF_INET6, s->v6[i], x->ttl);
    }
    return true;
  }
  if (port)
    return true; /* the SRV name exists; other types have no data */
  for (size_t i = 0; i < s->n_v4; i++)
    if (want_addr(qtype, AF_INET))
      add_addr(a, DNS_SECTION_ANSWER, a->owner, AF_INET, s->v4[i], x->ttl);
  for (size_t i = 0; i < s->n_v6; i++)
    if (want_addr(qtype, AF_INET6))
      add_addr(a, DNS_SECTION_ANSWER, a->owner, AF_INET6, s->v6[i], x->ttl);
  return true;
}

static bool ns_exists(DnsIndex *x, const char *ns) {
  return map_get(&x->namespaces, ns) != NULL;
}

/* "a-b-c-d" → four bytes. */
static bool parse_dashed_v4(const char *s, uint8_t out[4]) {
  char buf[64];
  if (strlen(s) >= sizeof buf || strstr(s, "--"))
    return false;
  snprintf(buf, sizeof buf, "%s", s);
  int dashes = 0;
  for (char *c = buf; *c; c++)
    if (*c == '-') {
      *c = '.';
      dashes++;
    }
  return dashes == 3 && inet_pton(AF_INET, buf, out) == 1;
}

/* Names of the cluster domain; rel is the part before it ("" for the apex). */
static void answer_cluster(DnsIndex *x, Answer *a, const char *rel, uint16_t qtype) {
  a->zone = x->domain;
  /* Labels right to left: r[0] is "svc" or "pod". */
  char buf[DNS_NAME_TEXT_MAX];
  snprintf(buf, sizeof buf, "%s", rel);
  const char *r[8];
  size_t k = 0;
  if (*buf) {
    char *end = buf + strlen(buf);
    for (;;) {
      char *dot = NULL;
      for (char *c = end - 1; c >= buf; c--)
        if (*c == '.') {
          dot = c;
          break;
        }
      if (k == ELEMENTSOF(r)) {
        a->rcode = DNS_RCODE_NXDOMAIN;
        return;
      }
      r[k++] = dot ? dot + 1 : buf;
      if (!dot)
        break;
      *dot = 0;
      end = dot;
    }
  }
  bool exists = false;
  if (k == 0) {
    exists = true;
    if (qtype == DNS_TYPE_SOA || qtype == DNS_TYPE_ANY) {
      DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_SOA, a->owner, x->ttl);
      rr->soa.mname = ans_str(a, xasprintf("ns.dns.%s", x->domain));
      rr->soa.rname = ans_str(a, xasprintf("hostmaster.%s", x->domain));
      rr->soa = (typeof(rr->soa)){rr->soa.mname, rr->soa.rname, x->serial, 7200, 1800, 86400, x->ttl};
    }
    if (qtype == DNS_TYPE_NS || qtype == DNS_TYPE_ANY) {
      DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_NS, a->owner, x->ttl);
      rr->target = ans_str(a, xasprintf("ns.dns.%s", x->domain));
    }
  } else if (streq(r[0], "svc") || streq(r[0], "pod")) {
    bool pod = streq(r[0], "pod");
    if (k == 1) {
      exists = true;
    } else if (!ns_exists(x, r[1])) {
      exists = false;
    } else if (k == 2) {
      exists = true; /* the namespace: a name without records */
    } else if (pod) {
      uint8_t ip[4];
      if (k == 3 && parse_dashed_v4(r[2], ip)) {
        exists = true;
        if (want_addr(qtype, AF_INET))
          add_addr(a, DNS_SECTION_ANSWER, a->owner, AF_INET, ip, x->ttl);
      }
    } else {
      char key[512];
      snprintf(key, sizeof key, "%s/%s", r[1], r[2]);
      Service *s = map_get(&x->services, key);
      if (s && s->present) {
        if (k == 3)
          exists = answer_service(x, a, s, NULL, NULL, NULL, qtype);
        else if (k == 4)
          exists = answer_service(x, a, s, r[3], NULL, NULL, qtype);
        else if (k == 5 && r[3][0] == '_' && r[4][0] == '_' && r[3][1] && r[4][1])
          exists = answer_service(x, a, s, NULL, r[4] + 1, r[3] + 1, qtype);
      }
    }
  }
  if (!exists) {
    a->rcode = DNS_RCODE_NXDOMAIN;
    a->negative_soa = true;
    a->n[DNS_SECTION_ANSWER] = a->n[DNS_SECTION_ADDITIONAL] = 0;
  } else if (a->n[DNS_SECTION_ANSWER] == 0) {
    a->negative_soa = true; /* NODATA */
  }
}

/* "d.c.b.a.in-addr.arpa" → the address; false for anything else (a partial name, a zone). */
static bool parse_reverse_v4(const char *name, uint8_t out[4]) {
  const char *suffix = ".in-addr.arpa";
  size_t n = strlen(name), sl = strlen(suffix);
  if (n <= sl || !streq(name + n - sl, suffix) || n - sl >= 32)
    return false;
  char buf[32];
  memcpy(buf, name, n - sl);
  buf[n - sl] = 0;
  unsigned v[4];
  int used = 0;
  if (sscanf(buf, "%3u.%3u.%3u.%3u%n", &v[0], &v[1], &v[2], &v[3], &used) != 4 || (size_t)used != n - sl)
    return false;
  for (int i = 0; i < 4; i++) {
    if (v[i] > 255 || !(buf[0] >= '0' && buf[0] <= '9'))
      return false;
    out[3 - i] = (uint8_t)v[i];
  }
  /* Reject signs and spaces sscanf would have taken. */
  for (const char *c = buf; *c; c++)
    if (!((*c >= '0' && *c <= '9') || *c == '.'))
      return false;
  return true;
}

/* PTR names of ip: a Service's cluster IP, else endpoints, else a pod. Returns whether any was found. */
static bool answer_reverse(DnsIndex *x, Answer *a, const uint8_t ip[4], uint16_t qtype) {
  bool found = false;
  a->zone = "in-addr.arpa";
  MAP_FOREACH(&x->services, e) {
    Service *s = e->val;
    if (!s->present)
      continue;
    for (size_t i = 0; i < s->n_v4 && !found; i++)
      if (!memcmp(s->v4[i], ip, 4)) {
        found = true;
        if (qtype == DNS_TYPE_PTR || qtype == DNS_TYPE_ANY) {
          DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_PTR, NULL, x->ttl);
          rr->target = ans_str(a, xasprintf("%s.%s.svc.%s", s->name, s->ns, x->domain));
        }
      }
    if (found)
      return true;
  }
  MAP_FOREACH(&x->services, e) {
    Service *s = e->val;
    if (!s->present)
      continue;
    for (size_t i = 0; i < s->n_slices; i++)
      for (size_t k = 0; k < s->slices[i]->n_eps; k++) {
        const Endpoint *ep = &s->slices[i]->eps[k];
        if (ep->family != AF_INET || memcmp(ep->addr, ip, 4) || !endpoint_usable(s, ep))
          continue;
        char label[64];
        endpoint_label(ep, label);
        _cleanup_free_ char *name = xasprintf("%s.%s.%s.svc.%s", label, s->name, s->ns, x->domain);
        bool dup = false;
        for (size_t j = 0; j < a->n[DNS_SECTION_ANSWER] && !dup; j++)
          dup = streq(a->rr[DNS_SECTION_ANSWER][j].target, name);
        found = true;
        if (!dup && (qtype == DNS_TYPE_PTR || qtype == DNS_TYPE_ANY)) {
          DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_PTR, NULL, x->ttl);
          rr->target = ans_str(a, TAKE_PTR(name));
        }
      }
  }
  if (found)
    return true;
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, ip, text, sizeof text);
  const char *key = map_get(&x->ip_pods, text);
  if (!key)
    return false;
  const char *slash = strchr(key, '/');
  for (char *c = text; *c; c++)
    if (*c == '.')
      *c = '-';
  if (qtype == DNS_TYPE_PTR || qtype == DNS_TYPE_ANY) {
    DnsRR *rr = ans_add(a, DNS_SECTION_ANSWER, DNS_TYPE_PTR, NULL, x->ttl);
    rr->target = ans_str(a, xasprintf("%s.%.*s.pod.%s", text, (int)(slash - key), key, x->domain));
  }
  return true;
}

static size_t write_answer(DnsIndex *x, const DnsQuery *q, const uint8_t *p, const Answer *a, uint8_t *out,
                           size_t cap, bool *ret_overflow) {
  DnsWriter w;
  dns_writer_init(&w, out, cap);
  dns_response_begin(&w, q, p, DNS_FLAG_AA, a->rcode);
  for (int s = DNS_SECTION_ANSWER; s <= DNS_SECTION_ADDITIONAL; s++) {
    for (size_t i = 0; i < a->n[s]; i++)
      dns_put_rr(&w, (DnsSection)s, &a->rr[s][i]);
    if (s == DNS_SECTION_ANSWER && a->negative_soa) {
      _cleanup_free_ char *mname = xasprintf("ns.dns.%s", x->domain),
                          *rname = xasprintf("hostmaster.%s", x->domain);
      DnsRR soa = {.owner = a->zone, .type = DNS_TYPE_SOA, .ttl = x->ttl};
      soa.soa.mname = mname;
      soa.soa.rname = rname;
      soa.soa.serial = x->serial;
      soa.soa.refresh = 7200;
      soa.soa.retry = 1800;
      soa.soa.expire = 86400;
      soa.soa.minimum = x->ttl;
      dns_put_rr(&w, DNS_SECTION_AUTHORITY, &soa);
    }
  }
  *ret_overflow = w.overflow;
  return dns_response_finish(&w, q, a->rcode);
}

DnsVerdict dns_index_answer(DnsIndex *x, const uint8_t *p, size_t n, bool tcp, uint8_t *out, size_t cap,
                            size_t *ret_len, DnsQuery *ret_query) {
  DnsQuery q;
  int rc = dns_query_parse(p, n, &q);
  if (rc == -EBADMSG || (rc < 0 && (q.flags & DNS_FLAG_QR)))
    return DNS_VERDICT_DROP; /* no header, or a response sent to us: never answer those */
  if (ret_query)
    *ret_query = q;
  if (rc < 0) {
    q.question_end = 0; /* do not echo what could not be parsed */
    *ret_len = dns_answer_rcode(&q, p, DNS_RCODE_FORMERR, out, cap);
    return *ret_len ? DNS_VERDICT_ANSWER : DNS_VERDICT_DROP;
  }
  size_t limit = tcp ? cap : MIN(cap, dns_udp_limit(&q));
  uint8_t rcode = DNS_RCODE_NOERROR;
  if (q.edns && q.edns_version > 0)
    rcode = DNS_RCODE_BADVERS;
  else if (DNS_OPCODE(q.flags) != 0)
    rcode = DNS_RCODE_NOTIMP;
  if (rcode != DNS_RCODE_NOERROR) {
    DnsWriter w;
    dns_writer_init(&w, out, limit);
    dns_response_begin(&w, &q, p, 0, 0);
    *ret_len = dns_response_finish(&w, &q, rcode);
    return *ret_len ? DNS_VERDICT_ANSWER : DNS_VERDICT_DROP;
  }

  Answer a = {.rcode = DNS_RCODE_NOERROR};
  pthread_rwlock_rdlock(&x->lock);
  size_t dl = strlen(x->domain), nl = strlen(q.name);
  bool in_zone = streq(q.name, x->domain) ||
                 (nl > dl && q.name[nl - dl - 1] == '.' && streq(q.name + nl - dl, x->domain));
  uint8_t rev[4];
  DnsVerdict verdict = DNS_VERDICT_ANSWER;
  if (in_zone) {
    if (!x->synced) {
      a.rcode = DNS_RCODE_SERVFAIL;
    } else if (q.qclass != DNS_CLASS_IN && q.qclass != DNS_CLASS_ANY) {
      a.rcode = DNS_RCODE_REFUSED;
    } else {
      char rel[DNS_NAME_TEXT_MAX];
      size_t rl = nl > dl ? nl - dl - 1 : 0;
      memcpy(rel, q.name, rl);
      rel[rl] = 0;
      answer_cluster(x, &a, rel, q.qtype);
    }
  } else if (x->synced && q.qclass == DNS_CLASS_IN && parse_reverse_v4(q.name, rev)) {
    if (!answer_reverse(x, &a, rev, q.qtype))
      verdict = DNS_VERDICT_FORWARD; /* fallthrough: the upstream resolvers may know the address */
    else if (a.n[DNS_SECTION_ANSWER] == 0)
      a.negative_soa = true;
  } else {
    verdict = DNS_VERDICT_FORWARD;
  }
  if (verdict == DNS_VERDICT_ANSWER) {
    bool overflow;
    *ret_len = write_answer(x, &q, p, &a, out, limit, &overflow);
    if (overflow && !tcp) {
      /* Too big for the client's UDP size: header and question with TC, and it will ask over TCP. */
      DnsWriter w;
      dns_writer_init(&w, out, limit);
      dns_response_begin(&w, &q, p, DNS_FLAG_AA | DNS_FLAG_TC, a.rcode);
      *ret_len = dns_response_finish(&w, &q, a.rcode);
    } else if (overflow) {
      *ret_len = dns_answer_rcode(&q, p, DNS_RCODE_SERVFAIL, out, cap);
    }
    if (!*ret_len)
      verdict = DNS_VERDICT_DROP;
  }
  pthread_rwlock_unlock(&x->lock);
  ans_done(&a);
  return verdict;
}
