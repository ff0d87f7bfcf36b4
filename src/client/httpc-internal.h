/* Declarations shared by httpc.c (pool, requests, redirects) and httpc-conn.c (sockets, TLS, waiting with
 * deadlines and cancellation). Not for use outside src/client's HTTP client. */
#pragma once

#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdatomic.h>

#include "client/httpc.h"

struct HttpcCancel {
  atomic_bool triggered;
  int efd;              /* eventfd, readable once triggered; or the caller's fd */
  bool external;        /* efd is the caller's: readable means cancelled */
  pthread_mutex_t lock; /* guards the notification below */
  void (*notify)(void *arg);
  void *notify_arg;
};

/* The limits a blocking step of one request runs under. */
typedef struct HttpcIo {
  uint64_t deadline; /* monotonic µs; 0 = none */
  unsigned idle_ms;  /* longest wait for incoming bytes; 0 = none */
  HttpcCancel *cancel;
  const int *cancel_flag;
} HttpcIo;

/* One TCP connection, with TLS for https. Used by one request at a time; idle ones live in the pool. */
typedef struct HttpcConn {
  struct HttpcConn *next; /* in the pool */
  int fd;
  gnutls_session_t tls; /* NULL for http */
  bool https;
  char *host;
  uint16_t port;
  Buf in; /* bytes received and not yet consumed, from in_off */
  size_t in_off;
  uint64_t idle_since; /* monotonic µs, while pooled */
  unsigned requests;   /* served so far */
} HttpcConn;

/* Resolves, connects (every address in turn, non-blocking with the connect timeout) and, for https, runs
 * the TLS handshake with creds: SNI unless the host is an IP literal, ALPN http/1.1, and verification of
 * the certificate against the host unless verify is false. */
int httpc_conn_open(const HttpcUrl *u, gnutls_certificate_credentials_t creds, bool verify,
                    unsigned connect_timeout_ms, const HttpcIo *io, HttpcConn **ret, Error *err);
void httpc_conn_close(HttpcConn *c);
/* Sends all of data. -ECONNRESET when the peer is gone. */
int httpc_conn_write(HttpcConn *c, const char *data, size_t len, const HttpcIo *io, Error *err);
/* Waits for and appends more received bytes to c->in: the count (> 0), 0 at a clean end of stream. */
int httpc_conn_fill(HttpcConn *c, const HttpcIo *io, Error *err);
/* For a pooled connection: false when the server has closed it (or sent something unasked). */
bool httpc_conn_idle_ok(HttpcConn *c);
/* Whether the cancel token or flag has fired. */
bool httpc_io_cancelled(const HttpcIo *io);
