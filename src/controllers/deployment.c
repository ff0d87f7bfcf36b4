/* The Deployment controller: one ReplicaSet per distinct pod template, named <deployment>-<hash> and
 * labelled pod-template-hash, rolled from old to new by RollingUpdate (within maxSurge / maxUnavailable) or
 * Recreate (old pods gone before new ones start). It keeps the revision annotations that `kubectl rollout
 * history/undo` read (a template that returns to an older ReplicaSet's reuses it with the next revision),
 * scales proportionally when replicas change mid-rollout, honours spec.paused, cleans up old ReplicaSets
 * beyond revisionHistoryLimit and reports status with the Available and Progressing conditions.
 *
 * One sync, as kube-controller-manager's: claim ReplicaSets → paused or scaling event? scale only →
 * otherwise one rollout step (grow the new ReplicaSet, else shrink old ones, else clean up) → status. Each
 * step changes what the informers will show, which queues the next step. */
#include <errno.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "deployment-controller"

typedef struct DeployState {
  CtrlController *c;
  Informer *deps, *rss, *pods;
} DeployState;

/* The working state of one sync. */
typedef struct Sync {
  DeployState *s;
  const char *key;
  json_t *orig; /* the cached deployment (immutable) */
  json_t *d;    /* working copy: revision annotation and status conditions change here */
  json_t *rss;  /* the ReplicaSets the deployment owns, replaced by newer versions as we update them */
  ssize_t new_idx;
  Error *err;
} Sync;

static Client *client(Sync *x) {
  return x->s->c->m->client;
}

static json_t *new_rs(Sync *x) {
  return x->new_idx >= 0 ? json_array_get(x->rss, (size_t)x->new_idx) : NULL;
}

/* The old ReplicaSets (every one but the new), as a new array. */
static json_t *old_rss(Sync *x, bool active_only) {
  json_t *a = json_array();
  size_t i;
  json_t *rs;
  json_array_foreach(x->rss, i, rs) {
    if ((ssize_t)i != x->new_idx && (!active_only || deploy_rs_replicas(rs) > 0))
      json_array_append(a, rs);
  }
  return a;
}

static ssize_t find_rs(Sync *x, const char *name) {
  size_t i;
  json_t *rs;
  json_array_foreach(x->rss, i, rs) {
    if (streq_ptr(jstr(rs, "metadata.name"), name))
      return (ssize_t)i;
  }
  return -1;
}

static json_t *annotations(json_t *obj) {
  return jobj(obj, "metadata.annotations");
}

static bool set_annotation(json_t *obj, const char *k, const char *v) {
  json_t *a = annotations(obj);
  if (streq_ptr(json_string_value(json_object_get(a, k)), v))
    return false;
  json_object_set_new(a, k, json_string(v));
  return true;
}

static bool set_replicas_annotations(json_t *rs, int64_t desired, int64_t max) {
  char a[24], b[24];
  snprintf(a, sizeof a, "%lld", (long long)desired);
  snprintf(b, sizeof b, "%lld", (long long)max);
  bool changed = set_annotation(rs, DEPLOY_DESIRED_REPLICAS_ANN, a);
  return set_annotation(rs, DEPLOY_MAX_REPLICAS_ANN, b) || changed;
}

static bool skipped_annotation(const char *k) {
  return streq(k, "kubectl.kubernetes.io/last-applied-configuration") || streq(k, DEPLOY_REVISION_ANN) ||
         streq(k, DEPLOY_REVISION_HISTORY_ANN) || streq(k, DEPLOY_DESIRED_REPLICAS_ANN) ||
         streq(k, DEPLOY_MAX_REPLICAS_ANN) || streq(k, "deprecated.deployment.rollback.to");
}

/* SetNewReplicaSetAnnotations: the deployment's own annotations (change-cause...), the revision, the
 * revisions this ReplicaSet had before (when rolled back to), and for a new one the replica annotations. */
