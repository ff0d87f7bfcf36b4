/* The scheduler's runtime: informers feeding the node cache and the queue of pending pods, the scheduling
 * thread (filter, score, assume), the binder threads, and what happens to a pod that fits nowhere (status
 * condition, event, back-off). The plugins themselves are in plugins.c, the node and pod views in model.c.
 *
 * A pod's path:  pending (queued) ──schedule──▶ assumed (accounted on its node, binding queued)
 *                   ▲     │ no node fits                │ POST binding ok        │ binding failed
 *                   │     ▼                             ▼                        ▼
 *                   └─ unschedulable (back-off,     bound (the informer's     forgotten, and re-queued
 *                      or at once on a node/pod     update replaces the       with back-off unless the pod
 *                      change that may make room)   assumed copy)             is gone or bound elsewhere
 *
 * Locking: `lock` guards the node map and array, the pod map (bound and assumed pods), the anti-affinity
 * list and the unschedulable set. It is taken by the informer threads (accounting), the scheduling thread
 * (one whole decision) and the binders (forgetting an assumed pod). The work queue and the bind queue
 * have their own locks, always taken after `lock` or alone. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "api/jsonutil.h"
#include "base/log.h"
#include "client/client-internal.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "scheduler/sched-internal.h"
#include "scheduler/scheduler.h"
#include "scheduler/volumebinding.h"

#define COMPONENT "scheduler"
#define DEFAULT_SCHEDULER_NAME "default-scheduler"
#define DEFAULT_BINDERS 64
/* kube-scheduler's podInitialBackoffSeconds and podMaxBackoffSeconds. */
#define BACKOFF_BASE_USEC 1000000ull
#define BACKOFF_MAX_USEC 10000000ull
/* Scheduled events go out asynchronously, as client-go's event broadcaster sends them: a binder queues the
 * event and moves on to the next binding. At most this many wait (client-go's maxQueuedEvents); beyond it
 * events are dropped and counted, as client-go drops them, so that a burst of bindings is never slowed by
 * its events. */
#define EVENT_QUEUE_MAX 1000
/* Threads sending them, started on demand like the binders. */
#define EVENT_SENDERS 4

typedef struct BindTask {
  struct BindTask *next;
  char *key, *ns, *name, *uid, *node;
} BindTask;

typedef struct EventRecord {
  char *name;
  char *message;
  int64_t count;
} EventRecord;

struct Scheduler {
  Client *client;
  char *name;
  bool events;
  const ApiResource *pods_res, *nodes_res, *events_res;
  Informer *pods, *nodes_inf;
  WorkQueue *queue;
  pthread_t sched_thread;
  bool sched_started;
  pthread_t *binders;
  size_t n_binders;

  pthread_mutex_t lock;
  ClientMap node_map; /* name → SchedNode (present ones, and deleted ones still holding pods) */
  SchedNode **nodes;  /* the present nodes, in no particular order */
  size_t n_nodes, cap_nodes;
  ClientMap pod_map; /* "ns/name" → SchedPod, bound or assumed */
  SchedPod **anti;   /* pods with required anti-affinity, rebuilt when anti_dirty */
  size_t n_anti;
  bool anti_dirty;
  ClientMap unsched; /* keys of pods that failed and wait for back-off or a cluster change */
  size_t next_start; /* where the next search for feasible nodes begins (round robin) */

  pthread_mutex_t bind_lock;
  pthread_cond_t bind_cond;
  BindTask *bind_head, *bind_tail;
  bool bind_stopping;
  /* Binders start on demand (a task queued while none is idle), up to n_binders, and then stay: an idle
   * scheduler has none. */
  size_t n_bind_started, n_bind_idle, n_bind_queued;
  /* The Scheduled events waiting to be sent (BindTasks re-used), under bind_lock too. */
  pthread_cond_t ev_cond;
  BindTask *ev_head, *ev_tail;
  pthread_t ev_threads[EVENT_SENDERS];
  size_t n_ev_started, n_ev_idle, n_ev_queued;

