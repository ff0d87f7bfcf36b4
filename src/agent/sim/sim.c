/* Simulated nodes: registration, Lease heartbeats, and the pretend pod lifecycle (bound → Running at once;
 * marked for deletion → deleted at once, as a kubelet whose containers die instantly would; containers
 * exit when the pod asks for it through the sim.coracle.io/ annotations, see sim.h). See sim.h. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <time.h>

#include "api/jsonutil.h"
#include "api/quantity.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "agent/sim/sim-storage.h"
#include "agent/sim/sim.h"

#define COMPONENT "sim-nodes"
#define KUBELET_VERSION "v1.32.0-coracle-sim"
#define LEASE_NS "kube-node-lease"

typedef struct SimNode {
  char *name;
  char ip[16];
  char *uid;
} SimNode;

struct Sim {
  Client *client;
  SimOptions opts;
  char *prefix, *cpu, *memory;
  const ApiResource *pods_res, *nodes_res, *leases_res;
  SimNode *nodes;
  size_t n_nodes;
  Informer *pods;
  WorkQueue *queue;
  pthread_t *workers;
  size_t n_workers;
  pthread_t lease_thread;
  bool lease_started;
  pthread_mutex_t stop_lock;
  pthread_cond_t stop_cond;
  bool stopping;
  atomic_uint_fast32_t next_ip;
  atomic_uint_fast64_t started, deleted, errors;
  pthread_mutex_t exit_lock;
  json_t *exit_codes, *fail_counts; /* pod uid → decided exit code; owner uid → pods failed by fail-first */
  SimStorage *storage;              /* sim-storage.c: local-path volumes of these nodes */
};

/* ---- helpers ---- */

static void now_rfc3339(char ts[static 32]) {
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
}

/* metav1.MicroTime as Leases carry it. */
static void now_micro(char ts[static 40]) {
  uint64_t us = now_realtime_usec();
  time_t sec = (time_t)(us / 1000000u);
  char base[32];
  format_rfc3339((int64_t)sec, base); /* "2026-11-26T14:08:52Z" */
  base[strcspn(base, "Z")] = 0;
  snprintf(ts, 40, "%.20s.%06uZ", base, (unsigned)(us % 1000000u));
}

/* The node named name if it is one of ours (names are PREFIX<index>). */
static SimNode *sim_node(Sim *s, const char *name) {
  if (!name || !startswith(name, s->prefix))
    return NULL;
  const char *p = name + strlen(s->prefix);
  char *end;
  unsigned long i = strtoul(p, &end, 10);
  if (*p < '0' || *p > '9' || *end || i >= s->n_nodes || !streq(s->nodes[i].name, name))
    return NULL;
  return &s->nodes[i];
}

/* Runs fn(s, i) for i in [0, n) on a few threads: registration and clean-up of a thousand nodes. */
typedef struct ParallelJob {
  Sim *s;
  size_t n;
  atomic_size_t next;
  void (*fn)(Sim *s, size_t i);
} ParallelJob;

static void *parallel_main(void *arg) {
  ParallelJob *j = arg;
  for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->n;)
    j->fn(j->s, i);
  return NULL;
}

static void parallel_for(Sim *s, size_t n, void (*fn)(Sim *s, size_t i)) {
  ParallelJob j = {.s = s, .n = n, .fn = fn};
  pthread_t t[8];
  size_t nt = MIN(ELEMENTSOF(t), n ? n : 1);
  for (size_t i = 0; i < nt; i++)
    pthread_create(&t[i], NULL, parallel_main, &j);
  for (size_t i = 0; i < nt; i++)
    pthread_join(t[i], NULL);
}

/* ---- nodes ---- */

