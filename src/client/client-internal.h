/* Declarations shared by the API client's files in src/client/ and its unit tests, not by the rest of
 * coracle: a small string-keyed hash map (the informer cache and the work queue's sets), the splitter that
 * cuts a watch stream into newline-delimited events whatever the chunk boundaries, and URL building. */
#pragma once

#include <jansson.h>

#include "api/kinds.h"
#include "base/buf.h"
#include "base/error.h"
#include "client/client.h"
#include "client/httpc.h"
#include "client/informer.h"

/* ---- string → pointer hash map (chained, FNV-1a, doubles at load 1). Not thread-safe: callers lock. ---- */

typedef struct ClientMapEntry {
  struct ClientMapEntry *next;
  uint64_t hash;
  void *value;
  char key[]; /* copied in */
} ClientMapEntry;

typedef struct ClientMap {
  ClientMapEntry **buckets;
  size_t n_buckets; /* power of two, or 0 before the first insert */
  size_t size;
} ClientMap;

#define CLIENT_MAP_INIT                                                                                      \
  { 0 }

/* The value stored under key, or NULL (store non-NULL values to tell "absent" apart). */
void *client_map_get(const ClientMap *m, const char *key);
bool client_map_contains(const ClientMap *m, const char *key);
/* Stores value under a copy of key; returns the value it replaced (the caller's to free) or NULL. */
void *client_map_put(ClientMap *m, const char *key, void *value);
/* Removes key; returns its value (the caller's to free) or NULL. */
void *client_map_remove(ClientMap *m, const char *key);
/* Calls fn for every entry in no particular order; fn must not change the map. */
void client_map_foreach(const ClientMap *m, void (*fn)(const char *key, void *value, void *userdata),
                        void *userdata);
/* Empties the map, calling free_value (if not NULL) on every value. The map stays usable. */
void client_map_clear(ClientMap *m, void (*free_value)(void *value));

/* ---- newline-delimited stream splitting ---- */

/* A watch answer is a stream of JSON documents separated by '\n'; TCP and TLS cut it anywhere. The splitter
 * keeps the unfinished tail and calls on_line for each complete line (without the '\n'; empty lines are
 * skipped). A line longer than max_line fails with -E2BIG; a negative return of on_line stops feeding and
 * is returned. */
typedef int (*ClientLineFn)(const char *line, size_t len, void *userdata);

typedef struct ClientLineSplitter {
  Buf partial;
  size_t max_line;
  ClientLineFn on_line;
  void *userdata;
} ClientLineSplitter;

void client_line_splitter_init(ClientLineSplitter *s, size_t max_line, ClientLineFn on_line, void *userdata);
int client_line_splitter_feed(ClientLineSplitter *s, const char *data, size_t len);
void client_line_splitter_done(ClientLineSplitter *s);

/* Decodes one watch event line into its type and object (a new reference), without the object's
 * metadata.managedFields if drop_managed_fields. -EBADMSG when the line is not {"type": one of the five,
 * "object": {...}}. */
int client_watch_event_decode(const char *line, size_t len, bool drop_managed_fields,
                              ClientWatchEventType *ret_type, json_t **ret_object, Error *err);

/* ---- requests ---- */

/* Appends "/api/v1" or "/apis/G/V", then "/namespaces/NS" (namespaced resources with ns set), the resource,
 * "/NAME" and "/SUB" when given; every segment percent-encoded. */
void client_build_path(Buf *b, const ApiResource *r, const char *ns, const char *name, const char *sub);
/* Appends s percent-encoded for a URL path segment or query value (RFC 3986 unreserved kept). */
void client_url_escape(Buf *b, const char *s);

/* The server URL without a trailing slash. */
const char *client_server(Client *c);

/* One exchange with the server on the client's HTTP engine: req's method, body, timeouts, cancel and body
 * callback as the caller set them; the URL (server + path_and_query) and the headers every request carries
 * (Authorization when a token is set, Accept: application/json, Content-Type: content_type when the
 * request has a body) are filled in here. resp must be initialised (HTTPC_RESPONSE_INIT) and released by
 * the caller. Transport failures become errno values with a message in err and Error.http 0:
 * -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -EPROTO (TLS, certificate verification included), -ECONNRESET,
 * -ECANCELED, -E2BIG, -EIO (anything else, a malformed answer included). */
int client_perform(Client *c, const char *path_and_query, const char *content_type, HttpcRequest *req,
                   HttpcResponse *resp, Error *err);
/* The token's engine-level cancel, for requests built by hand; NULL when cc is NULL. */
HttpcCancel *client_cancel_httpc(ClientCancel *cc);

/* Turns a non-2xx answer into an Error: the Status's message, reason and causes when the body is one, the
 * HTTP code always, errno mapped from the code (404 -ENOENT, 409 -EEXIST/-ECANCELED, 410 -ENODATA...).
 * Returns the negative errno. */
int client_error_from_response(long http, const char *body, size_t len, Error *err);

/* ---- informer internals, exposed for unit tests (the informer's thread is their only other caller) ---- */

/* Stores a list's items as the new cache and reports adds/updates/deletes; marks the informer synced. */
void informer_replace(Informer *inf, json_t *items, const char *rv);
/* Applies one watch event to the cache and the handlers. -ENODATA for an ERROR event carrying 410, -EIO for
 * other ERROR events, -EBADMSG for an object without a name. */
int informer_handle_event(Informer *inf, ClientWatchEventType type, json_t *obj);
