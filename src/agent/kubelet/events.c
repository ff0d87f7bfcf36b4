/* Events the kubelet records about pods (Pulling, Pulled, Created, Started, Killing, Unhealthy, BackOff,
 * Failed, FailedPostStartHook, FailedPreStopHook), written through the agent's Client like every other
 * object. See events.h for the aggregation rule (client/events.c, shared with the controllers). */
#include <errno.h>
#include <stdarg.h>

#include "agent/kubelet/events.h"
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/events.h"

struct KubeletEvents {
  ClientEvents rec; /* keys "uid|fieldPath|type|reason|message" */
};

KubeletEvents *kubelet_events_new(void) {
  KubeletEvents *ev = xzalloc(sizeof *ev);
  client_events_init(&ev->rec);
  return ev;
}

void kubelet_events_free(KubeletEvents *ev) {
  if (!ev)
    return;
  client_events_destroy(&ev->rec);
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
  _cleanup_free_ char *key = xasprintf("%s|%s|%s|%s|%s", uid, field_path ?: "", type, reason, msg);
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  const char *evns = ns ? ns : "default";
  /* ns NULL: an event about this Node (the kubelet's nodeRef: uid = the node's name, events in default). */
  json_t *involved = ns ? json_pack("{s:s,s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "Pod", "namespace",
                                    ns, "name", name, "uid", uid ?: "")
                        : json_pack("{s:s,s:s,s:s,s:s}", "apiVersion", "v1", "kind", "Node", "name", name,
                                    "uid", uid ?: name);
  if (field_path)
    json_object_set_new(involved, "fieldPath", json_string(field_path));
  const char *node = k->opts.node_name;
  _cleanup_json_ json_t *obj = json_pack(
      "{s:s,s:s,s:{s:s},s:o,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:i,s:s,s:s}", "apiVersion", "v1", "kind",
      "Event", "metadata", "namespace", evns, "involvedObject", involved, "reason", reason, "message", msg,
      "type", type, "source", "component", "kubelet", "host", node, "firstTimestamp", ts, "lastTimestamp", ts,
      "count", 1, "reportingComponent", "kubelet", "reportingInstance", node);
  Error e = ERROR_INIT;
  if (client_events_record(&ev->rec, k->client, key, name, obj, &e) < 0) {
    log_debug("kubelet", "msg=\"creating event failed\" pod=%s/%s reason=%s err=\"%s\"", ns, name, reason,
              e.message ?: "");
    error_reset(&e);
  }
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
