/* Events for what the controllers do ("Scaled up replica set web-5d4b9 to 3 from 0", "Created pod: ..."),
 * as kube-controller-manager records them: core/v1 Events in the object's namespace, named
 * <object>.<16 hex>, with involvedObject, source and reporting component. A repeat of the same event (same
 * object, type, reason and message) within ten minutes bumps count and lastTimestamp instead of creating
 * another, like client-go's event correlator. Best effort: a failure is logged at debug and forgotten. */
#include <errno.h>
#include <stdarg.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "controller-manager"
#define EVENT_DEDUP_USEC (600ull * 1000000)
#define EVENT_MEMORY_MAX 4096 /* remembered events before the table is cleared */

void ctrl_events_init(CtrlEvents *ev) {
  pthread_mutex_init(&ev->lock, NULL);
  ev->seen = json_object();
}

void ctrl_events_destroy(CtrlEvents *ev) {
  json_decref(ev->seen);
  pthread_mutex_destroy(&ev->lock);
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
  const ApiResource *er = api_resource_find("", "v1", "events");
  _cleanup_free_ char *key = xasprintf("%s|%s|%s|%s", uid, type, reason, msg);
  char ts[32];
  ctrl_format_time(ctrl_now_sec(), ts);
  uint64_t now = now_monotonic_usec();

  CtrlEvents *ev = &m->events;
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
    if (client_patch(m->client, er, ns, prev, NULL, CLIENT_PATCH_MERGE, patch, NULL, &e) >= 0)
      return;
    error_reset(&e); /* expired or deleted: record it anew */
  }
  uint64_t r;
  random_bytes(&r, sizeof r);
  _cleanup_free_ char *evname = xasprintf("%s.%016llx", name, (unsigned long long)r);
  _cleanup_json_ json_t *obj_ev = json_pack(
      "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:s}",
      "apiVersion", "v1", "kind", "Event", "metadata", "name", evname, "namespace", ns, "involvedObject",
      "apiVersion", api_version, "kind", kind, "namespace", ns, "name", name, "uid", uid, "resourceVersion",
      jstr(obj, "metadata.resourceVersion") ?: "", "reason", reason, "message", msg, "type", type, "source",
      "component", component, "firstTimestamp", ts, "lastTimestamp", ts, "count", 1, "reportingComponent",
      component, "reportingInstance", component);
  if (client_create(m->client, er, ns, obj_ev, NULL, &e) < 0) {
    log_debug(COMPONENT, "msg=\"creating event failed\" object=%s/%s err=\"%s\"", ns, name, e.message ?: "");
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
