/* The HorizontalPodAutoscaler controller (autoscaling/v2; v1 objects are a view of the same storage): every
 * sync period each HPA is reconciled as kube-controller-manager does — read the target's scale
 * subresource, compute a replica count per metric from the pods' usage in metrics.k8s.io (hpa-calc.c has
 * the arithmetic), take the largest, normalize it (stabilization windows, scaling policies, min/max), write
 * the scale when it changes, and record status (current/desired replicas, current metrics, conditions
 * AbleToScale, ScalingActive, ScalingLimited, lastScaleTime) and events.
 *
 * Supported metric sources: Resource and ContainerResource (cpu, memory; Utilization and AverageValue).
 * Pods, Object and External metrics need a custom or external metrics API, which coracle does not serve:
 * such a metric is reported as failing, as Kubernetes does when that API is missing.
 *
 * State: the recommendation and scale-event history per HPA, in a list guarded by HpaCtl.lock; the entry
 * of a key is only used by the worker syncing that key (the work queue never hands one key to two). */
#include <errno.h>
#include <math.h>

#include "api/quantity.h"
#include "base/buf.h"
#include "controllers/controllers-internal.h"
#include "controllers/hpa.h"

#define COMPONENT "horizontal-pod-autoscaler"
#define HPA_GV "autoscaling/v2"

typedef struct HpaEntry {
  char *key;
  char *uid;
  HpaHistory h;
  struct HpaEntry *next;
} HpaEntry;

typedef struct HpaCtl {
  pthread_mutex_t lock;
  HpaEntry *entries;
} HpaCtl;

static HpaEntry *entry_get(HpaCtl *st, const char *key, const char *uid) {
  pthread_mutex_lock(&st->lock);
  HpaEntry **pp = &st->entries;
  for (; *pp; pp = &(*pp)->next)
    if (streq((*pp)->key, key))
      break;
  HpaEntry *e = *pp;
  if (e && !streq_ptr(e->uid, uid)) { /* a new HPA of the same name starts afresh */
    hpa_history_done(&e->h);
    free(e->uid);
    e->uid = xstrdup(uid ?: "");
  }
  if (!e) {
    e = xzalloc(sizeof *e);
    e->key = xstrdup(key);
    e->uid = xstrdup(uid ?: "");
    e->next = st->entries;
    st->entries = e;
  }
  pthread_mutex_unlock(&st->lock);
  return e;
}

static void entry_forget(HpaCtl *st, const char *key) {
  pthread_mutex_lock(&st->lock);
  for (HpaEntry **pp = &st->entries; *pp; pp = &(*pp)->next)
    if (streq((*pp)->key, key)) {
      HpaEntry *e = *pp;
      *pp = e->next;
      hpa_history_done(&e->h);
      free(e->key);
      free(e->uid);
      free(e);
      break;
    }
  pthread_mutex_unlock(&st->lock);
}

static void hpa_state_free(void *p) {
  HpaCtl *st = p;
  while (st->entries)
    entry_forget(st, st->entries->key);
  pthread_mutex_destroy(&st->lock);
  free(st);
}

/* ---- helpers ---- */

static void set_condition(json_t *hpa, const char *type, const char *status, const char *reason,
                          const char *fmt, ...) _printf_(5, 6);
static void set_condition(json_t *hpa, const char *type, const char *status, const char *reason,
                          const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *conds = jpath(hpa, "status.conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    jset(hpa, "status.conditions", conds);
  }
  char now[32];
  ctrl_format_time(ctrl_now_sec(), now);
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!streq_ptr(jstr(c, "type"), type))
      continue;
    if (!streq_ptr(jstr(c, "status"), status))
      json_object_set_new(c, "lastTransitionTime", json_string(now));
    json_object_set_new(c, "status", json_string(status));
    json_object_set_new(c, "reason", json_string(reason));
    json_object_set_new(c, "message", json_string(msg));
    return;
  }
  json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", type, "status", status,
                                         "lastTransitionTime", now, "reason", reason, "message", msg));
}

