/* REST handlers for resources: URL → (resource, namespace, name, subresource), then get / list / watch /
 * create / update / patch / delete / deletecollection, the scale subresource, body decoding (JSON, YAML,
 * protobuf) and answer encoding (objects, lists, Tables for `kubectl get`, watch streams, Status errors).
 * Reads come from the watch cache; lists page with continue tokens that carry the revision, so a
 * continued list is served from the store at that revision when the cache has moved on. */
#include <errno.h>
#include <poll.h>

#include "api/convert.h"
#include "api/jsonutil.h"
#include "api/patch.h"
#include "api/protobuf.h"
#include "api/selector.h"
#include "api/table.h"
#include "apiserver/apiserver-internal.h"
#include "apiserver/apply.h"
#include "apiserver/binding.h"
#include "apiserver/eviction.h"
#include "apiserver/podlog.h"
#include "base/base64.h"
#include "base/log.h"
#include "base/strv.h"

typedef struct Target {
  const ApiResource *res;
  const char *ns;   /* NULL for cluster-scoped or all namespaces */
  const char *name; /* NULL for collections */
  const char *sub;  /* subresource or NULL */
} Target;

static void respond_error(HttpResponse *resp, const Error *e, const ApiResource *r, const char *name) {
  http_respond_json(resp, error_http_status(e), status_from_error(e, r, name));
}

static void respond_errorf(HttpResponse *resp, int code, int http, const char *reason, const char *msg) {
  _cleanup_error_ Error e = ERROR_INIT;
  error_setk(&e, code, http, reason, "%s", msg);
  respond_error(resp, &e, NULL, NULL);
}

