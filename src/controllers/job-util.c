/* The Job controller's decisions, as pure functions of a Job and its pods: how many pods (or which
 * completion indexes) to start, which to stop, when the Job has succeeded (SuccessCriteriaMet, then
 * Complete once no pod runs) or failed (FailureTarget with BackoffLimitExceeded / DeadlineExceeded, then
 * Failed), suspension, the exponential back-off between failed attempts and ttlSecondsAfterFinished.
 *
 * Counting: finished pods are kept (as Kubernetes keeps failed pods for inspection), so succeeded and
 * failed come from the pods that exist, never lower than what status already says — a finished pod
 * deleted by hand does not un-count it. Kubernetes tracks this with a pod finalizer instead; a pod deleted
 * before the controller ever saw it finish is therefore not counted here. */
#include <errno.h>

#include "base/buf.h"
#include "controllers/workloads.h"

#define JOB_MAX_INDEXES 100000

bool job_finished(json_t *job, const char **ret_type) {
  static const char *const types[] = {"Complete", "Failed"};
  for (size_t i = 0; i < ELEMENTSOF(types); i++) {
    json_t *c = ctrl_condition(job, "status.conditions", types[i]);
    if (c && streq_ptr(jstr(c, "status"), "True")) {
      if (ret_type)
        *ret_type = types[i];
      return true;
    }
  }
  return false;
}

int64_t job_pod_index(json_t *pod) {
  const char *v = json_string_value(json_object_get(jpath(pod, "metadata.annotations"), JOB_INDEX_ANN));
  if (isempty(v))
    return -1;
  char *end;
  long long n = strtoll(v, &end, 10);
  if (*end || n < 0 || n >= JOB_MAX_INDEXES)
    return -1;
  return n;
}

char *job_format_indexes(const bool *set, int64_t n) {
  Buf b = BUF_INIT;
  for (int64_t i = 0; i < n;) {
    if (!set[i]) {
      i++;
      continue;
    }
    int64_t j = i;
    while (j + 1 < n && set[j + 1])
      j++;
    if (b.len)
      buf_putc(&b, ',');
    if (j == i)
      buf_printf(&b, "%lld", (long long)i);
    else
      buf_printf(&b, "%lld-%lld", (long long)i, (long long)j);
    i = j + 1;
  }
  return buf_steal(&b, NULL);
}

static bool is_indexed(json_t *job) {
  return streq_ptr(jstr(job, "spec.completionMode"), "Indexed");
}

json_t *job_new_pod(json_t *job, int64_t index) {
  json_t *tmpl = jpath(job, "spec.template");
  const char *name = jstr(job, "metadata.name");
  json_t *meta = json_object();
  _cleanup_free_ char *gen =
      index >= 0 ? xasprintf("%s-%lld-", name, (long long)index) : xasprintf("%s-", name);
  json_object_set_new(meta, "generateName", json_string(gen));
  json_object_set_new(meta, "namespace", json_string(jstr(job, "metadata.namespace")));
  json_t *labels = json_deep_copy(jpath(tmpl, "metadata.labels")),
         *ann = json_deep_copy(jpath(tmpl, "metadata.annotations"));
  if (!json_is_object(labels)) {
    json_decref(labels);
    labels = json_object();
  }
  if (!json_is_object(ann)) {
    json_decref(ann);
    ann = json_object();
  }
  json_t *spec = json_deep_copy(jpath(tmpl, "spec"));
  if (!json_is_object(spec)) {
    json_decref(spec);
    spec = json_object();
  }
  if (index >= 0) {
    char idx[24];
    snprintf(idx, sizeof idx, "%lld", (long long)index);
    json_object_set_new(ann, JOB_INDEX_ANN, json_string(idx));
    json_object_set_new(labels, JOB_INDEX_ANN, json_string(idx));
    if (!jstr(spec, "hostname")) {
      _cleanup_free_ char *host = xasprintf("%s-%lld", name, (long long)index);
      json_object_set_new(spec, "hostname", json_string(host));
    }
    /* As Kubernetes' Job controller does: the index reaches the containers through the downward API. */
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
      size_t i;
      json_t *c;
      json_array_foreach(json_object_get(spec, lists[l]), i, c) {
        json_t *env = json_object_get(c, "env");
        bool has = false;
        size_t k;
        json_t *e;
        json_array_foreach(env, k, e) has = has || streq_ptr(jstr(e, "name"), "JOB_COMPLETION_INDEX");
        if (has)
          continue;
        if (!json_is_array(env)) {
          env = json_array();
          json_object_set_new(c, "env", env);
        }
        json_array_append_new(env, json_pack("{s:s,s:{s:{s:s,s:s}}}", "name", "JOB_COMPLETION_INDEX",
                                             "valueFrom", "fieldRef", "apiVersion", "v1", "fieldPath",
                                             "metadata.annotations['" JOB_INDEX_ANN "']"));
      }
    }
  }
  json_object_set_new(meta, "labels", labels);
  if (json_object_size(ann))
    json_object_set_new(meta, "annotations", ann);
  else
    json_decref(ann);
  json_object_set_new(meta, "ownerReferences",
                      json_pack("[o]", ctrl_new_controller_ref(job, "batch/v1", "Job")));
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata", meta, "spec", spec);
}