  ClientMap event_records; /* scheduling thread only: the last FailedScheduling event per pod */
  unsigned seed;           /* scheduling thread only: tie breaks */
  char host[64];

  atomic_uint_fast64_t attempts, scheduled, unschedulable, bind_errors, events_dropped;
};

/* ---- which pods are ours ---- */

static bool pod_terminal(json_t *pod) {
  const char *ph = jstr(pod, "status.phase");
  return streq_ptr(ph, "Succeeded") || streq_ptr(ph, "Failed");
}

static bool pod_bound(json_t *pod) {
  return !isempty(jstr(pod, "spec.nodeName"));
}

static bool pod_pending_ours(Scheduler *s, json_t *pod) {
  if (pod_bound(pod) || jpath(pod, "metadata.deletionTimestamp") || pod_terminal(pod))
    return false;
  const char *sn = jstr(pod, "spec.schedulerName");
  return isempty(sn) || streq(sn, s->name);
}

/* ---- the cache (callers hold s->lock) ---- */

static void nodes_array_remove(Scheduler *s, SchedNode *n) {
  for (size_t i = 0; i < s->n_nodes; i++)
    if (s->nodes[i] == n) {
      s->nodes[i] = s->nodes[--s->n_nodes];
      return;
    }
}

static SchedNode *node_get_or_ghost(Scheduler *s, const char *name) {
  SchedNode *n = client_map_get(&s->node_map, name);
  if (!n) {
    n = sched_node_new(name);
    client_map_put(&s->node_map, name, n);
  }
  return n;
}

static void node_maybe_drop(Scheduler *s, SchedNode *n) {
  if (!n->obj && n->n_pods == 0) {
    client_map_remove(&s->node_map, n->name);
    sched_node_free(n);
  }
}

static void pod_forget_locked(Scheduler *s, const char *key) {
  SchedPod *p = client_map_remove(&s->pod_map, key);
  if (!p)
    return;
  if (p->has_required_anti_affinity)
    s->anti_dirty = true;
  SchedNode *n = p->node;
  if (n) {
    sched_node_remove_pod(n, p);
    node_maybe_drop(s, n);
  }
  sched_pod_free(p);
}

static void pod_account_locked(Scheduler *s, json_t *obj) {
  SchedPod *p = sched_pod_new(obj);
  pod_forget_locked(s, p->key);
  sched_node_add_pod(node_get_or_ghost(s, p->node_name), p);
  client_map_put(&s->pod_map, p->key, p);
  if (p->has_required_anti_affinity)
    s->anti_dirty = true;
}

static void collect_anti(const char *key, void *value, void *userdata) {
  Scheduler *s = userdata;
  SchedPod *p = value;
  (void)key;
  if (p->has_required_anti_affinity) {
    s->anti = xrealloc(s->anti, (s->n_anti + 1) * sizeof *s->anti);
    s->anti[s->n_anti++] = p;
  }
}

static void add_unsched_key(const char *key, void *value, void *userdata) {
  Scheduler *s = userdata;
  (void)value;
  workqueue_add(s->queue, key);
}

/* Something that may make room happened: retry every unschedulable pod now (kube-scheduler's
 * MoveAllToActiveOrBackoffQueue). */
static void move_all_locked(Scheduler *s) {
  if (!s->unsched.size)
    return;
  client_map_foreach(&s->unsched, add_unsched_key, s);
  client_map_clear(&s->unsched, NULL);
}

/* ---- informer handlers ---- */

static void pod_event(Scheduler *s, json_t *old, json_t *obj) {
  _cleanup_free_ char *key = informer_key(obj);
  if (!key)
    return;
  if (pod_bound(obj)) {
    pthread_mutex_lock(&s->lock);
    if (pod_terminal(obj)) {
      pod_forget_locked(s, key);
      move_all_locked(s);
    } else {
      pod_account_locked(s, obj);
    }
    client_map_remove(&s->unsched, key);
    pthread_mutex_unlock(&s->lock);
    return;
  }
  if (!pod_pending_ours(s, obj))
    return;
  /* Our own status updates (the Unschedulable condition) must not retry the pod at once: only a change
   * of what scheduling reads does. The back-off retry covers the rest. */
  if (old && !pod_bound(old) && json_equal(jpath(old, "spec"), jpath(obj, "spec")) &&
      json_equal(jpath(old, "metadata.labels") ?: json_null(), jpath(obj, "metadata.labels") ?: json_null()))
    return;
  workqueue_add(s->queue, key);
}

