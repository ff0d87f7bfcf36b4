/* Container probes (liveness, readiness, startup) and lifecycle hooks (postStart, preStop), as the kubelet
 * runs them.
 *
 * probe.c holds the pure rules (probe spec defaults, threshold counting, port names, HTTP results) and the
 * handlers that act on a container: httpGet and tcpSocket from inside the pod's network namespace (the
 * calling thread enters /run/netns/coracle-UID for the duration of the check, so the probe reaches the pod
 * on its own loopback or pod IP whatever the host's network looks like), exec through `runc exec` with a
 * timeout.
 *
 * prober.c is the agent's prober: one thread per (container, probe) with its own schedule (initialDelay,
 * period), like kubelet's probe workers. Results are kept per container instance (runc id); a change of a
 * thresholded result queues the pod's key on the agent's work queue, and the pod worker reads the results
 * back (kubelet_probes_sync) to set ready/started and to kill a container whose liveness or startup probe
 * failed. Locking: KubeletProber.lock guards the worker list and every worker's result fields.
 *
 * lifecycle.c runs postStart right after a start (synchronously in the pod worker: the container is not
 * reported running until the hook returns) and preStop before SIGTERM, in a thread of its own so that the
 * grace period is counted while it runs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct Kubelet Kubelet;
typedef struct KubeletPod KubeletPod;
typedef struct KubeletCtr KubeletCtr;

typedef enum KubeletProbeType {
  KUBELET_PROBE_LIVENESS,
  KUBELET_PROBE_READINESS,
  KUBELET_PROBE_STARTUP,
  _KUBELET_PROBE_MAX,
  KUBELET_PROBE_INVALID = -1,
} KubeletProbeType;

/* "Liveness", "Readiness", "Startup" (as events say them). */
const char *kubelet_probe_type_to_string(KubeletProbeType t);
/* "livenessProbe", ... (the container spec's field). */
const char *kubelet_probe_type_field(KubeletProbeType t);

typedef enum KubeletProbeResult {
  KUBELET_PROBE_UNKNOWN,
  KUBELET_PROBE_SUCCESS,
  KUBELET_PROBE_FAILURE,
  _KUBELET_PROBE_RESULT_MAX,
  KUBELET_PROBE_RESULT_INVALID = -1,
} KubeletProbeResult;

const char *kubelet_probe_result_to_string(KubeletProbeResult r);

/* A probe's timing with Kubernetes' defaults and minimums applied (period 10 s, timeout 1 s, success and
 * failure thresholds 1 and 3). */
typedef struct KubeletProbeSpec {
  int initial_delay_sec;
  int timeout_sec;
  int period_sec;
  int success_threshold;
  int failure_threshold;
  int64_t grace_sec; /* probe-level terminationGracePeriodSeconds; -1 = the pod's */
} KubeletProbeSpec;

void kubelet_probe_spec_parse(json_t *probe, KubeletProbeSpec *ret);

/* The result the kubelet shows before a probe has decided: readiness Failure (not ready), liveness Success,
 * startup Unknown. */
KubeletProbeResult kubelet_probe_initial(KubeletProbeType t);

/* Threshold counting (kubelet's worker): `result` changes only after success_threshold consecutive
 * successes or failure_threshold consecutive failures. */
typedef struct KubeletProbeCounter {
  KubeletProbeResult last; /* the previous raw result */
  int run;                 /* how many raw results in a row equal `last` */
  KubeletProbeResult result;
} KubeletProbeCounter;

void kubelet_probe_counter_init(KubeletProbeCounter *pc, KubeletProbeType t);
/* Counts one raw result; true when pc->result changed. */
bool kubelet_probe_count(KubeletProbeCounter *pc, KubeletProbeResult raw, const KubeletProbeSpec *spec);

/* When the next probe is due (monotonic usec): not before started + initialDelay, then every period after
 * the previous run (last = 0: never ran). */
uint64_t kubelet_probe_next_due(const KubeletProbeSpec *spec, uint64_t started_usec, uint64_t last_usec);

/* A port given by number or by the name of one of the container's ports: the number, or -1. */
int kubelet_probe_port(json_t *port, json_t *spec_ctr);

/* The verdict on an HTTP response status: 200-399 is success (kubelet: a redirect it does not follow is
 * a success too); the failure message is Kubernetes' ("HTTP probe failed with statuscode: 404"). */
KubeletProbeResult kubelet_probe_http_verdict(long status, Buf *ret_message);

/* ---- handlers (probe.c): they block for at most timeout_sec ---- */

/* What a handler needs to know of its container. Strings are borrowed. */
typedef struct KubeletHandlerTarget {
  const char *runc;      /* runc binary */
  const char *runc_root; /* runc --root */
  const char *ctr_id;    /* runc id */
  const char *netns;     /* the pod's namespace name (under /run/netns) */
  const char *pod_ip;    /* default host; NULL or "" = 127.0.0.1 in the pod's namespace */
  json_t *spec_ctr;      /* the container's spec (for named ports) */
  int cancel_fd;         /* readable = give up now (the agent stops); -1 = none */
} KubeletHandlerTarget;

/* Runs one probe or hook handler (an object with exec, httpGet, tcpSocket or sleep) with a timeout.
 * Returns SUCCESS or FAILURE, with a message saying why in *ret_message (may be empty on success).
 * `what` names the caller in messages ("probe", "hook"). */
KubeletProbeResult kubelet_handler_run(const KubeletHandlerTarget *t, json_t *handler, int timeout_sec,
                                       Buf *ret_message);

/* ---- the prober (prober.c) ---- */
typedef struct KubeletProber KubeletProber;

KubeletProber *kubelet_prober_new(Kubelet *k);
/* Stops every probe and hook thread (joins them); results stay readable. NULL is fine. */
void kubelet_prober_stop(KubeletProber *pr);
void kubelet_prober_free(KubeletProber *pr);
/* Forgets every worker of pod uid (its threads end). */
void kubelet_prober_forget_pod(KubeletProber *pr, const char *uid);

/* Called by the pod worker after it synced a pod's containers: starts or retargets probe workers for the
 * running app containers, sets c->not_ready / c->not_started from the results, and kills (preStop,
 * SIGTERM, SIGKILL after the grace period) a container whose liveness or startup probe failed. Lowers
 * *next (the delay before the pod is synced again; 0 = none) while a kill is under way. */
void kubelet_probes_sync(Kubelet *k, KubeletPod *kp, json_t *pod, uint64_t *next);

/* Starts killing a running container: preStop hook (in a thread), then SIGTERM, SIGKILL once grace_sec
 * passed (checked by kubelet_ctr_kill_check). Records a Killing event with message. */
void kubelet_ctr_kill(Kubelet *k, KubeletPod *kp, json_t *pod, KubeletCtr *c, const char *message,
                      int64_t grace_sec);
/* Sends SIGKILL to a container being killed once its grace period is over (at least 2 s after its preStop
 * hook returned, as kubelet allows). */
void kubelet_ctr_kill_check(Kubelet *k, KubeletPod *kp, KubeletCtr *c);

/* ---- lifecycle hooks (lifecycle.c) ---- */
/* Runs spec_ctr's postStart hook, if any, for the container just started (c RUNNING). On failure records
 * FailedPostStartHook and kills the container; returns false then. */
bool kubelet_post_start(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *spec_ctr, KubeletCtr *c);
/* The preStop hook's handler of spec_ctr, or NULL. */
json_t *kubelet_pre_stop_handler(json_t *spec_ctr);