static json_t *node_status(Sim *s, SimNode *n) {
  char ts[32];
  now_rfc3339(ts);
  json_t *res = json_pack("{s:s,s:s,s:s,s:s}", "cpu", s->cpu, "memory", s->memory, "ephemeral-storage",
                          "100Gi", "pods", "");
  char pods[16];
  snprintf(pods, sizeof pods, "%u", s->opts.pods);
  json_object_set_new(res, "pods", json_string(pods));
  json_t *conds = json_array();
  static const char *const pressure[][3] = {
      {"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
      {"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
      {"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
  };
  for (size_t i = 0; i < ELEMENTSOF(pressure); i++)
    json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", pressure[i][0], "status",
                                           "False", "reason", pressure[i][1], "message", pressure[i][2],
                                           "lastHeartbeatTime", ts, "lastTransitionTime", ts));
  json_array_append_new(conds,
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "Ready", "status", "True", "reason",
                                  "KubeletReady", "message", "kubelet is posting ready status",
                                  "lastHeartbeatTime", ts, "lastTransitionTime", ts));
  return json_pack(
      "{s:o,s:o,s:o,s:[{s:s,s:s},{s:s,s:s}],s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},s:{s:{s:i}}}",
      "capacity", json_deep_copy(res), "allocatable", res, "conditions", conds, "addresses", "type",
      "InternalIP", "address", n->ip, "type", "Hostname", "address", n->name, "nodeInfo", "kubeletVersion",
      KUBELET_VERSION, "kubeProxyVersion", KUBELET_VERSION, "operatingSystem", "linux", "architecture",
      "amd64", "containerRuntimeVersion", "sim://0.1.0", "osImage", "coracle simulated node", "kernelVersion",
      "0.0.0-sim", "machineID", n->name, "systemUUID", n->name, "bootID", n->name, "daemonEndpoints",
      "kubeletEndpoint", "Port", 10250);
}

static void register_node(Sim *s, size_t i) {
  SimNode *n = &s->nodes[i];
  Error e = ERROR_INIT;
  _cleanup_json_ json_t *node =
      json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s,s:s,s:s}},s:{}}", "apiVersion", "v1", "kind", "Node", "metadata",
                "name", n->name, "labels", "kubernetes.io/hostname", n->name, "kubernetes.io/os", "linux",
                "kubernetes.io/arch", "amd64", "node.coracle.io/simulated", "true", "spec");
  _cleanup_json_ json_t *got = NULL;
  int rc = client_create(s->client, s->nodes_res, NULL, node, &got, &e);
  if (rc == -EEXIST) {
    error_reset(&e);
    rc = client_get(s->client, s->nodes_res, NULL, n->name, &got, &e);
  }
  if (rc >= 0) {
    n->uid = xstrdup(jstr(got, "metadata.uid") ?: "");
    json_object_set_new(got, "status", node_status(s, n));
    rc = client_update_status(s->client, s->nodes_res, NULL, got, NULL, &e);
    /* A controller (node IPAM) may have written the new Node meanwhile: retry on the latest version. */
    for (int tries = 0; rc == -ECANCELED && tries < 5; tries++) {
      error_reset(&e);
      json_decref(got);
      got = NULL;
      rc = client_get(s->client, s->nodes_res, NULL, n->name, &got, &e);
      if (rc < 0)
        break;
      json_object_set_new(got, "status", node_status(s, n));
      rc = client_update_status(s->client, s->nodes_res, NULL, got, NULL, &e);
    }
  }
  if (rc < 0) {
    atomic_fetch_add(&s->errors, 1);
    log_error(COMPONENT, "msg=\"registering node failed\" node=%s err=\"%s\"", n->name, e.message ?: "");
  }
  error_reset(&e);
}

static void delete_node(Sim *s, size_t i) {
  Error e = ERROR_INIT;
  if (client_delete(s->client, s->nodes_res, NULL, s->nodes[i].name, NULL, NULL, &e) < 0 && e.http != 404)
    log_warn(COMPONENT, "msg=\"deleting node failed\" node=%s err=\"%s\"", s->nodes[i].name, e.message ?: "");
  error_reset(&e);
  client_delete(s->client, s->leases_res, LEASE_NS, s->nodes[i].name, NULL, NULL, NULL);
}

/* ---- leases ---- */

