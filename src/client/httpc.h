/* coracle's HTTP/1.1 client over GnuTLS: what src/client speaks to the API server and what the image service
 * speaks to registries. It replaced libcurl-gnutls, whose ~30 dependent libraries (libssh2 with OpenSSL's
 * libcrypto, Kerberos, LDAP, RTMP, nghttp2...) cost the server more resident memory than the code that used
 * them (docs/ARCHITECTURE.md has the figures).
 *
 * An Httpc is one TLS configuration (trust, client certificate, verification) plus a pool of keep-alive
 * connections keyed by scheme, host and port. It is thread-safe: any number of threads may run requests on
 * it at once; each request borrows a connection for its duration and gives it back if the exchange left it
 * reusable. A request on a pooled connection that the server had closed is retried once on a new
 * connection when the method is idempotent.
 *
 * What it does: http and https URLs (IPv4, IPv6 literals, names through getaddrinfo, every address tried
 * in turn), TLS 1.2/1.3 with SNI, ALPN http/1.1 and verification of the server's name or IP address;
 * Content-Length, chunked and read-until-close bodies, buffered or streamed to a callback; redirects
 * (Authorization is dropped when one leaves the original scheme, host and port); a whole-request deadline,
 * an idle limit for streams, and cancellation from another thread (an HttpcCancel, or an int flag polled
 * five times a second). It does not do proxies, cookies, compression, HTTP/2 or request pipelining.
 *
 * Errors are negative errno values with a message in the Error: -EINVAL (bad URL or options), -EHOSTUNREACH
 * (name not resolved), -ECONNREFUSED and other connect errnos, -ETIMEDOUT, -EPROTO (TLS handshake),
 * -EKEYREJECTED (the server's certificate failed verification), -ECONNRESET (connection lost mid-way),
 * -EBADMSG (not HTTP/1.x, or malformed framing), -E2BIG (a buffered body over its limit), -ELOOP (too many
 * redirects), -ECANCELED. */
#pragma once

#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* ---- URLs ---- */

typedef struct HttpcUrl {
  bool https;
  char *host;    /* IPv6 literals without their brackets */
  uint16_t port; /* 80 or 443 when the URL has none */
  char *target;  /* path and query, "/" when empty; the fragment is dropped */
} HttpcUrl;

/* Parses an absolute http:// or https:// URL. -EINVAL for anything else (other schemes, user info, a bad
 * port, spaces or control characters). ret is written only on success; free it with httpc_url_done. */
int httpc_url_parse(const char *url, HttpcUrl *ret);
void httpc_url_done(HttpcUrl *u);
/* The absolute URL that location (a Location header: absolute, "//host/p", "/p" or a relative path) names
 * from base, as a new string; NULL when location is unusable. */
char *httpc_url_resolve(const HttpcUrl *base, const char *location);
/* "host", "host:port" or "[v6]:port": the Host header (default ports left out). Appends to b. */
void httpc_url_put_authority(Buf *b, const HttpcUrl *u);

/* ---- response heads ---- */

typedef struct HttpcHeader {
  char *name;
  char *value; /* trimmed; continuation lines joined with a space */
} HttpcHeader;

typedef struct HttpcHead {
  int minor;  /* HTTP/1.<minor> */
  int status; /* 100..999 */
  HttpcHeader *headers;
  size_t n_headers;
} HttpcHead;

/* Limits on what a server may send before the body. */
#define HTTPC_HEAD_MAX (64u * 1024)
#define HTTPC_HEADERS_MAX 256

/* Length of the head at the start of data (through the empty line; CRLF or bare LF), 0 while incomplete.
 */
size_t httpc_head_length(const char *data, size_t len);
/* Parses a complete head (status line and header lines, as measured by httpc_head_length). -EBADMSG when
 * it is not an HTTP/1.x response or a line is malformed; -E2BIG past HTTPC_HEADERS_MAX. */
int httpc_head_parse(const char *data, size_t len, HttpcHead *ret);
void httpc_head_done(HttpcHead *h);
/* The value of the nth header called name (case-insensitive), NULL when there are fewer. */
const char *httpc_head_get_nth(const HttpcHead *h, const char *name, size_t nth);
static inline const char *httpc_head_get(const HttpcHead *h, const char *name) {
  return httpc_head_get_nth(h, name, 0);
}
/* Whether a comma-separated header (Connection, Transfer-Encoding) lists token, in any of its values. */
bool httpc_head_has_token(const HttpcHead *h, const char *name, const char *token);

/* ---- chunked transfer coding ---- */

typedef int (*HttpcDataFn)(const char *data, size_t len, void *userdata);

typedef struct HttpcChunked {
  int state;
  uint64_t remaining; /* of the current chunk's data */
  size_t line;        /* bytes of the current size or trailer line */
  size_t trailer;     /* bytes of trailers so far */
} HttpcChunked;

#define HTTPC_CHUNKED_INIT                                                                                   \
  { 0 }

/* Decodes in[0..len) from wherever the previous call stopped, passing the payload to fn in pieces.
 * *ret_used is how much of in was consumed. Returns 1 once the last chunk and its trailers are through
 * (bytes after that are not consumed), 0 when more input is needed, -EBADMSG on malformed input, or fn's
 * negative return. */
int httpc_chunked_feed(HttpcChunked *d, const char *in, size_t len, size_t *ret_used, HttpcDataFn fn,
                       void *userdata);

/* ---- cancellation ---- */

/* Aborts requests from another thread: each request polls the token's eventfd with its socket, so a
 * blocked read wakes at once. Triggered stays triggered until reset. One token may serve many requests. */
