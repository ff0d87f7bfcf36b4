/* Server-side apply on top of the registry: the applied configuration is merged into the live object
 * with the rules of apply-merge.c, conflicts with other field managers are refused (or, with force, their
 * ownership is taken), and metadata.managedFields records who owns what. The merged object is then
 * written through registry_create / registry_update like any client's object, so defaulting, validation
 * and generation bumps apply unchanged; the update carries the live resourceVersion as a precondition
 * and the whole apply is retried when another writer got in between. */
#include "apiserver/apply.h"

#include <errno.h>

#include "api/apply-merge.h"
#include "api/convert.h"
#include "api/jsonutil.h"
#include "base/strv.h"

#define MANAGER_MAX 128

/* The request served by this thread (see apply.h). */
static _Thread_local struct {
  bool active;
  bool applying; /* apply writes its own managedFields; the registry hooks stand aside */
  char manager[MANAGER_MAX + 1];
  char sub[64];
} cur;

int apply_request_begin(HttpRequest *req, const char *sub) {
  const char *m = http_query(req, "fieldManager");
  size_t n = 0;
  if (isempty(m)) {
    m = http_header(req, "User-Agent");
    if (m)
      n = strcspn(m, "/");
  } else
    n = strlen(m);
  cur.active = true;
  cur.applying = false;
  n = MIN(n, (size_t)MANAGER_MAX);
  memcpy(cur.manager, m ? m : "", m ? n : 0);
  cur.manager[m ? n : 0] = 0;
  snprintf(cur.sub, sizeof cur.sub, "%s", sub ? sub : "");
  return 0;
}

void apply_request_end(void) {
  cur.active = false;
  cur.applying = false;
}

static bool has_status_sub(const ApiResource *r) {
  return api_subresource_find(r, "status") != NULL;
}

static const SchemaMessage *schema_of(const ApiResource *r) {
  return schema_for_kind(r->group, r->version, r->kind);
}

static json_t *new_entry(const char *manager, const char *op, const char *gv, const char *sub, json_t *set) {
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "manager", manager, "operation", op, "apiVersion", gv,
                        "time", ts, "fieldsType", "FieldsV1", "fieldsV1", set);
  if (!isempty(sub))
    json_object_set_new(e, "subresource", json_string(sub));
  return e;
}

/* Managers are told apart by name, operation and subresource, as Kubernetes does. */
static bool entry_is(json_t *e, const char *manager, const char *op, const char *sub) {
  return streq_ptr(jstr(e, "manager"), manager) && streq_ptr(jstr(e, "operation"), op) &&
         streq(jstr(e, "subresource") ? jstr(e, "subresource") : "", sub ? sub : "");
}

/* Prunes every entry's set to obj and drops the empty ones except keep (an index, or -1). */
static void prune_entries(json_t *entries, json_t *obj, ssize_t keep) {
  for (size_t i = json_array_size(entries); i-- > 0;) {
    json_t *e = json_array_get(entries, i);
    json_t *set = json_object_get(e, "fieldsV1");
    if (json_is_object(set))
      fieldset_prune(set, obj);
    if ((ssize_t)i != keep && (!json_is_object(set) || fieldset_is_empty(set)))
      json_array_remove(entries, i);
  }
}

static void set_managed(json_t *obj, json_t *entries) {
  json_t *meta = jobj(obj, "metadata");
  if (json_array_size(entries) > 0)
    json_object_set(meta, "managedFields", entries);
  else
    json_object_del(meta, "managedFields");
}

void apply_track_create(const ApiResource *r, json_t *obj) {
  if (!cur.active || cur.applying || isempty(cur.manager))
    return;
  bool status = streq(cur.sub, "status");
  _cleanup_json_ json_t *set = fieldset_from_object(schema_of(r), obj, has_status_sub(r) && !status);
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  _cleanup_json_ json_t *entries = json_array();
  if (!fieldset_is_empty(set))
    json_array_append_new(entries, new_entry(cur.manager, "Update", gv, cur.sub, set));
  set_managed(obj, entries);
}