/* Sets condition type to cstatus in status (a new conditions array), keeping lastTransitionTime when the
 * status did not change. Returns true if anything changed. */
static bool set_condition(json_t *status, const char *type, const char *cstatus, const char *reason,
                          const char *message, int64_t now) {
  json_t *old = json_object_get(status, "conditions");
  json_t *conds = json_array();
  json_t *prev = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(old, i, c) {
    if (streq_ptr(jstr(c, "type"), type))
      prev = c;
    else
      json_array_append(conds, c);
  }
  if (prev && streq_ptr(jstr(prev, "status"), cstatus) && streq_ptr(jstr(prev, "reason"), reason)) {
    json_decref(conds);
    return false;
  }
  char ts[32];
  ctrl_format_time(now, ts);
  const char *lt = prev && streq_ptr(jstr(prev, "status"), cstatus) ? jstr(prev, "lastTransitionTime") : ts;
  json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status", cstatus,
                                         "lastProbeTime", ts, "lastTransitionTime", lt ?: ts, "reason",
                                         reason, "message", message));
  json_object_set_new(status, "conditions", conds);
  return true;
}

static bool condition_true(json_t *status, const char *type) {
  json_t *c = ctrl_condition(status, "conditions", type);
  return c && streq_ptr(jstr(c, "status"), "True");
}

/* When a failed pod stopped: its containers' finishedAt, else its last condition change, else creation. */
static int64_t pod_finish_time(json_t *pod, int64_t now) {
  int64_t best = -1, t;
  size_t i;
  json_t *cs;
  json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs) {
    if (ctrl_parse_time(jstr(cs, "state.terminated.finishedAt"), &t) >= 0 && t > best)
      best = t;
  }
  if (best < 0) {
    json_t *c = ctrl_condition(pod, "status.conditions", "Ready");
    if (ctrl_parse_time(jstr(c, "lastTransitionTime"), &t) >= 0)
      best = t;
  }
  if (best < 0 && ctrl_parse_time(jstr(pod, "metadata.creationTimestamp"), &t) >= 0)
    best = t;
  return best < 0 ? now : best;
}

static void requeue_in(JobPlan *p, int64_t sec) {
  if (sec < 1)
    sec = 1;
  if (p->requeue <= 0 || sec < p->requeue)
    p->requeue = sec;
}

static void set_event(JobPlan *p, const char *type, const char *reason, const char *message) {
  if (!p->event_reason) {
    p->event_type = type;
    p->event_reason = reason;
    p->event_message = message;
  }
}

void job_plan_done(JobPlan *p) {
  json_decref(p->status);
  json_decref(p->create);
  json_decref(p->delete);
  *p = (JobPlan){0};
}

/* Finishing: the target condition is set, running pods are stopped, and the terminal condition follows
 * once none runs. */