static void renew_lease(Sim *s, SimNode *n) {
  char ts[40];
  now_micro(ts);
  Error e = ERROR_INIT;
  _cleanup_json_ json_t *patch = json_pack("{s:{s:s}}", "spec", "renewTime", ts);
  int rc =
      client_patch(s->client, s->leases_res, LEASE_NS, n->name, NULL, CLIENT_PATCH_MERGE, patch, NULL, &e);
  if (rc == -ENOENT) {
    error_reset(&e);
    _cleanup_json_ json_t *lease = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:[{s:s,s:s,s:s,s:s}]},s:{s:s,s:i,s:s}}", "apiVersion", "coordination.k8s.io/v1",
        "kind", "Lease", "metadata", "name", n->name, "namespace", LEASE_NS, "ownerReferences", "apiVersion",
        "v1", "kind", "Node", "name", n->name, "uid", n->uid ?: "", "spec", "holderIdentity", n->name,
        "leaseDurationSeconds", 40, "renewTime", ts);
    rc = client_create(s->client, s->leases_res, LEASE_NS, lease, NULL, &e);
  }
  if (rc < 0)
    log_debug(COMPONENT, "msg=\"lease renewal failed\" node=%s err=\"%s\"", n->name, e.message ?: "");
  error_reset(&e);
}

/* Renews every Lease once per interval, spread evenly over it so that a thousand nodes are a steady trickle
 * of writes rather than a burst. */
static void *lease_main(void *arg) {
  Sim *s = arg;
  uint64_t interval = (uint64_t)(s->opts.lease_interval ? s->opts.lease_interval : 10) * 1000000u;
  uint64_t step = interval / (s->n_nodes ? s->n_nodes : 1);
  uint64_t next = now_monotonic_usec();
  for (size_t i = 0;; i = (i + 1) % s->n_nodes) {
    pthread_mutex_lock(&s->stop_lock);
    while (!s->stopping && now_monotonic_usec() < next) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      uint64_t wait = next - now_monotonic_usec();
      ts.tv_sec += (time_t)(wait / 1000000u);
      ts.tv_nsec += (long)(wait % 1000000u) * 1000;
      if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
      }
      pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &ts);
    }
    bool stop = s->stopping;
    pthread_mutex_unlock(&s->stop_lock);
    if (stop)
      return NULL;
    renew_lease(s, &s->nodes[i]);
    next += step;
  }
}

/* ---- pods ---- */

static bool pod_running(json_t *pod) {
  const char *ph = jstr(pod, "status.phase");
  return (streq_ptr(ph, "Running") || streq_ptr(ph, "Succeeded") || streq_ptr(ph, "Failed")) &&
         jstr(pod, "status.podIP");
}

static const char *annotation(json_t *pod, const char *name) {
  return json_string_value(json_object_get(jpath(pod, "metadata.annotations"), name));
}

static bool will_exit(json_t *pod) {
  return annotation(pod, SIM_EXIT_CODE_ANN) || annotation(pod, SIM_FAIL_FIRST_ANN);
}

static void pod_event(Sim *s, json_t *pod) {
  if (!sim_node(s, jstr(pod, "spec.nodeName")))
    return;
  if (!jpath(pod, "metadata.deletionTimestamp") && pod_running(pod) &&
      !(will_exit(pod) && streq_ptr(jstr(pod, "status.phase"), "Running")))
    return;
  _cleanup_free_ char *key = informer_key(pod);
  if (key)
    workqueue_add(s->queue, key);
}

static void on_add(json_t *obj, void *userdata) {
  pod_event(userdata, obj);
}

static void on_update(json_t *old, json_t *obj, void *userdata) {
  pod_event(userdata, obj);
}

static void next_pod_ip(Sim *s, char ip[static 16]) {
  /* 10.128.0.0/9, never .0 */
  uint32_t n = (uint32_t)atomic_fetch_add(&s->next_ip, 1) % (1u << 23);
  if ((n & 255) == 0)
    n = (uint32_t)atomic_fetch_add(&s->next_ip, 1) % (1u << 23);
  snprintf(ip, 16, "10.%u.%u.%u", 128 + (n >> 16), (n >> 8) & 255, n & 255);
}

