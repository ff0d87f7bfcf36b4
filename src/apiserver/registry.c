/* The object registry: Kubernetes' generic store semantics on top of the revisioned store and its watch
 * cache. It owns the metadata rules — names and generateName, namespace existence and termination, uid,
 * creationTimestamp, resourceVersion preconditions, generation bumps on spec changes, status/spec
 * separation of subresources, finalizers and deletionTimestamp, graceful deletion — and leaves kind-specific
 * defaulting to defaults.c. Reads come from the watch cache; writes are compare-and-swap on the store with
 * the revision read from the cache, retried for patches (GuaranteedUpdate-style). */
#include <errno.h>

#include "api/convert.h"
#include "api/jsonutil.h"
#include "api/patch.h"
#include "api/validate.h"
#include "apiserver/apiserver-internal.h"
#include "apiserver/apply.h"
#include "base/log.h"
#include "base/strv.h"

char *registry_key(const ApiResource *r, const char *ns, const char *name) {
  char p[256];
  api_resource_storage_prefix(r, p, sizeof p);
  if (r->namespaced)
    return xasprintf("%s%s/%s", p, ns ? ns : "", name);
  return xasprintf("%s%s", p, name);
}

char *registry_prefix(const ApiResource *r, const char *ns) {
  char p[256];
  api_resource_storage_prefix(r, p, sizeof p);
  if (r->namespaced && !isempty(ns))
    return xasprintf("%s%s/", p, ns);
  return xstrdup(p);
}

static const ApiResource *ns_resource(void) {
  return api_resource_find("", "v1", "namespaces");
}

int registry_get(ApiServer *s, const ApiResource *r, const char *ns, const char *name, CacheObj **ret,
                 Error *err) {
  _cleanup_free_ char *key = registry_key(r, ns, name);
  CacheObj *o = watch_cache_get(s->cache, key);
  if (!o)
    return status_not_found(err, r, name);
  *ret = o;
  return 0;
}

/* ---- names ---- */

/* DNS-1035 label: a DNS-1123 label that starts with a letter (Service names). */
static bool is_dns1035_label(const char *s) {
  return validate_dns1123_label(s) && s[0] >= 'a' && s[0] <= 'z';
}

/* Validates metadata.name the way each kind's strategy does; adds a cause and returns false if invalid. */
static bool validate_name(const ApiResource *r, const char *name, Error *err) {
  if (streq(r->group, "rbac.authorization.k8s.io")) {
    if (streq(name, ".") || streq(name, "..") || strpbrk(name, "/%")) {
      error_add_cause(err, "FieldValueInvalid", "metadata.name",
                      "Invalid value: \"%s\": may not contain '/' or '%%' and may not be '.' or '..'", name);
      return false;
    }
    return true;
  }
  if (streq(r->resource, "namespaces")) {
    if (!validate_dns1123_label(name)) {
      error_add_cause(
          err, "FieldValueInvalid", "metadata.name",
          "Invalid value: \"%s\": a lowercase RFC 1123 label must consist of lower case "
          "alphanumeric characters or '-', and must start and end with an alphanumeric character "
          "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
          name);
      return false;
    }
    return true;
  }
  if (streq(r->resource, "services") && r->group[0] == 0) {
    if (!is_dns1035_label(name)) {
      error_add_cause(err, "FieldValueInvalid", "metadata.name",
                      "Invalid value: \"%s\": a DNS-1035 label must consist of lower case alphanumeric "
                      "characters or '-', start with an alphabetic character, and end with an alphanumeric "
                      "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                      "'[a-z]([-a-z0-9]*[a-z0-9])?')",
                      name);
      return false;
    }
    return true;
  }
  if (!validate_dns1123_subdomain(name)) {
    error_add_cause(
        err, "FieldValueInvalid", "metadata.name",
        "Invalid value: \"%s\": a lowercase RFC 1123 subdomain must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
        "(e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        name);
    return false;
  }
  return true;
}

