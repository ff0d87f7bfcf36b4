/* The pure computations of the Deployment controller, kept apart from the API calls so that unit tests can
 * drive them with plain JSON: the pod-template hash that names ReplicaSets, template equality, maxSurge /
 * maxUnavailable resolution, how far the new ReplicaSet may grow and the old ones shrink in one rolling
 * step, proportional scaling when replicas change mid-rollout, and the status with its Available and
 * Progressing conditions. Rules, names and messages follow kube-controller-manager's deployment controller.
 *
 * The hash: a 32-bit FNV-1a over the canonical JSON of the template (keys sorted, compact, the
 * pod-template-hash label left out) followed by collisionCount as four little-endian bytes when set; its
 * decimal digits are then mapped through SafeEncodeString's alphabet as Kubernetes does with its own hash
 * (Kubernetes hashes a Go dump of the template, so the values differ from a real cluster's, but they are as
 * stable and look the same). */
#include <errno.h>
#include <math.h>

#include "controllers/controllers-internal.h"

static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

static json_t *template_without_hash(json_t *t) {
  json_t *c = json_is_object(t) ? json_deep_copy(t) : json_object();
  json_t *labels = jpath(c, "metadata.labels");
  if (json_is_object(labels)) {
    json_object_del(labels, DEPLOY_HASH_LABEL);
    if (json_object_size(labels) == 0)
      json_object_del(jpath(c, "metadata"), "labels");
  }
  json_t *meta = jpath(c, "metadata");
  if (json_is_object(meta) && json_object_size(meta) == 0)
    json_object_del(c, "metadata");
  return c;
}

void deploy_template_hash(json_t *template, int64_t collision_count, char out[static 16]) {
  _cleanup_json_ json_t *t = template_without_hash(template);
  _cleanup_free_ char *text = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
    h ^= *p;
    h *= 16777619u;
  }
  if (collision_count >= 0) {
    uint32_t cc = (uint32_t)collision_count;
    for (int i = 0; i < 4; i++) {
      h ^= (cc >> (8 * i)) & 0xff;
      h *= 16777619u;
    }
  }
  char dec[16];
  snprintf(dec, sizeof dec, "%u", h);
  size_t i = 0;
  for (; dec[i]; i++)
    out[i] = safe_alphabet[(unsigned char)dec[i] % (sizeof safe_alphabet - 1)];
  out[i] = 0;
}

bool deploy_templates_equal(json_t *a, json_t *b) {
  _cleanup_json_ json_t *x = template_without_hash(a), *y = template_without_hash(b);
  return json_equal(x, y);
}

static const char *annotation(json_t *obj, const char *name) {
  return json_string_value(json_object_get(jpath(obj, "metadata.annotations"), name));
}

int64_t deploy_revision(json_t *rs) {
  const char *v = annotation(rs, DEPLOY_REVISION_ANN);
  return v ? strtoll(v, NULL, 10) : 0;
}

int64_t deploy_replicas(json_t *d) {
  return jint(d, "spec.replicas", 1);
}

int64_t deploy_rs_replicas(json_t *rs) {
  return jint(rs, "spec.replicas", 1);
}

static bool is_rolling(json_t *d) {
  const char *t = jstr(d, "spec.strategy.type");
  return !t || streq(t, "RollingUpdate");
}

void deploy_fenceposts(json_t *d, int64_t *ret_surge, int64_t *ret_unavailable) {
  int64_t surge = 0, unavail = 0;
  if (is_rolling(d)) {
    int64_t replicas = deploy_replicas(d);
    json_t *ru = jpath(d, "spec.strategy.rollingUpdate");
    json_t *ms = json_object_get(ru, "maxSurge"), *mu = json_object_get(ru, "maxUnavailable");
    _cleanup_json_ json_t *def = json_string("25%");
    if (ctrl_int_or_percent(ms ? ms : def, replicas, true, &surge) < 0)
      surge = 0;
    if (ctrl_int_or_percent(mu ? mu : def, replicas, false, &unavail) < 0)
      unavail = 0;
    if (surge == 0 && unavail == 0)
      unavail = 1; /* validation forbids both 0; a resolved 0/0 (small percentages) must still progress */
  }
  *ret_surge = surge;
  *ret_unavailable = unavail;
}

