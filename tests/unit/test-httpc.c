/* Unit tests for the HTTP client (src/client/httpc*): URL parsing and resolution, response heads, the
 * chunked decoder fed at every split point, and — against a small HTTP/1.1 server on loopback (plain and
 * TLS with a CA made by apiserver/pki.c) — keep-alive reuse, the retry of a request whose pooled connection
 * the server dropped, chunked streaming, 1xx/204/HEAD answers, redirects (Authorization dropped across
 * hosts), timeouts, cancellation of a blocked stream from another thread, client certificates and
 * certificate verification failures. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "apiserver/pki.h"
#include "client/httpc.h"

/* ---- URLs ---- */

static void test_url_parse(void **state) {
  HttpcUrl u;
  assert_int_equal(httpc_url_parse("https://Example.COM:6443/api/v1?watch=1#frag", &u), 0);
  assert_true(u.https);
  assert_string_equal(u.host, "example.com");
  assert_int_equal(u.port, 6443);
  assert_string_equal(u.target, "/api/v1?watch=1");
  httpc_url_done(&u);
  assert_int_equal(httpc_url_parse("http://10.0.0.1", &u), 0);
  assert_false(u.https);
  assert_int_equal(u.port, 80);
  assert_string_equal(u.target, "/");
  httpc_url_done(&u);
  assert_int_equal(httpc_url_parse("https://[::1]:8443/v2/", &u), 0);
  assert_string_equal(u.host, "::1");
  assert_int_equal(u.port, 8443);
  Buf b = BUF_INIT;
  httpc_url_put_authority(&b, &u);
  assert_string_equal(b.data, "[::1]:8443");
  httpc_url_done(&u);
  assert_int_equal(httpc_url_parse("https://[fe80::1]?q", &u), 0);
  assert_int_equal(u.port, 443);
  assert_string_equal(u.target, "/?q");
  buf_reset(&b);
  httpc_url_put_authority(&b, &u);
  assert_string_equal(b.data, "[fe80::1]");
  httpc_url_done(&u);
  buf_free(&b);
  const char *bad[] = {
      "ftp://x/",      "https://",       "https://:80/",  "http://h:0/",    "http://h:65536/",
      "http://h:/",    "http://u:p@h/",  "http://h/a b",  "http://[::1/",   "http://[zz]/",
      "http://h:12x/", "localhost:6443", "http://h\x01/", "http://[::1]x/", NULL};
  for (size_t i = 0; bad[i]; i++) {
    int r = httpc_url_parse(bad[i], &u);
    if (r != -EINVAL)
      fail_msg("%s parsed", bad[i]);
  }
  assert_int_equal(httpc_url_parse(NULL, &u), -EINVAL);
}