static char *generate_name(const char *base) {
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  uint8_t rnd[5];
  random_bytes(rnd, sizeof rnd);
  char suffix[6];
  for (size_t i = 0; i < 5; i++)
    suffix[i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
  suffix[5] = 0;
  /* Kubernetes truncates the base so that the result stays a valid 63-character name. */
  size_t n = MIN(strlen(base), (size_t)58);
  return xasprintf("%.*s%s", (int)n, base, suffix);
}

/* ---- shared checks ---- */

/* Checks apiVersion/kind of a body against the URL's resource, filling them in when missing. */
static int check_type_meta(const ApiResource *r, json_t *obj, Error *err) {
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  const char *av = jstr(obj, "apiVersion"), *kind = jstr(obj, "kind");
  if (av && !isempty(av) && !streq(av, gv)) {
    /* Other served versions of the same group and kind are accepted (autoscaling/v1 vs v2). */
    const char *slash = strchr(av, '/');
    bool same_group =
        slash ? (strlen(r->group) == (size_t)(slash - av) && !strncmp(av, r->group, strlen(r->group)))
              : r->group[0] == 0;
    if (!same_group || !api_resource_find(r->group, slash ? slash + 1 : av, r->resource))
      return error_setk(err, -EBADMSG, 400, "BadRequest",
                        "the API version in the data (%s) does not match the expected API version (%s)", av,
                        gv);
  }
  if (kind && !isempty(kind) && !streq(kind, r->kind))
    return error_setk(err, -EBADMSG, 400, "BadRequest",
                      "the kind in the data (%s) does not match the expected kind (%s)", kind, r->kind);
  json_object_set_new(obj, "apiVersion", json_string(gv));
  json_object_set_new(obj, "kind", json_string(r->kind));
  return 0;
}

static int check_namespace(ApiServer *s, const ApiResource *r, const char *ns, json_t *obj, bool creating,
                           Error *err) {
  json_t *meta = jobj(obj, "metadata");
  const char *body_ns = jstr(meta, "namespace");
  if (!r->namespaced) {
    json_object_del(meta, "namespace");
    return 0;
  }
  if (body_ns && !isempty(body_ns) && !streq(body_ns, ns))
    return error_setk(
        err, -EBADMSG, 400, "BadRequest",
        "the namespace of the provided object does not match the namespace sent on the request");
  json_object_set_new(meta, "namespace", json_string(ns));
  if (!creating)
    return 0;
  _cleanup_free_ char *nskey = registry_key(ns_resource(), NULL, ns);
  _cleanup_cache_obj_ CacheObj *nso = watch_cache_get(s->cache, nskey);
  if (!nso)
    return status_not_found(err, ns_resource(), ns);
  if (jpath(nso->obj, "metadata.deletionTimestamp"))
    return error_setk(
        err, -EACCES, 403, "Forbidden",
        "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being "
        "terminated",
        r->resource, jstr(obj, "metadata.name") ? jstr(obj, "metadata.name") : "", ns);
  return 0;
}

static void set_now(json_t *meta, const char *field) {
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  json_object_set_new(meta, field, json_string(ts));
}

/* For a write whose obj is offered to the watch cache: the revision is the store's to set, so obj loses its
 * resourceVersion for good and the cache splices the new one into value instead of serialising obj again. */
static char *encode_offered(json_t *obj) {
  json_object_del(jobj(obj, "metadata"), "resourceVersion");
  return json_compact(obj);
}

/* Objects are stored without resourceVersion (the store's revision is the truth). */
static char *encode_for_store(json_t *obj) {
  json_t *meta = jpath(obj, "metadata");
  json_t *rv = json_object_get(meta, "resourceVersion");
  if (rv)
    json_incref(rv), json_object_del(meta, "resourceVersion");
  char *s = json_compact(obj);
  if (rv)
    json_object_set_new(meta, "resourceVersion", rv);
  return s;
}

static CacheObj *dry_run_obj(const char *key, json_t *obj, int64_t rev) {
  _cleanup_free_ char *text = encode_for_store(obj);
  return cache_obj_new(key, text, strlen(text), rev, rev);
}

/* Waits until the watch cache has applied rev (the commit hook runs before the store call returns, so this
 * is immediate) and returns the published object. */
static int fetch_written(ApiServer *s, const char *key, CacheObj **ret, Error *err) {
  CacheObj *o = watch_cache_get(s->cache, key);
  if (!o)
    return error_set(err, -EIO, NULL, "object %s vanished right after it was written", key);
  *ret = o;
  return 0;
}

/* ---- create ---- */

static int create_stored(ApiServer *s, const ApiResource *r, const char *ns, json_t *obj, bool dry_run,
                         CacheObj **ret, Error *err);

int registry_create(ApiServer *s, const ApiResource *r, const char *ns, json_t *obj, bool dry_run,
                    CacheObj **ret, Error *err) {
  int rc;
  if (!json_is_object(obj))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the body of the request was not a JSON object");
  if ((rc = check_type_meta(r, obj, err)) < 0)
    return rc;
  _cleanup_json_ json_t *stored = NULL;
  if ((rc = convert_to_storage(r, obj, &stored, err)) < 0)
    return rc;
  return create_stored(s, api_resource_storage(r), ns, stored, dry_run, ret, err);
}

/* Creates obj, already in r's storage version. */
static int create_stored(ApiServer *s, const ApiResource *r, const char *ns, json_t *obj, bool dry_run,
                         CacheObj **ret, Error *err) {
  int rc;
  json_t *meta = jobj(obj, "metadata");
  const char *name = jstr(meta, "name");
  _cleanup_free_ char *gen = NULL;
  if (isempty(name)) {
    const char *base = jstr(meta, "generateName");
    if (isempty(base)) {
      error_add_cause(err, "FieldValueRequired", "metadata.name",
                      "Required value: name or generateName is required");
      return status_invalid(err, r, "");
    }
    gen = generate_name(base);
    json_object_set_new(meta, "name", json_string(gen));
    name = gen;
  }
  _cleanup_free_ char *name_copy = xstrdup(name);
  if (!validate_name(r, name_copy, err))
    return status_invalid(err, r, name_copy);
  if ((rc = check_namespace(s, r, ns, obj, true, err)) < 0)
    return rc;

  char uid[37];
  uuid4(uid);
  json_object_set_new(meta, "uid", json_string(uid));
  set_now(meta, "creationTimestamp");
  json_object_del(meta, "resourceVersion");
  json_object_del(meta, "deletionTimestamp");
  json_object_del(meta, "deletionGracePeriodSeconds");
  json_object_del(meta, "selfLink");
  if (defaults_has_generation(r))
    json_object_set_new(meta, "generation", json_integer(1));
  else
    json_object_del(meta, "generation");

  bool alloc = streq(r->resource, "services") && r->group[0] == 0;
  if (alloc)
    pthread_mutex_lock(&s->alloc_lock);
  rc = defaults_on_create(s, r, obj, err);
  if (rc < 0) {
    if (alloc)
      pthread_mutex_unlock(&s->alloc_lock);
    if (rc == -EINVAL && err && err->n_causes && !err->reason)
      return status_invalid(err, r, name_copy);
    return rc;
  }
  if (validate_object(r->group, r->kind, obj, err) < 0) {
    if (alloc)
      pthread_mutex_unlock(&s->alloc_lock);
    return status_invalid(err, r, name_copy);
  }
  apply_track_create(r, obj);
  _cleanup_free_ char *key = registry_key(r, ns, name_copy);
  if (dry_run) {
    if (alloc)
      pthread_mutex_unlock(&s->alloc_lock);
    _cleanup_cache_obj_ CacheObj *existing = watch_cache_get(s->cache, key);
    if (existing)
      return status_already_exists(err, r, name_copy);
    *ret = dry_run_obj(key, obj, watch_cache_revision(s->cache));
    return 0;
  }
  _cleanup_free_ char *text = encode_offered(obj);
  Error serr = ERROR_INIT;
  watch_cache_offer(s->cache, text, obj);
  rc = store_create(s->store, key, text, strlen(text), NULL, &serr);
  watch_cache_withdraw(s->cache, text);
  if (alloc)
    pthread_mutex_unlock(&s->alloc_lock);
  if (rc == -EEXIST) {
    error_reset(&serr);
    return status_already_exists(err, r, name_copy);
  }
  if (rc < 0) {
    log_error("registry", "create key=%s: %s", key, serr.message ? serr.message : "");
    rc = error_setk(err, rc, 500, "InternalError", "storage error: %s", serr.message ? serr.message : "");
    error_reset(&serr);
    return rc;
  }
  return fetch_written(s, key, ret, err);
}

/* ---- update ---- */

static bool has_status_subresource(const ApiResource *r) {
  return api_subresource_find(r, "status") != NULL;
}

/* Builds the object to store from the client's new object and the current one. */
static int prepare_update(ApiServer *s, const ApiResource *r, const char *sub, json_t *obj, json_t *old,
                          const char *name, Error *err) {
  int rc;
  if ((rc = check_type_meta(r, obj, err)) < 0)
    return rc;
  json_t *meta = jobj(obj, "metadata"), *ometa = jpath(old, "metadata");
  const char *bname = jstr(meta, "name");
  if (bname && !streq(bname, name))
    return error_setk(err, -EBADMSG, 400, "BadRequest",
                      "the name of the object (%s) does not match the name on the URL (%s)", bname, name);
  json_object_set_new(meta, "name", json_string(name));
  const char *uid = jstr(meta, "uid"), *ouid = jstr(ometa, "uid");
  if (!isempty(uid) && ouid && !streq(uid, ouid))
    return error_setk(
        err, -ECANCELED, 409, "Conflict",
        "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: %s, "
        "UID in object meta: %s",
        r->resource, name, uid, ouid);
  /* Fields the client cannot change. */
  static const char *const kept[] = {
      "uid",        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
      "generation", "namespace"};
  for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
    json_t *v = json_object_get(ometa, kept[i]);
    if (v)
      json_object_set(meta, kept[i], v);
    else
      json_object_del(meta, kept[i]);
  }
  if (sub && streq(sub, "status")) {
    /* The status subresource changes status only (and nothing of metadata but what Kubernetes allows). */
    json_t *st = json_object_get(obj, "status");
    json_t *copy = json_deep_copy(old);
    if (st)
      json_object_set(copy, "status", st);
    else
      json_object_del(copy, "status");
    json_object_clear(obj);
    json_object_update(obj, copy);
    json_decref(copy);
  } else if (has_status_subresource(r)) {
    json_t *ost = json_object_get(old, "status");
    if (ost)
      json_object_set(obj, "status", ost);
    else
      json_object_del(obj, "status");
  }
  if ((rc = defaults_on_update(s, r, obj, old, sub, err)) < 0) {
    if (rc == -EINVAL && err && err->n_causes && !err->reason)
      return status_invalid(err, r, name);
    return rc;
  }
  if (!(sub && streq(sub, "status"))) {
    int v1 = validate_object(r->group, r->kind, obj, err);
    int v2 = validate_update(r->group, r->kind, obj, old, err);
    if (v1 < 0 || v2 < 0)
      return status_invalid(err, r, name);
  }
  if (defaults_has_generation(r) && !(sub && streq(sub, "status"))) {
    int64_t g = jint(old, "metadata.generation", 1);
    if (!json_equal(json_object_get(obj, "spec"), json_object_get(old, "spec")))
      g++;
    json_object_set_new(jobj(obj, "metadata"), "generation", json_integer(g));
  }
  apply_track_update(r, sub, obj, old);
  return 0;
}

