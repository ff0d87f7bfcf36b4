/* Watches: one long-lived GET ?watch=1 per call, streamed through the HTTP engine's body callback that cuts
 * the answer into newline-delimited events (whatever the TCP/TLS chunking) and hands each to the caller's
 * function from the calling thread. Over the in-process transport the events arrive as objects instead
 * (HttpcRequest.on_event): the API server's immutable ones, which the caller must not modify either way.
 * Stopping from another thread goes through a ClientCancel, whose eventfd the engine polls with the socket.
 */
#include <errno.h>

#include "api/jsonfast.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "client/client-internal.h"

/* An event carries one object (at most 3 MiB as the server stores it) plus its envelope. */
#define WATCH_MAX_LINE (16u * 1024 * 1024)
/* With bookmarks the server sends something at least every minute; silence longer than this means the
 * connection is dead (a peer that vanished without a FIN or RST). */
#define WATCH_SILENCE_SEC 150u
/* Slack over timeoutSeconds before the client gives up on a server that did not end the stream itself. */
#define WATCH_TIMEOUT_SLACK_SEC 30u
#define WATCH_MAX_ERROR_BODY (64u * 1024)

static const char *const event_types[_CLIENT_WATCH_MAX] = {
    [CLIENT_WATCH_ADDED] = "ADDED",     [CLIENT_WATCH_MODIFIED] = "MODIFIED",
    [CLIENT_WATCH_DELETED] = "DELETED", [CLIENT_WATCH_BOOKMARK] = "BOOKMARK",
    [CLIENT_WATCH_ERROR] = "ERROR",
};

const char *client_watch_event_type_to_string(ClientWatchEventType t) {
  return t >= 0 && t < _CLIENT_WATCH_MAX ? event_types[t] : NULL;
}

ClientWatchEventType client_watch_event_type_from_string(const char *s) {
  for (int i = 0; s && i < _CLIENT_WATCH_MAX; i++)
    if (streq(s, event_types[i]))
      return (ClientWatchEventType)i;
  return CLIENT_WATCH_INVALID;
}

/* ---- line splitting ---- */

void client_line_splitter_init(ClientLineSplitter *s, size_t max_line, ClientLineFn on_line, void *userdata) {
  *s = (ClientLineSplitter){
      .partial = BUF_INIT, .max_line = max_line, .on_line = on_line, .userdata = userdata};
}

void client_line_splitter_done(ClientLineSplitter *s) {
  buf_free(&s->partial);
}

static int emit_line(ClientLineSplitter *s, const char *line, size_t len) {
  if (len > 0 && line[len - 1] == '\r')
    len--;
  if (len == 0)
    return 0;
  int rc = s->on_line(line, len, s->userdata);
  return rc < 0 ? rc : 0;
}

int client_line_splitter_feed(ClientLineSplitter *s, const char *data, size_t len) {
  while (len > 0) {
    const char *nl = memchr(data, '\n', len);
    size_t seg = nl ? (size_t)(nl - data) : len;
    if (s->partial.len + seg > s->max_line)
      return -E2BIG;
    if (!nl) {
      buf_append(&s->partial, data, len);
      return 0;
    }
    int rc;
    if (s->partial.len) {
      /* The line started in an earlier chunk: finish it in the buffer. */
      buf_append(&s->partial, data, seg);
      rc = emit_line(s, s->partial.data, s->partial.len);
      buf_reset(&s->partial);
    } else {
      rc = emit_line(s, data, seg);
    }
    if (rc < 0)
      return rc;
    data += seg + 1;
    len -= seg + 1;
  }
  return 0;
}

int client_watch_event_decode(const char *line, size_t len, bool drop_managed_fields,
                              ClientWatchEventType *ret_type, json_t **ret_object, Error *err) {
  json_error_t je;
  /* The event's object sits at depth 2 (event, object). */
  _cleanup_json_ json_t *ev = json_fast_loadb_drop(line, len, drop_managed_fields ? 2 : 0, &je);
  if (!ev)
    return error_set(err, -EBADMSG, NULL, "watch event is not JSON: %s", je.text);
  const char *type = jstr(ev, "type");
  ClientWatchEventType t = client_watch_event_type_from_string(type);
  if (t == CLIENT_WATCH_INVALID)
    return error_set(err, -EBADMSG, NULL, "watch event of unknown type \"%s\"", type ? type : "");
  json_t *obj = json_object_get(ev, "object");
  if (!json_is_object(obj))
    return error_set(err, -EBADMSG, NULL, "%s watch event without an object", type);
  *ret_type = t;
  *ret_object = json_incref(obj);
  return 0;
}

/* ---- the watch transfer ---- */

typedef struct WatchState {
  ClientLineSplitter split;
  ClientWatchFn fn;
  void *userdata;
  long http;    /* status, once the headers are in */
  Buf err_body; /* the answer of a refused watch */
  int stop_rc;  /* why the write callback aborted the transfer */
  Error *err;
  size_t events;
  bool drop_managed_fields;
} WatchState;