/* Makes a status patch apply only over the version of the pod it was decided from (a resourceVersion in a
 * patch is a precondition): a worker reading a cache that has not yet seen the sim's own last write must not
 * start the same pod twice, or end one run twice (a second decision could turn Failed into Succeeded). The
 * refused patch (409) is dropped: the newer version's update event queues the pod again. */
static void only_over(json_t *patch, json_t *pod) {
  json_object_set_new(patch, "metadata",
                      json_pack("{s:s}", "resourceVersion", jstr(pod, "metadata.resourceVersion") ?: ""));
}

static int start_pod(Sim *s, json_t *pod, SimNode *n, Error *err) {
  char ts[32], ip[16];
  now_rfc3339(ts);
  const char *pip = jstr(pod, "status.podIP");
  if (pip)
    snprintf(ip, sizeof ip, "%s", pip);
  else
    next_pod_ip(s, ip);
  json_t *statuses = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    _cleanup_free_ char *cid = xasprintf("sim://%s-%zu", jstr(pod, "metadata.uid") ?: "x", i);
    json_array_append_new(statuses,
                          json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:i,s:{s:{s:s}},s:{}}", "name",
                                    jstr(c, "name") ?: "", "image", jstr(c, "image") ?: "", "imageID",
                                    jstr(c, "image") ?: "", "containerID", cid, "ready", 1, "started", 1,
                                    "restartCount", 0, "state", "running", "startedAt", ts, "lastState"));
  }
  json_t *conds = json_array();
  static const char *const types[] = {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                      "PodScheduled"};
  for (size_t k = 0; k < ELEMENTSOF(types); k++)
    json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", types[k], "status", "True",
                                           "lastProbeTime", "lastTransitionTime", ts));
  _cleanup_json_ json_t *patch =
      json_pack("{s:{s:s,s:o,s:s,s:[{s:s}],s:s,s:[{s:s}],s:s,s:o}}", "status", "phase", "Running",
                "conditions", conds, "hostIP", n->ip, "hostIPs", "ip", n->ip, "podIP", ip, "podIPs", "ip", ip,
                "startTime", jstr(pod, "status.startTime") ?: ts, "containerStatuses", statuses);
  only_over(patch, pod);
  return client_patch(s->client, s->pods_res, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"),
                      "status", CLIENT_PATCH_STRATEGIC, patch, NULL, err);
}

static int64_t run_seconds(json_t *pod) {
  const char *v = annotation(pod, SIM_RUN_SECONDS_ANN);
  return v ? MAX(strtoll(v, NULL, 10), 0) : 0;
}

/* A decision decide_exit made now (not one remembered), to be taken back if its patch is refused. */
typedef struct ExitDecision {
  bool fresh;  /* the memo was written by this decision */
  char *owner; /* fail-first counted a failure against this owner (uid), else NULL */
} ExitDecision;

/* The exit code of pod's containers, decided once per run (fail-first counts pods per owner). */
static int64_t decide_exit(Sim *s, json_t *pod, ExitDecision *d) {
  const char *uid = jstr(pod, "metadata.uid") ?: "";
  *d = (ExitDecision){0};
  pthread_mutex_lock(&s->exit_lock);
  json_t *memo = json_object_get(s->exit_codes, uid);
  int64_t code;
  if (memo) {
    code = json_integer_value(memo);
  } else {
    const char *v = annotation(pod, SIM_EXIT_CODE_ANN), *ff = annotation(pod, SIM_FAIL_FIRST_ANN);
    code = v ? strtoll(v, NULL, 10) : 0;
    json_t *ref = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(jpath(pod, "metadata.ownerReferences"), i,
                       r) if (json_is_true(json_object_get(r, "controller"))) ref = r;
    const char *owner = ref ? jstr(ref, "uid") : uid;
    if (ff && owner && jint(s->fail_counts, owner, 0) < strtoll(ff, NULL, 10)) {
      json_object_set_new(s->fail_counts, owner, json_integer(jint(s->fail_counts, owner, 0) + 1));
      code = 1;
      d->owner = xstrdup(owner);
    }
    json_object_set_new(s->exit_codes, uid, json_integer(code));
    d->fresh = true;
  }
  pthread_mutex_unlock(&s->exit_lock);
  return code;
}

