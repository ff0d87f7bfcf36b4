/* The node lifecycle controller (kube-controller-manager's node-lifecycle, taint-eviction and pod-GC
 * controllers in one work queue keyed by node name):
 *
 *  - Health: a node is heard from when its Lease in kube-node-lease gets a new renewTime or its Ready
 *    condition a new lastHeartbeatTime; a node first seen counts as heard from then (so a restarted server
 *    gives every node a fresh grace period, as Kubernetes does). Silent for --node-monitor-grace-period
 *    (40 s): its conditions become Unknown ("Kubelet stopped posting node status."). Each sync schedules
 *    the node's next check at the end of its grace period: timers, never a polling loop.
 *  - Taints by condition (nodelifecycle-util.c): not-ready / unreachable NoExecute and NoSchedule from the
 *    Ready condition, pressure taints, unschedulable for a cordoned node; removed when they stop applying.
 *  - A node that is not Ready: its pods' Ready condition is set to False (so Endpoints drop them).
 *  - Taint-based eviction: pods on a node with NoExecute taints they do not tolerate are deleted at once;
 *    pods tolerating them for tolerationSeconds are deleted that long after the controller first saw them
 *    there (a DisruptionTarget condition first, then a normal graceful delete, as the taint manager does).
 *  - Pod GC: pods bound to a node that has not existed for the grace period (Kubernetes' 40 s quarantine)
 *    are marked Failed and force-deleted. That work has its own key, ORPHANS_KEY.
 *
 * Pods are only scanned for nodes that are not Ready or carry NoExecute taints, so a healthy cluster of a
 * thousand nodes costs one cheap sync per node per grace period. */
#include <errno.h>

#include "controllers/nodelifecycle.h"

#define COMPONENT "node-lifecycle-controller"
#define LEASE_NS "kube-node-lease"
#define ORPHANS_KEY " orphans" /* never a node name: names cannot contain spaces */

typedef struct NlcState {
  CtrlController *c;
  Informer *nodes, *leases, *pods;
  uint64_t grace_usec;
  pthread_mutex_t lock;
  /* node → {"probe": monotonic usec, "renew": renewTime, "hb": Ready lastHeartbeatTime, "ready": last
   * Ready status seen} */
  json_t *health;
  json_t *seen;    /* node → {pod uid: monotonic usec first seen under NoExecute taints} */
  json_t *missing; /* node name → monotonic usec first seen missing while pods were bound to it */
} NlcState;

