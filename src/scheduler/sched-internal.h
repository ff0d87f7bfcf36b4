/* Declarations shared by the scheduler's files and its unit tests: the scheduler's own compact view of
 * nodes and pods (parsed once from their JSON when the informers report them, so that filtering a pod
 * against a thousand nodes is integer compares, not JSON walks), the filter and score plugins as pure
 * functions over that view (plugins.c), and the node cache with assumed pods (cache.c).
 *
 * Plugins follow kube-scheduler's default profile, in its order: NodeUnschedulable, TaintToleration,
 * NodeAffinity (nodeSelector and required terms), NodePorts, NodeResourcesFit, InterPodAffinity for
 * filtering (the first failing plugin decides a node's reasons), then NodeResourcesFit (least allocated),
 * NodeResourcesBalancedAllocation, NodeAffinity (preferred terms), TaintToleration (PreferNoSchedule),
 * spreading of one owner's pods (PodTopologySpread's default constraints, simplified to the hostname) for
 * scoring, with kube-scheduler's weights. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "base/buf.h"

/* Requests kube-scheduler assumes for scoring when a container asks for nothing (non-zero defaults). */
#define SCHED_DEFAULT_MILLI_CPU 100
#define SCHED_DEFAULT_MEMORY (200ll * 1024 * 1024)

typedef enum SchedTaintEffect {
  SCHED_TAINT_NO_SCHEDULE,
  SCHED_TAINT_PREFER_NO_SCHEDULE,
  SCHED_TAINT_NO_EXECUTE,
  _SCHED_TAINT_EFFECT_MAX,
  SCHED_TAINT_EFFECT_INVALID = -1,
} SchedTaintEffect;

const char *sched_taint_effect_to_string(SchedTaintEffect e);
SchedTaintEffect sched_taint_effect_from_string(const char *s);

typedef struct SchedTaint {
  const char *key; /* borrowed from the node's JSON */
  const char *value;
  SchedTaintEffect effect;
} SchedTaint;

typedef struct SchedPort {
  int port;
  char protocol[8]; /* TCP, UDP, SCTP */
  char ip[48];      /* hostIP, "" = 0.0.0.0 */
} SchedPort;

typedef struct SchedNode SchedNode;

/* A pod as the scheduler sees it. obj is a reference the pod holds; strings point into it. */
typedef struct SchedPod {
  json_t *obj;
  char *key; /* "ns/name" */
  const char *ns, *name, *uid;
  const char *node_name;           /* where it is bound or assumed; NULL for a pod being scheduled */
  const char *owner_uid;           /* the controller ownerReference's uid, or NULL */
  int64_t milli_cpu, memory;       /* effective requests: max(sum of containers, max of init containers) */
  int64_t nz_milli_cpu, nz_memory; /* the same with the non-zero defaults, for scoring */
  SchedPort *ports;
  size_t n_ports;
  bool has_required_anti_affinity; /* existing pods with anti-affinity constrain newcomers */
  bool has_claims;                 /* a volume is a persistentVolumeClaim: the volume filters apply */
  /* Parts of obj the filters and scores read for every node, looked up once (borrowed; NULL if absent). */
  json_t *tolerations, *node_selector, *required_node_affinity, *preferred_node_affinity;
  json_t *required_pod_affinity, *required_pod_anti_affinity, *labels;
  bool assumed;    /* placed by this scheduler, binding not yet seen by the informer */
  SchedNode *node; /* the cache node it is accounted on, or NULL */
} SchedPod;

/* A node and what is accounted on it. obj is a reference; taints point into it. */
struct SchedNode {
  json_t *obj;    /* NULL once the node is deleted while pods are still accounted on it */
  json_t *labels; /* metadata.labels of obj (borrowed), or NULL */
  char *name;
  bool ready, unschedulable;
  int64_t alloc_milli_cpu, alloc_memory, alloc_pods;
  SchedTaint *taints;
  size_t n_taints;
  /* accounting of bound and assumed pods */
  int64_t req_milli_cpu, req_memory, nz_milli_cpu, nz_memory;
  SchedPod **pods;
  size_t n_pods, cap_pods;
};

/* Builds the scheduler's view of a pod (takes a new reference to obj). Never fails: bad quantities count
 * as zero, as the API server has validated them already. */
SchedPod *sched_pod_new(json_t *obj);
void sched_pod_free(SchedPod *p);
/* Builds or refreshes the node part of n from obj (new reference); accounting is left alone. */
void sched_node_set(SchedNode *n, json_t *obj);
SchedNode *sched_node_new(const char *name);
void sched_node_free(SchedNode *n);
/* Accounting of a pod on a node (the pod's node pointer is set/cleared). */
void sched_node_add_pod(SchedNode *n, SchedPod *p);
void sched_node_remove_pod(SchedNode *n, SchedPod *p);

