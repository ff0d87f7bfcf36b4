/* Kubernetes Status objects for errors, and the standard messages of the common failures (NotFound,
 * AlreadyExists, Conflict, Invalid) worded as kube-apiserver words them, because users and scripts match
 * on them. */
#include <errno.h>

#include "api/jsonutil.h"
#include "apiserver/apiserver-internal.h"

static const char *qualified(const ApiResource *r, char *buf, size_t size) {
  return r ? api_resource_qualified_name(r, buf, size) : "";
}

json_t *status_from_error(const Error *e, const ApiResource *r, const char *name) {
  int code = error_http_status(e);
  json_t *st =
      json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                "Failure", "message", e->message ? e->message : "", "reason", error_reason(e), "code", code);
  json_t *details = json_object();
  if (name && *name)
    json_object_set_new(details, "name", json_string(name));
  if (r) {
    if (r->group[0])
      json_object_set_new(details, "group", json_string(r->group));
    json_object_set_new(details, "kind", json_string(code == 422 ? r->kind : r->resource));
  }
  if (e->n_causes) {
    json_t *causes = json_array();
    for (size_t i = 0; i < e->n_causes; i++) {
      json_t *c = json_object();
      if (e->causes[i].reason && *e->causes[i].reason)
        json_object_set_new(c, "reason", json_string(e->causes[i].reason));
      json_object_set_new(c, "message", json_string(e->causes[i].message ? e->causes[i].message : ""));
      if (e->causes[i].field)
        json_object_set_new(c, "field", json_string(e->causes[i].field));
      json_array_append_new(causes, c);
    }
    json_object_set_new(details, "causes", causes);
  }
  if (e->retry_after)
    json_object_set_new(details, "retryAfterSeconds", json_integer(e->retry_after));
  if (json_object_size(details))
    json_object_set_new(st, "details", details);
  else
    json_decref(details);
  return st;
}

int status_invalid(Error *e, const ApiResource *r, const char *name) {
  if (!e)
    return -EINVAL;
  Buf b = BUF_INIT;
  char kind[128];
  if (r && r->group[0])
    snprintf(kind, sizeof kind, "%s.%s", r->kind, r->group);
  else
    snprintf(kind, sizeof kind, "%s", r ? r->kind : "Object");
  buf_printf(&b, "%s \"%s\" is invalid: ", kind, name ? name : "");
  if (e->n_causes > 1)
    buf_putc(&b, '[');
  for (size_t i = 0; i < e->n_causes; i++) {
    if (i)
      buf_puts(&b, ", ");
    if (e->causes[i].field)
      buf_printf(&b, "%s: ", e->causes[i].field);
    buf_puts(&b, e->causes[i].message ? e->causes[i].message : "");
  }
  if (e->n_causes > 1)
    buf_putc(&b, ']');
  free(e->message);
  e->message = buf_steal(&b, NULL);
  e->code = -EINVAL;
  e->http = 422;
  free(e->reason);
  e->reason = xstrdup("Invalid");
  return -EINVAL;
}

int status_not_found(Error *e, const ApiResource *r, const char *name) {
  char q[256];
  return error_setk(e, -ENOENT, 404, "NotFound", "%s \"%s\" not found", qualified(r, q, sizeof q), name);
}

int status_already_exists(Error *e, const ApiResource *r, const char *name) {
  char q[256];
  return error_setk(e, -EEXIST, 409, "AlreadyExists", "%s \"%s\" already exists", qualified(r, q, sizeof q),
                    name);
}

int status_conflict(Error *e, const ApiResource *r, const char *name, const char *why) {
  char q[256];
  return error_setk(e, -ECANCELED, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": %s",
                    qualified(r, q, sizeof q), name, why);
}
