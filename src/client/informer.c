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

/* The shared part: one per (client, resource, namespace, selectors, page size) in the process, with the
 * thread, the connection and the cache; every Informer handle on it is a view with its own handlers. */
typedef struct Core Core;
struct Core {
  Client *client;
  const ApiResource *res;
  char *ns, *label_selector, *field_selector;
  size_t page_size;
  bool drop_managed_fields;

  pthread_rwlock_t cache_lock; /* guards cache */
  ClientMap cache;             /* key → json_t * (one reference each) */

  pthread_mutex_t dispatch_lock; /* serialises handler calls; guards views, and each view's handlers,
                                    attached flag and resync time */
  Informer *views;

  pthread_mutex_t lock; /* guards the fields below and each view's started/stopped; cond signals sync and
                           stop */
  pthread_cond_t cond;
  bool started, stopping, synced;
  unsigned running; /* views started and not stopped: the thread stops when the last one does */
  InformerStats stats;

  unsigned refs;   /* views alive (registry_lock) */
  bool registered; /* in the registry: new views may join (registry_lock) */
  Core *next_core; /* registry_lock */

  /* the thread's own */
  pthread_t thread;
  ClientCancel *cancel;
  InformerState state;
  char *rv;
  uint64_t backoff_usec, last_failure_usec;
};

/* What informer.h calls an informer: a view on a shared Core. A view created while its core is not started
 * is attached at once (it sees the first list like the others); one created on a running core is attached
 * by informer_start, which first replays the cache to it as adds. */
struct Informer {
  Core *core;
  Informer *next;             /* in core->views */
  InformerHandlers *handlers; /* core->dispatch_lock */
  size_t n_handlers;
  bool attached;             /* its handlers get events (core->dispatch_lock) */
  bool started, stopped;     /* core->lock */
  uint64_t resync_usec;      /* constant */
  uint64_t next_resync_usec; /* 0 = not armed (core->dispatch_lock) */
};

/* Lock order: registry_lock → dispatch_lock → cache_lock → lock. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static Core *registry;

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

static bool same_str(const char *a, const char *b) {
  return a == b || (a && b && streq(a, b));
}

static Core *core_new(Client *c, const ApiResource *r, const InformerOptions *opts) {
  Core *core = xzalloc(sizeof *core);
  core->client = c;
  core->res = r;
  core->ns = isempty(opts->ns) ? NULL : xstrdup(opts->ns);
  core->label_selector = isempty(opts->label_selector) ? NULL : xstrdup(opts->label_selector);
  core->field_selector = isempty(opts->field_selector) ? NULL : xstrdup(opts->field_selector);
  core->page_size = opts->page_size;
  core->drop_managed_fields = opts->drop_managed_fields;
  pthread_rwlock_init(&core->cache_lock, NULL);
  pthread_mutex_init(&core->dispatch_lock, NULL);
  pthread_mutex_init(&core->lock, NULL);
  cond_init_monotonic(&core->cond);
  core->cancel = client_cancel_new();
  core->state = INFORMER_LISTING;
  return core;
}

static void decref_value(void *v) {
  json_decref(v);
}

static void core_free(Core *core) {
  client_map_clear(&core->cache, decref_value);
  pthread_rwlock_destroy(&core->cache_lock);
  pthread_mutex_destroy(&core->dispatch_lock);
  pthread_mutex_destroy(&core->lock);
  pthread_cond_destroy(&core->cond);
  client_cancel_free(core->cancel);
  free(core->ns);
  free(core->label_selector);
  free(core->field_selector);
  free(core->rv);
  free(core);
}

/* The registered core for these parameters with a new reference, or a new registered one. */
static Core *core_get(Client *c, const ApiResource *r, const InformerOptions *opts) {
  const char *ns = isempty(opts->ns) ? NULL : opts->ns;
  const char *ls = isempty(opts->label_selector) ? NULL : opts->label_selector;
  const char *fs = isempty(opts->field_selector) ? NULL : opts->field_selector;
  pthread_mutex_lock(&registry_lock);
  Core *core = registry;
  for (; core; core = core->next_core)
    if (core->client == c && core->res == r && core->page_size == opts->page_size && same_str(core->ns, ns) &&
        same_str(core->label_selector, ls) && same_str(core->field_selector, fs) &&
        core->drop_managed_fields == opts->drop_managed_fields)
      break;
  if (!core) {
    core = core_new(c, r, opts);
    core->registered = true;
    core->next_core = registry;
    registry = core;
  }
  core->refs++;
  pthread_mutex_unlock(&registry_lock);
  return core;
}

