/* The HTTPS keep-alive client shared by the C load generators: connections, request building and the
 * HTTP/1.1 framing of answers (see benchconn.h). */
#include "benchconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/util.h"

#define HEAD_MAX (64 * 1024)
#define IO_TIMEOUT_SEC 30

int conn_server_init(ConnServer *s, const char *prog, const char *host, int port, const char *ca_path,
                     const char *token_path) {
  *s = (ConnServer){.prog = prog, .host = host, .port = port};
  if (read_file(token_path, &s->token, NULL) < 0) {
    fprintf(stderr, "%s: cannot read %s\n", prog, token_path);
    return -ENOENT;
  }
  s->token[strcspn(s->token, " \r\n")] = 0;
  gnutls_certificate_allocate_credentials(&s->creds);
  if (gnutls_certificate_set_x509_trust_file(s->creds, ca_path, GNUTLS_X509_FMT_PEM) <= 0) {
    fprintf(stderr, "%s: cannot load CA %s\n", prog, ca_path);
    conn_server_done(s);
    return -EINVAL;
  }
  return 0;
}

void conn_server_done(ConnServer *s) {
  if (s->creds)
    gnutls_certificate_free_credentials(s->creds);
  free(s->token);
  s->creds = NULL;
  s->token = NULL;
}

void conn_close(Conn *c) {
  if (c->tls)
    gnutls_deinit(c->tls);
  if (c->fd >= 0)
    close(c->fd);
  buf_free(&c->in);
  *c = (Conn){.fd = -1};
}

int conn_open(Conn *c, const ConnServer *s) {
  *c = (Conn){.fd = -1};
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
  if (inet_pton(AF_INET, s->host, &sa.sin_addr) != 1)
    return -EINVAL;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return -errno;
  /* Requests are single writes; Nagle would only add delay between a request and its answer. */
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct timeval tv = {.tv_sec = IO_TIMEOUT_SEC};
  setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int r = -errno;
    conn_close(c);
    return r;
  }
  /* Parsers search the receive buffer before the first read: give it storage now. */
  buf_reserve(&c->in, 32768);
  gnutls_init(&c->tls, GNUTLS_CLIENT);
  gnutls_set_default_priority(c->tls);
  gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, s->creds);
  gnutls_session_set_verify_cert(c->tls, s->host, 0);
  gnutls_transport_set_int(c->tls, c->fd);
  int r = GNUTLS_E_AGAIN;
  for (int i = 0; i < 100 && r < 0 && !gnutls_error_is_fatal(r); i++)
    r = gnutls_handshake(c->tls);
  if (r < 0) {
    fprintf(stderr, "%s: TLS handshake: %s\n", s->prog, gnutls_strerror(r));
    conn_close(c);
    return -EPROTO;
  }
  return 0;
}

int conn_send(Conn *c, const char *data, size_t len) {
  size_t done = 0;
  /* Every successful call makes progress, so len + a few retries bounds the loop. */
  for (size_t tries = 0; done < len && tries < len + 16; tries++) {
    ssize_t n = gnutls_record_send(c->tls, data + done, len - done);
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
      continue;
    if (n < 0)
      return -EIO;
    done += (size_t)n;
  }
  return done == len ? 0 : -EIO;
}