/* Takes back a decision whose patch was refused (the pod had changed): its failure no longer counts, and
 * the next look at the pod decides again. */
static void undo_exit(Sim *s, json_t *pod, const ExitDecision *d) {
  pthread_mutex_lock(&s->exit_lock);
  if (d->fresh)
    json_object_del(s->exit_codes, jstr(pod, "metadata.uid") ?: "");
  if (d->owner)
    json_object_set_new(s->fail_counts, d->owner,
                        json_integer(MAX(jint(s->fail_counts, d->owner, 0) - 1, 0)));
  pthread_mutex_unlock(&s->exit_lock);
}

static void forget_exit(Sim *s, json_t *pod) {
  pthread_mutex_lock(&s->exit_lock);
  json_object_del(s->exit_codes, jstr(pod, "metadata.uid") ?: "");
  pthread_mutex_unlock(&s->exit_lock);
}

/* A running pod whose containers should exit: once run-seconds have passed since they started, they
 * terminate with the decided code; the pod then ends (Succeeded / Failed) or, as its restartPolicy says,
 * the containers restart with restartCount + 1. */
static int exit_pod(Sim *s, json_t *pod, const char *key, Error *err) {
  json_t *first = json_array_get(jpath(pod, "status.containerStatuses"), 0);
  int64_t started, now = (int64_t)(now_realtime_usec() / 1000000u);
  if (parse_rfc3339(jstr(first, "state.running.startedAt"), &started) < 0)
    return 0;
  int64_t left = started + run_seconds(pod) - now;
  if (left > 0) {
    workqueue_add_after(s->queue, key, (uint64_t)left * 1000000u + 50000u);
    return 0;
  }
  ExitDecision decision;
  int64_t code = decide_exit(s, pod, &decision);
  const char *policy = jstr(pod, "spec.restartPolicy") ?: "Always";
  bool restart = streq(policy, "Always") || (streq(policy, "OnFailure") && code != 0);
  char ts[32];
  now_rfc3339(ts);
  json_t *statuses = json_array();
  size_t i;
  json_t *cs;
  json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs) {
    json_t *term =
        json_pack("{s:I,s:s,s:s,s:s,s:s}", "exitCode", (json_int_t)code, "reason",
                  code ? "Error" : "Completed", "startedAt", jstr(cs, "state.running.startedAt") ?: ts,
                  "finishedAt", ts, "containerID", jstr(cs, "containerID") ?: "");
    json_t *n = json_deep_copy(cs);
    if (restart) {
      json_object_set_new(n, "lastState", json_pack("{s:o}", "terminated", term));
      json_object_set_new(n, "state", json_pack("{s:{s:s}}", "running", "startedAt", ts));
      json_object_set_new(n, "restartCount", json_integer(jint(cs, "restartCount", 0) + 1));
    } else {
      json_object_set_new(n, "state", json_pack("{s:o}", "terminated", term));
      json_object_set_new(n, "ready", json_false());
      json_object_set_new(n, "started", json_false());
    }
    json_array_append_new(statuses, n);
  }
  _cleanup_json_ json_t *patch = json_pack("{s:{s:o}}", "status", "containerStatuses", statuses);
  if (!restart) {
    json_t *conds = json_array();
    json_array_foreach(jpath(pod, "status.conditions"), i, cs) {
      json_t *n = json_deep_copy(cs);
      const char *t = jstr(cs, "type");
      if (streq_ptr(t, "Ready") || streq_ptr(t, "ContainersReady")) {
        json_object_set_new(n, "status", json_string("False"));
        json_object_set_new(n, "reason", json_string("PodCompleted"));
        json_object_set_new(n, "lastTransitionTime", json_string(ts));
      }
      json_array_append_new(conds, n);
    }
    json_object_set_new(json_object_get(patch, "status"), "conditions", conds);
    json_object_set_new(json_object_get(patch, "status"), "phase",
                        json_string(code ? "Failed" : "Succeeded"));
  }
  only_over(patch, pod);
  int rc = client_patch(s->client, s->pods_res, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"),
                        "status", CLIENT_PATCH_MERGE, patch, NULL, err);
  if (rc >= 0)
    forget_exit(s, pod);
  else if (rc == -ECANCELED)
    undo_exit(s, pod, &decision);
  free(decision.owner);
  if (rc >= 0 && restart)
    workqueue_add_after(s->queue, key, (uint64_t)run_seconds(pod) * 1000000u + 50000u);
  return rc == -ENOENT || rc == -ECANCELED ? 0 : rc;
}

