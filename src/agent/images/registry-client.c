/* The registry v2 API client (see registry-client.h). Every request goes through request(), which performs
 * it, answers a 401 by authenticating as the challenge asks, and retries. Bodies of 2xx answers stream
 * into a sink (a bounded buffer for manifests, a ContentWriter for blobs); bodies of error answers are kept
 * (bounded) to pass the registry's own message to the user. */
#include "agent/images/registry-client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <strings.h>

#include "agent/images/manifest.h"
#include "agent/images/reference.h"
#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/log.h"

#define ERROR_BODY_MAX (64 * 1024)
#define HEADER_VALUE_MAX 8192

struct RegistryClient {
  char *api;  /* ".../v2" */
  char *repo; /* repository at this endpoint */
  char *host;
  char *user_agent;
  RegistryAuth auth;
  RegistryTls tls;
  const int *cancel;
  pthread_mutex_t mu;  /* guards authorization and auth_generation */
  char *authorization; /* full header value: "Bearer …" or "Basic …" */
  unsigned auth_generation;
};

struct RegistryConn {
  CURL *h;
  char errbuf[CURL_ERROR_SIZE];
};

typedef int (*SinkFn)(void *ud, const void *p, size_t n, Error *err);

typedef struct Response {
  long status;
  char *content_type;
  char *docker_digest;
  char *www_authenticate;
  Buf error_body;
  SinkFn sink;
  void *sink_ud;
  Error *err;
  int sink_rc;
} Response;

static void response_clear_headers(Response *r) {
  free(r->content_type);
  free(r->docker_digest);
  free(r->www_authenticate);
  r->content_type = r->docker_digest = r->www_authenticate = NULL;
}

static void response_done(Response *r) {
  response_clear_headers(r);
  buf_free(&r->error_body);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

void registry_client_global_init(void) {
  pthread_once(&curl_once, curl_init_once);
}

RegistryClient *registry_client_new(const RegistryEndpoint *ep, const char *user_agent, const int *cancel) {
  registry_client_global_init();
  RegistryClient *c = xzalloc(sizeof *c);
  c->api = xstrdup(ep->url);
  c->repo = xstrdup(ep->repository);
  c->host = xstrdup(ep->host);
  c->user_agent = xstrdup(user_agent ? user_agent : "coracle");
  c->auth.username = ep->auth.username ? xstrdup(ep->auth.username) : NULL;
  c->auth.password = ep->auth.password ? xstrdup(ep->auth.password) : NULL;
  c->auth.identity_token = ep->auth.identity_token ? xstrdup(ep->auth.identity_token) : NULL;
  c->tls.insecure_skip_verify = ep->tls.insecure_skip_verify;
  c->tls.ca_file = ep->tls.ca_file ? xstrdup(ep->tls.ca_file) : NULL;
  c->tls.cert_file = ep->tls.cert_file ? xstrdup(ep->tls.cert_file) : NULL;
  c->tls.key_file = ep->tls.key_file ? xstrdup(ep->tls.key_file) : NULL;
  c->cancel = cancel;
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void registry_client_free(RegistryClient *c) {
  if (!c)
    return;
  free(c->api);
  free(c->repo);
  free(c->host);
  free(c->user_agent);
  registry_auth_done(&c->auth);
  free(c->tls.ca_file);
  free(c->tls.cert_file);
  free(c->tls.key_file);
  free(c->authorization);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

void registry_client_set_cancel(RegistryClient *c, const int *cancel) {
  c->cancel = cancel;
}

const char *registry_client_url(const RegistryClient *c) {
  return c->api;
}

RegistryConn *registry_conn_new(void) {
  registry_client_global_init();
  RegistryConn *conn = xzalloc(sizeof *conn);
  conn->h = curl_easy_init();
  if (!conn->h)
    oom();
  return conn;
}

void registry_conn_free(RegistryConn *conn) {
  if (!conn)
    return;
  curl_easy_cleanup(conn->h);
  free(conn);
}

void registry_manifest_done(RegistryManifest *m) {
  if (!m)
    return;
  free(m->data);
  free(m->content_type);
  *m = (RegistryManifest){0};
}

static char *trimmed(const char *p, size_t n) {
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    n--;
  }
  while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\t'))
    n--;
  return xstrndup(p, MIN(n, (size_t)HEADER_VALUE_MAX));
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
  Response *r = ud;
  size_t n = size * nmemb;
  if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    /* A new response (after a redirect or a 100): its headers replace the previous ones. */
    response_clear_headers(r);
    const char *sp = memchr(data, ' ', n);
    r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
    return n;
  }
  const char *colon = memchr(data, ':', n);
  if (!colon)
    return n;
  size_t kl = (size_t)(colon - data);
  char **slot = NULL;
  if (kl == 12 && strncasecmp(data, "Content-Type", 12) == 0)
    slot = &r->content_type;
  else if (kl == 21 && strncasecmp(data, "Docker-Content-Digest", 21) == 0)
    slot = &r->docker_digest;
  else if (kl == 16 && strncasecmp(data, "WWW-Authenticate", 16) == 0)
    slot = &r->www_authenticate;
  if (slot) {
    free(*slot);
    *slot = trimmed(colon + 1, n - kl - 1);
  }
  return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
  Response *r = ud;
  size_t n = size * nmemb;
  if (r->status >= 200 && r->status < 300) {
    if (r->sink && (r->sink_rc = r->sink(r->sink_ud, data, n, r->err)) < 0)
      return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    return n;
  }
  if (r->status >= 300 && r->status < 400)
    return n;
  if (r->error_body.len < ERROR_BODY_MAX)
    buf_append(&r->error_body, data, MIN(n, ERROR_BODY_MAX - r->error_body.len));
  return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  const int *cancel = ud;
  return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) ? 1 : 0;
}

