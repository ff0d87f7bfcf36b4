/* The DaemonSet controller: one pod per eligible node (daemonset-util.c decides eligibility). Each sync
 * records the template as a ControllerRevision (history.c), groups the DaemonSet's pods by node, creates
 * the missing ones, deletes duplicates, failed pods and pods on nodes that may no longer run them, rolls
 * out a new template (RollingUpdate: delete old pods while at most maxUnavailable daemon pods are
 * unavailable, unavailable old ones first; OnDelete: only pods the user deletes are replaced), and writes
 * status. Node changes queue every DaemonSet; expectations stop a slow watch from creating twice.
 * maxSurge > 0 (surge before delete) is not implemented: it is treated as 0. */
#include <errno.h>

#include "controllers/workloads.h"

#define COMPONENT "daemonset-controller"

typedef struct DsState {
  CtrlController *c;
  Informer *dss, *pods, *nodes, *revs;
  CtrlExpectations exp;
} DsState;

static char *controlling_ds(DsState *s, json_t *pod) {
  json_t *ref = ctrl_controller_ref(pod);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "DaemonSet") || !streq_ptr(jstr(ref, "apiVersion"), "apps/v1"))
    return NULL;
  _cleanup_json_ json_t *ds =
      informer_get_by_name(s->dss, jstr(pod, "metadata.namespace"), jstr(ref, "name"));
  if (!ds || !streq_ptr(jstr(ds, "metadata.uid"), jstr(ref, "uid")))
    return NULL;
  return informer_key(ds);
}

static void on_pod_delete(json_t *pod, void *ud) {
  DsState *s = ud;
  _cleanup_free_ char *key = controlling_ds(s, pod);
  if (!key)
    return;
  ctrl_expectations_deletion_observed(&s->exp, key, jstr(pod, "metadata.uid"));
  ctrl_enqueue(s->c, key);
}

static void on_pod_add(json_t *pod, void *ud) {
  DsState *s = ud;
  if (ctrl_is_deleting(pod)) {
    on_pod_delete(pod, ud);
    return;
  }
  _cleanup_free_ char *key = controlling_ds(s, pod);
  if (!key)
    return;
  ctrl_expectations_creation_observed(&s->exp, key);
  ctrl_enqueue(s->c, key);
}

static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  DsState *s = ud;
  if (streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return;
  if (ctrl_is_deleting(pod) && !ctrl_is_deleting(old)) {
    on_pod_delete(pod, ud);
    return;
  }
  _cleanup_free_ char *key = controlling_ds(s, pod);
  ctrl_enqueue(s->c, key);
}

static void enqueue_all(DsState *s) {
  _cleanup_json_ json_t *all = informer_list(s->dss);
  size_t i;
  json_t *ds;
  json_array_foreach(all, i, ds) ctrl_enqueue_obj(s->c, ds);
}

static void on_node(json_t *node, void *ud) {
  enqueue_all(ud);
}
static void on_node_update(json_t *old, json_t *node, void *ud) {
  if (!json_equal(jpath(old, "metadata.labels"), jpath(node, "metadata.labels")) ||
      !json_equal(jpath(old, "spec"), jpath(node, "spec")))
    enqueue_all(ud);
}
static void on_ds(json_t *ds, void *ud) {
  DsState *s = ud;
  ctrl_enqueue_obj(s->c, ds);
}
static void on_ds_update(json_t *old, json_t *ds, void *ud) {
  on_ds(ds, ud);
}
static void on_ds_delete(json_t *ds, void *ud) {
  DsState *s = ud;
  _cleanup_free_ char *key = informer_key(ds);
  if (key)
    ctrl_expectations_delete(&s->exp, key);
}

static const char *pod_hash(json_t *pod) {
  return json_string_value(json_object_get(jpath(pod, "metadata.labels"), HIST_HASH_LABEL));
}

static int64_t created_at(json_t *pod) {
  int64_t t;
  return ctrl_parse_time(jstr(pod, "metadata.creationTimestamp"), &t) < 0 ? 0 : t;
}

static void set_count(json_t *st, const char *k, int64_t v, bool always) {
  if (v || always)
    json_object_set_new(st, k, json_integer(v));
}

