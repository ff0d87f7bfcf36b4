/* Declarations shared by the files of src/controllers/ and their unit tests: the shared informers, the
 * generic controller (a work queue, its workers and a sync function), helpers over pods and owner
 * references, expectations, and the pure functions of each controller that the unit tests drive directly
 * (victim ordering, status, rollout steps, hashing, conditions, endpoint computation). */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "api/jsonutil.h"
#include "api/kinds.h"
#include "api/selector.h"
#include "base/log.h"
#include "client/client.h"
#include "client/events.h"
#include "client/informer.h"
#include "client/workqueue.h"
#include "controllers/controllers.h"

/* The resources the controllers watch; one shared informer each (created only when some controller asks). */
typedef enum CtrlRes {
  CTRL_PODS,
  CTRL_REPLICASETS,
  CTRL_DEPLOYMENTS,
  CTRL_SERVICES,
  CTRL_ENDPOINTS,
  CTRL_ENDPOINTSLICES,
  CTRL_NAMESPACES,
  CTRL_SERVICEACCOUNTS,
  CTRL_JOBS,
  CTRL_CRONJOBS,
  CTRL_DAEMONSETS,
  CTRL_STATEFULSETS,
  CTRL_CONTROLLERREVISIONS,
  CTRL_CONFIGMAPS,
  CTRL_SECRETS,
  CTRL_NODES,
  CTRL_HPAS,
  CTRL_LEASES,
  CTRL_PDBS,
  CTRL_PVCS,
  CTRL_PVS,
  CTRL_STORAGECLASSES,
  _CTRL_RES_MAX,
  CTRL_RES_INVALID = -1,
} CtrlRes;

typedef struct CtrlController CtrlController;
/* Reconciles one key from the cached state. < 0: retried with the queue's back-off. */
typedef int (*CtrlSyncFn)(CtrlController *c, const char *key, Error *err);

struct CtrlController {
  const char *name;
  CtrlManager *m;
  WorkQueue *queue;
  CtrlSyncFn sync;
  void *state;
  void (*free_state)(void *state);
  pthread_t *threads;
  size_t n_threads;
};

#define CTRL_MAX_CONTROLLERS 24

/* Recently recorded events, for de-duplication (events.c). */
typedef ClientEvents CtrlEvents; /* keys "uid|type|reason|message" (client/events.h) */

struct CtrlManager {
  Client *client;
  CtrlEvents events;
  Informer *inf[_CTRL_RES_MAX]; /* created at setup, started together */
  CtrlController *ctrls[CTRL_MAX_CONTROLLERS];
  size_t n_ctrls;
  unsigned workers;
  char *apiserver_ip; /* for the kubernetes Service's endpoints; NULL = leave them alone */
  char *cluster_cidr; /* pods' range that nodeipam.c hands out per node; NULL = none */
  int apiserver_port;
  uint64_t hpa_sync_period_usec;      /* --horizontal-pod-autoscaler-sync-period */
  uint64_t hpa_downscale_window_usec; /* --horizontal-pod-autoscaler-downscale-stabilization */
  uint64_t node_grace_usec;           /* --node-monitor-grace-period (nodelifecycle.c) */
};

/* The ApiResource of r (never NULL for a valid r), and the CtrlRes serving a group/kind (or INVALID). */
const ApiResource *ctrl_resource(CtrlRes r);
CtrlRes ctrl_res_from_kind(const char *api_version, const char *kind);
/* The shared informer of r, created (not started) on first use. */
Informer *ctrl_informer(CtrlManager *m, CtrlRes r);
/* Registers a controller; its workers start with the manager. state is freed with free_state. */
CtrlController *ctrl_controller_new(CtrlManager *m, const char *name, CtrlSyncFn sync, void *state,
                                    void (*free_state)(void *state));
void ctrl_enqueue(CtrlController *c, const char *key);
void ctrl_enqueue_obj(CtrlController *c, json_t *obj);
void ctrl_enqueue_after(CtrlController *c, const char *key, uint64_t delay_usec);

/* Setup of each controller: creates its queue, asks for informers and registers handlers. */
int rs_controller_setup(CtrlManager *m, Error *err);
int deploy_controller_setup(CtrlManager *m, Error *err);
int gc_controller_setup(CtrlManager *m, Error *err);
int endpoints_controller_setup(CtrlManager *m, Error *err);
int sa_controller_setup(CtrlManager *m, Error *err);
int hpa_controller_setup(CtrlManager *m, Error *err);
/* Job, CronJob, DaemonSet, StatefulSet: declared in workloads.h */
int job_controller_setup(CtrlManager *m, Error *err);
int cronjob_controller_setup(CtrlManager *m, Error *err);
int ds_controller_setup(CtrlManager *m, Error *err);
int sts_controller_setup(CtrlManager *m, Error *err);
int servicelb_controller_setup(CtrlManager *m, Error *err);
/* Persistent volumes (pvcontroller.c): binding, local-path provisioning requests, protection finalizers. */
int pv_controller_setup(CtrlManager *m, Error *err);
/* ServiceLB (servicelb.c): the load-balancer ingress of a Service given the nodes. New array. */
json_t *servicelb_ingress(json_t *nodes);

