/* registries.yaml loading and endpoint resolution (see registries.h). The YAML goes through the API's YAML
 * decoder into JSON and is checked key by key so that a typo is reported with its path instead of being
 * silently ignored at pull time. */
#include "agent/images/registries.h"

#include <errno.h>
#include <regex.h>

#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/buf.h"

#define REGISTRIES_MAX_BYTES (1024 * 1024)
#define MAX_ENDPOINTS 32

struct RegistryConfig {
  json_t *mirrors; /* object: registry -> {endpoint: [...], rewrite: {...}} */
  json_t *configs; /* object: host -> {auth: {...}, tls: {...}} */
};

void registry_config_free(RegistryConfig *c) {
  if (!c)
    return;
  json_decref(c->mirrors);
  json_decref(c->configs);
  free(c);
}

static int check_string(json_t *v, const char *origin, const char *path, Error *err) {
  if (v && !json_is_string(v))
    return error_set(err, -EINVAL, NULL, "%s: %s must be a string", origin, path);
  return 0;
}

static int check_keys(json_t *o, const char *const *allowed, const char *origin, const char *path,
                      Error *err) {
  const char *k;
  json_t *v;
  json_object_foreach(o, k, v) {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = streq(k, *a);
    if (!ok)
      return error_set(err, -EINVAL, NULL, "%s: unknown key %s.%s", origin, path, k);
  }
  return 0;
}

static int validate(RegistryConfig *c, const char *origin, Error *err) {
  static const char *const mirror_keys[] = {"endpoint", "rewrite", NULL};
  static const char *const config_keys[] = {"auth", "tls", NULL};
  static const char *const auth_keys[] = {"username", "password", "auth", "identity_token", NULL};
  static const char *const tls_keys[] = {"insecure_skip_verify", "ca_file", "cert_file", "key_file", NULL};
  const char *name;
  json_t *m;
  int r;
  json_object_foreach(c->mirrors, name, m) {
    _cleanup_free_ char *path = xasprintf("mirrors[\"%s\"]", name);
    if (!json_is_object(m))
      return error_set(err, -EINVAL, NULL, "%s: %s must be a mapping", origin, path);
    if ((r = check_keys(m, mirror_keys, origin, path, err)) < 0)
      return r;
    json_t *eps = json_object_get(m, "endpoint");
    if (eps && (!json_is_array(eps) || json_array_size(eps) > MAX_ENDPOINTS))
      return error_set(err, -EINVAL, NULL, "%s: %s.endpoint must be a list of at most %d URLs", origin, path,
                       MAX_ENDPOINTS);
    size_t i;
    json_t *e;
    json_array_foreach(eps, i, e) {
      if (!json_is_string(e) || isempty(json_string_value(e)))
        return error_set(err, -EINVAL, NULL, "%s: %s.endpoint[%zu] must be a URL", origin, path, i);
      const char *u = json_string_value(e);
      if (strstr(u, "://") && !startswith(u, "http://") && !startswith(u, "https://"))
        return error_set(err, -EINVAL, NULL, "%s: %s.endpoint[%zu]: only http:// and https:// are supported",
                         origin, path, i);
    }
    json_t *rw = json_object_get(m, "rewrite");
    if (rw && !json_is_object(rw))
      return error_set(err, -EINVAL, NULL, "%s: %s.rewrite must be a mapping of pattern to replacement",
                       origin, path);
    const char *pat;
    json_t *rep;
    json_object_foreach(rw, pat, rep) {
      if (!json_is_string(rep))
        return error_set(err, -EINVAL, NULL, "%s: %s.rewrite[\"%s\"] must be a string", origin, path, pat);
      regex_t re;
      int rc = regcomp(&re, pat, REG_EXTENDED);
      if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof msg);
        return error_set(err, -EINVAL, NULL, "%s: %s.rewrite: pattern \"%s\": %s", origin, path, pat, msg);
      }
      regfree(&re);
    }
  }
  json_object_foreach(c->configs, name, m) {
    _cleanup_free_ char *path = xasprintf("configs[\"%s\"]", name);
    if (!json_is_object(m))
      return error_set(err, -EINVAL, NULL, "%s: %s must be a mapping", origin, path);
    if ((r = check_keys(m, config_keys, origin, path, err)) < 0)
      return r;
    json_t *auth = json_object_get(m, "auth");
    json_t *tls = json_object_get(m, "tls");
    if (auth) {
      _cleanup_free_ char *ap = xasprintf("%s.auth", path);
      if (!json_is_object(auth))
        return error_set(err, -EINVAL, NULL, "%s: %s must be a mapping", origin, ap);
      if ((r = check_keys(auth, auth_keys, origin, ap, err)) < 0)
        return r;
      for (const char *const *k = auth_keys; *k; k++) {
        _cleanup_free_ char *kp = xasprintf("%s.%s", ap, *k);
        if ((r = check_string(json_object_get(auth, *k), origin, kp, err)) < 0)
          return r;
      }
    }
    if (tls) {
      _cleanup_free_ char *tp = xasprintf("%s.tls", path);
      if (!json_is_object(tls))
        return error_set(err, -EINVAL, NULL, "%s: %s must be a mapping", origin, tp);
      if ((r = check_keys(tls, tls_keys, origin, tp, err)) < 0)
        return r;
      json_t *isv = json_object_get(tls, "insecure_skip_verify");
      if (isv && !json_is_boolean(isv))
        return error_set(err, -EINVAL, NULL, "%s: %s.insecure_skip_verify must be true or false", origin, tp);
      for (const char *const *k = tls_keys + 1; *k; k++) {
        _cleanup_free_ char *kp = xasprintf("%s.%s", tp, *k);
        if ((r = check_string(json_object_get(tls, *k), origin, kp, err)) < 0)
          return r;
      }
    }
  }
  return 0;
}

