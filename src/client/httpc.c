/* The HTTP client's requests (see httpc.h): the pool of idle keep-alive connections, one exchange on a
 * connection (request out, head in, body framed by Content-Length, chunked coding or the end of the
 * stream), the retry of an idempotent request whose pooled connection turned out dead, and redirects. */
#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "client/httpc-internal.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define DEFAULT_MAX_IDLE 8u
#define DEFAULT_MAX_BODY (64u * 1024 * 1024)
/* Idle connections older than this are not reused: servers and middleboxes drop quiet connections. */
#define POOL_MAX_IDLE_USEC (90ull * 1000000)
/* A redirect's own body is read and thrown away up to this size (keeping the connection); larger ones
 * cost the connection instead. */
#define REDIRECT_BODY_MAX (64u * 1024)

struct Httpc {
  gnutls_certificate_credentials_t creds;
  bool verify;
  char *user_agent;
  unsigned connect_timeout_ms;
  unsigned max_idle;
  pthread_mutex_t lock; /* guards idle */
  HttpcConn *idle;      /* most recently returned first */
};

/* ---- clients ---- */

static int load_tls(Httpc *h, const HttpcTls *t, Error *err) {
  int r;
  if (t->ca_pem && t->ca_file)
    return error_set(err, -EINVAL, NULL, "a CA may come from memory or from a file, not both");
  if ((t->cert_pem || t->key_pem) && (t->cert_file || t->key_file))
    return error_set(err, -EINVAL, NULL, "a client certificate may come from memory or from files, not both");
  if (!t->cert_pem != !t->key_pem || !t->cert_file != !t->key_file)
    return error_set(err, -EINVAL, NULL, "a client certificate needs its key and the other way round");
  if (t->ca_pem) {
    gnutls_datum_t d = {(unsigned char *)t->ca_pem, (unsigned)strlen(t->ca_pem)};
    if ((r = gnutls_certificate_set_x509_trust_mem(h->creds, &d, GNUTLS_X509_FMT_PEM)) <= 0)
      return error_set(err, -EPROTO, NULL, "no usable CA certificate in the PEM given: %s",
                       r < 0 ? gnutls_strerror(r) : "none found");
  } else if (t->ca_file) {
    if (access(t->ca_file, R_OK) < 0)
      return error_set(err, -errno, NULL, "CA file %s: %m", t->ca_file);
    if ((r = gnutls_certificate_set_x509_trust_file(h->creds, t->ca_file, GNUTLS_X509_FMT_PEM)) <= 0)
      return error_set(err, -EPROTO, NULL, "no usable CA certificate in %s: %s", t->ca_file,
                       r < 0 ? gnutls_strerror(r) : "none found");
  } else if (!t->insecure_skip_verify) {
    if ((r = gnutls_certificate_set_x509_system_trust(h->creds)) < 0)
      log_debug("http", "system trust store not loaded: %s", gnutls_strerror(r));
  }
  if (t->cert_pem) {
    gnutls_datum_t c = {(unsigned char *)t->cert_pem, (unsigned)strlen(t->cert_pem)};
    gnutls_datum_t k = {(unsigned char *)t->key_pem, (unsigned)strlen(t->key_pem)};
    if ((r = gnutls_certificate_set_x509_key_mem(h->creds, &c, &k, GNUTLS_X509_FMT_PEM)) < 0)
      return error_set(err, -EPROTO, NULL, "client certificate: %s", gnutls_strerror(r));
  } else if (t->cert_file) {
    if (access(t->cert_file, R_OK) < 0)
      return error_set(err, -errno, NULL, "client certificate %s: %m", t->cert_file);
    if (access(t->key_file, R_OK) < 0)
      return error_set(err, -errno, NULL, "client key %s: %m", t->key_file);
    if ((r = gnutls_certificate_set_x509_key_file(h->creds, t->cert_file, t->key_file, GNUTLS_X509_FMT_PEM)) <
        0)
      return error_set(err, -EPROTO, NULL, "client certificate %s: %s", t->cert_file, gnutls_strerror(r));
  }
  return 0;
}

