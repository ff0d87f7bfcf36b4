/* The agent's prober: probe workers (one thread per container and probe type, kubelet's model), the kill of
 * a container (preStop hook thread, SIGTERM, SIGKILL after the grace period), and the hook the pod worker
 * calls after each sync (kubelet_probes_sync). See probe.h for the locking rule.
 *
 * A worker's life:   idle (no running instance, or gated by a startup probe that has not succeeded)
 *                      │ the pod worker names a running instance (runc id)
 *                      ▼
 *                    probing every period after initialDelay ──result changed──▶ pod key queued
 *                      │ liveness/startup failed, or startup succeeded
 *                      ▼
 *                    on hold until the pod worker names another instance
 * Threads are detached; KubeletProber.live counts them and kubelet_prober_stop waits for it to reach 0. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

#define KILL_MIN_GRACE_USEC 2000000ull /* kubelet's minimum grace after a preStop hook */

typedef struct ProbeWorker {
  KubeletProber *pr;
  KubeletProbeType type;
  char *uid, *key, *ns, *pod_name, *ctr_name, *field_path, *netns;
  json_t *probe, *spec_ctr; /* copies */
  KubeletProbeSpec spec;
  /* guarded by pr->lock */
  char *ctr_id; /* the instance probed; NULL = idle */
  char *pod_ip;
  bool gated;            /* a startup probe has not succeeded yet */
  bool on_hold;          /* see the drawing above */
  bool gone;             /* removed from the list: the thread ends and frees the worker */
  uint64_t started_usec; /* monotonic start of the instance */
  uint64_t last_usec;    /* monotonic start of the last run; 0 = none */
  KubeletProbeCounter counter;
} ProbeWorker;

/* A container being killed. */
typedef struct KillRecord {
  char *uid, *ctr_id;
  uint64_t deadline_usec; /* monotonic */
  bool hook_running;
  bool sigkilled;
} KillRecord;

struct KubeletProber {
  Kubelet *k;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* CLOCK_MONOTONIC; broadcast on every change a worker may wait for */
  ProbeWorker **w;
  size_t n_w;
  KillRecord *kills;
  size_t n_kills;
  size_t live; /* threads running */
  bool stopping;
  int cancel[2]; /* the read end becomes readable at stop: running handlers give up */
};

KubeletProber *kubelet_prober_new(Kubelet *k) {
  KubeletProber *pr = xzalloc(sizeof *pr);
  pr->k = k;
  pthread_mutex_init(&pr->lock, NULL);
  cond_init_monotonic(&pr->cond);
  if (pipe2(pr->cancel, O_CLOEXEC) < 0)
    pr->cancel[0] = pr->cancel[1] = -1;
  return pr;
}

static void worker_free(ProbeWorker *w) {
  free(w->uid);
  free(w->key);
  free(w->ns);
  free(w->pod_name);
  free(w->ctr_name);
  free(w->field_path);
  free(w->netns);
  free(w->ctr_id);
  free(w->pod_ip);
  json_decref(w->probe);
  json_decref(w->spec_ctr);
  free(w);
}

void kubelet_prober_stop(KubeletProber *pr) {
  if (!pr)
    return;
  pthread_mutex_lock(&pr->lock);
  pr->stopping = true;
  if (pr->cancel[1] >= 0) {
    close(pr->cancel[1]);
    pr->cancel[1] = -1;
  }
  pthread_cond_broadcast(&pr->cond);
  while (pr->live > 0)
    pthread_cond_wait(&pr->cond, &pr->lock);
  pthread_mutex_unlock(&pr->lock);
}

void kubelet_prober_free(KubeletProber *pr) {
  if (!pr)
    return;
  kubelet_prober_stop(pr);
  for (size_t i = 0; i < pr->n_w; i++)
    worker_free(pr->w[i]);
  free(pr->w);
  for (size_t i = 0; i < pr->n_kills; i++) {
    free(pr->kills[i].uid);
    free(pr->kills[i].ctr_id);
  }
  free(pr->kills);
  if (pr->cancel[0] >= 0)
    close(pr->cancel[0]);
  pthread_cond_destroy(&pr->cond);
  pthread_mutex_destroy(&pr->lock);
  free(pr);
}

