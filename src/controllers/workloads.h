/* Declarations shared by the workload controllers (Job, CronJob, DaemonSet, StatefulSet), their
 * ControllerRevision history helpers and their unit tests: the pure functions that decide what a sync
 * does, kept apart from the informers and the client so that tests/unit/test-workloads.c drives them with
 * plain JSON. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "api/cron.h"
#include "controllers/controllers-internal.h"

/* ---- Job (job-util.c) ---- */

#define JOB_INDEX_ANN "batch.kubernetes.io/job-completion-index"
#define JOB_BACKOFF_BASE_SEC 10
#define JOB_BACKOFF_MAX_SEC 360

/* What one Job sync should do, computed from the Job and its pods. */
typedef struct JobPlan {
  json_t *status;  /* the status to write (new object) */
  json_t *create;  /* array of completion indexes (Indexed) or nulls (NonIndexed) to create pods for */
  json_t *delete;  /* array of pods (borrowed from the input) to delete */
  int64_t requeue; /* > 0: sync again after this many seconds (backoff, deadline, ttl) */
  const char *event_reason, *event_message, *event_type; /* a transition worth an event, or NULL */
  bool delete_job;                                       /* ttlSecondsAfterFinished has passed */
} JobPlan;

/* Plans one sync of job given all its pods (terminated ones included) at now. */
void job_plan(json_t *job, json_t *pods, int64_t now, JobPlan *ret);
void job_plan_done(JobPlan *p);
/* Completion index of a pod from its annotation, -1 if none or invalid. */
int64_t job_pod_index(json_t *pod);
/* "0-2,4" from a sorted set of indexes given as a bitmap of n. New string. */
char *job_format_indexes(const bool *set, int64_t n);
/* True if the job has the Complete or Failed condition with status True. */
bool job_finished(json_t *job, const char **ret_type);
/* A pod for job (index < 0 for NonIndexed). New object. */
json_t *job_new_pod(json_t *job, int64_t index);

/* ---- CronJob (cronjob.c) ---- */

/* The most recent schedule time in (earliest, now], or -1; *ret_missed counts how many were skipped. */
int64_t cronjob_most_recent(const CronSchedule *s, int64_t earliest, int64_t now, int64_t offset,
                            int64_t *ret_missed);
/* The Job a CronJob creates for scheduled time t. New object. */
json_t *cronjob_new_job(json_t *cj, int64_t t);

/* ---- ControllerRevisions (history.c) ---- */

#define HIST_HASH_LABEL "controller-revision-hash"

/* The data of a revision of template: {"spec":{"template": template + "$patch":"replace"}}. New object. */
json_t *hist_revision_data(json_t *template);
/* The template back out of a revision's data (borrowed), or NULL. */
json_t *hist_revision_template(json_t *rev);
/* Ensures a ControllerRevision for owner's current template exists, with the highest revision number, and
 * removes old ones beyond spec.revisionHistoryLimit that no live pod uses (live: {hash-label value: true}).
 * revs: the owner's revisions. *ret_update: the update revision (new ref). *ret_hash: its hash. */
int hist_sync(CtrlManager *m, json_t *owner, const char *kind, json_t *revs, json_t *live,
              json_t **ret_update, char ret_hash[static 16], Error *err);
/* The revisions controlled by owner from the ControllerRevision informer, sorted by revision. New array. */
json_t *hist_list(Informer *inf, json_t *owner);

/* ---- DaemonSet (daemonset-util.c) ---- */

/* Whether ds should run a pod on node, and whether a pod already there may keep running (an untolerated
 * NoSchedule taint keeps a running pod; NoExecute does not). */
void ds_node_should_run(json_t *ds, json_t *node, bool *ret_run, bool *ret_continue);
/* True if one toleration list tolerates taint. */
bool ds_tolerates(json_t *tolerations, json_t *taint);
/* The pod of ds for node: template, the automatic DaemonSet tolerations, node affinity matchFields
 * metadata.name = node, controller reference and revision hash label. New object. */
json_t *ds_new_pod(json_t *ds, const char *node, const char *hash);
/* The node a DaemonSet pod is for: spec.nodeName, else its affinity's matchFields metadata.name. */
const char *ds_pod_node(json_t *pod);

/* ---- StatefulSet (statefulset-util.c) ---- */

typedef enum StsActionType { STS_CREATE, STS_DELETE, _STS_ACTION_MAX, STS_ACTION_INVALID = -1 } StsActionType;

typedef struct StsAction {
  StsActionType type;
  int64_t ordinal;
  bool current; /* STS_CREATE: from the current revision (below the partition), else the update one */
} StsAction;

/* The ordinal of a pod named <set>-<n>, -1 if it is not one of set's. */
int64_t sts_ordinal(const char *set, const char *pod_name);
/* The next actions for a StatefulSet (OrderedReady: at most one, Parallel: several) given its pods
 * indexed by ordinal (pods: {"<ordinal>": pod}), the update and current revision names. Returns the number
 * of actions written to out (at most max). */
size_t sts_plan(json_t *sts, json_t *pods, const char *update_rev, const char *current_rev, StsAction *out,
                size_t max);
/* The pod for ordinal from template (revision name rev): name, hostname, subdomain, labels, volumes of
 * the claim templates. New object. */
json_t *sts_new_pod(json_t *sts, json_t *template, int64_t ordinal, const char *rev);
/* The PVCs of ordinal (one per volumeClaimTemplate). New array. */
json_t *sts_new_claims(json_t *sts, int64_t ordinal);
/* Status from the pods (revisions from the hash label). New object. */
json_t *sts_status(json_t *sts, json_t *pods, const char *update_rev, const char *current_rev, int64_t now);

int job_controller_setup(CtrlManager *m, Error *err);
int cronjob_controller_setup(CtrlManager *m, Error *err);
int ds_controller_setup(CtrlManager *m, Error *err);
int sts_controller_setup(CtrlManager *m, Error *err);
