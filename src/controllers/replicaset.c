/* The ReplicaSet controller: keeps spec.replicas active pods carrying the ReplicaSet's controller reference.
 * It adopts orphan pods its selector matches and releases owned pods it no longer matches, creates missing
 * pods from the template (slow start: batches of 1, 2, 4... so that a failing create costs one request, not
 * hundreds; the creations of one batch run in parallel, as kube-controller-manager's slowStartBatch does, so
 * that they share the store's group commits), deletes the least valuable extra pods first, and reports
 * replicas / fullyLabeledReplicas / readyReplicas / availableReplicas / observedGeneration through the status
 * subresource.
 *
 * Expectations: after creating or deleting pods, the controller does not act on that ReplicaSet again until
 * the informer has shown it every pod it created and every deletion it asked for (or five minutes passed),
 * so a slow watch cannot make it create twice. */
#include <errno.h>
#include <stdatomic.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "replicaset-controller"
#define RS_BURST_REPLICAS 500 /* kube-controller-manager's burstReplicas: creations/deletions per sync */
#define RS_CREATE_THREADS 16  /* parallel creations within one slow-start batch */

typedef struct RsState {
  CtrlController *c;
  Informer *pods, *rss;
  CtrlExpectations exp;
} RsState;

/* ---- victim ordering ---- */

typedef struct PodRank {
  json_t *pod;
  bool assigned, ready;
  int phase;
  int64_t cost, colocated, ready_since, restarts, created;
} PodRank;

static int phase_ordinal(const char *phase) {
  if (streq_ptr(phase, "Unknown"))
    return 1;
  if (streq_ptr(phase, "Running"))
    return 2;
  return 0; /* Pending (and anything unexpected) goes first */
}

static int cmp_rank(const void *pa, const void *pb) {
  const PodRank *a = pa, *b = pb;
  if (a->assigned != b->assigned)
    return a->assigned ? 1 : -1;
  if (a->phase != b->phase)
    return a->phase < b->phase ? -1 : 1;
  if (a->ready != b->ready)
    return a->ready ? 1 : -1;
  if (a->cost != b->cost)
    return a->cost < b->cost ? -1 : 1;
  if (a->colocated != b->colocated)
    return a->colocated > b->colocated ? -1 : 1;
  if (a->ready && b->ready && a->ready_since != b->ready_since)
    return a->ready_since > b->ready_since ? -1 : 1; /* ready for less time goes first */
  if (a->restarts != b->restarts)
    return a->restarts > b->restarts ? -1 : 1;
  if (a->created != b->created)
    return a->created > b->created ? -1 : 1;
  return strcmp(jstr(a->pod, "metadata.name") ?: "", jstr(b->pod, "metadata.name") ?: "");
}

void rs_sort_victims(json_t *pods, int64_t now) {
  size_t n = json_array_size(pods);
  if (n < 2)
    return;
  PodRank *r = xcalloc(n, sizeof *r);
  json_t *per_node = json_object(); /* node → pods of this set on it: spread survivors across nodes */
  for (size_t i = 0; i < n; i++) {
    json_t *p = json_array_get(pods, i);
    const char *node = jstr(p, "spec.nodeName");
    if (!isempty(node))
      json_object_set_new(per_node, node, json_integer(jint(per_node, node, 0) + 1));
  }
  for (size_t i = 0; i < n; i++) {
    json_t *p = json_array_get(pods, i);
    PodRank *x = &r[i];
    x->pod = json_incref(p);
    const char *node = jstr(p, "spec.nodeName");
    x->assigned = !isempty(node);
    x->colocated = x->assigned ? json_integer_value(json_object_get(per_node, node)) : 0;
    x->phase = phase_ordinal(jstr(p, "status.phase"));
    x->ready = ctrl_pod_is_ready(p);
    /* Looked up directly: the annotation's name has dots, which jpath would split. */
    json_t *ann = jpath(p, "metadata.annotations");
    const char *cost = json_string_value(json_object_get(ann, "controller.kubernetes.io/pod-deletion-cost"));
    x->cost = cost ? strtoll(cost, NULL, 10) : 0;
    json_t *rc = ctrl_condition(p, "status.conditions", "Ready");
    if (ctrl_parse_time(jstr(rc, "lastTransitionTime"), &x->ready_since) < 0)
      x->ready_since = now;
    x->restarts = ctrl_pod_restarts(p);
    if (ctrl_parse_time(jstr(p, "metadata.creationTimestamp"), &x->created) < 0)
      x->created = now;
  }
  qsort(r, n, sizeof *r, cmp_rank);
  json_array_clear(pods);
  for (size_t i = 0; i < n; i++)
    json_array_append_new(pods, r[i].pod);
  free(r);
  json_decref(per_node);
}

