/* Watch cache implementation (see watchcache.h). The index is one array of CacheObj pointers sorted by
 * key: binary search finds a prefix, a list is a contiguous scan, and an insert is one memmove — cheap at
 * the object counts one node's control plane holds (10^4–10^5). Events live in a ring indexed by
 * revision: every store revision is exactly one event, so ring slot = rev % size and a watcher's cursor is
 * just the last revision it delivered. Events older than the ring are replayed from the store's history
 * when a watcher starts. */
#include "apiserver/watchcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "api/jsonfast.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/log.h"

CacheObj *cache_obj_ref(CacheObj *o) {
  if (o)
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
  return o;
}

/* CORACLE_VERIFY_CACHE=1 (the end-to-end tests): every object is checked against its text when it is
 * freed, so that a reader that modified a published object — the in-process informers share them — ends the
 * server instead of going unnoticed. */
static atomic_bool verify_immutable;

static void verify_unchanged(const CacheObj *o) {
  _cleanup_free_ char *now = json_compact(o->obj);
  if (!streq(now, o->text)) {
    log_error("watchcache", "key=%s was modified after publication: was %s now %s", o->key, o->text, now);
    abort();
  }
}

void cache_obj_unref(CacheObj *o) {
  if (!o)
    return;
  if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
    return;
  if (atomic_load_explicit(&verify_immutable, memory_order_relaxed))
    verify_unchanged(o);
  free(o->key);
  json_decref(o->obj);
  free(o->text);
  free(o);
}

/* Skips the JSON string starting at t[i] == '"'; returns the index after its closing quote, or len. */
static size_t skip_string(const char *t, size_t len, size_t i) {
  for (i++; i < len; i++) {
    if (t[i] == '\\')
      i++;
    else if (t[i] == '"')
      return i + 1;
  }
  return len;
}

/* In the JSON text of an object, the offset of the '}' that closes the top-level "metadata" object, or 0
 * when there is none. Strings are skipped whole, so braces inside them do not count. */
static size_t metadata_end(const char *t, size_t len) {
  static const char key[] = "\"metadata\"";
  int depth = 0;
  size_t meta_start = 0; /* offset of metadata's '{' once found */
  for (size_t i = 0; i < len;) {
    char ch = t[i];
    if (ch == '"') {
      size_t end = skip_string(t, len, i);
      if (depth == 1 && !meta_start && end - i == sizeof key - 1 && memcmp(t + i, key, end - i) == 0) {
        size_t j = end;
        while (j < len && (t[j] == ' ' || t[j] == ':' || t[j] == '\n' || t[j] == '\t' || t[j] == '\r'))
          j++;
        if (j < len && t[j] == '{')
          meta_start = j;
        else
          return 0;
      }
      i = end;
      continue;
    }
    if (ch == '{' || ch == '[') {
      depth++;
    } else if (ch == '}' || ch == ']') {
      depth--;
      if (depth == 1 && meta_start && ch == '}')
        return i;
    }
    i++;
  }
  return 0;
}

/* Builds the CacheObj from a parsed object (taken: the caller's reference) with resourceVersion set. When
 * compact is given it is json_compact(obj) made while obj's metadata had no resourceVersion: the cached
 * text is then that text with the resourceVersion put at the end of metadata, where json_object_set_new
 * puts a new key, instead of a second serialisation. */
static CacheObj *cache_obj_from(const char *key, json_t *obj, const char *compact, size_t compact_len,
                                int64_t mod_rev, int64_t create_rev) {
  if (!json_is_object(obj)) {
    json_decref(obj);
    return NULL;
  }
  char rv[24];
  snprintf(rv, sizeof rv, "%lld", (long long)mod_rev);
  json_t *meta = jobj(obj, "metadata");
  size_t at = compact && !json_object_get(meta, "resourceVersion") ? metadata_end(compact, compact_len) : 0;
  json_object_set_new(meta, "resourceVersion", json_string(rv));
  CacheObj *o = xzalloc(sizeof *o);
  atomic_init(&o->refs, 1);
  o->key = xstrdup(key);
  o->obj = obj;
  if (at) {
    Buf b = BUF_INIT;
    buf_reserve(&b, compact_len + 48);
    buf_append(&b, compact, at);
    buf_printf(&b, "%s\"resourceVersion\":\"%s\"", compact[at - 1] == '{' ? "" : ",", rv);
    buf_append(&b, compact + at, compact_len - at);
    o->len = b.len;
    o->text = buf_steal(&b, NULL);
  } else {
    o->text = json_compact(obj);
    o->len = strlen(o->text);
  }
  o->mod_rev = mod_rev;
  o->create_rev = create_rev;
  return o;
}