static void on_pod_add(json_t *obj, void *userdata) {
  pod_event(userdata, NULL, obj);
}

static void on_pod_update(json_t *old, json_t *obj, void *userdata) {
  pod_event(userdata, old, obj);
}

static void on_pod_delete(json_t *obj, void *userdata) {
  Scheduler *s = userdata;
  _cleanup_free_ char *key = informer_key(obj);
  if (!key)
    return;
  pthread_mutex_lock(&s->lock);
  bool accounted = client_map_contains(&s->pod_map, key);
  pod_forget_locked(s, key);
  client_map_remove(&s->unsched, key);
  if (accounted)
    move_all_locked(s);
  pthread_mutex_unlock(&s->lock);
  /* Lets the scheduling thread drop what it remembers of the pod. */
  if (!accounted)
    workqueue_add(s->queue, key);
}

static bool node_ready(json_t *node) {
  size_t i;
  json_t *c;
  json_array_foreach(jpath(node, "status.conditions"), i,
                     c) if (streq_ptr(jstr(c, "type"), "Ready")) return streq_ptr(jstr(c, "status"), "True");
  return false;
}

/* True if a node update changes what the filters read (heartbeats do not). */
static bool node_changed(json_t *old, json_t *obj) {
  static const char *const paths[] = {"spec", "metadata.labels", "status.allocatable"};
  for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
    json_t *a = jpath(old, paths[i]), *b = jpath(obj, paths[i]);
    if (!json_equal(a ? a : json_null(), b ? b : json_null()))
      return true;
  }
  return node_ready(old) != node_ready(obj);
}

static void node_event(Scheduler *s, json_t *old, json_t *obj) {
  const char *name = jstr(obj, "metadata.name");
  if (!name)
    return;
  pthread_mutex_lock(&s->lock);
  SchedNode *n = node_get_or_ghost(s, name);
  bool present = n->obj != NULL;
  sched_node_set(n, obj);
  if (!present) {
    if (s->n_nodes == s->cap_nodes) {
      s->cap_nodes = s->cap_nodes ? s->cap_nodes * 2 : 64;
      s->nodes = xrealloc(s->nodes, s->cap_nodes * sizeof *s->nodes);
    }
    s->nodes[s->n_nodes++] = n;
  }
  /* The anti-affinity list holds pods, whatever the nodes' labels: a node change leaves it valid (rebuilding
   * it on every heartbeat cost a walk of every pod). */
  if (!old || node_changed(old, obj))
    move_all_locked(s);
  pthread_mutex_unlock(&s->lock);
}

static void on_node_add(json_t *obj, void *userdata) {
  node_event(userdata, NULL, obj);
}

static void on_node_update(json_t *old, json_t *obj, void *userdata) {
  node_event(userdata, old, obj);
}

static void on_node_delete(json_t *obj, void *userdata) {
  Scheduler *s = userdata;
  const char *name = jstr(obj, "metadata.name");
  if (!name)
    return;
  pthread_mutex_lock(&s->lock);
  SchedNode *n = client_map_get(&s->node_map, name);
  if (n && n->obj) {
    nodes_array_remove(s, n);
    sched_node_set(n, NULL);
    node_maybe_drop(s, n);
  }
  pthread_mutex_unlock(&s->lock);
}

/* ---- events ---- */

static void now_rfc3339(char ts[static 32]) {
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
}