/* registry_lock held. */
static void core_unregister(Core *core) {
  if (!core->registered)
    return;
  for (Core **pp = &registry; *pp; pp = &(*pp)->next_core)
    if (*pp == core) {
      *pp = core->next_core;
      break;
    }
  core->registered = false;
}

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
  Core *core = core_get(c, r, opts);
  Informer *inf = xzalloc(sizeof *inf);
  inf->core = core;
  inf->resync_usec = opts->resync_usec;
  pthread_mutex_lock(&core->dispatch_lock);
  pthread_mutex_lock(&core->lock);
  inf->attached = !core->started;
  pthread_mutex_unlock(&core->lock);
  inf->next = core->views;
  core->views = inf;
  pthread_mutex_unlock(&core->dispatch_lock);
  *ret = inf;
  return 0;
}

void informer_free(Informer *inf) {
  if (!inf)
    return;
  informer_stop(inf);
  Core *core = inf->core;
  pthread_mutex_lock(&core->dispatch_lock);
  for (Informer **pp = &core->views; *pp; pp = &(*pp)->next)
    if (*pp == inf) {
      *pp = inf->next;
      break;
    }
  pthread_mutex_unlock(&core->dispatch_lock);
  pthread_mutex_lock(&registry_lock);
  bool last = --core->refs == 0;
  if (last)
    core_unregister(core);
  pthread_mutex_unlock(&registry_lock);
  if (last) {
    /* The thread stopped with the last running view; one that never had a running view never started. */
    core_free(core);
  }
  free(inf->handlers);
  free(inf);
}

const ApiResource *informer_resource(Informer *inf) {
  return inf->core->res;
}

static bool stopping(Core *core) {
  pthread_mutex_lock(&core->lock);
  bool s = core->stopping;
  pthread_mutex_unlock(&core->lock);
  return s;
}