int httpc_new(const HttpcConfig *cfg, Httpc **ret, Error *err) {
  static const HttpcConfig none = {0};
  if (!cfg)
    cfg = &none;
  Httpc *h = xzalloc(sizeof *h);
  pthread_mutex_init(&h->lock, NULL);
  h->verify = !cfg->tls.insecure_skip_verify;
  h->user_agent = xstrdup(cfg->user_agent ? cfg->user_agent : "coracle");
  h->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
  h->max_idle = cfg->max_idle_per_origin ? cfg->max_idle_per_origin : DEFAULT_MAX_IDLE;
  int r = gnutls_certificate_allocate_credentials(&h->creds);
  if (r < 0) {
    h->creds = NULL;
    httpc_free(h);
    return error_set(err, -ENOMEM, NULL, "gnutls: %s", gnutls_strerror(r));
  }
  if ((r = load_tls(h, &cfg->tls, err)) < 0) {
    httpc_free(h);
    return r;
  }
  *ret = h;
  return 0;
}

void httpc_free(Httpc *h) {
  if (!h)
    return;
  while (h->idle) {
    HttpcConn *c = h->idle;
    h->idle = c->next;
    httpc_conn_close(c);
  }
  if (h->creds)
    gnutls_certificate_free_credentials(h->creds);
  pthread_mutex_destroy(&h->lock);
  free(h->user_agent);
  free(h);
}

/* ---- the pool ---- */

static bool conn_matches(const HttpcConn *c, const HttpcUrl *u) {
  return c->https == u->https && c->port == u->port && streq(c->host, u->host);
}

/* An idle connection to u's origin that still looks alive, or NULL. */
static HttpcConn *pool_take(Httpc *h, const HttpcUrl *u) {
  uint64_t now = now_monotonic_usec();
  for (;;) {
    HttpcConn *found = NULL;
    pthread_mutex_lock(&h->lock);
    for (HttpcConn **pp = &h->idle; *pp; pp = &(*pp)->next) {
      if (conn_matches(*pp, u)) {
        found = *pp;
        *pp = found->next;
        found->next = NULL;
        break;
      }
    }
    pthread_mutex_unlock(&h->lock);
    if (!found)
      return NULL;
    if (now - found->idle_since < POOL_MAX_IDLE_USEC && httpc_conn_idle_ok(found))
      return found;
    httpc_conn_close(found);
  }
}

static void pool_put(Httpc *h, HttpcConn *c) {
  c->idle_since = now_monotonic_usec();
  /* An idle connection keeps no read buffer: dozens of them sit in the server's own clients. */
  buf_free(&c->in);
  c->in_off = 0;
  unsigned same = 0;
  pthread_mutex_lock(&h->lock);
  for (HttpcConn *p = h->idle; p; p = p->next)
    if (p->https == c->https && p->port == c->port && streq(p->host, c->host))
      same++;
  if (same < h->max_idle) {
    c->next = h->idle;
    h->idle = c;
    c = NULL;
  }
  pthread_mutex_unlock(&h->lock);
  httpc_conn_close(c);
}

/* ---- one exchange ---- */

typedef struct Exchange {
  const HttpcRequest *req;
  HttpcResponse *resp;
  bool discard; /* a redirect's body */
  size_t discarded;
  int stop_rc; /* the body callback's refusal */
  Error *err;
} Exchange;

static int deliver(const char *data, size_t len, void *userdata) {
  Exchange *x = userdata;
  if (len == 0)
    return 0;
  if (x->discard) {
    x->discarded += len;
    return x->discarded > REDIRECT_BODY_MAX ? (x->stop_rc = -EFBIG) : 0;
  }
  if (x->req->on_body) {
    int r = x->req->on_body(x->resp, data, len, x->req->userdata);
    return r < 0 ? (x->stop_rc = r) : 0;
  }
  size_t max = x->req->max_body ? x->req->max_body : DEFAULT_MAX_BODY;
  if (x->resp->body.len + len > max)
    return x->stop_rc = error_set(x->err, -E2BIG, NULL, "the answer is larger than %zu bytes", max);
  buf_append(&x->resp->body, data, len);
  return 0;
}

static bool method_idempotent(const char *m) {
  return streq(m, "GET") || streq(m, "HEAD") || streq(m, "PUT") || streq(m, "DELETE") || streq(m, "OPTIONS");
}

typedef enum Framing { FRAME_NONE, FRAME_LENGTH, FRAME_CHUNKED, FRAME_CLOSE } Framing;

