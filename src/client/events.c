/* The event aggregation of client/events.h: one table of the Events written lately, keyed by what makes
 * two events the same, so that a repeat is a merge patch of count and lastTimestamp. */
#include "client/events.h"
#include "api/jsonutil.h"
#include "base/util.h"

#define EVENT_DEDUP_USEC (600ull * 1000000)
#define EVENT_MEMORY_MAX 4096 /* remembered events before the table is cleared */

void client_events_init(ClientEvents *ev) {
  pthread_mutex_init(&ev->lock, NULL);
  ev->seen = json_object();
}

void client_events_destroy(ClientEvents *ev) {
  json_decref(ev->seen);
  ev->seen = NULL;
  pthread_mutex_destroy(&ev->lock);
}

bool client_events_repeat(ClientEvents *ev, Client *c, const char *key, const char *ns, const char *ts) {
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
  if (!prev)
    return false;
  const ApiResource *er = api_resource_find("", "v1", "events");
  _cleanup_json_ json_t *patch = json_pack("{s:I,s:s}", "count", (json_int_t)count, "lastTimestamp", ts);
  Error e = ERROR_INIT;
  if (client_patch(c, er, ns, prev, NULL, CLIENT_PATCH_MERGE, patch, NULL, &e) >= 0)
    return true;
  error_reset(&e); /* expired or deleted: record it anew */
  return false;
}

int client_events_create(ClientEvents *ev, Client *c, const char *key, const char *ns, const char *object,
                         json_t *event, Error *err) {
  uint64_t now = now_monotonic_usec();
  uint64_t r;
  random_bytes(&r, sizeof r);
  _cleanup_free_ char *evname = xasprintf("%s.%016llx", object, (unsigned long long)r);
  json_object_set_new(json_object_get(event, "metadata"), "name", json_string(evname));
  const ApiResource *er = api_resource_find("", "v1", "events");
  int rc = client_create(c, er, ns, event, NULL, err);
  if (rc < 0)
    return rc;
  pthread_mutex_lock(&ev->lock);
  if (json_object_size(ev->seen) >= EVENT_MEMORY_MAX)
    json_object_clear(ev->seen);
  json_object_set_new(ev->seen, key,
                      json_pack("{s:s,s:i,s:I}", "name", evname, "count", 1, "t", (json_int_t)now));
  pthread_mutex_unlock(&ev->lock);
  return 0;
}