typedef struct HttpcCancel HttpcCancel;

HttpcCancel *httpc_cancel_new(void);
/* A token that fires when fd becomes readable (say, a pipe whose writer closes it at shutdown). fd stays the
 * caller's and must outlive the token; trigger and reset do not apply to such a token. */
HttpcCancel *httpc_cancel_new_from_fd(int fd);
void httpc_cancel_free(HttpcCancel *c);
void httpc_cancel_trigger(HttpcCancel *c); /* thread-safe (not async-signal-safe) */
bool httpc_cancel_triggered(const HttpcCancel *c);
void httpc_cancel_reset(HttpcCancel *c);
/* For a transport that does not poll the token (the API server's in-process one): fn(arg) is called by
 * httpc_cancel_trigger, from the triggering thread, while it is set. Setting it when the token is already
 * triggered calls it at once. fn NULL clears it; once that returns, fn is not running and will not run.
 * Tokens made from a caller's fd never notify (they are polled). */
void httpc_cancel_set_notify(HttpcCancel *c, void (*fn)(void *arg), void *arg);

/* ---- clients and requests ---- */

typedef struct HttpcTls {
  /* Trust: a PEM bundle in memory or a file; with neither, the system's trust store. */
  const char *ca_pem;
  const char *ca_file;
  /* A client certificate and its key, both in memory or both in files (PEM). */
  const char *cert_pem, *key_pem;
  const char *cert_file, *key_file;
  bool insecure_skip_verify; /* accept any server certificate (still encrypted, not authenticated) */
} HttpcTls;

typedef struct HttpcConfig {
  HttpcTls tls;
  const char *user_agent;       /* sent unless a request carries its own; default "coracle" */
  unsigned connect_timeout_ms;  /* TCP connect plus TLS handshake; default 10 s */
  unsigned max_idle_per_origin; /* idle connections kept per scheme+host+port; default 8 */
} HttpcConfig;

typedef struct Httpc Httpc;

/* Loads the TLS material. -EINVAL for inconsistent options, -ENOENT for a missing file, -EPROTO for PEM
 * that GnuTLS refuses. Nothing is connected yet. */
int httpc_new(const HttpcConfig *cfg, Httpc **ret, Error *err);
/* Closes the idle connections. No request may be running. */
void httpc_free(Httpc *h);
static inline void httpc_freep(Httpc **h) {
  httpc_free(*h);
}
#define _cleanup_httpc_ _cleanup_(httpc_freep)

typedef struct HttpcResponse {
  int status;
  HttpcHead head;
  Buf body;  /* the body when the request had no on_body */
  char *url; /* the URL that gave this answer (differs from the request's after redirects) */
} HttpcResponse;

#define HTTPC_RESPONSE_INIT                                                                                  \
  { 0 }

void httpc_response_done(HttpcResponse *r);
static inline const char *httpc_response_header(const HttpcResponse *r, const char *name) {
  return httpc_head_get(&r->head, name);
}

/* Receives the final answer's body piece by piece; resp has the status and headers. A negative return
 * stops the request, closes its connection and is returned by httpc_request. */
typedef int (*HttpcBodyFn)(const HttpcResponse *resp, const char *data, size_t len, void *userdata);
/* Called once with the final answer's status and headers, before any of its body (a relay can answer its
 * own client at once). A negative return stops the request like HttpcBodyFn's. */
typedef int (*HttpcHeadFn)(const HttpcResponse *resp, void *userdata);
/* A watch event handed over as an object instead of bytes, by an in-process transport that holds it parsed
 * (httpc itself never calls it): type is "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"; obj is
 * borrowed and shared with the server, so immutable (incref to keep it, never modify it). A negative
 * return stops the request like HttpcBodyFn's. */
typedef struct json_t json_t;
typedef int (*HttpcEventFn)(const HttpcResponse *resp, const char *type, json_t *obj, void *userdata);

typedef struct HttpcRequest {
  const char *method;         /* default "GET" */
  const char *url;            /* absolute http(s) URL */
  const char *const *headers; /* extra "Name: value" lines, NULL-terminated; may be NULL */
  const char *body;           /* sent with Content-Length; may be NULL */
  size_t body_len;
  unsigned timeout_ms;      /* the whole exchange, redirects included; 0 = no limit */
  unsigned idle_timeout_ms; /* longest silence from the server once the request is sent; 0 = no limit */
  unsigned max_redirects;   /* 3xx answers followed; 0 = returned as they are */
  size_t max_body;          /* buffered bodies only; 0 = 64 MiB */
  HttpcBodyFn on_body;      /* stream the final body here instead of buffering it */
  HttpcHeadFn on_head;      /* optional: the final answer's head, before its body */
  HttpcEventFn on_event;    /* optional, with on_body: a watch's events as objects where the transport can */
  void *userdata;
  HttpcCancel *cancel;    /* optional */
  const int *cancel_flag; /* optional: non-zero = cancel, polled every 200 ms */
} HttpcRequest;

/* Performs req. Returns 0 once an answer (of any status) was read completely, with resp filled in; a
 * negative errno with err set otherwise (resp may then hold a partial answer). resp must be initialised
 * with HTTPC_RESPONSE_INIT and released with httpc_response_done in every case. */
int httpc_request(Httpc *h, const HttpcRequest *req, HttpcResponse *resp, Error *err);

/* Appends s percent-encoded for a query value (RFC 3986 unreserved characters kept). */
void httpc_put_escaped(Buf *b, const char *s);