int64_t deploy_max_surge(json_t *d) {
  int64_t s, u;
  deploy_fenceposts(d, &s, &u);
  return s;
}

int64_t deploy_max_unavailable(json_t *d) {
  int64_t replicas = deploy_replicas(d);
  if (!is_rolling(d) || replicas == 0)
    return 0;
  int64_t s, u;
  deploy_fenceposts(d, &s, &u);
  return u > replicas ? replicas : u;
}

static int64_t sum(json_t *rss, const char *path, int64_t def) {
  int64_t n = 0;
  size_t i;
  json_t *rs;
  json_array_foreach(rss, i, rs) n += jint(rs, path, def);
  return n;
}

int64_t deploy_new_rs_new_replicas(json_t *d, json_t *all_rss, json_t *new_rs) {
  int64_t replicas = deploy_replicas(d);
  if (!is_rolling(d))
    return replicas;
  int64_t cur = deploy_rs_replicas(new_rs);
  int64_t max_total = replicas + deploy_max_surge(d);
  int64_t current = sum(all_rss, "spec.replicas", 1);
  if (current >= max_total)
    return cur;
  int64_t up = MIN(max_total - current, replicas - cur);
  return cur + up;
}

static int64_t created_at(json_t *o) {
  int64_t t;
  return ctrl_parse_time(jstr(o, "metadata.creationTimestamp"), &t) < 0 ? 0 : t;
}

static int cmp_oldest(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  int64_t ta = created_at(a), tb = created_at(b);
  if (ta != tb)
    return ta < tb ? -1 : 1;
  return strcmp(jstr(a, "metadata.name") ?: "", jstr(b, "metadata.name") ?: "");
}

static int cmp_size_newer(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  int64_t ra = deploy_rs_replicas(a), rb = deploy_rs_replicas(b);
  if (ra != rb)
    return ra > rb ? -1 : 1;
  return -cmp_oldest(pa, pb);
}

static int cmp_size_older(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  int64_t ra = deploy_rs_replicas(a), rb = deploy_rs_replicas(b);
  if (ra != rb)
    return ra > rb ? -1 : 1;
  return cmp_oldest(pa, pb);
}

/* A sorted C array of borrowed elements of arr. */
static json_t **sorted(json_t *arr, int (*cmp)(const void *, const void *), size_t *ret_n) {
  size_t n = json_array_size(arr);
  json_t **v = xcalloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_array_get(arr, i);
  qsort(v, n, sizeof *v, cmp);
  *ret_n = n;
  return v;
}

static int64_t planned(json_t *plan, json_t *rs) {
  json_t *v = json_object_get(plan, jstr(rs, "metadata.name"));
  return v ? json_integer_value(v) : deploy_rs_replicas(rs);
}

json_t *deploy_plan_scale_down_old(json_t *d, json_t *all_rss, json_t *old_rss, json_t *new_rs) {
  json_t *plan = json_object();
  if (sum(old_rss, "spec.replicas", 1) == 0)
    return plan;
  int64_t all = sum(all_rss, "spec.replicas", 1);
  int64_t min_avail = deploy_replicas(d) - deploy_max_unavailable(d);
  int64_t new_unavail = new_rs ? deploy_rs_replicas(new_rs) - jint(new_rs, "status.availableReplicas", 0) : 0;
  int64_t max_down = all - min_avail - new_unavail;
  if (max_down <= 0)
    return plan;
  size_t n;
  _cleanup_free_ json_t **v = sorted(old_rss, cmp_oldest, &n);
  /* First the old pods that are not available anyway: removing them costs no availability. */
  int64_t cleaned = 0;
  for (size_t i = 0; i < n && cleaned < max_down; i++) {
    int64_t r = deploy_rs_replicas(v[i]);
    int64_t unhealthy = r - jint(v[i], "status.availableReplicas", 0);
    if (r == 0 || unhealthy <= 0)
      continue;
    int64_t k = MIN(max_down - cleaned, unhealthy);
    json_object_set_new(plan, jstr(v[i], "metadata.name"), json_integer(r - k));
    cleaned += k;
  }
  /* Then available old pods, down to the minimum availability. */
  int64_t available = sum(all_rss, "status.availableReplicas", 0);
  if (available <= min_avail)
    return plan;
  int64_t total = available - min_avail, done = 0;
  for (size_t i = 0; i < n && done < total; i++) {
    int64_t r = planned(plan, v[i]);
    if (r == 0)
      continue;
    int64_t k = MIN(r, total - done);
    json_object_set_new(plan, jstr(v[i], "metadata.name"), json_integer(r - k));
    done += k;
  }
  return plan;
}