/* ---- events (events.c) ---- */

void ctrl_events_init(CtrlEvents *ev);
void ctrl_events_destroy(CtrlEvents *ev);
/* Records an event about obj (of api_version/kind) from component; type "Normal" or "Warning". */
void ctrl_event(CtrlManager *m, json_t *obj, const char *api_version, const char *kind, const char *component,
                const char *type, const char *reason, const char *fmt, ...) _printf_(8, 9);

/* ---- helpers (util.c) ---- */

int64_t ctrl_now_sec(void);
/* parse_rfc3339 that accepts NULL (a missing timestamp): -EINVAL. */
int ctrl_parse_time(const char *s, int64_t *ret);
void ctrl_format_time(int64_t unix_sec, char buf[static 32]);
/* The ownerReference with controller: true (borrowed), or NULL. */
json_t *ctrl_controller_ref(json_t *obj);
/* True if obj's controller reference names owner's uid. */
bool ctrl_is_controlled_by(json_t *obj, json_t *owner);
/* A new controller ownerReference to owner (controller and blockOwnerDeletion true). */
json_t *ctrl_new_controller_ref(json_t *owner, const char *api_version, const char *kind);
bool ctrl_is_deleting(json_t *obj);
/* True if obj's metadata.finalizers holds f. */
bool ctrl_has_finalizer(json_t *obj, const char *f);
/* The condition of the given type in the array at path ("status.conditions"), borrowed, or NULL. */
json_t *ctrl_condition(json_t *obj, const char *path, const char *type);
/* Not terminated (Succeeded/Failed) and not being deleted: Kubernetes' FilterActivePods. */
bool ctrl_pod_is_active(json_t *pod);
bool ctrl_pod_is_ready(json_t *pod);
/* Ready for at least min_ready_sec at now. */
bool ctrl_pod_is_available(json_t *pod, int64_t min_ready_sec, int64_t now);
int64_t ctrl_pod_restarts(json_t *pod);
/* Labels as a JSON object matched by a selector built from spec.selector (NULL on a bad selector). */
LabelSelector *ctrl_selector(json_t *obj, const char *path);
/* Parses an int-or-percent ("25%", 2) against total, rounding up or down. -EINVAL on garbage. */
int ctrl_int_or_percent(json_t *v, int64_t total, bool round_up, int64_t *ret);

/* PUTs status on obj's status subresource, once (-ECANCELED on a conflict). obj is not changed. */
int ctrl_write_status(Client *c, const ApiResource *r, json_t *obj, json_t *status, Error *err);
/* ctrl_write_status; after a conflict, once more on the latest version if its generation is the same
 * (-ECANCELED otherwise). */
int ctrl_update_status(Client *c, const ApiResource *r, json_t *obj, json_t *status, Error *err);
/* Moves *e into err (err may be NULL: *e is reset), leaving *e empty; returns rc. */
int ctrl_pass_error(int rc, Error *e, Error *err);
/* For a sync that goes on after a failed call and reports the first failure: when rc < 0 and *ret is still
 * 0, sets *ret = rc and moves *e into err (err may be NULL); otherwise resets *e. */
void ctrl_keep_first_error(int rc, Error *e, int *ret, Error *err);

/* ---- expectations: what a controller created or deleted and has not yet seen in its informer ---- */

typedef struct CtrlExpectations {
  pthread_mutex_t lock;
  json_t *map; /* key → {"add": n, "del": {uid: true}, "ts": monotonic usec} */
} CtrlExpectations;

#define CTRL_EXPECTATIONS_TIMEOUT_USEC (5ull * 60 * 1000000) /* kube-controller-manager's 5 minutes */

void ctrl_expectations_init(CtrlExpectations *e);
void ctrl_expectations_destroy(CtrlExpectations *e);
/* Records adds pending creations and the uids of pending deletions for key (replacing what was there). */
void ctrl_expectations_expect(CtrlExpectations *e, const char *key, int64_t adds, json_t *del_uids);
void ctrl_expectations_creation_observed(CtrlExpectations *e, const char *key);
void ctrl_expectations_deletion_observed(CtrlExpectations *e, const char *key, const char *uid);
/* Lowers the pending creations (a create failed: its pod will never be observed). */
void ctrl_expectations_lower_adds(CtrlExpectations *e, const char *key, int64_t n);
/* True when nothing is pending for key, or the record is older than the timeout. */
bool ctrl_expectations_satisfied(CtrlExpectations *e, const char *key);
void ctrl_expectations_delete(CtrlExpectations *e, const char *key);