/* True once a terminating object has no finalizers left: the update that removes the last one deletes it. */
static bool ready_to_vanish(json_t *obj) {
  if (!jpath(obj, "metadata.deletionTimestamp"))
    return false;
  /* A gracefully deleted pod waits for its node agent, which deletes it with grace 0 (Kubernetes' rule). */
  if (jint(obj, "metadata.deletionGracePeriodSeconds", 0) > 0)
    return false;
  json_t *f = jpath(obj, "metadata.finalizers");
  return !json_is_array(f) || json_array_size(f) == 0;
}

/* Stores obj as the new version of old (CAS on old's revision). */
static int write_update(ApiServer *s, const ApiResource *r, const char *key, const char *name, json_t *obj,
                        CacheObj *old, bool dry_run, CacheObj **ret, Error *err) {
  if (dry_run) {
    *ret = dry_run_obj(key, obj, old->mod_rev);
    return 0;
  }
  if (json_equal(obj, old->obj)) {
    /* Kubernetes does not write (nor bump resourceVersion) for a no-op update. */
    *ret = cache_obj_ref(old);
    return 0;
  }
  _cleanup_free_ char *text = encode_offered(obj);
  Error serr = ERROR_INIT;
  int rc;
  if (ready_to_vanish(obj) && !streq(r->resource, "namespaces")) {
    rc = store_delete(s->store, key, old->mod_rev, NULL, &serr);
    if (rc >= 0) {
      *ret = dry_run_obj(key, obj, watch_cache_revision(s->cache));
      return 0;
    }
  } else {
    watch_cache_offer(s->cache, text, obj);
    rc = store_update(s->store, key, text, strlen(text), old->mod_rev, NULL, &serr);
    watch_cache_withdraw(s->cache, text);
  }
  if (rc == -ECANCELED) {
    error_reset(&serr);
    return status_conflict(
        err, r, name,
        "the object has been modified; please apply your changes to the latest version and try again");
  }
  if (rc == -ENOENT) {
    error_reset(&serr);
    return status_not_found(err, r, name);
  }
  if (rc < 0) {
    rc = error_setk(err, rc, 500, "InternalError", "storage error: %s", serr.message ? serr.message : "");
    error_reset(&serr);
    return rc;
  }
  return fetch_written(s, key, ret, err);
}