static void post_event(Scheduler *s, json_t *pod, const char *type, const char *reason, const char *message,
                       char **ret_name) {
  char ts[32], suffix[17];
  now_rfc3339(ts);
  uint64_t r;
  random_bytes(&r, sizeof r);
  snprintf(suffix, sizeof suffix, "%016llx", (unsigned long long)r);
  _cleanup_free_ char *name = xasprintf("%s.%s", jstr(pod, "metadata.name"), suffix);
  _cleanup_free_ char *instance = xasprintf("%s-%s", s->name, s->host);
  _cleanup_json_ json_t *ev = json_pack(
      "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:s}",
      "apiVersion", "v1", "kind", "Event", "metadata", "name", name, "namespace",
      jstr(pod, "metadata.namespace"), "involvedObject", "apiVersion", "v1", "kind", "Pod", "namespace",
      jstr(pod, "metadata.namespace"), "name", jstr(pod, "metadata.name"), "uid",
      jstr(pod, "metadata.uid") ?: "", "resourceVersion", jstr(pod, "metadata.resourceVersion") ?: "",
      "reason", reason, "message", message, "type", type, "source", "component", s->name, "firstTimestamp",
      ts, "lastTimestamp", ts, "count", 1, "reportingComponent", s->name, "reportingInstance", instance);
  Error e = ERROR_INIT;
  if (client_create(s->client, s->events_res, jstr(pod, "metadata.namespace"), ev, NULL, &e) < 0)
    log_debug(COMPONENT, "msg=\"creating event failed\" pod=%s err=\"%s\"", jstr(pod, "metadata.name"),
              e.message ?: "");
  else if (ret_name)
    *ret_name = TAKE_PTR(name);
  error_reset(&e);
}

static void event_record_free(void *v) {
  EventRecord *r = v;
  if (!r)
    return;
  free(r->name);
  free(r->message);
  free(r);
}

/* FailedScheduling, counted like client-go's event correlator: the same message again bumps count. */
static void failed_event(Scheduler *s, const char *key, json_t *pod, const char *message) {
  EventRecord *r = client_map_get(&s->event_records, key);
  if (r && streq(r->message, message)) {
    char ts[32];
    now_rfc3339(ts);
    _cleanup_json_ json_t *patch =
        json_pack("{s:I,s:s}", "count", (json_int_t)(r->count + 1), "lastTimestamp", ts);
    Error e = ERROR_INIT;
    if (client_patch(s->client, s->events_res, jstr(pod, "metadata.namespace"), r->name, NULL,
                     CLIENT_PATCH_MERGE, patch, NULL, &e) >= 0) {
      r->count++;
      return;
    }
    error_reset(&e);
  }
  char *name = NULL;
  post_event(s, pod, "Warning", "FailedScheduling", message, &name);
  if (!name)
    return;
  EventRecord *nr = xzalloc(sizeof *nr);
  *nr = (EventRecord){.name = name, .message = xstrdup(message), .count = 1};
  event_record_free(client_map_put(&s->event_records, key, nr));
}

/* ---- failure ---- */

static void set_unschedulable(Scheduler *s, json_t *pod, const char *message) {
  json_t *cond = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "status.conditions"), i, c) if (streq_ptr(jstr(c, "type"), "PodScheduled"))
      cond = c;
  if (cond && streq_ptr(jstr(cond, "status"), "False") && streq_ptr(jstr(cond, "reason"), "Unschedulable") &&
      streq_ptr(jstr(cond, "message"), message))
    return;
  json_t *nc = json_pack("{s:s,s:s,s:s,s:s,s:n}", "type", "PodScheduled", "status", "False", "reason",
                         "Unschedulable", "message", message, "lastProbeTime");
  char ts[32];
  now_rfc3339(ts);
  /* The transition time moves only when the status does. */
  const char *lt = cond ? jstr(cond, "lastTransitionTime") : NULL;
  json_object_set_new(nc, "lastTransitionTime",
                      json_string(cond && streq_ptr(jstr(cond, "status"), "False") && lt ? lt : ts));
  _cleanup_json_ json_t *patch = json_pack("{s:{s:[o]}}", "status", "conditions", nc);
  Error e = ERROR_INIT;
  if (client_patch(s->client, s->pods_res, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"),
                   "status", CLIENT_PATCH_STRATEGIC, patch, NULL, &e) < 0)
    log_debug(COMPONENT, "msg=\"updating pod condition failed\" pod=%s err=\"%s\"",
              jstr(pod, "metadata.name"), e.message ?: "");
  error_reset(&e);
}

