/* Container environment (see env.h): service links, envFrom, env with valueFrom and $(VAR) expansion. */
#include <errno.h>
#include <unistd.h>

#include "agent/kubelet/env.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"
#include "api/quantity.h"
#include "base/base64.h"
#include "base/buf.h"
#include "base/log.h"

bool kubelet_env_name_valid(const char *name) {
  if (isempty(name) || streq(name, ".") || startswith(name, ".."))
    return false;
  for (const char *p = name; *p; p++) {
    char c = *p;
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
    if (!alpha && !(p != name && c >= '0' && c <= '9'))
      return false;
  }
  return true;
}

/* ---- service links ---- */

static char *env_var_name(const char *s) {
  char *r = xstrdup(s);
  for (char *p = r; *p; p++)
    *p = *p == '-' ? '_' : (char)((*p >= 'a' && *p <= 'z') ? *p - 'a' + 'A' : *p);
  return r;
}

static void add_var(json_t *out, const char *name, const char *value) {
  json_array_append_new(out, json_pack("{s:s,s:s}", "name", name, "value", value));
}

static int by_name(const void *a, const void *b) {
  json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
  return strcmp(jstr(x, "metadata.name") ?: "", jstr(y, "metadata.name") ?: "");
}

json_t *kubelet_service_env(json_t *services) {
  json_t *out = json_array();
  size_t n = json_array_size(services);
  _cleanup_free_ json_t **sorted = xcalloc(n ? n : 1, sizeof *sorted);
  for (size_t i = 0; i < n; i++)
    sorted[i] = json_array_get(services, i);
  qsort(sorted, n, sizeof *sorted, by_name);
  for (size_t i = 0; i < n; i++) {
    json_t *svc = sorted[i];
    const char *ip = jstr(svc, "spec.clusterIP"), *name = jstr(svc, "metadata.name");
    json_t *ports = jpath(svc, "spec.ports");
    if (isempty(ip) || streq(ip, "None") || !name || json_array_size(ports) == 0)
      continue;
    _cleanup_free_ char *prefix = env_var_name(name);
    bool v6 = strchr(ip, ':') != NULL;
    _cleanup_free_ char *host = xasprintf("%s_SERVICE_HOST", prefix);
    add_var(out, host, ip);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)jint(json_array_get(ports, 0), "port", 0));
    _cleanup_free_ char *port = xasprintf("%s_SERVICE_PORT", prefix);
    add_var(out, port, num);
    size_t j;
    json_t *p;
    json_array_foreach(ports, j, p) {
      const char *pn = jstr(p, "name");
      if (isempty(pn))
        continue;
      _cleanup_free_ char *up = env_var_name(pn), *n2 = xasprintf("%s_%s", port, up);
      snprintf(num, sizeof num, "%lld", (long long)jint(p, "port", 0));
      add_var(out, n2, num);
    }
    /* Docker links: the first port also as NAME_PORT. */
    json_array_foreach(ports, j, p) {
      const char *proto = jstr(p, "protocol");
      if (isempty(proto))
        proto = "TCP";
      _cleanup_free_ char *lower = xstrdup(proto), *upper = env_var_name(proto);
      for (char *c = lower; *c; c++)
        *c = (char)((*c >= 'A' && *c <= 'Z') ? *c - 'A' + 'a' : *c);
      long long pnum = (long long)jint(p, "port", 0);
      _cleanup_free_ char *url = xasprintf(v6 ? "%s://[%s]:%lld" : "%s://%s:%lld", lower, ip, pnum);
      if (j == 0) {
        _cleanup_free_ char *n0 = xasprintf("%s_PORT", prefix);
        add_var(out, n0, url);
      }
      _cleanup_free_ char *pp = xasprintf("%s_PORT_%lld_%s", prefix, pnum, upper);
      add_var(out, pp, url);
      _cleanup_free_ char *n_proto = xasprintf("%s_PROTO", pp), *n_port = xasprintf("%s_PORT", pp),
                          *n_addr = xasprintf("%s_ADDR", pp);
      snprintf(num, sizeof num, "%lld", pnum);
      add_var(out, n_proto, lower);
      add_var(out, n_port, num);
      add_var(out, n_addr, ip);
    }
  }
  return out;
}

/* ---- assembly ---- */

