/* kube-scheduler's VolumeBinding plugin, reduced to what coracle's volumes need (claims are bound, or
 * provisioned, by the persistent volume controller before scheduling, as for Immediate binding):
 *  - PreFilter (the pod's verdict, on every node alike, unresolvable): `persistentvolumeclaim "x" not
 *    found`, `persistentvolumeclaim "x" is being deleted`, `pod has unbound immediate
 *    PersistentVolumeClaims`;
 *  - Filter: a bound volume whose required node affinity excludes the node: `node(s) had volume node
 *    affinity conflict`; a claim bound to a volume that does not exist: `node(s) unavailable due to one or
 *    more pvc(s) bound to non-existent pv(s)`.
 * Claims, volumes and classes come from informers on the scheduler's client, shared process-wide
 * (sched_volumes_start/stop, reference-counted); without them (unit tests of other plugins) both pass. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "client/client.h"
#include "scheduler/sched-internal.h"

/* Where the filters look objects up: new references, or NULL when absent. */
typedef struct SchedVolumeView {
  json_t *(*claim)(void *ud, const char *ns, const char *name);
  json_t *(*volume)(void *ud, const char *name);
  void *ud;
} SchedVolumeView;

/* Pure forms over a view, for tests. */
bool sched_volume_prefilter(json_t *pod, const SchedVolumeView *v, SchedStatus *st);
bool sched_volume_filter(json_t *pod, json_t *node, const SchedVolumeView *v, SchedStatus *st);

/* The same over the process-wide informers (pass when they are not started). */
bool sched_prefilter_volumes(const SchedPod *pod, SchedStatus *st);
bool sched_filter_volumes(const SchedPod *pod, const SchedNode *node, SchedStatus *st);

/* Starts (or joins) the informers on c; the last stop frees them. */
int sched_volumes_start(Client *c, Error *err);
void sched_volumes_stop(void);