static void set_state(Core *core, InformerState to) {
#ifndef NDEBUG
  if (!state_allowed[core->state][to]) {
    log_error("informer", "resource=%s invalid transition %s -> %s", core->res->resource,
              state_names[core->state], state_names[to]);
    abort();
  }
#endif
  if (core->state != to)
    log_debug("informer", "resource=%s state=%s", core->res->resource, state_names[to]);
  core->state = to;
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
static json_t *snapshot(Core *core, const char *ns, const LabelSelector *sel) {
  Collect c = {.ns = ns, .sel = sel};
  json_t *arr = json_array();
  pthread_rwlock_rdlock(&core->cache_lock);
  client_map_foreach(&core->cache, collect_one, &c);
  if (c.n)
    qsort(c.v, c.n, sizeof *c.v, cmp_keyobj);
  for (size_t i = 0; i < c.n; i++)
    json_array_append(arr, c.v[i].obj);
  pthread_rwlock_unlock(&core->cache_lock);
  free(c.v);
  return arr;
}

json_t *informer_get(Informer *inf, const char *key) {
  Core *core = inf->core;
  pthread_rwlock_rdlock(&core->cache_lock);
  json_t *o = json_incref(client_map_get(&core->cache, key));
  pthread_rwlock_unlock(&core->cache_lock);
  return o;
}

json_t *informer_get_by_name(Informer *inf, const char *ns, const char *name) {
  _cleanup_free_ char *key = isempty(ns) ? xstrdup(name) : xasprintf("%s/%s", ns, name);
  return informer_get(inf, key);
}

json_t *informer_list(Informer *inf) {
  return snapshot(inf->core, NULL, NULL);
}

json_t *informer_list_namespace(Informer *inf, const char *ns) {
  return snapshot(inf->core, ns, NULL);
}

json_t *informer_list_selector(Informer *inf, const char *ns, const LabelSelector *sel) {
  return snapshot(inf->core, ns, sel);
}

size_t informer_count(Informer *inf) {
  Core *core = inf->core;
  pthread_rwlock_rdlock(&core->cache_lock);
  size_t n = core->cache.size;
  pthread_rwlock_unlock(&core->cache_lock);
  return n;
}

/* ---- dispatch (dispatch_lock held by the callers): every attached view's handlers, in registration order
 * within a view ---- */

static void dispatch_add(Core *core, json_t *obj) {
  for (Informer *v = core->views; v; v = v->next)
    for (size_t i = 0; v->attached && i < v->n_handlers; i++)
      if (v->handlers[i].on_add)
        v->handlers[i].on_add(obj, v->handlers[i].userdata);
}

static void view_update(Informer *v, json_t *old_obj, json_t *new_obj) {
  for (size_t i = 0; v->attached && i < v->n_handlers; i++)
    if (v->handlers[i].on_update)
      v->handlers[i].on_update(old_obj, new_obj, v->handlers[i].userdata);
}

static void dispatch_update(Core *core, json_t *old_obj, json_t *new_obj) {
  for (Informer *v = core->views; v; v = v->next)
    view_update(v, old_obj, new_obj);
}

static void dispatch_delete(Core *core, json_t *obj) {
  for (Informer *v = core->views; v; v = v->next)
    for (size_t i = 0; v->attached && i < v->n_handlers; i++)
      if (v->handlers[i].on_delete)
        v->handlers[i].on_delete(obj, v->handlers[i].userdata);
}

/* Replays the cache as adds to one handler (dispatch_lock held, so no event slips in between). */
static void replay(Core *core, const InformerHandlers *h) {
  if (!h->on_add)
    return;
  _cleanup_json_ json_t *all = snapshot(core, NULL, NULL);
  size_t i;
  json_t *o;
  json_array_foreach(all, i, o) h->on_add(o, h->userdata);
}

void informer_add_handlers(Informer *inf, const InformerHandlers *h) {
  Core *core = inf->core;
  pthread_mutex_lock(&core->dispatch_lock);
  pthread_mutex_lock(&core->lock);
  bool started = core->started;
  pthread_mutex_unlock(&core->lock);
  if (started && inf->attached)
    replay(core, h);
  inf->handlers = xrealloc(inf->handlers, (inf->n_handlers + 1) * sizeof *inf->handlers);
  inf->handlers[inf->n_handlers++] = *h;
  pthread_mutex_unlock(&core->dispatch_lock);
}

/* ---- the list ---- */

static void set_rv(Core *core, const char *rv) {
  if (isempty(rv))
    return;
  free(core->rv);
  core->rv = xstrdup(rv);
  pthread_mutex_lock(&core->lock);
  snprintf(core->stats.resource_version, sizeof core->stats.resource_version, "%s", rv);
  pthread_mutex_unlock(&core->lock);
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
/* obj as the core keeps it: without metadata.managedFields if the core drops them. A new reference; obj
 * itself is never changed (its subtrees are shared with the copy). */
static json_t *transformed(Core *core, json_t *obj) {
  json_t *meta = json_object_get(obj, "metadata");
  if (!core->drop_managed_fields || !json_object_get(meta, "managedFields"))
    return json_incref(obj);
  json_t *copy = json_copy(obj), *mcopy = json_copy(meta);
  json_object_del(mcopy, "managedFields");
  json_object_set_new(copy, "metadata", mcopy);
  return copy;
}

static void core_replace(Core *core, json_t *list, const char *rv) {
  ClientMap fresh = CLIENT_MAP_INIT;
  size_t i;
  json_t *it;
  _cleanup_json_ json_t *items = core->drop_managed_fields ? json_array() : json_incref(list);
  if (core->drop_managed_fields)
    json_array_foreach(list, i, it) json_array_append_new(items, transformed(core, it));
  json_array_foreach(items, i, it) {
    _cleanup_free_ char *key = informer_key(it);
    if (key)
      json_decref(client_map_put(&fresh, key, json_incref(it)));
  }
  pthread_mutex_lock(&core->dispatch_lock);
  pthread_rwlock_wrlock(&core->cache_lock);
  ClientMap old = core->cache;
  core->cache = fresh;
  pthread_rwlock_unlock(&core->cache_lock);
  json_array_foreach(items, i, it) {
    _cleanup_free_ char *key = informer_key(it);
    json_t *prev = key ? client_map_get(&old, key) : NULL;
    if (prev)
      dispatch_update(core, prev, it);
    else if (key)
      dispatch_add(core, it);
  }
  Vanished vs = {.now = &fresh};
  client_map_foreach(&old, collect_vanished, &vs);
  if (vs.n)
    qsort(vs.v, vs.n, sizeof *vs.v, cmp_keyobj);
  for (size_t k = 0; k < vs.n; k++)
    dispatch_delete(core, vs.v[k].obj);
  pthread_mutex_unlock(&core->dispatch_lock);
  free(vs.v);
  client_map_clear(&old, decref_value);

  set_rv(core, rv);
  pthread_mutex_lock(&core->lock);
  core->stats.lists++;
  core->synced = true;
  pthread_cond_broadcast(&core->cond);
  pthread_mutex_unlock(&core->lock);
  log_debug("informer", "resource=%s listed=%zu rv=%s", core->res->resource, json_array_size(items),
            rv ? rv : "");
}

void informer_replace(Informer *inf, json_t *items, const char *rv) {
  core_replace(inf->core, items, rv);
}

static int do_list(Core *core, Error *err) {
  _cleanup_json_ json_t *items = NULL;
  _cleanup_free_ char *rv = NULL;
  ClientListOptions lo = {.label_selector = core->label_selector,
                          .field_selector = core->field_selector,
                          .page_size = core->page_size,
                          .cancel = core->cancel,
                          .drop_managed_fields = core->drop_managed_fields};
  int rc = client_list(core->client, core->res, core->ns, &lo, &items, &rv, err);
  if (rc < 0)
    return rc;
  core_replace(core, items, rv);
  return 0;
}

/* ---- the watch ---- */

static int core_handle_event(Core *core, ClientWatchEventType type, json_t *event_obj) {
  pthread_mutex_lock(&core->lock);
  core->stats.events++;
  pthread_mutex_unlock(&core->lock);
  if (type == CLIENT_WATCH_ERROR) {
    int64_t code = jint(event_obj, "code", 0);
    log_debug("informer", "resource=%s watch ERROR code=%lld message=%s", core->res->resource,
              (long long)code, jstr(event_obj, "message") ? jstr(event_obj, "message") : "");
    return code == 410 ? -ENODATA : -EIO;
  }
  const char *rv = jstr(event_obj, "metadata.resourceVersion");
  if (type == CLIENT_WATCH_BOOKMARK) {
    set_rv(core, rv);
    return 0;
  }
  _cleanup_free_ char *key = informer_key(event_obj);
  if (!key)
    return -EBADMSG;
  _cleanup_json_ json_t *obj = transformed(core, event_obj);
  pthread_mutex_lock(&core->dispatch_lock);
  pthread_rwlock_wrlock(&core->cache_lock);
  json_t *prev = type == CLIENT_WATCH_DELETED ? client_map_remove(&core->cache, key)
                                              : client_map_put(&core->cache, key, json_incref(obj));
  pthread_rwlock_unlock(&core->cache_lock);
  if (type == CLIENT_WATCH_DELETED)
    dispatch_delete(core, obj);
  else if (prev)
    dispatch_update(core, prev, obj);
  else
    dispatch_add(core, obj);
  pthread_mutex_unlock(&core->dispatch_lock);
  json_decref(prev);
  set_rv(core, rv);
  return 0;
}

int informer_handle_event(Informer *inf, ClientWatchEventType type, json_t *obj) {
  return core_handle_event(inf->core, type, obj);
}

static int on_event(ClientWatchEventType type, json_t *obj, void *userdata) {
  return core_handle_event(userdata, type, obj);
}

/* Reports every cached object as an update to the views whose resync is due; returns when the next one is
 * (0 = none armed). */
static uint64_t do_resyncs(Core *core, uint64_t now) {
  uint64_t next = 0;
  json_t *all = NULL;
  pthread_mutex_lock(&core->dispatch_lock);
  for (Informer *v = core->views; v; v = v->next) {
    if (!v->attached || !v->next_resync_usec)
      continue;
    if (now >= v->next_resync_usec) {
      if (!all)
        all = snapshot(core, NULL, NULL);
      size_t i;
      json_t *o;
      json_array_foreach(all, i, o) view_update(v, o, o);
      v->next_resync_usec = now + v->resync_usec;
    }
    if (!next || v->next_resync_usec < next)
      next = v->next_resync_usec;
  }
  pthread_mutex_unlock(&core->dispatch_lock);
  json_decref(all);
  return next;
}

static unsigned random_below(unsigned n) {
  unsigned r;
  random_bytes(&r, sizeof r);
  return n ? r % n : 0;
}

/* One watch request; 0 when it ended cleanly and can be resumed from core->rv. */
static int do_watch(Core *core, Error *err) {
  uint64_t now = now_monotonic_usec();
  uint64_t next_resync = do_resyncs(core, now);
  /* client-go's spread of 5–10 min keeps many informers from reconnecting at once; a resync due earlier
   * shortens the stream so that it runs on time. */
  unsigned timeout = WATCH_TIMEOUT_MIN_SEC + random_below(WATCH_TIMEOUT_MIN_SEC);
  if (next_resync) {
    uint64_t left = next_resync > now ? (next_resync - now + 999999u) / 1000000u : 1;
    timeout = (unsigned)MAX(1u, MIN((uint64_t)timeout, left));
  }
  ClientWatchOptions wo = {.resource_version = core->rv,
                           .label_selector = core->label_selector,
                           .field_selector = core->field_selector,
                           .allow_bookmarks = true,
                           .timeout_sec = timeout,
                           .cancel = core->cancel,
                           .drop_managed_fields = core->drop_managed_fields};
  pthread_mutex_lock(&core->lock);
  core->stats.watches++;
  uint64_t events_before = core->stats.events;
  pthread_mutex_unlock(&core->lock);
  int rc = client_watch(core->client, core->res, core->ns, &wo, on_event, core, err);
  if (rc < 0)
    return rc;
  pthread_mutex_lock(&core->lock);
  bool quiet = core->stats.events == events_before;
  pthread_mutex_unlock(&core->lock);
  /* A server that ends watches as soon as they start (shutting down, or broken) would otherwise be asked
   * again in a tight loop; client-go treats this as a failure too. */
  if (quiet && now_monotonic_usec() - now < WATCH_SHORT_USEC)
    return error_set(err, -EIO, NULL, "very short watch: the server ended it at once without any event");
  return 0;
}

/* Sleeps the back-off (or until stop); false when stopping. */
static bool backoff_sleep(Core *core) {
  uint64_t now = now_monotonic_usec();
  if (!core->backoff_usec || now - core->last_failure_usec > BACKOFF_RESET_USEC)
    core->backoff_usec = BACKOFF_INITIAL_USEC;
  else
    core->backoff_usec = MIN(core->backoff_usec * 2, BACKOFF_MAX_USEC);
  core->last_failure_usec = now;
  uint64_t delay = core->backoff_usec + random_below((unsigned)(core->backoff_usec / 2) + 1);
  log_debug("informer", "resource=%s retry_in_ms=%llu", core->res->resource,
            (unsigned long long)(delay / 1000));
  uint64_t deadline = now + delay;
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000u),
                        .tv_nsec = (long)(deadline % 1000000u) * 1000};
  pthread_mutex_lock(&core->lock);
  while (!core->stopping && now_monotonic_usec() < deadline)
    pthread_cond_timedwait(&core->cond, &core->lock, &ts);
  bool go_on = !core->stopping;
  pthread_mutex_unlock(&core->lock);
  return go_on;
}

