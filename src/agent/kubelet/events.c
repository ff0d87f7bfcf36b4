/* Events the kubelet records about pods (Pulling, Pulled, Created, Started, Killing, Unhealthy, BackOff,
 * Failed, FailedPostStartHook, FailedPreStopHook), written through the agent's Client like every other
 * object. See events.h for the aggregation rule. */
#include <errno.h>
#include <stdarg.h>

#include "agent/kubelet/events.h"
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

#define EVENT_DEDUP_USEC (600ull * 1000000)
#define EVENT_MEMORY_MAX 4096 /* remembered events before the table is cleared */

struct KubeletEvents {
  pthread_mutex_t lock;
  json_t *seen; /* "uid|fieldPath|type|reason|message" → {"name", "count", "t": monotonic usec} */
};

KubeletEvents *kubelet_events_new(void) {
  KubeletEvents *ev = xzalloc(sizeof *ev);
  pthread_mutex_init(&ev->lock, NULL);
  ev->seen = json_object();
  return ev;
}

void kubelet_events_free(KubeletEvents *ev) {
  if (!ev)
    return;
  json_decref(ev->seen);
  pthread_mutex_destroy(&ev->lock);
  free(ev);
}

char *kubelet_ctr_field_path(const KubeletPod *kp, const char *name) {
  for (size_t i = 0; i < kp->n_inits; i++)
    if (streq_ptr(kp->inits[i].name, name))
      return xasprintf("spec.initContainers{%s}", name);
  return xasprintf("spec.containers{%s}", name);
}

void kubelet_event(Kubelet *k, const char *ns, const char *name, const char *uid, const char *field_path,
                   const char *type, const char *reason, const char *fmt, ...) {
  KubeletEvents *ev = k->events;
  if (!ev || !name)
    return;
  va_list ap;
  va_start(ap, fmt);
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const ApiResource *er = api_resource_find("", "v1", "events");
  _cleanup_free_ char *key = xasprintf("%s|%s|%s|%s|%s", uid, field_path ?: "", type, reason, msg);
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  uint64_t now = now_monotonic_usec();

  pthread_mutex_lock(&ev->lock);
  json_t *rec = json_object_get(ev->seen, key);
  _cleanup_free_ char *prev = NULL;
  int64_t count = 0;
  if (rec && now - (uint64_t)jint(rec, "t", 0) < EVENT_DEDUP_USEC) {
    prev = xstrdup(jstr(rec, "name"));
    count = jint(rec, "count", 1) + 1;
    json_object_set_new(rec, "count", json_integer(count));
    json_object_set_new(rec, "t", json_integer((json_int_t)now));
  }
  pthread_mutex_unlock(&ev->lock);

  Error e = ERROR_INIT;
  if (prev) {
    _cleanup_json_ json_t *patch = json_pack("{s:I,s:s}", "count", (json_int_t)count, "lastTimestamp", ts);
    if (client_patch(k->client, er, ns ? ns : "default", prev, NULL, CLIENT_PATCH_MERGE, patch, NULL, &e) >=
        0)
      return;
    error_reset(&e); /* expired or deleted: record it anew */
  }
  uint64_t r;
  random_bytes(&r, sizeof r);
  _cleanup_free_ char *evname = xasprintf("%s.%016llx", name, (unsigned long long)r);
  /* ns NULL: an event about this Node (the kubelet's nodeRef: uid = the node's name, events in default). */
  json_t *involved = ns ? json_pack("{s:s,s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "Pod", "namespace",
                                    ns, "name", name, "uid", uid ?: "")
                        : json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "Node", "name", name,
                                    "uid", uid ?: name);
  const char *evns = ns ? ns : "default";
  if (field_path)
    json_object_set_new(involved, "fieldPath", json_string(field_path));
  const char *node = k->opts.node_name;
  _cleanup_json_ json_t *obj = json_pack(
      "{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:i,s:s,s:s}", "apiVersion", "v1", "kind",
      "Event", "metadata", "name", evname, "namespace", evns, "involvedObject", involved, "reason", reason,
      "message", msg, "type", type, "source", "component", "kubelet", "host", node, "firstTimestamp", ts,
      "lastTimestamp", ts, "count", 1, "reportingComponent", "kubelet", "reportingInstance", node);
  if (client_create(k->client, er, evns, obj, NULL, &e) < 0) {
    log_debug("kubelet", "msg=\"creating event failed\" pod=%s/%s reason=%s err=\"%s\"", ns, name, reason,
              e.message ?: "");
    error_reset(&e);
    return;
  }
  pthread_mutex_lock(&ev->lock);
  if (json_object_size(ev->seen) >= EVENT_MEMORY_MAX)
    json_object_clear(ev->seen);
  json_object_set_new(ev->seen, key,
                      json_pack("{s:s,s:i,s:I}", "name", evname, "count", 1, "t", (json_int_t)now));
  pthread_mutex_unlock(&ev->lock);
}

bool kubelet_event_image_pulling(Kubelet *k, const KubeletPod *kp, const char *ctr, const char *image,
                                 const char *policy) {
  bool present = false;
  if (!streq_ptr(policy, "Always")) {
    _cleanup_image_info_ ImageInfo *img = NULL;
    present = image_lookup(k->images, image, &img, NULL) == 0;
  }
  if (!present && !streq_ptr(policy, "Never"))
    kubelet_ctr_event(k, kp, ctr, "Normal", "Pulling", "Pulling image \"%s\"", image);
  return present;
}

void kubelet_event_image_ready(Kubelet *k, const KubeletPod *kp, const char *ctr, const char *image,
                               bool was_present, uint64_t started_usec, const ImageInfo *img,
                               const char *reason, const char *error) {
  if (!img) {
    if (!streq_ptr(reason, "ErrImageNeverPull"))
      kubelet_ctr_event(k, kp, ctr, "Warning", "Failed", "Failed to pull image \"%s\": %s", image,
                        error ?: "");
    else
      kubelet_ctr_event(k, kp, ctr, "Warning", "ErrImageNeverPull", "%s", error ?: "");
    kubelet_ctr_event(k, kp, ctr, "Warning", "Failed", "Error: %s", reason ?: "ErrImagePull");
    return;
  }
  if (was_present) {
    kubelet_ctr_event(k, kp, ctr, "Normal", "Pulled", "Container image \"%s\" already present on machine",
                      image);
    return;
  }
  double sec = (double)(now_monotonic_usec() - started_usec) / 1e6;
  kubelet_ctr_event(
      k, kp, ctr, "Normal", "Pulled",
      "Successfully pulled image \"%s\" in %.3fs (%.3fs including waiting). Image size: %lld bytes.", image,
      sec, sec, (long long)img->size);
}