int registry_update(ApiServer *s, const ApiResource *r, const char *ns, const char *name, const char *sub,
                    json_t *body, bool dry_run, CacheObj **ret, Error *err) {
  if (!json_is_object(body))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the body of the request was not a JSON object");
  int rc;
  if ((rc = check_type_meta(r, body, err)) < 0)
    return rc;
  _cleanup_json_ json_t *obj = NULL;
  if ((rc = convert_to_storage(r, body, &obj, err)) < 0)
    return rc;
  r = api_resource_storage(r);
  if ((rc = check_namespace(s, r, ns, obj, false, err)) < 0)
    return rc;
  _cleanup_free_ char *key = registry_key(r, ns, name);
  _cleanup_cache_obj_ CacheObj *old = watch_cache_get(s->cache, key);
  if (!old)
    return status_not_found(err, r, name);
  const char *rv = jstr(obj, "metadata.resourceVersion");
  if (!isempty(rv)) {
    char *end;
    long long want = strtoll(rv, &end, 10);
    if (*end)
      return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid resourceVersion \"%s\"", rv);
    if (want != old->mod_rev)
      return status_conflict(
          err, r, name,
          "the object has been modified; please apply your changes to the latest version and try again");
  }
  if ((rc = prepare_update(s, r, sub, obj, old->obj, name, err)) < 0)
    return rc;
  return write_update(s, r, key, name, obj, old, dry_run, ret, err);
}