/* ---- binding ---- */

static void *binder_main(void *arg);

static void bind_push(Scheduler *s, BindTask *t) {
  pthread_mutex_lock(&s->bind_lock);
  if (s->bind_tail)
    s->bind_tail->next = t;
  else
    s->bind_head = t;
  s->bind_tail = t;
  s->n_bind_queued++;
  pthread_cond_signal(&s->bind_cond);
  if (s->n_bind_queued > s->n_bind_idle && s->n_bind_started < s->n_binders && !s->bind_stopping &&
      pthread_create(&s->binders[s->n_bind_started], NULL, binder_main, s) == 0)
    s->n_bind_started++;
  pthread_mutex_unlock(&s->bind_lock);
}

static void bind_task_free(BindTask *t) {
  free(t->key);
  free(t->ns);
  free(t->name);
  free(t->uid);
  free(t->node);
  free(t);
}

static void *event_sender_main(void *arg);

/* Queues the Scheduled event of a bound pod (takes t), or drops it when EVENT_QUEUE_MAX are waiting. */
static void scheduled_event_push(Scheduler *s, BindTask *t) {
  pthread_mutex_lock(&s->bind_lock);
  if (s->n_ev_queued >= EVENT_QUEUE_MAX || s->bind_stopping) {
    pthread_mutex_unlock(&s->bind_lock);
    uint64_t dropped = atomic_fetch_add(&s->events_dropped, 1);
    if (dropped % 1000 == 0)
      log_warn(COMPONENT, "msg=\"event queue full, dropping Scheduled events\" pod=%s dropped_before=%llu",
               t->key, (unsigned long long)dropped);
    bind_task_free(t);
    return;
  }
  t->next = NULL;
  if (s->ev_tail)
    s->ev_tail->next = t;
  else
    s->ev_head = t;
  s->ev_tail = t;
  s->n_ev_queued++;
  pthread_cond_signal(&s->ev_cond);
  if (s->n_ev_queued > s->n_ev_idle && s->n_ev_started < EVENT_SENDERS &&
      pthread_create(&s->ev_threads[s->n_ev_started], NULL, event_sender_main, s) == 0)
    s->n_ev_started++;
  pthread_mutex_unlock(&s->bind_lock);
}

static void *event_sender_main(void *arg) {
  Scheduler *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->bind_lock);
    s->n_ev_idle++;
    while (!s->ev_head && !s->bind_stopping)
      pthread_cond_wait(&s->ev_cond, &s->bind_lock);
    s->n_ev_idle--;
    BindTask *t = s->bind_stopping ? NULL : s->ev_head;
    if (t) {
      s->n_ev_queued--;
      s->ev_head = t->next;
      if (!s->ev_head)
        s->ev_tail = NULL;
    }
    pthread_mutex_unlock(&s->bind_lock);
    if (!t)
      return NULL;
    _cleanup_free_ char *msg = xasprintf("Successfully assigned %s to %s", t->key, t->node);
    _cleanup_json_ json_t *pod = json_pack("{s:{s:s,s:s,s:s}}", "metadata", "name", t->name, "namespace",
                                           t->ns, "uid", t->uid ? t->uid : "");
    post_event(s, pod, "Normal", "Scheduled", msg, NULL);
    bind_task_free(t);
  }
}

static void unassume(Scheduler *s, const char *key) {
  pthread_mutex_lock(&s->lock);
  SchedPod *p = client_map_get(&s->pod_map, key);
  if (p && p->assumed)
    pod_forget_locked(s, key);
  pthread_mutex_unlock(&s->lock);
}