static void event(CtrlManager *m, json_t *hpa, const char *type, const char *reason, const char *fmt, ...)
    _printf_(5, 6);
static void event(CtrlManager *m, json_t *hpa, const char *type, const char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctrl_event(m, hpa, HPA_GV, "HorizontalPodAutoscaler", COMPONENT, type, reason, "%s", msg);
}

/* Go's time.ParseDuration for what metrics.k8s.io windows look like ("15.01s", "1m0.5s"). */
static uint64_t parse_window(const char *s) {
  if (!s)
    return 0;
  double total = 0;
  const char *p = s;
  while (*p) {
    char *end;
    double v = strtod(p, &end);
    if (end == p)
      return 0;
    p = end;
    double mul;
    if (startswith(p, "ms")) {
      mul = 1e3;
      p += 2;
    } else if (startswith(p, "us")) {
      mul = 1;
      p += 2;
    } else if (startswith(p, "ns")) {
      mul = 1e-3;
      p += 2;
    } else if (*p == 'h') {
      mul = 3600e6;
      p++;
    } else if (*p == 'm') {
      mul = 60e6;
      p++;
    } else if (*p == 's') {
      mul = 1e6;
      p++;
    } else {
      return 0;
    }
    total += v * mul;
  }
  return (uint64_t)total;
}

static uint64_t time_usec(const char *s) {
  int64_t sec;
  return s && parse_rfc3339(s, &sec) == 0 ? (uint64_t)sec * 1000000u : 0;
}

static bool milli_of(json_t *list, const char *resource, int64_t *ret) {
  json_t *v = json_object_get(list, resource);
  Quantity q;
  if (!v || quantity_from_json(v, &q, NULL) < 0)
    return false;
  *ret = quantity_milli_value(&q);
  return true;
}

static char *milli_quantity(int64_t milli) {
  Quantity q;
  quantity_from_scaled(milli, -3, QUANTITY_DECIMAL_SI, &q);
  return quantity_canonical(&q);
}

static void url_escape(Buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        strchr("-_.~", ch)) {
      buf_putc(b, (char)ch);
    } else {
      buf_putc(b, '%');
      buf_putc(b, hex[ch >> 4]);
      buf_putc(b, hex[ch & 15]);
    }
  }
}

/* ---- one sync ---- */

typedef struct SyncCtx {
  CtrlManager *m;
  json_t *hpa;
  const char *ns;
  const char *selector;
  LabelSelector *sel;
  json_t *metrics; /* PodMetricsList items by pod name, fetched once per sync; NULL until fetched */
  int metrics_rc;
  char *metrics_err;
  uint64_t now;
} SyncCtx;

static int fetch_metrics(SyncCtx *x, Error *err) {
  if (x->metrics || x->metrics_rc < 0) {
    if (x->metrics_rc < 0)
      return error_set(err, x->metrics_rc, NULL, "%s", x->metrics_err);
    return 0;
  }
  _cleanup_buf_ Buf path = BUF_INIT;
  buf_printf(&path, "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods?labelSelector=", x->ns);
  url_escape(&path, x->selector);
  _cleanup_json_ json_t *list = NULL;
  _cleanup_error_ Error e = ERROR_INIT;
  int rc = client_request(x->m->client, "GET", path.data, NULL, NULL, &list, &e);
  if (rc >= 0 && json_array_size(json_object_get(list, "items")) == 0)
    rc = error_set(&e, -ENODATA, NULL, "no metrics returned from resource metrics API");
  else if (rc < 0)
    error_wrap(&e, "unable to fetch metrics from resource metrics API: ");
  if (rc < 0) {
    x->metrics_rc = rc;
    x->metrics_err = xstrdup(e.message ? e.message : strerror(-rc));
    return error_set(err, rc, NULL, "%s", x->metrics_err);
  }
  x->metrics = json_object();
  size_t i;
  json_t *item;
  json_array_foreach(json_object_get(list, "items"), i, item) {
    const char *name = jstr(item, "metadata.name");
    if (name)
      json_object_set(x->metrics, name, item);
  }
  return 0;
}

