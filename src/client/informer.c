/* The informer of informer.h: its thread, the list/watch state machine, the cache and handler dispatch.
 *
 * The thread's states (transitions in informer_run):
 *
 *              list ok                       watch ended cleanly: watch again from the last resourceVersion
 *   LISTING ───────────────▶ WATCHING ◀──┐
 *     ▲  │ list failed          │  └─────┘
 *     │  ▼                      │ 410 (Gone / Expired): re-list at once
 *   BACKOFF ◀───────────────────┤ ERROR event, dropped connection, bad event: back off, then re-list
 *     │                         │
 *     └──── after the delay ────┴──▶ LISTING
 *
 *   every state ── informer_stop ──▶ STOPPED (the ClientCancel aborts a list or watch in flight; the
 *                                             condition variable ends a back-off sleep)
 */
#include "client/informer.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "api/jsonutil.h"
#include "base/log.h"
#include "client/client-internal.h"

#define BACKOFF_INITIAL_USEC 800000ull
#define BACKOFF_MAX_USEC 30000000ull
#define BACKOFF_RESET_USEC 120000000ull
#define WATCH_TIMEOUT_MIN_SEC 300u
#define WATCH_SHORT_USEC 1000000ull

typedef enum InformerState {
  INFORMER_LISTING,
  INFORMER_WATCHING,
  INFORMER_BACKOFF,
  INFORMER_STOPPED,
  _INFORMER_STATE_MAX,
  INFORMER_STATE_INVALID = -1,
} InformerState;

static const char *const state_names[_INFORMER_STATE_MAX] = {
    [INFORMER_LISTING] = "listing",
    [INFORMER_WATCHING] = "watching",
    [INFORMER_BACKOFF] = "backoff",
    [INFORMER_STOPPED] = "stopped",
};

/* Allowed transitions, asserted in debug builds. */
static const bool state_allowed[_INFORMER_STATE_MAX][_INFORMER_STATE_MAX] = {
    [INFORMER_LISTING] = {[INFORMER_WATCHING] = true, [INFORMER_BACKOFF] = true, [INFORMER_STOPPED] = true},
    [INFORMER_WATCHING] = {[INFORMER_WATCHING] = true,
                           [INFORMER_LISTING] = true,
                           [INFORMER_BACKOFF] = true,
                           [INFORMER_STOPPED] = true},
    [INFORMER_BACKOFF] = {[INFORMER_LISTING] = true, [INFORMER_STOPPED] = true},
};

struct Informer {
  Client *client;
  const ApiResource *res;
  char *ns, *label_selector, *field_selector;
  uint64_t resync_usec;
  size_t page_size;

  pthread_rwlock_t cache_lock; /* guards cache */
  ClientMap cache;             /* key → json_t * (one reference each) */

  pthread_mutex_t dispatch_lock; /* serialises handler calls; guards handlers */
  InformerHandlers *handlers;
  size_t n_handlers;

  pthread_mutex_t lock; /* guards the fields below; cond signals sync and stop */
  pthread_cond_t cond;
  bool started, stopping, synced;
  InformerStats stats;

  /* the thread's own */
  pthread_t thread;
  ClientCancel *cancel;
  InformerState state;
  char *rv;
  uint64_t backoff_usec, last_failure_usec, next_resync_usec;
};

/* ---- keys ---- */

char *informer_key(json_t *obj) {
  const char *name = jstr(obj, "metadata.name"), *ns = jstr(obj, "metadata.namespace");
  if (isempty(name))
    return NULL;
  return isempty(ns) ? xstrdup(name) : xasprintf("%s/%s", ns, name);
}

void informer_split_key(const char *key, char **ret_ns, char **ret_name) {
  const char *slash = strchr(key, '/');
  *ret_ns = slash ? xstrndup(key, (size_t)(slash - key)) : NULL;
  *ret_name = xstrdup(slash ? slash + 1 : key);
}

/* ---- life cycle ---- */