/* ---- status and pods ---- */

json_t *rs_calculate_status(json_t *rs, json_t *pods, int64_t now) {
  int64_t min_ready = jint(rs, "spec.minReadySeconds", 0);
  json_t *tmpl_labels = jpath(rs, "spec.template.metadata.labels");
  int64_t full = 0, ready = 0, avail = 0;
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    json_t *labels = jpath(p, "metadata.labels");
    bool all = true;
    const char *k;
    json_t *v;
    json_object_foreach(tmpl_labels, k, v) {
      if (!json_equal(json_object_get(labels, k), v)) {
        all = false;
        break;
      }
    }
    full += all;
    if (ctrl_pod_is_ready(p)) {
      ready++;
      avail += ctrl_pod_is_available(p, min_ready, now);
    }
  }
  /* Zero counts are left out as Kubernetes' omitempty does, except replicas. */
  json_t *st = json_pack("{s:I}", "replicas", (json_int_t)json_array_size(pods));
  if (full)
    json_object_set_new(st, "fullyLabeledReplicas", json_integer(full));
  if (ready)
    json_object_set_new(st, "readyReplicas", json_integer(ready));
  if (avail)
    json_object_set_new(st, "availableReplicas", json_integer(avail));
  json_object_set_new(st, "observedGeneration", json_integer(jint(rs, "metadata.generation", 0)));
  json_t *conds = jpath(rs, "status.conditions");
  if (json_array_size(conds))
    json_object_set(st, "conditions", conds);
  return st;
}

json_t *rs_new_pod(json_t *rs) {
  json_t *tmpl = jpath(rs, "spec.template");
  json_t *meta = json_object();
  _cleanup_free_ char *gen = xasprintf("%s-", jstr(rs, "metadata.name"));
  json_object_set_new(meta, "generateName", json_string(gen));
  json_object_set_new(meta, "namespace", json_string(jstr(rs, "metadata.namespace")));
  json_t *labels = jpath(tmpl, "metadata.labels"), *ann = jpath(tmpl, "metadata.annotations");
  if (json_is_object(labels))
    json_object_set_new(meta, "labels", json_deep_copy(labels));
  if (json_is_object(ann))
    json_object_set_new(meta, "annotations", json_deep_copy(ann));
  json_object_set_new(meta, "ownerReferences",
                      json_pack("[o]", ctrl_new_controller_ref(rs, "apps/v1", "ReplicaSet")));
  json_t *spec = jpath(tmpl, "spec");
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec",
                   json_is_object(spec) ? json_deep_copy(spec) : json_object());
}