/* Sends t's binding; takes t. */
static void bind_one(Scheduler *s, BindTask *t) {
  _cleanup_json_ json_t *body =
      json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Binding", "metadata",
                "name", t->name, "uid", t->uid ? t->uid : "", "target", "kind", "Node", "name", t->node);
  Error e = ERROR_INIT;
  int rc = client_subresource(s->client, "POST", s->pods_res, t->ns, t->name, "binding", body, NULL, &e);
  if (rc >= 0) {
    atomic_fetch_add(&s->scheduled, 1);
    workqueue_forget(s->queue, t->key);
    log_debug(COMPONENT, "msg=\"bound\" pod=%s node=%s", t->key, t->node);
    if (s->events) {
      scheduled_event_push(s, t);
      t = NULL;
    }
  } else {
    atomic_fetch_add(&s->bind_errors, 1);
    log_info(COMPONENT, "msg=\"binding failed\" pod=%s node=%s err=\"%s\"", t->key, t->node, e.message ?: "");
    unassume(s, t->key);
    /* Gone, or bound or deleted meanwhile: the informer tells the rest. Otherwise try again later. */
    if (rc != -ENOENT && rc != -ECANCELED)
      workqueue_add_rate_limited(s->queue, t->key);
  }
  error_reset(&e);
  if (t)
    bind_task_free(t);
}

static void *binder_main(void *arg) {
  Scheduler *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->bind_lock);
    s->n_bind_idle++;
    while (!s->bind_head && !s->bind_stopping)
      pthread_cond_wait(&s->bind_cond, &s->bind_lock);
    s->n_bind_idle--;
    BindTask *t = s->bind_head;
    if (t) {
      s->n_bind_queued--;
      s->bind_head = t->next;
      if (!s->bind_head)
        s->bind_tail = NULL;
    }
    pthread_mutex_unlock(&s->bind_lock);
    if (!t)
      return NULL;
    bind_one(s, t);
  }
}

/* ---- scheduling one pod ---- */

static SchedNode *pick(Scheduler *s, SchedPod *p, SchedNode **feasible, size_t nf, const SchedCluster *cl) {
  if (nf == 1)
    return feasible[0];
  int64_t *scores = xcalloc(nf, sizeof *scores);
  sched_score(p, feasible, nf, cl, scores);
  size_t best = 0, ties = 1;
  for (size_t i = 1; i < nf; i++) {
    if (scores[i] > scores[best]) {
      best = i;
      ties = 1;
    } else if (scores[i] == scores[best] && (unsigned)rand_r(&s->seed) % ++ties == 0) {
      best = i; /* reservoir sampling: every tied node equally likely */
    }
  }
  free(scores);
  return feasible[best];
}