void apply_track_update(const ApiResource *r, const char *sub, json_t *obj, json_t *old) {
  if (!cur.active)
    return;
  json_t *meta = jobj(obj, "metadata");
  json_t *old_mf = jpath(old, "metadata.managedFields");
  /* Kubernetes keeps the stored entries when an update leaves managedFields out (kubectl replace). */
  if (!json_object_get(meta, "managedFields") && old_mf)
    json_object_set(meta, "managedFields", old_mf);
  if (cur.applying || isempty(cur.manager))
    return;
  bool status = sub && streq(sub, "status");
  _cleanup_json_ json_t *changed = fieldset_changed(schema_of(r), old, obj, has_status_sub(r) && !status);
  json_t *mf = json_object_get(meta, "managedFields");
  _cleanup_json_ json_t *entries = json_is_array(mf) ? json_deep_copy(mf) : json_array();
  if (!fieldset_is_empty(changed)) {
    char gv[128];
    api_resource_group_version(r, gv, sizeof gv);
    json_t *mine = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
      json_t *set = json_object_get(e, "fieldsV1");
      if (entry_is(e, cur.manager, "Update", cur.sub))
        mine = e;
      else if (json_is_object(set))
        fieldset_subtract(set, changed);
    }
    if (mine) {
      _cleanup_json_ json_t *set = json_deep_copy(json_object_get(mine, "fieldsV1"));
      if (!json_is_object(set))
        json_decref(set), set = json_object();
      fieldset_union_into(set, changed);
      json_t *fresh = new_entry(cur.manager, "Update", gv, cur.sub, set);
      json_object_clear(mine);
      json_object_update(mine, fresh);
      json_decref(fresh);
    } else {
      json_array_append_new(entries, new_entry(cur.manager, "Update", gv, cur.sub, changed));
    }
  }
  prune_entries(entries, obj, -1);
  /* Untouched ownership leaves the object as it was, so a no-op update stays a no-op. */
  if (!json_equal(entries, mf ? mf : old_mf))
    set_managed(obj, entries);
}

/* ---- apply ---- */

typedef struct Conflicts {
  json_t **sets; /* per entry of managedFields, NULL when none */
  size_t n, total;
} Conflicts;

static void conflicts_done(Conflicts *c) {
  for (size_t i = 0; i < c->n; i++)
    json_decref(c->sets[i]);
  free(c->sets);
}

/* "Apply failed with 2 conflicts: conflicts with \"m\" using apps/v1:\n- .a\n- .b", as Kubernetes words it.
 */
static int conflict_error(json_t *entries, Conflicts *c, Error *err) {
  _cleanup_free_ char *msg =
      xasprintf("Apply failed with %zu conflict%s: ", c->total, c->total == 1 ? "" : "s");
  bool first = true;
  for (size_t i = 0; i < c->n; i++) {
    if (!c->sets[i])
      continue;
    json_t *e = json_array_get(entries, i);
    _cleanup_strv_free_ char **paths = fieldset_paths(c->sets[i]);
    size_t np = strv_length(paths);
    const char *sub = jstr(e, "subresource");
    _cleanup_free_ char *who =
        xasprintf("\"%s\"%s%s%s using %s", jstr(e, "manager") ? jstr(e, "manager") : "",
                  sub ? " with subresource \"" : "", sub ? sub : "", sub ? "\"" : "",
                  jstr(e, "apiVersion") ? jstr(e, "apiVersion") : "");
    char *next;
    if (np == 1)
      next = xasprintf("%s%sconflict with %s: %s", msg, first ? "" : "\n", who, paths[0]);
    else {
      next = xasprintf("%s%sconflicts with %s:", msg, first ? "" : "\n", who);
      for (size_t k = 0; k < np; k++) {
        char *more = xasprintf("%s\n- %s", next, paths[k]);
        free(next);
        next = more;
      }
    }
    free(msg);
    msg = next;
    first = false;
    for (size_t k = 0; k < np; k++)
      error_add_cause(err, "FieldManagerConflict", paths[k], "conflict with %s", who);
  }
  return error_setk(err, -ECANCELED, 409, "Conflict", "%s", msg);
}

