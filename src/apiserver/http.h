/* The API server's view of one HTTP request and its answer, independent of libmicrohttpd so that handlers
 * can be unit-tested: request line, parsed path, query lookup, headers, body, the authenticated identity;
 * and a Response that is either a complete body or a stream produced by a callback. */
#pragma once

#include <jansson.h>

#include "apiserver/pki.h"
#include "base/buf.h"
#include "base/error.h"

#define HTTP_MAX_SEGMENTS 16

typedef struct HttpRequest {
  const char *method;
  const char *path;
  char *segv[HTTP_MAX_SEGMENTS]; /* decoded path segments */
  size_t segc;
  const char *body;
  size_t body_len;
  /* lookup callbacks (implemented by the transport) */
  const char *(*query)(const struct HttpRequest *req, const char *name);
  const char *(*header)(const struct HttpRequest *req, const char *name);
  /* calls cb for every query argument named name (repeated args such as command=) */
  void (*query_all)(const struct HttpRequest *req, const char *name, void (*cb)(const char *v, void *u),
                    void *u);
  void *transport;
  int fd; /* the connection's socket, to notice a client that went away during a stream */
  /* An in-process transport has no socket: a stream asks cancelled(cancel_arg) instead (NULL otherwise). */
  bool (*cancelled)(void *cancel_arg);
  void *cancel_arg;
  /* An in-process transport whose client takes a watch's events as objects: a watch in the storage version
   * hands each event's object here (shared, never to be modified) instead of writing its bytes; a negative
   * return ends the stream. NULL otherwise. */
  int (*on_watch_event)(void *arg, const char *type, json_t *obj);
  void *watch_event_arg;
  PkiIdentity identity;
  bool authenticated;
} HttpRequest;

/* A streaming body: fill() writes up to max bytes into buf and returns the count, 0 to be called again
 * (after it blocked for a while), or -1 at the end of the stream. free() releases the state. */
typedef struct HttpStream {
  ssize_t (*fill)(void *state, char *buf, size_t max);
  void (*free)(void *state);
  /* Optional, thread-safe: makes a fill blocked waiting for data return soon, for a transport whose client
   * cancelled (the fill then sees the request's cancelled()). */
  void (*wake)(void *state);
  void *state;
} HttpStream;

typedef struct HttpResponse {
  int status;
  char content_type[128];
  Buf body;
  HttpStream stream;       /* used when stream.fill != NULL */
  char *extra_headers[48]; /* "Name: value" (Warning headers can be many) */
  size_t n_extra;
} HttpResponse;

void http_response_done(HttpResponse *r);
void http_response_add_header(HttpResponse *r, const char *name, const char *value);
/* Sets a JSON body (compact) with status and content type application/json. Steals j. */
void http_respond_json(HttpResponse *r, int status, json_t *j);
/* Sets a raw body. */
void http_respond_raw(HttpResponse *r, int status, const char *content_type, const char *data, size_t len);

/* Query helpers with defaults. */
const char *http_query(const HttpRequest *req, const char *name);
bool http_query_bool(const HttpRequest *req, const char *name);
/* Parses an integer query parameter; -EBADMSG if present and malformed. */
int http_query_int(const HttpRequest *req, const char *name, int64_t def, int64_t *ret, Error *err);
const char *http_header(const HttpRequest *req, const char *name);