int informer_new(Client *c, const ApiResource *r, const InformerOptions *opts, Informer **ret, Error *err) {
  static const InformerOptions none = {0};
  if (!opts)
    opts = &none;
  LabelSelector *ls = NULL;
  FieldSelector *fs = NULL;
  int rc = label_selector_parse(opts->label_selector, &ls, err);
  if (rc >= 0)
    rc = field_selector_parse(opts->field_selector, &fs, err);
  label_selector_free(ls);
  field_selector_free(fs);
  if (rc < 0) {
    error_wrap(err, "informer for %s: ", r->resource);
    if (err)
      err->code = -EINVAL;
    return -EINVAL;
  }
  Informer *inf = xzalloc(sizeof *inf);
  inf->client = c;
  inf->res = r;
  inf->ns = isempty(opts->ns) ? NULL : xstrdup(opts->ns);
  inf->label_selector = isempty(opts->label_selector) ? NULL : xstrdup(opts->label_selector);
  inf->field_selector = isempty(opts->field_selector) ? NULL : xstrdup(opts->field_selector);
  inf->resync_usec = opts->resync_usec;
  inf->page_size = opts->page_size;
  pthread_rwlock_init(&inf->cache_lock, NULL);
  pthread_mutex_init(&inf->dispatch_lock, NULL);
  pthread_mutex_init(&inf->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&inf->cond, &ca);
  pthread_condattr_destroy(&ca);
  inf->cancel = client_cancel_new();
  inf->state = INFORMER_LISTING;
  *ret = inf;
  return 0;
}

static void decref_value(void *v) {
  json_decref(v);
}

void informer_free(Informer *inf) {
  if (!inf)
    return;
  informer_stop(inf);
  client_map_clear(&inf->cache, decref_value);
  pthread_rwlock_destroy(&inf->cache_lock);
  pthread_mutex_destroy(&inf->dispatch_lock);
  pthread_mutex_destroy(&inf->lock);
  pthread_cond_destroy(&inf->cond);
  client_cancel_free(inf->cancel);
  free(inf->handlers);
  free(inf->ns);
  free(inf->label_selector);
  free(inf->field_selector);
  free(inf->rv);
  free(inf);
}

const ApiResource *informer_resource(Informer *inf) {
  return inf->res;
}

static bool stopping(Informer *inf) {
  pthread_mutex_lock(&inf->lock);
  bool s = inf->stopping;
  pthread_mutex_unlock(&inf->lock);
  return s;
}

static void set_state(Informer *inf, InformerState to) {
#ifndef NDEBUG
  if (!state_allowed[inf->state][to]) {
    log_error("informer", "resource=%s invalid transition %s -> %s", inf->res->resource,
              state_names[inf->state], state_names[to]);
    abort();
  }
#endif
  if (inf->state != to)
    log_debug("informer", "resource=%s state=%s", inf->res->resource, state_names[to]);
  inf->state = to;
}

/* ---- cache ---- */

typedef struct KeyObj {
  const char *key;
  json_t *obj;
} KeyObj;

typedef struct Collect {
  KeyObj *v;
  size_t n, cap;
  const char *ns; /* filter, NULL = any */
  const LabelSelector *sel;
} Collect;

static void collect_one(const char *key, void *value, void *userdata) {
  Collect *c = userdata;
  json_t *obj = value;
  if (c->ns) {
    const char *ons = jstr(obj, "metadata.namespace");
    if (!ons || !streq(ons, c->ns))
      return;
  }
  if (c->sel && !label_selector_matches(c->sel, jpath(obj, "metadata.labels")))
    return;
  if (c->n == c->cap) {
    c->cap = c->cap ? c->cap * 2 : 64;
    c->v = xrealloc(c->v, c->cap * sizeof *c->v);
  }
  c->v[c->n++] = (KeyObj){key, obj};
}

static int cmp_keyobj(const void *a, const void *b) {
  return strcmp(((const KeyObj *)a)->key, ((const KeyObj *)b)->key);
}