static int process(Sim *s, const char *key, Error *err) {
  _cleanup_json_ json_t *pod = informer_get(s->pods, key);
  if (!pod)
    return 0;
  SimNode *n = sim_node(s, jstr(pod, "spec.nodeName"));
  if (!n)
    return 0;
  if (jpath(pod, "metadata.deletionTimestamp")) {
    /* The pretend containers stop at once, so the grace period is over as soon as it starts. */
    ClientDeleteOptions o = {
        .has_grace_period = true, .grace_period_seconds = 0, .precondition_uid = jstr(pod, "metadata.uid")};
    int rc = client_delete(s->client, s->pods_res, jstr(pod, "metadata.namespace"),
                           jstr(pod, "metadata.name"), &o, NULL, err);
    if (rc >= 0)
      atomic_fetch_add(&s->deleted, 1);
    return rc == -ENOENT ? 0 : rc;
  }
  if (pod_running(pod))
    return will_exit(pod) && streq_ptr(jstr(pod, "status.phase"), "Running") ? exit_pod(s, pod, key, err) : 0;
  int rc = start_pod(s, pod, n, err);
  if (rc >= 0)
    atomic_fetch_add(&s->started, 1);
  if (rc >= 0 && will_exit(pod))
    workqueue_add_after(s->queue, key, (uint64_t)run_seconds(pod) * 1000000u + 50000u);
  return rc == -ENOENT || rc == -ECANCELED ? 0 : rc;
}

static void *worker_main(void *arg) {
  Sim *s = arg;
  char *key;
  while (workqueue_get(s->queue, &key) == 0) {
    Error e = ERROR_INIT;
    int rc = process(s, key, &e);
    if (rc < 0) {
      atomic_fetch_add(&s->errors, 1);
      log_debug(COMPONENT, "msg=\"pod update failed\" pod=%s err=\"%s\"", key, e.message ?: "");
      workqueue_add_rate_limited(s->queue, key);
    } else {
      workqueue_forget(s->queue, key);
    }
    error_reset(&e);
    workqueue_done(s->queue, key);
    free(key);
  }
  return NULL;
}

/* ---- lifecycle ---- */

static int check_quantity(const char *what, const char *v, Error *err) {
  Quantity q;
  if (quantity_parse(v, &q, NULL) < 0 || quantity_sign(&q) <= 0)
    return error_set(err, -EINVAL, what, "invalid %s \"%s\"", what, v);
  return 0;
}