CacheObj *cache_obj_new(const char *key, const char *value, size_t len, int64_t mod_rev, int64_t create_rev) {
  return cache_obj_from(key, json_fast_loadb(value, len, NULL), NULL, 0, mod_rev, create_rev);
}

const char *watch_event_type_to_string(WatchEventType t) {
  static const char *const names[] = {"ADDED", "MODIFIED", "DELETED"};
  return t >= 0 && t < _WATCH_EVENT_MAX ? names[t] : "ERROR";
}

void watch_event_done(WatchEvent *e) {
  cache_obj_unref(e->obj);
  cache_obj_unref(e->prev);
  *e = (WatchEvent){0};
}

typedef struct RingSlot {
  WatchEvent ev;
  const char *key; /* borrowed from ev.obj */
} RingSlot;

/* Watchers are grouped by resource ("/registry/pods/") so that a write wakes only the watchers of its
 * resource whose prefix matches — never every watcher of the server (no thundering herd). */
typedef struct WatchGroup {
  char *resource_prefix;
  Watcher **watchers;
  size_t n, cap;
} WatchGroup;

/* Objects offered by writers (watch_cache_offer), keyed by the exact value buffer they handed the store. */
#define OFFER_SLOTS 64
/* watcher_next_many stops taking events once their objects' text passes this (one large object at least):
 * what a watch stream holds serialized at once stays bounded whatever the objects' size. */
#define WATCH_MANY_BYTES (256u * 1024u)

typedef struct Offer {
  const char *value;
  json_t *obj;
} Offer;

struct WatchCache {
  Store *store;
  pthread_mutex_t offer_lock; /* guards offers; taken alone, never with lock */
  Offer offers[OFFER_SLOTS];
  pthread_mutex_t lock;
  pthread_condattr_t condattr;
  WatchGroup *groups;
  size_t n_groups;
  CacheObj **index; /* sorted by key */
  size_t n, cap;
  RingSlot *ring;
  size_t ring_size;
  int64_t first_rev; /* oldest revision held in the ring (first_rev > rev means ring is empty) */
  int64_t rev;       /* newest revision applied */
  bool shutdown;
};

struct Watcher {
  WatchCache *cache;
  char *prefix;
  size_t prefix_len;
  pthread_cond_t cond; /* signalled (under the cache lock) when an event under prefix arrives */
  WatchGroup *group;   /* NULL until registered */
  int64_t cursor;      /* last revision delivered or skipped */
  WatchEvent *backlog; /* events replayed from the store, delivered first */
  size_t n_backlog, next_backlog;
  bool interrupted; /* watcher_interrupt called and not yet reported (under the cache lock) */
};