static int curl_errno(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    return -ECONNREFUSED;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return -EHOSTUNREACH;
  case CURLE_OPERATION_TIMEDOUT:
    return -ETIMEDOUT;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
    return -EPROTO;
  case CURLE_TOO_MANY_REDIRECTS:
    return -ELOOP;
  default:
    return -EIO;
  }
}

/* One HTTP exchange (following redirects). method is "GET" or "POST" (with form as the body). */
static int perform(RegistryClient *c, RegistryConn *conn, const char *method, const char *url,
                   const char *form, struct curl_slist *headers, Response *resp, Error *err) {
  CURL *h = conn->h;
  curl_easy_reset(h); /* keeps the connection cache */
  conn->errbuf[0] = 0;
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (streq(method, "POST")) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, conn->errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
  /* A stalled registry fails the pull instead of hanging it: less than 1 KiB/s for 60 s. */
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)c->cancel);
  if (c->tls.insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (c->tls.ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, c->tls.ca_file);
  if (c->tls.cert_file)
    curl_easy_setopt(h, CURLOPT_SSLCERT, c->tls.cert_file);
  if (c->tls.key_file)
    curl_easy_setopt(h, CURLOPT_SSLKEY, c->tls.key_file);
  resp->status = 0;
  resp->err = err;
  resp->sink_rc = 0;
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK)
    return 0;
  if (rc == CURLE_WRITE_ERROR && resp->sink_rc < 0)
    return resp->sink_rc;
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    return error_set(err, -ECANCELED, NULL, "cancelled");
  const char *why = conn->errbuf[0] ? conn->errbuf : curl_easy_strerror(rc);
  const char *hint = "";
  if (rc == CURLE_SSL_CONNECT_ERROR && startswith(url, "https://"))
    hint = " (if the registry speaks plain HTTP, give it an http:// endpoint in registries.yaml)";
  else if (rc == CURLE_PEER_FAILED_VERIFICATION)
    hint = " (set tls.ca_file for this registry in registries.yaml, or tls.insecure_skip_verify)";
  return error_set(err, curl_errno(rc), NULL, "%s %s: %s%s", method, url, why, hint);
}