/* ---- patch ---- */

int registry_patch(ApiServer *s, const ApiResource *r, const char *ns, const char *name, const char *sub,
                   const char *ctype, json_t *patch, SchemaCheckMode mode, char ***ret_unknown, bool dry_run,
                   CacheObj **ret, Error *err) {
  _cleanup_free_ char *key = registry_key(r, ns, name);
  for (int attempt = 0;; attempt++) {
    _cleanup_cache_obj_ CacheObj *old = watch_cache_get(s->cache, key);
    if (!old)
      return status_not_found(err, r, name);
    /* Patches apply to the object in the version the client speaks. */
    _cleanup_json_ json_t *current = convert_from_storage(r, old->obj);
    _cleanup_json_ json_t *result = NULL, *patched = NULL;
    int rc;
    if (startswith(ctype, "application/merge-patch+json"))
      rc = patch_merge(current, patch, &result, err);
    else if (startswith(ctype, "application/json-patch+json"))
      rc = patch_json(current, patch, &result, err);
    else if (startswith(ctype, "application/strategic-merge-patch+json"))
      rc = patch_strategic(current, patch, r->group, r->kind, &result, err);
    else
      return error_setk(err, -EPROTONOSUPPORT, 415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: "
                        "application/json-patch+json, application/merge-patch+json, "
                        "application/strategic-merge-patch+json");
    if (rc < 0) {
      if (err && !err->http && rc == -EINVAL)
        err->http = 422;
      return rc;
    }
    if (!json_is_object(result))
      return error_setk(err, -EBADMSG, 400, "BadRequest", "the patched object is not a JSON object");
    const SchemaMessage *schema = schema_for_kind(r->group, r->version, r->kind);
    if (schema) {
      char **unknown = NULL;
      rc = schema_check_patched(schema, patch, result, mode, &unknown, err);
      if (rc < 0)
        return rc;
      if (ret_unknown && !*ret_unknown)
        *ret_unknown = unknown;
      else
        strv_free(unknown);
    }
    if ((rc = check_type_meta(r, result, err)) < 0 || (rc = convert_to_storage(r, result, &patched, err)) < 0)
      return rc;
    const ApiResource *sr = api_resource_storage(r);
    /* A resourceVersion in the patch is a precondition; otherwise the patch applies to the latest. */
    const char *prv = jstr(patch, "metadata.resourceVersion");
    bool conditional = json_is_object(patch) && !isempty(prv);
    if (conditional && strtoll(prv, NULL, 10) != old->mod_rev)
      return status_conflict(
          err, r, name,
          "the object has been modified; please apply your changes to the latest version and try again");
    if ((rc = check_namespace(s, sr, ns, patched, false, err)) < 0)
      return rc;
    if ((rc = prepare_update(s, sr, sub, patched, old->obj, name, err)) < 0)
      return rc;
    Error werr = ERROR_INIT;
    rc = write_update(s, sr, key, name, patched, old, dry_run, ret, &werr);
    if (rc == -ECANCELED && !conditional && attempt < 16) {
      error_reset(&werr);
      continue;
    }
    if (rc < 0) {
      if (err)
        *err = werr;
      else
        error_reset(&werr);
      return rc;
    }
    return 0;
  }
}