/* With pr->lock held. */
static void thread_exit_locked(KubeletProber *pr) {
  pr->live--;
  pthread_cond_broadcast(&pr->cond);
}

static void cond_wait_until(KubeletProber *pr, uint64_t due_usec) {
  struct timespec ts = {.tv_sec = (time_t)(due_usec / 1000000u),
                        .tv_nsec = (long)(due_usec % 1000000u) * 1000};
  pthread_cond_timedwait(&pr->cond, &pr->lock, &ts);
}

static void *worker_main(void *arg) {
  ProbeWorker *w = arg;
  KubeletProber *pr = w->pr;
  Kubelet *k = pr->k;
  pthread_mutex_lock(&pr->lock);
  while (!w->gone && !pr->stopping) {
    if (!w->ctr_id || w->on_hold || w->gated) {
      pthread_cond_wait(&pr->cond, &pr->lock);
      continue;
    }
    uint64_t due = kubelet_probe_next_due(&w->spec, w->started_usec, w->last_usec);
    uint64_t now = now_monotonic_usec();
    if (now < due) {
      cond_wait_until(pr, due);
      continue;
    }
    w->last_usec = now;
    _cleanup_free_ char *id = xstrdup(w->ctr_id), *ip = w->pod_ip ? xstrdup(w->pod_ip) : NULL;
    pthread_mutex_unlock(&pr->lock);

    KubeletHandlerTarget t = {.runc = k->rt.runc,
                              .runc_root = k->rt.runc_root,
                              .ctr_id = id,
                              .netns = w->netns,
                              .pod_ip = ip,
                              .spec_ctr = w->spec_ctr,
                              .cancel_fd = pr->cancel[0]};
    _cleanup_buf_ Buf msg = BUF_INIT;
    KubeletProbeResult r = kubelet_handler_run(&t, w->probe, w->spec.timeout_sec, &msg);

    pthread_mutex_lock(&pr->lock);
    if (w->gone || pr->stopping || !streq_ptr(w->ctr_id, id))
      continue; /* retargeted meanwhile: this result is about an instance that is gone */
    bool changed = kubelet_probe_count(&w->counter, r, &w->spec);
    if ((w->type != KUBELET_PROBE_READINESS && w->counter.result == KUBELET_PROBE_FAILURE) ||
        (w->type == KUBELET_PROBE_STARTUP && w->counter.result == KUBELET_PROBE_SUCCESS))
      w->on_hold = true;
    KubeletProbeResult now_result = w->counter.result;
    pthread_mutex_unlock(&pr->lock);

    const char *type = kubelet_probe_type_to_string(w->type);
    if (r == KUBELET_PROBE_FAILURE) {
      log_debug("kubelet", "pod=%s/%s container=%s probe=%s msg=\"probe failed\" output=\"%s\"", w->ns,
                w->pod_name, w->ctr_name, type, msg.data ? msg.data : "");
      kubelet_event(k, w->ns, w->pod_name, w->uid, w->field_path, "Warning", "Unhealthy",
                    "%s probe failed: %s", type, msg.data ? msg.data : "");
    }
    if (changed) {
      log_info("kubelet", "pod=%s/%s container=%s probe=%s result=%s msg=\"probe result changed\"", w->ns,
               w->pod_name, w->ctr_name, type, kubelet_probe_result_to_string(now_result));
      workqueue_add(k->queue, w->key);
    }
    pthread_mutex_lock(&pr->lock);
  }
  bool free_it = w->gone;
  thread_exit_locked(pr);
  pthread_mutex_unlock(&pr->lock);
  if (free_it)
    worker_free(w);
  return NULL;
}

