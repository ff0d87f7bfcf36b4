/* Events for what the controllers do ("Scaled up replica set web-5d4b9 to 3 from 0", "Created pod: ..."),
 * as kube-controller-manager records them: core/v1 Events in the object's namespace, named
 * <object>.<16 hex>, with involvedObject, source and reporting component, through client-go's correlator
 * (client/events.h, shared with the kubelet): a repeat of the same event (same object, type, reason and
 * message) within ten minutes bumps count and lastTimestamp instead of creating another, similar events
 * are combined past ten, and at most 25 events per object go out at once (then one per five minutes).
 * Best effort: a failure is logged at debug and forgotten. */
#include <errno.h>
#include <stdarg.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "controller-manager"

void ctrl_events_init(CtrlEvents *ev) {
  client_events_init(ev);
}

void ctrl_events_destroy(CtrlEvents *ev) {
  client_events_destroy(ev);
}

void ctrl_event(CtrlManager *m, json_t *obj, const char *api_version, const char *kind, const char *component,
                const char *type, const char *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *ns = jstr(obj, "metadata.namespace") ?: "default", *name = jstr(obj, "metadata.name");
  const char *uid = jstr(obj, "metadata.uid") ?: "";
  if (!name)
    return;
  _cleanup_free_ char *key = xasprintf("%s|%s|%s|%s", uid, type, reason, msg);
  char ts[32];
  ctrl_format_time(ctrl_now_sec(), ts);
  _cleanup_json_ json_t *obj_ev =
      json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:s}",
                "apiVersion", "v1", "kind", "Event", "metadata", "namespace", ns, "involvedObject",
                "apiVersion", api_version, "kind", kind, "namespace", ns, "name", name, "uid", uid,
                "resourceVersion", jstr(obj, "metadata.resourceVersion") ?: "", "reason", reason, "message",
                msg, "type", type, "source", "component", component, "firstTimestamp", ts, "lastTimestamp",
                ts, "count", 1, "reportingComponent", component, "reportingInstance", component);
  Error e = ERROR_INIT;
  if (client_events_record(&m->events, m->client, key, name, obj_ev, &e) < 0) {
    log_debug(COMPONENT, "msg=\"creating event failed\" object=%s/%s err=\"%s\"", ns, name, e.message ?: "");
    error_reset(&e);
  }
}