static void schedule_one(Scheduler *s, const char *key) {
  _cleanup_json_ json_t *obj = informer_get(s->pods, key);
  if (!obj || !pod_pending_ours(s, obj)) {
    event_record_free(client_map_remove(&s->event_records, key));
    workqueue_forget(s->queue, key);
    return;
  }
  atomic_fetch_add(&s->attempts, 1);
  pthread_mutex_lock(&s->lock);
  if (client_map_contains(&s->pod_map, key)) {
    pthread_mutex_unlock(&s->lock); /* assumed: its binding is on the way */
    return;
  }
  if (s->anti_dirty) {
    s->n_anti = 0;
    client_map_foreach(&s->pod_map, collect_anti, s);
    s->anti_dirty = false;
  }
  SchedPod *p = sched_pod_new(obj);
  SchedCluster cl = {.nodes = s->nodes,
                     .n_nodes = s->n_nodes,
                     .anti_affinity_pods = s->anti,
                     .n_anti_affinity_pods = s->n_anti};
  size_t n = s->n_nodes, want = sched_num_feasible_to_find(n), nf = 0, i = 0;
  SchedNode **feasible = xcalloc(n ? n : 1, sizeof *feasible);
  SchedDiagnosis diag = {.n_nodes = n};
  size_t start = n ? s->next_start % n : 0;
  for (; i < n && nf < want; i++) {
    SchedNode *node = s->nodes[(start + i) % n];
    SchedStatus st;
    if (sched_filter(p, node, &cl, &st))
      feasible[nf++] = node;
    else
      sched_diagnosis_add(&diag, &st);
  }
  s->next_start = n ? (start + i) % n : 0;
  SchedNode *chosen = nf ? pick(s, p, feasible, nf, &cl) : NULL;
  free(feasible);
  BindTask *t = NULL;
  if (chosen) {
    /* Assume: account the pod on the node now, before the binding is even sent. */
    p->node_name = chosen->name;
    p->assumed = true;
    sched_node_add_pod(chosen, p);
    client_map_put(&s->pod_map, key, p);
    if (p->has_required_anti_affinity)
      s->anti_dirty = true;
    client_map_remove(&s->unsched, key);
    t = xzalloc(sizeof *t);
    *t = (BindTask){.key = xstrdup(key),
                    .ns = xstrdup(p->ns ? p->ns : ""),
                    .name = xstrdup(p->name ? p->name : ""),
                    .uid = p->uid ? xstrdup(p->uid) : NULL,
                    .node = xstrdup(chosen->name)};
    p = NULL;
  } else {
    client_map_put(&s->unsched, key, (void *)1);
  }
  pthread_mutex_unlock(&s->lock);
  if (t) {
    event_record_free(client_map_remove(&s->event_records, key));
    bind_push(s, t);
    sched_diagnosis_done(&diag);
    return;
  }
  sched_pod_free(p);
  _cleanup_free_ char *msg = sched_diagnosis_message(&diag);
  sched_diagnosis_done(&diag);
  atomic_fetch_add(&s->unschedulable, 1);
  log_info(COMPONENT, "msg=\"unable to schedule pod\" pod=%s err=\"%s\"", key, msg);
  set_unschedulable(s, obj, msg);
  if (s->events)
    failed_event(s, key, obj, msg);
  workqueue_add_rate_limited(s->queue, key);
}

static void *sched_main(void *arg) {
  Scheduler *s = arg;
  /* Decisions need the whole picture: wait for both caches. */
  while (!workqueue_shutting_down(s->queue)) {
    if (informer_wait_for_sync(s->nodes_inf, 100000) == 0 && informer_wait_for_sync(s->pods, 100000) == 0)
      break;
  }
  log_info(COMPONENT, "msg=\"caches synced, scheduling\"");
  char *key;
  while (workqueue_get(s->queue, &key) == 0) {
    schedule_one(s, key);
    workqueue_done(s->queue, key);
    free(key);
  }
  return NULL;
}

/* ---- lifecycle ---- */

int sched_start(Client *c, const SchedOptions *opts, Scheduler **ret, Error *err) {
  SchedOptions o = opts ? *opts : (SchedOptions){0};
  Scheduler *s = xzalloc(sizeof *s);
  s->client = c;
  s->name = xstrdup(isempty(o.scheduler_name) ? DEFAULT_SCHEDULER_NAME : o.scheduler_name);
  s->events = !o.no_events;
  s->pods_res = api_resource_find("", "v1", "pods");
  s->nodes_res = api_resource_find("", "v1", "nodes");
  s->events_res = api_resource_find("", "v1", "events");
  pthread_mutex_init(&s->lock, NULL);
  pthread_mutex_init(&s->bind_lock, NULL);
  pthread_cond_init(&s->bind_cond, NULL);
  pthread_cond_init(&s->ev_cond, NULL);
  random_bytes(&s->seed, sizeof s->seed);
  if (gethostname(s->host, sizeof s->host - 1) < 0)
    snprintf(s->host, sizeof s->host, "coracle");
  s->queue = workqueue_new("scheduler");
  workqueue_set_backoff(s->queue, BACKOFF_BASE_USEC, BACKOFF_MAX_USEC);
  int rc;
  /* kube-scheduler's pod informer drops managedFields too: nothing here reads them. */
  InformerOptions po = {.drop_managed_fields = o.drop_managed_fields};
  if ((rc = informer_new(c, s->pods_res, &po, &s->pods, err)) < 0 ||
      (rc = informer_new(c, s->nodes_res, NULL, &s->nodes_inf, err)) < 0) {
    sched_stop(s);
    return rc;
  }
  InformerHandlers ph = {
      .on_add = on_pod_add, .on_update = on_pod_update, .on_delete = on_pod_delete, .userdata = s};
  InformerHandlers nh = {
      .on_add = on_node_add, .on_update = on_node_update, .on_delete = on_node_delete, .userdata = s};
  informer_add_handlers(s->pods, &ph);
  informer_add_handlers(s->nodes_inf, &nh);
  if ((rc = informer_start(s->nodes_inf, err)) < 0 || (rc = informer_start(s->pods, err)) < 0) {
    sched_stop(s);
    return rc;
  }
  Error verr = ERROR_INIT; /* volumebinding.c: claims and volumes for the VolumeBinding filter */
  if (sched_volumes_start(c, &verr) < 0)
    log_warn(COMPONENT, "msg=\"volume binding filter without claims\" err=\"%s\"", verr.message ?: "");
  error_reset(&verr);
  /* kube-scheduler binds in goroutines without a bound; here 64 threads at most (started on demand): with
   * 16 they could not keep up, 64 keep ~2,000 bindings/s in flight on 2 cores (BENCHMARKS.md). */
  s->n_binders = o.binders ? o.binders : DEFAULT_BINDERS;
  s->binders = xcalloc(s->n_binders, sizeof *s->binders);
  pthread_create(&s->sched_thread, NULL, sched_main, s);
  s->sched_started = true;
  log_info(COMPONENT, "msg=\"scheduler started\" name=%s binders=%zu", s->name, s->n_binders);
  *ret = s;
  return 0;
}