/* Starts a detached thread running fn(arg) counted in pr->live; with pr->lock held. */
static bool spawn_locked(KubeletProber *pr, void *(*fn)(void *), void *arg) {
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
  pthread_t t;
  bool ok = pthread_create(&t, &a, fn, arg) == 0;
  pthread_attr_destroy(&a);
  if (ok)
    pr->live++;
  return ok;
}

/* With pr->lock held. */
static ProbeWorker *worker_find(KubeletProber *pr, const char *uid, const char *ctr, KubeletProbeType type) {
  for (size_t i = 0; i < pr->n_w; i++) {
    ProbeWorker *w = pr->w[i];
    if (w->type == type && streq(w->uid, uid) && streq(w->ctr_name, ctr))
      return w;
  }
  return NULL;
}

static void worker_remove_locked(KubeletProber *pr, size_t i) {
  ProbeWorker *w = pr->w[i];
  pr->w[i] = pr->w[--pr->n_w];
  w->gone = true; /* its thread frees it */
}

void kubelet_prober_forget_pod(KubeletProber *pr, const char *uid) {
  if (!pr)
    return;
  pthread_mutex_lock(&pr->lock);
  for (size_t i = pr->n_w; i-- > 0;)
    if (streq(pr->w[i]->uid, uid))
      worker_remove_locked(pr, i);
  for (size_t i = pr->n_kills; i-- > 0;)
    if (streq(pr->kills[i].uid, uid)) {
      free(pr->kills[i].uid);
      free(pr->kills[i].ctr_id);
      pr->kills[i] = pr->kills[--pr->n_kills];
    }
  pthread_cond_broadcast(&pr->cond);
  pthread_mutex_unlock(&pr->lock);
}

/* ---- killing a container ---- */

static KillRecord *kill_find(KubeletProber *pr, const char *uid, const char *id) {
  for (size_t i = 0; i < pr->n_kills; i++)
    if (streq(pr->kills[i].uid, uid) && streq(pr->kills[i].ctr_id, id))
      return &pr->kills[i];
  return NULL;
}

static void kill_drop(KubeletProber *pr, const char *uid, const char *id) {
  pthread_mutex_lock(&pr->lock);
  KillRecord *r = kill_find(pr, uid, id);
  if (r) {
    free(r->uid);
    free(r->ctr_id);
    *r = pr->kills[--pr->n_kills];
  }
  pthread_mutex_unlock(&pr->lock);
}

typedef struct PreStopJob {
  KubeletProber *pr;
  char *uid, *ns, *pod_name, *ctr_name, *field_path, *ctr_id, *netns, *pod_ip;
  json_t *handler, *spec_ctr;
  int64_t grace_sec;
} PreStopJob;

static void *pre_stop_main(void *arg) {
  PreStopJob *j = arg;
  KubeletProber *pr = j->pr;
  Kubelet *k = pr->k;
  KubeletHandlerTarget t = {.runc = k->rt.runc,
                            .runc_root = k->rt.runc_root,
                            .ctr_id = j->ctr_id,
                            .netns = j->netns,
                            .pod_ip = j->pod_ip,
                            .spec_ctr = j->spec_ctr,
                            .cancel_fd = pr->cancel[0]};
  _cleanup_buf_ Buf msg = BUF_INIT;
  KubeletProbeResult r = kubelet_handler_run(&t, j->handler, (int)MAX(j->grace_sec, 1), &msg);
  if (r != KUBELET_PROBE_SUCCESS) {
    log_info("kubelet", "pod=%s/%s container=%s msg=\"preStop hook failed\" err=\"%s\"", j->ns, j->pod_name,
             j->ctr_name, msg.data ? msg.data : "");
    kubelet_event(k, j->ns, j->pod_name, j->uid, j->field_path, "Warning", "FailedPreStopHook",
                  "PreStopHook failed: %s", msg.data ? msg.data : "");
  }
  pthread_mutex_lock(&pr->lock);
  KillRecord *rec = kill_find(pr, j->uid, j->ctr_id);
  if (rec) {
    rec->hook_running = false;
    uint64_t now = now_monotonic_usec();
    if (rec->deadline_usec < now + KILL_MIN_GRACE_USEC)
      rec->deadline_usec = now + KILL_MIN_GRACE_USEC;
  }
  bool send = rec && !pr->stopping;
  pthread_mutex_unlock(&pr->lock);
  if (send)
    runtime_runc_kill(&k->rt, j->ctr_id, SIGTERM);
  free(j->uid);
  free(j->ns);
  free(j->pod_name);
  free(j->ctr_name);
  free(j->field_path);
  free(j->ctr_id);
  free(j->netns);
  free(j->pod_ip);
  json_decref(j->handler);
  json_decref(j->spec_ctr);
  free(j);
  pthread_mutex_lock(&pr->lock);
  thread_exit_locked(pr);
  pthread_mutex_unlock(&pr->lock);
  return NULL;
}