ssize_t conn_fill(Conn *c) {
  if (c->off == c->in.len) {
    c->in.len = c->off = 0;
  } else if (c->off > 65536 && c->off > c->in.len / 2) {
    memmove(c->in.data, c->in.data + c->off, c->in.len - c->off);
    c->in.len -= c->off;
    c->off = 0;
  }
  buf_reserve(&c->in, 32768);
  ssize_t n = gnutls_record_recv(c->tls, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
  if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
    return -EAGAIN;
  if (n == GNUTLS_E_PREMATURE_TERMINATION)
    return 0;
  if (n < 0)
    return -EIO;
  c->in.len += (size_t)n;
  c->in.data[c->in.len] = 0;
  return n;
}

int conn_fill_wait(Conn *c) {
  ssize_t n = conn_fill(c);
  if (n > 0)
    return 0;
  return n == 0 ? -ECONNRESET : n == -EAGAIN ? -ETIMEDOUT : (int)n;
}

/* ---- HTTP/1.1 responses: just enough framing ---- */

static bool header_is(const char *line, size_t len, const char *name) {
  size_t n = strlen(name);
  return len > n && strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static void parse_head(const char *p, size_t len, ConnHead *h) {
  *h = (ConnHead){.content_length = -1};
  if (len > 12 && strncmp(p, "HTTP/1.", 7) == 0)
    h->status = atoi(p + 9);
  const char *end = p + len;
  for (const char *line = p; line < end;) {
    const char *eol = memmem(line, (size_t)(end - line), "\r\n", 2);
    if (!eol)
      eol = end;
    size_t n = (size_t)(eol - line);
    if (header_is(line, n, "Content-Length"))
      h->content_length = strtoll(line + 15, NULL, 10);
    else if (header_is(line, n, "Transfer-Encoding") && memmem(line, n, "chunked", 7))
      h->chunked = true;
    line = eol + 2;
  }
}

int conn_read_head(Conn *c, ConnHead *h) {
  for (;;) {
    const char *end = memmem(conn_data(c), conn_avail(c), "\r\n\r\n", 4);
    if (end) {
      size_t n = (size_t)(end - conn_data(c)) + 4;
      parse_head(conn_data(c), n - 2, h);
      c->off += n;
      return 0;
    }
    if (conn_avail(c) > HEAD_MAX)
      return -E2BIG;
    int r = conn_fill_wait(c);
    if (r < 0)
      return r;
  }
}

int conn_chunk_take(Conn *c, Buf *body, size_t *bytes, size_t *newlines) {
  const char *p = conn_data(c);
  size_t avail = conn_avail(c);
  const char *eol = memmem(p, avail, "\r\n", 2);
  if (!eol)
    return avail > 32 ? -EBADMSG : 0;
  char *e;
  unsigned long long size = strtoull(p, &e, 16);
  if (e == p)
    return -EBADMSG;
  size_t head = (size_t)(eol - p) + 2;
  if (size == 0) {
    /* The server sends no trailers: the last chunk is "0\r\n\r\n". */
    if (avail < head + 2)
      return 0;
    c->off += head + 2;
    return 2;
  }
  if (avail < head + size + 2)
    return 0;
  if (body)
    buf_append(body, p + head, size);
  if (bytes)
    *bytes += size;
  if (newlines)
    for (const char *q = p + head; (q = memchr(q, '\n', (size_t)(p + head + size - q))); q++)
      (*newlines)++;
  c->off += head + size + 2;
  return 1;
}

int conn_read_body(Conn *c, const ConnHead *h, Buf *body, size_t *ret_len) {
  size_t total = 0;
  if (h->chunked) {
    for (;;) {
      int r = conn_chunk_take(c, body, &total, NULL);
      if (r < 0)
        return r;
      if (r == 2)
        break;
      if (r == 0 && (r = conn_fill_wait(c)) < 0)
        return r;
    }
  } else if (h->content_length > 0) {
    size_t want = (size_t)h->content_length;
    /* Consume as it arrives so that a multi-megabyte list never sits whole in the receive buffer. */
    while (total < want) {
      if (!conn_avail(c)) {
        int r = conn_fill_wait(c);
        if (r < 0)
          return r;
      }
      size_t n = MIN(conn_avail(c), want - total);
      if (body)
        buf_append(body, conn_data(c), n);
      c->off += n;
      total += n;
    }
  }
  if (ret_len)
    *ret_len = total;
  return 0;
}

int conn_roundtrip(Conn *c, const Buf *req, ConnHead *h, Buf *body, size_t *ret_len) {
  int r = conn_send(c, req->data, req->len);
  if (r < 0)
    return r;
  if ((r = conn_read_head(c, h)) < 0)
    return r;
  return conn_read_body(c, h, body, ret_len);
}

/* ---- requests ---- */

void conn_build_get(Buf *b, const ConnServer *s, const char *path) {
  buf_reset(b);
  buf_printf(b,
             "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nAccept: application/json\r\n"
             "User-Agent: %s\r\n\r\n",
             path, s->host, s->port, s->token, s->prog);
}

void conn_build_post(Buf *b, const ConnServer *s, const char *path, const Buf *body) {
  buf_reset(b);
  buf_printf(b,
             "POST %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nAccept: application/json\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nUser-Agent: %s\r\n\r\n",
             path, s->host, s->port, s->token, body->len, s->prog);
  buf_append(b, body->data, body->len);
}

int conn_open_stream(Conn *c, const ConnServer *s, const Buf *req, int *status) {
  ConnHead h = {0};
  int r = conn_open(c, s);
  if (r >= 0 && (r = conn_send(c, req->data, req->len)) >= 0 && (r = conn_read_head(c, &h)) >= 0 &&
      (h.status != 200 || !h.chunked))
    r = -EPROTO;
  *status = h.status;
  if (r < 0 && c->fd >= 0)
    conn_close(c);
  return r;
}

int conn_create_namespace(Conn *c, const ConnServer *s, const char *ns) {
  _cleanup_buf_ Buf req = BUF_INIT;
  _cleanup_buf_ Buf body = BUF_INIT;
  buf_printf(&body, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"%s\"}}", ns);
  conn_build_post(&req, s, "/api/v1/namespaces", &body);
  ConnHead h;
  int r = conn_roundtrip(c, &req, &h, NULL, NULL);
  if (r < 0 || (h.status != 201 && h.status != 409)) {
    fprintf(stderr, "%s: cannot create namespace %s (status %d)\n", s->prog, ns, r < 0 ? 0 : h.status);
    return -EPROTO;
  }
  return 0;
}

int conn_list_revision(Conn *c, const ConnServer *s, const char *path, char rv[static 24]) {
  _cleanup_buf_ Buf req = BUF_INIT;
  _cleanup_buf_ Buf body = BUF_INIT;
  conn_build_get(&req, s, path);
  ConnHead h;
  int r = conn_roundtrip(c, &req, &h, &body, NULL);
  if (r < 0)
    return r;
  const char *p = h.status == 200 ? strstr(body.data ? body.data : "", "\"resourceVersion\":\"") : NULL;
  if (!p)
    return -EPROTO;
  p += 19;
  size_t n = strcspn(p, "\"");
  if (n == 0 || n >= 24)
    return -EPROTO;
  memcpy(rv, p, n);
  rv[n] = 0;
  return 0;
}

/* ---- other helpers ---- */

unsigned bench_parse_uint(const char *prog, const char *s, const char *what, unsigned lo, unsigned hi) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) {
    fprintf(stderr, "%s: %s must be %u..%u\n", prog, what, lo, hi);
    exit(1);
  }
  return (unsigned)v;
}

double bench_cpu_seconds(int who) {
  struct rusage ru;
  if (getrusage(who, &ru) < 0)
    return 0;
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
