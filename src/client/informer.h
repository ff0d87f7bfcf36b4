/* Informers (client-go's SharedInformer model): one thread per informer keeps a local cache of one resource
 * (optionally one namespace and label/field selectors) in step with the server by LIST then WATCH from the
 * list's resourceVersion, and calls the registered handlers for every change, in order, from that thread.
 *
 *  - The cache is keyed "namespace/name" ("name" for cluster-scoped objects). Stored objects are immutable:
 *    readers get new references and must not modify them (json_deep_copy before changing and updating).
 *  - A watch ending cleanly (timeoutSeconds, 5–10 min like client-go) is resumed from the last seen
 *    resourceVersion (BOOKMARK events move it forward too); one ended by the server within a second and
 *    without any event counts as a failure. 410 Gone, an ERROR event, a dropped connection
 *    or a failed list lead to a re-list, after an exponential back-off (0.8 s doubling to 30 s, jittered,
 *    reset after 2 min without failure; none after a 410). A re-list replaces the cache: objects still
 *    present are reported as updates (old, new), vanished ones as deletes.
 *  - An optional resync period reports every cached object as an update (obj, obj) so that level-based
 *    controllers re-check everything now and then. A handle that joins a running shared informer gets its
 *    first resync up to one watch (5–10 min) late: the stream in flight was timed without it.
 *  - Shared (client-go's shared informer factory, process-wide): informers created on the same Client for
 *    the same resource, namespace, selectors and page size share one thread, one watch and one cache; each
 *    Informer is a handle with its own handlers and resync period. The components of `coracle server`
 *    (scheduler, controllers, node agent, DNS, proxy) therefore watch each resource once. A handle started
 *    on a running shared informer first gets on_add for every cached object, as a handler added late does;
 *    informer_stop on a handle stops its handlers at once and the thread with the last running handle.
 *    Handlers of all handles run on the one thread, so they must stay short. The stats are the shared ones.
 *
 * Locking: a read-write lock guards the cache (handlers may read the cache, it is never held while they run);
 * a mutex serialises handler calls with handler registration; another guards the thread's state and stats.
 * Handlers must not call informer_add_handlers, informer_stop or informer_free. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "api/kinds.h"
#include "api/selector.h"
#include "client/client.h"

typedef struct Informer Informer;

/* Objects are borrowed for the duration of the call (incref to keep; never modify). Any may be NULL. */
typedef struct InformerHandlers {
  void (*on_add)(json_t *obj, void *userdata);
  void (*on_update)(json_t *old_obj, json_t *new_obj, void *userdata);
  /* obj is the last state known (the DELETED event's object, or the cached one when a re-list found the
   * object gone). */
  void (*on_delete)(json_t *obj, void *userdata);
  void *userdata;
} InformerHandlers;

typedef struct InformerOptions {
  const char *ns; /* NULL = all namespaces */
  const char *label_selector;
  const char *field_selector;
  uint64_t resync_usec; /* 0 = no resync */
  size_t page_size;     /* list paging; 0 = the client's default (500) */
  /* client-go's managedFields trim (kube-scheduler and kube-controller-manager set it as an informer
   * transform): cached and handed-over objects lack metadata.managedFields, often half of a pod's memory.
   * For clients whose objects are decoded (HTTPS); an in-process client shares the server's objects, which
   * a trimmed copy would only add to. */
  bool drop_managed_fields;
} InformerOptions;

/* Creates a stopped informer on c (which must outlive it). opts may be NULL. -EINVAL for unparsable
 * selectors. */
int informer_new(Client *c, const ApiResource *r, const InformerOptions *opts, Informer **ret, Error *err);
/* Stops (if running) and frees. NULL is fine. */
void informer_free(Informer *inf);
static inline void informer_freep(Informer **inf) {
  informer_free(*inf);
}
#define _cleanup_informer_ _cleanup_(informer_freep)

/* Registers handlers (copied). Before start they see everything from the first list on; once running, the
 * new handler first gets on_add for every cached object, from the calling thread, before any later event. */
void informer_add_handlers(Informer *inf, const InformerHandlers *h);

/* Starts the informer's thread (or joins the running shared one). -EALREADY if started before, -ECANCELED
 * when stopped before it was started. */
int informer_start(Informer *inf, Error *err);
/* No handler of inf runs after this returns. The last running handle on a shared informer also stops the
 * thread (an in-flight watch or list is aborted within ~100 ms) and joins it. Idempotent. */
void informer_stop(Informer *inf);

/* True once the first list has been stored and its events delivered to the handlers. */
bool informer_has_synced(Informer *inf);
/* Waits until synced: 0, -ETIMEDOUT, or -ECANCELED if the informer is stopped. */
int informer_wait_for_sync(Informer *inf, uint64_t timeout_usec);

const ApiResource *informer_resource(Informer *inf);

typedef struct InformerStats {
  uint64_t lists;    /* successful lists (the first one and every re-list) */
  uint64_t watches;  /* watch requests started */
  uint64_t events;   /* watch events received, bookmarks included */
  uint64_t failures; /* failed lists and watches */
  uint64_t gone;     /* watches refused or ended with 410 (the informer's resourceVersion was compacted) */
  char resource_version[32]; /* the last one seen */
} InformerStats;

void informer_get_stats(Informer *inf, InformerStats *ret);

/* ---- the cache ---- */

/* A new reference to the object stored under key ("ns/name" or "name"), or NULL. */
json_t *informer_get(Informer *inf, const char *key);
json_t *informer_get_by_name(Informer *inf, const char *ns, const char *name);
/* New arrays of the cached objects sorted by key: all, one namespace, or those in ns (NULL = any) whose
 * labels match sel (NULL = every object). */
json_t *informer_list(Informer *inf);
json_t *informer_list_namespace(Informer *inf, const char *ns);
json_t *informer_list_selector(Informer *inf, const char *ns, const LabelSelector *sel);
size_t informer_count(Informer *inf);

/* The cache key of an object: "ns/name", or "name" without a namespace; NULL without a name. Caller frees. */
char *informer_key(json_t *obj);
/* Splits a key into namespace (NULL for cluster-scoped) and name; both the caller's to free. */
void informer_split_key(const char *key, char **ret_ns, char **ret_name);