int registry_config_parse(const char *data, size_t len, const char *origin, RegistryConfig **ret,
                          Error *err) {
  if (len > REGISTRIES_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "%s: larger than %d bytes", origin, REGISTRIES_MAX_BYTES);
  _cleanup_json_ json_t *doc = NULL;
  int r = yaml_decode_body(data, len, &doc, err);
  if (r < 0)
    return error_wrap(err, "%s: ", origin);
  if (!json_is_object(doc) && !json_is_null(doc))
    return error_set(err, -EINVAL, NULL, "%s: the document must be a mapping", origin);
  static const char *const top_keys[] = {"mirrors", "configs", NULL};
  if (json_is_object(doc) && (r = check_keys(doc, top_keys, origin, "", err)) < 0)
    return r;
  json_t *mirrors = json_is_object(doc) ? json_object_get(doc, "mirrors") : NULL;
  json_t *configs = json_is_object(doc) ? json_object_get(doc, "configs") : NULL;
  if ((mirrors && !json_is_object(mirrors) && !json_is_null(mirrors)) ||
      (configs && !json_is_object(configs) && !json_is_null(configs)))
    return error_set(err, -EINVAL, NULL, "%s: mirrors and configs must be mappings", origin);
  RegistryConfig *c = xzalloc(sizeof *c);
  c->mirrors = json_is_object(mirrors) ? json_incref(mirrors) : json_object();
  c->configs = json_is_object(configs) ? json_incref(configs) : json_object();
  if ((r = validate(c, origin, err)) < 0) {
    registry_config_free(c);
    return r;
  }
  *ret = c;
  return 0;
}

int registry_config_load(const char *path, RegistryConfig **ret, Error *err) {
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  int r = read_file(path, &data, &len);
  if (r == -ENOENT) {
    RegistryConfig *c = xzalloc(sizeof *c);
    c->mirrors = json_object();
    c->configs = json_object();
    *ret = c;
    return 0;
  }
  if (r < 0)
    return error_set(err, r, NULL, "reading %s: %s", path, strerror(-r));
  return registry_config_parse(data, len, path, ret, err);
}

