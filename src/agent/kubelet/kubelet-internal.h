/* Declarations shared by the kubelet's files: the agent, its pods and their containers' state machine. */
#pragma once

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/images/images.h"
#include "agent/kubelet/events.h"
#include "agent/kubelet/kubelet.h"
#include "agent/kubelet/probe.h"
#include "agent/net/podnet.h"
#include "agent/runtime/runtime.h"
#include "client/informer.h"
#include "client/workqueue.h"

#define KUBELET_WORKERS 2
#define KUBELET_STATS_PORT 10250 /* the kubelet's port: node.status.daemonEndpoints.kubeletEndpoint */
#define KUBELET_VERSION "v1.32.0-coracle"
/* How often a pod with running containers is looked at again (kubelet's PLEG relist period). */
#define KUBELET_RELIST_USEC 1000000ull
/* Container restart and image pull back-off: 10 s doubling to 5 min; reset after 10 min of good running. */
#define KUBELET_BACKOFF_BASE_USEC 10000000ull
#define KUBELET_BACKOFF_MAX_USEC 300000000ull
#define KUBELET_BACKOFF_RESET_SEC 600

/* A container's lifecycle, as its status shows it:
 *
 *            start ok                    init exited (exit.json)
 *   WAITING ─────────────▶ RUNNING ─────────────────────────────▶ TERMINATED
 *   (ContainerCreating,      ▲                                     │   │
 *    ErrImagePull,           │ restart after back-off              │   │ restartPolicy says no:
 *    ImagePullBackOff,       └─────────────────────────────────────┘   │ stays (Completed/Error)
 *    CrashLoopBackOff,                      ▲                          │
 *    CreateContainerConfigError)            └── WAITING(CrashLoopBackOff) ◀─ back-off not over
 *   WAITING ──start failed (runc)──▶ TERMINATED (StartError)
 * Every change goes through kubelet_ctr_transition, which checks the table in status.c. */
typedef enum KubeletCtrState {
  KUBELET_CTR_WAITING,
  KUBELET_CTR_RUNNING,
  KUBELET_CTR_TERMINATED,
  _KUBELET_CTR_MAX,
  KUBELET_CTR_INVALID = -1,
} KubeletCtrState;

const char *kubelet_ctr_state_to_string(KubeletCtrState s);
KubeletCtrState kubelet_ctr_state_from_string(const char *s);

typedef struct KubeletTerm {
  int exit_code;
  int signal;
  char *reason; /* Completed, Error, OOMKilled, StartError, ContainerStatusUnknown */
  char *message;
  int64_t started_at, finished_at; /* unix seconds */
  char *container_id;              /* runc id */
} KubeletTerm;

typedef struct KubeletCtr {
  char *name;
  KubeletCtrState state;
  char *reason, *message; /* while WAITING */
  int restart_count;
  int instance;   /* directory number of the current or last instance; -1 = none yet */
  char *id;       /* runc id of the current instance */
  char *image;    /* the image as the spec names it, resolved ("docker.io/library/busybox:1.36") */
  char *image_id; /* repository@digest */
  int64_t started_at;
  pid_t pid, shim_pid;
  KubeletTerm term; /* while TERMINATED */
  bool has_last;
  KubeletTerm last;            /* lastState.terminated */
  int backoff_n;               /* restarts counted for the back-off */
  uint64_t backoff_until_usec; /* realtime */
  int pull_failures;
  uint64_t pull_retry_usec;    /* realtime */
  bool not_ready, not_started; /* probe results of the running instance (probe.h) */
  char *kill_id;               /* the instance being killed (preStop, SIGTERM; deadline in prober.c) */
} KubeletCtr;

typedef struct KubeletPod {
  char *key, *uid, *ns, *name;
  KubeletCtr *ctrs;
  size_t n_ctrs;
  KubeletCtr *inits; /* spec.initContainers, run in order before ctrs (initctr.c) */
  size_t n_inits;
  int64_t start_time;
  bool sandbox_ready;
  char *pod_ip;       /* status.podIP: from the pod network (network.c), the node's for hostNetwork */
  bool volumes_ready; /* every volume set up once (volumes.c) */
  uint64_t volumes_synced_usec; /* monotonic: when the volumes were last refreshed */
  bool killing;
  uint64_t kill_deadline_usec; /* monotonic: SIGKILL after it */
  char *last_status;           /* the status last written, compact JSON */
  char *last_saved;            /* state.json as last written */
} KubeletPod;

struct Kubelet {
  Client *client;
  KubeletOptions opts; /* strings owned (copied) */
  RuntimeConfig rt;
  ImageService *images;
  char *runc_version;
  char *node_ip;
  struct DnsServer *dns; /* the node's cluster DNS server (src/agent/dns), or NULL */
  Informer *pods;
  WorkQueue *queue;
  pthread_t workers[KUBELET_WORKERS];
  size_t n_workers;
  pthread_mutex_t lock; /* guards pods_by_key (the pods themselves are touched by one worker at a time) */
  KubeletPod **table;
  size_t n_table;
  pthread_t node_thread;
  bool node_started;
  KubeletProber *prober; /* probes and hook threads (probe.h) */
  KubeletEvents *events; /* the event recorder (events.h) */
  pthread_mutex_t stop_lock;
  pthread_cond_t stop_cond;
  bool stopping;
  void *stats_daemon;    /* statsserver.c: the HTTPS endpoint (struct MHD_Daemon) */
  char *stats_tls[3];    /* its certificate, key and trusted CA (PEM), alive as long as the daemon */
  PodNet *net;           /* the pod network (network.c) */
  json_t *image_gc_seen; /* imagegc.c (node thread): image ID -> {first, last} seen/used, unix seconds */
  bool image_gc_failed_before; /* imagegc.c: the last pass could not free enough */
  /* storage.c: the local-path provisioner and the claims' cache, or NULL */
  struct KubeletStorage *storage;
};