/* The pods of the target with their usage and requests of resource (in container when not NULL). */
static int build_pods(SyncCtx *x, const char *resource, const char *container, json_t *pods, HpaPod **ret,
                      Error *err) {
  size_t n = json_array_size(pods);
  HpaPod *out = xcalloc(n + 1, sizeof *out);
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    HpaPod *p = &out[i];
    p->name = jstr(pod, "metadata.name");
    p->deleting = jpath(pod, "metadata.deletionTimestamp") != NULL;
    const char *phase = jstr(pod, "status.phase");
    p->failed = streq_ptr(phase, "Failed");
    p->pending = streq_ptr(phase, "Pending");
    json_t *rc = ctrl_condition(pod, "status.conditions", "Ready");
    if (rc) {
      p->has_ready = true;
      p->ready = !streq_ptr(jstr(rc, "status"), "False");
      p->ready_transition = time_usec(jstr(rc, "lastTransitionTime"));
    }
    if (jstr(pod, "status.startTime")) {
      p->has_start = true;
      p->start = time_usec(jstr(pod, "status.startTime"));
    }
    size_t c;
    json_t *ctr;
    json_array_foreach(jpath(pod, "spec.containers"), c, ctr) {
      if (container && !streq_ptr(jstr(ctr, "name"), container))
        continue;
      int64_t v;
      if (milli_of(jpath(ctr, "resources.requests"), resource, &v))
        p->request += v;
      else if (!p->missing_request)
        p->missing_request = jstr(ctr, "name");
    }
    json_t *m = json_object_get(x->metrics, p->name ? p->name : "");
    if (!m)
      continue;
    json_t *ctrs = json_object_get(m, "containers");
    int64_t sum = 0;
    bool ok = json_array_size(ctrs) > 0, found = !container;
    json_array_foreach(ctrs, c, ctr) {
      if (container && !streq_ptr(jstr(ctr, "name"), container))
        continue;
      found = true;
      int64_t v;
      if (!milli_of(json_object_get(ctr, "usage"), resource, &v)) {
        ok = false;
        break;
      }
      sum += v;
    }
    if (container && !found) {
      int erc = error_set(err, -ENOENT, NULL, "container %s not present in metrics for pod %s/%s", container,
                          x->ns, p->name);
      free(out);
      return erc;
    }
    if (ok) {
      p->has_metric = true;
      p->metric = sum;
      p->metric_time = time_usec(jstr(m, "timestamp"));
      p->metric_window = parse_window(jstr(m, "window"));
    }
  }
  *ret = out;
  return 0;
}

/* computeReplicasForMetric for one spec entry. Returns the proposal, or < 0 with the ScalingActive False
 * condition's reason in *ret_reason (the event is recorded here). *ret_status is the metric's status. */
