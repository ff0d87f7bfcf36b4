/* The scheduler's filter and score plugins as pure functions over the compact node and pod views of
 * sched-internal.h, and the "0/3 nodes are available: ..." message built from the reasons nodes failed
 * for. Behaviour and wording follow kube-scheduler 1.32's default profile (see sched-internal.h for the
 * plugin order and weights); nothing here locks or talks to the API server, so unit tests drive it with
 * JSON objects. */
#include <math.h>

#include "api/jsonutil.h"
#include "api/selector.h"
#include "scheduler/sched-internal.h"
#include "scheduler/volumebinding.h"

#define TAINT_NOT_READY "node.kubernetes.io/not-ready"
#define TAINT_UNSCHEDULABLE "node.kubernetes.io/unschedulable"
#define LABEL_HOSTNAME "kubernetes.io/hostname"

static const char *const taint_effects[_SCHED_TAINT_EFFECT_MAX] = {
    [SCHED_TAINT_NO_SCHEDULE] = "NoSchedule",
    [SCHED_TAINT_PREFER_NO_SCHEDULE] = "PreferNoSchedule",
    [SCHED_TAINT_NO_EXECUTE] = "NoExecute",
};

const char *sched_taint_effect_to_string(SchedTaintEffect e) {
  return e >= 0 && e < _SCHED_TAINT_EFFECT_MAX ? taint_effects[e] : NULL;
}

SchedTaintEffect sched_taint_effect_from_string(const char *s) {
  for (int i = 0; s && i < _SCHED_TAINT_EFFECT_MAX; i++)
    if (streq(s, taint_effects[i]))
      return (SchedTaintEffect)i;
  return SCHED_TAINT_EFFECT_INVALID;
}

static bool fail(SchedStatus *st, bool unresolvable, const char *reason) {
  if (st && st->n < SCHED_MAX_REASONS) {
    snprintf(st->reasons[st->n++], sizeof st->reasons[0], "%s", reason);
    st->unresolvable = st->unresolvable || unresolvable;
  }
  return false;
}

/* ---- NodeUnschedulable and TaintToleration ---- */

bool sched_tolerates(json_t *tolerations, const char *key, const char *value, SchedTaintEffect effect) {
  size_t i;
  json_t *t;
  json_array_foreach(tolerations, i, t) {
    const char *teff = jstr(t, "effect");
    if (!isempty(teff) && sched_taint_effect_from_string(teff) != effect)
      continue;
    const char *tkey = jstr(t, "key"), *op = jstr(t, "operator");
    bool exists = streq_ptr(op, "Exists");
    /* An empty key with Exists tolerates every taint. */
    if (isempty(tkey)) {
      if (exists)
        return true;
      continue;
    }
    if (!streq(tkey, key))
      continue;
    if (exists)
      return true;
    if ((isempty(op) || streq(op, "Equal")) && streq(jstr(t, "value") ?: "", value ?: ""))
      return true;
  }
  return false;
}

bool sched_filter_unschedulable(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  if (!node->unschedulable ||
      sched_tolerates(pod->tolerations, TAINT_UNSCHEDULABLE, "", SCHED_TAINT_NO_SCHEDULE))
    return true;
  return fail(st, true, "node(s) were unschedulable");
}

static bool untolerated(const SchedPod *pod, const char *key, const char *value, SchedStatus *st) {
  char reason[160];
  snprintf(reason, sizeof reason, "node(s) had untolerated taint {%s: %s}", key, value ? value : "");
  (void)pod;
  return fail(st, true, reason);
}

bool sched_filter_taints(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  json_t *tol = pod->tolerations;
  for (size_t i = 0; i < node->n_taints; i++) {
    const SchedTaint *t = &node->taints[i];
    if (t->effect == SCHED_TAINT_PREFER_NO_SCHEDULE || t->effect == SCHED_TAINT_EFFECT_INVALID)
      continue;
    if (!sched_tolerates(tol, t->key, t->value, t->effect))
      return untolerated(pod, t->key, t->value, st);
  }
  /* A node that is not Ready carries the not-ready taint once the node lifecycle controller notices; treat
   * it as tainted right away so that no pod lands there in between. */
  if (!node->ready) {
    bool tainted = false;
    for (size_t i = 0; i < node->n_taints; i++)
      tainted = tainted || streq_ptr(node->taints[i].key, TAINT_NOT_READY);
    if (!tainted && !sched_tolerates(tol, TAINT_NOT_READY, "", SCHED_TAINT_NO_SCHEDULE))
      return untolerated(pod, TAINT_NOT_READY, "", st);
  }
  return true;
}