/* ---- delete ---- */

static int delete_option_int(json_t *options, const char *field, int64_t *ret) {
  json_t *v = json_object_get(options, field);
  if (!json_is_integer(v))
    return 0;
  *ret = json_integer_value(v);
  return 1;
}

int registry_delete(ApiServer *s, const ApiResource *r, const char *ns, const char *name, json_t *options,
                    bool dry_run, CacheObj **ret, bool *ret_gone, Error *err) {
  _cleanup_free_ char *key = registry_key(r, ns, name);
  bool is_ns = streq(r->resource, "namespaces") && r->group[0] == 0;
  if (is_ns && (streq(name, "default") || streq(name, "kube-system") || streq(name, "kube-public")))
    return error_setk(err, -EACCES, 403, "Forbidden",
                      "namespaces \"%s\" is forbidden: this namespace may not be deleted", name);
  for (int attempt = 0;; attempt++) {
    _cleanup_cache_obj_ CacheObj *old = watch_cache_get(s->cache, key);
    if (!old)
      return status_not_found(err, r, name);
    json_t *pre = json_object_get(options, "preconditions");
    const char *puid = jstr(pre, "uid"), *prv = jstr(pre, "resourceVersion");
    if (puid && !streq_ptr(puid, jstr(old->obj, "metadata.uid")))
      return status_conflict(err, r, name,
                             "Precondition failed: UID in precondition does not match the UID of the object");
    if (prv && strtoll(prv, NULL, 10) != old->mod_rev)
      return status_conflict(
          err, r, name, "Precondition failed: ResourceVersion in precondition does not match the object");

    const char *policy = jstr(options, "propagationPolicy");
    json_t *finalizers = jpath(old->obj, "metadata.finalizers");
    bool has_finalizers = json_is_array(finalizers) && json_array_size(finalizers) > 0;
    bool foreground = policy && streq(policy, "Foreground");
    /* Orphan (or the legacy orphanDependents: true): the garbage collector strips the dependents' owner
     * references, then removes this finalizer, which deletes the object. */
    bool orphan = !foreground && ((policy && streq(policy, "Orphan")) ||
                                  json_is_true(json_object_get(options, "orphanDependents")));
    int64_t grace = 0;
    bool graceful = false;
    if (streq(r->resource, "pods") && r->group[0] == 0 && !isempty(jstr(old->obj, "spec.nodeName"))) {
      /* A pod that runs on a node is stopped by its agent first; the agent deletes it with grace 0. */
      const char *phase = jstr(old->obj, "status.phase");
      grace = jint(old->obj, "spec.terminationGracePeriodSeconds", 30);
      delete_option_int(options, "gracePeriodSeconds", &grace);
      graceful = grace > 0 && !(phase && (streq(phase, "Succeeded") || streq(phase, "Failed")));
    }

    if (is_ns || has_finalizers || foreground || orphan || graceful) {
      if (jpath(old->obj, "metadata.deletionTimestamp")) {
        *ret = cache_obj_ref(old);
        *ret_gone = false;
        return 0;
      }
      _cleanup_json_ json_t *obj = json_deep_copy(old->obj);
      json_t *meta = jobj(obj, "metadata");
      char ts[32];
      format_rfc3339((int64_t)(now_realtime_usec() / 1000000u) + grace, ts);
      json_object_set_new(meta, "deletionTimestamp", json_string(ts));
      json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(grace));
      if (foreground || orphan) {
        json_t *f = json_object_get(meta, "finalizers");
        if (!json_is_array(f)) {
          f = json_array();
          json_object_set_new(meta, "finalizers", f);
        }
        json_array_append_new(f, json_string(foreground ? "foregroundDeletion" : "orphan"));
      }
      if (is_ns)
        jset(obj, "status.phase", json_string("Terminating"));
      Error werr = ERROR_INIT;
      int rc = write_update(s, r, key, name, obj, old, dry_run, ret, &werr);
      if (rc == -ECANCELED && attempt < 16) {
        error_reset(&werr);
        continue;
      }
      if (rc < 0) {
        if (err)
          *err = werr;
        else
          error_reset(&werr);
        return rc;
      }
      if (is_ns && !dry_run) {
        pthread_mutex_lock(&s->bg_lock);
        pthread_cond_signal(&s->bg_cond);
        pthread_mutex_unlock(&s->bg_lock);
      }
      *ret_gone = false;
      return 0;
    }
    if (dry_run) {
      *ret = cache_obj_ref(old);
      *ret_gone = true;
      return 0;
    }
    Error serr = ERROR_INIT;
    int rc = store_delete(s->store, key, old->mod_rev, NULL, &serr);
    if (rc == -ECANCELED && attempt < 16) {
      error_reset(&serr);
      continue;
    }
    if (rc == -ENOENT) {
      error_reset(&serr);
      return status_not_found(err, r, name);
    }
    if (rc < 0) {
      rc = error_setk(err, rc, 500, "InternalError", "storage error: %s", serr.message ? serr.message : "");
      error_reset(&serr);
      return rc;
    }
    *ret = cache_obj_ref(old);
    *ret_gone = true;
    return 0;
  }
}