static int metric_replicas(SyncCtx *x, json_t *spec, int32_t current, json_t *pods, int32_t *ret_replicas,
                           char **ret_name, json_t **ret_status, const char **ret_reason, Error *err) {
  const char *type = jstr(spec, "type");
  bool is_container = streq_ptr(type, "ContainerResource");
  if (!streq_ptr(type, "Resource") && !is_container) {
    *ret_reason = streq_ptr(type, "Pods")     ? "FailedGetPodsMetric"
                  : streq_ptr(type, "Object") ? "FailedGetObjectMetric"
                                              : "FailedGetExternalMetric";
    int rc =
        error_set(err, -EOPNOTSUPP, NULL,
                  "unable to get metric of type %s: no custom or external metrics API is served", type ?: "");
    event(x->m, x->hpa, "Warning", *ret_reason, "%s", err->message);
    return rc;
  }
  json_t *src = json_object_get(spec, is_container ? "containerResource" : "resource");
  const char *resource = jstr(src, "name") ?: "";
  const char *container = is_container ? jstr(src, "container") : NULL;
  *ret_reason = is_container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
  bool cpu = streq(resource, "cpu");
  json_t *avg = jpath(src, "target.averageValue");
  json_t *util = jpath(src, "target.averageUtilization");
  _cleanup_error_ Error e = ERROR_INIT;
  int rc = fetch_metrics(x, &e);
  _cleanup_free_ HpaPod *hp = NULL;
  if (rc >= 0)
    rc = build_pods(x, resource, container, pods, &hp, &e);
  json_t *cur = NULL;
  if (rc >= 0 && avg) {
    Quantity q;
    int64_t usage = 0;
    if ((rc = quantity_from_json(avg, &q, &e)) >= 0)
      rc = hpa_average_value_replicas(hp, json_array_size(pods), cpu, current, quantity_milli_value(&q),
                                      x->now, ret_replicas, &usage, &e);
    if (rc >= 0) {
      _cleanup_free_ char *v = milli_quantity(usage);
      cur = json_pack("{s:s}", "averageValue", v);
      *ret_name = xasprintf("%s %sresource", resource, is_container ? "container " : "");
    } else {
      error_wrap(&e, "failed to get %s usage: ", resource);
    }
  } else if (rc >= 0 && json_is_integer(util)) {
    int32_t u = 0;
    int64_t raw = 0;
    rc = hpa_utilization_replicas(hp, json_array_size(pods), cpu, current, (int32_t)json_integer_value(util),
                                  x->now, ret_replicas, &u, &raw, &e);
    if (rc >= 0) {
      _cleanup_free_ char *v = milli_quantity(raw);
      cur = json_pack("{s:i,s:s}", "averageUtilization", u, "averageValue", v);
      *ret_name = xasprintf("%s %sresource utilization (percentage of request)", resource,
                            is_container ? "container " : "");
    } else {
      error_wrap(&e, "failed to get %s utilization: ", resource);
    }
  } else if (rc >= 0) {
    rc = error_set(
        &e, -EINVAL, NULL,
        "invalid resource metric source: neither an average utilization target nor an average value "
        "(milli-value) target was set");
  } else {
    error_wrap(&e, "failed to get %s %s: ", resource, avg ? "usage" : "utilization");
  }
  if (rc < 0) {
    error_wrap(&e,
               is_container ? "failed to get %s container metric value: "
                            : "failed to get %s resource metric value: ",
               resource);
    event(x->m, x->hpa, "Warning", *ret_reason, "%s", e.message ? e.message : "");
    error_set(err, rc, NULL, "%s", e.message ? e.message : "");
    return rc;
  }
  if (is_container)
    *ret_status = json_pack("{s:s,s:{s:s,s:s,s:o}}", "type", "ContainerResource", "containerResource", "name",
                            resource, "container", container ?: "", "current", cur);
  else
    *ret_status =
        json_pack("{s:s,s:{s:s,s:o}}", "type", "Resource", "resource", "name", resource, "current", cur);
  return 0;
}

static int parse_rules(json_t *j, HpaRules *r) {
  if (!j)
    return 0;
  if (json_is_integer(json_object_get(j, "stabilizationWindowSeconds")))
    r->stabilization_sec = json_integer_value(json_object_get(j, "stabilizationWindowSeconds"));
  const char *sp = jstr(j, "selectPolicy");
  if (sp)
    r->select = streq(sp, "Min")        ? HPA_SELECT_MIN
                : streq(sp, "Disabled") ? HPA_SELECT_DISABLED
                                        : HPA_SELECT_MAX;
  json_t *pol = json_object_get(j, "policies");
  if (json_is_array(pol)) {
    r->n_policies = 0;
    size_t i;
    json_t *p;
    json_array_foreach(pol, i, p) {
      if (r->n_policies >= HPA_MAX_POLICIES)
        break;
      r->policies[r->n_policies].type =
          streq_ptr(jstr(p, "type"), "Pods") ? HPA_POLICY_PODS : HPA_POLICY_PERCENT;
      r->policies[r->n_policies].value = (int32_t)jint(p, "value", 0);
      r->policies[r->n_policies].period_sec = (int32_t)jint(p, "periodSeconds", 15);
      r->n_policies++;
    }
  }
  return 0;
}

