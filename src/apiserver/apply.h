/* Server-side apply (PATCH with application/apply-patch+yaml) and the managedFields bookkeeping of the
 * other write paths. The field manager of the request being served travels in a thread-local set by
 * resources_handle, so that the registry's create and update paths can record operation "Update" entries
 * without every caller passing it along; writes made outside a request (controllers in-process, the
 * namespace finalizer) record nothing. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* Marks the start of a request on this thread: the manager is ?fieldManager=, else the User-Agent up to
 * its first '/', as Kubernetes defaults it; sub is the URL's subresource (may be NULL). Returns 0; pair
 * with apply_request_end (or declare the result _cleanup_(apply_request_endp)). */
int apply_request_begin(HttpRequest *req, const char *sub);
void apply_request_end(void);
static inline void apply_request_endp(int *unused) {
  (void)unused;
  apply_request_end();
}

/* Called by the registry on the object about to be created / stored as the update of old (both in r's
 * storage version): records the request's manager as an "Update" entry owning the fields it set or
 * changed, takes those fields from the other managers and drops ownership of fields that are gone. An
 * update that does not carry metadata.managedFields keeps the stored ones. No-op outside a request and
 * during an apply. */
void apply_track_create(const ApiResource *r, json_t *obj);
void apply_track_update(const ApiResource *r, const char *sub, json_t *obj, json_t *old);

/* Serves an apply patch of r/ns/name (body in req, JSON or YAML) with the given fieldValidation mode and
 * dry run flag. On success *ret is the resulting object and *ret_status 201 (created) or 200; unknown
 * fields found under Warn go to *ret_unknown. Errors follow Kubernetes: 422 without fieldManager, 409
 * Conflict naming the conflicting managers and fields unless ?force=true, 400 for malformed bodies. */
int apply_patch(ApiServer *s, HttpRequest *req, const ApiResource *r, const char *ns, const char *name,
                const char *sub, SchemaCheckMode mode, bool dry_run, CacheObj **ret, int *ret_status,
                char ***ret_unknown, Error *err);
