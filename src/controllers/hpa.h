/* The HorizontalPodAutoscaler's arithmetic, free of I/O so that unit tests drive it directly (hpa-calc.c):
 * Kubernetes' replica calculator (pods grouped into ready, unready, missing and ignored; utilization
 * against requests or an average value; the tolerance; the rules that keep unready and metric-less pods
 * from causing a scale in the wrong direction), and the normalization of a recommendation (the default
 * scale-down stabilization and scale-up limit when no behavior is given; behavior's stabilization windows
 * and Pods/Percent policies with selectPolicy otherwise), with the conditions each step explains itself by.
 * Values are "milli" units throughout, as the controller compares MilliValue()s: millicores, millibytes.
 * Times are microseconds on any one clock the caller keeps to. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define HPA_TOLERANCE 0.1
#define HPA_CPU_INIT_PERIOD_USEC                                                                             \
  (300ull * 1000000) /* --horizontal-pod-autoscaler-cpu-initialization-period */
#define HPA_INITIAL_READINESS_USEC                                                                           \
  (30ull * 1000000) /* --horizontal-pod-autoscaler-initial-readiness-delay                                   \
                     */
#define HPA_DOWNSCALE_WINDOW_USEC                                                                            \
  (300ull * 1000000) /* --horizontal-pod-autoscaler-downscale-stabilization                                  \
                      */

/* One pod of the target as the calculator needs it. */
typedef struct HpaPod {
  const char *name;
  bool deleting, failed, pending;
  bool has_metric;
  int64_t metric; /* milli */
  uint64_t metric_time, metric_window;
  const char *missing_request; /* container without a request for the resource, or NULL */
  int64_t request;             /* milli, summed over the containers considered */
  bool has_ready;              /* a Ready condition exists */
  bool ready;                  /* its status is not "False" (Kubernetes counts "Unknown" as ready here) */
  uint64_t ready_transition;   /* its lastTransitionTime */
  bool has_start;
  uint64_t start; /* status.startTime */
} HpaPod;

typedef enum HpaPodClass {
  HPA_POD_READY,
  HPA_POD_UNREADY,
  HPA_POD_MISSING,
  HPA_POD_IGNORED,
  _HPA_POD_CLASS_MAX,
  HPA_POD_CLASS_INVALID = -1,
} HpaPodClass;

/* groupPods: how a pod counts, for a cpu metric or another resource. */
HpaPodClass hpa_classify_pod(const HpaPod *p, bool cpu, uint64_t now);

/* GetResourceReplicas: replicas for a target utilization (percent of requests). *ret_utilization is the
 * current utilization, *ret_raw the average usage per pod (milli). Errors in Kubernetes' words. */
int hpa_utilization_replicas(const HpaPod *pods, size_t n, bool cpu, int32_t current, int32_t target_pct,
                             uint64_t now, int32_t *ret_replicas, int32_t *ret_utilization, int64_t *ret_raw,
                             Error *err);
/* GetRawResourceReplicas: replicas for a target average value (milli); *ret_usage the current average. */
int hpa_average_value_replicas(const HpaPod *pods, size_t n, bool cpu, int32_t current, int64_t target_milli,
                               uint64_t now, int32_t *ret_replicas, int64_t *ret_usage, Error *err);

/* ---- normalization ---- */

typedef enum HpaPolicyType {
  HPA_POLICY_PODS,
  HPA_POLICY_PERCENT,
  _HPA_POLICY_MAX,
  HPA_POLICY_INVALID = -1
} HpaPolicyType;
typedef enum HpaSelect {
  HPA_SELECT_MAX,
  HPA_SELECT_MIN,
  HPA_SELECT_DISABLED,
  _HPA_SELECT_MAX,
  HPA_SELECT_INVALID = -1
} HpaSelect;

#define HPA_MAX_POLICIES 10

typedef struct HpaRules {
  HpaSelect select;
  int64_t stabilization_sec;
  struct {
    HpaPolicyType type;
    int32_t value;
    int32_t period_sec;
  } policies[HPA_MAX_POLICIES];
  size_t n_policies;
} HpaRules;

typedef struct HpaBehavior {
  HpaRules up, down;
} HpaBehavior;

/* Kubernetes' defaults for a behavior given in part: scaleUp no window, Max of 4 Pods and 100 Percent per
 * 15 s; scaleDown a 300 s window, 100 Percent per 15 s. */
void hpa_behavior_defaults(HpaBehavior *b);

typedef struct HpaRecommendation {
  int32_t replicas;
  uint64_t time;
} HpaRecommendation;

typedef struct HpaScaleEvent {
  int32_t change;
  uint64_t time;
  bool outdated;
} HpaScaleEvent;

/* What the controller remembers per HPA between syncs. */
typedef struct HpaHistory {
  HpaRecommendation *recs;
  size_t n_recs;
  HpaScaleEvent *up, *down;
  size_t n_up, n_down;
} HpaHistory;

void hpa_history_done(HpaHistory *h);
/* recordInitialRecommendation: the current size as the first recommendation. */
void hpa_history_init(HpaHistory *h, int32_t current, uint64_t now);

typedef struct HpaNormalized {
  int32_t replicas;
  const char *able_reason, *able_message; /* AbleToScale True */
  bool limited;                           /* ScalingLimited status */
  const char *limit_reason, *limit_message;
} HpaNormalized;

/* normalizeDesiredReplicas (behavior == NULL; window_usec the downscale stabilization) or
 * normalizeDesiredReplicasWithBehaviors. Records the recommendation in h. */
void hpa_normalize(HpaHistory *h, const HpaBehavior *behavior, uint64_t window_usec, int32_t current,
                   int32_t desired, int32_t min, int32_t max, uint64_t now, HpaNormalized *ret);
/* storeScaleEvent: remembers a rescale for the policies' periods (only with a behavior). */
void hpa_store_scale_event(HpaHistory *h, const HpaBehavior *behavior, int32_t prev, int32_t next,
                           uint64_t now);
