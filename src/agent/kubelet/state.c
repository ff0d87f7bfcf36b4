/* The kubelet's record of a pod on disk (DATA_DIR/agent/pods/UID/state.json), rewritten atomically after
 * every change so that a restarted agent re-adopts running containers with their restart counts, last
 * states and back-offs instead of starting them again. */
#include <errno.h>

#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"

static json_t *term_to_json(const KubeletTerm *t) {
  return json_pack("{s:i,s:i,s:s?,s:s?,s:I,s:I,s:s?}", "exitCode", t->exit_code, "signal", t->signal,
                   "reason", t->reason, "message", t->message, "startedAt", (json_int_t)t->started_at,
                   "finishedAt", (json_int_t)t->finished_at, "containerID", t->container_id);
}

static char *dup_or_null(const char *s) {
  return s ? xstrdup(s) : NULL;
}

static void term_from_json(json_t *j, KubeletTerm *t) {
  kubelet_term_done(t);
  t->exit_code = (int)jint(j, "exitCode", 0);
  t->signal = (int)jint(j, "signal", 0);
  t->reason = dup_or_null(jstr(j, "reason"));
  t->message = dup_or_null(jstr(j, "message"));
  t->started_at = jint(j, "startedAt", 0);
  t->finished_at = jint(j, "finishedAt", 0);
  t->container_id = dup_or_null(jstr(j, "containerID"));
}

static json_t *ctrs_to_json(const KubeletCtr *list, size_t n) {
  json_t *ctrs = json_array();
  for (size_t i = 0; i < n; i++) {
    const KubeletCtr *c = &list[i];
    json_t *o = json_pack("{s:s,s:s,s:s?,s:s?,s:i,s:i,s:s?,s:s?,s:s?,s:I,s:i,s:i,s:i,s:I,s:i,s:I}", "name",
                          c->name, "state", kubelet_ctr_state_to_string(c->state), "reason", c->reason,
                          "message", c->message, "restartCount", c->restart_count, "instance", c->instance,
                          "id", c->id, "image", c->image, "imageID", c->image_id, "startedAt",
                          (json_int_t)c->started_at, "pid", (int)c->pid, "shimPid", (int)c->shim_pid,
                          "backoffN", c->backoff_n, "backoffUntil", (json_int_t)c->backoff_until_usec,
                          "pullFailures", c->pull_failures, "pullRetry", (json_int_t)c->pull_retry_usec);
    if (c->state == KUBELET_CTR_TERMINATED)
      json_object_set_new(o, "term", term_to_json(&c->term));
    if (c->has_last)
      json_object_set_new(o, "last", term_to_json(&c->last));
    json_array_append_new(ctrs, o);
  }
  return ctrs;
}

int kubelet_state_save(Kubelet *k, KubeletPod *kp) {
  json_t *ctrs = ctrs_to_json(kp->ctrs, kp->n_ctrs);
  _cleanup_json_ json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:o}", "uid", kp->uid, "namespace", kp->ns, "name",
                                       kp->name, "startTime", (json_int_t)kp->start_time, "containers", ctrs);
  if (kp->n_inits)
    json_object_set_new(j, "initContainers", ctrs_to_json(kp->inits, kp->n_inits));
  if (kp->pod_ip)
    json_object_set_new(j, "podIP", json_string(kp->pod_ip));
  _cleanup_free_ char *dir = runtime_pod_dir(&k->rt, kp->uid);
  _cleanup_free_ char *path = xasprintf("%s/state.json", dir), *text = json_compact(j);
  /* Synced every second while containers run: write (and fsync) only what changed. */
  if (kp->last_saved && streq(kp->last_saved, text))
    return 0;
  mkdir_p(dir, 0700);
  int rc = write_file_atomic(path, text, strlen(text), 0600);
  if (rc >= 0) {
    free(kp->last_saved);
    kp->last_saved = TAKE_PTR(text);
  }
  return rc;
}

static void ctrs_from_json(json_t *arr, KubeletCtr *list, size_t count);

int kubelet_state_load(Kubelet *k, KubeletPod *kp) {
  _cleanup_free_ char *dir = runtime_pod_dir(&k->rt, kp->uid);
  _cleanup_free_ char *path = xasprintf("%s/state.json", dir), *text = NULL;
  size_t len;
  int rc = read_file(path, &text, &len);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *j = json_loadb(text, len, 0, NULL);
  if (!j)
    return -EBADMSG;
  kp->start_time = jint(j, "startTime", 0);
  if (jstr(j, "podIP"))
    kp->pod_ip = xstrdup(jstr(j, "podIP"));
  ctrs_from_json(json_object_get(j, "containers"), kp->ctrs, kp->n_ctrs);
  ctrs_from_json(json_object_get(j, "initContainers"), kp->inits, kp->n_inits);
  return 0;
}

static void ctrs_from_json(json_t *arr, KubeletCtr *list, size_t count) {
  size_t i;
  json_t *o;
  json_array_foreach(arr, i, o) {
    for (size_t n = 0; n < count; n++) {
      KubeletCtr *c = &list[n];
      if (!streq_ptr(c->name, jstr(o, "name")))
        continue;
      KubeletCtrState st = kubelet_ctr_state_from_string(jstr(o, "state"));
      c->state = st == KUBELET_CTR_INVALID ? KUBELET_CTR_WAITING : st;
      free(c->reason);
      free(c->message);
      c->reason = dup_or_null(jstr(o, "reason"));
      c->message = dup_or_null(jstr(o, "message"));
      c->restart_count = (int)jint(o, "restartCount", 0);
      c->instance = (int)jint(o, "instance", -1);
      free(c->id);
      c->id = dup_or_null(jstr(o, "id"));
      free(c->image);
      c->image = dup_or_null(jstr(o, "image"));
      free(c->image_id);
      c->image_id = dup_or_null(jstr(o, "imageID"));
      c->started_at = jint(o, "startedAt", 0);
      c->pid = (pid_t)jint(o, "pid", 0);
      c->shim_pid = (pid_t)jint(o, "shimPid", 0);
      c->backoff_n = (int)jint(o, "backoffN", 0);
      c->backoff_until_usec = (uint64_t)jint(o, "backoffUntil", 0);
      c->pull_failures = (int)jint(o, "pullFailures", 0);
      c->pull_retry_usec = (uint64_t)jint(o, "pullRetry", 0);
      if (json_object_get(o, "term"))
        term_from_json(json_object_get(o, "term"), &c->term);
      c->has_last = json_object_get(o, "last") != NULL;
      if (c->has_last)
        term_from_json(json_object_get(o, "last"), &c->last);
    }
  }
}

void kubelet_pod_free(KubeletPod *kp) {
  if (!kp)
    return;
  for (size_t i = 0; i < kp->n_ctrs; i++)
    kubelet_ctr_done(&kp->ctrs[i]);
  free(kp->ctrs);
  for (size_t i = 0; i < kp->n_inits; i++)
    kubelet_ctr_done(&kp->inits[i]);
  free(kp->inits);
  free(kp->key);
  free(kp->uid);
  free(kp->ns);
  free(kp->name);
  free(kp->last_status);
  free(kp->pod_ip);
  free(kp->last_saved);
  free(kp);
}