static int hpa_sync(CtrlController *c, const char *key, Error *err) {
  HpaCtl *st = c->state;
  CtrlManager *m = c->m;
  const ApiResource *hres = ctrl_resource(CTRL_HPAS);
  _cleanup_json_ json_t *shared = informer_get(ctrl_informer(m, CTRL_HPAS), key);
  if (!shared) {
    entry_forget(st, key);
    return 0;
  }
  ctrl_enqueue_after(c, key, m->hpa_sync_period_usec);
  _cleanup_json_ json_t *hpa = json_deep_copy(shared);
  _cleanup_json_ json_t *orig = json_deep_copy(jpath(shared, "status"));
  if (!json_is_object(json_object_get(hpa, "status")))
    json_object_set_new(hpa, "status", json_object());
  const char *ns = jstr(hpa, "metadata.namespace");
  const char *kind = jstr(hpa, "spec.scaleTargetRef.kind") ?: "";
  const char *tname = jstr(hpa, "spec.scaleTargetRef.name") ?: "";
  const char *av = jstr(hpa, "spec.scaleTargetRef.apiVersion") ?: "";
  _cleanup_free_ char *reference = xasprintf("%s/%s/%s", kind, ns, tname);
  HpaEntry *entry = entry_get(st, key, jstr(hpa, "metadata.uid"));
  int rc = 0;
  _cleanup_error_ Error e = ERROR_INIT;
  uint64_t now = now_realtime_usec();
  /* Declared before the first goto: the cleanups must never see an uninitialised pointer. */
  _cleanup_free_ char *reason = NULL;
  int32_t current = 0;
  json_t *statuses = NULL;

  /* The target's scale. */
  const char *slash = strchr(av, '/');
  _cleanup_free_ char *group = slash ? xstrndup(av, (size_t)(slash - av)) : xstrdup("");
  const char *version = slash ? slash + 1 : av;
  const ApiResource *tr = api_resource_find_kind(group, version, kind);
  _cleanup_json_ json_t *scale = NULL;
  if (!tr || !api_subresource_find(tr, "scale"))
    rc = error_set(&e, -ENOENT, NULL,
                   "unable to determine resource for scale target reference: no matches for kind \"%s\" in "
                   "version \"%s\"",
                   kind, av);
  else
    rc = client_subresource(m->client, "GET", tr, ns, tname, "scale", NULL, &scale, &e);
  if (rc < 0) {
    event(m, hpa, "Warning", "FailedGetScale", "%s", e.message ? e.message : "");
    set_condition(hpa, "AbleToScale", "False", "FailedGetScale",
                  "the HPA controller was unable to get the target's current scale: %s",
                  e.message ? e.message : "");
    goto write_status;
  }
  set_condition(hpa, "AbleToScale", "True", "SucceededGetScale",
                "the HPA controller was able to get the target's current scale");
  current = (int32_t)jint(scale, "spec.replicas", 0);
  hpa_history_init(&entry->h, current, now);
  int32_t min = (int32_t)jint(hpa, "spec.minReplicas", 1), max = (int32_t)jint(hpa, "spec.maxReplicas", 1);
  int32_t desired = 0;
  bool rescale = true;
  /* spec.behavior as the API server defaulted it; absent, the controller's older rules apply (NULL). */
  HpaBehavior b;
  const HpaBehavior *behavior = NULL;
  json_t *bj = jpath(hpa, "spec.behavior");
  if (json_is_object(bj)) {
    hpa_behavior_defaults(&b);
    b.down.stabilization_sec = (int64_t)(m->hpa_downscale_window_usec / 1000000u);
    parse_rules(json_object_get(bj, "scaleUp"), &b.up);
    parse_rules(json_object_get(bj, "scaleDown"), &b.down);
    behavior = &b;
  }
  statuses = json_array();
  jset(hpa, "status.currentMetrics", statuses);
  if (current == 0 && min != 0) {
    desired = 0;
    rescale = false;
    set_condition(hpa, "ScalingActive", "False", "ScalingDisabled",
                  "scaling is disabled since the replica count of the target is zero");
  } else if (current > max) {
    reason = xstrdup("Current number of replicas above Spec.MaxReplicas");
    desired = max;
  } else if (current < min) {
    reason = xstrdup("Current number of replicas below Spec.MinReplicas");
    desired = min;
  } else {
    /* computeReplicasForMetrics */
    const char *selector = jstr(scale, "status.selector");
    SyncCtx x = {.m = m, .hpa = hpa, .ns = ns, .selector = selector, .now = now};
    _cleanup_(label_selector_freep) LabelSelector *sel = NULL;
    if (isempty(selector) || label_selector_parse(selector, &sel, NULL) < 0) {
      event(m, hpa, "Warning", isempty(selector) ? "SelectorRequired" : "InvalidSelector",
            isempty(selector) ? "selector is required"
                              : "couldn't convert selector into a corresponding internal selector object");
      set_condition(hpa, "ScalingActive", "False", "InvalidSelector",
                    isempty(selector) ? "the HPA target's scale is missing a selector"
                                      : "the HPA target's scale has an invalid selector");
      rc = error_set(&e, -EINVAL, NULL, "selector is required");
      goto write_status_metrics;
    }
    _cleanup_json_ json_t *pods = informer_list_selector(ctrl_informer(m, CTRL_PODS), ns, sel);
    json_t *specs = jpath(hpa, "spec.metrics");
    size_t n = json_array_size(specs), invalid = 0;
    int32_t best = 0;
    _cleanup_free_ char *best_name = NULL;
    const char *first_reason = NULL;
    _cleanup_free_ char *first_msg = NULL;
    for (size_t i = 0; i < n; i++) {
      int32_t proposal = 0;
      char *name = NULL;
      json_t *ms = NULL;
      const char *creason = NULL;
      _cleanup_error_ Error me = ERROR_INIT;
      if (metric_replicas(&x, json_array_get(specs, i), current, pods, &proposal, &name, &ms, &creason, &me) <
          0) {
        json_array_append_new(statuses, json_pack("{s:s}", "type", ""));
        if (invalid++ == 0) {
          first_reason = creason;
          first_msg = xstrdup(me.message ? me.message : "");
        }
        continue;
      }
      json_array_append_new(statuses, ms);
      if (best == 0 || proposal > best) {
        best = proposal;
        free(best_name);
        best_name = name;
      } else {
        free(name);
      }
    }
    json_decref(x.metrics);
    free(x.metrics_err);
    if (n > 0 && (invalid >= n || (invalid > 0 && best < current))) {
      set_condition(hpa, "ScalingActive", "False", first_reason,
                    "the HPA was unable to compute the replica count: %s", first_msg);
      event(m, hpa, "Warning", "FailedComputeMetricsReplicas",
            "invalid metrics (%zu invalid out of %zu), first error is: %s", invalid, n, first_msg);
      rc =
          error_set(&e, -ENODATA, NULL,
                    "failed to compute desired number of replicas based on listed metrics for %s", reference);
      goto write_status_metrics;
    }
    set_condition(hpa, "ScalingActive", "True", "ValidMetricFound",
                  "the HPA was able to successfully calculate a replica count from %s", best_name ?: "");
    desired = best;
    if (desired > current)
      reason = xasprintf("%s above target", best_name ?: "");
    else if (desired < current)
      reason = xstrdup("All metrics below target");
    HpaNormalized nz;
    hpa_normalize(&entry->h, behavior, m->hpa_downscale_window_usec, current, desired, min, max, now, &nz);
    set_condition(hpa, "AbleToScale", "True", nz.able_reason, "%s", nz.able_message);
    set_condition(hpa, "ScalingLimited", nz.limited ? "True" : "False", nz.limit_reason, "%s",
                  nz.limit_message);
    desired = nz.replicas;
    rescale = desired != current;
  }
  if (rescale) {
    json_t *sp = jobj(scale, "spec");
    json_object_set_new(sp, "replicas", json_integer(desired));
    _cleanup_error_ Error se = ERROR_INIT;
    if (client_subresource(m->client, "PUT", tr, ns, tname, "scale", scale, NULL, &se) < 0) {
      event(m, hpa, "Warning", "FailedRescale", "New size: %d; reason: %s; error: %s", desired, reason ?: "",
            se.message ? se.message : "");
      set_condition(hpa, "AbleToScale", "False", "FailedUpdateScale",
                    "the HPA controller was unable to update the target scale: %s",
                    se.message ? se.message : "");
      rc = error_set(&e, -EIO, NULL, "failed to rescale %s: %s", reference, se.message ? se.message : "");
      goto write_status_metrics;
    }
    set_condition(hpa, "AbleToScale", "True", "SucceededRescale",
                  "the HPA controller was able to update the target scale to %d", desired);
    event(m, hpa, "Normal", "SuccessfulRescale", "New size: %d; reason: %s", desired, reason ?: "");
    hpa_store_scale_event(&entry->h, behavior, current, desired, now);
    log_info(COMPONENT, "hpa=%s target=%s from=%d to=%d reason=\"%s\"", key, reference, current, desired,
             reason ?: "");
  }
  if (rescale && desired != current) {
    char ts[32];
    ctrl_format_time(ctrl_now_sec(), ts);
    jset(hpa, "status.lastScaleTime", json_string(ts));
  } else {
    desired = current;
  }
  jset(hpa, "status.desiredReplicas", json_integer(desired));
write_status_metrics:
  jset(hpa, "status.currentReplicas", json_integer(current));
  if (!jpath(hpa, "status.desiredReplicas"))
    jset(hpa, "status.desiredReplicas", json_integer(current));
  if (json_array_size(statuses) == 0)
    jdel(hpa, "status.currentMetrics");
write_status:
  if (!json_equal(orig, jpath(hpa, "status"))) {
    _cleanup_error_ Error ue = ERROR_INIT;
    if (ctrl_update_status(m->client, hres, shared, jpath(hpa, "status"), &ue) < 0)
      log_warn(COMPONENT, "hpa=%s msg=\"status update failed\" err=\"%s\"", key,
               ue.message ? ue.message : "");
  }
  if (rc < 0)
    log_debug(COMPONENT, "hpa=%s err=\"%s\"", key, e.message ? e.message : "");
  (void)err;
  return 0;
}

static void on_hpa(json_t *obj, void *userdata) {
  ctrl_enqueue_obj(userdata, obj);
}

static void on_hpa_update(json_t *old, json_t *obj, void *userdata) {
  /* Only spec changes need an early sync; status writes (ours) wait for the period. */
  if (!json_equal(jpath(old, "spec"), jpath(obj, "spec")))
    ctrl_enqueue_obj(userdata, obj);
}

int hpa_controller_setup(CtrlManager *m, Error *err) {
  HpaCtl *st = xzalloc(sizeof *st);
  pthread_mutex_init(&st->lock, NULL);
  CtrlController *c = ctrl_controller_new(m, "horizontalpodautoscaler", hpa_sync, st, hpa_state_free);
  InformerHandlers h = {.on_add = on_hpa, .on_update = on_hpa_update, .on_delete = on_hpa, .userdata = c};
  informer_add_handlers(ctrl_informer(m, CTRL_HPAS), &h);
  ctrl_informer(m, CTRL_PODS);
  return 0;
}