/* ---- NodeAffinity ---- */

static bool parse_int(const char *s, int64_t *ret) {
  if (isempty(s))
    return false;
  char *end;
  long long v = strtoll(s, &end, 10);
  if (*end)
    return false;
  *ret = v;
  return true;
}

/* One NodeSelectorRequirement against a value (NULL = the label or field is absent). */
static bool requirement_matches(json_t *req, const char *have) {
  const char *op = jstr(req, "operator");
  json_t *values = json_object_get(req, "values");
  if (!op)
    return false;
  if (streq(op, "Exists"))
    return have != NULL;
  if (streq(op, "DoesNotExist"))
    return have == NULL;
  if (streq(op, "In") || streq(op, "NotIn")) {
    bool found = false;
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v) found = found || (have && streq_ptr(json_string_value(v), have));
    return streq(op, "In") ? found : !found;
  }
  if (streq(op, "Gt") || streq(op, "Lt")) {
    int64_t a, b;
    if (!have || json_array_size(values) != 1 || !parse_int(have, &a) ||
        !parse_int(json_string_value(json_array_get(values, 0)), &b))
      return false;
    return streq(op, "Gt") ? a > b : a < b;
  }
  return false;
}

bool sched_node_selector_term_matches(json_t *term, json_t *node) {
  json_t *exprs = json_object_get(term, "matchExpressions"), *fields = json_object_get(term, "matchFields");
  /* A term without requirements matches no node (Kubernetes' NodeSelectorTerm semantics). */
  if (json_array_size(exprs) == 0 && json_array_size(fields) == 0)
    return false;
  json_t *labels = jpath(node, "metadata.labels");
  size_t i;
  json_t *r;
  json_array_foreach(exprs, i, r) {
    const char *key = jstr(r, "key");
    if (!key || !requirement_matches(r, json_string_value(json_object_get(labels, key))))
      return false;
  }
  json_array_foreach(fields, i, r) {
    /* metadata.name is the only field node affinity supports. */
    if (!streq_ptr(jstr(r, "key"), "metadata.name") || !requirement_matches(r, jstr(node, "metadata.name")))
      return false;
  }
  return true;
}

/* nodeSelector sel and required node affinity req (either may be NULL) against a node and its labels. */
static bool node_selector_matches(json_t *sel, json_t *req, json_t *node, json_t *labels) {
  const char *k;
  json_t *v;
  json_object_foreach(sel, k, v) {
    if (!streq_ptr(json_string_value(json_object_get(labels, k)), json_string_value(v)))
      return false;
  }
  if (!req || json_is_null(req))
    return true;
  json_t *terms = json_object_get(req, "nodeSelectorTerms");
  size_t i;
  json_t *t;
  json_array_foreach(terms, i, t) if (sched_node_selector_term_matches(t, node)) return true;
  return false;
}

