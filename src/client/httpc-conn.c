/* Connections of the HTTP client (see httpc-internal.h): non-blocking sockets driven by poll(2) so that
 * every wait honours the request's deadline, its idle limit and its cancel token (whose eventfd is polled
 * with the socket: a watch blocked for minutes wakes the moment another thread cancels it). TLS is GnuTLS
 * on the same non-blocking socket; its transport functions send with MSG_NOSIGNAL so that a peer that went
 * away is an error, not a SIGPIPE. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/httpc-internal.h"

/* A TLS record carries at most 16 KiB, and gnutls_record_recv returns one record at a time. */
/* Bytes asked of the socket per read: one page with Buf's NUL. Most connections are watches that sit idle
 * with a few hundred bytes at a time; a long body just takes more reads. */
#define READ_CHUNK (4u * 1024 - 1)
#define FLAG_POLL_MS 200

/* ---- cancellation ---- */

HttpcCancel *httpc_cancel_new(void) {
  HttpcCancel *c = xzalloc(sizeof *c);
  atomic_init(&c->triggered, false);
  pthread_mutex_init(&c->lock, NULL);
  c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->efd < 0)
    abort(); /* out of file descriptors at start-up: nothing sensible to do */
  return c;
}

HttpcCancel *httpc_cancel_new_from_fd(int fd) {
  HttpcCancel *c = xzalloc(sizeof *c);
  atomic_init(&c->triggered, false);
  pthread_mutex_init(&c->lock, NULL);
  c->efd = fd;
  c->external = true;
  return c;
}

void httpc_cancel_free(HttpcCancel *c) {
  if (!c)
    return;
  if (!c->external)
    close(c->efd);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

void httpc_cancel_trigger(HttpcCancel *c) {
  atomic_store(&c->triggered, true);
  if (c->external)
    return;
  uint64_t one = 1;
  ssize_t n = write(c->efd, &one, sizeof one);
  (void)n; /* EAGAIN only when the counter is already huge: still readable */
  pthread_mutex_lock(&c->lock);
  if (c->notify)
    c->notify(c->notify_arg);
  pthread_mutex_unlock(&c->lock);
}

void httpc_cancel_set_notify(HttpcCancel *c, void (*fn)(void *arg), void *arg) {
  if (c->external)
    return;
  pthread_mutex_lock(&c->lock);
  c->notify = fn;
  c->notify_arg = fn ? arg : NULL;
  if (fn && atomic_load(&c->triggered))
    fn(arg);
  pthread_mutex_unlock(&c->lock);
}

static bool fd_readable(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

bool httpc_cancel_triggered(const HttpcCancel *c) {
  if (c->external)
    return fd_readable(c->efd);
  return atomic_load(&((HttpcCancel *)c)->triggered);
}

void httpc_cancel_reset(HttpcCancel *c) {
  atomic_store(&c->triggered, false);
  if (c->external)
    return;
  uint64_t v;
  ssize_t n = read(c->efd, &v, sizeof v);
  (void)n;
}

bool httpc_io_cancelled(const HttpcIo *io) {
  return (io->cancel && httpc_cancel_triggered(io->cancel)) ||
         (io->cancel_flag && __atomic_load_n(io->cancel_flag, __ATOMIC_RELAXED));
}

/* Waits until fd has events, or fails with -ECANCELED / -ETIMEDOUT. limit (monotonic µs, 0 = none) is an
 * extra deadline of the step (the connect timeout); reading arms the idle limit. */
static int io_wait(int fd, short events, const HttpcIo *io, uint64_t limit, bool reading, Error *err) {
  uint64_t start = now_monotonic_usec();
  for (;;) {
    if (httpc_io_cancelled(io))
      return error_set(err, -ECANCELED, NULL, "request cancelled");
    uint64_t now = now_monotonic_usec();
    int64_t wait_ms = -1;
    uint64_t until = io->deadline;
    if (limit && (!until || limit < until))
      until = limit;
    if (until) {
      if (now >= until)
        return error_set(err, -ETIMEDOUT, NULL, "timed out");
      wait_ms = (int64_t)((until - now + 999) / 1000);
    }
    if (reading && io->idle_ms) {
      uint64_t idle_end = start + (uint64_t)io->idle_ms * 1000;
      if (now >= idle_end)
        return error_set(err, -ETIMEDOUT, NULL, "nothing received for %u s", io->idle_ms / 1000);
      int64_t left = (int64_t)((idle_end - now + 999) / 1000);
      if (wait_ms < 0 || left < wait_ms)
        wait_ms = left;
    }
    if (io->cancel_flag && (wait_ms < 0 || wait_ms > FLAG_POLL_MS))
      wait_ms = FLAG_POLL_MS;
    struct pollfd p[2] = {{.fd = fd, .events = events},
                          {.fd = io->cancel ? io->cancel->efd : -1, .events = POLLIN}};
    int n = poll(p, io->cancel ? 2 : 1, (int)MIN(wait_ms, (int64_t)INT32_MAX));
    if (n < 0 && errno != EINTR)
      return error_set(err, -errno, NULL, "poll: %m");
    if (n > 0 && p[0].revents)
      return 0;
    if (n > 0 && p[1].revents && !io->cancel->external && !atomic_load(&io->cancel->triggered)) {
      /* Left readable by a reset that raced with a trigger: drain so that poll sleeps again. */
      uint64_t v;
      ssize_t r = read(io->cancel->efd, &v, sizeof v);
      (void)r;
    }
  }
}

/* ---- GnuTLS transport ---- */

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len) {
  HttpcConn *c = ptr;
  ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
  if (n < 0)
    gnutls_transport_set_errno(c->tls, errno);
  return n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len) {
  HttpcConn *c = ptr;
  ssize_t n = recv(c->fd, data, len, 0);
  if (n < 0)
    gnutls_transport_set_errno(c->tls, errno);
  return n;
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms) {
  HttpcConn *c = ptr;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  return poll(&p, 1, (int)ms);
}

static int tls_wait(HttpcConn *c, const HttpcIo *io, uint64_t limit, bool reading, Error *err) {
  short ev = gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN;
  return io_wait(c->fd, ev, io, limit, reading, err);
}

/* ---- connecting ---- */

static bool is_ip_literal(const char *host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int tcp_connect(const HttpcUrl *u, const HttpcIo *io, uint64_t limit, int *ret_fd, Error *err) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)u->port);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  int g = getaddrinfo(u->host, port, &hints, &res);
  if (g != 0)
    return error_set(err, -EHOSTUNREACH, NULL, "could not resolve host %s: %s", u->host,
                     g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
  int last = -ECONNREFUSED;
  Error e = ERROR_INIT;
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
    error_reset(&e);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
      last = -errno;
      continue;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      r = io_wait(fd, POLLOUT, io, limit, false, &e);
      if (r == -ECANCELED) {
        close(fd);
        freeaddrinfo(res);
        error_reset(&e);
        return error_set(err, -ECANCELED, NULL, "request cancelled");
      }
      if (r == 0) {
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
          soerr = errno;
        if (soerr) {
          errno = soerr;
          r = -1;
        }
      } else {
        last = r;
        close(fd);
        continue;
      }
    }
    if (r < 0) {
      last = -errno;
      close(fd);
      continue;
    }
    freeaddrinfo(res);
    *ret_fd = fd;
    return 0;
  }
  freeaddrinfo(res);
  error_reset(&e);
  if (last == -ETIMEDOUT)
    return error_set(err, last, NULL, "connecting to %s port %u: timed out", u->host, (unsigned)u->port);
  return error_set(err, last, NULL, "connecting to %s port %u: %s", u->host, (unsigned)u->port,
                   strerror(-last));
}

