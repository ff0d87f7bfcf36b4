/* The container state machine's table and the pod status computed from the containers' states: phase,
 * conditions and containerStatuses as the kubelet reports them. No I/O: the unit tests drive these. */
#include <assert.h>
#include <errno.h>

#include "agent/kubelet/initctr.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"

static const char *const ctr_state_names[_KUBELET_CTR_MAX] = {
    [KUBELET_CTR_WAITING] = "waiting",
    [KUBELET_CTR_RUNNING] = "running",
    [KUBELET_CTR_TERMINATED] = "terminated",
};

/* allowed[from][to]: the lifecycle drawn in kubelet-internal.h. */
static const bool ctr_transitions[_KUBELET_CTR_MAX][_KUBELET_CTR_MAX] = {
    [KUBELET_CTR_WAITING] =
        {[KUBELET_CTR_WAITING] = true, [KUBELET_CTR_RUNNING] = true, [KUBELET_CTR_TERMINATED] = true},
    [KUBELET_CTR_RUNNING] = {[KUBELET_CTR_TERMINATED] = true},
    [KUBELET_CTR_TERMINATED] = {[KUBELET_CTR_WAITING] = true, [KUBELET_CTR_RUNNING] = true},
};

const char *kubelet_ctr_state_to_string(KubeletCtrState s) {
  return s >= 0 && s < _KUBELET_CTR_MAX ? ctr_state_names[s] : NULL;
}

KubeletCtrState kubelet_ctr_state_from_string(const char *s) {
  for (int i = 0; i < _KUBELET_CTR_MAX; i++)
    if (s && streq(s, ctr_state_names[i]))
      return (KubeletCtrState)i;
  return KUBELET_CTR_INVALID;
}

void kubelet_ctr_transition(KubeletCtr *c, KubeletCtrState to, const char *reason, const char *message) {
  assert(c->state >= 0 && c->state < _KUBELET_CTR_MAX && to >= 0 && to < _KUBELET_CTR_MAX);
  assert(ctr_transitions[c->state][to]);
  c->state = to;
  free(c->reason);
  free(c->message);
  c->reason = reason ? xstrdup(reason) : NULL;
  c->message = message ? xstrdup(message) : NULL;
}

void kubelet_term_done(KubeletTerm *t) {
  free(t->reason);
  free(t->message);
  free(t->container_id);
  *t = (KubeletTerm){0};
}

void kubelet_term_copy(KubeletTerm *dst, const KubeletTerm *src) {
  kubelet_term_done(dst);
  *dst = *src;
  dst->reason = src->reason ? xstrdup(src->reason) : NULL;
  dst->message = src->message ? xstrdup(src->message) : NULL;
  dst->container_id = src->container_id ? xstrdup(src->container_id) : NULL;
}

void kubelet_ctr_done(KubeletCtr *c) {
  free(c->name);
  free(c->reason);
  free(c->message);
  free(c->id);
  free(c->image);
  free(c->image_id);
  free(c->kill_id);
  kubelet_term_done(&c->term);
  kubelet_term_done(&c->last);
}

uint64_t kubelet_backoff_usec(int n) {
  if (n <= 0)
    return 0;
  uint64_t d = KUBELET_BACKOFF_BASE_USEC;
  for (int i = 1; i < n && d < KUBELET_BACKOFF_MAX_USEC; i++)
    d *= 2;
  return d > KUBELET_BACKOFF_MAX_USEC ? KUBELET_BACKOFF_MAX_USEC : d;
}

bool kubelet_should_restart(const char *restart_policy, int exit_code) {
  if (!restart_policy || streq(restart_policy, "Always"))
    return true;
  if (streq(restart_policy, "OnFailure"))
    return exit_code != 0;
  return false;
}