static int64_t max_replicas_annotation(json_t *rs, int64_t def) {
  const char *v = annotation(rs, DEPLOY_MAX_REPLICAS_ANN);
  return v ? strtoll(v, NULL, 10) : def;
}

static int64_t rs_fraction(json_t *rs, json_t *d) {
  int64_t replicas = deploy_replicas(d), r = deploy_rs_replicas(rs);
  if (replicas == 0)
    return -r;
  int64_t dep = replicas + deploy_max_surge(d);
  int64_t annotated = max_replicas_annotation(rs, jint(d, "status.replicas", 0));
  if (annotated <= 0)
    return 0;
  return (int64_t)llround((double)(r * dep) / (double)annotated) - r;
}

json_t *deploy_plan_proportional(json_t *d, json_t *new_rs, json_t *old_rss) {
  json_t *plan = json_object();
  int64_t replicas = deploy_replicas(d);
  _cleanup_json_ json_t *active = json_array();
  size_t i;
  json_t *rs;
  json_array_foreach(old_rss, i, rs) {
    if (deploy_rs_replicas(rs) > 0)
      json_array_append(active, rs);
  }
  if (new_rs && deploy_rs_replicas(new_rs) > 0)
    json_array_append(active, new_rs);

  /* One ReplicaSet holds every pod (or none does): it takes the whole change. */
  json_t *target = NULL;
  if (json_array_size(active) == 1) {
    target = json_array_get(active, 0);
  } else if (json_array_size(active) == 0) {
    target = new_rs;
    if (!target && json_array_size(old_rss)) {
      size_t n;
      _cleanup_free_ json_t **v = sorted(old_rss, cmp_oldest, &n);
      target = v[n - 1];
    }
  }
  if (target) {
    if (deploy_rs_replicas(target) != replicas)
      json_object_set_new(plan, jstr(target, "metadata.name"), json_integer(replicas));
    return plan;
  }
  /* The new ReplicaSet is saturated: the old ones can all go. */
  const char *desired = annotation(new_rs, DEPLOY_DESIRED_REPLICAS_ANN);
  if (new_rs && deploy_rs_replicas(new_rs) == replicas && desired && strtoll(desired, NULL, 10) == replicas &&
      jint(new_rs, "status.availableReplicas", 0) == replicas) {
    json_array_foreach(old_rss, i, rs) {
      if (deploy_rs_replicas(rs) != 0)
        json_object_set_new(plan, jstr(rs, "metadata.name"), json_integer(0));
    }
    return plan;
  }
  if (!is_rolling(d))
    return plan;
  int64_t all = sum(active, "spec.replicas", 1);
  int64_t allowed = replicas > 0 ? replicas + deploy_max_surge(d) : 0;
  int64_t to_add = allowed - all;
  size_t n;
  _cleanup_free_ json_t **v = sorted(active, to_add > 0 ? cmp_size_newer : cmp_size_older, &n);
  int64_t *size = xcalloc(n, sizeof *size);
  int64_t added = 0;
  for (size_t k = 0; k < n; k++) {
    int64_t r = deploy_rs_replicas(v[k]), prop = 0;
    if (to_add != 0 && r != 0 && to_add != added) {
      int64_t frac = rs_fraction(v[k], d), left = to_add - added;
      prop = to_add > 0 ? MIN(frac, left) : MAX(frac, left);
    }
    size[k] = r + prop;
    added += prop;
  }
  if (n && added != to_add) {
    /* Rounding leftovers go to the largest ReplicaSet (the first after sorting). */
    size[0] += to_add - added;
    if (size[0] < 0)
      size[0] = 0;
  }
  for (size_t k = 0; k < n; k++) {
    if (size[k] != deploy_rs_replicas(v[k]))
      json_object_set_new(plan, jstr(v[k], "metadata.name"), json_integer(size[k]));
  }
  free(size);
  return plan;
}

