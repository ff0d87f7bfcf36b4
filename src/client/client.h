/* The client every coracle component uses to talk to the API server: over HTTPS, or, for the scheduler,
 * controllers, agent and proxy inside `coracle server`, through the API server's in-process transport
 * (client_set_transport below) — the same requests and answers without a socket.
 *
 * A Client holds the server URL, the TLS material (cluster CA, client certificate and key) or a bearer token,
 * and an HTTP engine (client/httpc.h) with a small pool of HTTP/1.1 keep-alive connections. It is
 * thread-safe: any thread may call any function; each call borrows a connection from the pool for its
 * duration. Objects are jansson trees; results are new references owned by the caller.
 *
 * Errors follow src/base/error.h. A Status answered by the server becomes an Error carrying its HTTP code,
 * reason, message and causes, and the return value is the errno that code maps to, so callers can test:
 *   -ENOENT 404 NotFound        -EEXIST 409 AlreadyExists    -ECANCELED 409 Conflict (stale resourceVersion)
 *   -ENODATA 410 Expired/Gone   -EINVAL 422 Invalid          -EBADMSG 400 BadRequest
 *   -EPERM 401                  -EACCES 403                  -EAGAIN 429/503 (retry; Error.retry_after)
 *   -EOPNOTSUPP 405             -ENOSYS 501                  -ETIME 504 Timeout        -EIO other 5xx
 * Transport failures leave Error.http at 0: -ECONNREFUSED, -ECONNRESET (connection dropped), -ETIMEDOUT,
 * -EPROTO (TLS), -ECANCELED (a ClientCancel fired), -EIO. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "api/kinds.h"
#include "base/error.h"
#include "client/httpc.h"

typedef struct Client Client;

typedef struct ClientConfig {
  const char *server;           /* "https://127.0.0.1:6443" */
  const char *ca_pem;           /* the cluster CA (PEM): the only trust anchor, so required for https */
  const char *cert_pem;         /* client certificate (PEM) ... */
  const char *key_pem;          /* ... and its key (PEM) */
  const char *token;            /* bearer token, sent when set (may be combined with a certificate) */
  const char *user_agent;       /* default "coracle/<version>" */
  unsigned timeout_sec;         /* whole-request limit for everything but watches; default 60 */
  unsigned connect_timeout_sec; /* default 10 */
} ClientConfig;

/* Creates a client. Nothing is sent until the first request. -EINVAL for a missing or non-http(s) server. */
int client_new(const ClientConfig *cfg, Client **ret, Error *err);
/* Closes the pooled connections. The caller must have stopped every informer and watch using c. */
void client_free(Client *c);
static inline void client_freep(Client **c) {
  client_free(*c);
}
#define _cleanup_client_ _cleanup_(client_freep)

/* A client for the local server, authenticated as the admin with the certificates the server keeps under
 * DATA_DIR/server/tls (server-ca.crt, client-admin.crt, client-admin.key). server_url NULL means
 * "https://127.0.0.1:6443". -ENOENT with the path when a file is missing. */
int client_new_local(const char *data_dir, const char *server_url, Client **ret, Error *err);

/* ---- in-process transport ---- */

/* Carries a request to a server in the same process instead of over HTTPS (the API server's
 * apiserver_local_transport): it gets the path and query, and req as the HTTP engine would — method, body,
 * headers (NULL-terminated "Name: value", User-Agent included), cancel, on_head/on_body — and fills resp
 * (status, head, body unless on_body streams it) as httpc_request does, with the same return convention. */
typedef int (*ClientTransportFn)(void *ctx, const char *path_and_query, const HttpcRequest *req,
                                 HttpcResponse *resp, Error *err);

/* Sends every later request of c through fn(ctx, ...). Set it before the client is shared. */
void client_set_transport(Client *c, ClientTransportFn fn, void *ctx);

/* ---- cancellation ---- */

/* A token that aborts a blocking call (a watch, a list) from another thread within a poll wake-up (well
 * under 100 ms). A token serves one transfer at a time; once triggered it stays triggered until reset. */
typedef struct ClientCancel ClientCancel;

ClientCancel *client_cancel_new(void);
void client_cancel_free(ClientCancel *cc);
/* Thread-safe: meant to be called from another thread while the transfer runs. */
void client_cancel_trigger(ClientCancel *cc);
bool client_cancel_triggered(ClientCancel *cc);
void client_cancel_reset(ClientCancel *cc);

/* ---- CRUD ----
 * ns is the namespace for namespaced resources (ignored for cluster-scoped ones); create and update fall back
 * to the object's metadata.namespace when ns is NULL. ret may be NULL when the answer is not wanted. */

int client_get(Client *c, const ApiResource *r, const char *ns, const char *name, json_t **ret, Error *err);

typedef struct ClientListOptions {
  const char *label_selector;   /* string form, "app=web,tier!=db" */
  const char *field_selector;   /* "spec.nodeName=n1" */
  const char *resource_version; /* NULL/"" = most recent; "0" = any the server has */
  size_t page_size;             /* limit per request; 0 = 500. Paging is followed inside. */
  ClientCancel *cancel;         /* optional */
  bool drop_managed_fields;     /* the items come without metadata.managedFields (never even built) */
} ClientListOptions;

