/* The event correlator of client/events.h: aggregation of similar events, de-duplication of repeats into
 * count and lastTimestamp patches, and the per-object spam filter, with client-go's limits. */
#include "client/events.h"

#include <errno.h>

#include "api/jsonutil.h"
#include "base/util.h"

#define EVENT_DEDUP_USEC (600ull * 1000000)       /* repeats within this patch the Event written */
#define EVENT_AGGREGATE_USEC (600ull * 1000000)   /* similar events closer than this are counted together */
#define EVENT_AGGREGATE_MAX 10                    /* distinct similar events before they are combined */
#define EVENT_SPAM_BURST 25.0                     /* events a source may write about one object at once */
#define EVENT_SPAM_REFILL_USEC (300ull * 1000000) /* then one more per five minutes */
#define EVENT_MEMORY_MAX 4096                     /* entries per table before it is cleared */

static const char combined_prefix[] = "(combined from similar events): ";

void client_events_init(ClientEvents *ev) {
  pthread_mutex_init(&ev->write_lock, NULL);
  pthread_mutex_init(&ev->lock, NULL);
  ev->seen = json_object();
  ev->similar = json_object();
  ev->spam = json_object();
}

void client_events_destroy(ClientEvents *ev) {
  json_decref(ev->seen);
  json_decref(ev->similar);
  json_decref(ev->spam);
  ev->seen = ev->similar = ev->spam = NULL;
  pthread_mutex_destroy(&ev->lock);
  pthread_mutex_destroy(&ev->write_lock);
}

void client_event_decision_done(ClientEventDecision *d) {
  free(d->key);
  free(d->message);
  free(d->repeat_name);
  *d = (ClientEventDecision){0};
}

/* Time from then to now, 0 when then is later (the caller's clock read before another's). */
static uint64_t since(uint64_t now, uint64_t then) {
  return now > then ? now - then : 0;
}

static const char *s_or_empty(json_t *ev, const char *path) {
  const char *v = jstr(ev, path);
  return v ? v : "";
}

/* Source, involved object and type: the spam filter's key, and the start of the aggregate key. */
static char *object_key(json_t *event) {
  return xasprintf("%s|%s|%s|%s|%s|%s|%s|%s", s_or_empty(event, "source.component"),
                   s_or_empty(event, "source.host"), s_or_empty(event, "involvedObject.kind"),
                   s_or_empty(event, "involvedObject.namespace"), s_or_empty(event, "involvedObject.name"),
                   s_or_empty(event, "involvedObject.uid"), s_or_empty(event, "involvedObject.apiVersion"),
                   s_or_empty(event, "type"));
}

static void table_put(json_t *table, const char *key, json_t *value) {
  if (json_object_size(table) >= EVENT_MEMORY_MAX)
    json_object_clear(table);
  json_object_set_new(table, key, value);
}

/* Aggregation: the key and message the event is written under. Called with the lock held. */
static void aggregate(ClientEvents *ev, const char *objkey, const char *key, json_t *event, uint64_t now,
                      ClientEventDecision *d) {
  _cleanup_free_ char *agg =
      xasprintf("%s|%s|%s|%s", objkey, s_or_empty(event, "reason"), s_or_empty(event, "reportingComponent"),
                s_or_empty(event, "reportingInstance"));
  json_t *rec = json_object_get(ev->similar, agg);
  if (!rec || since(now, (uint64_t)jint(rec, "t", 0)) > EVENT_AGGREGATE_USEC) {
    rec = json_pack("{s:{},s:I}", "keys", "t", (json_int_t)now);
    table_put(ev->similar, agg, rec);
  }
  json_object_set_new(rec, "t", json_integer((json_int_t)now));
  json_t *keys = json_object_get(rec, "keys");
  json_object_set_new(keys, key, json_true());
  if (json_object_size(keys) < EVENT_AGGREGATE_MAX) {
    d->key = xstrdup(key);
    return;
  }
  /* Keep the set at its bound (which one goes does not matter: the set only counts). */
  json_object_del(keys, json_object_iter_key(json_object_iter(keys)));
  d->key = xstrdup(agg);
  d->message = xasprintf("%s%s", combined_prefix, s_or_empty(event, "message"));
}