static json_t *spec_ctr_of(json_t *pod, const char *name) {
  static const char *const lists[] = {"spec.containers", "spec.initContainers"};
  for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
    size_t i;
    json_t *c;
    json_array_foreach(jpath(pod, lists[l]), i, c) if (streq_ptr(jstr(c, "name"), name)) return c;
  }
  return NULL;
}

void kubelet_ctr_kill(Kubelet *k, KubeletPod *kp, json_t *pod, KubeletCtr *c, const char *message,
                      int64_t grace_sec) {
  KubeletProber *pr = k->prober;
  if (c->state != KUBELET_CTR_RUNNING || !c->id || streq_ptr(c->kill_id, c->id))
    return;
  free(c->kill_id);
  c->kill_id = xstrdup(c->id);
  if (grace_sec < 0)
    grace_sec = 0;
  json_t *spec_ctr = spec_ctr_of(pod, c->name);
  json_t *pre = kubelet_pre_stop_handler(spec_ctr);
  kubelet_ctr_event(k, kp, c->name, "Normal", "Killing", "%s", message);
  log_info("kubelet", "pod=%s/%s container=%s grace=%llds msg=\"%s\"", kp->ns, kp->name, c->name,
           (long long)grace_sec, message);
  pthread_mutex_lock(&pr->lock);
  pr->kills = xrealloc(pr->kills, (pr->n_kills + 1) * sizeof *pr->kills);
  KillRecord *rec = &pr->kills[pr->n_kills++];
  *rec = (KillRecord){.uid = xstrdup(kp->uid),
                      .ctr_id = xstrdup(c->id),
                      .deadline_usec = now_monotonic_usec() + (uint64_t)grace_sec * 1000000u};
  bool started = false;
  if (pre && !pr->stopping) {
    PreStopJob *j = xzalloc(sizeof *j);
    *j = (PreStopJob){.pr = pr,
                      .uid = xstrdup(kp->uid),
                      .ns = xstrdup(kp->ns),
                      .pod_name = xstrdup(kp->name),
                      .ctr_name = xstrdup(c->name),
                      .field_path = kubelet_ctr_field_path(kp, c->name),
                      .ctr_id = xstrdup(c->id),
                      .netns = kubelet_pod_host_network(pod) ? NULL : runtime_netns_name(kp->uid),
                      .pod_ip = jstr(pod, "status.podIP") ? xstrdup(jstr(pod, "status.podIP")) : NULL,
                      .handler = json_deep_copy(pre),
                      .spec_ctr = json_deep_copy(spec_ctr),
                      .grace_sec = grace_sec};
    rec->hook_running = started = spawn_locked(pr, pre_stop_main, j);
    if (!started) {
      json_decref(j->handler);
      json_decref(j->spec_ctr);
      free(j->uid), free(j->ns), free(j->pod_name), free(j->ctr_name), free(j->field_path);
      free(j->ctr_id), free(j->netns), free(j->pod_ip), free(j);
    }
  }
  pthread_mutex_unlock(&pr->lock);
  if (!started)
    runtime_runc_kill(&k->rt, c->id, SIGTERM);
}

