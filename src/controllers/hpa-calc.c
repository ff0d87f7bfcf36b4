/* The HPA's replica calculator and recommendation normalization (see hpa.h); the same rules as
 * kube-controller-manager's podautoscaler package, rewritten over plain structs. */
#include <errno.h>
#include <limits.h>
#include <math.h>

#include "base/util.h"
#include "controllers/hpa.h"

HpaPodClass hpa_classify_pod(const HpaPod *p, bool cpu, uint64_t now) {
  if (p->deleting || p->failed)
    return HPA_POD_IGNORED;
  if (p->pending)
    return HPA_POD_UNREADY;
  if (!p->has_metric)
    return HPA_POD_MISSING;
  if (cpu) {
    bool unready;
    if (!p->has_ready || !p->has_start)
      unready = true;
    else if (p->start + HPA_CPU_INIT_PERIOD_USEC > now)
      /* Still starting: unready, or no full metric window since it became ready. */
      unready = !p->ready || p->metric_time < p->ready_transition + p->metric_window;
    else
      /* Unready and never was ready. */
      unready = !p->ready && p->start + HPA_INITIAL_READINESS_USEC > p->ready_transition;
    if (unready)
      return HPA_POD_UNREADY;
  }
  return HPA_POD_READY;
}

/* The metric value each pod counts with: unset (-1) when it is left out. */
typedef struct Sample {
  bool used;
  int64_t value;
} Sample;

static int utilization_ratio(const HpaPod *pods, const Sample *s, size_t n, int32_t target, double *ret_ratio,
                             int32_t *ret_util, int64_t *ret_raw, Error *err) {
  int64_t total = 0, requests = 0, entries = 0;
  for (size_t i = 0; i < n; i++) {
    if (!s[i].used)
      continue;
    total += s[i].value;
    requests += pods[i].request;
    entries++;
  }
  if (requests == 0)
    return error_set(err, -ENODATA, NULL, "no metrics returned matched known pods");
  int32_t util = (int32_t)(total * 100 / requests);
  *ret_ratio = (double)util / (double)target;
  if (ret_util)
    *ret_util = util;
  if (ret_raw)
    *ret_raw = total / entries;
  return 0;
}

static double usage_ratio(const Sample *s, size_t n, int64_t target, int64_t *ret_usage) {
  int64_t total = 0, entries = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i].used) {
      total += s[i].value;
      entries++;
    }
  int64_t usage = entries ? total / entries : 0;
  if (ret_usage)
    *ret_usage = usage;
  return (double)usage / (double)target;
}

/* The shared body of GetResourceReplicas and calcPlainMetricReplicas. utilization: target is a percentage
 * (fallback for missing pods on a scale down: max(100, target)% of the request), else an average value. */