static int ds_sync(CtrlController *c, const char *key, Error *err) {
  DsState *s = c->state;
  _cleanup_json_ json_t *ds = informer_get(s->dss, key);
  if (!ds) {
    ctrl_expectations_delete(&s->exp, key);
    return 0;
  }
  if (ctrl_is_deleting(ds))
    return 0;
  _cleanup_json_ json_t *all = informer_list_namespace(s->pods, jstr(ds, "metadata.namespace"));
  _cleanup_json_ json_t *by_node = json_object(), *live = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(all, i, p) {
    if (!ctrl_is_controlled_by(p, ds))
      continue;
    const char *h = pod_hash(p);
    if (h)
      json_object_set_new(live, h, json_true());
    const char *node = ds_pod_node(p);
    if (!node)
      continue;
    json_t *arr = json_object_get(by_node, node);
    if (!arr) {
      arr = json_array();
      json_object_set_new(by_node, node, arr);
    }
    json_array_append(arr, p);
  }
  _cleanup_json_ json_t *revs = hist_list(s->revs, ds);
  _cleanup_json_ json_t *update = NULL;
  char hash[16];
  int rc = hist_sync(c->m, ds, "DaemonSet", revs, live, &update, hash, err);
  if (rc < 0)
    return rc;

  bool manage = ctrl_expectations_satisfied(&s->exp, key);
  bool rolling = !streq_ptr(jstr(ds, "spec.updateStrategy.type"), "OnDelete"); /* OnDelete: users replace */
  int64_t now = ctrl_now_sec(), min_ready = jint(ds, "spec.minReadySeconds", 0);
  _cleanup_json_ json_t *nodes = informer_list(s->nodes);
  _cleanup_json_ json_t *create = json_array(), *victims = json_array(), *old_avail = json_array();
  int64_t desired = 0, current = 0, miss = 0, ready = 0, avail = 0, updated = 0, unavailable = 0;
  json_t *node;
  json_array_foreach(nodes, i, node) {
    const char *name = jstr(node, "metadata.name");
    json_t *pods = json_object_get(by_node, name);
    bool run, cont;
    ds_node_should_run(ds, node, &run, &cont);
    _cleanup_json_ json_t *alive = json_array();
    size_t k;
    json_array_foreach(pods, k, p) {
      if (ctrl_is_deleting(p))
        continue;
      if (streq_ptr(jstr(p, "status.phase"), "Failed") || streq_ptr(jstr(p, "status.phase"), "Succeeded"))
        json_array_append(victims, p); /* a daemon pod must run: replace it */
      else
        json_array_append(alive, p);
    }
    if (run)
      desired++;
    if (!run) {
      if (json_array_size(alive) && !isempty(jstr(json_array_get(alive, 0), "spec.nodeName")))
        miss++;
      if (!cont)
        json_array_extend(victims, alive);
      json_object_del(by_node, name);
      continue;
    }
    json_object_del(by_node, name);
    if (!json_array_size(alive)) {
      json_array_append_new(create, json_string(name));
      unavailable++;
      continue;
    }
    current++;
    /* Keep the oldest; duplicates go. */
    size_t keep = 0;
    json_array_foreach(alive, k, p) if (created_at(p) < created_at(json_array_get(alive, keep))) keep = k;
    json_array_foreach(alive, k, p) if (k != keep) json_array_append(victims, p);
    json_t *pod = json_array_get(alive, keep);
    bool is_new = streq_ptr(pod_hash(pod), hash);
    bool is_avail = ctrl_pod_is_available(pod, min_ready, now);
    ready += ctrl_pod_is_ready(pod);
    avail += is_avail;
    updated += is_new;
    if (!is_avail)
      unavailable++;
    if (!is_new && rolling) {
      if (!is_avail)
        json_array_append(victims, pod); /* unavailable anyway: replacing it costs nothing */
      else
        json_array_append(old_avail, pod);
    }
  }
  /* Pods on nodes that no longer exist. */
  const char *nname;
  json_t *pods;
  json_object_foreach(by_node, nname, pods) {
    size_t k;
    json_array_foreach(pods, k, p) if (!ctrl_is_deleting(p)) json_array_append(victims, p);
  }
  if (rolling) {
    int64_t max_unavail = 1;
    if (ctrl_int_or_percent(jpath(ds, "spec.updateStrategy.rollingUpdate.maxUnavailable"), desired, true,
                            &max_unavail) < 0 ||
        max_unavail < 1)
      max_unavail = 1;
    json_array_foreach(old_avail, i, p) {
      if (unavailable >= max_unavail)
        break;
      json_array_append(victims, p);
      unavailable++;
    }
  }

  int ret = 0;
  if (manage && !ctrl_is_deleting(ds)) {
    size_t nd = json_array_size(victims), nc = json_array_size(create);
    if (nd) {
      _cleanup_json_ json_t *uids = json_array();
      json_array_foreach(victims, i, p) json_array_append_new(uids, json_string(jstr(p, "metadata.uid")));
      ctrl_expectations_expect(&s->exp, key, 0, uids);
      json_array_foreach(victims, i, p) {
        ClientDeleteOptions o = {.precondition_uid = jstr(p, "metadata.uid")};
        Error e = ERROR_INIT;
        rc = client_delete(c->m->client, ctrl_resource(CTRL_PODS), jstr(p, "metadata.namespace"),
                           jstr(p, "metadata.name"), &o, NULL, &e);
        if (rc >= 0)
          ctrl_event(c->m, ds, "apps/v1", "DaemonSet", COMPONENT, "Normal", "SuccessfulDelete",
                     "Deleted pod: %s", jstr(p, "metadata.name"));
        else if (rc != -ENOENT)
          ctrl_expectations_deletion_observed(&s->exp, key, jstr(p, "metadata.uid"));
        ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, &e, &ret, err);
      }
    } else if (nc) {
      ctrl_expectations_expect(&s->exp, key, (int64_t)nc, NULL);
      json_t *n;
      json_array_foreach(create, i, n) {
        _cleanup_json_ json_t *pod = ds_new_pod(ds, json_string_value(n), hash), *created = NULL;
        Error e = ERROR_INIT;
        rc = client_create(c->m->client, ctrl_resource(CTRL_PODS), jstr(ds, "metadata.namespace"), pod,
                           &created, &e);
        if (rc >= 0) {
          ctrl_event(c->m, ds, "apps/v1", "DaemonSet", COMPONENT, "Normal", "SuccessfulCreate",
                     "Created pod: %s", jstr(created, "metadata.name"));
          error_reset(&e);
          continue;
        }
        ctrl_expectations_lower_adds(&s->exp, key, 1);
        ctrl_event(c->m, ds, "apps/v1", "DaemonSet", COMPONENT, "Warning", "FailedCreate",
                   "Error creating: %s", e.message ?: strerror(-rc));
        ctrl_keep_first_error(rc, &e, &ret, err);
      }
    }
  }

  _cleanup_json_ json_t *st = json_object();
  set_count(st, "currentNumberScheduled", current, true);
  set_count(st, "numberMisscheduled", miss, true);
  set_count(st, "desiredNumberScheduled", desired, true);
  set_count(st, "numberReady", ready, true);
  set_count(st, "observedGeneration", jint(ds, "metadata.generation", 0), true);
  set_count(st, "updatedNumberScheduled", updated, false);
  set_count(st, "numberAvailable", avail, false);
  set_count(st, "numberUnavailable", desired - avail, false);
  json_t *cc = jpath(ds, "status.collisionCount");
  if (cc)
    json_object_set(st, "collisionCount", cc);
  if (!json_equal(st, jpath(ds, "status"))) {
    Error e = ERROR_INIT;
    rc = ctrl_update_status(c->m->client, ctrl_resource(CTRL_DAEMONSETS), ds, st, &e);
    ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, &e, &ret, err);
  }
  if (min_ready > 0 && ready != avail)
    ctrl_enqueue_after(c, key, (uint64_t)min_ready * 1000000 + 100000);
  return ret;
}

static void ds_state_free(void *p) {
  DsState *s = p;
  ctrl_expectations_destroy(&s->exp);
  free(s);
}

int ds_controller_setup(CtrlManager *m, Error *err) {
  DsState *s = xzalloc(sizeof *s);
  ctrl_expectations_init(&s->exp);
  s->c = ctrl_controller_new(m, "daemonset", ds_sync, s, ds_state_free);
  s->dss = ctrl_informer(m, CTRL_DAEMONSETS);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  s->revs = ctrl_informer(m, CTRL_CONTROLLERREVISIONS);
  informer_add_handlers(
      s->dss, &(InformerHandlers){
                  .on_add = on_ds, .on_update = on_ds_update, .on_delete = on_ds_delete, .userdata = s});
  informer_add_handlers(s->pods, &(InformerHandlers){.on_add = on_pod_add,
                                                     .on_update = on_pod_update,
                                                     .on_delete = on_pod_delete,
                                                     .userdata = s});
  informer_add_handlers(
      s->nodes, &(InformerHandlers){
                    .on_add = on_node, .on_update = on_node_update, .on_delete = on_node, .userdata = s});
  return 0;
}