/* Sorted snapshot of matching objects as a JSON array of new references. */
static json_t *snapshot(Informer *inf, const char *ns, const LabelSelector *sel) {
  Collect c = {.ns = ns, .sel = sel};
  json_t *arr = json_array();
  pthread_rwlock_rdlock(&inf->cache_lock);
  client_map_foreach(&inf->cache, collect_one, &c);
  if (c.n)
    qsort(c.v, c.n, sizeof *c.v, cmp_keyobj);
  for (size_t i = 0; i < c.n; i++)
    json_array_append(arr, c.v[i].obj);
  pthread_rwlock_unlock(&inf->cache_lock);
  free(c.v);
  return arr;
}

json_t *informer_get(Informer *inf, const char *key) {
  pthread_rwlock_rdlock(&inf->cache_lock);
  json_t *o = json_incref(client_map_get(&inf->cache, key));
  pthread_rwlock_unlock(&inf->cache_lock);
  return o;
}

json_t *informer_get_by_name(Informer *inf, const char *ns, const char *name) {
  _cleanup_free_ char *key = isempty(ns) ? xstrdup(name) : xasprintf("%s/%s", ns, name);
  return informer_get(inf, key);
}

json_t *informer_list(Informer *inf) {
  return snapshot(inf, NULL, NULL);
}

json_t *informer_list_namespace(Informer *inf, const char *ns) {
  return snapshot(inf, ns, NULL);
}

json_t *informer_list_selector(Informer *inf, const char *ns, const LabelSelector *sel) {
  return snapshot(inf, ns, sel);
}

size_t informer_count(Informer *inf) {
  pthread_rwlock_rdlock(&inf->cache_lock);
  size_t n = inf->cache.size;
  pthread_rwlock_unlock(&inf->cache_lock);
  return n;
}

/* ---- dispatch (dispatch_lock held by the callers) ---- */

static void dispatch_add(Informer *inf, json_t *obj) {
  for (size_t i = 0; i < inf->n_handlers; i++)
    if (inf->handlers[i].on_add)
      inf->handlers[i].on_add(obj, inf->handlers[i].userdata);
}

static void dispatch_update(Informer *inf, json_t *old_obj, json_t *new_obj) {
  for (size_t i = 0; i < inf->n_handlers; i++)
    if (inf->handlers[i].on_update)
      inf->handlers[i].on_update(old_obj, new_obj, inf->handlers[i].userdata);
}

static void dispatch_delete(Informer *inf, json_t *obj) {
  for (size_t i = 0; i < inf->n_handlers; i++)
    if (inf->handlers[i].on_delete)
      inf->handlers[i].on_delete(obj, inf->handlers[i].userdata);
}

void informer_add_handlers(Informer *inf, const InformerHandlers *h) {
  pthread_mutex_lock(&inf->dispatch_lock);
  pthread_mutex_lock(&inf->lock);
  bool started = inf->started;
  pthread_mutex_unlock(&inf->lock);
  if (started && h->on_add) {
    /* Replays the cache under dispatch_lock so that no event slips between the replay and registration. */
    _cleanup_json_ json_t *all = informer_list(inf);
    size_t i;
    json_t *o;
    json_array_foreach(all, i, o) h->on_add(o, h->userdata);
  }
  inf->handlers = xrealloc(inf->handlers, (inf->n_handlers + 1) * sizeof *inf->handlers);
  inf->handlers[inf->n_handlers++] = *h;
  pthread_mutex_unlock(&inf->dispatch_lock);
}

/* ---- the list ---- */

static void set_rv(Informer *inf, const char *rv) {
  if (isempty(rv))
    return;
  free(inf->rv);
  inf->rv = xstrdup(rv);
  pthread_mutex_lock(&inf->lock);
  snprintf(inf->stats.resource_version, sizeof inf->stats.resource_version, "%s", rv);
  pthread_mutex_unlock(&inf->lock);
}

typedef struct Vanished {
  KeyObj *v;
  size_t n, cap;
  const ClientMap *now;
} Vanished;

static void collect_vanished(const char *key, void *value, void *userdata) {
  Vanished *vs = userdata;
  if (client_map_contains(vs->now, key))
    return;
  if (vs->n == vs->cap) {
    vs->cap = vs->cap ? vs->cap * 2 : 16;
    vs->v = xrealloc(vs->v, vs->cap * sizeof *vs->v);
  }
  vs->v[vs->n++] = (KeyObj){key, value};
}

