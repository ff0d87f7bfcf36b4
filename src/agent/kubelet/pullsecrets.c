/* Credentials from image pull secrets (see pullsecrets.h). */
#include <errno.h>
#include <fnmatch.h>

#include "agent/images/reference.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/pullsecrets.h"
#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/log.h"

static bool is_docker_hub(const char *host) {
  return streq(host, "docker.io") || streq(host, "index.docker.io") || streq(host, "registry-1.docker.io");
}

/* Splits a key ("https://host:port/path/v1/") into host:port and path (no slashes at the ends). */
static void split_key(const char *key, char **ret_host, char **ret_path) {
  if (startswith(key, "https://"))
    key += 8;
  else if (startswith(key, "http://"))
    key += 7;
  size_t hl = strcspn(key, "/");
  *ret_host = xstrndup(key, hl);
  const char *p = key + hl;
  while (*p == '/')
    p++;
  char *path = xstrdup(p);
  size_t n = strlen(path);
  while (n && path[n - 1] == '/')
    path[--n] = 0;
  if (streq(path, "v1") || streq(path, "v2"))
    path[0] = 0; /* the registry API version of old docker configs, not a repository */
  *ret_path = path;
}

static bool host_matches(const char *pattern, const char *domain) {
  if (is_docker_hub(pattern) && is_docker_hub(domain))
    return true;
  /* Globs apply per label: "*.example.com" matches "a.example.com"; ports must be equal. */
  const char *pc = strchr(pattern, ':'), *dc = strchr(domain, ':');
  if (!streq(pc ? pc : "", dc ? dc : ""))
    return false;
  _cleanup_free_ char *ph = xstrndup(pattern, pc ? (size_t)(pc - pattern) : strlen(pattern));
  _cleanup_free_ char *dh = xstrndup(domain, dc ? (size_t)(dc - domain) : strlen(domain));
  if (!strchr(ph, '*'))
    return streq(ph, dh);
  size_t pd = 0, dd = 0;
  for (const char *c = ph; *c; c++)
    pd += *c == '.';
  for (const char *c = dh; *c; c++)
    dd += *c == '.';
  return pd == dd && fnmatch(ph, dh, 0) == 0;
}

static bool path_prefix(const char *prefix, const char *path) {
  size_t n = strlen(prefix);
  return n == 0 || (strncmp(prefix, path, n) == 0 && (path[n] == 0 || path[n] == '/'));
}

static int entry_auth(json_t *e, RegistryAuth *ret) {
  RegistryAuth a = {0};
  const char *auth = jstr(e, "auth");
  if (!isempty(auth)) {
    uint8_t *dec = NULL;
    size_t n = 0;
    if (base64_decode(auth, strlen(auth), &dec, &n) < 0)
      return 0;
    _cleanup_free_ char *s = xstrndup((const char *)dec, n);
    free(dec);
    char *colon = strchr(s, ':');
    if (!colon)
      return 0;
    *colon = 0;
    a.username = xstrdup(s);
    a.password = xstrdup(colon + 1);
  } else if (jstr(e, "username")) {
    a.username = xstrdup(jstr(e, "username"));
    a.password = xstrdup(jstr(e, "password") ?: "");
  }
  if (!isempty(jstr(e, "identitytoken")))
    a.identity_token = xstrdup(jstr(e, "identitytoken"));
  if (!a.username && !a.identity_token)
    return 0;
  *ret = a;
  return 1;
}

int kubelet_docker_config_auth(json_t *config, const char *domain, const char *path, RegistryAuth *ret) {
  json_t *auths = json_object_get(config, "auths");
  if (!json_is_object(auths))
    auths = config;
  json_t *best = NULL;
  size_t best_len = 0;
  const char *key;
  json_t *e;
  json_object_foreach(auths, key, e) {
    if (!json_is_object(e))
      continue;
    _cleanup_free_ char *host = NULL, *kpath = NULL;
    split_key(key, &host, &kpath);
    if (!host_matches(host, domain) || !path_prefix(kpath, path))
      continue;
    size_t len = strlen(host) + strlen(kpath) + (strchr(host, '*') ? 0 : 1);
    if (!best || len > best_len) {
      best = e;
      best_len = len;
    }
  }
  return best ? entry_auth(best, ret) : 0;
}

static int secret_auth(Kubelet *k, const char *ns, const char *name, const ImageRef *ref, RegistryAuth *ret) {
  const ApiResource *r = api_resource_find("", "v1", "secrets");
  _cleanup_json_ json_t *s = NULL;
  _cleanup_error_ Error e = ERROR_INIT;
  if (client_get(k->client, r, ns, name, &s, &e) < 0) {
    log_info("kubelet", "namespace=%s secret=%s msg=\"image pull secret not usable\" err=\"%s\"", ns, name,
             e.message ?: "");
    return 0;
  }
  const char *type = jstr(s, "type") ?: "";
  const char *field = streq(type, "kubernetes.io/dockercfg") ? ".dockercfg" : ".dockerconfigjson";
  const char *b64 = json_string_value(json_object_get(json_object_get(s, "data"), field));
  if (!b64)
    return 0;
  uint8_t *dec = NULL;
  size_t n = 0;
  if (base64_decode(b64, strlen(b64), &dec, &n) < 0)
    return 0;
  _cleanup_json_ json_t *cfg = json_loadb((const char *)dec, n, 0, NULL);
  free(dec);
  if (!cfg) {
    log_info("kubelet", "namespace=%s secret=%s msg=\"image pull secret is not valid JSON\"", ns, name);
    return 0;
  }
  return kubelet_docker_config_auth(cfg, ref->domain, ref->path, ret);
}

int kubelet_pull_auth(Kubelet *k, json_t *pod, const char *image, RegistryAuth *ret) {
  _cleanup_image_ref_ ImageRef ref = {0};
  if (image_ref_parse(image, &ref, NULL) < 0)
    return 0;
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  size_t i;
  json_t *s;
  json_array_foreach(jpath(pod, "spec.imagePullSecrets"), i, s) {
    if (jstr(s, "name") && secret_auth(k, ns, jstr(s, "name"), &ref, ret) > 0)
      return 1;
  }
  /* The ServiceAccount admission plugin copies these into the pod; a pod made without it still gets them. */
  const char *sa = jstr(pod, "spec.serviceAccountName");
  _cleanup_json_ json_t *acct = NULL;
  Error e = ERROR_INIT;
  client_get(k->client, api_resource_find("", "v1", "serviceaccounts"), ns, isempty(sa) ? "default" : sa,
             &acct, &e);
  error_reset(&e);
  json_array_foreach(json_object_get(acct, "imagePullSecrets"), i, s) {
    if (jstr(s, "name") && secret_auth(k, ns, jstr(s, "name"), &ref, ret) > 0)
      return 1;
  }
  return 0;
}
