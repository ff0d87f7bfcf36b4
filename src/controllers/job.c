/* The Job controller: runs a Job's pods to completion. Each sync reads the Job and every pod it controls
 * from the shared informers, lets job_plan (job-util.c) decide, then creates pods (NonIndexed:
 * generateName <job>-; Indexed: <job>-<index>- with the completion-index annotation, label and hostname),
 * deletes the ones no longer needed, writes status, records events and deletes the Job itself once
 * ttlSecondsAfterFinished has passed. Timed work (back-off after failures, activeDeadlineSeconds, TTL)
 * comes back through the queue's delayed adds. Expectations keep a slow watch from causing double
 * creations, as in the ReplicaSet controller. Orphan pods are not adopted: the default selector is the
 * Job's own uid, so only a manualSelector Job could have any. */
#include <errno.h>

#include "controllers/workloads.h"

#define COMPONENT "job-controller"
#define JOB_BURST 500

typedef struct JobState {
  CtrlController *c;
  Informer *pods, *jobs;
  CtrlExpectations exp;
} JobState;

static char *controlling_job(JobState *s, json_t *pod) {
  json_t *ref = ctrl_controller_ref(pod);
  if (!ref || !streq_ptr(jstr(ref, "kind"), "Job") || !streq_ptr(jstr(ref, "apiVersion"), "batch/v1"))
    return NULL;
  _cleanup_json_ json_t *job =
      informer_get_by_name(s->jobs, jstr(pod, "metadata.namespace"), jstr(ref, "name"));
  if (!job || !streq_ptr(jstr(job, "metadata.uid"), jstr(ref, "uid")))
    return NULL;
  return informer_key(job);
}

static void on_pod_delete(json_t *pod, void *ud) {
  JobState *s = ud;
  _cleanup_free_ char *key = controlling_job(s, pod);
  if (!key)
    return;
  ctrl_expectations_deletion_observed(&s->exp, key, jstr(pod, "metadata.uid"));
  ctrl_enqueue(s->c, key);
}

static void on_pod_add(json_t *pod, void *ud) {
  JobState *s = ud;
  if (ctrl_is_deleting(pod)) {
    on_pod_delete(pod, ud);
    return;
  }
  _cleanup_free_ char *key = controlling_job(s, pod);
  if (!key)
    return;
  ctrl_expectations_creation_observed(&s->exp, key);
  ctrl_enqueue(s->c, key);
}

static void on_pod_update(json_t *old, json_t *pod, void *ud) {
  JobState *s = ud;
  if (streq_ptr(jstr(old, "metadata.resourceVersion"), jstr(pod, "metadata.resourceVersion")))
    return;
  if (ctrl_is_deleting(pod) && !ctrl_is_deleting(old)) {
    on_pod_delete(pod, ud);
    return;
  }
  _cleanup_free_ char *key = controlling_job(s, pod);
  ctrl_enqueue(s->c, key);
}

static void on_job(json_t *job, void *ud) {
  JobState *s = ud;
  ctrl_enqueue_obj(s->c, job);
}
static void on_job_update(json_t *old, json_t *job, void *ud) {
  on_job(job, ud);
}
static void on_job_delete(json_t *job, void *ud) {
  JobState *s = ud;
  _cleanup_free_ char *key = informer_key(job);
  if (key)
    ctrl_expectations_delete(&s->exp, key);
}

/* A 404 is someone else's delete, which the informer will show: not a failure. */
static void keep_first_error(int rc, Error *e, int *ret, Error *err) {
  ctrl_keep_first_error(rc == -ENOENT ? 0 : rc, e, ret, err);
}

static int create_pods(JobState *s, json_t *job, const char *key, json_t *create, Error *err) {
  size_t n = MIN(json_array_size(create), (size_t)JOB_BURST);
  if (!n)
    return 0;
  ctrl_expectations_expect(&s->exp, key, (int64_t)n, NULL);
  int ret = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *ix = json_array_get(create, i);
    _cleanup_json_ json_t *pod = job_new_pod(job, json_is_integer(ix) ? json_integer_value(ix) : -1);
    _cleanup_json_ json_t *created = NULL;
    Error e = ERROR_INIT;
    int rc = client_create(s->c->m->client, ctrl_resource(CTRL_PODS), jstr(job, "metadata.namespace"), pod,
                           &created, &e);
    if (rc >= 0) {
      ctrl_event(s->c->m, job, "batch/v1", "Job", COMPONENT, "Normal", "SuccessfulCreate", "Created pod: %s",
                 jstr(created, "metadata.name"));
    } else {
      ctrl_expectations_lower_adds(&s->exp, key, 1);
      ctrl_event(s->c->m, job, "batch/v1", "Job", COMPONENT, "Warning", "FailedCreate", "Error creating: %s",
                 e.message ?: strerror(-rc));
    }
    keep_first_error(rc, &e, &ret, err);
  }
  return ret;
}