/* Parses the path after /api/v1 or /apis/G/V. */
static int parse_target(HttpRequest *req, Target *t, Error *err) {
  size_t i;
  const char *group, *version;
  if (streq(req->segv[0], "api")) {
    group = "";
    version = req->segv[1];
    i = 2;
  } else {
    if (req->segc < 3)
      return error_setk(err, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
    group = req->segv[1];
    version = req->segv[2];
    i = 3;
  }
  size_t left = req->segc - i;
  char **s = &req->segv[i];
  *t = (Target){0};
  if (left >= 3 && streq(s[0], "namespaces")) {
    const ApiResource *r = api_resource_find(group, version, s[2]);
    if (r && r->namespaced) {
      t->res = r;
      t->ns = s[1];
      t->name = left >= 4 ? s[3] : NULL;
      t->sub = left >= 5 ? s[4] : NULL;
      if (left > 5)
        return error_setk(err, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
      return 0;
    }
  }
  if (left >= 1) {
    const ApiResource *r = api_resource_find(group, version, s[0]);
    if (r) {
      t->res = r;
      t->name = left >= 2 ? s[1] : NULL;
      t->sub = left >= 3 ? s[2] : NULL;
      if (left > 3 || (r->namespaced && t->name))
        return error_setk(err, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
      return 0;
    }
  }
  return error_setk(err, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
}

bool resources_wants_table(HttpRequest *req) {
  const char *accept = http_header(req, "Accept");
  return accept && strstr(accept, "as=Table") && strstr(accept, "g=meta.k8s.io");
}

/* An object in the version the client asked for (resources served in several versions share storage). */
static json_t *versioned(const ApiResource *r, json_t *obj) {
  return convert_from_storage(r, obj);
}

static json_t *table_row(const ApiResource *r, json_t *stored, int64_t now, const char *include) {
  _cleanup_json_ json_t *obj = versioned(r, stored);
  json_t *row = json_pack("{s:o}", "cells", table_cells(r->group, r->resource, obj, now));
  if (include && streq(include, "None"))
    return row;
  if (include && streq(include, "Object")) {
    json_object_set_new(row, "object", versioned(r, obj));
    return row;
  }
  json_t *meta = json_object_get(obj, "metadata");
  json_object_set_new(row, "object",
                      json_pack("{s:s,s:s,s:O}", "kind", "PartialObjectMetadata", "apiVersion",
                                "meta.k8s.io/v1", "metadata", meta ? meta : json_object()));
  return row;
}

static json_t *new_table(const ApiResource *r, int64_t rev) {
  char rv[24];
  snprintf(rv, sizeof rv, "%lld", (long long)rev);
  return json_pack("{s:s,s:s,s:{s:s},s:o,s:[]}", "kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata",
                   "resourceVersion", rv, "columnDefinitions", table_columns(r->group, r->resource), "rows");
}

static int64_t now_sec(void) {
  return (int64_t)(now_realtime_usec() / 1000000u);
}

static void respond_object(HttpRequest *req, HttpResponse *resp, const ApiResource *r, CacheObj *o,
                           int status) {
  if (resources_wants_table(req)) {
    json_t *t = new_table(r, o->mod_rev);
    json_array_append_new(json_object_get(t, "rows"),
                          table_row(r, o->obj, now_sec(), http_query(req, "includeObject")));
    http_respond_json(resp, status, t);
    return;
  }
  if (api_resource_storage(r) == r) {
    http_respond_raw(resp, status, "application/json", o->text, o->len);
    return;
  }
  http_respond_json(resp, status, versioned(r, o->obj));
}

/* ---- body decoding ---- */

static int decode_body(HttpRequest *req, json_t **ret, Error *err) {
  const char *ct = http_header(req, "Content-Type");
  if (req->body_len == 0)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the request body is empty");
  if (!ct || startswith(ct, "application/json") || startswith(ct, "*/*"))
    return json_decode_body(req->body, req->body_len, ret, err);
  if (startswith(ct, "application/yaml") || startswith(ct, "application/x-yaml") ||
      startswith(ct, "text/yaml"))
    return yaml_decode_body(req->body, req->body_len, ret, err);
  if (startswith(ct, "application/vnd.kubernetes.protobuf"))
    return k8s_protobuf_decode(req->body, req->body_len, ret, err);
  return error_setk(err, -EPROTONOSUPPORT, 415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    "application/json, application/yaml, application/vnd.kubernetes.protobuf");
}

static bool dry_run(HttpRequest *req, Error *err, int *rc) {
  const char *d = http_query(req, "dryRun");
  if (isempty(d))
    return false;
  if (!streq(d, "All")) {
    *rc = error_setk(err, -EBADMSG, 400, "BadRequest", "Invalid dry run value: %s; supported values: All", d);
    return false;
  }
  return true;
}

/* ---- field validation (unknown fields and types, against the kind's schema) ---- */

/* Reads ?fieldValidation=; options_kind names the options type in the error ("CreateOptions"). */
static int field_validation(HttpRequest *req, const char *options_kind, SchemaCheckMode *ret, Error *err) {
  const char *v = http_query(req, "fieldValidation");
  SchemaCheckMode m = schema_check_mode_from_string(v);
  if (m == _SCHEMA_CHECK_MODE_INVALID) {
    error_setk(
        err, -EINVAL, 422, "Invalid",
        "%s.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"%s\": supported values: "
        "\"\", \"Ignore\", \"Strict\", \"Warn\"",
        options_kind, v);
    error_add_cause(err, "FieldValueNotSupported", "fieldValidation",
                    "Unsupported value: \"%s\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", v);
    return -EINVAL;
  }
  *ret = m;
  return 0;
}

/* Adds one "Warning: 299 - ..." header per unknown field, as kube-apiserver does under Warn. */
static void warn_unknown(HttpResponse *resp, char **unknown) {
  for (size_t i = 0; unknown && unknown[i]; i++) {
    _cleanup_free_ char *text = schema_unknown_field_warning(unknown[i]);
    Buf b = BUF_INIT;
    buf_puts(&b, "299 - ");
    buf_put_json_string(&b, text);
    http_response_add_header(resp, "Warning", b.data);
    buf_free(&b);
  }
}

/* Checks a decoded POST/PUT body against the schema of kind (of r's group/version). */
static int check_body(const ApiResource *r, const char *kind, json_t *body, SchemaCheckMode mode,
                      char ***ret_unknown, Error *err) {
  const SchemaMessage *m = schema_for_kind(r->group, r->version, kind);
  if (!m || !json_is_object(body))
    return 0;
  int rc = schema_check(m, body, mode, ret_unknown, err);
  return rc < 0 ? rc : 0;
}

/* ---- lists ---- */

typedef struct ListFilter {
  LabelSelector *labels;
  FieldSelector *fields;
  const ApiResource *res;
} ListFilter;

static void list_filter_done(ListFilter *f) {
  label_selector_free(f->labels);
  field_selector_free(f->fields);
}

static int list_filter_init(HttpRequest *req, const ApiResource *r, ListFilter *f, Error *err) {
  *f = (ListFilter){.res = r};
  int rc = label_selector_parse(http_query(req, "labelSelector"), &f->labels, err);
  if (rc < 0) {
    if (err && !err->http)
      err->http = 400;
    return rc;
  }
  rc = field_selector_parse(http_query(req, "fieldSelector"), &f->fields, err);
  if (rc >= 0)
    rc = field_selector_validate(f->fields, r->group, r->resource, err);
  if (rc < 0) {
    if (err && !err->http)
      err->http = 400;
    list_filter_done(f);
    return rc;
  }
  return 0;
}

static bool list_filter_match(const ListFilter *f, json_t *obj) {
  if (!obj)
    return false;
  if (f->labels && !label_selector_matches(f->labels, jpath(obj, "metadata.labels")))
    return false;
  if (f->fields && !field_selector_matches(f->fields, f->res->group, f->res->resource, obj))
    return false;
  return true;
}

static bool list_filter_empty(const ListFilter *f) {
  return (!f->labels || label_selector_is_empty(f->labels)) &&
         (!f->fields || field_selector_is_empty(f->fields));
}

static char *continue_token(int64_t rev, const char *key) {
  _cleanup_json_ json_t *j =
      json_pack("{s:s,s:I,s:s}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rev, "start", key);
  _cleanup_free_ char *s = json_compact(j);
  return base64_encode(s, strlen(s), true);
}

static int parse_continue(const char *tok, int64_t *rev, char **key, Error *err) {
  uint8_t *raw = NULL;
  size_t n = 0;
  if (base64_decode(tok, strlen(tok), &raw, &n) < 0)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "continue key is not valid: illegal base64 data");
  _cleanup_json_ json_t *j = json_loadb((const char *)raw, n, 0, NULL);
  free(raw);
  const char *start = jstr(j, "start");
  json_t *rv = json_object_get(j, "rv");
  if (!start || !json_is_integer(rv))
    return error_setk(err, -EBADMSG, 400, "BadRequest",
                      "continue key is not valid: incorrect encoded start resourceVersion");
  *rev = json_integer_value(rv);
  *key = xstrdup(start);
  return 0;
}

/* Reads a page of objects (refs owned by the caller) from the cache, or from the store at rev when the
 * cache has moved past it. */
static int read_page(ApiServer *s, const char *prefix, const char *after, int64_t at_rev, size_t limit,
                     CacheObj ***ret, size_t *ret_n, int64_t *ret_rev, Error *err) {
  if (at_rev == 0 || at_rev == watch_cache_revision(s->cache)) {
    watch_cache_list(s->cache, prefix, after, limit, ret, ret_n, ret_rev, NULL);
    if (at_rev == 0 || *ret_rev == at_rev)
      return 0;
    watch_cache_list_free(*ret, *ret_n);
  }
  StoreKVList l = {0};
  Error serr = ERROR_INIT;
  int rc = store_list(s->store, prefix, at_rev, after, limit, &l, &serr);
  if (rc == -ENODATA) {
    error_reset(&serr);
    return error_setk(
        err, -ENODATA, 410, "Expired",
        "The provided continue parameter is too old to display a consistent list result. You can "
        "start a new list without the continue parameter, or use the continue token in this "
        "response to retrieve the remainder of the results. Continuing with the provided token "
        "results in an inconsistent list - objects that were created, modified, or deleted between "
        "the time the first chunk was returned and now may show up in the list.");
  }
  if (rc < 0) {
    rc = error_setk(err, rc, 500, "InternalError", "storage error: %s", serr.message ? serr.message : "");
    error_reset(&serr);
    return rc;
  }
  CacheObj **objs = xcalloc(l.n ? l.n : 1, sizeof(CacheObj *));
  size_t n = 0;
  for (size_t i = 0; i < l.n; i++) {
    /* Most objects of an older page are still current: the cached one is that very version, parsed. */
    CacheObj *o = watch_cache_get(s->cache, l.items[i].key);
    if (o && o->mod_rev != l.items[i].mod_rev) {
      cache_obj_unref(o);
      o = NULL;
    }
    if (!o)
      o = cache_obj_new(l.items[i].key, l.items[i].value, l.items[i].len, l.items[i].mod_rev,
                        l.items[i].create_rev);
    if (o)
      objs[n++] = o;
  }
  *ret = objs;
  *ret_n = n;
  *ret_rev = l.rev;
  store_kv_list_done(&l);
  return 0;
}

/* How many objects under prefix follow key `after` at revision at_rev (0 = now), for remainingItemCount:
 * counted, not read (a paged list of n objects would otherwise read and parse O(n^2 / limit) of them).
 * -1 when the store cannot tell. */
static ssize_t count_after(ApiServer *s, const char *prefix, const char *after, int64_t at_rev) {
  if (at_rev == 0 || at_rev == watch_cache_revision(s->cache)) {
    CacheObj **objs;
    size_t n, rest = 0;
    int64_t rev;
    watch_cache_list(s->cache, prefix, after, 1, &objs, &n, &rev, &rest);
    watch_cache_list_free(objs, n);
    if (at_rev == 0 || rev == at_rev)
      return (ssize_t)(n + rest);
  }
  /* The store counts what lies beyond one item without reading the values. */
  StoreKVList l = {0};
  if (store_list(s->store, prefix, at_rev, after, 1, &l, NULL) < 0)
    return -1;
  ssize_t n = (ssize_t)(l.n + l.remaining);
  store_kv_list_done(&l);
  return n;
}

static void handle_list(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  ListFilter f;
  if (list_filter_init(req, t->res, &f, &e) < 0) {
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  int64_t limit = 0;
  if (http_query_int(req, "limit", 0, &limit, &e) < 0) {
    respond_error(resp, &e, t->res, NULL);
    list_filter_done(&f);
    return;
  }
  if (limit < 0)
    limit = 0;
  _cleanup_free_ char *prefix = registry_prefix(t->res, t->ns);
  _cleanup_free_ char *after = NULL;
  int64_t at_rev = 0;
  const char *cont = http_query(req, "continue");
  if (!isempty(cont)) {
    if (parse_continue(cont, &at_rev, &after, &e) < 0 || !startswith(after, prefix)) {
      if (!e.code)
        error_setk(&e, -EBADMSG, 400, "BadRequest", "continue key is not valid");
      respond_error(resp, &e, t->res, NULL);
      list_filter_done(&f);
      return;
    }
  } else {
    const char *rv = http_query(req, "resourceVersion"), *match = http_query(req, "resourceVersionMatch");
    if (!isempty(rv) && match && streq(match, "Exact"))
      at_rev = strtoll(rv, NULL, 10);
  }

  bool table = resources_wants_table(req);
  /* Objects served as stored are spliced in from their cached text rather than serialized again. */
  bool splice = !table && api_resource_storage(t->res) == t->res;
  Buf spliced = BUF_INIT;
  json_t *items = json_array();
  int64_t rev = 0;
  char *last_key = NULL;
  bool more = false;
  size_t matched = 0, remaining = 0;
  const char *include = http_query(req, "includeObject");
  int64_t now = now_sec();
  /* Scan in chunks until limit matching objects are found or the prefix is exhausted. */
  for (;;) {
    CacheObj **objs;
    size_t n;
    int64_t page_rev;
    size_t chunk = limit ? (size_t)MAX(limit, 256) : 0;
    if (read_page(s, prefix, last_key ? last_key : after, at_rev, chunk, &objs, &n, &page_rev, &e) < 0) {
      json_decref(items);
      buf_free(&spliced);
      free(last_key);
      list_filter_done(&f);
      respond_error(resp, &e, t->res, NULL);
      return;
    }
    if (!rev)
      rev = page_rev;
    at_rev = rev; /* later chunks read the same revision */
    size_t i = 0;
    for (; i < n && !(limit && matched == (size_t)limit); i++) {
      if (!list_filter_match(&f, objs[i]->obj))
        continue;
      matched++;
      free(last_key);
      last_key = xstrdup(objs[i]->key);
      if (table) {
        json_array_append_new(items, table_row(t->res, objs[i]->obj, now, include));
      } else if (splice) {
        if (spliced.len)
          buf_putc(&spliced, ',');
        buf_append(&spliced, objs[i]->text, objs[i]->len);
      } else {
        json_array_append_new(items, versioned(t->res, objs[i]->obj));
      }
    }
    bool exhausted = !chunk || n < chunk;
    if (limit && matched == (size_t)limit) {
      /* More only if any later object exists (and, with selectors, matches). */
      more = i < n || !exhausted;
      if (more && list_filter_empty(&f)) {
        ssize_t rn = count_after(s, prefix, last_key, at_rev);
        if (rn >= 0) {
          remaining = (size_t)rn;
          more = rn > 0;
        }
      }
      watch_cache_list_free(objs, n);
      break;
    }
    if (n > 0) {
      free(last_key);
      last_key = xstrdup(objs[n - 1]->key);
    }
    watch_cache_list_free(objs, n);
    if (exhausted)
      break;
  }
  list_filter_done(&f);

  char rvs[24];
  snprintf(rvs, sizeof rvs, "%lld", (long long)rev);
  json_t *meta = json_pack("{s:s}", "resourceVersion", rvs);
  if (more) {
    _cleanup_free_ char *tok = continue_token(rev, last_key);
    json_object_set_new(meta, "continue", json_string(tok));
    if (remaining)
      json_object_set_new(meta, "remainingItemCount", json_integer((json_int_t)remaining));
  }
  free(last_key);
  json_t *out;
  if (table) {
    out = new_table(t->res, rev);
    json_object_set_new(out, "rows", items);
    json_object_set_new(out, "metadata", meta);
  } else {
    char gv[128], kind[160];
    api_resource_group_version(t->res, gv, sizeof gv);
    snprintf(kind, sizeof kind, "%sList", t->res->kind);
    if (splice) {
      /* The same bytes json_compact would give: kind, apiVersion, metadata, then the items. */
      json_decref(items);
      _cleanup_free_ char *meta_text = json_compact(meta);
      json_decref(meta);
      resp->status = 200;
      snprintf(resp->content_type, sizeof resp->content_type, "application/json");
      buf_reset(&resp->body);
      buf_printf(&resp->body, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":%s,\"items\":[", kind, gv,
                 meta_text);
      buf_append(&resp->body, spliced.data ? spliced.data : "", spliced.len);
      buf_puts(&resp->body, "]}");
      buf_free(&spliced);
      return;
    }
    out = json_pack("{s:s,s:s,s:o,s:o}", "kind", kind, "apiVersion", gv, "metadata", meta, "items", items);
  }
  buf_free(&spliced);
  http_respond_json(resp, 200, out);
}

/* ---- watch ---- */

/* At most this many events are taken from the watcher per round; their bytes go out as one chunk. */
#define WATCH_FILL_EVENTS 64

typedef struct WatchStream {
  ApiServer *server;
  const ApiResource *res;
  Watcher *watcher;
  ListFilter filter;
  bool table;
  bool bookmarks;
  const char *include;
  int fd;
  bool (*cancelled)(void *arg); /* the in-process transport's client check, instead of fd */
  void *cancel_arg;
  uint64_t deadline_usec; /* monotonic; 0 = none */
  uint64_t last_bookmark_usec;
  uint64_t gone_checked_usec; /* when client_gone was last asked */
  Buf pending;
  size_t pending_off;
  CacheObj **initial; /* synthetic ADDED events for resourceVersion "" / "0" */
  size_t n_initial, next_initial;
  bool ended;
  bool sent_columns;
  bool initial_bookmark; /* sendInitialEvents: a bookmark marks the end of the initial state */
  int64_t initial_rev;
  /* In-process client taking events as objects (HttpRequest.on_watch_event): nothing is written to pending;
   * direct_rc is the callback's refusal, which ends the stream. */
  int (*direct)(void *arg, const char *type, json_t *obj);
  void *direct_arg;
  int direct_rc;
  bool as_stored;  /* the stored version, not a Table: events carry the cached object or its text */
  bool gone_first; /* the revision asked for is compacted: the stream is one 410 ERROR event */
} WatchStream;

static void watch_stream_free(void *state) {
  WatchStream *w = state;
  watcher_free(w->watcher);
  list_filter_done(&w->filter);
  buf_free(&w->pending);
  watch_cache_list_free(w->initial, w->n_initial);
  free(w);
}

/* Hands an event's object to the in-process client; its refusal ends the stream. */
static void emit_direct(WatchStream *w, const char *type, json_t *obj) {
  if (w->direct_rc < 0)
    return;
  int rc = w->direct(w->direct_arg, type, obj);
  if (rc < 0) {
    w->direct_rc = rc;
    w->ended = true;
  }
}

static void emit_event(WatchStream *w, const char *type, CacheObj *co) {
  if (w->direct) {
    emit_direct(w, type, co->obj);
    return;
  }
  if (w->as_stored) {
    /* The object as stored is the answer: its compact text is kept with it, spliced in rather than
     * serialized again for every watcher. */
    buf_printf(&w->pending, "{\"type\":\"%s\",\"object\":", type);
    buf_append(&w->pending, co->text, co->len);
    buf_puts(&w->pending, "}\n");
    return;
  }
  json_t *obj = co->obj;
  json_t *payload;
  if (w->table) {
    char rv[24];
    snprintf(rv, sizeof rv, "%s",
             jstr(obj, "metadata.resourceVersion") ? jstr(obj, "metadata.resourceVersion") : "");
    payload = json_pack("{s:s,s:s,s:{s:s},s:[]}", "kind", "Table", "apiVersion", "meta.k8s.io/v1", "metadata",
                        "resourceVersion", rv, "rows");
    if (!w->sent_columns) {
      json_object_set_new(payload, "columnDefinitions", table_columns(w->res->group, w->res->resource));
      w->sent_columns = true;
    } else {
      json_object_set_new(payload, "columnDefinitions", json_array());
    }
    json_array_append_new(json_object_get(payload, "rows"), table_row(w->res, obj, now_sec(), w->include));
  } else {
    payload = versioned(w->res, obj);
  }
  json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", payload);
  char *text = json_compact(ev);
  buf_puts(&w->pending, text);
  buf_putc(&w->pending, '\n');
  free(text);
  json_decref(ev);
}

static void emit_bookmark(WatchStream *w, int64_t rev) {
  char gv[128];
  api_resource_group_version(w->res, gv, sizeof gv);
  w->last_bookmark_usec = now_monotonic_usec();
  if (w->direct) {
    char rv[24];
    snprintf(rv, sizeof rv, "%lld", (long long)rev);
    _cleanup_json_ json_t *obj =
        json_pack("{s:s,s:s,s:{s:s,s:{s:s}}}", "kind", w->res->kind, "apiVersion", gv, "metadata",
                  "resourceVersion", rv, "annotations", "k8s.io/initial-events-end", "true");
    emit_direct(w, "BOOKMARK", obj);
    return;
  }
  buf_printf(&w->pending,
             "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{"
             "\"resourceVersion\":"
             "\"%lld\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
             w->res->kind, gv, (long long)rev);
}

static void emit_gone(WatchStream *w) {
  _cleanup_error_ Error e = ERROR_INIT;
  error_setk(&e, -ENODATA, 410, "Expired", "too old resource version");
  if (w->direct) {
    _cleanup_json_ json_t *st = status_from_error(&e, NULL, NULL);
    emit_direct(w, "ERROR", st);
    return;
  }
  json_t *ev = json_pack("{s:s,s:o}", "type", "ERROR", "object", status_from_error(&e, NULL, NULL));
  char *text = json_compact(ev);
  buf_puts(&w->pending, text);
  buf_putc(&w->pending, '\n');
  free(text);
  json_decref(ev);
}

/* Translates a cache event through the selectors: an object that starts or stops matching is reported as
 * ADDED or DELETED, as Kubernetes' cacher does. */
static void handle_event(WatchStream *w, WatchEvent *ev) {
  bool now_match = list_filter_match(&w->filter, ev->obj ? ev->obj->obj : NULL);
  bool prev_match = ev->prev && list_filter_match(&w->filter, ev->prev->obj);
  switch (ev->type) {
  case WATCH_ADDED:
    if (now_match)
      emit_event(w, "ADDED", ev->obj);
    break;
  case WATCH_MODIFIED:
    if (now_match && prev_match)
      emit_event(w, "MODIFIED", ev->obj);
    else if (now_match)
      emit_event(w, "ADDED", ev->obj);
    else if (prev_match)
      emit_event(w, "DELETED", ev->obj);
    break;
  case WATCH_DELETED:
    if (now_match || prev_match)
      emit_event(w, "DELETED", ev->obj);
    break;
  default:
    break;
  }
}

static bool client_gone(int fd) {
  if (fd < 0)
    return false;
  struct pollfd p = {.fd = fd, .events = POLLRDHUP};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Fills buf with the next bytes of the stream. Blocks (this connection has its own thread) until an event
 * arrives, a bookmark is due, the client goes away or the timeout passes. */
static ssize_t watch_fill(void *state, char *buf, size_t max) {
  WatchStream *w = state;
  for (;;) {
    if (w->pending_off < w->pending.len) {
      size_t n = MIN(max, w->pending.len - w->pending_off);
      memcpy(buf, w->pending.data + w->pending_off, n);
      w->pending_off += n;
      if (w->pending_off == w->pending.len) {
        buf_reset(&w->pending);
        w->pending_off = 0;
      }
      return (ssize_t)n;
    }
    if (w->gone_first) {
      w->gone_first = false;
      emit_gone(w);
      w->ended = true;
      continue;
    }
    if (w->ended || atomic_load(&w->server->stopping))
      return -1;
    if (w->next_initial < w->n_initial) {
      /* Initial state in chunks so that a huge list does not sit in memory twice; an in-process client
       * taking objects never returns to its transport in between, so its cancel is looked at here. */
      if (w->cancelled && w->cancelled(w->cancel_arg))
        return -1;
      for (size_t k = 0; k < 64 && w->next_initial < w->n_initial; k++, w->next_initial++)
        if (list_filter_match(&w->filter, w->initial[w->next_initial]->obj))
          emit_event(w, "ADDED", w->initial[w->next_initial]);
      continue;
    }
    if (w->initial_bookmark) {
      w->initial_bookmark = false;
      emit_bookmark(w, w->initial_rev);
      continue;
    }
    uint64_t now = now_monotonic_usec();
    if (w->deadline_usec && now >= w->deadline_usec) {
      w->ended = true;
      continue;
    }
    /* A poll for the client's hang-up is a system call: under a stream of events it is made every 200 ms
     * at most (a send to a gone client fails anyway); an idle watch makes it on each wake. */
    if (now - w->gone_checked_usec >= 200000u) {
      w->gone_checked_usec = now;
      if (client_gone(w->fd))
        return -1;
    }
    if (w->cancelled && w->cancelled(w->cancel_arg))
      return -1;
    if (w->bookmarks && now - w->last_bookmark_usec >= 60u * 1000000u) {
      emit_bookmark(w, watcher_revision(w->watcher));
      continue;
    }
    int wait_ms = 1000;
    if (w->deadline_usec)
      wait_ms = (int)MIN((uint64_t)wait_ms, (w->deadline_usec - now) / 1000u + 1);
    WatchEvent evs[WATCH_FILL_EVENTS];
    int rc = watcher_next_many(w->watcher, wait_ms, evs, ELEMENTSOF(evs));
    if (rc == -ETIMEDOUT || rc == -EINTR) {
      w->gone_checked_usec = 0; /* idle: look for a hang-up on the next round */
      continue;
    }
    if (rc == -ENODATA) {
      emit_gone(w);
      w->ended = true;
      continue;
    }
    if (rc < 0)
      return -1;
    /* The events of one group commit go out together, in as few chunks and sends as their size allows. An
     * in-process client, handed each event at once, is asked about its cancel before each. */
    for (int i = 0; i < rc; i++) {
      if (w->direct && !w->ended && w->cancelled && w->cancelled(w->cancel_arg))
        w->ended = true;
      if (!w->ended)
        handle_event(w, &evs[i]);
      watch_event_done(&evs[i]);
    }
  }
}

static void watch_wake(void *state) {
  WatchStream *w = state;
  if (w->watcher)
    watcher_interrupt(w->watcher);
}

static void handle_watch(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  WatchStream *w = xzalloc(sizeof *w);
  w->server = s;
  w->res = t->res;
  w->fd = req->fd;
  w->cancelled = req->cancelled;
  w->cancel_arg = req->cancel_arg;
  w->table = resources_wants_table(req);
  w->include = http_query(req, "includeObject");
  w->bookmarks = http_query_bool(req, "allowWatchBookmarks");
  w->as_stored = !w->table && api_resource_storage(t->res) == t->res;
  if (req->on_watch_event && w->as_stored) {
    w->direct = req->on_watch_event;
    w->direct_arg = req->watch_event_arg;
  }
  w->last_bookmark_usec = now_monotonic_usec();
  if (list_filter_init(req, t->res, &w->filter, &e) < 0) {
    free(w);
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  if (t->name) {
    /* Watching one object: /namespaces/NS/pods?watch=1&fieldSelector=metadata.name=NAME is the usual form;
     * the name in the path (deprecated form) is turned into the same filter. */
    _cleanup_free_ char *fs = xasprintf("metadata.name=%s", t->name);
    FieldSelector *extra = NULL;
    if (!w->filter.fields || field_selector_is_empty(w->filter.fields)) {
      field_selector_free(w->filter.fields);
      field_selector_parse(fs, &extra, NULL);
      w->filter.fields = extra;
    }
  }
  int64_t timeout = 0;
  if (http_query_int(req, "timeoutSeconds", 0, &timeout, &e) < 0) {
    watch_stream_free(w);
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  if (timeout > 0)
    w->deadline_usec = now_monotonic_usec() + (uint64_t)timeout * 1000000u;
  _cleanup_free_ char *prefix = registry_prefix(t->res, t->ns);
  const char *rv = http_query(req, "resourceVersion");
  bool send_initial = http_query_bool(req, "sendInitialEvents");
  int64_t from;
  if (isempty(rv) || streq(rv, "0") || send_initial) {
    /* No revision (or "any"): the current state as ADDED events, then changes. */
    int64_t snap;
    watch_cache_list(s->cache, prefix, NULL, 0, &w->initial, &w->n_initial, &snap, NULL);
    from = snap;
  } else {
    char *end;
    from = strtoll(rv, &end, 10);
    if (*end || from < 0) {
      watch_stream_free(w);
      error_setk(&e, -EBADMSG, 400, "BadRequest", "invalid resource version: %s", rv);
      respond_error(resp, &e, t->res, NULL);
      return;
    }
  }
  int rc = watch_cache_watch(s->cache, prefix, from, &w->watcher, &e);
  if (rc == -ENODATA) {
    /* Kubernetes answers 200 and sends a 410 ERROR event as the first event of the stream. */
    w->gone_first = true;
  } else if (rc < 0) {
    watch_stream_free(w);
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  w->initial_bookmark = send_initial && w->bookmarks && w->watcher;
  w->initial_rev = from;
  resp->status = 200;
  snprintf(resp->content_type, sizeof resp->content_type, "application/json");
  resp->stream = (HttpStream){.fill = watch_fill, .free = watch_stream_free, .wake = watch_wake, .state = w};
}

/* ---- scale subresource ---- */

static json_t *scale_from(const ApiResource *r, json_t *obj) {
  json_t *meta = json_object_get(obj, "metadata");
  json_t *smeta = json_object();
  static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"};
  for (size_t i = 0; i < ELEMENTSOF(keep); i++) {
    json_t *v = json_object_get(meta, keep[i]);
    if (v)
      json_object_set(smeta, keep[i], v);
  }
  json_t *scale = json_pack("{s:s,s:s,s:o,s:{s:I},s:{s:I}}", "kind", "Scale", "apiVersion", "autoscaling/v1",
                            "metadata", smeta, "spec", "replicas", (json_int_t)jint(obj, "spec.replicas", 1),
                            "status", "replicas", (json_int_t)jint(obj, "status.replicas", 0));
  LabelSelector *sel = NULL;
  if (label_selector_from_json(jpath(obj, "spec.selector"), &sel, NULL) >= 0 && sel) {
    _cleanup_free_ char *str = label_selector_to_string(sel);
    json_object_set_new(json_object_get(scale, "status"), "selector", json_string(str));
    label_selector_free(sel);
  }
  return scale;
}

static void handle_scale(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_cache_obj_ CacheObj *cur = NULL;
  if (registry_get(s, t->res, t->ns, t->name, &cur, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  if (streq(req->method, "GET")) {
    http_respond_json(resp, 200, scale_from(t->res, cur->obj));
    return;
  }
  _cleanup_json_ json_t *body = NULL;
  /* PUT carries a Scale (JSON, YAML or protobuf); PATCH a patch document, always JSON. */
  int rc = streq(req->method, "PUT") ? decode_body(req, &body, &e)
                                     : json_decode_body(req->body, req->body_len, &body, &e);
  if (rc < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  _cleanup_json_ json_t *scale = scale_from(t->res, cur->obj);
  _cleanup_json_ json_t *wanted = NULL;
  const char *ct = http_header(req, "Content-Type");
  if (streq(req->method, "PUT")) {
    wanted = json_incref(body);
  } else if (ct && startswith(ct, "application/json-patch+json")) {
    rc = patch_json(scale, body, &wanted, &e);
  } else {
    /* Merge and strategic merge are the same for a Scale (no lists). */
    rc = patch_merge(scale, body, &wanted, &e);
  }
  if (rc < 0) {
    if (!e.http && rc == -EINVAL)
      e.http = 422;
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  json_t *replicas = jpath(wanted, "spec.replicas");
  if (!json_is_integer(replicas) || json_integer_value(replicas) < 0) {
    error_add_cause(&e, "FieldValueInvalid", "spec.replicas",
                    "Invalid value: %s: must be greater than or equal to 0",
                    json_is_integer(replicas) ? "negative" : "non-integer");
    status_invalid(&e, t->res, t->name);
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  const char *rv = jstr(wanted, "metadata.resourceVersion");
  _cleanup_json_ json_t *patch = json_pack("{s:{s:O}}", "spec", "replicas", replicas);
  if (streq(req->method, "PUT") && !isempty(rv))
    json_object_set_new(jobj(patch, "metadata"), "resourceVersion", json_string(rv));
  bool dr = dry_run(req, &e, &rc);
  if (rc < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  _cleanup_cache_obj_ CacheObj *res = NULL;
  if (registry_patch(s, t->res, t->ns, t->name, NULL, "application/merge-patch+json", patch,
                     SCHEMA_CHECK_IGNORE, NULL, dr, &res, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  http_respond_json(resp, 200, scale_from(t->res, res->obj));
}

/* ---- verbs ---- */

static void handle_create(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_json_ json_t *body = NULL;
  _cleanup_strv_free_ char **unknown = NULL;
  SchemaCheckMode mode;
  int rc = 0;
  bool dr = dry_run(req, &e, &rc);
  if (rc < 0 || field_validation(req, "CreateOptions", &mode, &e) < 0 || decode_body(req, &body, &e) < 0 ||
      check_body(t->res, t->res->kind, body, mode, &unknown, &e) < 0) {
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  if (t->res->namespaced && !t->ns) {
    respond_errorf(resp, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
    return;
  }
  _cleanup_cache_obj_ CacheObj *o = NULL;
  if (registry_create(s, t->res, t->ns, body, dr, &o, &e) < 0) {
    respond_error(resp, &e, t->res, jstr(body, "metadata.name"));
    return;
  }
  respond_object(req, resp, t->res, o, 201);
  warn_unknown(resp, unknown);
}

static void handle_update(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_json_ json_t *body = NULL;
  _cleanup_strv_free_ char **unknown = NULL;
  SchemaCheckMode mode;
  int rc = 0;
  bool dr = dry_run(req, &e, &rc);
  if (rc < 0 || field_validation(req, "UpdateOptions", &mode, &e) < 0 || decode_body(req, &body, &e) < 0 ||
      check_body(t->res, t->res->kind, body, mode, &unknown, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  _cleanup_cache_obj_ CacheObj *o = NULL;
  if (registry_update(s, t->res, t->ns, t->name, t->sub, body, dr, &o, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  respond_object(req, resp, t->res, o, 200);
  warn_unknown(resp, unknown);
}

static void handle_patch(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  const char *ct = http_header(req, "Content-Type");
  int rc = 0;
  bool dr = dry_run(req, &e, &rc);
  SchemaCheckMode mode = SCHEMA_CHECK_WARN;
  _cleanup_strv_free_ char **unknown = NULL;
  if (rc >= 0)
    rc = field_validation(req, "PatchOptions", &mode, &e);
  if (rc >= 0 && ct && startswith(ct, "application/apply-patch")) { /* server-side apply: apply.c */
    _cleanup_cache_obj_ CacheObj *o = NULL;
    int status = 200;
    if (apply_patch(s, req, t->res, t->ns, t->name, t->sub, mode, dr, &o, &status, &unknown, &e) < 0) {
      respond_error(resp, &e, t->res, t->name);
      return;
    }
    respond_object(req, resp, t->res, o, status);
    warn_unknown(resp, unknown);
    return;
  }
  _cleanup_json_ json_t *patch = NULL;
  if (rc >= 0 && req->body_len == 0)
    rc = error_setk(&e, -EBADMSG, 400, "BadRequest", "the request body is empty");
  if (rc >= 0)
    rc = json_decode_body(req->body, req->body_len, &patch, &e);
  if (rc < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  _cleanup_cache_obj_ CacheObj *o = NULL;
  if (registry_patch(s, t->res, t->ns, t->name, t->sub, ct ? ct : "", patch, mode, &unknown, dr, &o, &e) <
      0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  respond_object(req, resp, t->res, o, 200);
  warn_unknown(resp, unknown);
}

/* DeleteOptions from the body (kubectl sends JSON) merged with the query parameters. */
static int delete_options(HttpRequest *req, json_t **ret, Error *err) {
  json_t *opts = NULL;
  if (req->body_len > 0) {
    int rc = decode_body(req, &opts, err);
    if (rc < 0)
      return rc;
  }
  if (!json_is_object(opts)) {
    json_decref(opts);
    opts = json_object();
  }
  int64_t grace;
  if (http_query(req, "gracePeriodSeconds")) {
    int rc = http_query_int(req, "gracePeriodSeconds", 0, &grace, err);
    if (rc < 0) {
      json_decref(opts);
      return rc;
    }
    json_object_set_new(opts, "gracePeriodSeconds", json_integer(grace));
  }
  const char *policy = http_query(req, "propagationPolicy");
  if (policy)
    json_object_set_new(opts, "propagationPolicy", json_string(policy));
  const char *p = jstr(opts, "propagationPolicy");
  if (p && !streq(p, "Background") && !streq(p, "Foreground") && !streq(p, "Orphan")) {
    error_setk(
        err, -EINVAL, 422, "Invalid",
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"%s\": supported "
        "values: \"Foreground\", \"Background\", \"Orphan\"",
        p);
    error_add_cause(err, "FieldValueNotSupported", "propagationPolicy",
                    "Unsupported value: \"%s\": supported values: \"Foreground\", \"Background\", \"Orphan\"",
                    p);
    json_decref(opts);
    return -EINVAL;
  }
  *ret = opts;
  return 0;
}

static void handle_delete(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_json_ json_t *opts = NULL;
  int rc = 0;
  bool dr = dry_run(req, &e, &rc);
  if (rc < 0 || delete_options(req, &opts, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  _cleanup_cache_obj_ CacheObj *o = NULL;
  bool gone = false;
  if (registry_delete(s, t->res, t->ns, t->name, opts, dr, &o, &gone, &e) < 0) {
    respond_error(resp, &e, t->res, t->name);
    return;
  }
  respond_object(req, resp, t->res, o, 200);
}

static void handle_delete_collection(ApiServer *s, HttpRequest *req, HttpResponse *resp, const Target *t) {
  _cleanup_error_ Error e = ERROR_INIT;
  _cleanup_json_ json_t *opts = NULL;
  ListFilter f;
  int rc = 0;
  bool dr = dry_run(req, &e, &rc);
  if (rc < 0 || delete_options(req, &opts, &e) < 0 || list_filter_init(req, t->res, &f, &e) < 0) {
    respond_error(resp, &e, t->res, NULL);
    return;
  }
  _cleanup_free_ char *prefix = registry_prefix(t->res, t->ns);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  json_t *items = json_array();
  for (size_t i = 0; i < n; i++) {
    if (!list_filter_match(&f, objs[i]->obj))
      continue;
    _cleanup_cache_obj_ CacheObj *o = NULL;
    bool gone;
    _cleanup_error_ Error de = ERROR_INIT;
    const char *ns = jstr(objs[i]->obj, "metadata.namespace");
    if (registry_delete(s, t->res, ns, jstr(objs[i]->obj, "metadata.name"), opts, dr, &o, &gone, &de) >= 0)
      json_array_append_new(items, versioned(t->res, o->obj));
  }
  watch_cache_list_free(objs, n);
  list_filter_done(&f);
  char gv[128], kind[160], rvs[24];
  api_resource_group_version(t->res, gv, sizeof gv);
  snprintf(kind, sizeof kind, "%sList", t->res->kind);
  snprintf(rvs, sizeof rvs, "%lld", (long long)watch_cache_revision(s->cache));
  http_respond_json(resp, 200,
                    json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", kind, "apiVersion", gv, "metadata",
                              "resourceVersion", rvs, "items", items));
}

static void method_not_allowed(HttpResponse *resp, const char *method) {
  _cleanup_error_ Error e = ERROR_INIT;
  error_setk(&e, -EOPNOTSUPP, 405, "MethodNotAllowed",
             "the server does not allow this method on the requested resource");
  respond_error(resp, &e, NULL, NULL);
  (void)method;
}

void resources_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp) {
  _cleanup_error_ Error e = ERROR_INIT;
  Target t;
  if (parse_target(req, &t, &e) < 0) {
    respond_error(resp, &e, NULL, NULL);
    return;
  }
  /* The request's field manager, for the managedFields the registry records on writes. */
  _cleanup_(apply_request_endp) int request = apply_request_begin(req, t.sub);
  (void)request;
  const char *m = req->method;
  if (t.sub) {
    const ApiSubresource *sr = api_subresource_find(t.res, t.sub);
    if (!sr) {
      respond_errorf(resp, -ENOENT, 404, "NotFound", "the server could not find the requested resource");
      return;
    }
    if (streq(t.sub, "scale") && (streq(m, "GET") || streq(m, "PUT") || streq(m, "PATCH"))) {
      handle_scale(s, req, resp, &t);
      return;
    }
    if (streq(t.sub, "status")) {
      if (streq(m, "GET")) {
        _cleanup_cache_obj_ CacheObj *o = NULL;
        if (registry_get(s, t.res, t.ns, t.name, &o, &e) < 0)
          respond_error(resp, &e, t.res, t.name);
        else
          respond_object(req, resp, t.res, o, 200);
      } else if (streq(m, "PUT"))
        handle_update(s, req, resp, &t);
      else if (streq(m, "PATCH"))
        handle_patch(s, req, resp, &t);
      else
        method_not_allowed(resp, m);
      return;
    }
    if (streq(t.sub, "finalize") && streq(m, "PUT")) {
      handle_update(s, req, resp, &t);
      return;
    }
    if (streq(t.sub, "binding")) { /* the scheduler's pods/binding: binding.c */
      binding_handle(s, req, resp, t.res, t.ns, t.name);
      return;
    }
    if (streq(t.sub, "eviction")) { /* kubectl drain: eviction.c, subject to PodDisruptionBudgets */
      eviction_handle(s, req, resp, t.res, t.ns, t.name);
      return;
    }
    if (streq(t.sub, "log")) { /* kubectl logs for pods of this machine's agent: podlog.c */
      podlog_handle(s, req, resp, t.res, t.ns, t.name);
      return;
    }
    /* exec, portforward, attach, proxy... arrive with the node agent. */
    respond_errorf(resp, -ENOSYS, 501, "NotImplemented",
                   "this subresource is not implemented yet in coracle");
    return;
  }
  bool watch = http_query_bool(req, "watch");
  if (streq(m, "GET") && (watch || !t.name)) {
    if (watch)
      handle_watch(s, req, resp, &t);
    else
      handle_list(s, req, resp, &t);
    return;
  }
  if (streq(m, "GET")) {
    _cleanup_cache_obj_ CacheObj *o = NULL;
    if (registry_get(s, t.res, t.ns, t.name, &o, &e) < 0) {
      respond_error(resp, &e, t.res, t.name);
      return;
    }
    respond_object(req, resp, t.res, o, 200);
    return;
  }
  if (streq(m, "POST") && !t.name && api_resource_has_verb(t.res, "create")) {
    handle_create(s, req, resp, &t);
    return;
  }
  if (streq(m, "PUT") && t.name) {
    handle_update(s, req, resp, &t);
    return;
  }
  if (streq(m, "PATCH") && t.name) {
    handle_patch(s, req, resp, &t);
    return;
  }
  if (streq(m, "DELETE") && t.name) {
    handle_delete(s, req, resp, &t);
    return;
  }
  if (streq(m, "DELETE") && !t.name && api_resource_has_verb(t.res, "deletecollection")) {
    handle_delete_collection(s, req, resp, &t);
    return;
  }
  method_not_allowed(resp, m);
}