int sim_start(Client *c, const SimOptions *opts, Sim **ret, Error *err) {
  int rc;
  if (!opts || opts->count == 0)
    return error_set(err, -EINVAL, "count", "at least one node is needed");
  Sim *s = xzalloc(sizeof *s);
  s->client = c;
  s->opts = *opts;
  s->prefix = xstrdup(opts->prefix ?: "sim-");
  s->cpu = xstrdup(opts->cpu ?: "4");
  s->memory = xstrdup(opts->memory ?: "16Gi");
  if (!s->opts.pods)
    s->opts.pods = 110;
  pthread_mutex_init(&s->stop_lock, NULL);
  pthread_cond_init(&s->stop_cond, NULL);
  pthread_mutex_init(&s->exit_lock, NULL);
  s->exit_codes = json_object();
  s->fail_counts = json_object();
  s->queue = workqueue_new("sim-pods");
  workqueue_set_backoff(s->queue, 100000, 10000000);
  if ((rc = check_quantity("cpu", s->cpu, err)) < 0 || (rc = check_quantity("memory", s->memory, err)) < 0) {
    sim_stop(s, false);
    return rc;
  }
  s->pods_res = api_resource_find("", "v1", "pods");
  s->nodes_res = api_resource_find("", "v1", "nodes");
  s->leases_res = api_resource_find("coordination.k8s.io", "v1", "leases");
  s->n_nodes = opts->count;
  s->nodes = xcalloc(s->n_nodes, sizeof *s->nodes);
  for (size_t i = 0; i < s->n_nodes; i++) {
    s->nodes[i].name = xasprintf("%s%zu", s->prefix, i);
    /* InternalIPs in 10.64.0.0/10, one per node. */
    unsigned k = (unsigned)(i + 1);
    snprintf(s->nodes[i].ip, sizeof s->nodes[i].ip, "10.%u.%u.%u", (64 + (k >> 16)) & 127, (k >> 8) & 255,
             k & 255);
  }
  uint64_t t0 = now_monotonic_usec();
  parallel_for(s, s->n_nodes, register_node);
  if (atomic_load(&s->errors) == s->n_nodes) {
    sim_stop(s, false);
    return error_set(err, -EIO, NULL, "no node could be registered (is the server reachable?)");
  }
  log_info(COMPONENT, "msg=\"nodes registered\" count=%zu ms=%llu", s->n_nodes,
           (unsigned long long)((now_monotonic_usec() - t0) / 1000));
  /* Only pods bound to a node concern a node (a kubelet selects spec.nodeName=<its name>; one watch serves
   * all the simulated nodes): the server filters out the pending ones. Nothing here reads managedFields,
   * half of a pod's memory: the informer drops them. */
  InformerOptions po = {.field_selector = "spec.nodeName!=", .drop_managed_fields = true};
  if ((rc = informer_new(c, s->pods_res, &po, &s->pods, err)) < 0) {
    sim_stop(s, true);
    return rc;
  }
  InformerHandlers h = {.on_add = on_add, .on_update = on_update, .userdata = s};
  informer_add_handlers(s->pods, &h);
  if ((rc = informer_start(s->pods, err)) < 0) {
    sim_stop(s, true);
    return rc;
  }
  s->n_workers = opts->workers ? opts->workers : 4;
  s->workers = xcalloc(s->n_workers, sizeof *s->workers);
  for (size_t i = 0; i < s->n_workers; i++)
    pthread_create(&s->workers[i], NULL, worker_main, s);
  pthread_create(&s->lease_thread, NULL, lease_main, s);
  s->lease_started = true;
  s->storage = sim_storage_start(c, s->prefix, s->n_nodes);
  *ret = s;
  return 0;
}

void sim_stop(Sim *s, bool delete_nodes) {
  if (!s)
    return;
  pthread_mutex_lock(&s->stop_lock);
  s->stopping = true;
  pthread_cond_broadcast(&s->stop_cond);
  pthread_mutex_unlock(&s->stop_lock);
  if (s->lease_started)
    pthread_join(s->lease_thread, NULL);
  sim_storage_stop(s->storage);
  if (s->pods)
    informer_stop(s->pods);
  workqueue_shutdown(s->queue);
  for (size_t i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  if (delete_nodes && s->nodes) {
    parallel_for(s, s->n_nodes, delete_node);
    log_info(COMPONENT, "msg=\"nodes deleted\" count=%zu", s->n_nodes);
  }
  informer_free(s->pods);
  workqueue_free(s->queue);
  for (size_t i = 0; i < s->n_nodes; i++) {
    free(s->nodes[i].name);
    free(s->nodes[i].uid);
  }
  free(s->nodes);
  free(s->workers);
  free(s->prefix);
  free(s->cpu);
  free(s->memory);
  pthread_mutex_destroy(&s->stop_lock);
  pthread_cond_destroy(&s->stop_cond);
  pthread_mutex_destroy(&s->exit_lock);
  json_decref(s->exit_codes);
  json_decref(s->fail_counts);
  free(s);
}

void sim_get_stats(Sim *s, SimStats *ret) {
  *ret = (SimStats){.started = atomic_load(&s->started),
                    .deleted = atomic_load(&s->deleted),
                    .errors = atomic_load(&s->errors)};
}