static int decode_apply_body(HttpRequest *req, json_t **ret, Error *err) {
  if (req->body_len == 0)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the request body is empty");
  size_t i = 0;
  while (i < req->body_len && strchr(" \t\r\n", req->body[i]))
    i++;
  /* kubectl sends JSON under the YAML media type; JSON's own decoder gives the better error messages. */
  int rc = i < req->body_len && req->body[i] == '{' ? json_decode_body(req->body, req->body_len, ret, err)
                                                    : yaml_decode_body(req->body, req->body_len, ret, err);
  if (rc < 0)
    return rc;
  if (!json_is_object(*ret)) {
    json_decref(*ret);
    *ret = NULL;
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the apply configuration is not an object");
  }
  return 0;
}

/* One attempt on an existing object; -EAGAIN asks the caller to start over. */
static int apply_existing(ApiServer *s, const ApiResource *r, const char *ns, const char *name, json_t *cfg,
                          json_t *applied, CacheObj *live, bool force, bool dry_run, const char *manager,
                          CacheObj **ret, Error *err) {
  const SchemaMessage *m = schema_of(r);
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  _cleanup_json_ json_t *current = convert_from_storage(r, live->obj);
  json_t *mf = jpath(current, "metadata.managedFields");
  _cleanup_json_ json_t *entries = json_is_array(mf) ? json_deep_copy(mf) : json_array();
  ssize_t mine = -1;
  size_t i;
  json_t *e;
  json_array_foreach(entries, i, e) if (entry_is(e, manager, "Apply", NULL)) mine = (ssize_t)i;

  Conflicts c = {.sets = xcalloc(json_array_size(entries) + 1, sizeof(json_t *)),
                 .n = json_array_size(entries)};
  json_array_foreach(entries, i, e) {
    json_t *set = json_object_get(e, "fieldsV1");
    if ((ssize_t)i == mine || !json_is_object(set))
      continue;
    json_t *cs = apply_conflicts(applied, cfg, current, set);
    if (fieldset_is_empty(cs)) {
      json_decref(cs);
      continue;
    }
    _cleanup_strv_free_ char **paths = fieldset_paths(cs);
    c.total += strv_length(paths);
    c.sets[i] = cs;
  }
  if (c.total > 0 && !force) {
    int rc = conflict_error(entries, &c, err);
    conflicts_done(&c);
    return rc;
  }
  /* With force the conflicting fields change hands; shared fields with equal values stay co-owned. */
  _cleanup_json_ json_t *others = json_object();
  json_array_foreach(entries, i, e) {
    json_t *set = json_object_get(e, "fieldsV1");
    if ((ssize_t)i == mine || !json_is_object(set))
      continue;
    if (c.sets[i])
      fieldset_subtract(set, c.sets[i]);
    fieldset_union_into(others, set);
  }
  conflicts_done(&c);

  json_t *prev = mine >= 0 ? json_object_get(json_array_get(entries, (size_t)mine), "fieldsV1") : NULL;
  _cleanup_json_ json_t *merged = apply_merge(m, current, cfg, prev, others);
  if (mine >= 0) {
    json_t *old = json_array_get(entries, (size_t)mine);
    /* An unchanged re-apply keeps its time, so that it writes nothing. */
    if (!json_equal(json_object_get(old, "fieldsV1"), applied) || !streq_ptr(jstr(old, "apiVersion"), gv))
      json_array_set_new(entries, (size_t)mine, new_entry(manager, "Apply", gv, NULL, applied));
  } else {
    json_array_append_new(entries, new_entry(manager, "Apply", gv, NULL, applied));
    mine = (ssize_t)json_array_size(entries) - 1;
  }
  prune_entries(entries, merged, mine);
  set_managed(merged, entries);
  char rv[24];
  snprintf(rv, sizeof rv, "%lld", (long long)live->mod_rev);
  json_object_set_new(jobj(merged, "metadata"), "resourceVersion", json_string(rv));

  Error uerr = ERROR_INIT;
  cur.applying = true;
  int rc = registry_update(s, r, ns, name, NULL, merged, dry_run, ret, &uerr);
  cur.applying = false;
  if (rc == -ECANCELED && uerr.message && strstr(uerr.message, "the object has been modified")) {
    error_reset(&uerr);
    return -EAGAIN;
  }
  if (rc < 0) {
    if (err)
      *err = uerr;
    else
      error_reset(&uerr);
  }
  return rc;
}