static int calc(const HpaPod *pods, size_t n, bool cpu, int32_t current, bool utilization, int64_t target,
                uint64_t now, int32_t *ret_replicas, int32_t *ret_util, int64_t *ret_raw, Error *err) {
  if (n == 0)
    return error_set(err, -ENODATA, NULL, "no pods returned by selector while calculating replica count");
  Sample *s = xcalloc(n, sizeof *s);
  HpaPodClass *cls = xcalloc(n, sizeof *cls);
  size_t ready = 0, unready = 0, missing = 0, with_metrics = 0;
  int rc = 0;
  for (size_t i = 0; i < n; i++) {
    cls[i] = hpa_classify_pod(&pods[i], cpu, now);
    if (cls[i] == HPA_POD_READY) {
      ready++;
      s[i] = (Sample){true, pods[i].metric};
      with_metrics++;
    } else if (cls[i] == HPA_POD_UNREADY) {
      unready++;
    } else if (cls[i] == HPA_POD_MISSING) {
      missing++;
    }
  }
  if (with_metrics == 0) {
    rc = error_set(err, -ENODATA, NULL, "did not receive metrics for targeted pods (pods might be unready)");
    goto out;
  }
  if (utilization)
    for (size_t i = 0; i < n; i++)
      if (pods[i].missing_request) {
        rc = error_set(err, -EINVAL, NULL, "missing request for %s in container %s of Pod %s",
                       cpu ? "cpu" : "memory", pods[i].missing_request, pods[i].name);
        goto out;
      }
  double ratio;
  int32_t util = 0;
  int64_t raw = 0;
  if (utilization) {
    if ((rc = utilization_ratio(pods, s, n, (int32_t)target, &ratio, &util, &raw, err)) < 0)
      goto out;
  } else {
    ratio = usage_ratio(s, n, target, &raw);
  }
  if (ret_util)
    *ret_util = util;
  *ret_raw = raw;
  bool up_with_unready = unready > 0 && ratio > 1.0;
  if (!up_with_unready && missing == 0) {
    *ret_replicas = fabs(1.0 - ratio) <= HPA_TOLERANCE ? current : (int32_t)ceil(ratio * (double)ready);
    goto out;
  }
  /* Missing pods count as at the target's edge in the direction against the change; unready pods as idle
   * on a scale up. */
  for (size_t i = 0; i < n; i++) {
    if (cls[i] == HPA_POD_MISSING && ratio != 1.0) {
      int64_t v = 0;
      if (ratio < 1.0)
        v = utilization ? pods[i].request * MAX(100, target) / 100 : target;
      s[i] = (Sample){true, v};
    }
    if (cls[i] == HPA_POD_UNREADY && up_with_unready)
      s[i] = (Sample){true, 0};
  }
  double new_ratio;
  size_t counted = 0;
  for (size_t i = 0; i < n; i++)
    counted += s[i].used;
  if (utilization) {
    if ((rc = utilization_ratio(pods, s, n, (int32_t)target, &new_ratio, NULL, NULL, err)) < 0)
      goto out;
  } else {
    new_ratio = usage_ratio(s, n, target, NULL);
  }
  if (fabs(1.0 - new_ratio) <= HPA_TOLERANCE || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    *ret_replicas = current;
    goto out;
  }
  int32_t replicas = (int32_t)ceil(new_ratio * (double)counted);
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current))
    replicas = current;
  *ret_replicas = replicas;
out:
  free(s);
  free(cls);
  return rc;
}

int hpa_utilization_replicas(const HpaPod *pods, size_t n, bool cpu, int32_t current, int32_t target_pct,
                             uint64_t now, int32_t *ret_replicas, int32_t *ret_utilization, int64_t *ret_raw,
                             Error *err) {
  return calc(pods, n, cpu, current, true, target_pct, now, ret_replicas, ret_utilization, ret_raw, err);
}

int hpa_average_value_replicas(const HpaPod *pods, size_t n, bool cpu, int32_t current, int64_t target_milli,
                               uint64_t now, int32_t *ret_replicas, int64_t *ret_usage, Error *err) {
  if (target_milli <= 0)
    return error_set(err, -EINVAL, NULL, "invalid average value target");
  return calc(pods, n, cpu, current, false, target_milli, now, ret_replicas, NULL, ret_usage, err);
}

/* ---- normalization ---- */

void hpa_behavior_defaults(HpaBehavior *b) {
  *b = (HpaBehavior){
      .up = {.select = HPA_SELECT_MAX,
             .stabilization_sec = 0,
             .policies = {{HPA_POLICY_PODS, 4, 15}, {HPA_POLICY_PERCENT, 100, 15}},
             .n_policies = 2},
      .down = {.select = HPA_SELECT_MAX,
               .stabilization_sec = 300,
               .policies = {{HPA_POLICY_PERCENT, 100, 15}},
               .n_policies = 1},
  };
}

void hpa_history_done(HpaHistory *h) {
  free(h->recs);
  free(h->up);
  free(h->down);
  *h = (HpaHistory){0};
}

static void add_rec(HpaHistory *h, int32_t replicas, uint64_t now) {
  h->recs = xrealloc(h->recs, (h->n_recs + 1) * sizeof *h->recs);
  h->recs[h->n_recs++] = (HpaRecommendation){replicas, now};
}

void hpa_history_init(HpaHistory *h, int32_t current, uint64_t now) {
  if (!h->recs)
    add_rec(h, current, now);
}

static const char *const WITHIN = "the desired count is within the acceptable range";

/* The replica count a policy's period began with: current, less the scale-ups and plus the scale-downs
 * recorded within the last period_sec. */
