/* The API server's watch cache: every object of the store held in memory (parsed and serialized, immutable
 * and reference-counted once published), kept in key order for prefix lists, plus a ring of the most
 * recent events that watchers read from. The store's commit hook feeds it synchronously, so a write that
 * returned is already visible to gets, lists and watches (read-your-writes) and watchers see every change
 * in revision order with no gaps. A watcher that falls behind the ring, or asks for a revision older than
 * the store's history, gets -ENODATA (410 Gone; kubectl relists).
 *
 * Locking: one mutex guards the ordered index and the ring; watchers wait on a condition variable.
 * Lock order: the store's write lock, then the cache mutex (the hook runs under the store's lock). Nothing
 * here calls into the store while holding the cache mutex. */
#pragma once

#include <jansson.h>
#include <stdatomic.h>

#include "store/store.h"

typedef struct CacheObj {
  atomic_int refs;
  char *key;
  json_t *obj; /* metadata.resourceVersion set to mod_rev; never mutated after publication */
  char *text;  /* compact JSON of obj */
  size_t len;
  int64_t mod_rev;
  int64_t create_rev;
} CacheObj;

CacheObj *cache_obj_ref(CacheObj *o);
void cache_obj_unref(CacheObj *o);
static inline void cache_obj_unrefp(CacheObj **o) {
  if (*o)
    cache_obj_unref(*o);
}
#define _cleanup_cache_obj_ _cleanup_(cache_obj_unrefp)
/* Builds a CacheObj from stored bytes: parses and sets metadata.resourceVersion. NULL if unparsable. */
CacheObj *cache_obj_new(const char *key, const char *value, size_t len, int64_t mod_rev, int64_t create_rev);

typedef enum WatchEventType {
  WATCH_ADDED,
  WATCH_MODIFIED,
  WATCH_DELETED,
  _WATCH_EVENT_MAX,
  WATCH_EVENT_INVALID = -1,
} WatchEventType;

const char *watch_event_type_to_string(WatchEventType t);

typedef struct WatchEvent {
  WatchEventType type;
  int64_t rev;
  CacheObj *obj;  /* the new state; for DELETED the last state with resourceVersion = rev */
  CacheObj *prev; /* the previous state (MODIFIED/DELETED), NULL for ADDED */
} WatchEvent;

void watch_event_done(WatchEvent *e);

typedef struct WatchCache WatchCache;
typedef struct Watcher Watcher;

/* Loads every object of the store and installs the commit hook. ring_size = events kept in memory. */
int watch_cache_new(Store *store, size_t ring_size, WatchCache **ret, Error *err);
void watch_cache_free(WatchCache *c);

int64_t watch_cache_revision(WatchCache *c);

/* A new reference to the object at key, or NULL. */
CacheObj *watch_cache_get(WatchCache *c, const char *key);

/* Snapshot of the objects whose key starts with prefix, after start_after (NULL = from the first), in key
 * order, at most limit (0 = all). References in *ret_objs belong to the caller (watch_cache_list_free).
 * *ret_rev = the revision of the snapshot; *ret_remaining = objects left after the last returned one. */
void watch_cache_list(WatchCache *c, const char *prefix, const char *start_after, size_t limit,
                      CacheObj ***ret_objs, size_t *ret_n, int64_t *ret_rev, size_t *ret_remaining);
void watch_cache_list_free(CacheObj **objs, size_t n);
/* Number of objects under prefix. */
size_t watch_cache_count(WatchCache *c, const char *prefix);

/* Saves the commit hook a parse: the writer of value (the very buffer it is about to hand store_create or
 * store_update) offers obj, the object value encodes: value must be json_compact(obj) byte for byte, but for
 * a metadata.resourceVersion that obj may have and value lacks. The hook of that write takes obj instead of
 * parsing value; when obj has no resourceVersion the cached text is value with the revision spliced into
 * metadata, not a second serialisation. The writer must not change obj afterwards and withdraws
 * the offer once the store call returned, taken or not (a failed write leaves it). At most 64 offers are
 * held; beyond that an offer is ignored and the value parsed. */
void watch_cache_offer(WatchCache *c, const char *value, json_t *obj);
void watch_cache_withdraw(WatchCache *c, const char *value);

/* Starts a watcher for keys under prefix that yields every event with revision > after_rev.
 * -ENODATA if that history is compacted (410). */
int watch_cache_watch(WatchCache *c, const char *prefix, int64_t after_rev, Watcher **ret, Error *err);
/* Waits up to timeout_ms for the next event. 0 and *ret filled; -ETIMEDOUT; -ENODATA when the watcher fell
 * behind the ring (the client must relist); -ECANCELED when the cache shuts down; -EINTR once after
 * watcher_interrupt. */
int watcher_next(Watcher *w, int timeout_ms, WatchEvent *ret);
/* The same for up to max events (max >= 1): waits as watcher_next does for the first, then takes those
 * already there, up to 256 KiB of their objects' text after the first. Answers how many (>= 1) or an error
 * of watcher_next; an error met after some events is answered by the next call. */
int watcher_next_many(Watcher *w, int timeout_ms, WatchEvent *evs, size_t max);
/* Thread-safe: makes the watcher's current or next watcher_next return -EINTR (an in-process client
 * cancelled its watch). */
void watcher_interrupt(Watcher *w);
/* The revision the watcher has delivered up to (for bookmarks). */
int64_t watcher_revision(Watcher *w);
void watcher_free(Watcher *w);
/* Wakes every watcher (shutdown). */
void watch_cache_shutdown(WatchCache *c);
