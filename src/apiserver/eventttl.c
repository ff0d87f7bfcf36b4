/* Event expiry: a sweep over the stored Events that deletes those not written for --event-ttl. The API
 * server's background thread runs it every tenth of the TTL (at least every second, at most every minute),
 * so an Event lives between TTL and 1.1 × TTL after its last update — where Kubernetes' etcd lease gives
 * exactly TTL (plus etcd's lease check period). Deletions go through the store like any delete, so
 * watchers see DELETED events. */
#include <errno.h>

#include "api/jsonutil.h"
#include "apiserver/eventttl.h"
#include "base/log.h"

int64_t eventttl_last_write(json_t *ev) {
  static const char *const fields[] = {"lastTimestamp", "eventTime", "series.lastObservedTime",
                                       "metadata.creationTimestamp", "deprecatedLastTimestamp"};
  int64_t best = -1;
  for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
    const char *v = jstr(ev, fields[i]);
    int64_t t;
    if (!isempty(v) && parse_rfc3339(v, &t) == 0 && t > best)
      best = t;
  }
  return best;
}

bool eventttl_expired(json_t *ev, int64_t now, int64_t ttl_sec) {
  int64_t t = eventttl_last_write(ev);
  return t >= 0 && now - t >= ttl_sec;
}

size_t eventttl_sweep(ApiServer *s, int64_t ttl_sec) {
  const ApiResource *r = api_resource_find("", "v1", "events");
  if (!r || ttl_sec <= 0)
    return 0;
  _cleanup_free_ char *prefix = registry_prefix(r, NULL);
  CacheObj **objs;
  size_t n, deleted = 0;
  int64_t rev, now = (int64_t)(now_realtime_usec() / 1000000u);
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  for (size_t i = 0; i < n; i++) {
    if (!eventttl_expired(objs[i]->obj, now, ttl_sec))
      continue;
    /* Compare-and-delete at the revision judged: an Event updated meanwhile lives on. */
    Error e = ERROR_INIT;
    int rc = store_delete(s->store, objs[i]->key, objs[i]->mod_rev, NULL, &e);
    if (rc >= 0)
      deleted++;
    else if (rc != -ECANCELED && rc != -ENOENT)
      log_warn("apiserver", "msg=\"expiring event failed\" key=%s err=\"%s\"", objs[i]->key, e.message ?: "");
    error_reset(&e);
  }
  watch_cache_list_free(objs, n);
  if (deleted)
    log_debug("apiserver", "msg=\"expired events\" count=%zu ttl_sec=%lld", deleted, (long long)ttl_sec);
  return deleted;
}