static int parse_length(const HttpcHead *hd, uint64_t *ret) {
  const char *v;
  bool have = false;
  uint64_t len = 0;
  for (size_t n = 0; (v = httpc_head_get_nth(hd, "Content-Length", n)); n++) {
    /* "Content-Length: 5, 5" and repeated equal headers are tolerated; differing ones are not. */
    for (const char *p = v; *p;) {
      while (*p == ' ' || *p == ',')
        p++;
      if (!*p)
        break;
      uint64_t x = 0;
      const char *s = p;
      while (*p >= '0' && *p <= '9') {
        if (x > UINT64_MAX / 10 - 10)
          return -EBADMSG;
        x = x * 10 + (uint64_t)(*p++ - '0');
      }
      if (p == s || (*p && *p != ',' && *p != ' '))
        return -EBADMSG;
      if (have && x != len)
        return -EBADMSG;
      len = x;
      have = true;
    }
  }
  if (!have)
    return 0;
  *ret = len;
  return 1;
}

/* Reads the answer's body from c through deliver(). Sets *ret_reusable. */
static int read_body(HttpcConn *c, Framing f, uint64_t length, const HttpcIo *io, Exchange *x,
                     bool *ret_reusable, Error *err) {
  *ret_reusable = false;
  int r;
  switch (f) {
  case FRAME_NONE:
    break;
  case FRAME_LENGTH: {
    uint64_t left = length;
    while (left) {
      size_t avail = c->in.len - c->in_off;
      if (!avail) {
        if ((r = httpc_conn_fill(c, io, err)) < 0)
          return r;
        if (r == 0)
          return error_set(err, -ECONNRESET, NULL, "%s closed the connection after %llu of %llu bytes",
                           c->host, (unsigned long long)(length - left), (unsigned long long)length);
        continue;
      }
      size_t n = (size_t)MIN((uint64_t)avail, left);
      r = deliver(c->in.data + c->in_off, n, x);
      c->in_off += n;
      left -= n;
      if (r < 0)
        return r;
    }
    break;
  }
  case FRAME_CHUNKED: {
    HttpcChunked d = HTTPC_CHUNKED_INIT;
    for (;;) {
      size_t avail = c->in.len - c->in_off;
      if (!avail) {
        if ((r = httpc_conn_fill(c, io, err)) < 0)
          return r;
        if (r == 0)
          return error_set(err, -ECONNRESET, NULL,
                           "%s closed the connection in the middle of a chunked answer", c->host);
        continue;
      }
      size_t used = 0;
      r = httpc_chunked_feed(&d, c->in.data + c->in_off, avail, &used, deliver, x);
      c->in_off += used;
      if (r < 0)
        return x->stop_rc ? x->stop_rc
                          : error_set(err, -EBADMSG, NULL, "malformed chunked answer from %s", c->host);
      if (r == 1)
        break;
    }
    break;
  }
  case FRAME_CLOSE:
    for (;;) {
      size_t avail = c->in.len - c->in_off;
      if (avail) {
        r = deliver(c->in.data + c->in_off, avail, x);
        c->in_off += avail;
        if (r < 0)
          return r;
      }
      if ((r = httpc_conn_fill(c, io, err)) < 0)
        return r;
      if (r == 0)
        return 0; /* the end of the stream is the end of the body: never reusable */
    }
  }
  *ret_reusable = c->in_off == c->in.len;
  return 0;
}

/* Sends the request bytes and reads the answer's head into x->resp. Retryable failures (a pooled
 * connection found dead before any byte of the answer) return -EAGAIN. */