static void finish(JobPlan *p, json_t *active, bool success, const char *reason, const char *message,
                   int64_t now) {
  json_t *st = p->status;
  set_condition(st, success ? "SuccessCriteriaMet" : "FailureTarget", "True", reason, message, now);
  json_array_extend(p->delete, active);
  if (json_array_size(active))
    return;
  if (success) {
    char ts[32];
    ctrl_format_time(now, ts);
    json_object_set_new(st, "completionTime", json_string(ts));
    set_condition(st, "Complete", "True", reason, message, now);
    set_event(p, "Normal", "Completed", "Job completed");
  } else {
    set_condition(st, "Failed", "True", reason, message, now);
    set_event(p, "Warning", reason, message);
  }
}

void job_plan(json_t *job, json_t *pods, int64_t now, JobPlan *p) {
  *p = (JobPlan){
      .status = json_deep_copy(jpath(job, "status")), .create = json_array(), .delete = json_array()};
  if (!json_is_object(p->status)) {
    json_decref(p->status);
    p->status = json_object();
  }
  json_t *st = p->status;
  const char *ftype = NULL;
  if (job_finished(job, &ftype)) {
    json_t *ttl = jpath(job, "spec.ttlSecondsAfterFinished");
    if (json_is_integer(ttl)) {
      int64_t at;
      json_t *c = ctrl_condition(job, "status.conditions", ftype);
      if (ctrl_parse_time(jstr(job, "status.completionTime"), &at) < 0 &&
          ctrl_parse_time(jstr(c, "lastTransitionTime"), &at) < 0)
        at = now;
      int64_t left = at + json_integer_value(ttl) - now;
      if (left <= 0)
        p->delete_job = true;
      else
        requeue_in(p, left);
    }
    return;
  }
  bool indexed = is_indexed(job);
  int64_t parallelism = jint(job, "spec.parallelism", 1), backoff_limit = jint(job, "spec.backoffLimit", 6);
  json_t *jc = jpath(job, "spec.completions");
  bool has_completions = json_is_integer(jc);
  int64_t completions = has_completions ? json_integer_value(jc) : -1;
  if (indexed && (!has_completions || completions > JOB_MAX_INDEXES))
    return; /* validation requires completions for Indexed Jobs */
  bool on_failure = streq_ptr(jstr(job, "spec.template.spec.restartPolicy"), "OnFailure");

  _cleanup_json_ json_t *active = json_array();
  int64_t succeeded = 0, failed = 0, ready = 0, restarts = 0, last_failure = -1;
  _cleanup_free_ bool *done = indexed ? xcalloc((size_t)completions + 1, 1) : NULL;
  _cleanup_free_ bool *running = indexed ? xcalloc((size_t)completions + 1, 1) : NULL;
  size_t i;
  json_t *pod;
  json_array_foreach(pods, i, pod) {
    const char *phase = jstr(pod, "status.phase");
    int64_t idx = indexed ? job_pod_index(pod) : -1;
    if (streq_ptr(phase, "Succeeded")) {
      if (indexed) {
        if (idx >= 0 && idx < completions)
          done[idx] = true;
      } else {
        succeeded++;
      }
    } else if (streq_ptr(phase, "Failed")) {
      failed++;
      int64_t t = pod_finish_time(pod, now);
      if (t > last_failure)
        last_failure = t;
    } else if (!ctrl_is_deleting(pod)) {
      if (indexed && (idx < 0 || idx >= completions || running[idx])) {
        json_array_append(p->delete, pod); /* no index, out of range or a duplicate: not needed */
        continue;
      }
      if (indexed)
        running[idx] = true;
      json_array_append(active, pod);
      ready += ctrl_pod_is_ready(pod);
      restarts += on_failure ? ctrl_pod_restarts(pod) : 0;
    }
  }
  if (indexed) {
    for (int64_t k = 0; k < completions; k++)
      succeeded += done[k];
    _cleanup_free_ char *ci = job_format_indexes(done, completions);
    if (*ci)
      json_object_set_new(st, "completedIndexes", json_string(ci));
  } else {
    succeeded = MAX(succeeded, jint(st, "succeeded", 0));
  }
  failed = MAX(failed, jint(st, "failed", 0));
  int64_t nactive = (int64_t)json_array_size(active);

  bool suspended = json_is_true(jpath(job, "spec.suspend"));
  bool ft = condition_true(st, "FailureTarget"), sc = condition_true(st, "SuccessCriteriaMet");
  if (ft) {
    json_t *c = ctrl_condition(st, "conditions", "FailureTarget");
    finish(p, active, false, jstr(c, "reason") ?: "BackoffLimitExceeded", jstr(c, "message") ?: "", now);
  } else if (sc) {
    finish(p, active, true, "CompletionsReached", "Reached expected number of succeeded pods", now);
  } else if (suspended) {
    json_array_extend(p->delete, active);
    if (set_condition(st, "Suspended", "True", "JobSuspended", "Job suspended", now))
      set_event(p, "Normal", "Suspended", "Job suspended");
    json_object_del(st, "startTime"); /* activeDeadlineSeconds counts again from the resume */
  } else {
    if (condition_true(st, "Suspended") &&
        set_condition(st, "Suspended", "False", "JobResumed", "Job resumed", now))
      set_event(p, "Normal", "Resumed", "Job resumed");
    int64_t start;
    if (ctrl_parse_time(jstr(st, "startTime"), &start) < 0) {
      start = now;
      char ts[32];
      ctrl_format_time(now, ts);
      json_object_set_new(st, "startTime", json_string(ts));
    }
    json_t *ads = jpath(job, "spec.activeDeadlineSeconds");
    bool complete = indexed ? succeeded >= completions
                            : (has_completions ? succeeded >= completions : succeeded > 0 && nactive == 0);
    if (failed + restarts > backoff_limit) {
      finish(p, active, false, "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
    } else if (json_is_integer(ads) && now - start >= json_integer_value(ads)) {
      finish(p, active, false, "DeadlineExceeded", "Job was active longer than specified deadline", now);
    } else if (complete) {
      finish(p, active, true, "CompletionsReached", "Reached expected number of succeeded pods", now);
    } else {
      if (json_is_integer(ads))
        requeue_in(p, start + json_integer_value(ads) - now);
      int64_t want;
      if (indexed)
        want = MIN(parallelism, completions - succeeded);
      else if (has_completions)
        want = MIN(parallelism, completions - succeeded);
      else
        want = succeeded > 0 ? MIN(nactive, parallelism) : parallelism;
      if (want < 0)
        want = 0;
      if (nactive > want) {
        _cleanup_json_ json_t *victims = json_copy(active);
        rs_sort_victims(victims, now);
        for (int64_t k = 0; k < nactive - want; k++)
          json_array_append(p->delete, json_array_get(victims, (size_t)k));
      } else if (nactive < want) {
        int64_t wait = 0;
        if (failed > 0 && last_failure >= 0) {
          int64_t delay = JOB_BACKOFF_BASE_SEC;
          for (int64_t k = 1; k < failed && delay < JOB_BACKOFF_MAX_SEC; k++)
            delay *= 2;
          delay = MIN(delay, JOB_BACKOFF_MAX_SEC);
          wait = last_failure + delay - now;
        }
        if (wait > 0) {
          requeue_in(p, wait);
        } else if (indexed) {
          int64_t n = want - nactive;
          for (int64_t k = 0; k < completions && n > 0; k++)
            if (!done[k] && !running[k]) {
              json_array_append_new(p->create, json_integer(k));
              n--;
            }
        } else {
          for (int64_t k = nactive; k < want; k++)
            json_array_append_new(p->create, json_null());
        }
      }
    }
  }
  /* Counts as Kubernetes reports them: zero active/succeeded/failed are omitted, ready is always there. */
  static const char *const counts[] = {"active", "succeeded", "failed"};
  int64_t values[] = {nactive, succeeded, failed};
  for (size_t k = 0; k < ELEMENTSOF(counts); k++) {
    if (values[k])
      json_object_set_new(st, counts[k], json_integer(values[k]));
    else
      json_object_del(st, counts[k]);
  }
  json_object_set_new(st, "ready", json_integer(ready));
}
