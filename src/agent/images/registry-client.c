/* The registry v2 API client (see registry-client.h) over coracle's HTTP client (client/httpc.h). Every
 * request goes through request(), which performs it, answers a 401 by authenticating as the challenge asks,
 * and retries. Bodies of 2xx answers stream into a sink (a bounded buffer for manifests, a ContentWriter for
 * blobs); bodies of error answers are kept (bounded) to pass the registry's own message to the user. */
#include "agent/images/registry-client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <strings.h>

#include "agent/images/manifest.h"
#include "agent/images/reference.h"
#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/log.h"
#include "client/httpc.h"

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
  pthread_mutex_t http_mu; /* guards http */
  Httpc *http;             /* made at the first request: loading the TLS files can fail, with a message */
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

RegistryClient *registry_client_new(const RegistryEndpoint *ep, const char *user_agent, const int *cancel) {
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
  pthread_mutex_init(&c->http_mu, NULL);
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
  httpc_free(c->http);
  pthread_mutex_destroy(&c->mu);
  pthread_mutex_destroy(&c->http_mu);
  free(c);
}

void registry_client_set_cancel(RegistryClient *c, const int *cancel) {
  c->cancel = cancel;
}

const char *registry_client_url(const RegistryClient *c) {
  return c->api;
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

static void take_header(char **slot, const HttpcResponse *hr, const char *name) {
  free(*slot);
  const char *v = httpc_response_header(hr, name);
  *slot = v ? xstrndup(v, HEADER_VALUE_MAX) : NULL;
}

static int on_body(const HttpcResponse *hr, const char *data, size_t n, void *ud) {
  Response *r = ud;
  if (hr->status >= 200 && hr->status < 300) {
    if (r->sink && (r->sink_rc = r->sink(r->sink_ud, data, n, r->err)) < 0)
      return r->sink_rc; /* stops the transfer */
    return 0;
  }
  if (r->error_body.len < ERROR_BODY_MAX)
    buf_append(&r->error_body, data, MIN(n, ERROR_BODY_MAX - r->error_body.len));
  return 0;
}

static int client_http(RegistryClient *c, Httpc **ret, Error *err) {
  pthread_mutex_lock(&c->http_mu);
  int r = 0;
  if (!c->http) {
    HttpcConfig cfg = {
        .tls = {.ca_file = c->tls.ca_file,
                .cert_file = c->tls.cert_file,
                .key_file = c->tls.key_file,
                .insecure_skip_verify = c->tls.insecure_skip_verify},
        .user_agent = c->user_agent,
        .connect_timeout_ms = 30000,
        .max_idle_per_origin = 4, /* the layer workers of a pull */
    };
    if ((r = httpc_new(&cfg, &c->http, err)) < 0)
      error_wrap(err, "TLS configuration for %s: ", c->host);
  }
  *ret = c->http;
  pthread_mutex_unlock(&c->http_mu);
  return r;
}

/* One HTTP exchange (following redirects; Authorization is not sent to another host). method is "GET" or
 * "POST" (with form as the body). headers: "Name: value" lines, NULL-terminated. */
static int perform(RegistryClient *c, const char *method, const char *url, const char *form,
                   const char *const *headers, Response *resp, Error *err) {
  Httpc *http = NULL;
  int r = client_http(c, &http, err);
  if (r < 0)
    return r;
  response_clear_headers(resp);
  resp->status = 0;
  resp->err = err;
  resp->sink_rc = 0;
  HttpcRequest req = {
      .method = method,
      .url = url,
      .headers = headers,
      .body = form,
      .body_len = form ? strlen(form) : 0,
      .max_redirects = 10,
      /* A stalled registry fails the pull instead of hanging it: nothing received for 60 s. */
      .idle_timeout_ms = 60000,
      .on_body = on_body,
      .userdata = resp,
      .cancel_flag = c->cancel,
  };
  HttpcResponse hr = HTTPC_RESPONSE_INIT;
  r = httpc_request(http, &req, &hr, err);
  if (r == 0) {
    resp->status = hr.status;
    take_header(&resp->content_type, &hr, "Content-Type");
    take_header(&resp->docker_digest, &hr, "Docker-Content-Digest");
    take_header(&resp->www_authenticate, &hr, "WWW-Authenticate");
    /* Several challenges (Basic and Bearer): the token flow is the one registries mean. */
    const char *v;
    for (size_t k = 1; (v = httpc_head_get_nth(&hr.head, "WWW-Authenticate", k)); k++)
      if (strncasecmp(v, "Bearer ", 7) == 0 && !startswith(resp->www_authenticate, "Bearer ")) {
        free(resp->www_authenticate);
        resp->www_authenticate = xstrndup(v, HEADER_VALUE_MAX);
        break;
      }
    httpc_response_done(&hr);
    return 0;
  }
  httpc_response_done(&hr);
  if (resp->sink_rc < 0 && r == resp->sink_rc)
    return r; /* the sink's own error, already in err */
  if (r == -ECANCELED)
    return error_set(err, -ECANCELED, NULL, "cancelled");
  _cleanup_free_ char *why = xstrdup(err && err->message ? err->message : strerror(-r));
  const char *hint = "";
  int code;
  switch (r) {
  case -ECONNREFUSED:
  case -EHOSTUNREACH:
  case -ETIMEDOUT:
  case -ELOOP:
    code = r;
    break;
  case -EPROTO:
    code = -EPROTO;
    if (startswith(url, "https://"))
      hint = " (if the registry speaks plain HTTP, give it an http:// endpoint in registries.yaml)";
    break;
  case -EKEYREJECTED:
    code = -EPROTO;
    hint = " (set tls.ca_file for this registry in registries.yaml, or tls.insecure_skip_verify)";
    break;
  default:
    code = -EIO; /* retried by the puller */
    /* A TLS 1.3 server that wants a client certificate asks after the handshake and then drops the
     * connection: GnuTLS reports a failed send or receive, or (when the close arrives first) a premature
     * termination, "The TLS connection was non-properly terminated." */
    if (startswith(url, "https://") && !c->tls.cert_file &&
        (strstr(why, "push function") || strstr(why, "pull function") || strstr(why, "alert") ||
         strstr(why, "certificate") || strstr(why, "non-properly terminated")))
      hint = " (if the registry requires a client certificate, set tls.cert_file and tls.key_file for it in "
             "registries.yaml)";
  }
  return error_set(err, code, NULL, "%s %s: %s%s", method, url, why, hint);
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
static int fetch_token(RegistryClient *c, const RegistryChallenge *ch, Error *err) {
  const char *realm = registry_challenge_get(ch, "realm");
  const char *service = registry_challenge_get(ch, "service");
  const char *scope = registry_challenge_get(ch, "scope");
  if (!realm || (!startswith(realm, "https://") && !startswith(realm, "http://")))
    return error_set(err, -EACCES, NULL, "%s asks for a bearer token without a usable realm", c->host);
  _cleanup_free_ char *own_scope = xasprintf("repository:%s:pull", c->repo);
  if (!scope)
    scope = own_scope;
  _cleanup_buf_ Buf e_service = BUF_INIT;
  _cleanup_buf_ Buf e_scope = BUF_INIT;
  httpc_put_escaped(&e_service, service ? service : "");
  httpc_put_escaped(&e_scope, scope);
  _cleanup_buf_ Buf url = BUF_INIT;
  _cleanup_buf_ Buf form = BUF_INIT;
  _cleanup_free_ char *authz = NULL;
  const char *hdrs[2] = {NULL, NULL};
  const char *method = "GET";
  if (c->auth.identity_token) {
    _cleanup_buf_ Buf e_tok = BUF_INIT;
    httpc_put_escaped(&e_tok, c->auth.identity_token);
    buf_puts(&url, realm);
    buf_printf(&form, "grant_type=refresh_token&client_id=coracle&service=%s&scope=%s&refresh_token=%s",
               e_service.data ? e_service.data : "", e_scope.data, e_tok.data);
    hdrs[0] = "Content-Type: application/x-www-form-urlencoded";
    method = "POST";
  } else {
    buf_printf(&url, "%s%s", realm, strchr(realm, '?') ? "&" : "?");
    if (service)
      buf_printf(&url, "service=%s&", e_service.data ? e_service.data : "");
    buf_printf(&url, "scope=%s", e_scope.data);
    if (c->auth.username) {
      _cleanup_free_ char *basic = basic_header(&c->auth);
      authz = xasprintf("Authorization: %s", basic);
      hdrs[0] = authz;
    }
  }
  _cleanup_buf_ Buf body = BUF_INIT;
  Response resp = {.sink = buf_sink, .sink_ud = &body};
  int r = perform(c, method, url.data, form.data, hdrs, &resp, err);
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
static int authenticate_locked(RegistryClient *c, const Response *resp, int tries, Error *err) {
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
      r = fetch_token(c, &ch, err);
  } else {
    r = error_set(err, -EACCES, NULL, "%s asks for unsupported authentication \"%s\"", c->host, ch.scheme);
  }
  registry_challenge_done(&ch);
  return r;
}

/* Answers a 401. seen_generation is the token generation the refused request used: if another thread has
 * renewed it since, retrying is enough. tries counts the renewals this request already made. */
static int authenticate(RegistryClient *c, const Response *resp, unsigned seen_generation, int tries,
                        Error *err) {
  pthread_mutex_lock(&c->mu);
  int r = 0;
  if (c->auth_generation == seen_generation) {
    r = authenticate_locked(c, resp, tries, err);
    if (r >= 0)
      c->auth_generation++;
  }
  pthread_mutex_unlock(&c->mu);
  return r;
}

static int request(RegistryClient *c, const char *url, const char *accept, Response *resp, Error *err) {
  for (int tries = 0;; tries++) {
    pthread_mutex_lock(&c->mu);
    _cleanup_free_ char *authz = c->authorization ? xasprintf("Authorization: %s", c->authorization) : NULL;
    unsigned gen = c->auth_generation;
    pthread_mutex_unlock(&c->mu);
    _cleanup_free_ char *accept_line = accept ? xasprintf("Accept: %s", accept) : NULL;
    const char *hdrs[3];
    size_t nh = 0;
    if (accept_line)
      hdrs[nh++] = accept_line;
    if (authz)
      hdrs[nh++] = authz;
    hdrs[nh] = NULL;
    buf_reset(&resp->error_body);
    int r = perform(c, "GET", url, NULL, hdrs, resp, err);
    if (r < 0)
      return r;
    if (resp->status != 401 || tries >= 2)
      return 0;
    log_debug("images", "%s: 401, authenticating (%s)", url,
              resp->www_authenticate ? resp->www_authenticate : "");
    if ((r = authenticate(c, resp, gen, tries, err)) < 0)
      return r;
  }
}

int registry_client_get_manifest(RegistryClient *c, const char *reference, RegistryManifest *ret,
                                 Error *err) {
  _cleanup_free_ char *url = xasprintf("%s/%s/manifests/%s", c->api, c->repo, reference);
  _cleanup_buf_ Buf body = BUF_INIT;
  Response resp = {.sink = buf_sink, .sink_ud = &body};
  int r = request(c, url, IMAGE_MANIFEST_ACCEPT, &resp, err);
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

int registry_client_get_blob(RegistryClient *c, const char *digest, ContentWriter *w, Error *err) {
  _cleanup_free_ char *url = xasprintf("%s/%s/blobs/%s", c->api, c->repo, digest);
  Response resp = {.sink = writer_sink, .sink_ud = w};
  int r = request(c, url, NULL, &resp, err);
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