/* "K=V" entries of obj (an object) then of arr (array of {name,value}), for runtime_expand_vars. */
static json_t *expansion_env(json_t *obj, json_t *arr) {
  json_t *env = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) {
    _cleanup_free_ char *kv = xasprintf("%s=%s", k, json_string_value(v) ?: "");
    json_array_append_new(env, json_string(kv));
  }
  size_t i;
  json_array_foreach(arr, i, v) {
    _cleanup_free_ char *kv = xasprintf("%s=%s", jstr(v, "name") ?: "", jstr(v, "value") ?: "");
    json_array_append_new(env, json_string(kv));
  }
  return env;
}

json_t *kubelet_env_assemble(json_t *spec_ctr, json_t *from_env, json_t *value_from, json_t *service_env) {
  _cleanup_json_ json_t *tmp = from_env ? json_deep_copy(from_env) : json_object();
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(spec_ctr, "env"), i, e) {
    const char *name = jstr(e, "name");
    if (isempty(name))
      continue;
    const char *value = jstr(e, "value");
    if (!isempty(value)) {
      _cleanup_json_ json_t *env = expansion_env(tmp, service_env);
      _cleanup_free_ char *expanded = runtime_expand_vars(value, env);
      json_object_set_new(tmp, name, json_string_nocheck(expanded));
      continue;
    }
    if (json_object_get(e, "valueFrom")) {
      json_t *r = json_object_get(value_from, name);
      if (json_is_string(r))
        json_object_set(tmp, name, r);
      continue;
    }
    json_object_set_new(tmp, name, json_string(""));
  }
  json_t *out = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(tmp, k, v) add_var(out, k, json_string_value(v) ?: "");
  json_array_foreach(service_env, i, v) {
    if (!json_object_get(tmp, jstr(v, "name") ?: ""))
      json_array_append(out, v);
  }
  return out;
}

/* ---- field and resource references ---- */

char *kubelet_field_ref(json_t *pod, const char *host_ip, const char *path) {
  if (!path)
    return NULL;
  if (streq(path, "status.hostIP") || streq(path, "status.hostIPs"))
    return xstrdup(host_ip ?: "");
  if (streq(path, "status.podIP") || streq(path, "status.podIPs"))
    return xstrdup(jstr(pod, "status.podIP") ?: "");
  if (startswith(path, "metadata.labels['") || startswith(path, "metadata.annotations['")) {
    bool labels = startswith(path, "metadata.labels");
    const char *start = strchr(path, '\'') + 1;
    const char *end = strchr(start, '\'');
    if (!end || !streq(end, "']"))
      return NULL;
    _cleanup_free_ char *key = xstrndup(start, (size_t)(end - start));
    json_t *m = jpath(pod, labels ? "metadata.labels" : "metadata.annotations");
    const char *v = json_string_value(json_object_get(m, key));
    return xstrdup(v ? v : "");
  }
  static const char *const allowed[] = {"metadata.name", "metadata.namespace", "metadata.uid",
                                        "spec.nodeName", "spec.serviceAccountName"};
  for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
    if (streq(path, allowed[i]))
      return xstrdup(jstr(pod, path) ?: "");
  return NULL;
}

int64_t kubelet_node_milli_cpu(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return (n > 0 ? n : 1) * 1000;
}

int64_t kubelet_node_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (int64_t)pages * size : 0;
}

static int64_t ceil_div(int64_t a, int64_t b) {
  return a <= 0 ? 0 : (a + b - 1) / b;
}

int kubelet_resource_field_ref(json_t *spec_ctr, const char *resource, json_t *divisor,
                               int64_t node_milli_cpu, int64_t node_memory, char **ret, Error *err) {
  if (!resource)
    resource = "";
  bool limit = startswith(resource, "limits."), request = startswith(resource, "requests.");
  const char *what = strchr(resource, '.') ? strchr(resource, '.') + 1 : "";
  bool cpu = streq(what, "cpu");
  if ((!limit && !request) || (!cpu && !streq(what, "memory") && !streq(what, "ephemeral-storage")))
    return error_set(err, -EINVAL, NULL, "unsupported container resource : %s", resource);
  Quantity d;
  if (divisor && !json_is_null(divisor)) {
    if (quantity_from_json(divisor, &d, NULL) < 0 || quantity_sign(&d) <= 0)
      return error_set(err, -EINVAL, NULL, "invalid divisor for resource %s", resource);
  } else {
    quantity_parse("1", &d, NULL);
  }
  int64_t value;
  if (cpu) {
    int64_t m = runtime_resource_milli_cpu(spec_ctr, limit);
    if (limit && m <= 0)
      m = node_milli_cpu;
    int64_t dm = quantity_milli_value(&d);
    value = ceil_div(m, dm > 0 ? dm : 1);
  } else {
    int64_t b = 0;
    if (streq(what, "memory"))
      b = runtime_resource_memory(spec_ctr, limit);
    else {
      json_t *q = jpath(json_object_get(spec_ctr, "resources"), limit ? "limits" : "requests");
      Quantity qq;
      if (json_object_get(q, what) && quantity_from_json(json_object_get(q, what), &qq, NULL) == 0)
        b = quantity_value(&qq);
    }
    if (limit && b <= 0)
      b = streq(what, "memory") ? node_memory : 0;
    int64_t dv = quantity_value(&d);
    value = ceil_div(b, dv > 0 ? dv : 1);
  }
  *ret = xasprintf("%lld", (long long)value);
  return 0;
}

