/* The API server's in-process transport (apiserver.h): the scheduler, controllers, node agent and proxy
 * that run inside `coracle server` reach the server through their Client as any client does, but the
 * request is handed to apiserver_dispatch in the calling thread instead of going through loopback TCP,
 * TLS, libmicrohttpd and a server thread. What a request and its answer carry is unchanged — the path and
 * query, the headers, the JSON bodies, watch streams as newline-delimited events — so handlers and clients
 * behave as over HTTPS; only sockets, encryption, HTTP framing and the context switches are gone. One
 * short cut: a client that takes watch events as objects (HttpcRequest.on_event, the informers) gets the
 * watch cache's own immutable objects, neither serialised nor parsed again.
 *
 * The caller is the cluster administrator (system:admin in system:masters), as its client certificate
 * says over HTTPS. A streamed answer (a watch) is pumped through the request's on_body in the calling
 * thread until the stream ends, the callback stops it, or the request's cancel token fires: the token
 * wakes the stream at once (HttpStream.wake), without polling. */
#include <errno.h>

#include "api/jsonutil.h"
#include "apiserver/apiserver-internal.h"
#include "base/log.h"

/* Block handed to the client per stream read: watch events are a few hundred bytes to a few KiB. */
#define LOCAL_STREAM_BLOCK (16u * 1024)

typedef struct LocalArg {
  char *name;
  char *value; /* NULL for a bare "name" */
} LocalArg;

typedef struct LocalRequest {
  HttpRequest req;
  LocalArg *args;
  size_t n_args;
  const char *const *headers; /* "Name: value" */
  HttpcCancel *cancel;
  const HttpcRequest *hreq;
  HttpcResponse *out; /* what on_event sees as the answer */
  int event_rc;       /* on_event's refusal, which ended the stream */
} LocalRequest;

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..len) as libmicrohttpd does for the URL and its arguments ('+' is a space in a query
 * but not in the path); a malformed escape is kept as it is. */
static char *url_decode(const char *s, size_t len, bool query) {
  char *out = xmalloc(len + 1), *o = out;
  for (size_t i = 0; i < len; i++) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < len && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
      *o++ = (char)(hi * 16 + lo);
      i += 2;
    } else if (query && s[i] == '+') {
      *o++ = ' ';
    } else {
      *o++ = s[i];
    }
  }
  *o = 0;
  return out;
}

static void parse_query(LocalRequest *lr, const char *q) {
  while (*q) {
    size_t n = strcspn(q, "&");
    if (n) {
      const char *eq = memchr(q, '=', n);
      lr->args = xrealloc(lr->args, (lr->n_args + 1) * sizeof *lr->args);
      LocalArg *a = &lr->args[lr->n_args++];
      a->name = url_decode(q, eq ? (size_t)(eq - q) : n, true);
      a->value = eq ? url_decode(eq + 1, n - (size_t)(eq - q) - 1, true) : NULL;
    }
    q += n;
    if (*q == '&')
      q++;
  }
}

static const char *local_query(const HttpRequest *req, const char *name) {
  const LocalRequest *lr = req->transport;
  for (size_t i = 0; i < lr->n_args; i++)
    if (streq(lr->args[i].name, name))
      return lr->args[i].value;
  return NULL;
}

static void local_query_all(const HttpRequest *req, const char *name, void (*cb)(const char *v, void *u),
                            void *u) {
  const LocalRequest *lr = req->transport;
  for (size_t i = 0; i < lr->n_args; i++)
    if (streq(lr->args[i].name, name))
      cb(lr->args[i].value ? lr->args[i].value : "", u);
}

static const char *local_header(const HttpRequest *req, const char *name) {
  const LocalRequest *lr = req->transport;
  size_t n = strlen(name);
  for (size_t i = 0; lr->headers && lr->headers[i]; i++) {
    const char *h = lr->headers[i];
    if (strncasecmp(h, name, n) == 0 && h[n] == ':')
      return h + n + 1 + strspn(h + n + 1, " \t");
  }
  return NULL;
}

static bool local_cancelled(void *arg) {
  return arg && httpc_cancel_triggered(arg);
}

static void head_add(HttpcHead *h, const char *name, size_t name_len, const char *value) {
  h->headers = xrealloc(h->headers, (h->n_headers + 1) * sizeof *h->headers);
  h->headers[h->n_headers++] = (HttpcHeader){.name = xstrndup(name, name_len), .value = xstrdup(value)};
}

/* The answer's status and headers as the HTTP engine would have parsed them. */
static void fill_head(HttpcResponse *out, const HttpResponse *r) {
  out->status = r->status ? r->status : 200;
  out->head = (HttpcHead){.minor = 1, .status = out->status};
  const char *ct = r->content_type[0] ? r->content_type : "application/json";
  head_add(&out->head, "Content-Type", strlen("Content-Type"), ct);
  for (size_t i = 0; i < r->n_extra; i++) {
    const char *colon = strchr(r->extra_headers[i], ':');
    if (colon)
      head_add(&out->head, r->extra_headers[i], (size_t)(colon - r->extra_headers[i]),
               colon + 1 + strspn(colon + 1, " "));
  }
}