void registry_auth_done(RegistryAuth *a) {
  if (!a)
    return;
  free(a->username);
  free(a->password);
  free(a->identity_token);
  *a = (RegistryAuth){0};
}

void registry_endpoints_free(RegistryEndpoint *e, size_t n) {
  for (size_t i = 0; e && i < n; i++) {
    free(e[i].url);
    free(e[i].host);
    free(e[i].repository);
    registry_auth_done(&e[i].auth);
    free(e[i].tls.ca_file);
    free(e[i].tls.cert_file);
    free(e[i].tls.key_file);
  }
  free(e);
}

static bool is_loopback_host(const char *host) {
  size_t n = strlen(host);
  const char *colon = strrchr(host, ':');
  if (host[0] == '[')
    return startswith(host, "[::1]");
  if (colon)
    n = (size_t)(colon - host);
  if (n == 9 && strncmp(host, "localhost", 9) == 0)
    return true;
  return n > 4 && strncmp(host, "127.", 4) == 0;
}

/* Splits "scheme://host[:port][/path]" into the API root ("…/v2") and the host. */
static int parse_endpoint_url(const char *u, char **ret_url, char **ret_host) {
  _cleanup_free_ char *with_scheme = strstr(u, "://") ? xstrdup(u) : xasprintf("https://%s", u);
  const char *hs = strstr(with_scheme, "://") + 3;
  size_t hl = strcspn(hs, "/?#");
  if (hl == 0)
    return -EINVAL;
  _cleanup_free_ char *host = xstrndup(hs, hl);
  const char *path = hs + hl;
  size_t pl = strcspn(path, "?#");
  while (pl > 0 && path[pl - 1] == '/')
    pl--;
  bool has_v2 = pl >= 3 && strncmp(path + pl - 3, "/v2", 3) == 0;
  *ret_url =
      xasprintf("%.*s%.*s%s", (int)(hs - with_scheme + hl), with_scheme, (int)pl, path, has_v2 ? "" : "/v2");
  *ret_host = TAKE_PTR(host);
  return 0;
}

static void fill_config(const RegistryConfig *c, RegistryEndpoint *ep, const char *alt_key,
                        const RegistryAuth *auth) {
  json_t *cfg = json_object_get(c->configs, ep->host);
  if (!cfg && alt_key)
    cfg = json_object_get(c->configs, alt_key);
  json_t *a = json_object_get(cfg, "auth");
  const char *user = jstr(a, "username"), *pass = jstr(a, "password"), *b64 = jstr(a, "auth");
  const char *tok = jstr(a, "identity_token");
  if (b64 && !user) {
    uint8_t *raw = NULL;
    size_t rl = 0;
    if (base64_decode(b64, strlen(b64), &raw, &rl) == 0) {
      _cleanup_free_ char *s = xstrndup((const char *)raw, rl);
      char *colon = strchr(s, ':');
      if (colon) {
        ep->auth.username = xstrndup(s, (size_t)(colon - s));
        ep->auth.password = xstrdup(colon + 1);
      }
    }
    free(raw);
  } else if (user) {
    ep->auth.username = xstrdup(user);
    ep->auth.password = xstrdup(pass ? pass : "");
  }
  if (tok)
    ep->auth.identity_token = xstrdup(tok);
  if (!ep->auth.username && !ep->auth.identity_token && auth) {
    ep->auth.username = auth->username ? xstrdup(auth->username) : NULL;
    ep->auth.password = auth->password ? xstrdup(auth->password) : NULL;
    ep->auth.identity_token = auth->identity_token ? xstrdup(auth->identity_token) : NULL;
  }
  json_t *tls = json_object_get(cfg, "tls");
  ep->tls.insecure_skip_verify = json_is_true(json_object_get(tls, "insecure_skip_verify"));
  const char *v;
  if ((v = jstr(tls, "ca_file")))
    ep->tls.ca_file = xstrdup(v);
  if ((v = jstr(tls, "cert_file")))
    ep->tls.cert_file = xstrdup(v);
  if ((v = jstr(tls, "key_file")))
    ep->tls.key_file = xstrdup(v);
}