void rs_set_failure(json_t *status, int manage_rc, int64_t diff, const char *message, int64_t now) {
  json_t *conds = json_object_get(status, "conditions");
  bool has = ctrl_condition(status, "conditions", "ReplicaFailure") != NULL;
  /* Conflicts and a vanished namespace object are not failures a user should see. */
  bool failed = manage_rc < 0 && manage_rc != -ECANCELED && manage_rc != -ENOENT;
  if (failed && !has) {
    char ts[32];
    ctrl_format_time(now, ts);
    if (!json_is_array(conds)) {
      conds = json_array();
      json_object_set_new(status, "conditions", conds);
    } else {
      conds = json_deep_copy(conds); /* it may be shared with the cached object */
      json_object_set_new(status, "conditions", conds);
    }
    json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", "ReplicaFailure", "status",
                                           "True", "lastTransitionTime", ts, "reason",
                                           diff < 0 ? "FailedCreate" : "FailedDelete", "message", message));
  } else if (manage_rc >= 0 && has) {
    json_t *kept = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c) {
      if (!streq_ptr(jstr(c, "type"), "ReplicaFailure"))
        json_array_append(kept, c);
    }
    if (json_array_size(kept))
      json_object_set_new(status, "conditions", kept);
    else {
      json_decref(kept);
      json_object_del(status, "conditions");
    }
  }
}

/* ---- informer handlers ---- */

/* The key of the ReplicaSet that controls pod, if that ReplicaSet is in the cache with the same uid. */
static char *controlling_rs(RsState *s, json_t *pod) {
  json_t *ref = ctrl_controller_ref(pod);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "ReplicaSet") || !streq_ptr(jstr(ref, "apiVersion"), "apps/v1"))
    return NULL;
  _cleanup_json_ json_t *rs =
      informer_get_by_name(s->rss, jstr(pod, "metadata.namespace"), jstr(ref, "name"));
  if (!rs || !streq_ptr(jstr(rs, "metadata.uid"), jstr(ref, "uid")))
    return NULL;
  return informer_key(rs);
}

/* An orphan may be adopted by any ReplicaSet whose selector matches it. */
static void enqueue_matching(RsState *s, json_t *pod) {
  _cleanup_json_ json_t *rss = informer_list_namespace(s->rss, jstr(pod, "metadata.namespace"));
  size_t i;
  json_t *rs;
  json_array_foreach(rss, i, rs) {
    LabelSelector *sel = ctrl_selector(rs, "spec.selector");
    if (sel && !label_selector_is_empty(sel) && label_selector_matches(sel, jpath(pod, "metadata.labels")))
      ctrl_enqueue_obj(s->c, rs);
    label_selector_free(sel);
  }
}

static void on_pod_delete(json_t *pod, void *ud) {
  RsState *s = ud;
  _cleanup_free_ char *key = controlling_rs(s, pod);
  if (!key)
    return;
  ctrl_expectations_deletion_observed(&s->exp, key, jstr(pod, "metadata.uid"));
  ctrl_enqueue(s->c, key);
}

static void on_pod_add(json_t *pod, void *ud) {
  RsState *s = ud;
  if (ctrl_is_deleting(pod)) {
    on_pod_delete(pod, ud);
    return;
  }
  _cleanup_free_ char *key = controlling_rs(s, pod);
  if (key) {
    ctrl_expectations_creation_observed(&s->exp, key);
    ctrl_enqueue(s->c, key);
  } else if (!ctrl_controller_ref(pod)) {
    enqueue_matching(s, pod);
  }
}