/* Index of the first entry whose key is >= key. Caller holds the lock. */
static size_t lower_bound(WatchCache *c, const char *key) {
  size_t lo = 0, hi = c->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(c->index[mid]->key, key) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* Replaces (or inserts, obj != NULL) or removes (obj == NULL) key; returns the old entry's reference. */
static CacheObj *index_put(WatchCache *c, const char *key, CacheObj *obj) {
  size_t i = lower_bound(c, key);
  bool found = i < c->n && streq(c->index[i]->key, key);
  CacheObj *old = found ? c->index[i] : NULL;
  if (obj && found) {
    c->index[i] = obj;
  } else if (obj) {
    if (c->n == c->cap) {
      c->cap = c->cap ? c->cap * 2 : 1024;
      c->index = xrealloc(c->index, c->cap * sizeof(CacheObj *));
    }
    memmove(&c->index[i + 1], &c->index[i], (c->n - i) * sizeof(CacheObj *));
    c->index[i] = obj;
    c->n++;
  } else if (found) {
    memmove(&c->index[i], &c->index[i + 1], (c->n - i - 1) * sizeof(CacheObj *));
    c->n--;
  }
  return old;
}

/* Turns a store event into a watch event with fresh CacheObjs (used for the hook and for replays). */
void watch_cache_offer(WatchCache *c, const char *value, json_t *obj) {
  pthread_mutex_lock(&c->offer_lock);
  for (size_t i = 0; i < OFFER_SLOTS; i++)
    if (!c->offers[i].value) {
      c->offers[i] = (Offer){value, json_incref(obj)};
      break;
    }
  pthread_mutex_unlock(&c->offer_lock);
}

/* The offered object for value, or NULL (a new reference, removed from the table). */
static json_t *take_offer(WatchCache *c, const char *value) {
  json_t *obj = NULL;
  pthread_mutex_lock(&c->offer_lock);
  for (size_t i = 0; i < OFFER_SLOTS; i++)
    if (c->offers[i].value == value) {
      obj = c->offers[i].obj;
      c->offers[i] = (Offer){0};
      break;
    }
  pthread_mutex_unlock(&c->offer_lock);
  return obj;
}

void watch_cache_withdraw(WatchCache *c, const char *value) {
  json_decref(take_offer(c, value));
}

/* The new value of a write as a CacheObj: the writer's offered tree when there is one (no parse), else
 * parsed from the stored bytes. The offered tree may share subtrees with published objects (a registry
 * update builds its object from the current one), which are immutable: only fresh top-level and metadata
 * objects are changed here. */
static CacheObj *cache_obj_for_write(WatchCache *c, const StoreEvent *sev) {
  json_t *offered = c ? take_offer(c, sev->value) : NULL; /* NULL c: history replayed from the store */
  if (!offered)
    return cache_obj_new(sev->key, sev->value, sev->len, sev->rev, sev->create_rev);
  json_t *top = json_copy(offered);
  json_decref(offered);
  if (!top)
    return NULL;
  json_t *meta = json_object_get(top, "metadata");
  json_object_set_new(top, "metadata", meta ? json_copy(meta) : json_object());
  /* value is json_compact(offered) (watch_cache_offer's contract). */
  return cache_obj_from(sev->key, top, meta ? sev->value : NULL, sev->len, sev->rev, sev->create_rev);
}

static int event_from_store(WatchCache *c, const StoreEvent *sev, WatchEvent *ret) {
  WatchEvent ev = {.rev = sev->rev};
  switch (sev->type) {
  case STORE_EVENT_CREATE:
    ev.type = WATCH_ADDED;
    ev.obj = cache_obj_for_write(c, sev);
    break;
  case STORE_EVENT_UPDATE:
    ev.type = WATCH_MODIFIED;
    ev.obj = cache_obj_for_write(c, sev);
    ev.prev = cache_obj_new(sev->key, sev->prev_value, sev->prev_len, sev->prev_rev, sev->create_rev);
    break;
  case STORE_EVENT_DELETE:
    ev.type = WATCH_DELETED;
    /* Kubernetes reports a deleted object with the revision of the deletion. */
    ev.obj = cache_obj_new(sev->key, sev->prev_value, sev->prev_len, sev->rev, sev->create_rev);
    ev.prev = cache_obj_new(sev->key, sev->prev_value, sev->prev_len, sev->prev_rev, sev->create_rev);
    break;
  default:
    return -EINVAL;
  }
  if (!ev.obj) {
    watch_event_done(&ev);
    return -EBADMSG;
  }
  *ret = ev;
  return 0;
}

/* Length of the resource part of a key or prefix: "/registry/pods/default/x" -> strlen("/registry/pods/"). */
static size_t resource_prefix_len(const char *key) {
  const char *p = strchr(key + 1, '/');
  p = p ? strchr(p + 1, '/') : NULL;
  return p ? (size_t)(p - key + 1) : strlen(key);
}

static WatchGroup *find_group(WatchCache *c, const char *key, bool create) {
  size_t n = resource_prefix_len(key);
  for (size_t i = 0; i < c->n_groups; i++)
    if (strlen(c->groups[i].resource_prefix) == n && !strncmp(c->groups[i].resource_prefix, key, n))
      return &c->groups[i];
  if (!create)
    return NULL;
  /* Groups are never removed and the array only grows while the lock is held; watchers keep an index-free
   * pointer, so allocate groups once with room (one per served resource is a few dozen). */
  if (c->n_groups == 128)
    return NULL;
  WatchGroup *g = &c->groups[c->n_groups++];
  g->resource_prefix = xstrndup(key, n);
  return g;
}

static void wake_watchers(WatchCache *c, const char *key) {
  WatchGroup *g = key ? find_group(c, key, false) : NULL;
  if (!g)
    return;
  for (size_t i = 0; i < g->n; i++)
    if (!strncmp(key, g->watchers[i]->prefix, g->watchers[i]->prefix_len))
      pthread_cond_signal(&g->watchers[i]->cond);
}

/* The published object of key with a reference (NULL if absent). Caller holds the lock. */
static CacheObj *index_get(WatchCache *c, const char *key) {
  size_t i = lower_bound(c, key);
  return i < c->n && streq(c->index[i]->key, key) ? cache_obj_ref(c->index[i]) : NULL;
}

/* event_from_store for the commit hook: an update or delete's previous value is the object the index
 * publishes (same mod revision), so only the new value is parsed — one json_loadb per write instead of two
 * (three for a delete) while the store's write lock is held. The index entry of the key cannot change
 * between the look-up and on_commit's insert: commits are serialised by the store's write lock. */
static int event_from_commit(WatchCache *c, const StoreEvent *sev, WatchEvent *ret) {
  if (sev->type != STORE_EVENT_UPDATE && sev->type != STORE_EVENT_DELETE)
    return event_from_store(c, sev, ret);
  pthread_mutex_lock(&c->lock);
  CacheObj *old = index_get(c, sev->key);
  pthread_mutex_unlock(&c->lock);
  if (!old || old->mod_rev != sev->prev_rev) {
    cache_obj_unref(old);
    return event_from_store(c, sev, ret);
  }
  WatchEvent ev = {.rev = sev->rev, .prev = old};
  if (sev->type == STORE_EVENT_UPDATE) {
    ev.type = WATCH_MODIFIED;
    ev.obj = cache_obj_for_write(c, sev);
  } else {
    ev.type = WATCH_DELETED;
    /* Kubernetes reports a deleted object with the revision of the deletion. */
    ev.obj = cache_obj_new(sev->key, sev->prev_value, sev->prev_len, sev->rev, sev->create_rev);
  }
  if (!ev.obj) {
    watch_event_done(&ev);
    return -EBADMSG;
  }
  *ret = ev;
  return 0;
}

static int on_commit(const StoreEvent *sev, void *userdata) {
  WatchCache *c = userdata;
  WatchEvent ev;
  int r = event_from_commit(c, sev, &ev);
  pthread_mutex_lock(&c->lock);
  if (r < 0) {
    /* A value that does not parse cannot be served; keep revisions contiguous with an empty slot. */
    log_error("watchcache", "unparsable value at rev=%lld key=%s", (long long)sev->rev, sev->key);
    ev = (WatchEvent){.type = WATCH_EVENT_INVALID, .rev = sev->rev};
    CacheObj *old = index_put(c, sev->key, NULL);
    cache_obj_unref(old);
  } else if (ev.type == WATCH_DELETED) {
    CacheObj *old = index_put(c, sev->key, NULL);
    cache_obj_unref(old);
  } else {
    CacheObj *old = index_put(c, sev->key, cache_obj_ref(ev.obj));
    if (old == ev.prev) {
      cache_obj_unref(old); /* the index's reference; ev.prev keeps event_from_commit's */
    } else if (old && ev.prev) {
      /* Share the published previous object instead of the re-parsed copy. */
      cache_obj_unref(ev.prev);
      ev.prev = old;
    } else {
      cache_obj_unref(old);
    }
  }
  RingSlot *slot = &c->ring[(size_t)sev->rev % c->ring_size];
  if (slot->ev.rev)
    watch_event_done(&slot->ev);
  slot->ev = ev;
  slot->key = ev.obj ? ev.obj->key : NULL;
  c->rev = sev->rev;
  if (c->rev - c->first_rev >= (int64_t)c->ring_size)
    c->first_rev = c->rev - (int64_t)c->ring_size + 1;
  wake_watchers(c, sev->key);
  pthread_mutex_unlock(&c->lock);
  return 0;
}

int watch_cache_new(Store *store, size_t ring_size, WatchCache **ret, Error *err) {
  const char *verify = getenv("CORACLE_VERIFY_CACHE");
  if (verify && streq(verify, "1"))
    atomic_store(&verify_immutable, true);
  WatchCache *c = xzalloc(sizeof *c);
  c->store = store;
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->offer_lock, NULL);
  pthread_condattr_init(&c->condattr);
  pthread_condattr_setclock(&c->condattr, CLOCK_MONOTONIC);
  c->groups = xcalloc(128, sizeof(WatchGroup));
  c->ring_size = ring_size ? ring_size : 8192;
  c->ring = xcalloc(c->ring_size, sizeof(RingSlot));

  StoreKVList l = {0};
  int r = store_list(store, "/", 0, NULL, 0, &l, err);
  if (r < 0) {
    watch_cache_free(c);
    return r;
  }
  for (size_t i = 0; i < l.n; i++) {
    CacheObj *o = cache_obj_new(l.items[i].key, l.items[i].value, l.items[i].len, l.items[i].mod_rev,
                                l.items[i].create_rev);
    if (!o) {
      log_error("watchcache", "skipping unparsable value key=%s", l.items[i].key);
      continue;
    }
    if (c->n == c->cap) {
      c->cap = c->cap ? c->cap * 2 : 1024;
      c->index = xrealloc(c->index, c->cap * sizeof(CacheObj *));
    }
    c->index[c->n++] = o; /* the store lists in key order */
  }
  c->rev = l.rev;
  c->first_rev = l.rev + 1;
  store_kv_list_done(&l);
  /* The hook is installed after the load; a write in between cannot happen because the server does not
   * accept requests before the cache exists. */
  store_set_commit_hook(store, on_commit, c);
  *ret = c;
  return 0;
}