/* ---- ReplicaSet (replicaset.c) pure parts ---- */

/* Sorts pods (an array) so that the ones to delete first come first (Kubernetes' ActivePodsWithRanks:
 * unassigned, pending < unknown < running, not ready, ready for less time, deletion cost, more pods of the
 * owner on the same node, more restarts, newer). */
void rs_sort_victims(json_t *pods, int64_t now);
/* The status the ReplicaSet should have given its active owned pods. New object. */
json_t *rs_calculate_status(json_t *rs, json_t *pods, int64_t now);
/* Sets or clears the ReplicaFailure condition in status after creating (diff < 0) or deleting pods. */
void rs_set_failure(json_t *status, int manage_rc, int64_t diff, const char *message, int64_t now);
/* A pod for rs (template, generateName, labels, controller reference). New object. */
json_t *rs_new_pod(json_t *rs);

/* ---- Deployment (deployment-util.c) pure parts ---- */

#define DEPLOY_REVISION_ANN "deployment.kubernetes.io/revision"
#define DEPLOY_REVISION_HISTORY_ANN "deployment.kubernetes.io/revision-history"
#define DEPLOY_DESIRED_REPLICAS_ANN "deployment.kubernetes.io/desired-replicas"
#define DEPLOY_MAX_REPLICAS_ANN "deployment.kubernetes.io/max-replicas"
#define DEPLOY_HASH_LABEL "pod-template-hash"

/* Renders the hash of template (its pod-template-hash label ignored) and collision_count (< 0: none) into
 * out, with Kubernetes' SafeEncodeString alphabet over the decimal value of a 32-bit FNV-1a hash. */
void deploy_template_hash(json_t *template, int64_t collision_count, char out[static 16]);
/* True if two pod templates are equal ignoring the pod-template-hash label. */
bool deploy_templates_equal(json_t *a, json_t *b);
int64_t deploy_revision(json_t *rs);
/* maxSurge (rounded up) and maxUnavailable (rounded down) of d's RollingUpdate strategy against its
 * replicas; both 0 becomes unavailable 1. 0, 0 for Recreate. */
void deploy_fenceposts(json_t *d, int64_t *ret_surge, int64_t *ret_unavailable);
int64_t deploy_max_surge(json_t *d);
int64_t deploy_max_unavailable(json_t *d);
int64_t deploy_replicas(json_t *d);
int64_t deploy_rs_replicas(json_t *rs); /* spec.replicas */
/* The new replica count of the new ReplicaSet for a rolling update (all_rss includes new_rs). */
int64_t deploy_new_rs_new_replicas(json_t *d, json_t *all_rss, json_t *new_rs);
/* One step of a rolling update over old ReplicaSets: {name: replicas} of the old ones to scale down (empty
 * when nothing may go). old_rss are sorted oldest first inside. New object. */
json_t *deploy_plan_scale_down_old(json_t *d, json_t *all_rss, json_t *old_rss, json_t *new_rs);
/* Proportional scaling of a Deployment whose replicas changed mid-rollout: {name: replicas}. New object. */
json_t *deploy_plan_proportional(json_t *d, json_t *new_rs, json_t *old_rss);
/* The status computed from the ReplicaSets (conditions carried over, Available recomputed). New object. */
json_t *deploy_calculate_status(json_t *d, json_t *all_rss, json_t *new_rs, int64_t now);
/* Updates the Progressing condition of status as the rollout has moved (syncRolloutStatus). */
void deploy_update_progressing(json_t *d, json_t *status, json_t *new_rs, int64_t now);
/* Sets a condition in status.conditions keeping lastTransitionTime when the status did not change; no-op
 * if type, status and reason are unchanged. */
void deploy_set_condition(json_t *status, const char *type, const char *cstatus, const char *reason,
                          const char *message, int64_t now);
void deploy_remove_condition(json_t *status, const char *type);
/* Mirrors a ReplicaFailure condition of the new (else an old) ReplicaSet onto status, or removes it. */
void deploy_replica_failure(json_t *status, json_t *all_rss, json_t *new_rs, int64_t now);
bool deploy_complete(json_t *d, json_t *status);
bool deploy_timed_out(json_t *d, json_t *status, int64_t now);

/* ---- Endpoints (endpoints.c) pure parts ---- */

/* The subsets of the Endpoints object of svc given the namespace's pods. New array. */
json_t *endpoints_compute_subsets(json_t *svc, json_t *pods);
/* The endpoints and ports of svc's EndpointSlices: an array of {"ports": [...], "endpoints": [...]}, one per
 * distinct port set, endpoints split by 100. New array. */
json_t *endpoints_compute_slices(json_t *svc, json_t *pods);