const char *kubelet_pod_phase(const char *restart_policy, const KubeletCtr *ctrs, size_t n) {
  size_t waiting = 0, running = 0, stopped = 0, succeeded = 0;
  for (size_t i = 0; i < n; i++) {
    const KubeletCtr *c = &ctrs[i];
    switch (c->state) {
    case KUBELET_CTR_RUNNING:
      running++;
      break;
    case KUBELET_CTR_TERMINATED:
      stopped++;
      if (c->term.exit_code == 0)
        succeeded++;
      break;
    case KUBELET_CTR_WAITING:
      /* A container waiting to be restarted has run before: it counts as stopped, as in kubelet. */
      if (c->has_last) {
        stopped++;
        if (c->last.exit_code == 0)
          succeeded++;
      } else {
        waiting++;
      }
      break;
    default:
      break;
    }
  }
  if (waiting > 0)
    return "Pending";
  if (running > 0)
    return "Running";
  if (stopped > 0) {
    if (!restart_policy || streq(restart_policy, "Always"))
      return "Running"; /* every container is on its way to a restart */
    if (stopped == succeeded)
      return "Succeeded";
    if (streq(restart_policy, "Never"))
      return "Failed";
    /* OnFailure: the failed ones restart. A container waiting for its restart keeps the pod Running. */
    for (size_t i = 0; i < n; i++)
      if (ctrs[i].state == KUBELET_CTR_WAITING || ctrs[i].term.exit_code != 0)
        return "Running";
    return "Succeeded";
  }
  return "Pending";
}

const char *kubelet_qos_class(json_t *pod) {
  bool any = false, guaranteed = true;
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    json_t *req = jpath(c, "resources.requests"), *lim = jpath(c, "resources.limits");
    if (json_object_size(req) || json_object_size(lim))
      any = true;
    int64_t cpu_l = runtime_resource_milli_cpu(c, true), mem_l = runtime_resource_memory(c, true);
    if (!cpu_l || !mem_l || runtime_resource_milli_cpu(c, false) != cpu_l ||
        runtime_resource_memory(c, false) != mem_l)
      guaranteed = false;
  }
  if (!any)
    return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

static json_t *time_json(int64_t sec) {
  char ts[32];
  format_rfc3339(sec, ts);
  return json_string(ts);
}

static json_t *term_json(const KubeletTerm *t) {
  json_t *o = json_pack("{s:i}", "exitCode", t->exit_code);
  if (t->signal)
    json_object_set_new(o, "signal", json_integer(t->signal));
  if (t->reason)
    json_object_set_new(o, "reason", json_string(t->reason));
  if (t->message)
    json_object_set_new(o, "message", json_string(t->message));
  json_object_set_new(o, "startedAt", t->started_at ? time_json(t->started_at) : json_null());
  json_object_set_new(o, "finishedAt", t->finished_at ? time_json(t->finished_at) : json_null());
  if (t->container_id)
    json_object_set_new(o, "containerID", json_sprintf("runc://%s", t->container_id));
  return o;
}

/* An init container is ready once it ended well and never "started"; an app container is ready and started
 * while running unless its probes say otherwise (probe.h). */
static json_t *container_status(json_t *spec_ctr, const KubeletCtr *c, bool init) {
  bool running = c->state == KUBELET_CTR_RUNNING;
  bool ready = init ? c->state == KUBELET_CTR_TERMINATED && c->term.exit_code == 0 : running && !c->not_ready;
  bool started = running && !init && !c->not_started;
  json_t *state = json_object();
  switch (c->state) {
  case KUBELET_CTR_RUNNING:
    json_object_set_new(state, "running", json_pack("{s:o}", "startedAt", time_json(c->started_at)));
    break;
  case KUBELET_CTR_TERMINATED:
    json_object_set_new(state, "terminated", term_json(&c->term));
    break;
  default: {
    json_t *w = json_object();
    json_object_set_new(w, "reason", json_string(c->reason ? c->reason : "ContainerCreating"));
    if (c->message)
      json_object_set_new(w, "message", json_string(c->message));
    json_object_set_new(state, "waiting", w);
    break;
  }
  }
  json_t *o = json_pack("{s:s,s:o,s:o,s:b,s:i,s:s,s:s,s:b}", "name", c->name, "state", state, "lastState",
                        c->has_last ? json_pack("{s:o}", "terminated", term_json(&c->last)) : json_object(),
                        "ready", ready, "restartCount", c->restart_count, "image",
                        c->image ? c->image : (jstr(spec_ctr, "image") ?: ""), "imageID",
                        c->image_id ? c->image_id : "", "started", started);
  const char *id = c->state == KUBELET_CTR_RUNNING      ? c->id
                   : c->state == KUBELET_CTR_TERMINATED ? c->term.container_id
                                                        : NULL;
  if (id)
    json_object_set_new(o, "containerID", json_sprintf("runc://%s", id));
  return o;
}