/* ---- reading objects ---- */

/* Gets a ConfigMap or Secret; 0 and NULL when missing. */
static int get_object(Kubelet *k, const char *ns, const char *name, bool secret, json_t **ret, Error *err) {
  const ApiResource *r = api_resource_find("", "v1", secret ? "secrets" : "configmaps");
  Error gerr = ERROR_INIT;
  int rc = client_get(k->client, r, ns, name ? name : "", ret, &gerr);
  if (rc == -ENOENT) {
    error_reset(&gerr);
    *ret = NULL;
    return 0;
  }
  if (rc < 0) {
    rc = error_set(err, rc, NULL, "getting %s \"%s\": %s", secret ? "secret" : "configmap", name ?: "",
                   gerr.message ?: strerror(-rc));
    error_reset(&gerr);
    return rc;
  }
  return 0;
}

/* The string value of key in a ConfigMap (data, then binaryData decoded) or Secret (data decoded); NULL
 * when absent. */
static char *object_value(json_t *obj, const char *key, bool secret) {
  json_t *v = json_object_get(json_object_get(obj, "data"), key);
  bool decode = secret;
  if (!secret && !v) {
    v = json_object_get(json_object_get(obj, "binaryData"), key);
    decode = true;
  }
  const char *s = json_string_value(v);
  if (!s)
    return NULL;
  return decode ? base64_decode_string(s) : xstrdup(s);
}