static bool set_new_rs_annotations(json_t *d, json_t *rs, int64_t new_rev, bool exists) {
  bool changed = false;
  const char *k;
  json_t *v;
  json_object_foreach(jpath(d, "metadata.annotations"), k, v) {
    if (!skipped_annotation(k) && json_is_string(v))
      changed |= set_annotation(rs, k, json_string_value(v));
  }
  const char *old = json_string_value(json_object_get(annotations(rs), DEPLOY_REVISION_ANN));
  int64_t old_rev = old ? strtoll(old, NULL, 10) : 0;
  if (old_rev < new_rev) {
    _cleanup_free_ char *old_copy = old ? xstrdup(old) : NULL;
    char buf[24];
    snprintf(buf, sizeof buf, "%lld", (long long)new_rev);
    set_annotation(rs, DEPLOY_REVISION_ANN, buf);
    changed = true;
    if (old_copy) {
      const char *hist = json_string_value(json_object_get(annotations(rs), DEPLOY_REVISION_HISTORY_ANN));
      _cleanup_free_ char *h = isempty(hist) ? xstrdup(old_copy) : xasprintf("%s,%s", hist, old_copy);
      set_annotation(rs, DEPLOY_REVISION_HISTORY_ANN, h);
    }
  }
  if (!exists) {
    int64_t r = deploy_replicas(d);
    changed |= set_replicas_annotations(rs, r, r + deploy_max_surge(d));
  }
  return changed;
}

static int update_rs(Sync *x, size_t idx, json_t *rs) {
  json_t *updated = NULL;
  int rc = client_update(client(x), ctrl_resource(CTRL_REPLICASETS), NULL, rs, &updated, x->err);
  if (rc < 0)
    return rc;
  json_array_set_new(x->rss, idx, updated);
  return 0;
}

static int scale_rs(Sync *x, size_t idx, int64_t replicas) {
  json_t *cur = json_array_get(x->rss, idx);
  _cleanup_json_ json_t *rs = json_deep_copy(cur);
  int64_t was = deploy_rs_replicas(cur), r = deploy_replicas(x->d);
  bool changed = was != replicas;
  changed |= set_replicas_annotations(rs, r, r + deploy_max_surge(x->d));
  if (!changed)
    return 0;
  jset(rs, "spec.replicas", json_integer(replicas));
  int rc = update_rs(x, idx, rs);
  if (rc >= 0 && was != replicas) {
    log_info(COMPONENT, "msg=\"Scaled %s replica set %s to %lld from %lld\" deployment=%s",
             replicas > was ? "up" : "down", jstr(rs, "metadata.name"), (long long)replicas, (long long)was,
             x->key);
    ctrl_event(x->s->c->m, x->d, "apps/v1", "Deployment", COMPONENT, "Normal", "ScalingReplicaSet",
               "Scaled %s replica set %s to %lld from %lld", replicas > was ? "up" : "down",
               jstr(rs, "metadata.name"), (long long)replicas, (long long)was);
  }
  return rc < 0 ? rc : (was != replicas);
}

static int apply_plan(Sync *x, json_t *plan, bool *ret_scaled) {
  const char *name;
  json_t *v;
  bool scaled = false;
  json_object_foreach(plan, name, v) {
    ssize_t idx = find_rs(x, name);
    if (idx < 0)
      continue;
    int rc = scale_rs(x, (size_t)idx, json_integer_value(v));
    if (rc < 0)
      return rc;
    scaled |= rc > 0;
  }
  if (ret_scaled)
    *ret_scaled = scaled;
  return 0;
}

static bool has_progress_deadline(json_t *d) {
  json_t *p = jpath(d, "spec.progressDeadlineSeconds");
  return json_is_integer(p) && json_integer_value(p) != 2147483647;
}

/* ---- writing the deployment back ---- */