void kubelet_ctr_kill_check(Kubelet *k, KubeletPod *kp, KubeletCtr *c) {
  KubeletProber *pr = k->prober;
  if (!c->kill_id)
    return;
  if (c->state != KUBELET_CTR_RUNNING || !streq_ptr(c->id, c->kill_id)) {
    kill_drop(pr, kp->uid, c->kill_id); /* it ended */
    free(c->kill_id);
    c->kill_id = NULL;
    return;
  }
  pthread_mutex_lock(&pr->lock);
  KillRecord *rec = kill_find(pr, kp->uid, c->kill_id);
  bool now_kill = rec && !rec->hook_running && !rec->sigkilled && now_monotonic_usec() >= rec->deadline_usec;
  if (now_kill)
    rec->sigkilled = true;
  pthread_mutex_unlock(&pr->lock);
  if (now_kill) {
    log_info("kubelet", "pod=%s/%s container=%s msg=\"grace period over: SIGKILL\"", kp->ns, kp->name,
             c->name);
    runtime_runc_kill(&k->rt, c->kill_id, SIGKILL);
  }
}

/* ---- the pod worker's hook ---- */

static int64_t pod_grace(json_t *pod) {
  return jint(pod, "spec.terminationGracePeriodSeconds", 30);
}

/* Whether the API's status already says this instance of c started. */
static bool reported_started(json_t *pod, const KubeletCtr *c) {
  size_t i;
  json_t *cs;
  json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs) {
    const char *id = jstr(cs, "containerID");
    if (streq_ptr(jstr(cs, "name"), c->name) && id && startswith(id, "runc://") && streq_ptr(id + 7, c->id))
      return json_is_true(json_object_get(cs, "started"));
  }
  return false;
}

