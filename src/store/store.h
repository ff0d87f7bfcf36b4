/* A revisioned key-value store with the semantics Kubernetes needs from etcd:
 *  - one global revision, strictly increasing by 1 with every successful write (create, update, delete);
 *  - create-if-absent; update and delete guarded by the expected modification revision (compare-and-swap);
 *  - get; list by key prefix at one consistent revision, with limit + continue (start after a key);
 *  - the history of changes (every event, in order, no gaps, with the previous value on update/delete)
 *    kept until compacted; asking for a compacted revision returns -ENODATA (the API maps it to 410 Gone);
 *  - a commit hook called after every write, in revision order, so that watch caches never miss a change.
 * Backends: SQLite (store-sqlite.c, the default); the interface is kept small enough for etcd later.
 * All functions are thread-safe; writes are serialised inside the store. Keys are '/'-separated paths such
 * as "/registry/pods/default/web-1"; values are opaque bytes (coracle stores JSON). */
#pragma once

#include <stdint.h>

#include "base/error.h"

typedef struct Store Store;

typedef enum StoreSync {
  STORE_SYNC_FULL,   /* fsync the WAL on every commit: survives power loss as well as kill -9 */
  STORE_SYNC_NORMAL, /* WAL written on commit, fsync at checkpoints: survives kill -9, not power loss */
  _STORE_SYNC_MAX,
  STORE_SYNC_INVALID = -1,
} StoreSync;

typedef struct StoreOptions {
  StoreSync sync;
} StoreOptions;

typedef struct StoreKV {
  char *key;
  char *value; /* NUL-terminated copy of the bytes, len excludes the NUL */
  size_t len;
  int64_t create_rev;
  int64_t mod_rev;
} StoreKV;

typedef struct StoreKVList {
  StoreKV *items;
  size_t n;
  int64_t rev;       /* the revision the list was read at */
  bool more;         /* true when limit cut the list short; continue after items[n-1].key */
  int64_t remaining; /* how many keys with the prefix follow the last item (when more), else 0 */
} StoreKVList;

typedef enum StoreEventType {
  STORE_EVENT_CREATE,
  STORE_EVENT_UPDATE,
  STORE_EVENT_DELETE,
  _STORE_EVENT_MAX,
  STORE_EVENT_INVALID = -1,
} StoreEventType;

typedef struct StoreEvent {
  StoreEventType type;
  const char *key;
  int64_t rev;        /* the revision this event created */
  int64_t create_rev; /* revision at which the key was created */
  int64_t prev_rev;   /* mod revision of the previous value (update/delete), 0 for create */
  const char *value;  /* new value (create/update); NULL for delete */
  size_t len;
  const char *prev_value; /* previous value (update/delete); NULL for create */
  size_t prev_len;
} StoreEvent;

/* Called for each event; the event and its strings are valid only during the call. Returning a negative
 * value stops an iteration (store_events_since returns it). */
typedef int (*store_event_cb)(const StoreEvent *ev, void *userdata);

const char *store_event_type_to_string(StoreEventType t);
const char *store_sync_to_string(StoreSync s);
StoreSync store_sync_from_string(const char *s);

/* Opens (creating if needed) the SQLite store at path. Errors: -errno / -EIO with a message in err. */
int store_open(const char *path, const StoreOptions *opts, Store **ret_store, Error *err);
/* Closes the store; NULL is fine. */
void store_close(Store *s);

int64_t store_current_revision(Store *s);
/* The oldest revision that can still be watched from is compacted_revision + 1. */
int64_t store_compacted_revision(Store *s);

/* Creates key. -EEXIST if present. *ret_rev (optional) = the new revision. */
int store_create(Store *s, const char *key, const void *value, size_t len, int64_t *ret_rev, Error *err);
/* Replaces key's value if its mod revision equals expected_rev (0 = any). -ENOENT if absent, -ECANCELED
 * if the revision differs. */
int store_update(Store *s, const char *key, const void *value, size_t len, int64_t expected_rev,
                 int64_t *ret_rev, Error *err);
/* Deletes key if its mod revision equals expected_rev (0 = any). -ENOENT / -ECANCELED as for update. */
int store_delete(Store *s, const char *key, int64_t expected_rev, int64_t *ret_rev, Error *err);

/* Reads key. -ENOENT if absent. ret_kv is owned by the caller (store_kv_done). */
int store_get(Store *s, const char *key, StoreKV *ret_kv, Error *err);

/* Lists keys starting with prefix, in key order, as they were at revision at_rev (0 = current). Starts
 * after start_after (NULL = from the beginning), returns at most limit items (0 = no limit).
 * -ENODATA if at_rev is compacted, -EINVAL if at_rev is in the future. */
int store_list(Store *s, const char *prefix, int64_t at_rev, const char *start_after, size_t limit,
               StoreKVList *ret_list, Error *err);

/* Calls cb for every event with revision > after_rev on keys starting with prefix, in order.
 * -ENODATA if after_rev < compacted revision (events are gone). */
int store_events_since(Store *s, const char *prefix, int64_t after_rev, store_event_cb cb, void *userdata,
                       Error *err);

/* Installs the commit hook: called once per successful write, after it is durable, in revision order,
 * while the store's write lock is held (so the hook must not call back into write functions). */
void store_set_commit_hook(Store *s, store_event_cb cb, void *userdata);

/* Drops history up to and including rev (rev <= current revision); current values are kept. */
int store_compact(Store *s, int64_t rev, Error *err);

void store_kv_done(StoreKV *kv);
void store_kv_list_done(StoreKVList *l);