/* Replaces the cache with a list's items and reports the differences (client-go's Replace): objects still
 * there as updates, new ones as adds (in list order), vanished ones as deletes (in key order). */
void informer_replace(Informer *inf, json_t *items, const char *rv) {
  ClientMap fresh = CLIENT_MAP_INIT;
  size_t i;
  json_t *it;
  json_array_foreach(items, i, it) {
    _cleanup_free_ char *key = informer_key(it);
    if (key)
      json_decref(client_map_put(&fresh, key, json_incref(it)));
  }
  pthread_mutex_lock(&inf->dispatch_lock);
  pthread_rwlock_wrlock(&inf->cache_lock);
  ClientMap old = inf->cache;
  inf->cache = fresh;
  pthread_rwlock_unlock(&inf->cache_lock);
  json_array_foreach(items, i, it) {
    _cleanup_free_ char *key = informer_key(it);
    json_t *prev = key ? client_map_get(&old, key) : NULL;
    if (prev)
      dispatch_update(inf, prev, it);
    else if (key)
      dispatch_add(inf, it);
  }
  Vanished vs = {.now = &fresh};
  client_map_foreach(&old, collect_vanished, &vs);
  if (vs.n)
    qsort(vs.v, vs.n, sizeof *vs.v, cmp_keyobj);
  for (size_t k = 0; k < vs.n; k++)
    dispatch_delete(inf, vs.v[k].obj);
  pthread_mutex_unlock(&inf->dispatch_lock);
  free(vs.v);
  client_map_clear(&old, decref_value);

  set_rv(inf, rv);
  pthread_mutex_lock(&inf->lock);
  inf->stats.lists++;
  inf->synced = true;
  pthread_cond_broadcast(&inf->cond);
  pthread_mutex_unlock(&inf->lock);
  log_debug("informer", "resource=%s listed=%zu rv=%s", inf->res->resource, json_array_size(items),
            rv ? rv : "");
}

static int do_list(Informer *inf, Error *err) {
  _cleanup_json_ json_t *items = NULL;
  _cleanup_free_ char *rv = NULL;
  ClientListOptions lo = {.label_selector = inf->label_selector,
                          .field_selector = inf->field_selector,
                          .page_size = inf->page_size,
                          .cancel = inf->cancel};
  int rc = client_list(inf->client, inf->res, inf->ns, &lo, &items, &rv, err);
  if (rc < 0)
    return rc;
  informer_replace(inf, items, rv);
  return 0;
}

/* ---- the watch ---- */

int informer_handle_event(Informer *inf, ClientWatchEventType type, json_t *obj) {
  pthread_mutex_lock(&inf->lock);
  inf->stats.events++;
  pthread_mutex_unlock(&inf->lock);
  if (type == CLIENT_WATCH_ERROR) {
    int64_t code = jint(obj, "code", 0);
    log_debug("informer", "resource=%s watch ERROR code=%lld message=%s", inf->res->resource, (long long)code,
              jstr(obj, "message") ? jstr(obj, "message") : "");
    return code == 410 ? -ENODATA : -EIO;
  }
  const char *rv = jstr(obj, "metadata.resourceVersion");
  if (type == CLIENT_WATCH_BOOKMARK) {
    set_rv(inf, rv);
    return 0;
  }
  _cleanup_free_ char *key = informer_key(obj);
  if (!key)
    return -EBADMSG;
  pthread_mutex_lock(&inf->dispatch_lock);
  pthread_rwlock_wrlock(&inf->cache_lock);
  json_t *prev = type == CLIENT_WATCH_DELETED ? client_map_remove(&inf->cache, key)
                                              : client_map_put(&inf->cache, key, json_incref(obj));
  pthread_rwlock_unlock(&inf->cache_lock);
  if (type == CLIENT_WATCH_DELETED)
    dispatch_delete(inf, obj);
  else if (prev)
    dispatch_update(inf, prev, obj);
  else
    dispatch_add(inf, obj);
  pthread_mutex_unlock(&inf->dispatch_lock);
  json_decref(prev);
  set_rv(inf, rv);
  return 0;
}