void watch_cache_free(WatchCache *c) {
  if (!c)
    return;
  store_set_commit_hook(c->store, NULL, NULL);
  for (size_t i = 0; i < c->n; i++)
    cache_obj_unref(c->index[i]);
  free(c->index);
  for (size_t i = 0; i < c->ring_size; i++)
    if (c->ring[i].ev.rev)
      watch_event_done(&c->ring[i].ev);
  free(c->ring);
  for (size_t i = 0; i < c->n_groups; i++) {
    free(c->groups[i].resource_prefix);
    free(c->groups[i].watchers);
  }
  free(c->groups);
  pthread_condattr_destroy(&c->condattr);
  pthread_mutex_destroy(&c->lock);
  for (size_t i = 0; i < OFFER_SLOTS; i++)
    json_decref(c->offers[i].obj);
  pthread_mutex_destroy(&c->offer_lock);
  free(c);
}

int64_t watch_cache_revision(WatchCache *c) {
  pthread_mutex_lock(&c->lock);
  int64_t r = c->rev;
  pthread_mutex_unlock(&c->lock);
  return r;
}

CacheObj *watch_cache_get(WatchCache *c, const char *key) {
  pthread_mutex_lock(&c->lock);
  size_t i = lower_bound(c, key);
  CacheObj *o = i < c->n && streq(c->index[i]->key, key) ? cache_obj_ref(c->index[i]) : NULL;
  pthread_mutex_unlock(&c->lock);
  return o;
}