static void count_failure(Core *core) {
  pthread_mutex_lock(&core->lock);
  core->stats.failures++;
  pthread_mutex_unlock(&core->lock);
}

static void *informer_run(void *arg) {
  Core *core = arg;
  while (!stopping(core)) {
    _cleanup_error_ Error e = ERROR_INIT;
    int rc;
    switch (core->state) {
    case INFORMER_LISTING:
      rc = do_list(core, &e);
      if (rc >= 0) {
        set_state(core, INFORMER_WATCHING);
      } else if (!stopping(core)) {
        count_failure(core);
        log_debug("informer", "resource=%s list failed rc=%d: %s", core->res->resource, rc,
                  e.message ? e.message : "");
        set_state(core, INFORMER_BACKOFF);
      }
      break;
    case INFORMER_WATCHING:
      rc = do_watch(core, &e);
      if (stopping(core) || rc >= 0)
        break; /* resume from the last resourceVersion */
      count_failure(core);
      if (rc == -ENODATA) {
        pthread_mutex_lock(&core->lock);
        core->stats.gone++;
        pthread_mutex_unlock(&core->lock);
      }
      log_debug("informer", "resource=%s watch failed rc=%d: %s", core->res->resource, rc,
                e.message ? e.message : "");
      /* The list's snapshot is gone from history: the server is fine, so no reason to wait. */
      set_state(core, rc == -ENODATA ? INFORMER_LISTING : INFORMER_BACKOFF);
      break;
    case INFORMER_BACKOFF:
      if (backoff_sleep(core))
        set_state(core, INFORMER_LISTING);
      break;
    default:
      abort();
    }
  }
  set_state(core, INFORMER_STOPPED);
  pthread_mutex_lock(&core->lock);
  pthread_cond_broadcast(&core->cond);
  pthread_mutex_unlock(&core->lock);
  return NULL;
}

