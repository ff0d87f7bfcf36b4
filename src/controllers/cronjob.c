/* The CronJob controller: creates a Job named <cronjob>-<scheduled time in minutes since the epoch> for
 * each time the schedule fires (only the most recent missed time when several were missed, none if it is
 * older than startingDeadlineSeconds), honours suspend and concurrencyPolicy (Allow; Forbid skips a run
 * while a Job is active; Replace deletes the active Jobs first), keeps status.active,
 * lastScheduleTime and lastSuccessfulTime, and deletes finished Jobs beyond successfulJobsHistoryLimit /
 * failedJobsHistoryLimit (oldest first). Each sync queues the CronJob again for its next scheduled time,
 * so nothing polls. Schedules are evaluated in UTC unless spec.timeZone names a fixed-offset zone
 * (cron.c). */
#include <errno.h>

#include "controllers/workloads.h"

#define COMPONENT "cronjob-controller"
#define SCHEDULED_ANN "batch.kubernetes.io/cronjob-scheduled-timestamp"

typedef struct CjState {
  CtrlController *c;
  Informer *cjs, *jobs;
} CjState;

int64_t cronjob_most_recent(const CronSchedule *s, int64_t earliest, int64_t now, int64_t offset,
                            int64_t *ret_missed) {
  int64_t last = -1, n = 0;
  int64_t t = cron_next(s, earliest, offset);
  for (; t >= 0 && t <= now && n < 200; t = cron_next(s, t, offset)) {
    last = t;
    n++;
  }
  if (t >= 0 && t <= now) {
    /* Many missed: find the latest by looking back from now in growing windows. */
    static const int64_t windows[] = {3600, 86400, 32 * 86400, 366 * 86400, 5 * 366 * 86400};
    for (size_t w = 0; w < ELEMENTSOF(windows); w++) {
      int64_t from = MAX(now - windows[w], earliest);
      int64_t x = cron_next(s, from, offset);
      if (x < 0 || x > now)
        continue;
      for (; x >= 0 && x <= now; x = cron_next(s, x, offset))
        last = x;
      break;
    }
    n = INT64_MAX;
  }
  if (ret_missed)
    *ret_missed = n;
  return last;
}

json_t *cronjob_new_job(json_t *cj, int64_t t) {
  json_t *jt = jpath(cj, "spec.jobTemplate");
  _cleanup_free_ char *name = xasprintf("%s-%lld", jstr(cj, "metadata.name"), (long long)(t / 60));
  json_t *labels = json_deep_copy(jpath(jt, "metadata.labels"));
  json_t *ann = json_deep_copy(jpath(jt, "metadata.annotations"));
  if (!json_is_object(ann)) {
    json_decref(ann);
    ann = json_object();
  }
  char ts[32];
  ctrl_format_time(t, ts);
  json_object_set_new(ann, SCHEDULED_ANN, json_string(ts));
  json_t *meta =
      json_pack("{s:s,s:s,s:o,s:[o]}", "name", name, "namespace", jstr(cj, "metadata.namespace"),
                "annotations", ann, "ownerReferences", ctrl_new_controller_ref(cj, "batch/v1", "CronJob"));
  if (json_is_object(labels))
    json_object_set_new(meta, "labels", labels);
  else
    json_decref(labels);
  json_t *spec = json_deep_copy(jpath(jt, "spec"));
  return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "batch/v1", "kind", "Job", "metadata", meta, "spec",
                   json_is_object(spec) ? spec : json_object());
}

static char *owning_cj(CjState *s, json_t *job) {
  json_t *ref = ctrl_controller_ref(job);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "CronJob") || !streq_ptr(jstr(ref, "apiVersion"), "batch/v1"))
    return NULL;
  _cleanup_free_ char *key = xasprintf("%s/%s", jstr(job, "metadata.namespace"), jstr(ref, "name"));
  return TAKE_PTR(key);
}

static void on_job(json_t *job, void *ud) {
  CjState *s = ud;
  _cleanup_free_ char *key = owning_cj(s, job);
  ctrl_enqueue(s->c, key);
}
static void on_job_update(json_t *old, json_t *job, void *ud) {
  if (!streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(job, "metadata.resourceVersion")))
    on_job(job, ud);
}
static void on_cj(json_t *cj, void *ud) {
  CjState *s = ud;
  ctrl_enqueue_obj(s->c, cj);
}
static void on_cj_update(json_t *old, json_t *cj, void *ud) {
  on_cj(cj, ud);
}