void watch_cache_list(WatchCache *c, const char *prefix, const char *start_after, size_t limit,
                      CacheObj ***ret_objs, size_t *ret_n, int64_t *ret_rev, size_t *ret_remaining) {
  size_t plen = strlen(prefix);
  pthread_mutex_lock(&c->lock);
  size_t i = lower_bound(c, start_after && strcmp(start_after, prefix) > 0 ? start_after : prefix);
  if (start_after && i < c->n && streq(c->index[i]->key, start_after))
    i++;
  size_t end = i;
  while (end < c->n && strncmp(c->index[end]->key, prefix, plen) == 0)
    end++;
  size_t n = end - i;
  size_t take = limit && limit < n ? limit : n;
  CacheObj **objs = xcalloc(take ? take : 1, sizeof(CacheObj *));
  for (size_t k = 0; k < take; k++)
    objs[k] = cache_obj_ref(c->index[i + k]);
  *ret_rev = c->rev;
  pthread_mutex_unlock(&c->lock);
  *ret_objs = objs;
  *ret_n = take;
  if (ret_remaining)
    *ret_remaining = n - take;
}

void watch_cache_list_free(CacheObj **objs, size_t n) {
  for (size_t i = 0; i < n; i++)
    cache_obj_unref(objs[i]);
  free(objs);
}