/* Patches the revision annotation if it changed, then PUTs the status if it differs from the cached one. */
static int flush(Sync *x, json_t *status) {
  const char *rev =
      json_string_value(json_object_get(jpath(x->d, "metadata.annotations"), DEPLOY_REVISION_ANN));
  const char *orev =
      json_string_value(json_object_get(jpath(x->orig, "metadata.annotations"), DEPLOY_REVISION_ANN));
  _cleanup_json_ json_t *base = json_incref(x->orig);
  if (rev && !streq_ptr(rev, orev)) {
    _cleanup_json_ json_t *patch =
        json_pack("{s:{s:{s:s}}}", "metadata", "annotations", DEPLOY_REVISION_ANN, rev);
    json_t *patched = NULL;
    int rc = client_patch(client(x), ctrl_resource(CTRL_DEPLOYMENTS), jstr(x->d, "metadata.namespace"),
                          jstr(x->d, "metadata.name"), NULL, CLIENT_PATCH_MERGE, patch, &patched, x->err);
    if (rc < 0)
      return rc;
    json_decref(base);
    base = patched;
    /* Someone changed the spec meanwhile: the status computed from the old one must not be written. */
    if (jint(base, "metadata.generation", 0) != jint(x->orig, "metadata.generation", 0))
      return -ECANCELED;
  }
  if (!status || json_equal(status, jpath(x->orig, "status")))
    return 0;
  return ctrl_update_status(client(x), ctrl_resource(CTRL_DEPLOYMENTS), base, status, x->err);
}

static void requeue_stuck(Sync *x, json_t *status) {
  if (!has_progress_deadline(x->d))
    return;
  json_t *c = ctrl_condition(status, "conditions", "Progressing");
  const char *reason = jstr(c, "reason");
  if (!c || streq_ptr(reason, "NewReplicaSetAvailable") || streq_ptr(reason, "ProgressDeadlineExceeded"))
    return;
  int64_t from;
  if (ctrl_parse_time(jstr(c, "lastUpdateTime"), &from) < 0)
    return;
  int64_t after = from + jint(x->d, "spec.progressDeadlineSeconds", 600) - ctrl_now_sec();
  ctrl_enqueue_after(x->s->c, x->key, (uint64_t)(after < 1 ? 1 : after + 1) * 1000000);
}

static int sync_status(Sync *x, bool rollout) {
  int64_t now = ctrl_now_sec();
  _cleanup_json_ json_t *status = deploy_calculate_status(x->d, x->rss, new_rs(x), now);
  if (rollout) {
    deploy_update_progressing(x->d, status, new_rs(x), now);
    deploy_replica_failure(status, x->rss, new_rs(x), now);
    requeue_stuck(x, status);
  }
  return flush(x, status);
}

/* ---- ReplicaSets ---- */

static int adopt_or_release(Sync *x, json_t *rs, bool adopt, json_t **ret) {
  _cleanup_json_ json_t *patch = NULL;
  if (adopt)
    patch =
        json_pack("{s:{s:[o],s:s}}", "metadata", "ownerReferences",
                  ctrl_new_controller_ref(x->d, "apps/v1", "Deployment"), "uid", jstr(rs, "metadata.uid"));
  else
    patch = json_pack("{s:{s:[{s:s,s:s}],s:s}}", "metadata", "ownerReferences", "$patch", "delete", "uid",
                      jstr(x->d, "metadata.uid"), "uid", jstr(rs, "metadata.uid"));
  int rc = client_patch(client(x), ctrl_resource(CTRL_REPLICASETS), jstr(rs, "metadata.namespace"),
                        jstr(rs, "metadata.name"), NULL, CLIENT_PATCH_STRATEGIC, patch, ret, x->err);
  return rc == -ENOENT ? 0 : rc;
}

static int claim_rss(Sync *x, LabelSelector *sel) {
  _cleanup_json_ json_t *all = informer_list_namespace(x->s->rss, jstr(x->d, "metadata.namespace"));
  const char *uid = jstr(x->d, "metadata.uid");
  bool deleting = ctrl_is_deleting(x->d);
  size_t i;
  json_t *rs;
  json_array_foreach(all, i, rs) {
    json_t *ref = ctrl_controller_ref(rs);
    bool match = label_selector_matches(sel, jpath(rs, "metadata.labels"));
    if (ref) {
      if (!streq_ptr(jstr(ref, "uid"), uid))
        continue;
      if (match) {
        json_array_append(x->rss, rs);
      } else if (!deleting) {
        int rc = adopt_or_release(x, rs, false, NULL);
        if (rc < 0)
          return rc;
      }
      continue;
    }
    if (deleting || !match || ctrl_is_deleting(rs))
      continue;
    json_t *adopted = NULL;
    int rc = adopt_or_release(x, rs, true, &adopted);
    if (rc < 0)
      return rc;
    if (adopted)
      json_array_append_new(x->rss, adopted);
  }
  return 0;
}

