/* Declarations shared by the API server's files: the server state, the object registry (create, get,
 * update, patch, delete with Kubernetes' metadata rules), Status encoding, and the request handlers. */
#pragma once

#include <pthread.h>
#include <stdatomic.h>

#include "api/kinds.h"
#include "api/schema.h"
#include "apiserver/apiserver.h"
#include "apiserver/http.h"
#include "apiserver/watchcache.h"

struct ApiServer {
  ApiServerOptions opts;
  char *tls_dir;
  char *db_path;
  Store *store;
  WatchCache *cache;
  Pki pki;
  void *daemon; /* struct MHD_Daemon */
  pthread_t bg_thread;
  bool bg_started;
  pthread_mutex_t bg_lock;
  pthread_cond_t bg_cond;
  atomic_bool stopping;
  pthread_mutex_t alloc_lock; /* serialises Service IP / NodePort allocation with the create */
  uint32_t svc_net, svc_mask; /* service CIDR, host order */
  char *openapi_root;         /* cached /openapi/v3 document */
  struct Metrics *metrics;    /* metrics.c: sample store and scraper */
  struct PodLogClient
      *podlog; /* podlog.c: the HTTPS client of the agents' log endpoints, made on first use */
};

/* ---- server.c ---- */

/* Serves one authenticated (or public) request whatever its transport: metrics, discovery and OpenAPI,
 * the REST resources, else 404. req->path is the decoded path without the query. */
void apiserver_dispatch(ApiServer *s, HttpRequest *req, HttpResponse *resp);

/* ---- registry.c ---- */

/* Storage key of an object: "/registry/<res>[.<group>]/[<ns>/]<name>". */
char *registry_key(const ApiResource *r, const char *ns, const char *name);
/* Prefix for a list: the resource's prefix, plus "<ns>/" when ns is set. */
char *registry_prefix(const ApiResource *r, const char *ns);

int registry_get(ApiServer *s, const ApiResource *r, const char *ns, const char *name, CacheObj **ret,
                 Error *err);
int registry_create(ApiServer *s, const ApiResource *r, const char *ns, json_t *obj, bool dry_run,
                    CacheObj **ret, Error *err);
/* PUT of the main resource or of a subresource ("status"); obj is the full new object. */
int registry_update(ApiServer *s, const ApiResource *r, const char *ns, const char *name, const char *sub,
                    json_t *obj, bool dry_run, CacheObj **ret, Error *err);
/* PATCH with content type ctype ("application/merge-patch+json"...). The patched object is checked against
 * the kind's schema with mode (fieldValidation); unknown fields found under Warn are returned in
 * *ret_unknown (may be NULL). */
int registry_patch(ApiServer *s, const ApiResource *r, const char *ns, const char *name, const char *sub,
                   const char *ctype, json_t *patch, SchemaCheckMode mode, char ***ret_unknown, bool dry_run,
                   CacheObj **ret, Error *err);
/* DELETE with DeleteOptions (may be NULL). *ret = the object as returned to the client: the last state
 * when it is gone (*ret_gone = true), or the object marked for deletion. */
int registry_delete(ApiServer *s, const ApiResource *r, const char *ns, const char *name, json_t *options,
                    bool dry_run, CacheObj **ret, bool *ret_gone, Error *err);
/* Creates the built-in namespaces and the kubernetes Service if missing. */
int registry_bootstrap(ApiServer *s, Error *err);
/* One pass of the namespace finalizer: empties terminating namespaces and removes them when empty. */
void registry_finalize_namespaces(ApiServer *s);

/* ---- status.c ---- */

/* Builds a Status object for an error about an object of resource r named name (both may be NULL). */
json_t *status_from_error(const Error *e, const ApiResource *r, const char *name);
/* Fills a 422 Invalid error from the causes already added to e: message "<Kind> \"<name>\" is invalid:
 * ...". Returns -EINVAL. */
int status_invalid(Error *e, const ApiResource *r, const char *name);
/* NotFound / AlreadyExists / Conflict in Kubernetes' words. */
int status_not_found(Error *e, const ApiResource *r, const char *name);
int status_already_exists(Error *e, const ApiResource *r, const char *name);
int status_conflict(Error *e, const ApiResource *r, const char *name, const char *why);

/* ---- discovery.c ---- */

/* Answers /version, /api, /apis, /api/v1, /apis/G/V, /openapi/... ; returns false if path is not one. */
bool discovery_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp);

/* ---- metrics.c (metrics.k8s.io; see metrics.h) ---- */

int metrics_start(ApiServer *s, Error *err);
void metrics_stop(ApiServer *s);
/* Answers /apis/metrics.k8s.io/...; false if path is not under it. */
bool metrics_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp);
/* The group's entry in /apis (APIGroup) and in aggregated discovery (APIGroupDiscovery). New objects. */
json_t *metrics_group_entry(void);
json_t *metrics_aggregated_group(void);

/* ---- resources.c ---- */

/* Answers /api/v1/... and /apis/G/V/... resource requests. */
void resources_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp);
/* True when the Accept header asks for a meta.k8s.io Table (kubectl get). */
bool resources_wants_table(HttpRequest *req);

/* ---- defaults.c ---- */

/* Kind-specific preparation of a new object before it is stored (defaults, allocations, status reset). */
int defaults_on_create(ApiServer *s, const ApiResource *r, json_t *obj, Error *err);
/* Kind-specific preparation of an updated object (immutable fields, status/spec separation). */
int defaults_on_update(ApiServer *s, const ApiResource *r, json_t *obj, json_t *old, const char *sub,
                       Error *err);
/* True if the kind tracks metadata.generation. */
bool defaults_has_generation(const ApiResource *r);