/* ---- status and conditions ---- */

void deploy_remove_condition(json_t *status, const char *type) {
  json_t *conds = json_object_get(status, "conditions");
  for (size_t i = 0; i < json_array_size(conds);) {
    if (streq_ptr(jstr(json_array_get(conds, i), "type"), type))
      json_array_remove(conds, i);
    else
      i++;
  }
}

static void put_condition(json_t *status, const char *type, const char *cstatus, const char *reason,
                          const char *message, int64_t now) {
  json_t *cur = ctrl_condition(status, "conditions", type);
  char ts[32];
  ctrl_format_time(now, ts);
  const char *ltt = cur && streq_ptr(jstr(cur, "status"), cstatus) ? jstr(cur, "lastTransitionTime") : NULL;
  json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status", cstatus, "lastUpdateTime", ts,
                        "lastTransitionTime", ltt ? ltt : ts, "reason", reason, "message", message);
  deploy_remove_condition(status, type);
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(status, "conditions", conds);
  }
  json_array_append_new(conds, c);
}

void deploy_set_condition(json_t *status, const char *type, const char *cstatus, const char *reason,
                          const char *message, int64_t now) {
  json_t *cur = ctrl_condition(status, "conditions", type);
  if (cur && streq_ptr(jstr(cur, "status"), cstatus) && streq_ptr(jstr(cur, "reason"), reason))
    return;
  put_condition(status, type, cstatus, reason, message, now);
}

json_t *deploy_calculate_status(json_t *d, json_t *all_rss, json_t *new_rs, int64_t now) {
  int64_t avail = sum(all_rss, "status.availableReplicas", 0);
  int64_t unavail = sum(all_rss, "spec.replicas", 1) - avail;
  if (unavail < 0)
    unavail = 0;
  json_t *st = json_pack("{s:I}", "observedGeneration", (json_int_t)jint(d, "metadata.generation", 0));
  /* omitempty, as Kubernetes serialises DeploymentStatus. */
  struct {
    const char *name;
    int64_t v;
  } f[] = {{"replicas", sum(all_rss, "status.replicas", 0)},
           {"updatedReplicas", new_rs ? jint(new_rs, "status.replicas", 0) : 0},
           {"readyReplicas", sum(all_rss, "status.readyReplicas", 0)},
           {"availableReplicas", avail},
           {"unavailableReplicas", unavail}};
  for (size_t i = 0; i < ELEMENTSOF(f); i++) {
    if (f[i].v)
      json_object_set_new(st, f[i].name, json_integer(f[i].v));
  }
  json_t *cc = jpath(d, "status.collisionCount");
  if (json_is_integer(cc))
    json_object_set(st, "collisionCount", cc);
  json_t *conds = jpath(d, "status.conditions");
  if (json_is_array(conds) && json_array_size(conds))
    json_object_set_new(st, "conditions", json_deep_copy(conds));
  if (avail >= deploy_replicas(d) - deploy_max_unavailable(d))
    deploy_set_condition(st, "Available", "True", "MinimumReplicasAvailable",
                         "Deployment has minimum availability.", now);
  else
    deploy_set_condition(st, "Available", "False", "MinimumReplicasUnavailable",
                         "Deployment does not have minimum availability.", now);
  return st;
}