/* The default priorities as one cache for every session: gnutls_set_default_priority builds a new one
 * (~8 KB) per session; sessions hold a reference to the shared one. Kept for the life of the process. */
static gnutls_priority_t shared_priority;
static pthread_once_t shared_priority_once = PTHREAD_ONCE_INIT;

static void init_shared_priority(void) {
  if (gnutls_priority_init2(&shared_priority, NULL, NULL, 0) < 0)
    shared_priority = NULL;
}

static gnutls_priority_t default_priority(void) {
  pthread_once(&shared_priority_once, init_shared_priority);
  return shared_priority;
}

static int tls_handshake(HttpcConn *c, const HttpcUrl *u, gnutls_certificate_credentials_t creds, bool verify,
                         const HttpcIo *io, uint64_t limit, Error *err) {
  int r = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
  if (r < 0) {
    c->tls = NULL;
    return error_set(err, -EPROTO, NULL, "gnutls_init: %s", gnutls_strerror(r));
  }
  gnutls_priority_t prio = default_priority();
  if (prio)
    gnutls_priority_set(c->tls, prio);
  else
    gnutls_set_default_priority(c->tls);
  gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, creds);
  if (!is_ip_literal(u->host))
    gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, u->host, strlen(u->host));
  if (verify)
    gnutls_session_set_verify_cert(c->tls, u->host, 0);
  static const gnutls_datum_t alpn = {(unsigned char *)"http/1.1", 8};
  gnutls_alpn_set_protocols(c->tls, &alpn, 1, 0);
  gnutls_transport_set_ptr(c->tls, c);
  gnutls_transport_set_push_function(c->tls, tls_push);
  gnutls_transport_set_pull_function(c->tls, tls_pull);
  gnutls_transport_set_pull_timeout_function(c->tls, tls_pull_timeout);
  for (;;) {
    r = gnutls_handshake(c->tls);
    if (r == GNUTLS_E_SUCCESS)
      return 0;
    if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
      int w = tls_wait(c, io, limit, false, err);
      if (w < 0)
        return w == -ETIMEDOUT ? error_set(err, w, NULL, "TLS handshake with %s port %u: timed out", u->host,
                                           (unsigned)u->port)
                               : w;
      continue;
    }
    if (!gnutls_error_is_fatal(r))
      continue;
    if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
      gnutls_datum_t out = {0};
      unsigned st = gnutls_session_get_verify_cert_status(c->tls);
      gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0);
      int e = error_set(err, -EKEYREJECTED, NULL, "the certificate of %s failed verification: %s", u->host,
                        out.data ? (const char *)out.data : "unknown reason");
      gnutls_free(out.data);
      return e;
    }
    return error_set(err, -EPROTO, NULL, "TLS handshake with %s port %u: %s", u->host, (unsigned)u->port,
                     gnutls_strerror(r));
  }
}