/* The condition of type in old_status, to keep its lastTransitionTime while its status stays. */
static json_t *condition(json_t *old_status, const char *type, bool status, const char *reason, int64_t now) {
  json_t *prev = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(old_status, "conditions"), i, c) {
    if (streq_ptr(jstr(c, "type"), type))
      prev = c;
  }
  const char *st = status ? "True" : "False";
  json_t *o = json_pack("{s:s,s:s,s:n}", "type", type, "status", st, "lastProbeTime");
  json_t *ltt =
      prev && streq_ptr(jstr(prev, "status"), st) ? json_object_get(prev, "lastTransitionTime") : NULL;
  json_object_set_new(o, "lastTransitionTime",
                      ltt && json_is_string(ltt) ? json_incref(ltt) : time_json(now));
  if (reason)
    json_object_set_new(o, "reason", json_string(reason));
  return o;
}

json_t *kubelet_pod_status(json_t *pod, const KubeletPod *kp, const char *host_ip, json_t *old_status,
                           int64_t now) {
  const char *policy = jstr(pod, "spec.restartPolicy");
  const char *phase = kubelet_pod_phase_init(policy, kp);
  bool all_ready = kp->n_ctrs > 0;
  for (size_t i = 0; i < kp->n_ctrs; i++)
    all_ready = all_ready && kp->ctrs[i].state == KUBELET_CTR_RUNNING && !kp->ctrs[i].not_ready;
  _cleanup_buf_ Buf init_msg = BUF_INIT;
  bool initialized = kubelet_pod_initialized(kp, &init_msg);
  bool terminal = streq(phase, "Succeeded") || streq(phase, "Failed");
  const char *not_ready = terminal ? "PodCompleted" : "ContainersNotReady";
  json_t *conds = json_array();
  json_array_append_new(conds,
                        condition(old_status, "PodReadyToStartContainers", kp->sandbox_ready, NULL, now));
  json_t *init_cond =
      condition(old_status, "Initialized", initialized,
                initialized ? (terminal ? "PodCompleted" : NULL) : "ContainersNotInitialized", now);
  if (!initialized)
    json_object_set_new(init_cond, "message", json_string(init_msg.data));
  json_array_append_new(conds, init_cond);
  json_array_append_new(conds, condition(old_status, "Ready", all_ready, all_ready ? NULL : not_ready, now));
  json_array_append_new(
      conds, condition(old_status, "ContainersReady", all_ready, all_ready ? NULL : not_ready, now));
  json_array_append_new(conds, condition(old_status, "PodScheduled", true, NULL, now));
  json_t *statuses = json_array();
  size_t i;
  json_t *c;
  json_array_foreach(jpath(pod, "spec.containers"), i, c) {
    for (size_t j = 0; j < kp->n_ctrs; j++)
      if (streq_ptr(kp->ctrs[j].name, jstr(c, "name")))
        json_array_append_new(statuses, container_status(c, &kp->ctrs[j], false));
  }
  json_t *init_statuses = json_array();
  json_array_foreach(jpath(pod, "spec.initContainers"), i, c) {
    for (size_t j = 0; j < kp->n_inits; j++)
      if (streq_ptr(kp->inits[j].name, jstr(c, "name")))
        json_array_append_new(init_statuses, container_status(c, &kp->inits[j], true));
  }
  json_t *st =
      json_pack("{s:s,s:o,s:s,s:[{s:s}],s:o,s:s,s:o}", "phase", phase, "conditions", conds, "hostIP", host_ip,
                "hostIPs", "ip", host_ip, "startTime", time_json(kp->start_time ? kp->start_time : now),
                "qosClass", kubelet_qos_class(pod), "containerStatuses", statuses);
  if (kp->pod_ip) {
    json_object_set_new(st, "podIP", json_string(kp->pod_ip));
    json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", kp->pod_ip));
  }
  if (json_array_size(init_statuses))
    json_object_set_new(st, "initContainerStatuses", init_statuses);
  else
    json_decref(init_statuses);
  return st;
}