static void free_pod_value(void *v) {
  SchedPod *p = v;
  if (p->node)
    sched_node_remove_pod(p->node, p);
  sched_pod_free(p);
}

static void free_node_value(void *v) {
  sched_node_free(v);
}

void sched_stop(Scheduler *s) {
  if (!s)
    return;
  /* informer_stop does not take NULL (a failed start). */
  if (s->pods)
    informer_stop(s->pods);
  if (s->nodes_inf)
    informer_stop(s->nodes_inf);
  workqueue_shutdown(s->queue);
  if (s->sched_started) {
    pthread_join(s->sched_thread, NULL);
    sched_volumes_stop(); /* volumebinding.c */
  }
  pthread_mutex_lock(&s->bind_lock);
  s->bind_stopping = true;
  pthread_cond_broadcast(&s->bind_cond);
  pthread_cond_broadcast(&s->ev_cond);
  pthread_mutex_unlock(&s->bind_lock);
  for (size_t i = 0; i < s->n_bind_started; i++) /* no binder starts once bind_stopping is set */
    pthread_join(s->binders[i], NULL);
  for (size_t i = 0; i < s->n_ev_started; i++) /* nor any event sender; unsent events are dropped */
    pthread_join(s->ev_threads[i], NULL);
  while (s->ev_head) {
    BindTask *t = s->ev_head;
    s->ev_head = t->next;
    bind_task_free(t);
  }
  while (s->bind_head) {
    BindTask *t = s->bind_head;
    s->bind_head = t->next;
    bind_task_free(t);
  }
  informer_free(s->pods);
  informer_free(s->nodes_inf);
  workqueue_free(s->queue);
  client_map_clear(&s->pod_map, free_pod_value);
  client_map_clear(&s->node_map, free_node_value);
  client_map_clear(&s->unsched, NULL);
  client_map_clear(&s->event_records, event_record_free);
  free(s->nodes);
  free(s->anti);
  free(s->binders);
  free(s->name);
  pthread_mutex_destroy(&s->lock);
  pthread_mutex_destroy(&s->bind_lock);
  pthread_cond_destroy(&s->bind_cond);
  pthread_cond_destroy(&s->ev_cond);
  free(s);
}

void sched_get_stats(Scheduler *s, SchedStats *ret) {
  *ret = (SchedStats){.attempts = atomic_load(&s->attempts),
                      .scheduled = atomic_load(&s->scheduled),
                      .unschedulable = atomic_load(&s->unschedulable),
                      .bind_errors = atomic_load(&s->bind_errors),
                      .events_dropped = atomic_load(&s->events_dropped)};
}