static int watch_line(const char *line, size_t len, void *userdata) {
  WatchState *w = userdata;
  ClientWatchEventType type;
  json_t *obj = NULL;
  int rc = client_watch_event_decode(line, len, w->drop_managed_fields, &type, &obj, w->err);
  if (rc < 0)
    return rc;
  w->events++;
  rc = w->fn(type, obj, w->userdata);
  json_decref(obj);
  return rc;
}

/* The in-process transport's short cut: the event already parsed (the server's own immutable object). */
static int watch_object(const HttpcResponse *resp, const char *type, json_t *obj, void *userdata) {
  WatchState *w = userdata;
  w->http = resp->status;
  ClientWatchEventType t = client_watch_event_type_from_string(type);
  int rc = t == CLIENT_WATCH_INVALID
               ? error_set(w->err, -EBADMSG, NULL, "watch event of unknown type \"%s\"", type ? type : "")
               : (w->events++, w->fn(t, obj, w->userdata));
  if (rc < 0)
    w->stop_rc = rc;
  return rc < 0 ? rc : 0;
}

static int watch_body(const HttpcResponse *resp, const char *data, size_t n, void *userdata) {
  WatchState *w = userdata;
  w->http = resp->status;
  if (w->http != 200) {
    if (w->err_body.len + n <= WATCH_MAX_ERROR_BODY)
      buf_append(&w->err_body, data, n);
    return 0;
  }
  int rc = client_line_splitter_feed(&w->split, data, n);
  if (rc < 0) {
    if (rc == -E2BIG)
      error_set(w->err, rc, NULL, "a watch event is longer than %u bytes", WATCH_MAX_LINE);
    w->stop_rc = rc;
    return rc; /* stops the transfer */
  }
  return 0;
}

static void query_add(Buf *b, const char *key, const char *value) {
  buf_putc(b, '&');
  buf_puts(b, key);
  buf_putc(b, '=');
  client_url_escape(b, value);
}

int client_watch(Client *c, const ApiResource *r, const char *ns, const ClientWatchOptions *opts,
                 ClientWatchFn fn, void *userdata, Error *err) {
  static const ClientWatchOptions none = {0};
  if (!opts)
    opts = &none;
  _cleanup_buf_ Buf path = BUF_INIT;
  client_build_path(&path, r, ns, NULL, NULL);
  buf_puts(&path, "?watch=1");
  if (!isempty(opts->resource_version))
    query_add(&path, "resourceVersion", opts->resource_version);
  if (!isempty(opts->label_selector))
    query_add(&path, "labelSelector", opts->label_selector);
  if (!isempty(opts->field_selector))
    query_add(&path, "fieldSelector", opts->field_selector);
  if (opts->allow_bookmarks)
    buf_puts(&path, "&allowWatchBookmarks=true");
  if (opts->timeout_sec)
    buf_printf(&path, "&timeoutSeconds=%u", opts->timeout_sec);

  WatchState w = {.fn = fn,
                  .userdata = userdata,
                  .err_body = BUF_INIT,
                  .err = err,
                  .drop_managed_fields = opts && opts->drop_managed_fields};
  client_line_splitter_init(&w.split, WATCH_MAX_LINE, watch_line, &w);
  HttpcRequest req = {
      .method = "GET",
      .timeout_ms = opts->timeout_sec ? (opts->timeout_sec + WATCH_TIMEOUT_SLACK_SEC) * 1000u : 0,
      .idle_timeout_ms = opts->allow_bookmarks ? WATCH_SILENCE_SEC * 1000u : 0,
      .on_body = watch_body,
      .on_event = watch_object,
      .userdata = &w,
      .cancel = client_cancel_httpc(opts->cancel),
  };
  HttpcResponse resp = HTTPC_RESPONSE_INIT;
  log_debug("client", "watch resource=%s ns=%s rv=%s", r->resource, ns ? ns : "",
            opts->resource_version ? opts->resource_version : "");
  Error perr = ERROR_INIT;
  int rc = client_perform(c, path.data, NULL, &req, &resp, &perr);
  if (!w.http)
    w.http = resp.status;
  httpc_response_done(&resp);

  if (w.stop_rc < 0) {
    rc = w.stop_rc; /* the handler's own code, or a decoding error already in err */
  } else if (rc < 0) {
    if (err) {
      error_reset(err);
      *err = perr;
      perr = (Error)ERROR_INIT;
    }
  } else if (w.http != 200) {
    rc = client_error_from_response(w.http, w.err_body.data, w.err_body.len, err);
  } else if (w.split.partial.len) {
    /* The last event lacked its newline; the stream still ended cleanly. */
    _cleanup_free_ char *tail = buf_steal(&w.split.partial, NULL);
    rc = watch_line(tail, strlen(tail), &w);
    if (rc > 0)
      rc = 0;
  }
  error_reset(&perr);
  log_debug("client", "watch resource=%s ended rc=%d events=%zu http=%ld", r->resource, rc, w.events, w.http);
  client_line_splitter_done(&w.split);
  buf_free(&w.err_body);
  return rc < 0 ? rc : 0;
}