/* The informer thread only waits (on the network, a condition variable) and runs handlers, which do little
 * (queue a key, update an index): a small stack. Sanitizer builds need more. */
#if defined(__SANITIZE_ADDRESS__)
#define INFORMER_STACK_SIZE (512 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define INFORMER_STACK_SIZE (512 * 1024)
#endif
#endif
#ifndef INFORMER_STACK_SIZE
#define INFORMER_STACK_SIZE (256 * 1024)
#endif

int informer_start(Informer *inf, Error *err) {
  Core *core = inf->core;
  pthread_mutex_lock(&core->lock);
  if (inf->started) {
    pthread_mutex_unlock(&core->lock);
    return error_set(err, -EALREADY, NULL, "informer for %s already started", core->res->resource);
  }
  if (inf->stopped || core->stopping) {
    pthread_mutex_unlock(&core->lock);
    return error_set(err, -ECANCELED, NULL, "informer for %s stopped", core->res->resource);
  }
  inf->started = true;
  core->running++;
  bool start_thread = !core->started;
  core->started = true;
  pthread_mutex_unlock(&core->lock);

  pthread_mutex_lock(&core->dispatch_lock);
  if (!inf->attached) {
    /* A running core: this view catches up from the cache first, as a handler added late does. */
    for (size_t i = 0; i < inf->n_handlers; i++)
      replay(core, &inf->handlers[i]);
    inf->attached = true;
  }
  if (inf->resync_usec)
    inf->next_resync_usec = now_monotonic_usec() + inf->resync_usec;
  pthread_mutex_unlock(&core->dispatch_lock);
  if (!start_thread)
    return 0;

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, INFORMER_STACK_SIZE);
  int rc = pthread_create(&core->thread, &attr, informer_run, core);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_lock(&core->lock);
    core->started = false;
    core->running--;
    inf->started = false;
    pthread_mutex_unlock(&core->lock);
    return error_set(err, -rc, NULL, "starting the informer thread for %s: %s", core->res->resource,
                     strerror(rc));
  }
  return 0;
}