void kubelet_probes_sync(Kubelet *k, KubeletPod *kp, json_t *pod, uint64_t *next) {
  KubeletProber *pr = k->prober;
  json_t *containers = jpath(pod, "spec.containers");
  const char *pod_ip = jstr(pod, "status.podIP");
  uint64_t now_mono = now_monotonic_usec(), now_real = now_realtime_usec();
  for (size_t i = 0; i < kp->n_ctrs && i < json_array_size(containers); i++) {
    KubeletCtr *c = &kp->ctrs[i];
    json_t *spec_ctr = json_array_get(containers, i);
    bool running = c->state == KUBELET_CTR_RUNNING && c->id && !c->kill_id;
    KubeletProbeResult res[_KUBELET_PROBE_MAX];
    bool has[_KUBELET_PROBE_MAX];
    pthread_mutex_lock(&pr->lock);
    bool startup_ok = true;
    for (int t = 0; t < _KUBELET_PROBE_MAX; t++) {
      json_t *probe = json_object_get(spec_ctr, kubelet_probe_type_field((KubeletProbeType)t));
      has[t] = json_is_object(probe);
      res[t] = KUBELET_PROBE_UNKNOWN;
      if (!has[t])
        continue;
      ProbeWorker *w = worker_find(pr, kp->uid, c->name, (KubeletProbeType)t);
      if (!w && !pr->stopping) {
        w = xzalloc(sizeof *w);
        *w = (ProbeWorker){.pr = pr,
                           .type = (KubeletProbeType)t,
                           .uid = xstrdup(kp->uid),
                           .key = xstrdup(kp->key),
                           .ns = xstrdup(kp->ns),
                           .pod_name = xstrdup(kp->name),
                           .ctr_name = xstrdup(c->name),
                           .field_path = kubelet_ctr_field_path(kp, c->name),
                           .netns = kubelet_pod_host_network(pod) ? NULL : runtime_netns_name(kp->uid),
                           .probe = json_deep_copy(probe),
                           .spec_ctr = json_deep_copy(spec_ctr)};
        kubelet_probe_spec_parse(probe, &w->spec);
        kubelet_probe_counter_init(&w->counter, w->type);
        if (spawn_locked(pr, worker_main, w)) {
          pr->w = xrealloc(pr->w, (pr->n_w + 1) * sizeof *pr->w);
          pr->w[pr->n_w++] = w;
        } else {
          worker_free(w);
          w = NULL;
        }
      }
      if (!w)
        continue;
      if (!streq_ptr(w->pod_ip, pod_ip)) {
        free(w->pod_ip);
        w->pod_ip = pod_ip ? xstrdup(pod_ip) : NULL;
      }
      if (running && !streq_ptr(w->ctr_id, c->id)) {
        /* A new instance: results start afresh, initialDelay counts from its start. */
        free(w->ctr_id);
        w->ctr_id = xstrdup(c->id);
        uint64_t age =
            now_real > (uint64_t)c->started_at * 1000000u ? now_real - (uint64_t)c->started_at * 1000000u : 0;
        w->started_usec = now_mono > age ? now_mono - age : 0;
        w->last_usec = 0;
        w->on_hold = false;
        kubelet_probe_counter_init(&w->counter, w->type);
        if (t == KUBELET_PROBE_STARTUP && reported_started(pod, c)) {
          /* Started before the agent restarted: kubelet does not run the startup probe again. */
          w->counter.result = KUBELET_PROBE_SUCCESS;
          w->on_hold = true;
        }
      } else if (!running && w->ctr_id) {
        free(w->ctr_id);
        w->ctr_id = NULL;
      }
      if (running)
        res[t] = w->counter.result;
      if (t == KUBELET_PROBE_STARTUP)
        startup_ok = res[t] == KUBELET_PROBE_SUCCESS;
    }
    /* Liveness and readiness wait for the startup probe (kubelet disables them until it succeeds). */
    for (int t = 0; t < _KUBELET_PROBE_MAX; t++) {
      ProbeWorker *w = has[t] && t != KUBELET_PROBE_STARTUP
                           ? worker_find(pr, kp->uid, c->name, (KubeletProbeType)t)
                           : NULL;
      if (w)
        w->gated = !startup_ok;
    }
    pthread_cond_broadcast(&pr->cond);
    pthread_mutex_unlock(&pr->lock);

    c->not_started = c->state == KUBELET_CTR_RUNNING && !startup_ok;
    c->not_ready = c->state == KUBELET_CTR_RUNNING &&
                   (!startup_ok || c->kill_id ||
                    (has[KUBELET_PROBE_READINESS] && res[KUBELET_PROBE_READINESS] != KUBELET_PROBE_SUCCESS));
    if (c->kill_id) {
      kubelet_ctr_kill_check(k, kp, c);
      if (c->kill_id && (!*next || *next > 200000))
        *next = 200000;
      continue;
    }
    if (!running)
      continue;
    KubeletProbeType failed = res[KUBELET_PROBE_LIVENESS] == KUBELET_PROBE_FAILURE  ? KUBELET_PROBE_LIVENESS
                              : res[KUBELET_PROBE_STARTUP] == KUBELET_PROBE_FAILURE ? KUBELET_PROBE_STARTUP
                                                                                    : KUBELET_PROBE_INVALID;
    if (failed == KUBELET_PROBE_INVALID)
      continue;
    json_t *probe = json_object_get(spec_ctr, kubelet_probe_type_field(failed));
    KubeletProbeSpec ps;
    kubelet_probe_spec_parse(probe, &ps);
    _cleanup_free_ char *msg = xasprintf(
        "Container %s failed %s probe%s", c->name, failed == KUBELET_PROBE_LIVENESS ? "liveness" : "startup",
        streq_ptr(jstr(pod, "spec.restartPolicy"), "Never") ? "" : ", will be restarted");
    kubelet_ctr_kill(k, kp, pod, c, msg, ps.grace_sec >= 0 ? ps.grace_sec : pod_grace(pod));
    c->not_ready = true;
    if (!*next || *next > 200000)
      *next = 200000;
  }
}