int httpc_conn_open(const HttpcUrl *u, gnutls_certificate_credentials_t creds, bool verify,
                    unsigned connect_timeout_ms, const HttpcIo *io, HttpcConn **ret, Error *err) {
  uint64_t limit = connect_timeout_ms ? now_monotonic_usec() + (uint64_t)connect_timeout_ms * 1000 : 0;
  HttpcConn *c = xzalloc(sizeof *c);
  c->fd = -1;
  c->https = u->https;
  c->host = xstrdup(u->host);
  c->port = u->port;
  int r = tcp_connect(u, io, limit, &c->fd, err);
  if (r >= 0 && u->https)
    r = tls_handshake(c, u, creds, verify, io, limit, err);
  if (r < 0) {
    httpc_conn_close(c);
    return r;
  }
  *ret = c;
  return 0;
}

void httpc_conn_close(HttpcConn *c) {
  if (!c)
    return;
  if (c->tls) {
    /* No close_notify: the connection is dropped, and waiting for the peer would only delay us. */
    gnutls_deinit(c->tls);
  }
  if (c->fd >= 0)
    close(c->fd);
  buf_free(&c->in);
  free(c->host);
  free(c);
}

/* ---- I/O ---- */

int httpc_conn_write(HttpcConn *c, const char *data, size_t len, const HttpcIo *io, Error *err) {
  size_t off = 0;
  while (off < len) {
    ssize_t n;
    if (c->tls) {
      n = gnutls_record_send(c->tls, data + off, len - off);
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
        int w = tls_wait(c, io, 0, false, err);
        if (w < 0)
          return w;
        continue;
      }
      if (n < 0)
        return error_set(err, -ECONNRESET, NULL, "sending to %s: %s", c->host, gnutls_strerror((int)n));
    } else {
      n = send(c->fd, data + off, len - off, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        int w = io_wait(c->fd, POLLOUT, io, 0, false, err);
        if (w < 0)
          return w;
        continue;
      }
      if (n < 0)
        return error_set(err, -ECONNRESET, NULL, "sending to %s: %m", c->host);
    }
    off += (size_t)n;
  }
  return 0;
}

int httpc_conn_fill(HttpcConn *c, const HttpcIo *io, Error *err) {
  if (c->in_off > 0 && c->in_off == c->in.len) {
    buf_reset(&c->in);
    c->in_off = 0;
  } else if (c->in_off > READ_CHUNK) {
    /* Keep the unconsumed tail at the front so the buffer does not grow without bound. */
    memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
    c->in.len -= c->in_off;
    c->in_off = 0;
  }
  buf_reserve(&c->in, READ_CHUNK);
  char *dst = c->in.data + c->in.len;
  size_t room = c->in.cap - c->in.len - 1; /* Buf keeps a NUL after its content */
  for (;;) {
    if (httpc_io_cancelled(io))
      return error_set(err, -ECANCELED, NULL, "request cancelled");
    ssize_t n;
    if (c->tls) {
      n = gnutls_record_recv(c->tls, dst, room);
      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
        int w = tls_wait(c, io, 0, true, err);
        if (w < 0)
          return w;
        continue;
      }
      if (n == GNUTLS_E_PREMATURE_TERMINATION)
        n = 0; /* closed without close_notify: framing tells whether anything is missing */
      else if (n == GNUTLS_E_REHANDSHAKE || n == GNUTLS_E_WARNING_ALERT_RECEIVED)
        continue;
      else if (n < 0)
        return error_set(err, -ECONNRESET, NULL, "receiving from %s: %s", c->host, gnutls_strerror((int)n));
    } else {
      n = recv(c->fd, dst, room, 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        int w = io_wait(c->fd, POLLIN, io, 0, true, err);
        if (w < 0)
          return w;
        continue;
      }
      if (n < 0)
        return error_set(err, -ECONNRESET, NULL, "receiving from %s: %m", c->host);
    }
    c->in.len += (size_t)n;
    c->in.data[c->in.len] = 0;
    return (int)MIN(n, (ssize_t)INT32_MAX);
  }
}

bool httpc_conn_idle_ok(HttpcConn *c) {
  if (c->in.len > c->in_off || (c->tls && gnutls_record_check_pending(c->tls) > 0))
    return false;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  /* Readable while idle means EOF, a reset, or bytes nobody asked for (a TLS alert): not reusable. A TLS
   * 1.3 session ticket arriving late is the one harmless case; the cost of dropping it is one handshake. */
  return poll(&p, 1, 0) == 0;
}