static int key_ref(Kubelet *k, const char *ns, json_t *ref, bool secret, char **ret, Error *err) {
  const char *name = jstr(ref, "name") ?: "", *key = jstr(ref, "key") ?: "";
  bool optional = json_is_true(json_object_get(ref, "optional"));
  _cleanup_json_ json_t *obj = NULL;
  int rc = get_object(k, ns, name, secret, &obj, err);
  if (rc < 0)
    return rc;
  if (!obj) {
    if (optional)
      return 0;
    return error_set(err, -ENOENT, NULL, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
  }
  char *v = object_value(obj, key, secret);
  if (!v) {
    if (optional)
      return 0;
    return error_set(err, -ENOENT, NULL, "couldn't find key %s in %s %s/%s", key,
                     secret ? "Secret" : "ConfigMap", ns, name);
  }
  *ret = v;
  return 1;
}

static int env_from(Kubelet *k, const char *ns, json_t *spec_ctr, json_t *out, Error *err) {
  size_t i;
  json_t *src;
  json_array_foreach(json_object_get(spec_ctr, "envFrom"), i, src) {
    bool secret = json_object_get(src, "secretRef") != NULL;
    json_t *ref = json_object_get(src, secret ? "secretRef" : "configMapRef");
    if (!ref)
      continue;
    const char *name = jstr(ref, "name") ?: "", *prefix = jstr(src, "prefix") ?: "";
    _cleanup_json_ json_t *obj = NULL;
    int rc = get_object(k, ns, name, secret, &obj, err);
    if (rc < 0)
      return rc;
    if (!obj) {
      if (json_is_true(json_object_get(ref, "optional")))
        continue;
      return error_set(err, -ENOENT, NULL, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
    }
    _cleanup_buf_ Buf invalid = BUF_INIT;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(obj, "data"), key, v) {
      _cleanup_free_ char *full = xasprintf("%s%s", prefix, key);
      if (!kubelet_env_name_valid(full)) {
        buf_printf(&invalid, "%s%s", invalid.len ? ", " : "", full);
        continue;
      }
      _cleanup_free_ char *val = object_value(obj, key, secret);
      if (val)
        json_object_set_new(out, full, json_string_nocheck(val));
    }
    if (invalid.len)
      log_info("kubelet",
               "namespace=%s %s=%s msg=\"keys skipped: invalid environment variable names\" keys=\"%.*s\"",
               ns, secret ? "secret" : "configmap", name, (int)invalid.len, invalid.data);
  }
  return 0;
}

static int value_from(Kubelet *k, json_t *pod, json_t *spec_ctr, json_t *out, Error *err) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(spec_ctr, "env"), i, e) {
    json_t *vf = json_object_get(e, "valueFrom");
    const char *name = jstr(e, "name");
    if (!vf || !name || !isempty(jstr(e, "value")))
      continue;
    _cleanup_free_ char *value = NULL;
    int rc = 0;
    if (json_object_get(vf, "configMapKeyRef"))
      rc = key_ref(k, ns, json_object_get(vf, "configMapKeyRef"), false, &value, err);
    else if (json_object_get(vf, "secretKeyRef"))
      rc = key_ref(k, ns, json_object_get(vf, "secretKeyRef"), true, &value, err);
    else if (json_object_get(vf, "fieldRef")) {
      const char *path = jstr(vf, "fieldRef.fieldPath");
      value = kubelet_field_ref(pod, k->node_ip, path);
      if (!value)
        return error_set(err, -EINVAL, NULL, "unsupported fieldPath: %s", path ?: "");
    } else if (json_object_get(vf, "resourceFieldRef")) {
      json_t *rf = json_object_get(vf, "resourceFieldRef"), *target = spec_ctr;
      const char *cn = jstr(rf, "containerName");
      if (!isempty(cn) && !streq_ptr(cn, jstr(spec_ctr, "name"))) { /* another container's resources */
        target = NULL;
        const char *lists[] = {"spec.containers", "spec.initContainers"};
        for (size_t l = 0; l < ELEMENTSOF(lists) && !target; l++) {
          size_t j;
          json_t *c;
          json_array_foreach(jpath(pod, lists[l]), j, c) {
            if (streq_ptr(jstr(c, "name"), cn))
              target = c;
          }
        }
        if (!target)
          return error_set(err, -EINVAL, NULL, "resourceFieldRef: container \"%s\" not found", cn);
      }
      rc = kubelet_resource_field_ref(target, jstr(rf, "resource"), json_object_get(rf, "divisor"),
                                      kubelet_node_milli_cpu(), kubelet_node_memory(), &value, err);
    }
    if (rc < 0)
      return rc;
    if (value)
      json_object_set_new(out, name, json_string_nocheck(value));
  }
  return 0;
}

/* Services whose variables the container gets: the namespace's when enableServiceLinks is not false, and
 * the "kubernetes" service of default always (a namespace's own service of that name wins). */
static json_t *service_links(Kubelet *k, json_t *pod) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  bool links = !json_is_false(jpath(pod, "spec.enableServiceLinks"));
  const ApiResource *r = api_resource_find("", "v1", "services");
  json_t *services = json_array();
  Error e = ERROR_INIT;
  if (links) {
    json_t *items = NULL;
    if (client_list(k->client, r, ns, NULL, &items, NULL, &e) == 0) {
      json_array_extend(services, items);
      json_decref(items);
    } else {
      log_warn("kubelet",
               "namespace=%s msg=\"listing services for their environment variables failed\" err=\"%s\"", ns,
               e.message ?: "");
    }
    error_reset(&e);
  }
  bool own = false;
  size_t i;
  json_t *s;
  json_array_foreach(services, i, s) own = own || streq_ptr(jstr(s, "metadata.name"), "kubernetes");
  if (!own) {
    json_t *master = NULL;
    if (client_get(k->client, r, "default", "kubernetes", &master, &e) == 0)
      json_array_append_new(services, master);
    error_reset(&e);
  }
  return services;
}

int kubelet_env_build(Kubelet *k, json_t *pod, json_t *spec_ctr, json_t **ret, Error *err) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  _cleanup_json_ json_t *services = service_links(k, pod);
  _cleanup_json_ json_t *svc_env = kubelet_service_env(services);
  _cleanup_json_ json_t *from = json_object(), *vals = json_object();
  int rc = env_from(k, ns, spec_ctr, from, err);
  if (rc >= 0)
    rc = value_from(k, pod, spec_ctr, vals, err);
  if (rc < 0)
    return rc;
  *ret = kubelet_env_assemble(spec_ctr, from, vals, svc_env);
  return 0;
}