static int cmp_created(const void *pa, const void *pb) {
  json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
  int64_t ta = 0, tb = 0;
  ctrl_parse_time(jstr(a, "metadata.creationTimestamp"), &ta);
  ctrl_parse_time(jstr(b, "metadata.creationTimestamp"), &tb);
  if (ta != tb)
    return ta < tb ? -1 : 1;
  return strcmp(jstr(a, "metadata.name") ?: "", jstr(b, "metadata.name") ?: "");
}

/* Creates the new ReplicaSet for the current template. */
static int create_new_rs(Sync *x, int64_t new_rev) {
  json_t *d = x->d;
  json_t *cc = jpath(d, "status.collisionCount");
  char hash[16];
  deploy_template_hash(jpath(d, "spec.template"), json_is_integer(cc) ? json_integer_value(cc) : -1, hash);
  json_t *tmpl = json_deep_copy(jpath(d, "spec.template"));
  jset(tmpl, "metadata.labels." DEPLOY_HASH_LABEL, json_string(hash));
  json_t *sel = json_deep_copy(jpath(d, "spec.selector"));
  jset(sel, "matchLabels." DEPLOY_HASH_LABEL, json_string(hash));
  _cleanup_free_ char *name = xasprintf("%s-%s", jstr(d, "metadata.name"), hash);
  _cleanup_json_ json_t *rs =
      json_pack("{s:s,s:s,s:{s:s,s:s,s:O,s:[o]},s:{s:i,s:I,s:o,s:o}}", "apiVersion", "apps/v1", "kind",
                "ReplicaSet", "metadata", "name", name, "namespace", jstr(d, "metadata.namespace"), "labels",
                jpath(tmpl, "metadata.labels"), "ownerReferences",
                ctrl_new_controller_ref(d, "apps/v1", "Deployment"), "spec", "replicas", 0, "minReadySeconds",
                (json_int_t)jint(d, "spec.minReadySeconds", 0), "selector", sel, "template", tmpl);
  _cleanup_json_ json_t *all = json_copy(x->rss);
  json_array_append(all, rs);
  jset(rs, "spec.replicas", json_integer(deploy_new_rs_new_replicas(d, all, rs)));
  set_new_rs_annotations(d, rs, new_rev, false);

  json_t *created = NULL;
  Error e = ERROR_INIT;
  int rc = client_create(client(x), ctrl_resource(CTRL_REPLICASETS), NULL, rs, &created, &e);
  if (rc == -EEXIST) {
    error_reset(&e);
    /* Ours already (a create whose answer we missed)? Otherwise a hash collision: bump collisionCount. */
    _cleanup_json_ json_t *existing = NULL;
    rc = client_get(client(x), ctrl_resource(CTRL_REPLICASETS), jstr(d, "metadata.namespace"), name,
                    &existing, x->err);
    if (rc < 0)
      return rc;
    if (ctrl_is_controlled_by(existing, d) &&
        deploy_templates_equal(jpath(existing, "spec.template"), jpath(d, "spec.template"))) {
      json_array_append(x->rss, existing);
      x->new_idx = (ssize_t)json_array_size(x->rss) - 1;
      return 0;
    }
    _cleanup_json_ json_t *status = json_deep_copy(jpath(x->orig, "status"));
    if (!json_is_object(status)) {
      json_decref(status);
      status = json_object();
    }
    json_object_set_new(status, "collisionCount",
                        json_integer((json_is_integer(cc) ? json_integer_value(cc) : 0) + 1));
    log_info(COMPONENT, "msg=\"hash collision\" deployment=%s replicaset=%s", x->key, name);
    rc = flush(x, status);
    return rc < 0 ? rc : error_set(x->err, -EAGAIN, NULL, "replica set name %s collides; retrying", name);
  }
  if (rc < 0) {
    error_reset(x->err);
    if (x->err)
      *x->err = e;
    else
      error_reset(&e);
    return rc;
  }
  log_info(COMPONENT, "msg=\"Scaled up replica set %s to %lld\" deployment=%s", name,
           (long long)deploy_rs_replicas(created), x->key);
  if (deploy_rs_replicas(created) > 0)
    ctrl_event(x->s->c->m, d, "apps/v1", "Deployment", COMPONENT, "Normal", "ScalingReplicaSet",
               "Scaled up replica set %s to %lld", name, (long long)deploy_rs_replicas(created));
  json_array_append_new(x->rss, created);
  x->new_idx = (ssize_t)json_array_size(x->rss) - 1;
  if (has_progress_deadline(d)) {
    char msg[512];
    snprintf(msg, sizeof msg, "Created new replica set \"%s\"", name);
    deploy_set_condition(jobj(d, "status"), "Progressing", "True", "NewReplicaSetCreated", msg,
                         ctrl_now_sec());
  }
  return 0;
}