/* ---- bootstrap and the namespace finalizer ---- */

static int ensure(ApiServer *s, const ApiResource *r, const char *ns, const char *json, Error *err) {
  _cleanup_json_ json_t *obj = json_loads(json, 0, NULL);
  const char *name = jstr(obj, "metadata.name");
  _cleanup_free_ char *key = registry_key(r, ns, name);
  _cleanup_cache_obj_ CacheObj *existing = watch_cache_get(s->cache, key);
  if (existing)
    return 0;
  _cleanup_cache_obj_ CacheObj *created = NULL;
  int rc = registry_create(s, r, ns, obj, false, &created, err);
  return rc == -EEXIST ? 0 : rc;
}

int registry_bootstrap(ApiServer *s, Error *err) {
  const ApiResource *nsr = ns_resource();
  static const char *const names[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
  for (size_t i = 0; i < ELEMENTSOF(names); i++) {
    _cleanup_free_ char *j =
        xasprintf("{\"metadata\":{\"name\":\"%s\",\"labels\":{\"kubernetes.io/metadata.name\":\"%s\"}}}",
                  names[i], names[i]);
    int rc = ensure(s, nsr, NULL, j, err);
    if (rc < 0)
      return rc;
  }
  /* The kubernetes Service takes the first address of the service CIDR. */
  uint32_t first = s->svc_net + 1;
  _cleanup_free_ char *svc =
      xasprintf("{\"metadata\":{\"name\":\"kubernetes\",\"labels\":{\"component\":\"apiserver\",\"provider\":"
                "\"kubernetes\"}},"
                "\"spec\":{\"clusterIP\":\"%u.%u.%u.%u\",\"ports\":[{\"name\":\"https\",\"port\":443,"
                "\"protocol\":\"TCP\","
                "\"targetPort\":%d}],\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"}}",
                first >> 24, (first >> 16) & 255, (first >> 8) & 255, first & 255, s->opts.https_port);
  int rc = ensure(s, api_resource_find("", "v1", "services"), "default", svc, err);
  if (rc < 0)
    return rc;
  /* The cluster DNS Service, without a selector: the clusterdns controller lists the Ready nodes, whose
   * agents serve DNS on port 53 (src/agent/dns). Not fatal: a --cluster-dns outside the service CIDR only
   * costs the Service. */
  const char *dns = s->opts.cluster_dns;
  if (!isempty(dns) && !strchr(dns, ',') && !strchr(dns, '"')) {
    _cleanup_free_ char *kd = xasprintf(
        "{\"metadata\":{\"name\":\"kube-dns\",\"labels\":{\"k8s-app\":\"kube-dns\",\"kubernetes.io/"
        "cluster-service\":\"true\",\"kubernetes.io/name\":\"CoreDNS\"}},\"spec\":{\"clusterIP\":\"%s\","
        "\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\",\"targetPort\":53},{\"name\":"
        "\"dns-tcp\",\"port\":53,\"protocol\":\"TCP\",\"targetPort\":53},{\"name\":\"metrics\",\"port\":9153,"
        "\"protocol\":\"TCP\",\"targetPort\":9153}],\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"}}",
        dns);
    _cleanup_error_ Error de = ERROR_INIT;
    if (ensure(s, api_resource_find("", "v1", "services"), "kube-system", kd, &de) < 0)
      log_warn("apiserver", "msg=\"cannot create the kube-dns Service\" clusterIP=%s err=\"%s\"", dns,
               de.message ? de.message : "");
  }
  return 0;
}