static void nlc_free(void *p) {
  NlcState *s = p;
  if (!s)
    return;
  json_decref(s->health);
  json_decref(s->seen);
  json_decref(s->missing);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

/* Records that node was heard from when renew (a Lease's renewTime) or hb (the Ready heartbeat) is new.
 * Caller holds s->lock. Returns the node's record. */
static json_t *heard(NlcState *s, const char *node, const char *renew, const char *hb) {
  uint64_t now = now_monotonic_usec();
  json_t *rec = json_object_get(s->health, node);
  if (!rec) {
    rec = json_pack("{s:I}", "probe", (json_int_t)now);
    json_object_set_new(s->health, node, rec);
  }
  if (renew && !streq_ptr(jstr(rec, "renew"), renew)) {
    if (jstr(rec, "renew"))
      json_object_set_new(rec, "probe", json_integer((json_int_t)now));
    json_object_set_new(rec, "renew", json_string(renew));
  }
  if (hb && !streq_ptr(jstr(rec, "hb"), hb)) {
    if (jstr(rec, "hb"))
      json_object_set_new(rec, "probe", json_integer((json_int_t)now));
    json_object_set_new(rec, "hb", json_string(hb));
  }
  return rec;
}

static const char *ready_heartbeat(json_t *node) {
  return jstr(ctrl_condition(node, "status.conditions", "Ready"), "lastHeartbeatTime");
}

/* ---- informer handlers ---- */

static void on_node(json_t *node, void *ud) {
  NlcState *s = ud;
  const char *name = jstr(node, "metadata.name");
  if (!name)
    return;
  pthread_mutex_lock(&s->lock);
  heard(s, name, NULL, ready_heartbeat(node));
  json_object_del(s->missing, name);
  pthread_mutex_unlock(&s->lock);
  ctrl_enqueue(s->c, name);
}

static void on_node_update(json_t *old, json_t *node, void *ud) {
  on_node(node, ud);
}

static void on_node_delete(json_t *node, void *ud) {
  NlcState *s = ud;
  const char *name = jstr(node, "metadata.name");
  if (!name)
    return;
  pthread_mutex_lock(&s->lock);
  json_object_del(s->health, name);
  json_object_del(s->seen, name);
  pthread_mutex_unlock(&s->lock);
  ctrl_enqueue(s->c, ORPHANS_KEY);
}

static void on_lease(json_t *lease, void *ud) {
  NlcState *s = ud;
  if (!streq_ptr(jstr(lease, "metadata.namespace"), LEASE_NS))
    return;
  const char *name = jstr(lease, "metadata.name"), *renew = jstr(lease, "spec.renewTime");
  if (!name || !renew)
    return;
  /* Only nodes we know: a Lease may outlive its Node or come before it. */
  _cleanup_json_ json_t *node = informer_get(s->nodes, name);
  if (!node)
    return;
  pthread_mutex_lock(&s->lock);
  heard(s, name, renew, NULL);
  pthread_mutex_unlock(&s->lock);
  /* The node's own timer notices the new probe time; an Unknown node only recovers when its kubelet posts
   * Ready again, which is a node update. */
}

static void on_lease_update(json_t *old, json_t *lease, void *ud) {
  on_lease(lease, ud);
}

/* A pod matters to us when it is bound to a node that is missing, not Ready or carries NoExecute taints. */
static void on_pod(json_t *pod, void *ud) {
  NlcState *s = ud;
  const char *node_name = jstr(pod, "spec.nodeName");
  if (isempty(node_name))
    return;
  _cleanup_json_ json_t *node = informer_get(s->nodes, node_name);
  if (!node) {
    ctrl_enqueue_after(s->c, ORPHANS_KEY, s->grace_usec);
    return;
  }
  const char *ready = nlc_ready_status(node);
  bool noexec = false;
  size_t i;
  json_t *t;
  json_array_foreach(jpath(node, "spec.taints"), i, t) noexec |= streq_ptr(jstr(t, "effect"), "NoExecute");
  if (noexec || (ready && !streq(ready, "True")))
    ctrl_enqueue(s->c, node_name);
}

static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  if (streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return;
  on_pod(pod, ud);
}

/* ---- actions ---- */

static const ApiResource *nodes_res(void) {
  return ctrl_resource(CTRL_NODES);
}
static const ApiResource *pods_res(void) {
  return ctrl_resource(CTRL_PODS);
}

static void now_ts(char ts[static 32]) {
  ctrl_format_time(ctrl_now_sec(), ts);
}

/* Sets a pod condition in a private copy of status (UpdatePodCondition: the transition time moves only
 * when the status does). */
static void set_pod_condition(json_t *status, const char *type, const char *cstatus, const char *reason,
                              const char *message) {
  char ts[32];
  now_ts(ts);
  json_t *conds = json_object_get(status, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(status, "conditions", conds);
  }
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!streq_ptr(jstr(c, "type"), type))
      continue;
    if (!streq_ptr(jstr(c, "status"), cstatus))
      json_object_set_new(c, "lastTransitionTime", json_string(ts));
    json_object_set_new(c, "status", json_string(cstatus));
    if (reason)
      json_object_set_new(c, "reason", json_string(reason));
    if (message)
      json_object_set_new(c, "message", json_string(message));
    return;
  }
  json_t *n = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status", cstatus, "lastProbeTime",
                        "lastTransitionTime", ts);
  if (reason)
    json_object_set_new(n, "reason", json_string(reason));
  if (message)
    json_object_set_new(n, "message", json_string(message));
  json_array_append_new(conds, n);
}

/* Writes a condition (and optionally phase) to a pod's status; best effort. */
static int pod_status_write(NlcState *s, json_t *pod, const char *type, const char *cstatus,
                            const char *reason, const char *message, const char *phase, Error *err) {
  _cleanup_json_ json_t *upd = json_deep_copy(pod);
  json_t *st = jobj(upd, "status");
  set_pod_condition(st, type, cstatus, reason, message);
  if (phase)
    json_object_set_new(st, "phase", json_string(phase));
  return client_update_status(s->c->m->client, pods_res(), NULL, upd, NULL, err);
}