/* The registry's own words from an error body ({"errors":[{"code","message"}]}), else a generic phrase. */
static char *error_message(const Response *r) {
  Buf b = BUF_INIT;
  _cleanup_json_ json_t *doc = NULL;
  if (r->error_body.len && json_decode_body(r->error_body.data, r->error_body.len, &doc, NULL) == 0) {
    json_t *errs = json_object_get(doc, "errors");
    size_t i;
    json_t *e;
    json_array_foreach(errs, i, e) {
      const char *msg = jstr(e, "message");
      const char *code = jstr(e, "code");
      if (isempty(msg) && isempty(code))
        continue;
      if (b.len)
        buf_puts(&b, "; ");
      if (!isempty(msg)) {
        buf_printf(&b, "%.300s", msg);
      } else {
        for (const char *p = code; *p; p++)
          buf_putc(&b, *p == '_' ? ' ' : (char)tolower((unsigned char)*p));
      }
      if (i >= 4)
        break;
    }
    /* Token services answer {"details": "..."} or {"error": "..."}. */
    if (!b.len && jstr(doc, "details"))
      buf_printf(&b, "%.300s", jstr(doc, "details"));
    if (!b.len && jstr(doc, "error"))
      buf_printf(&b, "%.300s", jstr(doc, "error"));
  } else if (r->error_body.len > 0 && r->error_body.len <= 300) {
    /* A short plain-text answer ("Client sent an HTTP request to an HTTPS server.") says it best. */
    bool text = true;
    for (size_t i = 0; i < r->error_body.len && text; i++) {
      unsigned char c = (unsigned char)r->error_body.data[i];
      text = (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
    }
    if (text) {
      _cleanup_free_ char *t = trimmed(r->error_body.data, r->error_body.len);
      for (char *p = t; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
          *p = ' ';
      buf_puts(&b, t);
    }
  }
  if (!b.len) {
    switch (r->status) {
    case 401:
      buf_puts(&b, "unauthorized");
      break;
    case 403:
      buf_puts(&b, "denied");
      break;
    case 404:
      buf_puts(&b, "not found");
      break;
    case 429:
      buf_puts(&b, "too many requests");
      break;
    default:
      buf_puts(&b, "unexpected answer");
    }
  }
  return buf_steal(&b, NULL);
}

static int status_errno(long status) {
  switch (status) {
  case 401:
  case 403:
    return -EACCES;
  case 404:
    return -ENOENT;
  case 429:
    return -EAGAIN;
  default:
    return -EIO;
  }
}

int registry_challenge_parse(const char *header, RegistryChallenge *ret) {
  RegistryChallenge c = {0};
  const char *p = header;
  while (*p == ' ')
    p++;
  size_t sl = strcspn(p, " ");
  if (sl == 0 || sl >= sizeof c.scheme)
    return -EINVAL;
  memcpy(c.scheme, p, sl);
  p += sl;
  while (*p && c.n < ELEMENTSOF(c.keys)) {
    while (*p == ' ' || *p == ',')
      p++;
    if (!*p)
      break;
    size_t kl = strcspn(p, "=, ");
    if (kl == 0 || p[kl] != '=') {
      registry_challenge_done(&c);
      return -EINVAL;
    }
    char *key = xstrndup(p, kl);
    p += kl + 1;
    Buf v = BUF_INIT;
    if (*p == '"') {
      p++;
      while (*p && *p != '"') {
        if (*p == '\\' && p[1])
          p++;
        buf_putc(&v, *p++);
      }
      if (*p != '"') {
        free(key);
        buf_free(&v);
        registry_challenge_done(&c);
        return -EINVAL;
      }
      p++;
    } else {
      size_t vl = strcspn(p, ", ");
      buf_append(&v, p, vl);
      p += vl;
    }
    c.keys[c.n] = key;
    c.values[c.n] = buf_steal(&v, NULL);
    c.n++;
  }
  *ret = c;
  return 0;
}

const char *registry_challenge_get(const RegistryChallenge *c, const char *key) {
  for (size_t i = 0; i < c->n; i++)
    if (strcasecmp(c->keys[i], key) == 0)
      return c->values[i];
  return NULL;
}

void registry_challenge_done(RegistryChallenge *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->keys[i]);
    free(c->values[i]);
  }
  c->n = 0;
}

static int buf_sink(void *ud, const void *p, size_t n, Error *err) {
  Buf *b = ud; /* a manifest or a token answer */
  if (b->len + n > IMAGE_MANIFEST_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "answer larger than %d bytes", IMAGE_MANIFEST_MAX_BYTES);
  buf_append(b, p, n);
  return 0;
}

static bool token_ok(const char *t) {
  if (isempty(t) || strlen(t) > 16384)
    return false;
  for (const char *p = t; *p; p++)
    if (*p < 0x21 || *p > 0x7e) /* a token goes into a header line */
      return false;
  return true;
}

static char *basic_header(const RegistryAuth *a) {
  _cleanup_free_ char *pair = xasprintf("%s:%s", a->username, a->password ? a->password : "");
  _cleanup_free_ char *b64 = base64_encode(pair, strlen(pair), false);
  return xasprintf("Basic %s", b64);
}