static void test_url_resolve(void **state) {
  HttpcUrl base;
  assert_int_equal(httpc_url_parse("https://reg:5000/v2/lib/app/blobs/sha256:1?x=1", &base), 0);
  struct {
    const char *loc, *want;
  } cases[] = {
      {"http://cdn.example/blob?sig=1", "http://cdn.example/blob?sig=1"},
      {"//cdn.example/b", "https://cdn.example/b"},
      {"/storage/abc", "https://reg:5000/storage/abc"},
      {"other", "https://reg:5000/v2/lib/app/blobs/other"},
      {"?y=2", "https://reg:5000/v2/lib/app/blobs/sha256:1?y=2"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_free_ char *got = httpc_url_resolve(&base, cases[i].loc);
    assert_non_null(got);
    assert_string_equal(got, cases[i].want);
  }
  assert_null(httpc_url_resolve(&base, ""));
  assert_null(httpc_url_resolve(&base, "ftp://x/"));
  assert_null(httpc_url_resolve(&base, "/a b"));
  httpc_url_done(&base);
}

static void test_escape(void **state) {
  Buf b = BUF_INIT;
  httpc_put_escaped(&b, "repository:team/app:pull a+b~");
  assert_string_equal(b.data, "repository%3Ateam%2Fapp%3Apull%20a%2Bb~");
  buf_free(&b);
}

/* ---- heads ---- */

static void test_head_parse(void **state) {
  const char *text = "HTTP/1.1 401 Unauthorized\r\n"
                     "Content-Type: application/json\r\n"
                     "WWW-Authenticate: Bearer realm=\"https://auth/token\",service=\"reg\"\r\n"
                     "Warning: 299 - \"first\"\r\n"
                     "warning:  299 - \"second\"  \r\n"
                     "X-Folded: a\r\n"
                     "\t b\r\n"
                     "Connection: keep-alive, Close\r\n"
                     "\r\n"
                     "body";
  size_t len = strlen(text);
  size_t hl = httpc_head_length(text, len);
  assert_int_equal(hl, len - 4);
  for (size_t i = 0; i < hl; i++)
    assert_int_equal(httpc_head_length(text, i), 0);
  HttpcHead h;
  assert_int_equal(httpc_head_parse(text, hl, &h), 0);
  assert_int_equal(h.status, 401);
  assert_int_equal(h.minor, 1);
  assert_string_equal(httpc_head_get(&h, "content-type"), "application/json");
  assert_string_equal(httpc_head_get(&h, "Www-Authenticate"),
                      "Bearer realm=\"https://auth/token\",service=\"reg\"");
  assert_string_equal(httpc_head_get_nth(&h, "Warning", 0), "299 - \"first\"");
  assert_string_equal(httpc_head_get_nth(&h, "Warning", 1), "299 - \"second\"");
  assert_null(httpc_head_get_nth(&h, "Warning", 2));
  assert_string_equal(httpc_head_get(&h, "X-Folded"), "a b");
  assert_true(httpc_head_has_token(&h, "Connection", "close"));
  assert_false(httpc_head_has_token(&h, "Connection", "upgrade"));
  assert_null(httpc_head_get(&h, "Content-Length"));
  httpc_head_done(&h);

  /* Bare LF, no reason phrase, HTTP/1.0. */
  const char *lf = "HTTP/1.0 204\nA: 1\n\n";
  assert_int_equal(httpc_head_length(lf, strlen(lf)), strlen(lf));
  assert_int_equal(httpc_head_parse(lf, strlen(lf), &h), 0);
  assert_int_equal(h.status, 204);
  assert_int_equal(h.minor, 0);
  assert_string_equal(httpc_head_get(&h, "a"), "1");
  httpc_head_done(&h);

  const char *bad[] = {"HTTP/2 200 OK\r\n\r\n",
                       "HTTP/1.1 20 OK\r\n\r\n",
                       "HTTP/1.1 200OK\r\n\r\n",
                       "ICY 200 OK\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
                       "HTTP/1.1 200 OK\r\n folded-first\r\n\r\n",
                       "HTTP/1.1 099 X\r\n\r\n",
                       NULL};
  for (size_t i = 0; bad[i]; i++)
    if (httpc_head_parse(bad[i], strlen(bad[i]), &h) != -EBADMSG)
      fail_msg("accepted: %s", bad[i]);

  Buf many = BUF_INIT;
  buf_puts(&many, "HTTP/1.1 200 OK\r\n");
  for (int i = 0; i < HTTPC_HEADERS_MAX + 1; i++)
    buf_printf(&many, "X-%d: y\r\n", i);
  buf_puts(&many, "\r\n");
  assert_int_equal(httpc_head_parse(many.data, many.len, &h), -E2BIG);
  buf_free(&many);
}

/* ---- chunked ---- */

static int collect(const char *data, size_t len, void *userdata) {
  buf_append(userdata, data, len);
  return 0;
}

/* Feeds text in pieces cut at a and b; returns the decoder's final result, the payload in out. */
static int feed_split(const char *text, size_t len, size_t a, size_t b, Buf *out, size_t *ret_used) {
  HttpcChunked d = HTTPC_CHUNKED_INIT;
  size_t cuts[] = {0, a, b, len}, total = 0;
  int r = 0;
  for (size_t i = 0; i + 1 < ELEMENTSOF(cuts); i++) {
    size_t used = 0;
    r = httpc_chunked_feed(&d, text + cuts[i], cuts[i + 1] - cuts[i], &used, collect, out);
    total += used;
    if (r != 0)
      break;
    assert_int_equal(used, cuts[i + 1] - cuts[i]);
  }
  *ret_used = total;
  return r;
}

static void test_chunked_every_split(void **state) {
  const char *text = "5\r\nhello\r\n19;ext=1\r\n, chunked world, in parts\r\n"
                     "3 \r\n!!!\r\n0\r\nTrailer: yes\r\nOther: 1\r\n\r\nNEXT";
  size_t len = strlen(text), body_end = len - 4;
  for (size_t a = 0; a <= len; a++) {
    for (size_t b = a; b <= len; b++) {
      Buf out = BUF_INIT;
      size_t used;
      int r = feed_split(text, len, a, b, &out, &used);
      if (r != 1 || used != body_end || !streq(out.data ? out.data : "", "hello, chunked world, in parts!!!"))
        fail_msg("split %zu/%zu: r=%d used=%zu out=%s", a, b, r, used, out.data ? out.data : "");
      buf_free(&out);
    }
  }
  /* Bare LF line ends, no trailers. */
  Buf out = BUF_INIT;
  size_t used;
  const char *lf = "3\nabc\n0\n\n";
  assert_int_equal(feed_split(lf, strlen(lf), 1, 5, &out, &used), 1);
  assert_string_equal(out.data, "abc");
  buf_free(&out);
}

static int refuse(const char *data, size_t len, void *userdata) {
  return -EINTR;
}

static void test_chunked_bad(void **state) {
  const char *bad[] = {"x\r\n", "\r\n", "5\r\nhelloX\r\n", "5\r\nhello\rX", "2\rX", "FFFFFFFFFFFFFFFFF\r\n",
                       NULL};
  for (size_t i = 0; bad[i]; i++) {
    HttpcChunked d = HTTPC_CHUNKED_INIT;
    size_t used;
    Buf out = BUF_INIT;
    int r = httpc_chunked_feed(&d, bad[i], strlen(bad[i]), &used, collect, &out);
    buf_free(&out);
    if (r != -EBADMSG)
      fail_msg("accepted %s (r=%d)", bad[i], r);
  }
  HttpcChunked d = HTTPC_CHUNKED_INIT;
  size_t used;
  assert_int_equal(httpc_chunked_feed(&d, "3\r\nabc\r\n", 8, &used, refuse, NULL), -EINTR);
  /* A size line that never ends. */
  Buf big = BUF_INIT;
  buf_puts(&big, "1;");
  for (int i = 0; i < 5000; i++)
    buf_putc(&big, 'x');
  d = (HttpcChunked)HTTPC_CHUNKED_INIT;
  assert_int_equal(httpc_chunked_feed(&d, big.data, big.len, &used, collect, NULL), -EBADMSG);
  buf_free(&big);
}

/* ---- a loopback server ---- */

typedef struct Srv {
  int lfd;
  uint16_t port;
  bool tls;
  gnutls_certificate_credentials_t creds;
  pthread_t thread;
  atomic_bool stop;
  atomic_int conns;    /* accepted so far */
  atomic_int requests; /* served so far */
  atomic_bool saw_client_cert;
  pthread_t workers[64];
  atomic_int n_workers;
  char last_auth[256]; /* Authorization of the last request ("" when none) */
  pthread_mutex_t lock;
} Srv;

typedef struct SConn {
  Srv *s;
  int fd;
  gnutls_session_t tls;
  int id;
} SConn;

static ssize_t s_read(SConn *c, char *buf, size_t n) {
  if (c->tls) {
    ssize_t r;
    do
      r = gnutls_record_recv(c->tls, buf, n);
    while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
    return r < 0 ? -1 : r;
  }
  return read(c->fd, buf, n);
}

static void s_write(SConn *c, const char *data) {
  size_t n = strlen(data);
  if (c->tls) {
    while (n) {
      ssize_t r = gnutls_record_send(c->tls, data, n);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        continue;
      if (r < 0)
        return;
      data += r;
      n -= (size_t)r;
    }
  } else {
    (void)!send(c->fd, data, n, MSG_NOSIGNAL);
  }
}

/* Waits up to ms for the client to close (or send more). */
static bool wait_client_gone(SConn *c, int ms) {
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  return poll(&p, 1, ms) > 0;
}

static const char *hdr(const char *head, const char *name, char *out, size_t outlen) {
  out[0] = 0;
  const char *p = strcasestr(head, name);
  if (!p)
    return NULL;
  p += strlen(name);
  while (*p == ' ')
    p++;
  size_t l = strcspn(p, "\r\n");
  snprintf(out, outlen, "%.*s", (int)l, p);
  return out;
}

/* Answers requests on one connection. Paths:
 *   /echo     200 "METHOD PATH conn=N body=BODY" with Content-Length
 *   /chunked  a chunked answer written in pieces, with a trailer
 *   /close    an answer delimited by closing the connection
 *   /drop     the answer to /echo, after which the next request on this connection is dropped unanswered
 *   /stream   one chunk, then silence until the client goes away
 *   /slow     answers after 1.5 s
 *   /204, /100 (a 100 Continue before a 200), /redir-same, /redir-other (to "localhost"), /loop
 */
static void *serve_conn(void *arg) {
  SConn *c = arg;
  Srv *s = c->s;
  if (s->tls) {
    gnutls_init(&c->tls, GNUTLS_SERVER);
    gnutls_set_default_priority(c->tls);
    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, s->creds);
    gnutls_certificate_server_set_request(c->tls, GNUTLS_CERT_REQUEST);
    gnutls_transport_set_int(c->tls, c->fd);
    int r;
    do
      r = gnutls_handshake(c->tls);
    while (r < 0 && !gnutls_error_is_fatal(r));
    if (r < 0)
      goto out;
    if (gnutls_certificate_get_peers(c->tls, &(unsigned){0}))
      s->saw_client_cert = true;
  }
  bool drop_next = false;
  char buf[16384];
  size_t have = 0;
  for (;;) {
    char *end;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      ssize_t n = s_read(c, buf + have, sizeof buf - have - 1);
      if (n <= 0)
        goto out;
      have += (size_t)n;
      buf[have] = 0;
      if (!s->tls && (unsigned char)buf[0] == 0x16) {
        /* A TLS ClientHello on the plain port: answer as HTTP servers do. */
        s_write(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        goto out;
      }
    }
    size_t head_len = (size_t)(end - buf) + 4;
    char head[4096];
    snprintf(head, sizeof head, "%.*s", (int)head_len, buf);
    char cl[32] = "", auth[256] = "";
    size_t body_len = hdr(head, "\r\nContent-Length:", cl, sizeof cl) ? (size_t)atoi(cl) : 0;
    while (have < head_len + body_len) {
      ssize_t n = s_read(c, buf + have, sizeof buf - have - 1);
      if (n <= 0)
        goto out;
      have += (size_t)n;
    }
    char body[1024];
    snprintf(body, sizeof body, "%.*s", (int)body_len, buf + head_len);
    memmove(buf, buf + head_len + body_len, have - head_len - body_len);
    have -= head_len + body_len;
    if (drop_next)
      goto out;
    hdr(head, "\r\nAuthorization:", auth, sizeof auth);
    pthread_mutex_lock(&s->lock);
    snprintf(s->last_auth, sizeof s->last_auth, "%s", auth);
    pthread_mutex_unlock(&s->lock);
    char method[16], path[256];
    if (sscanf(head, "%15s %255s", method, path) != 2)
      goto out;
    s->requests++;
    char out[2048];
    if (streq(path, "/echo") || streq(path, "/drop")) {
      char text[1500];
      snprintf(text, sizeof text, "%s %s conn=%d body=%s", method, path, c->id, body);
      snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
               streq(method, "HEAD") ? 0 : strlen(text), streq(method, "HEAD") ? "" : text);
      s_write(c, out);
      drop_next = streq(path, "/drop");
    } else if (streq(path, "/chunked")) {
      s_write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nline1\n");
      usleep(20000);
      s_write(c, "\r\n");
      s_write(c, "C\r\nline2\nline3\n\r\n0\r\nX-Trailer: 1\r\n\r\n");
    } else if (streq(path, "/close")) {
      s_write(c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
      goto out;
    } else if (streq(path, "/stream")) {
      s_write(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
      wait_client_gone(c, 10000);
      goto out;
    } else if (streq(path, "/slow")) {
      if (wait_client_gone(c, 1500))
        goto out;
      s_write(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow");
    } else if (streq(path, "/204")) {
      s_write(c, "HTTP/1.1 204 No Content\r\n\r\n");
    } else if (streq(path, "/100")) {
      s_write(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    } else if (streq(path, "/redir-same")) {
      s_write(c, "HTTP/1.1 302 Found\r\nLocation: /echo\r\nContent-Length: 5\r\n\r\nmoved");
    } else if (streq(path, "/redir-other")) {
      snprintf(out, sizeof out,
               "HTTP/1.1 307 Temporary Redirect\r\nLocation: %s://localhost:%u/echo\r\n"
               "Content-Length: 0\r\n\r\n",
               s->tls ? "https" : "http", (unsigned)s->port);
      s_write(c, out);
    } else if (streq(path, "/loop")) {
      s_write(c, "HTTP/1.1 301 Moved\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
    } else {
      s_write(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    }
  }
out:
  if (c->tls)
    gnutls_deinit(c->tls);
  close(c->fd);
  free(c);
  return NULL;
}

static void *srv_main(void *arg) {
  Srv *s = arg;
  while (!s->stop) {
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};
    if (poll(&p, 1, 50) <= 0)
      continue;
    int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    SConn *c = xzalloc(sizeof *c);
    c->s = s;
    c->fd = fd;
    c->id = ++s->conns;
    int i = s->n_workers++;
    assert_true(i < 64);
    pthread_create(&s->workers[i], NULL, serve_conn, c);
  }
  return NULL;
}

static void srv_start(Srv *s, const Pki *pki) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  /* "localhost" may resolve to ::1 first: nothing listens there, so the client must try the next address. */
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s->lfd, 64), 0);
  socklen_t al = sizeof a;
  getsockname(s->lfd, (struct sockaddr *)&a, &al);
  s->port = ntohs(a.sin_port);
  if (pki) {
    s->tls = true;
    gnutls_certificate_allocate_credentials(&s->creds);
    gnutls_datum_t cert = {(unsigned char *)pki->serving_cert_pem, (unsigned)strlen(pki->serving_cert_pem)};
    gnutls_datum_t key = {(unsigned char *)pki->serving_key_pem, (unsigned)strlen(pki->serving_key_pem)};
    assert_true(gnutls_certificate_set_x509_key_mem(s->creds, &cert, &key, GNUTLS_X509_FMT_PEM) >= 0);
  }
  pthread_create(&s->thread, NULL, srv_main, s);
}

static void srv_stop(Srv *s) {
  s->stop = true;
  pthread_join(s->thread, NULL);
  for (int i = 0; i < s->n_workers; i++)
    pthread_join(s->workers[i], NULL);
  close(s->lfd);
  if (s->creds)
    gnutls_certificate_free_credentials(s->creds);
  pthread_mutex_destroy(&s->lock);
}

static char *url(const Srv *s, const char *host, const char *path) {
  return xasprintf("%s://%s:%u%s", s->tls ? "https" : "http", host, (unsigned)s->port, path);
}

static int get(Httpc *h, const char *u, const char *method, HttpcResponse *resp, Error *err) {
  HttpcRequest req = {.method = method, .url = u, .timeout_ms = 10000};
  httpc_response_done(resp);
  return httpc_request(h, &req, resp, err);
}

/* ---- plain HTTP ---- */

static void test_keepalive_and_framing(void **state) {
  Srv s;
  srv_start(&s, NULL);
  _cleanup_httpc_ Httpc *h = NULL;
  assert_int_equal(httpc_new(NULL, &h, NULL), 0);
  _cleanup_free_ char *echo = url(&s, "127.0.0.1", "/echo");
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(get(h, echo, NULL, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body.data, "GET /echo conn=1 body=");
  }
  /* A body, and HEAD (no body although Content-Length says 0... or anything). */
  HttpcRequest post = {.method = "POST", .url = echo, .body = "{\"a\":1}", .body_len = 7};
  assert_int_equal(httpc_request(h, &post, &r, &err), 0);
  assert_string_equal(r.body.data, "POST /echo conn=1 body={\"a\":1}");
  assert_int_equal(get(h, echo, "HEAD", &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body.len, 0);
  _cleanup_free_ char *u204 = url(&s, "127.0.0.1", "/204");
  assert_int_equal(get(h, u204, NULL, &r, &err), 0);
  assert_int_equal(r.status, 204);
  _cleanup_free_ char *u100 = url(&s, "127.0.0.1", "/100");
  assert_int_equal(get(h, u100, NULL, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "ok");
  _cleanup_free_ char *chunked = url(&s, "127.0.0.1", "/chunked");
  assert_int_equal(get(h, chunked, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "line1\nline2\nline3\n");
  assert_int_equal(s.conns, 1); /* all of it on one connection */
  /* Read until close: the connection cannot be reused afterwards. */
  _cleanup_free_ char *close_u = url(&s, "127.0.0.1", "/close");
  assert_int_equal(get(h, close_u, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "until the end");
  assert_int_equal(get(h, echo, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "GET /echo conn=2 body=");
  /* A buffered body over its limit. */
  HttpcRequest small = {.url = echo, .max_body = 5};
  assert_int_equal(httpc_request(h, &small, &r, &err), -E2BIG);
  /* 404 is an answer, not an error. */
  _cleanup_free_ char *none = url(&s, "127.0.0.1", "/none");
  assert_int_equal(get(h, none, NULL, &r, &err), 0);
  assert_int_equal(r.status, 404);
  httpc_response_done(&r);
  httpc_free(TAKE_PTR(h));
  srv_stop(&s);
}

static void test_retry_on_dropped_connection(void **state) {
  Srv s;
  srv_start(&s, NULL);
  _cleanup_httpc_ Httpc *h = NULL;
  assert_int_equal(httpc_new(NULL, &h, NULL), 0);
  _cleanup_free_ char *drop = url(&s, "127.0.0.1", "/drop");
  _cleanup_free_ char *echo = url(&s, "127.0.0.1", "/echo");
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;
  /* The server drops the next request on conn 1 unanswered: a GET goes again on a new connection. */
  assert_int_equal(get(h, drop, NULL, &r, &err), 0);
  assert_int_equal(get(h, echo, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "GET /echo conn=2 body=");
  /* A POST is not idempotent: the same situation is an error. */
  assert_int_equal(get(h, drop, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "GET /drop conn=2 body=");
  HttpcRequest post = {.method = "POST", .url = echo, .body = "x", .body_len = 1, .timeout_ms = 5000};
  assert_int_equal(httpc_request(h, &post, &r, &err), -ECONNRESET);
  assert_non_null(strstr(err.message, "closed the connection"));
  httpc_response_done(&r);
  httpc_free(TAKE_PTR(h));
  srv_stop(&s);
}

typedef struct StreamState {
  Buf got;
  int calls;
  HttpcCancel *cancel;
} StreamState;

static int on_stream(const HttpcResponse *resp, const char *data, size_t len, void *userdata) {
  StreamState *st = userdata;
  assert_int_equal(resp->status, 200);
  buf_append(&st->got, data, len);
  st->calls++;
  return 0;
}

static int stop_at_line2(const HttpcResponse *resp, const char *data, size_t len, void *userdata) {
  StreamState *st = userdata;
  buf_append(&st->got, data, len);
  return strstr(st->got.data, "line2") ? -EINTR : 0;
}

static int on_head(const HttpcResponse *resp, void *userdata) {
  StreamState *st = userdata;
  assert_int_equal(resp->status, 200);
  assert_int_equal(st->got.len, 0); /* before any of the body */
  st->calls = -100;
  return 0;
}

static int refuse_head(const HttpcResponse *resp, void *userdata) {
  return -EINTR;
}

static void *cancel_later(void *arg) {
  usleep(300000);
  httpc_cancel_trigger(arg);
  return NULL;
}

static void test_streaming_and_cancel(void **state) {
  Srv s;
  srv_start(&s, NULL);
  _cleanup_httpc_ Httpc *h = NULL;
  assert_int_equal(httpc_new(NULL, &h, NULL), 0);
  _cleanup_free_ char *chunked = url(&s, "127.0.0.1", "/chunked");
  _cleanup_free_ char *stream = url(&s, "127.0.0.1", "/stream");
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;
  StreamState st = {BUF_INIT, 0, NULL};
  HttpcRequest req = {.url = chunked, .on_body = on_stream, .userdata = &st};
  assert_int_equal(httpc_request(h, &req, &r, &err), 0);
  assert_string_equal(st.got.data, "line1\nline2\nline3\n");
  assert_true(st.calls >= 2); /* delivered as it came, not at the end */
  assert_int_equal(r.body.len, 0);
  /* The head comes first, once; a refusal there stops the request before the body. */
  buf_reset(&st.got);
  st.calls = 0;
  req.on_head = on_head;
  assert_int_equal(httpc_request(h, &req, &r, &err), 0);
  assert_true(st.calls > -100 && st.calls < -90);
  assert_string_equal(st.got.data, "line1\nline2\nline3\n");
  buf_reset(&st.got);
  req.on_head = refuse_head;
  assert_int_equal(httpc_request(h, &req, &r, &err), -EINTR);
  assert_int_equal(st.got.len, 0);
  req.on_head = NULL;
  /* The callback stops the stream; the connection is not reused. */
  buf_reset(&st.got);
  req.on_body = stop_at_line2;
  assert_int_equal(httpc_request(h, &req, &r, &err), -EINTR);
  /* A stream that goes silent: cancelled from another thread promptly. */
  HttpcCancel *cancel = httpc_cancel_new();
  buf_reset(&st.got);
  HttpcRequest sreq = {.url = stream, .on_body = on_stream, .userdata = &st, .cancel = cancel};
  pthread_t t;
  pthread_create(&t, NULL, cancel_later, cancel);
  uint64_t t0 = now_monotonic_usec();
  assert_int_equal(httpc_request(h, &sreq, &r, &err), -ECANCELED);
  uint64_t took = now_monotonic_usec() - t0;
  pthread_join(t, NULL);
  assert_true(took >= 250000 && took < 1500000);
  assert_string_equal(st.got.data, "first\n");
  /* Triggered stays triggered until reset. */
  assert_true(httpc_cancel_triggered(cancel));
  assert_int_equal(httpc_request(h, &sreq, &r, &err), -ECANCELED);
  httpc_cancel_reset(cancel);
  assert_false(httpc_cancel_triggered(cancel));
  /* The idle limit ends a silent stream; the int flag cancels too. */
  buf_reset(&st.got);
  sreq.cancel = NULL;
  sreq.idle_timeout_ms = 300;
  assert_int_equal(httpc_request(h, &sreq, &r, &err), -ETIMEDOUT);
  int flag = 1;
  sreq.idle_timeout_ms = 0;
  sreq.cancel_flag = &flag;
  assert_int_equal(httpc_request(h, &sreq, &r, &err), -ECANCELED);
  /* A token made from the caller's fd fires when it becomes readable (a pipe closed by its writer). */
  int pfd[2];
  assert_int_equal(pipe(pfd), 0);
  HttpcCancel *fdc = httpc_cancel_new_from_fd(pfd[0]);
  assert_false(httpc_cancel_triggered(fdc));
  sreq.cancel_flag = NULL;
  sreq.cancel = fdc;
  close(pfd[1]);
  assert_true(httpc_cancel_triggered(fdc));
  assert_int_equal(httpc_request(h, &sreq, &r, &err), -ECANCELED);
  httpc_cancel_free(fdc);
  close(pfd[0]);
  /* The whole-request deadline. */
  _cleanup_free_ char *slow = url(&s, "127.0.0.1", "/slow");
  HttpcRequest treq = {.url = slow, .timeout_ms = 300};
  t0 = now_monotonic_usec();
  assert_int_equal(httpc_request(h, &treq, &r, &err), -ETIMEDOUT);
  assert_true(now_monotonic_usec() - t0 < 1000000);
  httpc_cancel_free(cancel);
  buf_free(&st.got);
  httpc_response_done(&r);
  httpc_free(TAKE_PTR(h));
  srv_stop(&s);
}

static void test_redirects(void **state) {
  Srv s;
  srv_start(&s, NULL);
  _cleanup_httpc_ Httpc *h = NULL;
  assert_int_equal(httpc_new(NULL, &h, NULL), 0);
  _cleanup_free_ char *same = url(&s, "127.0.0.1", "/redir-same");
  _cleanup_free_ char *other = url(&s, "127.0.0.1", "/redir-other");
  _cleanup_free_ char *loop = url(&s, "127.0.0.1", "/loop");
  const char *hdrs[] = {"Authorization: Bearer secret", "Accept: */*", NULL};
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;
  HttpcRequest req = {.url = same, .headers = hdrs, .max_redirects = 5};
  assert_int_equal(httpc_request(h, &req, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body.data, "GET /echo conn=1 body=");
  assert_string_equal(s.last_auth, "Bearer secret");
  /* To another host name: no credentials there ("localhost" may try ::1 first). */
  req.url = other;
  assert_int_equal(httpc_request(h, &req, &r, &err), 0);
  assert_int_equal(r.status, 200);
  assert_string_equal(s.last_auth, "");
  assert_true(startswith(r.url, "http://localhost:"));
  /* Not followed when not asked; too many is an error. */
  req.max_redirects = 0;
  assert_int_equal(httpc_request(h, &req, &r, &err), 0);
  assert_int_equal(r.status, 307);
  assert_non_null(httpc_response_header(&r, "location"));
  req.url = loop;
  req.max_redirects = 3;
  assert_int_equal(httpc_request(h, &req, &r, &err), -ELOOP);
  httpc_response_done(&r);
  httpc_free(TAKE_PTR(h));
  srv_stop(&s);
}

static void test_connect_errors(void **state) {
  _cleanup_httpc_ Httpc *h = NULL;
  assert_int_equal(httpc_new(NULL, &h, NULL), 0);
  /* A port nobody listens on. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(fd, (struct sockaddr *)&a, sizeof a);
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd);
  _cleanup_free_ char *u = xasprintf("http://127.0.0.1:%u/", (unsigned)ntohs(a.sin_port));
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;
  assert_int_equal(get(h, u, NULL, &r, &err), -ECONNREFUSED);
  assert_non_null(strstr(err.message, "connecting to 127.0.0.1"));
  error_reset(&err);
  assert_int_equal(get(h, "http://no-such-host.invalid/", NULL, &r, &err), -EHOSTUNREACH);
  error_reset(&err);
  assert_int_equal(get(h, "gopher://x/", NULL, &r, &err), -EINVAL);
  const char *evil[] = {"X: a\r\nInjected: 1", NULL};
  HttpcRequest req = {.url = u, .headers = evil};
  error_reset(&err);
  assert_int_equal(httpc_request(h, &req, &r, &err), -EINVAL);
  httpc_response_done(&r);
}

/* ---- TLS ---- */

static char tls_dir[64];

static void make_pki(Pki *p) {
  if (!tls_dir[0]) {
    snprintf(tls_dir, sizeof tls_dir, "/tmp/test-httpc-XXXXXX");
    assert_non_null(mkdtemp(tls_dir));
  }
  const char *ips[] = {"127.0.0.1", NULL};
  PkiOptions o = {.tls_dir = tls_dir, .node_name = "node1", .ips = ips, .cluster_domain = "cluster.local"};
  _cleanup_error_ Error err = ERROR_INIT;
  if (pki_load_or_create(&o, p, &err) < 0)
    fail_msg("pki: %s", err.message);
}

static void test_tls(void **state) {
  Pki pki = {0};
  make_pki(&pki);
  Srv s;
  srv_start(&s, &pki);
  _cleanup_free_ char *by_ip = url(&s, "127.0.0.1", "/echo");
  _cleanup_free_ char *by_name = url(&s, "localhost", "/echo");
  HttpcResponse r = HTTPC_RESPONSE_INIT;
  _cleanup_error_ Error err = ERROR_INIT;

  /* Trusting the cluster CA (from memory) with a client certificate: verified by IP and by name. */
  HttpcConfig cfg = {
      .tls = {.ca_pem = pki.ca_cert_pem, .cert_pem = pki.admin_cert_pem, .key_pem = pki.admin_key_pem}};
  Httpc *h = NULL;
  assert_int_equal(httpc_new(&cfg, &h, &err), 0);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(get(h, by_ip, NULL, &r, &err), 0);
    assert_string_equal(r.body.data, "GET /echo conn=1 body=");
  }
  assert_true(s.saw_client_cert);
  assert_int_equal(get(h, by_name, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "GET /echo conn=2 body=");
  /* Chunked over TLS, streamed. */
  _cleanup_free_ char *chunked = url(&s, "127.0.0.1", "/chunked");
  assert_int_equal(get(h, chunked, NULL, &r, &err), 0);
  assert_string_equal(r.body.data, "line1\nline2\nline3\n");
  httpc_free(h);

  /* The same CA from a file. */
  _cleanup_free_ char *ca_file = xasprintf("%s/server-ca.crt", tls_dir);
  HttpcConfig fcfg = {.tls = {.ca_file = ca_file}};
  assert_int_equal(httpc_new(&fcfg, &h, &err), 0);
  assert_int_equal(get(h, by_ip, NULL, &r, &err), 0);
  assert_int_equal(r.status, 200);
  httpc_free(h);

  /* A name the certificate does not carry fails verification... */
  Pki other = {0};
  char saved[64];
  memcpy(saved, tls_dir, sizeof saved);
  tls_dir[0] = 0;
  make_pki(&other); /* a second, unrelated CA */
  HttpcConfig wrong = {.tls = {.ca_pem = other.ca_cert_pem}};
  assert_int_equal(httpc_new(&wrong, &h, &err), 0);
  error_reset(&err);
  assert_int_equal(get(h, by_ip, NULL, &r, &err), -EKEYREJECTED);
  assert_non_null(strstr(err.message, "failed verification"));
  httpc_free(h);
  /* ... unless verification is off. */
  HttpcConfig insecure = {.tls = {.insecure_skip_verify = true}};
  assert_int_equal(httpc_new(&insecure, &h, &err), 0);
  assert_int_equal(get(h, by_ip, NULL, &r, &err), 0);
  assert_int_equal(r.status, 200);
  httpc_free(h);
  /* Plain HTTP spoken to a TLS port, TLS to a plain one. */
  HttpcConfig trust = {.tls = {.ca_pem = pki.ca_cert_pem}};
  assert_int_equal(httpc_new(&trust, &h, &err), 0);
  _cleanup_free_ char *plain = xasprintf("http://127.0.0.1:%u/echo", (unsigned)s.port);
  HttpcRequest preq = {.url = plain, .timeout_ms = 3000};
  error_reset(&err);
  int pr = httpc_request(h, &preq, &r, &err);
  assert_true(pr == -EBADMSG || pr == -ECONNRESET);
  httpc_free(h);
  srv_stop(&s);

  Srv ps;
  srv_start(&ps, NULL);
  assert_int_equal(httpc_new(&trust, &h, &err), 0);
  _cleanup_free_ char *tls_to_plain = xasprintf("https://127.0.0.1:%u/echo", (unsigned)ps.port);
  HttpcRequest treq = {.url = tls_to_plain, .timeout_ms = 3000};
  error_reset(&err);
  assert_int_equal(httpc_request(h, &treq, &r, &err), -EPROTO);
  httpc_free(h);
  srv_stop(&ps);

  /* Bad material is refused up front. */
  HttpcConfig half = {.tls = {.cert_pem = pki.admin_cert_pem}};
  assert_int_equal(httpc_new(&half, &h, NULL), -EINVAL);
  HttpcConfig garbage = {.tls = {.ca_pem = "not a certificate"}};
  assert_int_equal(httpc_new(&garbage, &h, NULL), -EPROTO);
  HttpcConfig missing = {.tls = {.ca_file = "/nonexistent/ca.crt"}};
  assert_int_equal(httpc_new(&missing, &h, NULL), -ENOENT);

  httpc_response_done(&r);
  _cleanup_free_ char *rm1 = xasprintf("rm -rf %s %s", saved, tls_dir);
  assert_int_equal(system(rm1), 0);
  tls_dir[0] = 0;
  pki_done(&pki);
  pki_done(&other);
}

typedef struct Par {
  Httpc *h;
  const char *url;
  int ok;
} Par;

static void *par_get(void *arg) {
  Par *p = arg;
  for (int i = 0; i < 20; i++) {
    HttpcResponse r = HTTPC_RESPONSE_INIT;
    HttpcRequest req = {.url = p->url, .timeout_ms = 10000};
    if (httpc_request(p->h, &req, &r, NULL) == 0 && r.status == 200 && startswith(r.body.data, "GET /echo"))
      p->ok++;
    httpc_response_done(&r);
  }
  return NULL;
}

static void test_threads_share_pool(void **state) {
  Srv s;
  srv_start(&s, NULL);
  Httpc *h = NULL;
  HttpcConfig cfg = {.max_idle_per_origin = 4};
  assert_int_equal(httpc_new(&cfg, &h, NULL), 0);
  _cleanup_free_ char *echo = url(&s, "127.0.0.1", "/echo");
  Par p[4];
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    p[i] = (Par){h, echo, 0};
    pthread_create(&t[i], NULL, par_get, &p[i]);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(p[i].ok, 20);
  }
  assert_true(s.conns <= 4);
  httpc_free(h);
  srv_stop(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_url_parse),
      cmocka_unit_test(test_url_resolve),
      cmocka_unit_test(test_escape),
      cmocka_unit_test(test_head_parse),
      cmocka_unit_test(test_chunked_every_split),
      cmocka_unit_test(test_chunked_bad),
      cmocka_unit_test(test_keepalive_and_framing),
      cmocka_unit_test(test_retry_on_dropped_connection),
      cmocka_unit_test(test_streaming_and_cancel),
      cmocka_unit_test(test_redirects),
      cmocka_unit_test(test_connect_errors),
      cmocka_unit_test(test_tls),
      cmocka_unit_test(test_threads_share_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