/* The taint manager's eviction: DisruptionTarget, then a graceful delete of this incarnation. */
static void evict_pod(NlcState *s, json_t *pod) {
  const char *ns = jstr(pod, "metadata.namespace"), *name = jstr(pod, "metadata.name");
  Error e = ERROR_INIT;
  if (pod_status_write(s, pod, "DisruptionTarget", "True", "DeletionByTaintManager",
                       "Taint manager: deleting due to NoExecute taint", NULL, &e) < 0)
    log_debug(COMPONENT, "pod=%s/%s msg=\"cannot add DisruptionTarget\" err=\"%s\"", ns, name,
              e.message ?: "");
  error_reset(&e);
  ctrl_event(s->c->m, pod, "v1", "Pod", "taint-eviction-controller", "Normal", "TaintManagerEviction",
             "Marking for deletion Pod %s/%s", ns, name);
  ClientDeleteOptions o = {.precondition_uid = jstr(pod, "metadata.uid")};
  if (client_delete(s->c->m->client, pods_res(), ns, name, &o, NULL, &e) < 0 && e.code != -ENOENT)
    log_warn(COMPONENT, "pod=%s/%s msg=\"eviction failed\" err=\"%s\"", ns, name, e.message ?: "");
  else
    log_info(COMPONENT, "pod=%s/%s node=%s msg=\"evicted by NoExecute taint\"", ns, name,
             jstr(pod, "spec.nodeName"));
  error_reset(&e);
}

static json_t *pods_on(NlcState *s, const char *node) {
  _cleanup_json_ json_t *all = informer_list(s->pods);
  json_t *out = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(all, i, p) {
    if (streq_ptr(jstr(p, "spec.nodeName"), node))
      json_array_append(out, p);
  }
  return out;
}

/* Marks the Ready condition of node's ready pods False (MarkPodsNotReady). */
static void mark_pods_not_ready(NlcState *s, json_t *pods) {
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    if (!ctrl_pod_is_ready(p) || ctrl_is_deleting(p))
      continue;
    const char *phase = jstr(p, "status.phase");
    if (streq_ptr(phase, "Succeeded") || streq_ptr(phase, "Failed"))
      continue;
    Error e = ERROR_INIT;
    if (pod_status_write(s, p, "Ready", "False", NULL, NULL, NULL, &e) < 0)
      log_debug(COMPONENT, "pod=%s/%s msg=\"cannot mark not ready\" err=\"%s\"",
                jstr(p, "metadata.namespace"), jstr(p, "metadata.name"), e.message ?: "");
    else
      ctrl_event(s->c->m, p, "v1", "Pod", COMPONENT, "Warning", "NodeNotReady", "Node is not ready");
    error_reset(&e);
  }
}

/* Taint-based eviction on one node; returns the delay until the next eviction is due (0 = none). */
static uint64_t evict_by_taints(NlcState *s, const char *node_name, json_t *taints, json_t *pods) {
  uint64_t now = now_monotonic_usec(), next = 0;
  json_t *noexec = json_array();
  size_t i;
  json_t *t;
  json_array_foreach(taints, i, t) {
    if (streq_ptr(jstr(t, "effect"), "NoExecute"))
      json_array_append(noexec, t);
  }
  pthread_mutex_lock(&s->lock);
  json_t *prev = json_object_get(s->seen, node_name);
  json_t *seen = json_object(); /* rebuilt: pods gone or tolerated drop out */
  json_t *victims = json_array();
  if (json_array_size(noexec)) {
    json_t *p;
    json_array_foreach(pods, i, p) {
      const char *uid = jstr(p, "metadata.uid");
      if (!uid || ctrl_is_deleting(p))
        continue;
      int64_t delay = nlc_eviction_delay(jpath(p, "spec.tolerations"), noexec);
      if (delay == NLC_EVICT_NEVER)
        continue;
      json_t *first = json_object_get(prev, uid);
      uint64_t since = first ? (uint64_t)json_integer_value(first) : now;
      uint64_t due = since + (uint64_t)delay * 1000000u;
      if (due <= now) {
        json_array_append(victims, p);
        continue;
      }
      json_object_set_new(seen, uid, json_integer((json_int_t)since));
      if (!next || due - now < next)
        next = due - now;
    }
  }
  if (json_object_size(seen))
    json_object_set_new(s->seen, node_name, seen);
  else {
    json_object_del(s->seen, node_name);
    json_decref(seen);
  }
  pthread_mutex_unlock(&s->lock);
  json_t *p;
  json_array_foreach(victims, i, p) evict_pod(s, p);
  json_decref(victims);
  json_decref(noexec);
  return next;
}

