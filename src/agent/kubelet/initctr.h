/* Init containers (spec.initContainers): run one at a time in order, each to a successful exit, before the
 * app containers start; a failed one is restarted with back-off unless restartPolicy is Never, which fails
 * the pod. Pure rules over the containers' states (phase, the Initialized condition), unit-tested; the pod
 * worker (pod.c) drives the containers with them. Restartable init containers (sidecars) are not run yet. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

typedef struct KubeletPod KubeletPod;
typedef struct KubeletCtr KubeletCtr;

/* The restart policy applied to an init container: Never stays Never, Always and OnFailure restart a
 * failed one only ("OnFailure"). */
const char *kubelet_init_restart_policy(const char *pod_policy);
/* Whether init container c is done (ended with exit code 0). */
bool kubelet_init_done(const KubeletCtr *c);
/* The index of the first init container not done; n when all are. */
size_t kubelet_init_next(const KubeletCtr *inits, size_t n);
/* The pod phase with init containers taken into account (kubelet's getPhase): Failed when one failed under
 * restartPolicy Never, Pending while any is not done, else the app containers' phase. */
const char *kubelet_pod_phase_init(const char *restart_policy, const KubeletPod *kp);
/* The Initialized condition: true when every init container is done; otherwise *msg gets Kubernetes'
 * "containers with incomplete status: [a b]". */
bool kubelet_pod_initialized(const KubeletPod *kp, Buf *msg);