/* Lists every matching object (all namespaces when ns is NULL), following continue tokens; if a token
 * expires (410) part-way the list restarts unpaged, as client-go's pager does. *ret_items is a new array of
 * objects (kind and apiVersion filled in), *ret_resource_version the list's resourceVersion (caller frees;
 * may be NULL when not wanted). opts may be NULL. */
int client_list(Client *c, const ApiResource *r, const char *ns, const ClientListOptions *opts,
                json_t **ret_items, char **ret_resource_version, Error *err);

/* POST to the collection; *ret is the created object. */
int client_create(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret, Error *err);
/* PUT of obj (named by its metadata.name); a stale metadata.resourceVersion fails with -ECANCELED (409). */
int client_update(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret, Error *err);
/* PUT to the status subresource (only .status is taken by the server). */
int client_update_status(Client *c, const ApiResource *r, const char *ns, json_t *obj, json_t **ret,
                         Error *err);

typedef enum ClientPatchType {
  CLIENT_PATCH_MERGE,     /* application/merge-patch+json (RFC 7386) */
  CLIENT_PATCH_STRATEGIC, /* application/strategic-merge-patch+json */
  CLIENT_PATCH_JSON,      /* application/json-patch+json (RFC 6902) */
  _CLIENT_PATCH_MAX,
  CLIENT_PATCH_INVALID = -1,
} ClientPatchType;

const char *client_patch_type_to_string(ClientPatchType t); /* the Content-Type */

/* PATCH the object, or its subresource sub ("status", "scale") when sub is not NULL. */
int client_patch(Client *c, const ApiResource *r, const char *ns, const char *name, const char *sub,
                 ClientPatchType type, json_t *patch, json_t **ret, Error *err);

typedef struct ClientDeleteOptions {
  const char *propagation_policy; /* "Background", "Foreground", "Orphan" or NULL (the resource's default) */
  bool has_grace_period;          /* grace_period_seconds is meaningful (0 = immediately) */
  int64_t grace_period_seconds;
  const char *precondition_uid;              /* delete only this incarnation */
  const char *precondition_resource_version; /* delete only this version (-ECANCELED otherwise) */
} ClientDeleteOptions;

/* DELETE with DeleteOptions in the body (opts may be NULL). *ret is what the server answers: the object
 * (being deleted, or its last state). */
int client_delete(Client *c, const ApiResource *r, const char *ns, const char *name,
                  const ClientDeleteOptions *opts, json_t **ret, Error *err);

/* Any verb on a subresource with a JSON body (may be NULL): POST pods/binding, PUT deployments/scale, GET
 * pods/log answers that are JSON... */
int client_subresource(Client *c, const char *method, const ApiResource *r, const char *ns, const char *name,
                       const char *sub, json_t *body, json_t **ret, Error *err);

/* The raw form: method on path_and_query ("/api/v1/namespaces?limit=1"), body sent with content_type
 * (application/json when NULL). A 2xx answer is decoded into *ret (JSON null when empty). */
int client_request(Client *c, const char *method, const char *path_and_query, const char *content_type,
                   json_t *body, json_t **ret, Error *err);

/* ---- watch ---- */

typedef enum ClientWatchEventType {
  CLIENT_WATCH_ADDED,
  CLIENT_WATCH_MODIFIED,
  CLIENT_WATCH_DELETED,
  CLIENT_WATCH_BOOKMARK,
  CLIENT_WATCH_ERROR, /* object is a Status; 410 means the resourceVersion is too old: list again */
  _CLIENT_WATCH_MAX,
  CLIENT_WATCH_INVALID = -1,
} ClientWatchEventType;

const char *client_watch_event_type_to_string(ClientWatchEventType t);
ClientWatchEventType client_watch_event_type_from_string(const char *s);

/* Called from the watching thread for every event, in the server's order. object is borrowed: incref it to
 * keep it, and never modify it (over the in-process transport it is the API server's own cached object,
 * read by other threads). A negative return stops the watch and is returned by client_watch. */
typedef int (*ClientWatchFn)(ClientWatchEventType type, json_t *object, void *userdata);

typedef struct ClientWatchOptions {
  const char *resource_version; /* events after this version; NULL/""/"0" = current state as ADDED first */
  const char *label_selector;
  const char *field_selector;
  bool allow_bookmarks;     /* ask for BOOKMARK events (every minute); also arms a dead-connection timeout */
  unsigned timeout_sec;     /* the server ends the stream after this; 0 = never */
  ClientCancel *cancel;     /* optional: aborts the watch from another thread */
  bool drop_managed_fields; /* decoded objects come without metadata.managedFields (never even built); an
                               in-process watch's shared objects are handed over as they are */
} ClientWatchOptions;

/* Streams GET ...?watch=1 in the calling thread until the server ends it (returns 0: timeoutSeconds, or the
 * server closed cleanly), fn returns a negative value (returned), cancel fires (-ECANCELED), the connection
 * drops (-ECONNRESET...) or the server refuses the watch (its Status as an Error). */
int client_watch(Client *c, const ApiResource *r, const char *ns, const ClientWatchOptions *opts,
                 ClientWatchFn fn, void *userdata, Error *err);