static json_t *job_ref(json_t *job) {
  return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "apiVersion", "batch/v1", "kind", "Job", "name",
                   jstr(job, "metadata.name"), "namespace", jstr(job, "metadata.namespace"), "uid",
                   jstr(job, "metadata.uid") ?: "", "resourceVersion",
                   jstr(job, "metadata.resourceVersion") ?: "");
}

static int64_t job_start(json_t *job) {
  int64_t t;
  if (ctrl_parse_time(jstr(job, "status.startTime"), &t) < 0 &&
      ctrl_parse_time(jstr(job, "metadata.creationTimestamp"), &t) < 0)
    t = 0;
  return t;
}

static int cmp_start(const void *a, const void *b) {
  int64_t x = job_start(*(json_t *const *)a), y = job_start(*(json_t *const *)b);
  return x < y ? -1 : x > y;
}

static void delete_job(CjState *s, json_t *cj, json_t *job, const char *why) {
  ClientDeleteOptions o = {.propagation_policy = "Background", .precondition_uid = jstr(job, "metadata.uid")};
  Error e = ERROR_INIT;
  if (client_delete(s->c->m->client, ctrl_resource(CTRL_JOBS), jstr(job, "metadata.namespace"),
                    jstr(job, "metadata.name"), &o, NULL, &e) >= 0)
    ctrl_event(s->c->m, cj, "batch/v1", "CronJob", COMPONENT, "Normal", "SuccessfulDelete", "Deleted job %s",
               jstr(job, "metadata.name"));
  else if (e.http != 404)
    log_warn(COMPONENT, "msg=\"deleting job failed\" job=%s why=%s err=\"%s\"", jstr(job, "metadata.name"),
             why, e.message ?: "");
  error_reset(&e);
}