/* ---- status.c: pure functions, unit-tested ---- */
/* Moves c to state `to`; aborts in debug builds on a transition the lifecycle does not allow. */
void kubelet_ctr_transition(KubeletCtr *c, KubeletCtrState to, const char *reason, const char *message);
void kubelet_term_done(KubeletTerm *t);
void kubelet_term_copy(KubeletTerm *dst, const KubeletTerm *src);
void kubelet_ctr_done(KubeletCtr *c);
/* The restart delay after n restarts counted for back-off: 0 for the first, then 10 s doubling to 5 min. */
uint64_t kubelet_backoff_usec(int n);
/* Whether restartPolicy asks for a restart of a container that ended with exit_code. */
bool kubelet_should_restart(const char *restart_policy, int exit_code);
/* The pod phase from its containers (kubelet's getPhase for pods without init containers). */
const char *kubelet_pod_phase(const char *restart_policy, const KubeletCtr *ctrs, size_t n);
/* The Pod's .status: phase, conditions (keeping lastTransitionTime from old_status when unchanged),
 * hostIP(s), startTime, qosClass and containerStatuses. now is unix seconds. */
json_t *kubelet_pod_status(json_t *pod, const KubeletPod *kp, const char *host_ip, json_t *old_status,
                           int64_t now);
/* Guaranteed, Burstable or BestEffort from the containers' requests and limits. */
const char *kubelet_qos_class(json_t *pod);

/* ---- state.c: the pod record on disk ---- */
int kubelet_state_save(Kubelet *k, KubeletPod *kp);
/* Loads DATA_DIR/agent/pods/UID/state.json into kp (containers by name); -ENOENT when absent. */
int kubelet_state_load(Kubelet *k, KubeletPod *kp);
void kubelet_pod_free(KubeletPod *kp);

/* ---- pod.c ---- */
/* Brings the pod named key to its desired state; returns the delay after which to look again (0 = only on
 * the next change). */
uint64_t kubelet_sync_pod(Kubelet *k, const char *key);

/* ---- stats.c: usage from cgroups ---- */
typedef struct KubeletUsage {
  uint64_t time_usec; /* realtime of the reading */
  uint64_t cpu_ns;    /* cumulative cpu time */
  bool has_memory;
  uint64_t mem_usage, working_set; /* bytes */
} KubeletUsage;
/* Reads the cgroup at path (absolute in every hierarchy, "" = the root), v1 or v2 as the host runs. */
int kubelet_stats_read_cgroup(const char *cgroup, KubeletUsage *ret);
/* The value of "key N" lines (memory.stat, cpu.stat); -ENOENT when absent. */
int kubelet_stats_kv(const char *text, const char *key, uint64_t *ret);
/* The cpu rate between two readings (time usec, cumulative ns) in nanocores; false without a usable pair. */
bool kubelet_nanocores(uint64_t t0, uint64_t ns0, uint64_t t1, uint64_t ns1, uint64_t *ret);
/* cAdvisor's working set: usage minus inactive file pages, not below zero. */
uint64_t kubelet_working_set(uint64_t usage, uint64_t inactive_file);
/* RFC 3339 with microseconds: "2026-11-26T14:08:52.123456Z". */
void kubelet_stats_format_time(uint64_t usec, char buf[static 48]);
/* statsserver.c: /stats/summary over HTTPS on port (client certificates of the cluster CA required). */
int kubelet_stats_server_start(Kubelet *k, int port, Error *err);
void kubelet_stats_server_stop(Kubelet *k);

/* ---- node.c ---- */
/* One image garbage collection pass (imagegc.c); on the node thread. Returns how many images it removed. */
size_t kubelet_image_gc(Kubelet *k);

/* The kubelet's nodeStatusMaxImages: how many images node.status.images lists. */
#define KUBELET_NODE_MAX_IMAGES 50
/* node.status.images from the image store's list (pure; unit-tested). */
json_t *kubelet_node_images(ImageInfo *const *list, size_t n);
int kubelet_node_register(Kubelet *k, Error *err);
void *kubelet_node_thread(void *arg);

/* ---- network.c: the pod network ---- */
/* Opens the pod network and frees the addresses of pods that are gone; before the pod workers start. */
int kubelet_net_start(Kubelet *k, Error *err);
bool kubelet_pod_host_network(json_t *pod);
/* Connects the pod's namespace (hostNetwork: nothing to do) and sets kp->pod_ip. -EAGAIN while the Node has
 * no podCIDR yet. */
int kubelet_net_setup_pod(Kubelet *k, KubeletPod *kp, json_t *pod, const char *netns_path, Error *err);
/* Everything of a pod on this node (runtime_pod_remove), then its veth and address. */
void kubelet_pod_remove(Kubelet *k, const char *uid);
