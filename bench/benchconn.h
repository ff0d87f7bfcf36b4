/* The HTTPS client of the C load generators (bench-apiserver, bench-scheduler-load): one blocking keep-alive
 * connection per thread (GnuTLS, the server verified against the cluster CA, the admin bearer token) and
 * just enough HTTP/1.1 framing to read answers (status, Content-Length, chunked). The generators share the
 * machine with the server they measure, so this does as little as it can per request: bodies are never
 * decoded here. conn_ names the connection's functions, bench_ the other helpers both programs need. */
#pragma once

#include <gnutls/gnutls.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "base/buf.h"

/* The server every connection of a program talks to; set up once by conn_server_init before any thread
 * starts, read-only afterwards. */
typedef struct ConnServer {
  const char *prog; /* prefixes error messages; also the User-Agent */
  const char *host; /* an IPv4 address */
  int port;
  char *token;
  gnutls_certificate_credentials_t creds;
} ConnServer;

/* Reads the bearer token (first word of token_path) and loads the CA; prints what failed and returns
 * -EINVAL or -ENOENT. host and prog are borrowed and must outlive s. */
int conn_server_init(ConnServer *s, const char *prog, const char *host, int port, const char *ca_path,
                     const char *token_path);
void conn_server_done(ConnServer *s);

typedef struct Conn {
  int fd;
  gnutls_session_t tls;
  Buf in; /* received bytes; the unconsumed ones start at in.data + off */
  size_t off;
} Conn;

/* Connects and completes the TLS handshake. Blocking I/O with a 30 s timeout so that a stuck server fails
 * the run instead of hanging it. On failure c is left closed (fd -1). */
int conn_open(Conn *c, const ConnServer *s);
/* Accepts a closed connection. */
void conn_close(Conn *c);
int conn_send(Conn *c, const char *data, size_t len);

static inline size_t conn_avail(const Conn *c) {
  return c->in.len - c->off;
}
static inline const char *conn_data(const Conn *c) {
  return c->in.data + c->off;
}

/* Reads at least one TLS record. >0 bytes added, 0 at EOF, -EAGAIN when a non-blocking socket (or the
 * blocking timeout) has nothing, other negatives on errors. */
ssize_t conn_fill(Conn *c);
/* Blocking fill: a timeout or EOF is an error here. */
int conn_fill_wait(Conn *c);

typedef struct ConnHead {
  int status;
  long long content_length; /* -1 when absent */
  bool chunked;
} ConnHead;

/* Reads a response's status line and headers (blocking). */
int conn_read_head(Conn *c, ConnHead *h);
/* Takes one whole chunk of a chunked body from what has been received. 1 = a data chunk was taken (appended
 * to body if given, its size added to *bytes, its newlines counted: a watch event ends with one), 2 = the
 * last chunk, 0 = not all there yet, <0 = malformed. body, bytes and newlines may be NULL. */
int conn_chunk_take(Conn *c, Buf *body, size_t *bytes, size_t *newlines);
/* Reads a response body (blocking) into body, or counts and drops it when body is NULL. */
int conn_read_body(Conn *c, const ConnHead *h, Buf *body, size_t *ret_len);
/* One request on a keep-alive connection: sends it, reads the whole answer. */
int conn_roundtrip(Conn *c, const Buf *req, ConnHead *h, Buf *body, size_t *ret_len);

/* Requests, whole, into b (reset first). A POST's headers and body go out as one buffer: one TLS record,
 * one write. */
void conn_build_get(Buf *b, const ConnServer *s, const char *path);
void conn_build_post(Buf *b, const ConnServer *s, const char *path, const Buf *body);

/* Opens a connection and starts a watch (any GET answered with a chunked 200) with the request req: on
 * success the head has been read and the events follow. *status is the answer's status, 0 when none came;
 * on failure c is left closed. */
int conn_open_stream(Conn *c, const ConnServer *s, const Buf *req, int *status);
/* Creates namespace ns; already existing (409) is fine. Prints what failed. */
int conn_create_namespace(Conn *c, const ConnServer *s, const char *ns);
/* The resourceVersion of a LIST at path (the first one in the answer: metadata precedes items). */
int conn_list_revision(Conn *c, const ConnServer *s, const char *path, char rv[static 24]);

/* A command-line number in lo..hi; anything else prints "PROG: WHAT must be LO..HI" and exits 1. */
unsigned bench_parse_uint(const char *prog, const char *s, const char *what, unsigned lo, unsigned hi);
/* User + system CPU seconds of getrusage(who): RUSAGE_SELF, or RUSAGE_CHILDREN (the waited-for ones). */
double bench_cpu_seconds(int who);