static int32_t period_start(const HpaHistory *h, int32_t current, int32_t period_sec, uint64_t now) {
  uint64_t cutoff = (uint64_t)period_sec * 1000000u;
  int32_t added = 0, deleted = 0;
  for (size_t e = 0; e < h->n_up; e++)
    if (h->up[e].time + cutoff > now)
      added += h->up[e].change;
  for (size_t e = 0; e < h->n_down; e++)
    if (h->down[e].time + cutoff > now)
      deleted += h->down[e].change;
  return current - added + deleted;
}

void hpa_normalize(HpaHistory *h, const HpaBehavior *behavior, uint64_t window_usec, int32_t current,
                   int32_t desired, int32_t min, int32_t max, uint64_t now, HpaNormalized *ret) {
  HpaNormalized r = {0};
  int32_t stabilized;
  if (!behavior) {
    /* The highest recommendation of the window; the oldest sample outside it is reused for this one. */
    stabilized = desired;
    ssize_t old = -1;
    for (size_t i = 0; i < h->n_recs; i++) {
      if (h->recs[i].time + window_usec < now)
        old = (ssize_t)i;
      else if (h->recs[i].replicas > stabilized)
        stabilized = h->recs[i].replicas;
    }
    if (old >= 0)
      h->recs[old] = (HpaRecommendation){desired, now};
    else
      add_rec(h, desired, now);
    if (stabilized != desired) {
      r.able_reason = "ScaleDownStabilized";
      r.able_message =
          "recent recommendations were higher than current one, applying the highest recent recommendation";
    } else {
      r.able_reason = "ReadyForNewScale";
      r.able_message = "recommended size matches current size";
    }
    /* convertDesiredReplicasWithRules: at most double (at least 4) per step. */
    int32_t limit = (int32_t)MAX(2.0 * current, 4.0), max_allowed;
    const char *reason, *message;
    if (max > limit) {
      max_allowed = limit;
      reason = "ScaleUpLimit";
      message = "the desired replica count is increasing faster than the maximum scale rate";
    } else {
      max_allowed = max;
      reason = "TooManyReplicas";
      message = "the desired replica count is more than the maximum replica count";
    }
    int32_t out = stabilized;
    if (stabilized < min) {
      out = min;
      reason = "TooFewReplicas";
      message = "the desired replica count is less than the minimum replica count";
    } else if (stabilized > max_allowed) {
      out = max_allowed;
    } else {
      reason = "DesiredWithinRange";
      message = WITHIN;
    }
    r.replicas = out;
    r.limited = out != stabilized;
    r.limit_reason = reason;
    r.limit_message = message;
    *ret = r;
    return;
  }

  /* stabilizeRecommendationWithBehaviors */
  uint64_t up_window = (uint64_t)MAX(behavior->up.stabilization_sec, 0) * 1000000u;
  uint64_t down_window = (uint64_t)MAX(behavior->down.stabilization_sec, 0) * 1000000u;
  int32_t up_rec = desired, down_rec = desired;
  ssize_t old = -1;
  for (size_t i = 0; i < h->n_recs; i++) {
    uint64_t t = h->recs[i].time;
    bool after_up = t + up_window > now, after_down = t + down_window > now;
    if (after_up)
      up_rec = MIN(h->recs[i].replicas, up_rec);
    if (after_down)
      down_rec = MAX(h->recs[i].replicas, down_rec);
    if (t + up_window < now && t + down_window < now)
      old = (ssize_t)i;
  }
  stabilized = current;
  if (stabilized < up_rec)
    stabilized = up_rec;
  if (stabilized > down_rec)
    stabilized = down_rec;
  if (old >= 0)
    h->recs[old] = (HpaRecommendation){desired, now};
  else
    add_rec(h, desired, now);
  if (stabilized != desired) {
    if (desired >= current) {
      r.able_reason = "ScaleUpStabilized";
      r.able_message =
          "recent recommendations were lower than current one, applying the lowest recent recommendation";
    } else {
      r.able_reason = "ScaleDownStabilized";
      r.able_message =
          "recent recommendations were higher than current one, applying the highest recent recommendation";
    }
  } else {
    r.able_reason = "ReadyForNewScale";
    r.able_message = "recommended size matches current size";
  }

  /* convertDesiredReplicasWithBehaviorRate */
  int32_t out = stabilized;
  const char *reason = "DesiredWithinRange", *message = WITHIN;
  if (stabilized > current) {
    int32_t limit;
    const HpaRules *rules = &behavior->up;
    if (rules->select == HPA_SELECT_DISABLED) {
      limit = current;
    } else {
      limit = rules->select == HPA_SELECT_MIN ? INT32_MAX : INT32_MIN;
      for (size_t p = 0; p < rules->n_policies; p++) {
        int32_t start = period_start(h, current, rules->policies[p].period_sec, now), proposed;
        if (rules->policies[p].type == HPA_POLICY_PODS)
          proposed = start + rules->policies[p].value;
        else
          proposed = (int32_t)ceil((double)start * (1.0 + (double)rules->policies[p].value / 100.0));
        limit = rules->select == HPA_SELECT_MIN ? MIN(limit, proposed) : MAX(limit, proposed);
      }
    }
    if (limit < current)
      limit = current;
    int32_t max_allowed = max;
    const char *lr, *lm;
    if (max_allowed > limit) {
      max_allowed = limit;
      lr = "ScaleUpLimit";
      lm = "the desired replica count is increasing faster than the maximum scale rate";
    } else {
      lr = "TooManyReplicas";
      lm = "the desired replica count is more than the maximum replica count";
    }
    if (stabilized > max_allowed) {
      out = max_allowed;
      reason = lr;
      message = lm;
    }
  } else if (stabilized < current) {
    int32_t limit;
    const HpaRules *rules = &behavior->down;
    if (rules->select == HPA_SELECT_DISABLED) {
      limit = current;
    } else {
      limit = rules->select == HPA_SELECT_MIN ? INT32_MIN : INT32_MAX;
      for (size_t p = 0; p < rules->n_policies; p++) {
        int32_t start = period_start(h, current, rules->policies[p].period_sec, now), proposed;
        if (rules->policies[p].type == HPA_POLICY_PODS)
          proposed = start - rules->policies[p].value;
        else
          proposed = (int32_t)((double)start * (1.0 - (double)rules->policies[p].value / 100.0));
        /* For a scale down the smallest change is the largest count. */
        limit = rules->select == HPA_SELECT_MIN ? MAX(limit, proposed) : MIN(limit, proposed);
      }
    }
    if (limit > current)
      limit = current;
    int32_t min_allowed = min;
    const char *lr, *lm;
    if (min_allowed < limit) {
      min_allowed = limit;
      lr = "ScaleDownLimit";
      lm = "the desired replica count is decreasing faster than the maximum scale rate";
    } else {
      lr = "TooFewReplicas";
      lm = "the desired replica count is less than the minimum replica count";
    }
    if (stabilized < min_allowed) {
      out = min_allowed;
      reason = lr;
      message = lm;
    }
  }
  r.replicas = out;
  r.limited = out != stabilized;
  r.limit_reason = reason;
  r.limit_message = message;
  *ret = r;
}

static uint64_t longest_period_usec(const HpaRules *r) {
  int32_t longest = 0;
  for (size_t i = 0; i < r->n_policies; i++)
    longest = MAX(longest, r->policies[i].period_sec);
  return (uint64_t)longest * 1000000u;
}

static void store_event(HpaScaleEvent **events, size_t *n, uint64_t longest, int32_t change, uint64_t now) {
  for (size_t i = 0; i < *n; i++)
    if ((*events)[i].time + longest < now)
      (*events)[i].outdated = true;
  for (size_t i = 0; i < *n; i++)
    if ((*events)[i].outdated) {
      (*events)[i] = (HpaScaleEvent){change, now, false};
      return;
    }
  *events = xrealloc(*events, (*n + 1) * sizeof **events);
  (*events)[(*n)++] = (HpaScaleEvent){change, now, false};
}

void hpa_store_scale_event(HpaHistory *h, const HpaBehavior *behavior, int32_t prev, int32_t next,
                           uint64_t now) {
  if (!behavior || prev == next)
    return;
  if (next > prev)
    store_event(&h->up, &h->n_up, longest_period_usec(&behavior->up), next - prev, now);
  else
    store_event(&h->down, &h->n_down, longest_period_usec(&behavior->down), prev - next, now);
}