static int delete_pods(JobState *s, json_t *job, const char *key, json_t *victims, Error *err) {
  if (!json_array_size(victims))
    return 0;
  _cleanup_json_ json_t *uids = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(victims, i, p) json_array_append_new(uids, json_string(jstr(p, "metadata.uid")));
  ctrl_expectations_expect(&s->exp, key, 0, uids);
  int ret = 0;
  json_array_foreach(victims, i, p) {
    ClientDeleteOptions o = {.precondition_uid = jstr(p, "metadata.uid")};
    Error e = ERROR_INIT;
    int rc = client_delete(s->c->m->client, ctrl_resource(CTRL_PODS), jstr(p, "metadata.namespace"),
                           jstr(p, "metadata.name"), &o, NULL, &e);
    if (rc >= 0)
      ctrl_event(s->c->m, job, "batch/v1", "Job", COMPONENT, "Normal", "SuccessfulDelete", "Deleted pod: %s",
                 jstr(p, "metadata.name"));
    else if (rc != -ENOENT)
      ctrl_expectations_deletion_observed(&s->exp, key, jstr(p, "metadata.uid"));
    keep_first_error(rc, &e, &ret, err);
  }
  return ret;
}

static int job_sync(CtrlController *c, const char *key, Error *err) {
  JobState *s = c->state;
  _cleanup_json_ json_t *job = informer_get(s->jobs, key);
  if (!job) {
    ctrl_expectations_delete(&s->exp, key);
    return 0;
  }
  if (ctrl_is_deleting(job))
    return 0;
  if (!ctrl_expectations_satisfied(&s->exp, key))
    return 0; /* the pods we are waiting for will queue the Job again */
  _cleanup_json_ json_t *all = informer_list_namespace(s->pods, jstr(job, "metadata.namespace"));
  _cleanup_json_ json_t *pods = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(all, i, p) {
    if (ctrl_is_controlled_by(p, job))
      json_array_append(pods, p);
  }
  int64_t now = ctrl_now_sec();
  JobPlan plan;
  job_plan(job, pods, now, &plan);
  int rc = 0;
  if (plan.delete_job) {
    ClientDeleteOptions o = {.propagation_policy = "Background",
                             .precondition_uid = jstr(job, "metadata.uid")};
    rc = client_delete(c->m->client, ctrl_resource(CTRL_JOBS), jstr(job, "metadata.namespace"),
                       jstr(job, "metadata.name"), &o, NULL, err);
    if (rc >= 0)
      log_info(COMPONENT, "msg=\"deleted finished job (ttlSecondsAfterFinished)\" job=%s", key);
    job_plan_done(&plan);
    return rc == -ENOENT ? 0 : rc;
  }
  int drc = delete_pods(s, job, key, plan.delete, err);
  int crc = drc < 0 ? 0 : create_pods(s, job, key, plan.create, err);
  if (!json_equal(plan.status, jpath(job, "status"))) {
    /* No retry over a newer Job on a conflict (ctrl_update_status's): the counts computed here take the
     * Job's own status as lower bounds, so a status computed from a stale Job could lower them or move
     * startTime. The error requeues the Job, computed again from the newer version (the expectations keep
     * the pods just created from being created twice), as Kubernetes' job controller does. */
    Error e = ERROR_INIT;
    rc = ctrl_write_status(c->m->client, ctrl_resource(CTRL_JOBS), job, plan.status, &e);
    if (rc >= 0 && plan.event_reason)
      ctrl_event(c->m, job, "batch/v1", "Job", COMPONENT, plan.event_type, plan.event_reason, "%s",
                 plan.event_message);
    keep_first_error(rc, &e, &drc, err);
  }
  if (plan.requeue > 0)
    ctrl_enqueue_after(c, key, (uint64_t)plan.requeue * 1000000 + 100000);
  job_plan_done(&plan);
  return drc < 0 ? drc : crc;
}

static void job_state_free(void *p) {
  JobState *s = p;
  ctrl_expectations_destroy(&s->exp);
  free(s);
}

int job_controller_setup(CtrlManager *m, Error *err) {
  JobState *s = xzalloc(sizeof *s);
  ctrl_expectations_init(&s->exp);
  s->c = ctrl_controller_new(m, "job", job_sync, s, job_state_free);
  s->pods = ctrl_informer(m, CTRL_PODS);
  s->jobs = ctrl_informer(m, CTRL_JOBS);
  informer_add_handlers(
      s->jobs, &(InformerHandlers){
                   .on_add = on_job, .on_update = on_job_update, .on_delete = on_job_delete, .userdata = s});
  informer_add_handlers(s->pods, &(InformerHandlers){.on_add = on_pod_add,
                                                     .on_update = on_pod_update,
                                                     .on_delete = on_pod_delete,
                                                     .userdata = s});
  return 0;
}