static bool has_progress_deadline(json_t *d) {
  json_t *p = jpath(d, "spec.progressDeadlineSeconds");
  return json_is_integer(p) && json_integer_value(p) != 2147483647;
}

bool deploy_complete(json_t *d, json_t *status) {
  int64_t r = deploy_replicas(d);
  return jint(status, "updatedReplicas", 0) == r && jint(status, "replicas", 0) == r &&
         jint(status, "availableReplicas", 0) == r &&
         jint(status, "observedGeneration", 0) >= jint(d, "metadata.generation", 0);
}

static bool progressing(json_t *d, json_t *status) {
  json_t *old = jpath(d, "status");
  int64_t old_old = jint(old, "replicas", 0) - jint(old, "updatedReplicas", 0);
  int64_t new_old = jint(status, "replicas", 0) - jint(status, "updatedReplicas", 0);
  return jint(status, "updatedReplicas", 0) > jint(old, "updatedReplicas", 0) || new_old < old_old ||
         jint(status, "readyReplicas", 0) > jint(old, "readyReplicas", 0) ||
         jint(status, "availableReplicas", 0) > jint(old, "availableReplicas", 0);
}

bool deploy_timed_out(json_t *d, json_t *status, int64_t now) {
  if (!has_progress_deadline(d))
    return false;
  json_t *c = ctrl_condition(status, "conditions", "Progressing");
  if (!c)
    return false;
  const char *reason = jstr(c, "reason");
  if (streq_ptr(reason, "NewReplicaSetAvailable"))
    return false;
  if (streq_ptr(reason, "ProgressDeadlineExceeded"))
    return true;
  int64_t from;
  if (ctrl_parse_time(jstr(c, "lastUpdateTime"), &from) < 0)
    return false;
  return from + jint(d, "spec.progressDeadlineSeconds", 600) < now;
}

void deploy_update_progressing(json_t *d, json_t *status, json_t *new_rs, int64_t now) {
  if (!has_progress_deadline(d)) {
    deploy_remove_condition(status, "Progressing");
    return;
  }
  json_t *cur = ctrl_condition(status, "conditions", "Progressing");
  bool done = jint(status, "replicas", 0) == jint(status, "updatedReplicas", 0) && cur &&
              streq_ptr(jstr(cur, "reason"), "NewReplicaSetAvailable");
  if (done)
    return;
  const char *what = new_rs ? "ReplicaSet" : "Deployment";
  const char *name = new_rs ? jstr(new_rs, "metadata.name") : jstr(d, "metadata.name");
  char msg[512];
  if (deploy_complete(d, status)) {
    snprintf(msg, sizeof msg, "%s \"%s\" has successfully progressed.", what, name);
    deploy_set_condition(status, "Progressing", "True", "NewReplicaSetAvailable", msg, now);
  } else if (progressing(d, status)) {
    /* Progress refreshes lastUpdateTime, which the deadline counts from. */
    snprintf(msg, sizeof msg, "%s \"%s\" is progressing.", what, name);
    put_condition(status, "Progressing", "True", "ReplicaSetUpdated", msg, now);
  } else if (deploy_timed_out(d, status, now)) {
    snprintf(msg, sizeof msg, "%s \"%s\" has timed out progressing.", what, name);
    deploy_set_condition(status, "Progressing", "False", "ProgressDeadlineExceeded", msg, now);
  }
}

void deploy_replica_failure(json_t *status, json_t *all_rss, json_t *new_rs, int64_t now) {
  json_t *f = new_rs ? ctrl_condition(new_rs, "status.conditions", "ReplicaFailure") : NULL;
  size_t i;
  json_t *rs;
  json_array_foreach(all_rss, i, rs) {
    if (!f)
      f = ctrl_condition(rs, "status.conditions", "ReplicaFailure");
  }
  if (!f) {
    deploy_remove_condition(status, "ReplicaFailure");
    return;
  }
  deploy_set_condition(status, "ReplicaFailure", jstr(f, "status") ?: "True",
                       jstr(f, "reason") ?: "FailedCreate", jstr(f, "message") ?: "", now);
}