/* getAllReplicaSetsAndSyncRevision: finds the ReplicaSet of the current template, brings its revision (and
 * the deployment's) up to date, and creates it when asked and missing. */
static int sync_revision(Sync *x, bool create) {
  json_t *d = x->d;
  size_t n = json_array_size(x->rss);
  json_t **v = xcalloc(n ? n : 1, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_array_get(x->rss, i);
  qsort(v, n, sizeof *v, cmp_created);
  json_t *found = NULL;
  for (size_t i = 0; i < n && !found; i++) {
    if (deploy_templates_equal(jpath(v[i], "spec.template"), jpath(d, "spec.template")))
      found = v[i];
  }
  free(v);
  x->new_idx = -1;
  int64_t max_old = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *rs = json_array_get(x->rss, i);
    if (rs == found)
      x->new_idx = (ssize_t)i;
    else if (deploy_revision(rs) > max_old)
      max_old = deploy_revision(rs);
  }
  int64_t new_rev = max_old + 1;
  if (x->new_idx >= 0) {
    _cleanup_json_ json_t *rs = json_deep_copy(found);
    bool changed = set_new_rs_annotations(d, rs, new_rev, true);
    if (jint(rs, "spec.minReadySeconds", 0) != jint(d, "spec.minReadySeconds", 0)) {
      jset(rs, "spec.minReadySeconds", json_integer(jint(d, "spec.minReadySeconds", 0)));
      changed = true;
    }
    if (changed) {
      int rc = update_rs(x, (size_t)x->new_idx, rs);
      if (rc < 0)
        return rc;
    }
    if (has_progress_deadline(d) && !ctrl_condition(d, "status.conditions", "Progressing")) {
      char msg[512];
      snprintf(msg, sizeof msg, "Found new replica set \"%s\"", jstr(found, "metadata.name"));
      deploy_set_condition(jobj(d, "status"), "Progressing", "True", "FoundNewReplicaSet", msg,
                           ctrl_now_sec());
    }
  } else if (create) {
    int rc = create_new_rs(x, new_rev);
    if (rc < 0)
      return rc;
  } else {
    return 0;
  }
  const char *rev =
      json_string_value(json_object_get(jpath(new_rs(x), "metadata.annotations"), DEPLOY_REVISION_ANN));
  if (rev)
    set_annotation(d, DEPLOY_REVISION_ANN, rev);
  return 0;
}