int apply_patch(ApiServer *s, HttpRequest *req, const ApiResource *r, const char *ns, const char *name,
                const char *sub, SchemaCheckMode mode, bool dry_run, CacheObj **ret, int *ret_status,
                char ***ret_unknown, Error *err) {
  const char *manager = http_query(req, "fieldManager");
  if (isempty(manager)) {
    error_setk(err, -EINVAL, 422, "Invalid",
               "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for "
               "apply patch");
    error_add_cause(err, "FieldValueRequired", "fieldManager", "Required value: is required for apply patch");
    return -EINVAL;
  }
  if (strlen(manager) > MANAGER_MAX) {
    error_setk(err, -EINVAL, 422, "Invalid",
               "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 "
               "bytes");
    error_add_cause(err, "FieldValueTooLong", "fieldManager", "Too long: may not be more than 128 bytes");
    return -EINVAL;
  }
  if (sub)
    return error_setk(err, -EPROTONOSUPPORT, 415, "UnsupportedMediaType",
                      "server-side apply of the %s subresource is not supported by coracle", sub);
  const char *f = http_query(req, "force");
  bool force = f && streq(f, "true");
  if (f && !isempty(f) && !streq(f, "true") && !streq(f, "false"))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid value for force: %s", f);

  _cleanup_json_ json_t *cfg = NULL;
  int rc = decode_apply_body(req, &cfg, err);
  if (rc < 0)
    return rc;
  const SchemaMessage *m = schema_of(r);
  if (m && (rc = schema_check(m, cfg, mode, ret_unknown, err)) < 0)
    return rc;
  json_t *meta = jobj(cfg, "metadata");
  const char *bname = jstr(meta, "name");
  if (!isempty(bname) && !streq(bname, name))
    return error_setk(err, -EBADMSG, 400, "BadRequest",
                      "the name of the object (%s) does not match the name on the URL (%s)", bname, name);
  json_object_set_new(meta, "name", json_string(name));
  /* Ownership is the server's business: a managedFields in the configuration is not taken. */
  json_object_del(meta, "managedFields");
  _cleanup_free_ char *want_rv =
      jstr(meta, "resourceVersion") ? xstrdup(jstr(meta, "resourceVersion")) : NULL;
  json_object_del(meta, "resourceVersion");
  _cleanup_json_ json_t *applied = fieldset_from_object(m, cfg, has_status_sub(r));

  _cleanup_free_ char *key = registry_key(r, ns, name);
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  for (int attempt = 0;; attempt++) {
    _cleanup_cache_obj_ CacheObj *live = watch_cache_get(s->cache, key);
    if (!live) {
      if (!isempty(want_rv))
        return status_not_found(err, r, name);
      _cleanup_json_ json_t *obj = json_deep_copy(cfg);
      _cleanup_json_ json_t *entries = json_array();
      json_array_append_new(entries, new_entry(manager, "Apply", gv, NULL, applied));
      set_managed(obj, entries);
      Error cerr = ERROR_INIT;
      cur.applying = true;
      rc = registry_create(s, r, ns, obj, dry_run, ret, &cerr);
      cur.applying = false;
      if (rc == -EEXIST && attempt < 8) {
        error_reset(&cerr);
        continue;
      }
      if (rc < 0) {
        if (err)
          *err = cerr;
        else
          error_reset(&cerr);
        return rc;
      }
      *ret_status = 201;
      return 0;
    }
    if (!isempty(want_rv) && strtoll(want_rv, NULL, 10) != live->mod_rev)
      return status_conflict(
          err, r, name,
          "the object has been modified; please apply your changes to the latest version and try again");
    rc = apply_existing(s, r, ns, name, cfg, applied, live, force, dry_run, manager, ret, err);
    if (rc == -EAGAIN && attempt < 8)
      continue;
    if (rc == -EAGAIN)
      return status_conflict(
          err, r, name,
          "the object has been modified; please apply your changes to the latest version and try again");
    if (rc < 0)
      return rc;
    *ret_status = 200;
    return 0;
  }
}