/* Gets a bearer token from the challenge's realm. Called with c->mu held. */
static int fetch_token(RegistryClient *c, RegistryConn *conn, const RegistryChallenge *ch, Error *err) {
  const char *realm = registry_challenge_get(ch, "realm");
  const char *service = registry_challenge_get(ch, "service");
  const char *scope = registry_challenge_get(ch, "scope");
  if (!realm || (!startswith(realm, "https://") && !startswith(realm, "http://")))
    return error_set(err, -EACCES, NULL, "%s asks for a bearer token without a usable realm", c->host);
  _cleanup_free_ char *own_scope = xasprintf("repository:%s:pull", c->repo);
  if (!scope)
    scope = own_scope;
  char *e_service = curl_easy_escape(conn->h, service ? service : "", 0);
  char *e_scope = curl_easy_escape(conn->h, scope, 0);
  _cleanup_buf_ Buf url = BUF_INIT;
  _cleanup_buf_ Buf form = BUF_INIT;
  struct curl_slist *hdrs = NULL;
  const char *method = "GET";
  if (c->auth.identity_token) {
    char *e_tok = curl_easy_escape(conn->h, c->auth.identity_token, 0);
    buf_puts(&url, realm);
    buf_printf(&form, "grant_type=refresh_token&client_id=coracle&service=%s&scope=%s&refresh_token=%s",
               e_service, e_scope, e_tok);
    curl_free(e_tok);
    method = "POST";
  } else {
    buf_printf(&url, "%s%s", realm, strchr(realm, '?') ? "&" : "?");
    if (service)
      buf_printf(&url, "service=%s&", e_service);
    buf_printf(&url, "scope=%s", e_scope);
    if (c->auth.username) {
      _cleanup_free_ char *basic = basic_header(&c->auth);
      _cleanup_free_ char *line = xasprintf("Authorization: %s", basic);
      hdrs = curl_slist_append(hdrs, line);
    }
  }
  curl_free(e_service);
  curl_free(e_scope);
  _cleanup_buf_ Buf body = BUF_INIT;
  Response resp = {.sink = buf_sink, .sink_ud = &body};
  int r = perform(c, conn, method, url.data, form.data, hdrs, &resp, err);
  curl_slist_free_all(hdrs);
  if (r < 0) {
    response_done(&resp);
    return error_wrap(err, "fetching a token: ");
  }
  if (resp.status < 200 || resp.status >= 300) {
    _cleanup_free_ char *msg = error_message(&resp);
    long st = resp.status;
    response_done(&resp);
    return error_set(err, -EACCES, NULL, "fetching a token from %s: %s (HTTP %ld)%s", realm, msg, st,
                     c->auth.username || c->auth.identity_token ? "" : " (no credentials are configured)");
  }
  response_done(&resp);
  _cleanup_json_ json_t *doc = NULL;
  if (json_decode_body(body.data ? body.data : "", body.len, &doc, NULL) < 0)
    return error_set(err, -EACCES, NULL, "the token service at %s answered with invalid JSON", realm);
  const char *tok = jstr(doc, "token");
  if (isempty(tok))
    tok = jstr(doc, "access_token");
  if (!token_ok(tok))
    return error_set(err, -EACCES, NULL, "the token service at %s gave no usable token", realm);
  free(c->authorization);
  c->authorization = xasprintf("Bearer %s", tok);
  return 0;
}

/* Answers a 401. seen_generation is the token generation the refused request used: if another thread has
 * renewed it since, retrying is enough. tries counts the renewals this request already made. */
static int authenticate_locked(RegistryClient *c, RegistryConn *conn, const Response *resp, int tries,
                               Error *err) {
  _cleanup_free_ char *msg = error_message(resp);
  RegistryChallenge ch = {0};
  if (!resp->www_authenticate || registry_challenge_parse(resp->www_authenticate, &ch) < 0)
    return error_set(err, -EACCES, NULL, "%s: %s", c->host, msg);
  int r = 0;
  if (strcasecmp(ch.scheme, "Basic") == 0) {
    if (!c->auth.username) {
      r = error_set(err, -EACCES, NULL, "%s (no credentials are configured for %s)", msg, c->host);
    } else if (tries > 0 || (c->authorization && startswith(c->authorization, "Basic "))) {
      r = error_set(err, -EACCES, NULL, "%s (the credentials configured for %s were refused)", msg, c->host);
    } else {
      free(c->authorization);
      c->authorization = basic_header(&c->auth);
    }
  } else if (strcasecmp(ch.scheme, "Bearer") == 0) {
    if (tries > 1)
      r = error_set(err, -EACCES, NULL, "%s (%s refused the token it issued)", msg, c->host);
    else
      r = fetch_token(c, conn, &ch, err);
  } else {
    r = error_set(err, -EACCES, NULL, "%s asks for unsupported authentication \"%s\"", c->host, ch.scheme);
  }
  registry_challenge_done(&ch);
  return r;
}