/* cleanupDeployment: deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit. */
static int cleanup(Sync *x) {
  json_t *lim = jpath(x->d, "spec.revisionHistoryLimit");
  if (!json_is_integer(lim))
    return 0;
  _cleanup_json_ json_t *old = old_rss(x, false);
  _cleanup_json_ json_t *alive = json_array();
  size_t i;
  json_t *rs;
  json_array_foreach(old, i, rs) {
    if (!ctrl_is_deleting(rs))
      json_array_append(alive, rs);
  }
  int64_t diff = (int64_t)json_array_size(alive) - json_integer_value(lim);
  if (diff <= 0)
    return 0;
  /* Oldest revision first. */
  size_t n = json_array_size(alive);
  for (size_t a = 1; a < n; a++) {
    for (size_t b = a; b > 0; b--) {
      json_t *p = json_array_get(alive, b - 1), *q = json_array_get(alive, b);
      if (deploy_revision(p) <= deploy_revision(q))
        break;
      json_incref(p);
      json_array_set(alive, b - 1, q);
      json_array_set_new(alive, b, p);
    }
  }
  for (int64_t k = 0; k < diff; k++) {
    rs = json_array_get(alive, (size_t)k);
    if (jint(rs, "status.replicas", 0) != 0 || deploy_rs_replicas(rs) != 0 ||
        jint(rs, "metadata.generation", 0) > jint(rs, "status.observedGeneration", 0))
      continue;
    ClientDeleteOptions o = {.propagation_policy = "Background",
                             .precondition_uid = jstr(rs, "metadata.uid")};
    int rc = client_delete(client(x), ctrl_resource(CTRL_REPLICASETS), jstr(rs, "metadata.namespace"),
                           jstr(rs, "metadata.name"), &o, NULL, x->err);
    if (rc < 0 && rc != -ENOENT)
      return rc;
    error_reset(x->err);
    log_info(COMPONENT, "msg=\"cleaned up old replica set\" deployment=%s replicaset=%s", x->key,
             jstr(rs, "metadata.name"));
  }
  return 0;
}

/* ---- the sync paths ---- */

/* Scaling only (paused, or replicas changed): proportional scaling, no new ReplicaSet. */
static int sync_scale(Sync *x) {
  int rc = sync_revision(x, false);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *old = old_rss(x, false);
  _cleanup_json_ json_t *plan = deploy_plan_proportional(x->d, new_rs(x), old);
  rc = apply_plan(x, plan, NULL);
  if (rc < 0)
    return rc;
  if (json_is_true(jpath(x->d, "spec.paused"))) {
    rc = cleanup(x);
    if (rc < 0)
      return rc;
  }
  return sync_status(x, false);
}

static bool is_scaling_event(Sync *x) {
  size_t i;
  json_t *rs;
  json_array_foreach(x->rss, i, rs) {
    if (deploy_rs_replicas(rs) <= 0)
      continue;
    const char *v =
        json_string_value(json_object_get(jpath(rs, "metadata.annotations"), DEPLOY_DESIRED_REPLICAS_ANN));
    if (v && strtoll(v, NULL, 10) != deploy_replicas(x->d))
      return true;
  }
  return false;
}

static int rollout_rolling(Sync *x) {
  int rc = sync_revision(x, true);
  if (rc < 0)
    return rc;
  int64_t replicas = deploy_replicas(x->d);
  json_t *nrs = new_rs(x);
  if (nrs && deploy_rs_replicas(nrs) != replicas) {
    int64_t target =
        deploy_rs_replicas(nrs) > replicas ? replicas : deploy_new_rs_new_replicas(x->d, x->rss, nrs);
    rc = scale_rs(x, (size_t)x->new_idx, target);
    if (rc < 0)
      return rc;
    if (rc > 0)
      return sync_status(x, true);
  }
  _cleanup_json_ json_t *active_old = old_rss(x, true);
  _cleanup_json_ json_t *plan = deploy_plan_scale_down_old(x->d, x->rss, active_old, new_rs(x));
  bool scaled = false;
  rc = apply_plan(x, plan, &scaled);
  if (rc < 0)
    return rc;
  if (scaled)
    return sync_status(x, true);
  if (deploy_complete(x->d, jpath(x->d, "status"))) {
    rc = cleanup(x);
    if (rc < 0)
      return rc;
  }
  return sync_status(x, true);
}