static int send_and_read_head(HttpcConn *c, const Buf *out, const HttpcIo *send_io, const HttpcIo *io,
                              bool reused, HttpcResponse *resp, Error *err) {
  Error e = ERROR_INIT;
  int r = httpc_conn_write(c, out->data, out->len, send_io, &e);
  if (r < 0) {
    if (reused && r == -ECONNRESET) {
      error_reset(&e);
      return -EAGAIN;
    }
    if (err) {
      error_reset(err);
      *err = e;
    } else {
      error_reset(&e);
    }
    return r;
  }
  bool got_any = false;
  for (;;) {
    const char *p = c->in.data ? c->in.data + c->in_off : "";
    size_t avail = c->in.len - c->in_off;
    if (avail >= 5 && memcmp(p, "HTTP/", 5) != 0)
      return error_set(err, -EBADMSG, NULL, "%s port %u did not answer with HTTP/1.x", c->host,
                       (unsigned)c->port);
    size_t hl = httpc_head_length(p, avail);
    if (!hl) {
      if (avail >= HTTPC_HEAD_MAX)
        return error_set(err, -EBADMSG, NULL, "the answer's head from %s is larger than %u bytes", c->host,
                         HTTPC_HEAD_MAX);
      r = httpc_conn_fill(c, io, &e);
      if (r > 0) {
        got_any = true;
        continue;
      }
      if (reused && !got_any && (r == 0 || r == -ECONNRESET)) {
        error_reset(&e);
        return -EAGAIN;
      }
      if (r == 0)
        r = error_set(&e, -ECONNRESET, NULL, "%s closed the connection %s", c->host,
                      got_any ? "in the middle of the answer's head" : "without answering");
      if (err) {
        error_reset(err);
        *err = e;
      } else {
        error_reset(&e);
      }
      return r;
    }
    httpc_head_done(&resp->head);
    r = httpc_head_parse(p, hl, &resp->head);
    c->in_off += hl;
    if (r < 0)
      return error_set(err, r, NULL, "malformed answer head from %s", c->host);
    resp->status = resp->head.status;
    if (resp->status >= 100 && resp->status < 200 && resp->status != 101)
      continue; /* 100 Continue, 103 Early Hints: the real answer follows */
    return 0;
  }
}

static bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One request/answer on a pooled or new connection. *ret_follow is set (a new string) when the answer is
 * a redirect to follow; its body was then discarded. */
static int exchange(Httpc *h, const HttpcUrl *u, const char *method, const Buf *out, bool may_follow,
                    const HttpcIo *io, Exchange *x, char **ret_follow, Error *err) {
  HttpcResponse *resp = x->resp;
  bool idempotent = method_idempotent(method);
  HttpcIo send_io = *io;
  send_io.idle_ms = 0;
  for (int attempt = 0;; attempt++) {
    HttpcConn *c = attempt == 0 ? pool_take(h, u) : NULL;
    bool reused = c != NULL;
    int r;
    if (!c && (r = httpc_conn_open(u, h->creds, h->verify, h->connect_timeout_ms, &send_io, &c, err)) < 0)
      return r;
    r = send_and_read_head(c, out, &send_io, io, reused && idempotent, resp, err);
    if (r == -EAGAIN) {
      log_debug("http", "host=%s port=%u pooled connection was closed; retrying on a new one", u->host,
                (unsigned)u->port);
      httpc_conn_close(c);
      continue;
    }
    if (r < 0) {
      httpc_conn_close(c);
      return r;
    }
    c->requests++;
    const HttpcHead *hd = &resp->head;
    Framing f = FRAME_CLOSE;
    uint64_t length = 0;
    if (streq(method, "HEAD") || resp->status == 204 || resp->status == 304 || resp->status < 200) {
      f = FRAME_NONE;
    } else if (httpc_head_get(hd, "Transfer-Encoding")) {
      f = httpc_head_has_token(hd, "Transfer-Encoding", "chunked") ? FRAME_CHUNKED : FRAME_CLOSE;
    } else {
      int lr = parse_length(hd, &length);
      if (lr < 0) {
        httpc_conn_close(c);
        return error_set(err, -EBADMSG, NULL, "invalid Content-Length from %s", u->host);
      }
      if (lr > 0)
        f = FRAME_LENGTH;
    }
    const char *loc = httpc_head_get(hd, "Location");
    x->discard = false;
    if (may_follow && is_redirect(resp->status) && loc) {
      *ret_follow = httpc_url_resolve(u, loc);
      if (!*ret_follow) {
        httpc_conn_close(c);
        return error_set(err, -EBADMSG, NULL, "%s redirected to an unusable location \"%.200s\"", u->host,
                         loc);
      }
      x->discard = true;
      x->discarded = 0;
    }
    if (!x->discard && x->req->on_head && (r = x->req->on_head(resp, x->req->userdata)) < 0) {
      httpc_conn_close(c);
      return r;
    }
    bool reusable = false;
    r = read_body(c, f, length, io, x, &reusable, err);
    if (r == -EFBIG && x->discard) {
      r = 0; /* a large redirect body: give up the connection rather than read it */
      reusable = false;
    }
    if (r < 0) {
      httpc_conn_close(c);
      if (*ret_follow) {
        free(*ret_follow);
        *ret_follow = NULL;
      }
      return r;
    }
    if (reusable && hd->minor >= 1 && !httpc_head_has_token(hd, "Connection", "close"))
      pool_put(h, c);
    else
      httpc_conn_close(c);
    return 0;
  }
}