void informer_stop(Informer *inf) {
  Core *core = inf->core;
  /* registry_lock first: a core whose last running view stops leaves the registry before it stops, so that
   * nobody joins a stopping core. */
  pthread_mutex_lock(&registry_lock);
  pthread_mutex_lock(&core->lock);
  bool was_running = inf->started && !inf->stopped;
  inf->stopped = true;
  if (was_running)
    core->running--;
  bool stop_thread = was_running && core->running == 0 && !core->stopping;
  if (stop_thread) {
    core->stopping = true;
    core_unregister(core);
  }
  pthread_cond_broadcast(&core->cond);
  pthread_mutex_unlock(&core->lock);
  pthread_mutex_unlock(&registry_lock);
  /* Waits for a handler call in flight; none of this view's handlers runs after this. */
  pthread_mutex_lock(&core->dispatch_lock);
  inf->attached = false;
  pthread_mutex_unlock(&core->dispatch_lock);
  if (stop_thread) {
    client_cancel_trigger(core->cancel);
    pthread_join(core->thread, NULL);
  }
}

bool informer_has_synced(Informer *inf) {
  Core *core = inf->core;
  pthread_mutex_lock(&core->lock);
  bool s = core->synced;
  pthread_mutex_unlock(&core->lock);
  return s;
}

int informer_wait_for_sync(Informer *inf, uint64_t timeout_usec) {
  Core *core = inf->core;
  uint64_t deadline = now_monotonic_usec() + timeout_usec;
  struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000u),
                        .tv_nsec = (long)(deadline % 1000000u) * 1000};
  int rc = 0;
  pthread_mutex_lock(&core->lock);
  while (!core->synced) {
    if (core->stopping || inf->stopped) {
      rc = -ECANCELED;
      break;
    }
    if (now_monotonic_usec() >= deadline) {
      rc = -ETIMEDOUT;
      break;
    }
    pthread_cond_timedwait(&core->cond, &core->lock, &ts);
  }
  pthread_mutex_unlock(&core->lock);
  return rc;
}

void informer_get_stats(Informer *inf, InformerStats *ret) {
  Core *core = inf->core;
  pthread_mutex_lock(&core->lock);
  *ret = core->stats;
  pthread_mutex_unlock(&core->lock);
}