bool sched_pod_matches_node_selector(json_t *pod, json_t *node) {
  return node_selector_matches(
      jpath(pod, "spec.nodeSelector"),
      jpath(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"), node,
      jpath(node, "metadata.labels"));
}

bool sched_filter_node_affinity(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  if (!pod->node_selector && !pod->required_node_affinity)
    return true;
  if (node_selector_matches(pod->node_selector, pod->required_node_affinity, node->obj, node->labels))
    return true;
  return fail(st, true, "node(s) didn't match Pod's node affinity/selector");
}

/* ---- NodePorts ---- */

static bool ports_conflict(const SchedPort *a, const SchedPort *b) {
  if (a->port != b->port || !streq(a->protocol, b->protocol))
    return false;
  bool any_a = !*a->ip || streq(a->ip, "0.0.0.0"), any_b = !*b->ip || streq(b->ip, "0.0.0.0");
  return any_a || any_b || streq(a->ip, b->ip);
}

bool sched_filter_ports(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  for (size_t i = 0; i < pod->n_ports; i++)
    for (size_t j = 0; j < node->n_pods; j++) {
      const SchedPod *other = node->pods[j];
      for (size_t k = 0; k < other->n_ports; k++)
        if (ports_conflict(&pod->ports[i], &other->ports[k]))
          return fail(st, false, "node(s) didn't have free ports for the requested pod ports");
    }
  return true;
}

/* ---- NodeResourcesFit ---- */

bool sched_filter_resources(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  bool ok = true;
  if ((int64_t)node->n_pods + 1 > node->alloc_pods)
    ok = fail(st, false, "Too many pods");
  if (pod->milli_cpu > 0 && pod->milli_cpu > node->alloc_milli_cpu - node->req_milli_cpu)
    ok = fail(st, false, "Insufficient cpu");
  if (pod->memory > 0 && pod->memory > node->alloc_memory - node->req_memory)
    ok = fail(st, false, "Insufficient memory");
  return ok;
}

/* ---- InterPodAffinity ---- */

static const char *node_label(const SchedNode *n, const char *key) {
  return json_string_value(json_object_get(n->labels, key));
}

/* True if a PodAffinityTerm declared by a pod in owner_ns selects pod. */
static bool term_selects(json_t *term, const char *owner_ns, json_t *pod) {
  json_t *sel = json_object_get(term, "labelSelector");
  /* A term without a selector selects nothing. */
  if (!json_is_object(sel))
    return false;
  const char *ns = jstr(pod, "metadata.namespace");
  json_t *nss = json_object_get(term, "namespaces");
  json_t *nssel = json_object_get(term, "namespaceSelector");
  bool ns_ok;
  if (json_array_size(nss) > 0 || json_is_object(nssel)) {
    ns_ok = false;
    size_t i;
    json_t *v;
    json_array_foreach(nss, i, v) ns_ok = ns_ok || streq_ptr(json_string_value(v), ns);
    /* An empty namespaceSelector means every namespace (label-based ones are not supported yet). */
    if (json_is_object(nssel) && json_object_size(nssel) == 0)
      ns_ok = true;
  } else {
    ns_ok = streq_ptr(ns, owner_ns);
  }
  if (!ns_ok)
    return false;
  LabelSelector *ls = NULL;
  if (label_selector_from_json(sel, &ls, NULL) < 0)
    return false;
  bool m = label_selector_matches(ls, jpath(pod, "metadata.labels"));
  label_selector_free(ls);
  return m;
}

/* True if some pod (other than self) in the topology domain (key=value) of node is selected by term. */
static bool domain_has_match(const SchedCluster *cl, const SchedNode *node, const char *key,
                             const char *value, json_t *term, const char *owner_ns, const SchedPod *self) {
  bool hostname = streq(key, LABEL_HOSTNAME);
  for (size_t i = 0; i < cl->n_nodes; i++) {
    const SchedNode *m = cl->nodes[i];
    if (hostname ? m != node : !streq_ptr(node_label(m, key), value))
      continue;
    for (size_t j = 0; j < m->n_pods; j++)
      if (m->pods[j] != self && !streq_ptr(m->pods[j]->key, self->key) &&
          term_selects(term, owner_ns, m->pods[j]->obj))
        return true;
  }
  return false;
}

static bool any_pod_matches(const SchedCluster *cl, json_t *term, const SchedPod *pod) {
  for (size_t i = 0; i < cl->n_nodes; i++)
    for (size_t j = 0; j < cl->nodes[i]->n_pods; j++)
      if (term_selects(term, pod->ns, cl->nodes[i]->pods[j]->obj))
        return true;
  return false;
}

bool sched_filter_pod_affinity(const SchedPod *pod, const SchedNode *node, const SchedCluster *cl,
                               SchedStatus *st) {
  json_t *aff = pod->required_pod_affinity;
  json_t *anti = pod->required_pod_anti_affinity;
  size_t i;
  json_t *term;
  if (json_array_size(aff) > 0) {
    bool ok = true;
    json_array_foreach(aff, i, term) {
      const char *key = jstr(term, "topologyKey");
      const char *value = key ? node_label(node, key) : NULL;
      if (!value || !domain_has_match(cl, node, key, value, term, pod->ns, pod)) {
        ok = false;
        break;
      }
    }
    /* The first pod of a group that selects itself may go anywhere its terms' topology keys exist. */
    if (!ok) {
      bool self_only = true;
      json_array_foreach(aff, i, term) {
        const char *key = jstr(term, "topologyKey");
        if (!key || !node_label(node, key) || !term_selects(term, pod->ns, pod->obj) ||
            any_pod_matches(cl, term, pod))
          self_only = false;
      }
      if (!self_only)
        return fail(st, true, "node(s) didn't match pod affinity rules");
    }
  }
  json_array_foreach(anti, i, term) {
    const char *key = jstr(term, "topologyKey");
    const char *value = key ? node_label(node, key) : NULL;
    if (value && domain_has_match(cl, node, key, value, term, pod->ns, pod))
      return fail(st, false, "node(s) didn't match pod anti-affinity rules");
  }
  /* Pods already placed may refuse the newcomer in their topology domain. */
  for (size_t k = 0; k < cl->n_anti_affinity_pods; k++) {
    const SchedPod *other = cl->anti_affinity_pods[k];
    if (!other->node || !other->node->obj || other == pod || streq_ptr(other->key, pod->key))
      continue;
    json_t *terms = other->required_pod_anti_affinity;
    json_array_foreach(terms, i, term) {
      const char *key = jstr(term, "topologyKey");
      const char *value = key ? node_label(node, key) : NULL;
      if (!value || !streq_ptr(node_label(other->node, key), value))
        continue;
      if (term_selects(term, other->ns, pod->obj))
        return fail(st, false, "node(s) didn't satisfy existing pods anti-affinity rules");
    }
  }
  return true;
}

bool sched_filter(const SchedPod *pod, const SchedNode *node, const SchedCluster *cl, SchedStatus *st) {
  if (st)
    *st = (SchedStatus){0};
  if (!node->obj)
    return fail(st, true, "node(s) were unschedulable");
  return sched_prefilter_volumes(pod, st) && /* volumebinding.c */
         sched_filter_unschedulable(pod, node, st) && sched_filter_taints(pod, node, st) &&
         sched_filter_node_affinity(pod, node, st) && sched_filter_ports(pod, node, st) &&
         sched_filter_resources(pod, node, st) && sched_filter_volumes(pod, node, st) &&
         sched_filter_pod_affinity(pod, node, cl, st);
}

/* ---- the failure message ---- */

void sched_diagnosis_add(SchedDiagnosis *d, const SchedStatus *st) {
  if (st->unresolvable)
    d->n_unresolvable_nodes++;
  else
    d->n_resolvable_nodes++;
  if (st->prefilter) {
    if (!d->prefilter_msg && st->n)
      d->prefilter_msg = xstrdup(st->reasons[0]);
    return;
  }
  for (size_t i = 0; i < st->n; i++) {
    size_t j = 0;
    while (j < d->n_counts && !streq(d->counts[j].reason, st->reasons[i]))
      j++;
    if (j == d->n_counts) {
      d->counts = xrealloc(d->counts, (d->n_counts + 1) * sizeof *d->counts);
      d->counts[j] =
          (struct SchedReasonCount){.reason = xstrdup(st->reasons[i]), .unresolvable = st->unresolvable};
      d->n_counts++;
    }
    d->counts[j].count++;
  }
}

void sched_diagnosis_done(SchedDiagnosis *d) {
  for (size_t i = 0; i < d->n_counts; i++)
    free(d->counts[i].reason);
  free(d->counts);
  free(d->prefilter_msg);
  *d = (SchedDiagnosis){0};
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "N reason" strings sorted as strings (Go's sort.Strings over the histogram), joined by ", ". */
static void put_histogram(Buf *b, char **items, size_t n) {
  qsort(items, n, sizeof *items, cmp_str);
  for (size_t i = 0; i < n; i++)
    buf_printf(b, "%s%s", i ? ", " : "", items[i]);
}

char *sched_diagnosis_message(const SchedDiagnosis *d) {
  if (d->n_nodes == 0)
    return xstrdup("no nodes available to schedule pods");
  Buf b = BUF_INIT;
  buf_printf(&b, "0/%zu nodes are available: ", d->n_nodes);
  char **items = xcalloc(d->n_counts + 2, sizeof *items);
  if (d->prefilter_msg) { /* kube-scheduler prints a PreFilter's message instead of the histogram */
    buf_puts(&b, d->prefilter_msg);
  } else {
    for (size_t i = 0; i < d->n_counts; i++)
      items[i] = xasprintf("%zu %s", d->counts[i].count, d->counts[i].reason);
    put_histogram(&b, items, d->n_counts);
    for (size_t i = 0; i < d->n_counts; i++)
      free(items[i]);
  }
  buf_puts(&b, ".");
  /* DefaultPreemption's verdict: without priorities no pod is a victim; nodes failing for reasons that
   * removing pods cannot fix are not even tried. */
  size_t n = 0;
  if (d->n_resolvable_nodes)
    items[n++] = xasprintf("%zu No preemption victims found for incoming pod", d->n_resolvable_nodes);
  if (d->n_unresolvable_nodes)
    items[n++] = xasprintf("%zu Preemption is not helpful for scheduling", d->n_unresolvable_nodes);
  buf_printf(&b, " preemption: 0/%zu nodes are available: ", d->n_nodes);
  put_histogram(&b, items, n);
  buf_puts(&b, ".");
  for (size_t i = 0; i < n; i++)
    free(items[i]);
  free(items);
  return buf_steal(&b, NULL);
}

/* ---- scoring ---- */

size_t sched_num_feasible_to_find(size_t n_nodes) {
  /* kube-scheduler: every node below 100; else 50% minus 1% per 125 nodes, at least 5%, at least 100. */
  if (n_nodes < 100)
    return n_nodes;
  long pct = 50 - (long)n_nodes / 125;
  if (pct < 5)
    pct = 5;
  size_t n = n_nodes * (size_t)pct / 100;
  return n < 100 ? 100 : n;
}

static int64_t least(int64_t requested, int64_t capacity) {
  if (capacity <= 0 || requested > capacity)
    return 0;
  return (capacity - requested) * 100 / capacity;
}

int64_t sched_score_least_allocated(const SchedPod *pod, const SchedNode *node) {
  int64_t cpu = least(node->nz_milli_cpu + pod->nz_milli_cpu, node->alloc_milli_cpu);
  int64_t mem = least(node->nz_memory + pod->nz_memory, node->alloc_memory);
  return (cpu + mem) / 2;
}

int64_t sched_score_balanced(const SchedPod *pod, const SchedNode *node) {
  if (node->alloc_milli_cpu <= 0 || node->alloc_memory <= 0)
    return 0;
  double fc = (double)(node->req_milli_cpu + pod->milli_cpu) / (double)node->alloc_milli_cpu;
  double fm = (double)(node->req_memory + pod->memory) / (double)node->alloc_memory;
  fc = fc > 1 ? 1 : fc;
  fm = fm > 1 ? 1 : fm;
  /* The standard deviation of two fractions is half their distance. */
  double sd = fabs(fc - fm) / 2;
  return (int64_t)((1 - sd) * 100);
}

int64_t sched_score_preferred_affinity(const SchedPod *pod, const SchedNode *node) {
  json_t *pref = pod->preferred_node_affinity;
  int64_t sum = 0;
  size_t i;
  json_t *t;
  json_array_foreach(pref, i, t) {
    json_t *term = json_object_get(t, "preference");
    if (term && sched_node_selector_term_matches(term, node->obj))
      sum += jint(t, "weight", 0);
  }
  return sum;
}

int64_t sched_score_intolerable_prefer(const SchedPod *pod, const SchedNode *node) {
  json_t *tol = pod->tolerations;
  int64_t n = 0;
  for (size_t i = 0; i < node->n_taints; i++)
    if (node->taints[i].effect == SCHED_TAINT_PREFER_NO_SCHEDULE &&
        !sched_tolerates(tol, node->taints[i].key, node->taints[i].value, SCHED_TAINT_PREFER_NO_SCHEDULE))
      n++;
  return n;
}

int64_t sched_score_owner_count(const SchedPod *pod, const SchedNode *node) {
  if (!pod->owner_uid)
    return 0;
  int64_t n = 0;
  for (size_t i = 0; i < node->n_pods; i++)
    if (streq_ptr(node->pods[i]->owner_uid, pod->owner_uid) && node->pods[i] != pod)
      n++;
  return n;
}

/* DefaultNormalizeScore: scale to 0..100 by the maximum, reversed when lower raw values are better. */
static void normalize(int64_t *raw, size_t n, bool reverse) {
  int64_t max = 0;
  for (size_t i = 0; i < n; i++)
    max = raw[i] > max ? raw[i] : max;
  for (size_t i = 0; i < n; i++) {
    if (max == 0)
      raw[i] = reverse ? 100 : 0;
    else
      raw[i] = reverse ? 100 - raw[i] * 100 / max : raw[i] * 100 / max;
  }
}

void sched_score(const SchedPod *pod, SchedNode *const *nodes, size_t n, const SchedCluster *cl,
                 int64_t *scores) {
  (void)cl;
  bool has_pref = pod->preferred_node_affinity != NULL;
  int64_t *aff = xcalloc(n, sizeof *aff), *taint = xcalloc(n, sizeof *taint),
          *spread = xcalloc(n, sizeof *spread);
  for (size_t i = 0; i < n; i++) {
    scores[i] = sched_score_least_allocated(pod, nodes[i]) + sched_score_balanced(pod, nodes[i]);
    aff[i] = has_pref ? sched_score_preferred_affinity(pod, nodes[i]) : 0;
    taint[i] = sched_score_intolerable_prefer(pod, nodes[i]);
    spread[i] = sched_score_owner_count(pod, nodes[i]);
  }
  normalize(aff, n, false);
  normalize(taint, n, true);
  normalize(spread, n, true);
  for (size_t i = 0; i < n; i++)
    scores[i] += 2 * aff[i] + 3 * taint[i] + 2 * spread[i];
  free(aff);
  free(taint);
  free(spread);
}