size_t watch_cache_count(WatchCache *c, const char *prefix) {
  size_t plen = strlen(prefix);
  pthread_mutex_lock(&c->lock);
  size_t i = lower_bound(c, prefix), n = 0;
  while (i + n < c->n && strncmp(c->index[i + n]->key, prefix, plen) == 0)
    n++;
  pthread_mutex_unlock(&c->lock);
  return n;
}

typedef struct Replay {
  Watcher *w;
  int64_t last;
} Replay;

static int replay_cb(const StoreEvent *sev, void *userdata) {
  Replay *rp = userdata;
  Watcher *w = rp->w;
  rp->last = sev->rev;
  WatchEvent ev;
  if (event_from_store(NULL, sev, &ev) < 0) /* history from the store: nothing offered */
    return 0;
  w->backlog = xrealloc(w->backlog, (w->n_backlog + 1) * sizeof(WatchEvent));
  w->backlog[w->n_backlog++] = ev;
  return 0;
}

int watch_cache_watch(WatchCache *c, const char *prefix, int64_t after_rev, Watcher **ret, Error *err) {
  Watcher *w = xzalloc(sizeof *w);
  w->cache = c;
  w->prefix = xstrdup(prefix);
  w->prefix_len = strlen(prefix);
  pthread_cond_init(&w->cond, &c->condattr);

  /* History before the store's compaction point is gone for everyone, even if the ring still holds it:
   * that keeps "410 Gone" a property of the revision, not of this process's memory. */
  if (after_rev < store_compacted_revision(c->store)) {
    watcher_free(w);
    return error_set(err, -ENODATA, NULL, "too old resource version: %lld (%lld)", (long long)after_rev,
                     (long long)store_compacted_revision(c->store));
  }
  pthread_mutex_lock(&c->lock);
  int64_t first = c->first_rev, current = c->rev;
  pthread_mutex_unlock(&c->lock);
  if (after_rev > current) {
    /* Kubernetes waits for a future revision briefly; we start at the current one. */
    after_rev = current;
  }
  if (after_rev + 1 < first) {
    /* Older than the ring: replay from the store's history (outside the cache lock, see header). */
    Replay rp = {.w = w, .last = after_rev};
    int r = store_events_since(c->store, prefix, after_rev, replay_cb, &rp, err);
    if (r < 0) {
      watcher_free(w);
      return r;
    }
    /* The store's history is complete up to its current revision; events after rp.last that match
     * nothing in the prefix are skipped by the ring scan anyway. Take the revision the cache had when we
     * started the replay as a lower bound for the ring cursor. */
    after_rev = MAX(rp.last, current);
    pthread_mutex_lock(&c->lock);
    bool lost = after_rev + 1 < c->first_rev;
    pthread_mutex_unlock(&c->lock);
    if (lost) {
      watcher_free(w);
      return error_set(err, -ENODATA, NULL, "too old resource version");
    }
  }
  pthread_mutex_lock(&c->lock);
  w->cursor = after_rev;
  WatchGroup *g = find_group(c, prefix, true);
  if (!g) {
    pthread_mutex_unlock(&c->lock);
    watcher_free(w);
    return error_set(err, -ENOSPC, NULL, "too many watched resources");
  }
  if (g->n == g->cap) {
    g->cap = g->cap ? g->cap * 2 : 16;
    g->watchers = xrealloc(g->watchers, g->cap * sizeof(Watcher *));
  }
  g->watchers[g->n++] = w;
  w->group = g;
  pthread_mutex_unlock(&c->lock);
  *ret = w;
  return 0;
}

