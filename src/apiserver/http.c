/* Transport-neutral request/response helpers (see http.h). */
#include "apiserver/http.h"

#include <errno.h>

#include "api/jsonutil.h"

void http_response_done(HttpResponse *r) {
  buf_free(&r->body);
  if (r->stream.free)
    r->stream.free(r->stream.state);
  r->stream = (HttpStream){0};
  for (size_t i = 0; i < r->n_extra; i++)
    free(r->extra_headers[i]);
  r->n_extra = 0;
}

void http_response_add_header(HttpResponse *r, const char *name, const char *value) {
  if (r->n_extra < ELEMENTSOF(r->extra_headers))
    r->extra_headers[r->n_extra++] = xasprintf("%s: %s", name, value);
}

void http_respond_json(HttpResponse *r, int status, json_t *j) {
  r->status = status;
  snprintf(r->content_type, sizeof r->content_type, "application/json");
  buf_reset(&r->body);
  char *s = json_compact(j);
  buf_puts(&r->body, s);
  free(s);
  json_decref(j);
}

void http_respond_raw(HttpResponse *r, int status, const char *content_type, const char *data, size_t len) {
  r->status = status;
  snprintf(r->content_type, sizeof r->content_type, "%s", content_type);
  buf_reset(&r->body);
  buf_append(&r->body, data, len);
}

const char *http_query(const HttpRequest *req, const char *name) {
  return req->query ? req->query(req, name) : NULL;
}

bool http_query_bool(const HttpRequest *req, const char *name) {
  const char *v = http_query(req, name);
  return v && (streq(v, "true") || streq(v, "1") || streq(v, "True") || streq(v, ""));
}

int http_query_int(const HttpRequest *req, const char *name, int64_t def, int64_t *ret, Error *err) {
  const char *v = http_query(req, name);
  if (isempty(v)) {
    *ret = def;
    return 0;
  }
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (*end || errno)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid value for %s: %s", name, v);
  *ret = x;
  return 0;
}

const char *http_header(const HttpRequest *req, const char *name) {
  return req->header ? req->header(req, name) : NULL;
}