/* True while pods of old ReplicaSets may still run (Recreate waits for them). */
static bool old_pods_running(Sync *x) {
  _cleanup_json_ json_t *old = old_rss(x, false);
  size_t i;
  json_t *rs;
  json_array_foreach(old, i, rs) {
    if (jint(rs, "status.replicas", 0) > 0)
      return true;
  }
  _cleanup_json_ json_t *pods = informer_list_namespace(x->s->pods, jstr(x->d, "metadata.namespace"));
  json_t *p;
  json_array_foreach(pods, i, p) {
    json_t *ref = ctrl_controller_ref(p);
    if (!ref)
      continue;
    const char *phase = jstr(p, "status.phase");
    if (streq_ptr(phase, "Succeeded") || streq_ptr(phase, "Failed"))
      continue;
    size_t k;
    json_array_foreach(old, k, rs) {
      if (streq_ptr(jstr(ref, "uid"), jstr(rs, "metadata.uid")))
        return true;
    }
  }
  return false;
}

static int rollout_recreate(Sync *x) {
  int rc = sync_revision(x, false);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *active_old = old_rss(x, true);
  bool scaled = false;
  size_t i;
  json_t *rs;
  json_array_foreach(active_old, i, rs) {
    rc = scale_rs(x, (size_t)find_rs(x, jstr(rs, "metadata.name")), 0);
    if (rc < 0)
      return rc;
    scaled |= rc > 0;
  }
  if (scaled || old_pods_running(x))
    return sync_status(x, true);
  if (x->new_idx < 0) {
    rc = sync_revision(x, true);
    if (rc < 0)
      return rc;
  }
  rc = scale_rs(x, (size_t)x->new_idx, deploy_replicas(x->d));
  if (rc < 0)
    return rc;
  if (deploy_complete(x->d, jpath(x->d, "status"))) {
    rc = cleanup(x);
    if (rc < 0)
      return rc;
  }
  return sync_status(x, true);
}

/* checkPausedConditions: Progressing becomes Unknown/DeploymentPaused, then DeploymentResumed. */
static void paused_conditions(Sync *x) {
  if (!has_progress_deadline(x->d))
    return;
  json_t *status = jobj(x->d, "status");
  json_t *c = ctrl_condition(status, "conditions", "Progressing");
  if (c && streq_ptr(jstr(c, "reason"), "ProgressDeadlineExceeded"))
    return;
  bool paused_cond = c && streq_ptr(jstr(c, "reason"), "DeploymentPaused");
  bool paused = json_is_true(jpath(x->d, "spec.paused"));
  if (paused && !paused_cond)
    deploy_set_condition(status, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused",
                         ctrl_now_sec());
  else if (!paused && paused_cond)
    deploy_set_condition(status, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed",
                         ctrl_now_sec());
}

static int deploy_sync(CtrlController *c, const char *key, Error *err) {
  DeployState *s = c->state;
  _cleanup_json_ json_t *orig = informer_get(s->deps, key);
  if (!orig)
    return 0;
  _cleanup_json_ json_t *d = json_deep_copy(orig);
  _cleanup_json_ json_t *rss = json_array();
  Sync x = {.s = s, .key = key, .orig = orig, .d = d, .rss = rss, .new_idx = -1, .err = err};
  _cleanup_label_selector_ LabelSelector *sel = ctrl_selector(d, "spec.selector");
  if (!sel || label_selector_is_empty(sel)) {
    log_warn(COMPONENT, "msg=\"This deployment will select all pods; refusing\" deployment=%s", key);
    return 0;
  }
  int rc = claim_rss(&x, sel);
  if (rc < 0)
    return rc;
  if (ctrl_is_deleting(d)) {
    rc = sync_revision(&x, false);
    return rc < 0 ? rc : sync_status(&x, false);
  }
  paused_conditions(&x);
  if (json_is_true(jpath(d, "spec.paused")))
    return sync_scale(&x);
  rc = sync_revision(&x, false);
  if (rc < 0)
    return rc;
  if (is_scaling_event(&x))
    return sync_scale(&x);
  if (streq_ptr(jstr(d, "spec.strategy.type"), "Recreate"))
    return rollout_recreate(&x);
  return rollout_rolling(&x);
}