static int on_event(ClientWatchEventType type, json_t *obj, void *userdata) {
  return informer_handle_event(userdata, type, obj);
}

static void do_resync(Informer *inf) {
  _cleanup_json_ json_t *all = informer_list(inf);
  pthread_mutex_lock(&inf->dispatch_lock);
  size_t i;
  json_t *o;
  json_array_foreach(all, i, o) dispatch_update(inf, o, o);
  pthread_mutex_unlock(&inf->dispatch_lock);
}

static unsigned random_below(unsigned n) {
  unsigned r;
  random_bytes(&r, sizeof r);
  return n ? r % n : 0;
}

/* One watch request; 0 when it ended cleanly and can be resumed from inf->rv. */
static int do_watch(Informer *inf, Error *err) {
  uint64_t now = now_monotonic_usec();
  if (inf->resync_usec && now >= inf->next_resync_usec) {
    do_resync(inf);
    inf->next_resync_usec = now + inf->resync_usec;
  }
  /* client-go's spread of 5–10 min keeps many informers from reconnecting at once; a resync due earlier
   * shortens the stream so that it runs on time. */
  unsigned timeout = WATCH_TIMEOUT_MIN_SEC + random_below(WATCH_TIMEOUT_MIN_SEC);
  if (inf->resync_usec) {
    uint64_t left = (inf->next_resync_usec - now + 999999u) / 1000000u;
    timeout = (unsigned)MAX(1u, MIN((uint64_t)timeout, left));
  }
  ClientWatchOptions wo = {.resource_version = inf->rv,
                           .label_selector = inf->label_selector,
                           .field_selector = inf->field_selector,
                           .allow_bookmarks = true,
                           .timeout_sec = timeout,
                           .cancel = inf->cancel};
  pthread_mutex_lock(&inf->lock);
  inf->stats.watches++;
  uint64_t events_before = inf->stats.events;
  pthread_mutex_unlock(&inf->lock);
  int rc = client_watch(inf->client, inf->res, inf->ns, &wo, on_event, inf, err);
  if (rc < 0)
    return rc;
  pthread_mutex_lock(&inf->lock);
  bool quiet = inf->stats.events == events_before;
  pthread_mutex_unlock(&inf->lock);
  /* A server that ends watches as soon as they start (shutting down, or broken) would otherwise be asked
   * again in a tight loop; client-go treats this as a failure too. */
  if (quiet && now_monotonic_usec() - now < WATCH_SHORT_USEC)
    return error_set(err, -EIO, NULL, "very short watch: the server ended it at once without any event");
  return 0;
}

/* Sleeps the back-off (or until stop); false when stopping. */
static bool backoff_sleep(Informer *inf) {
  uint64_t now = now_monotonic_usec();
  if (!inf->backoff_usec || now - inf->last_failure_usec > BACKOFF_RESET_USEC)
    inf->backoff_usec = BACKOFF_INITIAL_USEC;
  else
    inf->backoff_usec = MIN(inf->backoff_usec * 2, BACKOFF_MAX_USEC);
  inf->last_failure_usec = now;
  uint64_t delay = inf->backoff_usec + random_below((unsigned)(inf->backoff_usec / 2) + 1);
  log_debug("informer", "resource=%s retry_in_ms=%llu", inf->res->resource,
            (unsigned long long)(delay / 1000));
  uint64_t deadline = now + delay;
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000u),
                        .tv_nsec = (long)(deadline % 1000000u) * 1000};
  pthread_mutex_lock(&inf->lock);
  while (!inf->stopping && now_monotonic_usec() < deadline)
    pthread_cond_timedwait(&inf->cond, &inf->lock, &ts);
  bool go_on = !inf->stopping;
  pthread_mutex_unlock(&inf->lock);
  return go_on;
}

static void count_failure(Informer *inf) {
  pthread_mutex_lock(&inf->lock);
  inf->stats.failures++;
  pthread_mutex_unlock(&inf->lock);
}