/* Hands data to the request's body callback, or appends it to the buffered body within max_body. */
static int deliver(const HttpcRequest *hreq, HttpcResponse *out, const char *data, size_t len, Error *err) {
  if (hreq->on_body)
    return len ? hreq->on_body(out, data, len, hreq->userdata) : 0;
  size_t limit = hreq->max_body ? hreq->max_body : 64u * 1024 * 1024;
  if (out->body.len + len > limit)
    return error_set(err, -E2BIG, NULL, "the answer is larger than %zu bytes", limit);
  buf_append(&out->body, data, len);
  return 0;
}

/* A watch event as an object, straight from the watch cache to the client's on_event. */
static int local_watch_event(void *arg, const char *type, json_t *obj) {
  LocalRequest *lr = arg;
  int rc = lr->hreq->on_event(lr->out, type, obj, lr->hreq->userdata);
  if (rc < 0)
    lr->event_rc = rc;
  return rc;
}

static void stream_wake(void *arg) {
  HttpStream *st = arg;
  st->wake(st->state);
}

static int pump_stream(LocalRequest *lr, const HttpcRequest *hreq, HttpcResponse *out, HttpStream *st,
                       Error *err) {
  if (lr->cancel && st->wake)
    httpc_cancel_set_notify(lr->cancel, stream_wake, st);
  _cleanup_free_ char *block = xmalloc(LOCAL_STREAM_BLOCK);
  int rc = 0;
  for (;;) {
    if (local_cancelled(lr->cancel)) {
      rc = error_set(err, -ECANCELED, NULL, "the request was cancelled");
      break;
    }
    ssize_t n = st->fill(st->state, block, LOCAL_STREAM_BLOCK);
    if (n < 0)
      break;
    if ((rc = deliver(hreq, out, block, (size_t)n, err)) < 0)
      break;
  }
  if (lr->cancel && st->wake)
    httpc_cancel_set_notify(lr->cancel, NULL, NULL); /* no wake can run after this */
  if (rc >= 0 && lr->event_rc < 0)
    rc = lr->event_rc;
  if (rc >= 0 && local_cancelled(lr->cancel))
    rc = error_set(err, -ECANCELED, NULL, "the request was cancelled");
  return rc;
}

int apiserver_local_transport(void *ctx, const char *path_and_query, const HttpcRequest *hreq,
                              HttpcResponse *out, Error *err) {
  ApiServer *s = ctx;
  const char *q = strchr(path_and_query, '?');
  _cleanup_free_ char *path =
      url_decode(path_and_query, q ? (size_t)(q - path_and_query) : strlen(path_and_query), false);
  LocalRequest lr = {.headers = hreq->headers, .cancel = hreq->cancel, .hreq = hreq, .out = out};
  if (q)
    parse_query(&lr, q + 1);
  lr.req = (HttpRequest){
      .method = hreq->method ? hreq->method : "GET",
      .path = path,
      .body = hreq->body,
      .body_len = hreq->body ? hreq->body_len : 0,
      .query = local_query,
      .header = local_header,
      .query_all = local_query_all,
      .transport = &lr,
      .fd = -1,
      .cancelled = local_cancelled,
      .cancel_arg = hreq->cancel,
      .on_watch_event = hreq->on_event && hreq->on_body ? local_watch_event : NULL,
      .watch_event_arg = &lr,
      .authenticated = true,
  };
  snprintf(lr.req.identity.user, sizeof lr.req.identity.user, "system:admin");
  snprintf(lr.req.identity.groups[0], sizeof lr.req.identity.groups[0], "system:masters");
  lr.req.identity.n_groups = 1;

  HttpResponse r = {0};
  if (lr.req.body_len > BODY_MAX_BYTES) {
    _cleanup_error_ Error e = ERROR_INIT;
    error_setk(&e, -E2BIG, 413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
    http_respond_json(&r, 413, status_from_error(&e, NULL, NULL));
  } else {
    apiserver_dispatch(s, &lr.req, &r);
  }
  fill_head(out, &r);
  int rc = hreq->on_head ? hreq->on_head(out, hreq->userdata) : 0;
  if (rc >= 0) {
    if (r.stream.fill) {
      HttpStream st = r.stream;
      r.stream = (HttpStream){0};
      rc = pump_stream(&lr, hreq, out, &st, err);
      if (st.free)
        st.free(st.state);
    } else if (!hreq->on_body && r.body.len <= (hreq->max_body ? hreq->max_body : 64u * 1024 * 1024)) {
      buf_free(&out->body);
      out->body = r.body; /* handed over, not copied: a list can be megabytes */
      r.body = (Buf)BUF_INIT;
    } else {
      rc = deliver(hreq, out, r.body.data, r.body.len, err);
    }
  }
  http_response_done(&r); /* frees a stream that on_head refused before it began */
  for (size_t i = 0; i < lr.n_args; i++) {
    free(lr.args[i].name);
    free(lr.args[i].value);
  }
  free(lr.args);
  return rc;
}