static void on_pod_update(json_t *old_pod, json_t *pod, void *ud) {
  RsState *s = ud;
  if (streq_ptr(jstr(old_pod, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return; /* resync: the ReplicaSets' own resync covers it */
  if (ctrl_is_deleting(pod) && !ctrl_is_deleting(old_pod)) {
    /* Graceful deletion: the pod is as good as gone for counting. */
    on_pod_delete(pod, ud);
  }
  bool labels_changed = !json_equal(jpath(old_pod, "metadata.labels"), jpath(pod, "metadata.labels"));
  json_t *oref = ctrl_controller_ref(old_pod), *nref = ctrl_controller_ref(pod);
  if (oref && (!nref || !streq_ptr(jstr(oref, "uid"), jstr(nref, "uid")))) {
    _cleanup_free_ char *okey = controlling_rs(s, old_pod);
    ctrl_enqueue(s->c, okey);
  }
  _cleanup_free_ char *key = controlling_rs(s, pod);
  if (key) {
    ctrl_enqueue(s->c, key);
    /* Once ready, a pod becomes available minReadySeconds later: look again then. */
    _cleanup_json_ json_t *rs = informer_get(s->rss, key);
    int64_t mrs = jint(rs, "spec.minReadySeconds", 0);
    if (mrs > 0 && !ctrl_pod_is_ready(old_pod) && ctrl_pod_is_ready(pod))
      ctrl_enqueue_after(s->c, key, (uint64_t)(mrs + 1) * 1000000);
  } else if (!nref && (labels_changed || oref)) {
    enqueue_matching(s, pod);
  }
}

static void on_rs_add(json_t *rs, void *ud) {
  RsState *s = ud;
  ctrl_enqueue_obj(s->c, rs);
}
static void on_rs_update(json_t *o, json_t *rs, void *ud) {
  on_rs_add(rs, ud);
}
static void on_rs_delete(json_t *rs, void *ud) {
  RsState *s = ud;
  _cleanup_free_ char *key = informer_key(rs);
  if (key)
    ctrl_expectations_delete(&s->exp, key);
}

/* ---- sync ---- */

static int adopt_or_release(RsState *s, json_t *rs, json_t *pod, bool adopt, json_t **ret, Error *err) {
  const ApiResource *pr = ctrl_resource(CTRL_PODS);
  _cleanup_json_ json_t *patch = NULL;
  if (adopt)
    patch = json_pack("{s:{s:[o],s:s}}", "metadata", "ownerReferences",
                      ctrl_new_controller_ref(rs, "apps/v1", "ReplicaSet"), "uid", jstr(pod, "metadata.uid"));
  else
    patch = json_pack("{s:{s:[{s:s,s:s}],s:s}}", "metadata", "ownerReferences", "$patch", "delete", "uid",
                      jstr(rs, "metadata.uid"), "uid", jstr(pod, "metadata.uid"));
  int rc = client_patch(s->c->m->client, pr, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"),
                        NULL, CLIENT_PATCH_STRATEGIC, patch, ret, err);
  if (rc == -ENOENT)
    return 0; /* gone meanwhile */
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"%s pod\" replicaset=%s/%s pod=%s", adopt ? "adopted" : "released",
             jstr(rs, "metadata.namespace"), jstr(rs, "metadata.name"), jstr(pod, "metadata.name"));
  return rc;
}

/* Active pods controlled by rs after adoption and release (claimPods). New array. */
static int claim_pods(RsState *s, json_t *rs, LabelSelector *sel, json_t **ret, Error *err) {
  _cleanup_json_ json_t *all = informer_list_namespace(s->pods, jstr(rs, "metadata.namespace"));
  json_t *mine = json_array();
  const char *uid = jstr(rs, "metadata.uid");
  bool rs_deleting = ctrl_is_deleting(rs);
  size_t i;
  json_t *p;
  int rc = 0;
  json_array_foreach(all, i, p) {
    if (!ctrl_pod_is_active(p))
      continue;
    json_t *ref = ctrl_controller_ref(p);
    bool match = label_selector_matches(sel, jpath(p, "metadata.labels"));
    if (ref) {
      if (!streq_ptr(jstr(ref, "uid"), uid))
        continue;
      if (match) {
        json_array_append(mine, p);
      } else if (!rs_deleting) {
        rc = adopt_or_release(s, rs, p, false, NULL, err);
        if (rc < 0)
          break;
      }
      continue;
    }
    if (rs_deleting || !match)
      continue;
    json_t *adopted = NULL;
    rc = adopt_or_release(s, rs, p, true, &adopted, err);
    if (rc < 0)
      break;
    if (adopted)
      json_array_append_new(mine, adopted);
  }
  if (rc < 0) {
    json_decref(mine);
    return rc;
  }
  *ret = mine;
  return 0;
}

/* One slow-start batch: todo creations of the same pod template, shared by up to RS_CREATE_THREADS
 * threads (the template is only read). lock guards failed, first_rc and first_err. */
typedef struct CreateBatch {
  RsState *s;
  json_t *rs, *pod;
  const char *ns;
  int64_t todo;
  atomic_int_fast64_t next;
  pthread_mutex_t lock;
  int failed, first_rc;
  Error first_err;
} CreateBatch;

static void *create_batch_worker(void *arg) {
  CreateBatch *b = arg;
  Client *c = b->s->c->m->client;
  while (atomic_fetch_add(&b->next, 1) < b->todo) {
    Error e = ERROR_INIT;
    _cleanup_json_ json_t *created = NULL;
    int rc = client_create(c, ctrl_resource(CTRL_PODS), b->ns, b->pod, &created, &e);
    if (rc >= 0) {
      ctrl_event(b->s->c->m, b->rs, "apps/v1", "ReplicaSet", COMPONENT, "Normal", "SuccessfulCreate",
                 "Created pod: %s", jstr(created, "metadata.name"));
      continue;
    }
    ctrl_event(b->s->c->m, b->rs, "apps/v1", "ReplicaSet", COMPONENT, "Warning", "FailedCreate",
               "Error creating: %s", e.message ?: strerror(-rc));
    pthread_mutex_lock(&b->lock);
    b->failed++;
    if (!b->first_rc) {
      b->first_rc = rc;
      b->first_err = e;
    } else {
      error_reset(&e);
    }
    pthread_mutex_unlock(&b->lock);
  }
  return NULL;
}

static int create_pods(RsState *s, json_t *rs, const char *key, int64_t n, Error *err) {
  const char *ns = jstr(rs, "metadata.namespace");
  ctrl_expectations_expect(&s->exp, key, n, NULL);
  _cleanup_json_ json_t *pod = rs_new_pod(rs);
  int64_t done = 0;
  for (int64_t batch = 1; done < n; batch *= 2) {
    int64_t todo = MIN(batch, n - done);
    CreateBatch b = {.s = s, .rs = rs, .pod = pod, .ns = ns, .todo = todo, .first_err = ERROR_INIT};
    atomic_init(&b.next, 0);
    pthread_mutex_init(&b.lock, NULL);
    pthread_t th[RS_CREATE_THREADS];
    size_t nth = 0;
    for (; nth + 1 < (size_t)MIN(todo, RS_CREATE_THREADS); nth++)
      if (pthread_create(&th[nth], NULL, create_batch_worker, &b) != 0)
        break;
    create_batch_worker(&b); /* this thread is one of them */
    for (size_t k = 0; k < nth; k++)
      pthread_join(th[k], NULL);
    pthread_mutex_destroy(&b.lock);
    int failed = b.failed, first_rc = b.first_rc;
    if (first_rc)
      ctrl_pass_error(first_rc, &b.first_err, err);
    done += todo;
    if (failed) {
      /* Neither the failed creations nor the skipped ones will ever be observed. */
      ctrl_expectations_lower_adds(&s->exp, key, failed + (n - done));
      log_warn(COMPONENT, "msg=\"pod creation failed\" replicaset=%s err=\"%s\"", key,
               err && err->message ? err->message : strerror(-first_rc));
      return first_rc;
    }
  }
  log_info(COMPONENT, "msg=\"created pods\" replicaset=%s count=%lld", key, (long long)n);
  return 0;
}

static int delete_pods(RsState *s, json_t *rs, json_t *pods, const char *key, int64_t n, Error *err) {
  Client *c = s->c->m->client;
  rs_sort_victims(pods, ctrl_now_sec());
  _cleanup_json_ json_t *uids = json_array();
  for (int64_t i = 0; i < n; i++)
    json_array_append_new(uids, json_string(jstr(json_array_get(pods, i), "metadata.uid")));
  ctrl_expectations_expect(&s->exp, key, 0, uids);
  int ret = 0;
  for (int64_t i = 0; i < n; i++) {
    json_t *p = json_array_get(pods, i);
    ClientDeleteOptions o = {.precondition_uid = jstr(p, "metadata.uid")};
    Error e = ERROR_INIT;
    int rc = client_delete(c, ctrl_resource(CTRL_PODS), jstr(p, "metadata.namespace"),
                           jstr(p, "metadata.name"), &o, NULL, &e);
    if (rc >= 0)
      ctrl_event(s->c->m, rs, "apps/v1", "ReplicaSet", COMPONENT, "Normal", "SuccessfulDelete",
                 "Deleted pod: %s", jstr(p, "metadata.name"));
    /* Not coming: stop waiting for it. A 404 means someone else deleted it, which we will observe. */
    if (rc < 0 && rc != -ENOENT)
      ctrl_expectations_deletion_observed(&s->exp, key, jstr(p, "metadata.uid"));
    ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, &e, &ret, err);
  }
  if (!ret)
    log_info(COMPONENT, "msg=\"deleted pods\" replicaset=%s count=%lld", key, (long long)n);
  return ret;
}

static int rs_sync(CtrlController *c, const char *key, Error *err) {
  RsState *s = c->state;
  _cleanup_json_ json_t *rs = informer_get(s->rss, key);
  if (!rs) {
    ctrl_expectations_delete(&s->exp, key);
    return 0;
  }
  bool needs_sync = ctrl_expectations_satisfied(&s->exp, key);
  _cleanup_label_selector_ LabelSelector *sel = ctrl_selector(rs, "spec.selector");
  if (!sel || label_selector_is_empty(sel))
    return 0; /* validation refuses these; never let an empty selector claim a whole namespace */
  _cleanup_json_ json_t *pods = NULL;
  int rc = claim_pods(s, rs, sel, &pods, err);
  if (rc < 0)
    return rc;
  int manage_rc = 0;
  int64_t diff = 0;
  if (needs_sync && !ctrl_is_deleting(rs)) {
    int64_t want = jint(rs, "spec.replicas", 1);
    diff = (int64_t)json_array_size(pods) - want;
    if (diff < 0)
      manage_rc = create_pods(s, rs, key, MIN(-diff, RS_BURST_REPLICAS), err);
    else if (diff > 0)
      manage_rc = delete_pods(s, rs, pods, key, MIN(diff, RS_BURST_REPLICAS), err);
  }
  int64_t now = ctrl_now_sec();
  _cleanup_json_ json_t *status = rs_calculate_status(rs, pods, now);
  rs_set_failure(status, manage_rc, diff, err && err->message ? err->message : strerror(-manage_rc), now);
  if (!json_equal(status, jpath(rs, "status"))) {
    Error e = ERROR_INIT;
    rc = ctrl_update_status(c->m->client, ctrl_resource(CTRL_REPLICASETS), rs, status, &e);
    if (rc < 0 && rc != -ENOENT && manage_rc >= 0)
      return ctrl_pass_error(rc, &e, err);
    error_reset(&e);
  }
  int64_t mrs = jint(rs, "spec.minReadySeconds", 0);
  if (manage_rc >= 0 && mrs > 0 && jint(status, "readyReplicas", 0) != jint(status, "availableReplicas", 0))
    ctrl_enqueue_after(c, key, (uint64_t)mrs * 1000000);
  return manage_rc;
}

static void rs_state_free(void *p) {
  RsState *s = p;
  ctrl_expectations_destroy(&s->exp);
  free(s);
}

int rs_controller_setup(CtrlManager *m, Error *err) {
  RsState *s = xzalloc(sizeof *s);
  ctrl_expectations_init(&s->exp);
  s->c = ctrl_controller_new(m, "replicaset", rs_sync, s, rs_state_free);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->rss = ctrl_informer(m, CTRL_REPLICASETS);
  informer_add_handlers(
      s->rss, &(InformerHandlers){
                  .on_add = on_rs_add, .on_update = on_rs_update, .on_delete = on_rs_delete, .userdata = s});
  informer_add_handlers(s->pods, &(InformerHandlers){.on_add = on_pod_add,
                                                     .on_update = on_pod_update,
                                                     .on_delete = on_pod_delete,
                                                     .userdata = s});
  return 0;
}
