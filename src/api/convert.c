/* Version conversion for resources served in several versions (see convert.h). The field mappings are
 * facts of the Kubernetes API:
 *  - events.k8s.io/v1 Event ↔ core/v1 Event: regarding ↔ involvedObject, note ↔ message,
 *    reportingController ↔ reportingComponent, deprecatedSource ↔ source, deprecatedFirstTimestamp ↔
 *    firstTimestamp, deprecatedLastTimestamp ↔ lastTimestamp, deprecatedCount ↔ count; the rest keep
 *    their names.
 *  - autoscaling/v1 HPA ↔ v2: targetCPUUtilizationPercentage ↔ a cpu Resource metric with a Utilization
 *    target, currentCPUUtilizationPercentage ↔ the cpu entry of currentMetrics; v2-only content (other
 *    metrics, behavior, conditions) travels in the annotations Kubernetes uses for it so that a v1 round
 *    trip does not lose it. */
#include "api/convert.h"

#include <errno.h>
#include <string.h>

#include "api/jsonutil.h"

static const char *const HPA_METRICS_ANN = "autoscaling.alpha.kubernetes.io/metrics";
static const char *const HPA_CONDITIONS_ANN = "autoscaling.alpha.kubernetes.io/conditions";
static const char *const HPA_CURRENT_ANN = "autoscaling.alpha.kubernetes.io/current-metrics";
static const char *const HPA_BEHAVIOR_ANN = "autoscaling.alpha.kubernetes.io/behavior";

static bool is_events(const ApiResource *r) {
  return strcmp(r->resource, "events") == 0;
}

static bool is_hpa(const ApiResource *r) {
  return strcmp(r->resource, "horizontalpodautoscalers") == 0;
}

const ApiResource *api_resource_storage(const ApiResource *r) {
  if (is_events(r))
    return api_resource_find("", "v1", "events");
  if (is_hpa(r))
    return api_resource_find("autoscaling", "v2", "horizontalpodautoscalers");
  return r;
}

/* Moves obj[from] to obj[to] (if present). */
static void rename_field(json_t *obj, const char *from, const char *to) {
  json_t *v = json_object_get(obj, from);
  if (!v)
    return;
  json_object_set(obj, to, v);
  json_object_del(obj, from);
}

static const char *const event_pairs[][2] = {
    /* events.k8s.io/v1 name, core/v1 name */
    {"regarding", "involvedObject"},
    {"note", "message"},
    {"reportingController", "reportingComponent"},
    {"deprecatedSource", "source"},
    {"deprecatedFirstTimestamp", "firstTimestamp"},
    {"deprecatedLastTimestamp", "lastTimestamp"},
    {"deprecatedCount", "count"},
};

static json_t *event_convert(json_t *obj, bool to_core) {
  json_t *o = json_deep_copy(obj);
  for (size_t i = 0; i < sizeof event_pairs / sizeof event_pairs[0]; i++)
    rename_field(o, event_pairs[i][to_core ? 0 : 1], event_pairs[i][to_core ? 1 : 0]);
  json_object_set_new(o, "apiVersion", json_string(to_core ? "v1" : "events.k8s.io/v1"));
  return o;
}

static json_t *annotations(json_t *o) {
  return jobj(o, "metadata.annotations");
}

static void drop_empty_annotations(json_t *o) {
  json_t *a = jpath(o, "metadata.annotations");
  if (json_is_object(a) && json_object_size(a) == 0)
    jdel(o, "metadata.annotations");
}

/* autoscaling/v1 → v2 */
static json_t *hpa_v1_to_v2(json_t *obj) {
  json_t *o = json_deep_copy(obj);
  json_object_set_new(o, "apiVersion", json_string("autoscaling/v2"));
  json_t *spec = jobj(o, "spec");
  json_t *ann = jpath(o, "metadata.annotations");
  json_t *metrics = json_array();
  json_t *pct = json_object_get(spec, "targetCPUUtilizationPercentage");
  if (json_is_integer(pct))
    json_array_append_new(metrics,
                          json_pack("{s:s,s:{s:s,s:{s:s,s:O}}}", "type", "Resource", "resource", "name",
                                    "cpu", "target", "type", "Utilization", "averageUtilization", pct));
  const char *extra = jstr(ann, HPA_METRICS_ANN);
  if (extra) {
    json_t *more = json_loads(extra, 0, NULL);
    size_t i;
    json_t *m;
    json_array_foreach(more, i, m) json_array_append(metrics, m);
    json_decref(more);
  }
  json_object_del(spec, "targetCPUUtilizationPercentage");
  if (json_array_size(metrics))
    json_object_set_new(spec, "metrics", metrics);
  else
    json_decref(metrics);
  const char *behavior = jstr(ann, HPA_BEHAVIOR_ANN);
  if (behavior) {
    json_t *b = json_loads(behavior, 0, NULL);
    if (b)
      json_object_set_new(spec, "behavior", b);
  }
  json_t *status = json_object_get(o, "status");
  if (json_is_object(status)) {
    json_t *cur = json_object_get(status, "currentCPUUtilizationPercentage");
    json_t *current = json_array();
    if (json_is_integer(cur))
      json_array_append_new(current, json_pack("{s:s,s:{s:s,s:{s:O}}}", "type", "Resource", "resource",
                                               "name", "cpu", "current", "averageUtilization", cur));
    const char *cm = jstr(ann, HPA_CURRENT_ANN);
    if (cm) {
      json_t *more = json_loads(cm, 0, NULL);
      size_t i;
      json_t *m;
      json_array_foreach(more, i, m) json_array_append(current, m);
      json_decref(more);
    }
    json_object_del(status, "currentCPUUtilizationPercentage");
    if (json_array_size(current))
      json_object_set_new(status, "currentMetrics", current);
    else
      json_decref(current);
    const char *conds = jstr(ann, HPA_CONDITIONS_ANN);
    if (conds) {
      json_t *c = json_loads(conds, 0, NULL);
      if (c)
        json_object_set_new(status, "conditions", c);
    }
  }
  if (json_is_object(ann)) {
    json_object_del(ann, HPA_METRICS_ANN);
    json_object_del(ann, HPA_CURRENT_ANN);
    json_object_del(ann, HPA_CONDITIONS_ANN);
    json_object_del(ann, HPA_BEHAVIOR_ANN);
    drop_empty_annotations(o);
  }
  return o;
}