static bool header_is(const char *line, const char *name) {
  size_t n = strlen(name);
  return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

static int build_request(Httpc *h, const HttpcUrl *u, const char *method, const HttpcRequest *req,
                         const char *body, size_t body_len, bool send_auth, Buf *out, Error *err) {
  buf_printf(out, "%s %s HTTP/1.1\r\nHost: ", method, u->target);
  httpc_url_put_authority(out, u);
  buf_puts(out, "\r\n");
  bool have_ua = false;
  for (const char *const *hp = req->headers; hp && *hp; hp++) {
    if (strpbrk(*hp, "\r\n") || !strchr(*hp, ':'))
      return error_set(err, -EINVAL, NULL, "invalid request header \"%.100s\"", *hp);
    if (!send_auth && header_is(*hp, "Authorization"))
      continue;
    if (header_is(*hp, "Content-Length") || header_is(*hp, "Host"))
      continue; /* ours */
    have_ua = have_ua || header_is(*hp, "User-Agent");
    buf_printf(out, "%s\r\n", *hp);
  }
  if (!have_ua)
    buf_printf(out, "User-Agent: %s\r\n", h->user_agent);
  if (body || streq(method, "POST") || streq(method, "PUT") || streq(method, "PATCH"))
    buf_printf(out, "Content-Length: %zu\r\n", body ? body_len : 0);
  buf_puts(out, "\r\n");
  if (body)
    buf_append(out, body, body_len);
  return 0;
}

/* ---- requests ---- */

void httpc_response_done(HttpcResponse *r) {
  if (!r)
    return;
  httpc_head_done(&r->head);
  buf_free(&r->body);
  free(r->url);
  *r = (HttpcResponse)HTTPC_RESPONSE_INIT;
}

int httpc_request(Httpc *h, const HttpcRequest *req, HttpcResponse *resp, Error *err) {
  HttpcIo io = {
      .deadline = req->timeout_ms ? now_monotonic_usec() + (uint64_t)req->timeout_ms * 1000 : 0,
      .idle_ms = req->idle_timeout_ms,
      .cancel = req->cancel,
      .cancel_flag = req->cancel_flag,
  };
  _cleanup_free_ char *method = xstrdup(req->method ? req->method : "GET");
  const char *body = req->body;
  size_t body_len = req->body_len;
  HttpcUrl origin;
  if (httpc_url_parse(req->url, &origin) < 0)
    return error_set(err, -EINVAL, NULL, "invalid URL \"%.200s\"", req->url ? req->url : "");
  bool send_auth = true;
  char *url = xstrdup(req->url);
  int r = 0;
  for (unsigned hop = 0;; hop++) {
    HttpcUrl u;
    if (httpc_url_parse(url, &u) < 0) {
      r = error_set(err, -EINVAL, NULL, "invalid URL \"%.200s\"", url);
      break;
    }
    /* Credentials stay with the origin they were given for (as browsers and curl do). */
    if (u.https != origin.https || u.port != origin.port || !streq(u.host, origin.host))
      send_auth = false;
    _cleanup_buf_ Buf out = BUF_INIT;
    if ((r = build_request(h, &u, method, req, body, body_len, send_auth, &out, err)) < 0) {
      httpc_url_done(&u);
      break;
    }
    httpc_head_done(&resp->head);
    buf_reset(&resp->body);
    resp->status = 0;
    free(resp->url);
    resp->url = url;
    url = NULL;
    Exchange x = {.req = req, .resp = resp, .err = err};
    char *follow = NULL;
    r = exchange(h, &u, method, &out, req->max_redirects > 0, &io, &x, &follow, err);
    httpc_url_done(&u);
    if (r < 0 || !follow)
      break;
    log_debug("http", "status=%d redirect=%s", resp->status, follow);
    if (resp->status == 303 || ((resp->status == 301 || resp->status == 302) && streq(method, "POST"))) {
      if (!streq(method, "HEAD")) {
        free(method);
        method = xstrdup("GET");
      }
      body = NULL;
      body_len = 0;
    }
    url = follow;
    if (hop + 1 > req->max_redirects) {
      r = error_set(err, -ELOOP, NULL, "more than %u redirects", req->max_redirects);
      break;
    }
  }
  free(url);
  httpc_url_done(&origin);
  return r < 0 ? r : 0;
}