/* The spam filter's token bucket for the object: false when it is empty. Called with the lock held. */
static bool take_token(ClientEvents *ev, const char *objkey, uint64_t now) {
  json_t *rec = json_object_get(ev->spam, objkey);
  double tokens = EVENT_SPAM_BURST;
  if (rec) {
    uint64_t last = (uint64_t)jint(rec, "t", 0);
    tokens = json_real_value(json_object_get(rec, "tokens"));
    if (now > last)
      tokens += (double)(now - last) / (double)EVENT_SPAM_REFILL_USEC;
    if (tokens > EVENT_SPAM_BURST)
      tokens = EVENT_SPAM_BURST;
  }
  bool ok = tokens >= 1.0;
  if (ok)
    tokens -= 1.0;
  table_put(ev->spam, objkey, json_pack("{s:f,s:I}", "tokens", tokens, "t", (json_int_t)now));
  return ok;
}

void client_events_decide(ClientEvents *ev, const char *key, json_t *event, uint64_t now,
                          ClientEventDecision *d) {
  *d = (ClientEventDecision){0};
  _cleanup_free_ char *objkey = object_key(event);
  pthread_mutex_lock(&ev->lock);
  aggregate(ev, objkey, key, event, now, d);
  if (!take_token(ev, objkey, now)) {
    d->drop = true;
  } else {
    json_t *rec = json_object_get(ev->seen, d->key);
    if (rec && since(now, (uint64_t)jint(rec, "t", 0)) < EVENT_DEDUP_USEC) {
      d->repeat_name = xstrdup(jstr(rec, "name"));
      d->count = jint(rec, "count", 1) + 1;
      json_object_set_new(rec, "count", json_integer(d->count));
      json_object_set_new(rec, "t", json_integer((json_int_t)now));
    }
  }
  pthread_mutex_unlock(&ev->lock);
}

void client_events_remember(ClientEvents *ev, const char *key, const char *name, uint64_t now) {
  pthread_mutex_lock(&ev->lock);
  table_put(ev->seen, key, json_pack("{s:s,s:i,s:I}", "name", name, "count", 1, "t", (json_int_t)now));
  pthread_mutex_unlock(&ev->lock);
}

static int record_locked(ClientEvents *ev, Client *c, const char *key, const char *object, json_t *event,
                         Error *err) {
  uint64_t now = now_monotonic_usec();
  _cleanup_(client_event_decision_done) ClientEventDecision d = {0};
  client_events_decide(ev, key, event, now, &d);
  if (d.drop)
    return 0;
  const ApiResource *er = api_resource_find("", "v1", "events");
  const char *ns = jstr(event, "metadata.namespace");
  if (d.message)
    json_object_set_new(event, "message", json_string(d.message));
  if (d.repeat_name) {
    _cleanup_json_ json_t *patch = json_pack("{s:I,s:s}", "count", (json_int_t)d.count, "lastTimestamp",
                                             s_or_empty(event, "lastTimestamp"));
    if (d.message)
      json_object_set_new(patch, "message", json_string(d.message));
    Error e = ERROR_INIT;
    if (client_patch(c, er, ns, d.repeat_name, NULL, CLIENT_PATCH_MERGE, patch, NULL, &e) >= 0)
      return 0;
    error_reset(&e); /* expired or deleted: record it anew */
  }
  uint64_t r;
  random_bytes(&r, sizeof r);
  _cleanup_free_ char *evname = xasprintf("%s.%016llx", object, (unsigned long long)r);
  json_object_set_new(json_object_get(event, "metadata"), "name", json_string(evname));
  int rc = client_create(c, er, ns, event, NULL, err);
  if (rc < 0)
    return rc;
  client_events_remember(ev, d.key, evname, now);
  return 0;
}

int client_events_record(ClientEvents *ev, Client *c, const char *key, const char *object, json_t *event,
                         Error *err) {
  pthread_mutex_lock(&ev->write_lock);
  int rc = record_locked(ev, c, key, object, event, err);
  pthread_mutex_unlock(&ev->write_lock);
  return rc;
}