/* Applies the first matching rewrite (in document order) to repo. */
static char *rewrite_repository(json_t *rewrites, const char *repo) {
  const char *pat;
  json_t *rep;
  json_object_foreach(rewrites, pat, rep) {
    regex_t re;
    if (regcomp(&re, pat, REG_EXTENDED) != 0)
      continue;
    regmatch_t m[10];
    int rc = regexec(&re, repo, ELEMENTSOF(m), m, 0);
    regfree(&re);
    if (rc != 0)
      continue;
    Buf b = BUF_INIT;
    buf_append(&b, repo, (size_t)m[0].rm_so);
    for (const char *p = json_string_value(rep); *p; p++) {
      int g = -1;
      if (p[0] == '$' && p[1] >= '0' && p[1] <= '9') {
        g = p[1] - '0';
        p++;
      } else if (p[0] == '$' && p[1] == '{' && p[2] >= '0' && p[2] <= '9' && p[3] == '}') {
        g = p[2] - '0';
        p += 3;
      }
      if (g < 0) {
        buf_putc(&b, *p);
      } else if (m[g].rm_so >= 0) {
        buf_append(&b, repo + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
      }
    }
    buf_puts(&b, repo + m[0].rm_eo);
    return buf_steal(&b, NULL);
  }
  return xstrdup(repo);
}

int registry_config_endpoints(const RegistryConfig *c, const ImageRef *ref, const RegistryAuth *auth,
                              RegistryEndpoint **ret, size_t *ret_n, Error *err) {
  json_t *mirror = json_object_get(c->mirrors, ref->domain);
  if (!mirror)
    mirror = json_object_get(c->mirrors, "*");
  json_t *eps = json_object_get(mirror, "endpoint");
  json_t *rewrites = json_object_get(mirror, "rewrite");
  RegistryEndpoint *out = xcalloc(json_array_size(eps) + 1, sizeof *out);
  size_t n = 0;
  _cleanup_free_ char *default_url = NULL;
  const char *default_host = streq(ref->domain, "docker.io") ? "registry-1.docker.io" : ref->domain;
  default_url = xasprintf("%s://%s/v2", is_loopback_host(default_host) ? "http" : "https", default_host);
  size_t i;
  json_t *e;
  json_array_foreach(eps, i, e) {
    RegistryEndpoint *ep = &out[n];
    if (parse_endpoint_url(json_string_value(e), &ep->url, &ep->host) < 0) {
      registry_endpoints_free(out, n);
      return error_set(err, -EINVAL, NULL, "mirror endpoint \"%s\" for %s is not a URL", json_string_value(e),
                       ref->domain);
    }
    /* Listing the registry itself among its mirrors is common; it then keeps its own path. */
    ep->is_default = streq(ep->url, default_url);
    ep->repository = ep->is_default ? xstrdup(ref->path) : rewrite_repository(rewrites, ref->path);
    fill_config(c, ep, NULL, auth);
    n++;
  }
  bool have_default = false;
  for (size_t k = 0; k < n; k++)
    have_default |= out[k].is_default;
  if (!have_default) {
    RegistryEndpoint *ep = &out[n++];
    ep->url = TAKE_PTR(default_url);
    ep->host = xstrdup(default_host);
    ep->repository = xstrdup(ref->path);
    ep->is_default = true;
    fill_config(c, ep, ref->domain, auth);
  }
  *ret = out;
  *ret_n = n;
  return 0;
}