static int sync_node(NlcState *s, const char *name, Error *err) {
  Client *client = s->c->m->client;
  _cleanup_json_ json_t *node = informer_get(s->nodes, name);
  if (!node)
    return 0;
  const char *ready = nlc_ready_status(node);
  pthread_mutex_lock(&s->lock);
  json_t *rec = heard(s, name, NULL, ready_heartbeat(node));
  uint64_t probe = (uint64_t)jint(rec, "probe", 0);
  /* Back to Ready after having been seen otherwise: Kubernetes records NodeReady. */
  const char *was = jstr(rec, "ready");
  bool recovered = was && !streq(was, "True") && streq_ptr(ready, "True");
  if (ready)
    json_object_set_new(rec, "ready", json_string(ready));
  pthread_mutex_unlock(&s->lock);
  if (recovered) {
    log_info(COMPONENT, "node=%s msg=\"node is Ready again\"", name);
    ctrl_event(s->c->m, node, "v1", "Node", COMPONENT, "Normal", "NodeReady",
               "Node %s status is now: NodeReady", name);
  }
  uint64_t now = now_monotonic_usec();
  char ts[32];
  now_ts(ts);

  if (now - probe >= s->grace_usec) {
    _cleanup_json_ json_t *upd = json_deep_copy(node);
    if (nlc_mark_unknown(jobj(upd, "status"), jstr(node, "metadata.creationTimestamp"), ts)) {
      int rc = client_update_status(client, nodes_res(), NULL, upd, NULL, err);
      if (rc < 0)
        return rc;
      log_info(COMPONENT, "node=%s msg=\"node stopped posting status\" silent_sec=%llu", name,
               (unsigned long long)((now - probe) / 1000000u));
      ctrl_event(s->c->m, node, "v1", "Node", COMPONENT, "Normal", "NodeNotReady",
                 "Node %s status is now: NodeNotReady", name);
      return 0; /* the update comes back as an event and syncs the node again */
    }
  } else {
    ctrl_enqueue_after(s->c, name, probe + s->grace_usec - now + 10000);
  }

  _cleanup_json_ json_t *taints = nlc_desired_taints(node, ts);
  json_t *cur = jpath(node, "spec.taints");
  bool same = json_is_array(cur) ? json_equal(taints, cur) : json_array_size(taints) == 0;
  if (!same) {
    _cleanup_json_ json_t *upd = json_deep_copy(node);
    if (json_array_size(taints))
      json_object_set(jobj(upd, "spec"), "taints", taints);
    else
      json_object_del(jobj(upd, "spec"), "taints");
    int rc = client_update(client, nodes_res(), NULL, upd, NULL, err);
    if (rc < 0)
      return rc;
    log_info(COMPONENT, "node=%s ready=%s taints=%zu msg=\"taints updated\"", name,
             nlc_ready_status(node) ?: "none", json_array_size(taints));
  }

  bool not_ready = ready && !streq(ready, "True");
  bool noexec = false;
  size_t i;
  json_t *t;
  json_array_foreach(taints, i, t) noexec |= streq_ptr(jstr(t, "effect"), "NoExecute");
  if (!not_ready && !noexec) {
    pthread_mutex_lock(&s->lock);
    json_object_del(s->seen, name);
    pthread_mutex_unlock(&s->lock);
    return 0;
  }
  _cleanup_json_ json_t *pods = pods_on(s, name);
  if (not_ready)
    mark_pods_not_ready(s, pods);
  uint64_t next = evict_by_taints(s, name, taints, pods);
  if (next)
    ctrl_enqueue_after(s->c, name, next + 10000);
  return 0;
}