/* ---- filtering ---- */

/* Why one node does not fit: up to a few reasons (NodeResourcesFit may give several), and whether
 * preemption could help (kube-scheduler's Unschedulable vs UnschedulableAndUnresolvable). */
#define SCHED_MAX_REASONS 4
typedef struct SchedStatus {
  size_t n;
  char reasons[SCHED_MAX_REASONS][160];
  bool unresolvable;
  bool prefilter; /* the pod's own verdict (a PreFilter's, volumebinding.c): printed once, not counted */
} SchedStatus;

/* All nodes, for the filters and scores that look beyond one node (inter-pod affinity, topology). */
typedef struct SchedCluster {
  SchedNode **nodes;
  size_t n_nodes;
  SchedPod **anti_affinity_pods; /* existing pods with required anti-affinity terms */
  size_t n_anti_affinity_pods;
} SchedCluster;

/* Runs the filters in kube-scheduler's order; true if the pod fits, else the reasons are in *st. */
bool sched_filter(const SchedPod *pod, const SchedNode *node, const SchedCluster *cl, SchedStatus *st);

/* The individual filters (true = passes), exposed for tests. */
bool sched_filter_unschedulable(const SchedPod *pod, const SchedNode *node, SchedStatus *st);
bool sched_filter_taints(const SchedPod *pod, const SchedNode *node, SchedStatus *st);
bool sched_filter_node_affinity(const SchedPod *pod, const SchedNode *node, SchedStatus *st);
bool sched_filter_ports(const SchedPod *pod, const SchedNode *node, SchedStatus *st);
bool sched_filter_resources(const SchedPod *pod, const SchedNode *node, SchedStatus *st);
bool sched_filter_pod_affinity(const SchedPod *pod, const SchedNode *node, const SchedCluster *cl,
                               SchedStatus *st);

/* True if the tolerations array (JSON, may be NULL) tolerates the taint (key, value, effect). */
bool sched_tolerates(json_t *tolerations, const char *key, const char *value, SchedTaintEffect effect);
/* True if a nodeSelectorTerm (matchExpressions and matchFields) matches the node. */
bool sched_node_selector_term_matches(json_t *term, json_t *node);
/* True if the pod's nodeSelector and required node affinity match the node. */
bool sched_pod_matches_node_selector(json_t *pod, json_t *node);

/* ---- the failure message ---- */

/* Reasons counted over all nodes (kube-scheduler's Diagnosis). */
typedef struct SchedDiagnosis {
  size_t n_nodes;
  struct SchedReasonCount {
    char *reason;
    size_t count;
    bool unresolvable;
  } * counts;
  size_t n_counts;
  size_t n_resolvable_nodes, n_unresolvable_nodes; /* nodes where preemption might / cannot help */
  char *prefilter_msg; /* a PreFilter's rejection, which replaces the per-node histogram */
} SchedDiagnosis;

void sched_diagnosis_add(SchedDiagnosis *d, const SchedStatus *st);
void sched_diagnosis_done(SchedDiagnosis *d);
/* FitError.Error() of kube-scheduler 1.32 with the DefaultPreemption post-filter's sentence (coracle has no
 * priorities, so preemption never finds victims): "0/3 nodes are available: 3 Insufficient cpu.
 * preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod." Caller frees. */
char *sched_diagnosis_message(const SchedDiagnosis *d);

/* ---- scoring ---- */

/* Scores the feasible nodes (0..100 per plugin, normalized and weighted like kube-scheduler's default
 * profile) into scores[i]; n >= 1. */
void sched_score(const SchedPod *pod, SchedNode *const *nodes, size_t n, const SchedCluster *cl,
                 int64_t *scores);
/* The raw per-plugin scores, exposed for tests. */
int64_t sched_score_least_allocated(const SchedPod *pod, const SchedNode *node);
int64_t sched_score_balanced(const SchedPod *pod, const SchedNode *node);
int64_t sched_score_preferred_affinity(const SchedPod *pod, const SchedNode *node);
int64_t sched_score_intolerable_prefer(const SchedPod *pod, const SchedNode *node);
int64_t sched_score_owner_count(const SchedPod *pod, const SchedNode *node);

/* How many feasible nodes to look for before scoring (percentageOfNodesToScore's adaptive default). */
size_t sched_num_feasible_to_find(size_t n_nodes);