/* Deletes every namespaced object in ns; returns how many remain (0 = empty). */
static size_t empty_namespace(ApiServer *s, const char *ns) {
  size_t remaining = 0;
  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    if (!r->namespaced || !r->preferred || !api_resource_has_verb(r, "list"))
      continue;
    _cleanup_free_ char *prefix = registry_prefix(r, ns);
    CacheObj **objs;
    size_t n;
    int64_t rev;
    watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
    for (size_t k = 0; k < n; k++) {
      const char *name = jstr(objs[k]->obj, "metadata.name");
      _cleanup_cache_obj_ CacheObj *res = NULL;
      bool gone = false;
      _cleanup_error_ Error e = ERROR_INIT;
      _cleanup_json_ json_t *opts = json_pack("{s:s}", "propagationPolicy", "Background");
      if (!jpath(objs[k]->obj, "metadata.deletionTimestamp") &&
          registry_delete(s, r, ns, name, opts, false, &res, &gone, &e) < 0 && e.code != -ENOENT)
        log_warn("namespace", "deleting %s %s/%s: %s", r->resource, ns, name, e.message ? e.message : "");
      if (!gone)
        remaining++;
    }
    watch_cache_list_free(objs, n);
  }
  return remaining;
}

void registry_finalize_namespaces(ApiServer *s) {
  const ApiResource *nsr = ns_resource();
  _cleanup_free_ char *prefix = registry_prefix(nsr, NULL);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  for (size_t k = 0; k < n; k++) {
    json_t *o = objs[k]->obj;
    if (!jpath(o, "metadata.deletionTimestamp"))
      continue;
    const char *name = jstr(o, "metadata.name");
    if (empty_namespace(s, name) > 0)
      continue;
    /* Empty: drop our finalizer, then the object itself once no other finalizer holds it. */
    _cleanup_json_ json_t *patch = json_pack("{s:{s:[]}}", "spec", "finalizers");
    _cleanup_cache_obj_ CacheObj *res = NULL;
    _cleanup_error_ Error e = ERROR_INIT;
    if (json_array_size(jpath(o, "spec.finalizers")) > 0 &&
        registry_patch(s, nsr, NULL, name, NULL, "application/merge-patch+json", patch, SCHEMA_CHECK_IGNORE,
                       NULL, false, &res, &e) < 0) {
      log_warn("namespace", "finalizing %s: %s", name, e.message ? e.message : "");
      continue;
    }
    json_t *mf = jpath(o, "metadata.finalizers");
    if (json_is_array(mf) && json_array_size(mf) > 0)
      continue;
    _cleanup_free_ char *key = registry_key(nsr, NULL, name);
    _cleanup_cache_obj_ CacheObj *cur = watch_cache_get(s->cache, key);
    if (cur && store_delete(s->store, key, cur->mod_rev, NULL, NULL) >= 0)
      log_info("namespace", "namespace %s deleted", name);
  }
  watch_cache_list_free(objs, n);
}