static void *informer_run(void *arg) {
  Informer *inf = arg;
  inf->next_resync_usec = now_monotonic_usec() + inf->resync_usec;
  while (!stopping(inf)) {
    _cleanup_error_ Error e = ERROR_INIT;
    int rc;
    switch (inf->state) {
    case INFORMER_LISTING:
      rc = do_list(inf, &e);
      if (rc >= 0) {
        set_state(inf, INFORMER_WATCHING);
      } else if (!stopping(inf)) {
        count_failure(inf);
        log_debug("informer", "resource=%s list failed rc=%d: %s", inf->res->resource, rc,
                  e.message ? e.message : "");
        set_state(inf, INFORMER_BACKOFF);
      }
      break;
    case INFORMER_WATCHING:
      rc = do_watch(inf, &e);
      if (stopping(inf) || rc >= 0)
        break; /* resume from the last resourceVersion */
      count_failure(inf);
      if (rc == -ENODATA) {
        pthread_mutex_lock(&inf->lock);
        inf->stats.gone++;
        pthread_mutex_unlock(&inf->lock);
      }
      log_debug("informer", "resource=%s watch failed rc=%d: %s", inf->res->resource, rc,
                e.message ? e.message : "");
      /* The list's snapshot is gone from history: the server is fine, so no reason to wait. */
      set_state(inf, rc == -ENODATA ? INFORMER_LISTING : INFORMER_BACKOFF);
      break;
    case INFORMER_BACKOFF:
      if (backoff_sleep(inf))
        set_state(inf, INFORMER_LISTING);
      break;
    default:
      abort();
    }
  }
  set_state(inf, INFORMER_STOPPED);
  pthread_mutex_lock(&inf->lock);
  pthread_cond_broadcast(&inf->cond);
  pthread_mutex_unlock(&inf->lock);
  return NULL;
}

int informer_start(Informer *inf, Error *err) {
  pthread_mutex_lock(&inf->lock);
  if (inf->started) {
    pthread_mutex_unlock(&inf->lock);
    return error_set(err, -EALREADY, NULL, "informer for %s already started", inf->res->resource);
  }
  inf->started = true;
  pthread_mutex_unlock(&inf->lock);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  int rc = pthread_create(&inf->thread, &attr, informer_run, inf);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_lock(&inf->lock);
    inf->started = false;
    pthread_mutex_unlock(&inf->lock);
    return error_set(err, -rc, NULL, "starting the informer thread for %s: %s", inf->res->resource,
                     strerror(rc));
  }
  return 0;
}

void informer_stop(Informer *inf) {
  pthread_mutex_lock(&inf->lock);
  bool join = inf->started && !inf->stopping;
  inf->stopping = true;
  pthread_cond_broadcast(&inf->cond);
  pthread_mutex_unlock(&inf->lock);
  client_cancel_trigger(inf->cancel);
  if (join)
    pthread_join(inf->thread, NULL);
}

bool informer_has_synced(Informer *inf) {
  pthread_mutex_lock(&inf->lock);
  bool s = inf->synced;
  pthread_mutex_unlock(&inf->lock);
  return s;
}

int informer_wait_for_sync(Informer *inf, uint64_t timeout_usec) {
  uint64_t deadline = now_monotonic_usec() + timeout_usec;
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000u),
                        .tv_nsec = (long)(deadline % 1000000u) * 1000};
  int rc = 0;
  pthread_mutex_lock(&inf->lock);
  while (!inf->synced) {
    if (inf->stopping) {
      rc = -ECANCELED;
      break;
    }
    if (now_monotonic_usec() >= deadline) {
      rc = -ETIMEDOUT;
      break;
    }
    pthread_cond_timedwait(&inf->cond, &inf->lock, &ts);
  }
  pthread_mutex_unlock(&inf->lock);
  return rc;
}

void informer_get_stats(Informer *inf, InformerStats *ret) {
  pthread_mutex_lock(&inf->lock);
  *ret = inf->stats;
  pthread_mutex_unlock(&inf->lock);
}