/* Answers a 401. seen_generation is the token generation the refused request used: if another thread has
 * renewed it since, retrying is enough. tries counts the renewals this request already made. */
static int authenticate(RegistryClient *c, RegistryConn *conn, const Response *resp, unsigned seen_generation,
                        int tries, Error *err) {
  pthread_mutex_lock(&c->mu);
  int r = 0;
  if (c->auth_generation == seen_generation) {
    r = authenticate_locked(c, conn, resp, tries, err);
    if (r >= 0)
      c->auth_generation++;
  }
  pthread_mutex_unlock(&c->mu);
  return r;
}

static int request(RegistryClient *c, RegistryConn *conn, const char *url, const char *accept, Response *resp,
                   Error *err) {
  for (int tries = 0;; tries++) {
    pthread_mutex_lock(&c->mu);
    _cleanup_free_ char *authz = c->authorization ? xasprintf("Authorization: %s", c->authorization) : NULL;
    unsigned gen = c->auth_generation;
    pthread_mutex_unlock(&c->mu);
    struct curl_slist *hdrs = NULL;
    _cleanup_free_ char *accept_line = accept ? xasprintf("Accept: %s", accept) : NULL;
    if (accept_line)
      hdrs = curl_slist_append(hdrs, accept_line);
    if (authz)
      hdrs = curl_slist_append(hdrs, authz);
    buf_reset(&resp->error_body);
    int r = perform(c, conn, "GET", url, NULL, hdrs, resp, err);
    curl_slist_free_all(hdrs);
    if (r < 0)
      return r;
    if (resp->status != 401 || tries >= 2)
      return 0;
    log_debug("images", "%s: 401, authenticating (%s)", url,
              resp->www_authenticate ? resp->www_authenticate : "");
    if ((r = authenticate(c, conn, resp, gen, tries, err)) < 0)
      return r;
  }
}

int registry_client_get_manifest(RegistryClient *c, RegistryConn *conn, const char *reference,
                                 RegistryManifest *ret, Error *err) {
  _cleanup_free_ char *url = xasprintf("%s/%s/manifests/%s", c->api, c->repo, reference);
  _cleanup_buf_ Buf body = BUF_INIT;
  Response resp = {.sink = buf_sink, .sink_ud = &body};
  int r = request(c, conn, url, IMAGE_MANIFEST_ACCEPT, &resp, err);
  if (r < 0) {
    response_done(&resp);
    return r;
  }
  if (resp.status != 200) {
    _cleanup_free_ char *msg = error_message(&resp);
    long st = resp.status;
    response_done(&resp);
    if (st == 404)
      return error_set(err, -ENOENT, NULL, "%s", msg);
    return error_set(err, status_errno(st), NULL, "%s (HTTP %ld from %s)", msg, st, c->host);
  }
  RegistryManifest m = {0};
  content_digest_of(body.data ? body.data : "", body.len, m.digest);
  if (image_ref_digest_valid(reference) && !streq(reference, m.digest)) {
    response_done(&resp);
    return error_set(err, -EBADMSG, NULL, "manifest %s from %s hashes to %s", reference, c->host, m.digest);
  }
  if (resp.docker_digest && startswith(resp.docker_digest, "sha256:") &&
      !streq(resp.docker_digest, m.digest)) {
    response_done(&resp);
    return error_set(err, -EBADMSG, NULL, "%s says the manifest is %s but it hashes to %s", c->host,
                     resp.docker_digest, m.digest);
  }
  m.content_type = TAKE_PTR(resp.content_type);
  m.data = buf_steal(&body, &m.len);
  response_done(&resp);
  *ret = m;
  return 0;
}

static int writer_sink(void *ud, const void *p, size_t n, Error *err) {
  return content_writer_write(ud, p, n, err);
}

int registry_client_get_blob(RegistryClient *c, RegistryConn *conn, const char *digest, ContentWriter *w,
                             Error *err) {
  _cleanup_free_ char *url = xasprintf("%s/%s/blobs/%s", c->api, c->repo, digest);
  Response resp = {.sink = writer_sink, .sink_ud = w};
  int r = request(c, conn, url, NULL, &resp, err);
  if (r < 0) {
    response_done(&resp);
    return r;
  }
  if (resp.status != 200) {
    _cleanup_free_ char *msg = error_message(&resp);
    long st = resp.status;
    response_done(&resp);
    return error_set(err, status_errno(st), NULL, "blob %s: %s (HTTP %ld from %s)", digest, msg, st, c->host);
  }
  response_done(&resp);
  return 0;
}