/* ---- handlers ---- */

/* The key of the Deployment controlling obj, if cached with the same uid. */
static char *controlling_deploy(DeployState *s, json_t *obj) {
  json_t *ref = ctrl_controller_ref(obj);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "Deployment"))
    return NULL;
  _cleanup_json_ json_t *d =
      informer_get_by_name(s->deps, jstr(obj, "metadata.namespace"), jstr(ref, "name"));
  if (!d || !streq_ptr(jstr(d, "metadata.uid"), jstr(ref, "uid")))
    return NULL;
  return informer_key(d);
}

static void enqueue_matching(DeployState *s, json_t *rs) {
  _cleanup_json_ json_t *deps = informer_list_namespace(s->deps, jstr(rs, "metadata.namespace"));
  size_t i;
  json_t *d;
  json_array_foreach(deps, i, d) {
    LabelSelector *sel = ctrl_selector(d, "spec.selector");
    if (sel && !label_selector_is_empty(sel) && label_selector_matches(sel, jpath(rs, "metadata.labels")))
      ctrl_enqueue_obj(s->c, d);
    label_selector_free(sel);
  }
}

static void on_dep(json_t *d, void *ud) {
  DeployState *s = ud;
  ctrl_enqueue_obj(s->c, d);
}
static void on_dep_update(json_t *o, json_t *d, void *ud) {
  on_dep(d, ud);
}

static void on_rs_add(json_t *rs, void *ud) {
  DeployState *s = ud;
  _cleanup_free_ char *key = controlling_deploy(s, rs);
  if (key)
    ctrl_enqueue(s->c, key);
  else if (!ctrl_controller_ref(rs))
    enqueue_matching(s, rs);
}

static void on_rs_update(json_t *old, json_t *rs, void *ud) {
  DeployState *s = ud;
  json_t *oref = ctrl_controller_ref(old), *nref = ctrl_controller_ref(rs);
  if (oref && (!nref || !streq_ptr(jstr(oref, "uid"), jstr(nref, "uid")))) {
    _cleanup_free_ char *okey = controlling_deploy(s, old);
    ctrl_enqueue(s->c, okey);
  }
  on_rs_add(rs, ud);
}

static void on_rs_delete(json_t *rs, void *ud) {
  DeployState *s = ud;
  _cleanup_free_ char *key = controlling_deploy(s, rs);
  ctrl_enqueue(s->c, key);
}

/* Recreate waits for the old pods to be gone: their deletion is what lets it continue. */
static void on_pod_delete(json_t *pod, void *ud) {
  DeployState *s = ud;
  json_t *ref = ctrl_controller_ref(pod);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "ReplicaSet"))
    return;
  _cleanup_json_ json_t *rs =
      informer_get_by_name(s->rss, jstr(pod, "metadata.namespace"), jstr(ref, "name"));
  if (!rs)
    return;
  _cleanup_free_ char *key = controlling_deploy(s, rs);
  if (!key)
    return;
  _cleanup_json_ json_t *d = informer_get(s->deps, key);
  if (streq_ptr(jstr(d, "spec.strategy.type"), "Recreate"))
    ctrl_enqueue(s->c, key);
}

int deploy_controller_setup(CtrlManager *m, Error *err) {
  DeployState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "deployment", deploy_sync, s, free);
  s->deps = ctrl_informer(m, CTRL_DEPLOYMENTS);
  s->rss = ctrl_informer(m, CTRL_REPLICASETS);
  s->pods = ctrl_informer(m, CTRL_PODS);
  informer_add_handlers(
      s->deps,
      &(InformerHandlers){.on_add = on_dep, .on_update = on_dep_update, .on_delete = on_dep, .userdata = s});
  informer_add_handlers(
      s->rss, &(InformerHandlers){
                  .on_add = on_rs_add, .on_update = on_rs_update, .on_delete = on_rs_delete, .userdata = s});
  informer_add_handlers(s->pods, &(InformerHandlers){.on_delete = on_pod_delete, .userdata = s});
  return 0;
}