int watcher_next_many(Watcher *w, int timeout_ms, WatchEvent *evs, size_t max) {
  size_t n = 0;
  while (n < max && w->next_backlog < w->n_backlog) {
    evs[n++] = w->backlog[w->next_backlog];
    w->backlog[w->next_backlog++] = (WatchEvent){0};
  }
  if (n || !max)
    return (int)n;
  WatchCache *c = w->cache;
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += timeout_ms / 1000;
  deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&c->lock);
  for (;;) {
    if (c->shutdown) {
      pthread_mutex_unlock(&c->lock);
      return -ECANCELED;
    }
    if (w->interrupted) {
      w->interrupted = false;
      pthread_mutex_unlock(&c->lock);
      return -EINTR;
    }
    if (w->cursor + 1 < c->first_rev) {
      pthread_mutex_unlock(&c->lock);
      return -ENODATA;
    }
    /* Everything already there, up to max events and WATCH_MANY_BYTES of their objects' text (the first
     * whatever its size), under one hold of the lock: a group commit publishes its writes together, and
     * its watchers take them together. */
    size_t bytes = 0;
    while (w->cursor < c->rev && n < max) {
      RingSlot *slot = &c->ring[(size_t)(w->cursor + 1) % c->ring_size];
      if (slot->ev.rev == w->cursor + 1 && slot->key && strncmp(slot->key, w->prefix, w->prefix_len) == 0) {
        size_t len = slot->ev.obj ? slot->ev.obj->len : 0;
        if (n && bytes + len > WATCH_MANY_BYTES)
          break;
        bytes += len;
        evs[n] = slot->ev;
        cache_obj_ref(evs[n].obj);
        cache_obj_ref(evs[n].prev);
        n++;
      }
      w->cursor++;
    }
    if (n) {
      pthread_mutex_unlock(&c->lock);
      return (int)n;
    }
    if (pthread_cond_timedwait(&w->cond, &c->lock, &deadline) == ETIMEDOUT) {
      pthread_mutex_unlock(&c->lock);
      return -ETIMEDOUT;
    }
  }
}

int watcher_next(Watcher *w, int timeout_ms, WatchEvent *ret) {
  int n = watcher_next_many(w, timeout_ms, ret, 1);
  return n < 0 ? n : 0;
}

void watcher_interrupt(Watcher *w) {
  pthread_mutex_lock(&w->cache->lock);
  w->interrupted = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->cache->lock);
}

int64_t watcher_revision(Watcher *w) {
  return w->cursor;
}

void watcher_free(Watcher *w) {
  if (!w)
    return;
  if (w->group) {
    pthread_mutex_lock(&w->cache->lock);
    WatchGroup *g = w->group;
    for (size_t i = 0; i < g->n; i++)
      if (g->watchers[i] == w) {
        g->watchers[i] = g->watchers[--g->n];
        break;
      }
    pthread_mutex_unlock(&w->cache->lock);
  }
  pthread_cond_destroy(&w->cond);
  for (size_t i = w->next_backlog; i < w->n_backlog; i++)
    watch_event_done(&w->backlog[i]);
  free(w->backlog);
  free(w->prefix);
  free(w);
}

void watch_cache_shutdown(WatchCache *c) {
  pthread_mutex_lock(&c->lock);
  c->shutdown = true;
  for (size_t g = 0; g < c->n_groups; g++)
    for (size_t i = 0; i < c->groups[g].n; i++)
      pthread_cond_signal(&c->groups[g].watchers[i]->cond);
  pthread_mutex_unlock(&c->lock);
}