/* Deletes the oldest finished Jobs of one outcome beyond limit. */
static void clean_history(CjState *s, json_t *cj, json_t *finished, int64_t limit) {
  size_t n = json_array_size(finished);
  if (limit < 0 || (int64_t)n <= limit)
    return;
  json_t **v = xcalloc(n, sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_array_get(finished, i);
  qsort(v, n, sizeof *v, cmp_start);
  for (size_t i = 0; i < n - (size_t)limit; i++)
    delete_job(s, cj, v[i], "history limit");
  free(v);
}

static int cj_sync(CtrlController *c, const char *key, Error *err) {
  CjState *s = c->state;
  _cleanup_json_ json_t *cj = informer_get(s->cjs, key);
  if (!cj || ctrl_is_deleting(cj))
    return 0;
  int64_t now = ctrl_now_sec();
  _cleanup_json_ json_t *all = informer_list_namespace(s->jobs, jstr(cj, "metadata.namespace"));
  _cleanup_json_ json_t *active = json_array(), *succeeded = json_array(), *failed = json_array();
  _cleanup_json_ json_t *status = json_deep_copy(jpath(cj, "status"));
  if (!json_is_object(status)) {
    json_decref(status);
    status = json_object();
  }
  int64_t last_success = -1;
  ctrl_parse_time(jstr(status, "lastSuccessfulTime"), &last_success);
  size_t i;
  json_t *job;
  json_array_foreach(all, i, job) {
    if (!ctrl_is_controlled_by(job, cj))
      continue;
    const char *type = NULL;
    if (!job_finished(job, &type)) {
      if (!ctrl_is_deleting(job))
        json_array_append_new(active, job_ref(job));
      continue;
    }
    /* A Job that was active last time and is finished now: say so once. */
    size_t k;
    json_t *ref;
    json_array_foreach(jpath(status, "active"), k, ref) {
      if (streq_ptr(jstr(ref, "uid"), jstr(job, "metadata.uid")))
        ctrl_event(c->m, cj, "batch/v1", "CronJob", COMPONENT, "Normal", "SawCompletedJob",
                   "Saw completed job: %s, status: %s", jstr(job, "metadata.name"), type);
    }
    if (streq(type, "Complete")) {
      json_array_append(succeeded, job);
      int64_t t;
      if (ctrl_parse_time(jstr(job, "status.completionTime"), &t) >= 0 && t > last_success)
        last_success = t;
    } else {
      json_array_append(failed, job);
    }
  }
  if (last_success >= 0) {
    char ts[32];
    ctrl_format_time(last_success, ts);
    json_object_set_new(status, "lastSuccessfulTime", json_string(ts));
  }
  clean_history(s, cj, succeeded, jint(cj, "spec.successfulJobsHistoryLimit", 3));
  clean_history(s, cj, failed, jint(cj, "spec.failedJobsHistoryLimit", 1));

  CronSchedule sched;
  int64_t offset = 0;
  Error perr = ERROR_INIT;
  bool schedulable = true;
  if (cron_parse(jstr(cj, "spec.schedule"), &sched, &perr) < 0) {
    ctrl_event(c->m, cj, "batch/v1", "CronJob", COMPONENT, "Warning", "UnparseableSchedule",
               "unparseable schedule: \"%s\" : %s", jstr(cj, "spec.schedule") ?: "", perr.message ?: "");
    schedulable = false;
  } else if (cron_zone_offset(jstr(cj, "spec.timeZone"), &offset) < 0) {
    ctrl_event(c->m, cj, "batch/v1", "CronJob", COMPONENT, "Warning", "UnknownTimeZone",
               "invalid timeZone: \"%s\": only UTC and Etc/GMT+N zones are supported",
               jstr(cj, "spec.timeZone"));
    schedulable = false;
  }
  error_reset(&perr);
  int rc = 0;
  if (schedulable && !json_is_true(jpath(cj, "spec.suspend"))) {
    int64_t earliest;
    if (ctrl_parse_time(jstr(status, "lastScheduleTime"), &earliest) < 0 &&
        ctrl_parse_time(jstr(cj, "metadata.creationTimestamp"), &earliest) < 0)
      earliest = now;
    json_t *sds = jpath(cj, "spec.startingDeadlineSeconds");
    if (json_is_integer(sds) && now - json_integer_value(sds) > earliest)
      earliest = now - json_integer_value(sds) - 1;
    int64_t missed = 0;
    int64_t t = cronjob_most_recent(&sched, earliest, now, offset, &missed);
    if (missed > 100)
      ctrl_event(
          c->m, cj, "batch/v1", "CronJob", COMPONENT, "Warning", "TooManyMissedTimes",
          "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew");
    const char *policy = jstr(cj, "spec.concurrencyPolicy") ?: "Allow";
    if (t >= 0 && streq(policy, "Forbid") && json_array_size(active)) {
      log_debug(COMPONENT, "msg=\"not starting job: a previous one is active\" cronjob=%s", key);
      t = -1; /* retried at the next scheduled time, or when the active Job finishes */
    }
    if (t >= 0 && streq(policy, "Replace")) {
      json_array_foreach(all, i, job) {
        if (ctrl_is_controlled_by(job, cj) && !job_finished(job, NULL) && !ctrl_is_deleting(job))
          delete_job(s, cj, job, "replace");
      }
      json_array_clear(active);
    }
    if (t >= 0) {
      _cleanup_json_ json_t *nj = cronjob_new_job(cj, t), *created = NULL;
      Error e = ERROR_INIT;
      rc = client_create(c->m->client, ctrl_resource(CTRL_JOBS), jstr(cj, "metadata.namespace"), nj, &created,
                         &e);
      if (rc >= 0) {
        ctrl_event(c->m, cj, "batch/v1", "CronJob", COMPONENT, "Normal", "SuccessfulCreate", "Created job %s",
                   jstr(created, "metadata.name"));
        json_array_append_new(active, job_ref(created));
      } else if (rc == -EEXIST) {
        rc = 0; /* created before our status said so */
      } else {
        ctrl_event(c->m, cj, "batch/v1", "CronJob", COMPONENT, "Warning", "FailedCreate",
                   "Error creating job: %s", e.message ?: strerror(-rc));
      }
      if (rc < 0) {
        return ctrl_pass_error(rc, &e, err);
      }
      error_reset(&e);
      char ts[32];
      ctrl_format_time(t, ts);
      json_object_set_new(status, "lastScheduleTime", json_string(ts));
    }
    int64_t next = cron_next(&sched, now, offset);
    if (next >= 0)
      ctrl_enqueue_after(c, key, (uint64_t)(next - now) * 1000000 + 200000);
  }
  if (json_array_size(active))
    json_object_set(status, "active", active);
  else
    json_object_del(status, "active");
  if (!json_equal(status, jpath(cj, "status")))
    rc = ctrl_update_status(c->m->client, ctrl_resource(CTRL_CRONJOBS), cj, status, err);
  return rc == -ENOENT ? 0 : rc;
}

int cronjob_controller_setup(CtrlManager *m, Error *err) {
  CjState *s = xzalloc(sizeof *s);
  s->c = ctrl_controller_new(m, "cronjob", cj_sync, s, free);
  s->cjs = ctrl_informer(m, CTRL_CRONJOBS);
  s->jobs = ctrl_informer(m, CTRL_JOBS);
  informer_add_handlers(s->cjs,
                        &(InformerHandlers){.on_add = on_cj, .on_update = on_cj_update, .userdata = s});
  informer_add_handlers(
      s->jobs,
      &(InformerHandlers){.on_add = on_job, .on_update = on_job_update, .on_delete = on_job, .userdata = s});
  return 0;
}