/* Pod GC of orphans: pods bound to nodes that have been missing for the grace period. */
static int sync_orphans(NlcState *s, Error *err) {
  Client *client = s->c->m->client;
  _cleanup_json_ json_t *pods = informer_list(s->pods);
  _cleanup_json_ json_t *checked = json_object(); /* node → true (exists) / false (gone for good) */
  uint64_t now = now_monotonic_usec(), next = 0;
  json_t *still_missing = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(pods, i, p) {
    const char *node = jstr(p, "spec.nodeName");
    if (isempty(node))
      continue;
    _cleanup_json_ json_t *n = informer_get(s->nodes, node);
    if (n)
      continue;
    json_t *verdict = json_object_get(checked, node);
    if (!verdict) {
      pthread_mutex_lock(&s->lock);
      json_t *first = json_object_get(s->missing, node);
      uint64_t since = first ? (uint64_t)json_integer_value(first) : now;
      pthread_mutex_unlock(&s->lock);
      json_object_set_new(still_missing, node, json_integer((json_int_t)since));
      if (now - since < s->grace_usec) {
        uint64_t wait = since + s->grace_usec - now;
        if (!next || wait < next)
          next = wait;
        verdict = json_true();
      } else {
        /* Quarantine over: ask the server, not the cache, before deleting anything. */
        _cleanup_json_ json_t *got = NULL;
        Error e = ERROR_INIT;
        int rc = client_get(client, nodes_res(), NULL, node, &got, &e);
        verdict = json_boolean(rc != -ENOENT);
        error_reset(&e);
      }
      json_object_set_new(checked, node, verdict);
    }
    if (json_is_true(verdict))
      continue;
    const char *ns = jstr(p, "metadata.namespace"), *name = jstr(p, "metadata.name");
    const char *phase = jstr(p, "status.phase");
    bool terminal = streq_ptr(phase, "Succeeded") || streq_ptr(phase, "Failed");
    Error e = ERROR_INIT;
    if (pod_status_write(s, p, "DisruptionTarget", "True", "DeletionByPodGC", "PodGC: node no longer exists",
                         terminal ? NULL : "Failed", &e) < 0)
      log_debug(COMPONENT, "pod=%s/%s msg=\"cannot mark failed\" err=\"%s\"", ns, name, e.message ?: "");
    error_reset(&e);
    ClientDeleteOptions o = {
        .has_grace_period = true, .grace_period_seconds = 0, .precondition_uid = jstr(p, "metadata.uid")};
    if (client_delete(client, pods_res(), ns, name, &o, NULL, &e) < 0 && e.code != -ENOENT)
      log_warn(COMPONENT, "pod=%s/%s msg=\"deleting orphaned pod failed\" err=\"%s\"", ns, name,
               e.message ?: "");
    else
      log_info("pod-garbage-collector",
               "pod=%s/%s node=%s msg=\"deleted pod of a node that no longer exists\"", ns, name, node);
    error_reset(&e);
  }
  pthread_mutex_lock(&s->lock);
  json_decref(s->missing);
  s->missing = still_missing;
  pthread_mutex_unlock(&s->lock);
  if (next)
    ctrl_enqueue_after(s->c, ORPHANS_KEY, next + 10000);
  (void)err;
  return 0;
}

static int nlc_sync(CtrlController *c, const char *key, Error *err) {
  NlcState *s = c->state;
  if (streq(key, ORPHANS_KEY))
    return sync_orphans(s, err);
  return sync_node(s, key, err);
}

int nodelifecycle_controller_setup(CtrlManager *m, Error *err) {
  NlcState *s = xzalloc(sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  s->health = json_object();
  s->seen = json_object();
  s->missing = json_object();
  s->grace_usec = m->node_grace_usec ? m->node_grace_usec : 40000000u;
  s->c = ctrl_controller_new(m, "node-lifecycle", nlc_sync, s, nlc_free);
  s->nodes = ctrl_informer(m, CTRL_NODES);
  s->leases = ctrl_informer(m, CTRL_LEASES);
  s->pods = ctrl_informer(m, CTRL_PODS);
  informer_add_handlers(s->nodes, &(InformerHandlers){on_node, on_node_update, on_node_delete, s});
  informer_add_handlers(s->leases, &(InformerHandlers){on_lease, on_lease_update, NULL, s});
  informer_add_handlers(s->pods, &(InformerHandlers){on_pod, on_pod_update, NULL, s});
  (void)err;
  return 0;
}