static bool is_cpu_utilization(json_t *m, const char *value_path) {
  return json_is_object(m) && strcmp(jstr(m, "type") ? jstr(m, "type") : "", "Resource") == 0 &&
         strcmp(jstr(m, "resource.name") ? jstr(m, "resource.name") : "", "cpu") == 0 &&
         json_is_integer(jpath(m, value_path));
}

/* autoscaling/v2 → v1 */
static json_t *hpa_v2_to_v1(json_t *obj) {
  json_t *o = json_deep_copy(obj);
  json_object_set_new(o, "apiVersion", json_string("autoscaling/v1"));
  json_t *spec = jobj(o, "spec");
  json_t *metrics = json_object_get(spec, "metrics");
  json_t *rest = json_array();
  size_t i;
  json_t *m;
  bool have_cpu = false;
  json_array_foreach(metrics, i, m) {
    if (!have_cpu && is_cpu_utilization(m, "resource.target.averageUtilization") &&
        strcmp(jstr(m, "resource.target.type") ? jstr(m, "resource.target.type") : "", "Utilization") == 0) {
      json_object_set(spec, "targetCPUUtilizationPercentage", jpath(m, "resource.target.averageUtilization"));
      have_cpu = true;
    } else {
      json_array_append(rest, m);
    }
  }
  json_object_del(spec, "metrics");
  if (json_array_size(rest)) {
    char *s = json_compact(rest);
    json_object_set_new(annotations(o), HPA_METRICS_ANN, json_string(s));
    free(s);
  }
  json_decref(rest);
  json_t *behavior = json_object_get(spec, "behavior");
  if (behavior) {
    char *s = json_compact(behavior);
    json_object_set_new(annotations(o), HPA_BEHAVIOR_ANN, json_string(s));
    free(s);
    json_object_del(spec, "behavior");
  }
  json_t *status = json_object_get(o, "status");
  if (json_is_object(status)) {
    json_t *current = json_object_get(status, "currentMetrics");
    json_t *crest = json_array();
    bool have_cur = false;
    json_array_foreach(current, i, m) {
      if (!have_cur && is_cpu_utilization(m, "resource.current.averageUtilization")) {
        json_object_set(status, "currentCPUUtilizationPercentage",
                        jpath(m, "resource.current.averageUtilization"));
        have_cur = true;
      } else {
        json_array_append(crest, m);
      }
    }
    json_object_del(status, "currentMetrics");
    if (json_array_size(crest)) {
      char *s = json_compact(crest);
      json_object_set_new(annotations(o), HPA_CURRENT_ANN, json_string(s));
      free(s);
    }
    json_decref(crest);
    json_t *conds = json_object_get(status, "conditions");
    if (conds) {
      char *s = json_compact(conds);
      json_object_set_new(annotations(o), HPA_CONDITIONS_ANN, json_string(s));
      free(s);
      json_object_del(status, "conditions");
    }
  }
  return o;
}

int convert_to_storage(const ApiResource *r, json_t *obj, json_t **ret, Error *err) {
  if (!json_is_object(obj)) {
    *ret = json_incref(obj);
    return 0;
  }
  if (is_events(r) && r->group[0]) {
    *ret = event_convert(obj, true);
    return 0;
  }
  if (is_hpa(r) && strcmp(r->version, "v1") == 0) {
    *ret = hpa_v1_to_v2(obj);
    return 0;
  }
  *ret = json_incref(obj);
  return 0;
}

json_t *convert_from_storage(const ApiResource *r, json_t *stored) {
  if (is_events(r) && r->group[0])
    return event_convert(stored, false);
  if (is_hpa(r) && strcmp(r->version, "v1") == 0)
    return hpa_v2_to_v1(stored);
  return json_incref(stored);
}
