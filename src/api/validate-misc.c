/* Validation of the remaining built-in kinds with Kubernetes' field paths and wording (v1.32): Ingress
 * (rules, paths and pathType, backends), IngressClass, NetworkPolicy (ports, peers, ipBlock, policyTypes),
 * RBAC roles and bindings (rules need verbs; a binding's roleRef is required and immutable), Secret types
 * and their required keys, ConfigMap/Secret size, PriorityClass, PodDisruptionBudget, Lease, Endpoints,
 * EndpointSlice, LimitRange, ResourceQuota and Node (podCIDR and providerID fixed once set). What needs
 * the state of the cluster (one default PriorityClass, a referenced Service existing) is not checked here. */
#include <arpa/inet.h>
#include <errno.h>

#include "api/quantity.h"
#include "api/validate-internal.h"
#include "api/validate.h"
#include "base/base64.h"

#define MAX_SECRET_SIZE (1024 * 1024)

static const char *const PROTOCOLS[] = {"SCTP", "TCP", "UDP", NULL};
static const char PORT_NAME_MSG[] =
    "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), must contain at least one "
    "letter, must be no more than 15 characters";
static const char PORT_RANGE_MSG[] = "must be between 1 and 65535, inclusive";
static const char DNS_SUBDOMAIN_MSG[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
static const char DNS1035_MSG[] =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

static char *at(const char *base, const char *fmt_child) {
  return xasprintf("%s.%s", base, fmt_child);
}

/* A port number (1-65535) or an IANA port name in an IntOrString. */
static void int_or_port_name(V *v, json_t *port, const char *path) {
  if (json_is_integer(port)) {
    if (json_integer_value(port) < 1 || json_integer_value(port) > 65535)
      invalid_json(v, path, port, PORT_RANGE_MSG);
  } else if (json_is_string(port)) {
    if (!validate_port_name(json_string_value(port)))
      invalid_json(v, path, port, PORT_NAME_MSG);
  }
}

static void port_number(V *v, json_t *o, const char *key, const char *base, bool req) {
  json_t *p = json_object_get(o, key);
  _cleanup_free_ char *path = at(base, key);
  if (!p) {
    if (req)
      required(v, path, NULL);
  } else if (!json_is_integer(p) || json_integer_value(p) < 1 || json_integer_value(p) > 65535)
    invalid_json(v, path, p, PORT_RANGE_MSG);
}

static bool is_ip(const char *s) {
  unsigned char buf[16];
  return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* Parses "addr/len" into family, address bytes and prefix length. */
static bool parse_cidr(const char *s, int *family, unsigned char addr[16], int *bits) {
  if (!s)
    return false;
  const char *slash = strchr(s, '/');
  if (!slash || slash == s || strlen(slash + 1) == 0 || strlen(slash + 1) > 3)
    return false;
  _cleanup_free_ char *ip = xstrndup(s, (size_t)(slash - s));
  char *end;
  long n = strtol(slash + 1, &end, 10);
  if (*end || n < 0)
    return false;
  if (inet_pton(AF_INET, ip, addr) == 1 && n <= 32)
    *family = AF_INET;
  else if (inet_pton(AF_INET6, ip, addr) == 1 && n <= 128)
    *family = AF_INET6;
  else
    return false;
  *bits = (int)n;
  return true;
}

static bool prefix_contains(const unsigned char *net, int bits, const unsigned char *addr) {
  for (int i = 0; i < bits; i++) {
    int byte = i / 8, bit = 7 - i % 8;
    if (((net[byte] >> bit) & 1) != ((addr[byte] >> bit) & 1))
      return false;
  }
  return true;
}

static void label_selector(V *v, json_t *sel, const char *path) {
  if (!json_is_object(sel))
    return;
  _cleanup_free_ char *ml = at(path, "matchLabels");
  validate_labels(v, json_object_get(sel, "matchLabels"), ml);
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
    _cleanup_free_ char *ep = xasprintf("%s.matchExpressions[%zu]", path, i);
    static const char *const ops[] = {"DoesNotExist", "Exists", "In", "NotIn", NULL};
    const char *op = jstr(e, "operator");
    _cleanup_free_ char *opp = at(ep, "operator");
    if (!op || !one_of(op, ops)) {
      _cleanup_free_ char *m = xasprintf("not a valid selector operator");
      invalid_str(v, opp, op ? op : "", m);
      continue;
    }
    size_t nvals = json_array_size(json_object_get(e, "values"));
    _cleanup_free_ char *vp = at(ep, "values");
    if ((streq(op, "In") || streq(op, "NotIn")) && nvals == 0)
      required(v, vp, "must be specified when `operator` is 'In' or 'NotIn'");
    else if ((streq(op, "Exists") || streq(op, "DoesNotExist")) && nvals > 0)
      forbidden(v, vp, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    const char *key = jstr(e, "key");
    _cleanup_free_ char *kp = at(ep, "key");
    if (!key || !validate_qualified_name(key))
      invalid_str(v, kp, key ? key : "", VALIDATE_QUALIFIED_NAME_MSG);
  }
}

/* ---- networking.k8s.io ---- */

static bool wildcard_host_ok(const char *h) {
  return startswith(h, "*.") && validate_dns1123_subdomain(h + 2);
}

static void ingress_backend(V *v, json_t *b, const char *path) {
  json_t *svc = json_object_get(b, "service"), *res = json_object_get(b, "resource");
  if (svc && res) {
    invalid_str(v, path, "", "cannot set both resource and service backends");
    return;
  }
  if (res) {
    _cleanup_free_ char *rp = at(path, "resource");
    if (isempty(jstr(res, "kind"))) {
      _cleanup_free_ char *p = at(rp, "kind");
      required(v, p, "kind is required");
    }
    if (isempty(jstr(res, "name"))) {
      _cleanup_free_ char *p = at(rp, "name");
      required(v, p, "name is required");
    }
    return;
  }
  if (!svc) {
    invalid_str(v, path, "", "resource or service backend is required");
    return;
  }
  const char *name = jstr(svc, "name");
  _cleanup_free_ char *np = at(path, "service.name");
  if (isempty(name))
    required(v, np, NULL);
  else if (!validate_dns1123_label(name) || !(name[0] >= 'a' && name[0] <= 'z'))
    invalid_str(v, np, name, DNS1035_MSG);
  json_t *port = json_object_get(svc, "port");
  const char *pname = jstr(port, "name");
  json_t *pnum = json_object_get(port, "number");
  bool has_name = !isempty(pname),
       has_num = pnum && !(json_is_integer(pnum) && json_integer_value(pnum) == 0);
  if (has_name && has_num)
    invalid_str(v, path, "", "cannot set both port name & port number");
  else if (has_name) {
    if (!validate_port_name(pname)) {
      _cleanup_free_ char *p = at(path, "service.port.name");
      invalid_str(v, p, pname, PORT_NAME_MSG);
    }
  } else if (has_num) {
    if (!json_is_integer(pnum) || json_integer_value(pnum) < 1 || json_integer_value(pnum) > 65535) {
      _cleanup_free_ char *p = at(path, "service.port.number");
      invalid_json(v, p, pnum, PORT_RANGE_MSG);
    }
  } else
    required(v, path, "port name or number is required");
}

static void ingress_path(V *v, json_t *p, const char *path) {
  const char *type = jstr(p, "pathType");
  _cleanup_free_ char *tp = at(path, "pathType");
  if (!json_object_get(p, "pathType") || json_is_null(json_object_get(p, "pathType"))) {
    required(v, tp, "pathType must be specified");
    return;
  }
  const char *value = jstr(p, "path");
  _cleanup_free_ char *pp = at(path, "path");
  if (streq_ptr(type, "Exact") || streq_ptr(type, "Prefix")) {
    if (!value || value[0] != '/')
      invalid_str(v, pp, value ? value : "", "must be an absolute path");
    static const char *const seqs[] = {"//", "/./", "/../", "%2f", "%2F"};
    for (size_t i = 0; value && i < ELEMENTSOF(seqs); i++)
      if (strstr(value, seqs[i])) {
        _cleanup_free_ char *m = xasprintf("must not contain '%s'", seqs[i]);
        invalid_str(v, pp, value, m);
      }
    static const char *const suffixes[] = {"/..", "/."};
    for (size_t i = 0; value && i < ELEMENTSOF(suffixes); i++)
      if (endswith(value, suffixes[i])) {
        _cleanup_free_ char *m = xasprintf("cannot end with '%s'", suffixes[i]);
        invalid_str(v, pp, value, m);
      }
  } else if (streq_ptr(type, "ImplementationSpecific")) {
    if (!isempty(value) && value[0] != '/')
      invalid_str(v, pp, value, "must be an absolute path");
  } else {
    static const char *const types[] = {"Exact", "ImplementationSpecific", "Prefix", NULL};
    unsupported(v, tp, type ? type : "", types);
  }
  _cleanup_free_ char *bp = at(path, "backend");
  ingress_backend(v, json_object_get(p, "backend"), bp);
}

static void validate_ingress(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *rules = json_object_get(spec, "rules"), *def = json_object_get(spec, "defaultBackend");
  if (json_array_size(rules) == 0 && !def)
    invalid_str(v, "spec", "[]networking.IngressRule(nil)",
                "either `defaultBackend` or `rules` must be specified");
  if (def)
    ingress_backend(v, def, "spec.defaultBackend");
  size_t i;
  json_t *r;
  json_array_foreach(rules, i, r) {
    _cleanup_free_ char *rp = xasprintf("spec.rules[%zu]", i);
    const char *host = jstr(r, "host");
    if (!isempty(host)) {
      _cleanup_free_ char *hp = at(rp, "host");
      if (is_ip(host))
        invalid_str(v, hp, host, "must be a DNS name, not an IP address");
      if (strchr(host, '*')) {
        if (!wildcard_host_ok(host))
          invalid_str(
              v, hp, host,
              "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
              "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
              "alphanumeric character (e.g. '*.example.com', regex used for validation is "
              "'\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
      } else if (!is_ip(host) && !validate_dns1123_subdomain(host))
        invalid_str(v, hp, host, DNS_SUBDOMAIN_MSG);
    }
    json_t *http = json_object_get(r, "http");
    if (!http)
      continue;
    json_t *paths = json_object_get(http, "paths");
    _cleanup_free_ char *psp = at(rp, "http.paths");
    if (json_array_size(paths) == 0)
      required(v, psp, NULL);
    size_t k;
    json_t *p;
    json_array_foreach(paths, k, p) {
      _cleanup_free_ char *pp = xasprintf("%s[%zu]", psp, k);
      ingress_path(v, p, pp);
    }
  }
  json_array_foreach(json_object_get(spec, "tls"), i, r) {
    size_t k;
    json_t *h;
    json_array_foreach(json_object_get(r, "hosts"), k, h) {
      const char *s = json_string_value(h);
      if (!s || (strchr(s, '*') ? !wildcard_host_ok(s) : !validate_dns1123_subdomain(s))) {
        _cleanup_free_ char *p = xasprintf("spec.tls[%zu].hosts[%zu]", i, k);
        invalid_str(v, p, s ? s : "", DNS_SUBDOMAIN_MSG);
      }
    }
    const char *secret = jstr(r, "secretName");
    if (!isempty(secret) && !validate_dns1123_subdomain(secret)) {
      _cleanup_free_ char *p = xasprintf("spec.tls[%zu].secretName", i);
      invalid_str(v, p, secret, DNS_SUBDOMAIN_MSG);
    }
  }
  const char *cls = jstr(spec, "ingressClassName");
  if (cls && !validate_dns1123_subdomain(cls))
    invalid_str(v, "spec.ingressClassName", cls, DNS_SUBDOMAIN_MSG);
}

static void network_policy_peer(V *v, json_t *peer, const char *path) {
  int n = 0;
  json_t *ps = json_object_get(peer, "podSelector"), *ns = json_object_get(peer, "namespaceSelector");
  json_t *ipb = json_object_get(peer, "ipBlock");
  if (ps) {
    n++;
    _cleanup_free_ char *p = at(path, "podSelector");
    label_selector(v, ps, p);
  }
  if (ns) {
    n++;
    _cleanup_free_ char *p = at(path, "namespaceSelector");
    label_selector(v, ns, p);
  }
  if (ipb) {
    n++;
    _cleanup_free_ char *cp = at(path, "ipBlock.cidr");
    const char *cidr = jstr(ipb, "cidr");
    int fam, bits;
    unsigned char net[16];
    if (isempty(cidr))
      required(v, cp, NULL);
    else if (!parse_cidr(cidr, &fam, net, &bits))
      invalid_str(v, cp, cidr, "not a valid CIDR");
    else {
      size_t i;
      json_t *e;
      json_array_foreach(json_object_get(ipb, "except"), i, e) {
        _cleanup_free_ char *ep = xasprintf("%s.ipBlock.except[%zu]", path, i);
        int efam, ebits;
        unsigned char eaddr[16];
        const char *es = json_string_value(e);
        if (!parse_cidr(es, &efam, eaddr, &ebits)) {
          invalid_str(v, ep, es ? es : "", "not a valid CIDR");
          break;
        }
        if (efam != fam || ebits <= bits || !prefix_contains(net, bits, eaddr))
          invalid_str(v, ep, es, "must be a strict subset of `cidr`");
      }
    }
  }
  if (n == 0)
    required(v, path, "must specify a peer");
  else if (n > 1 && ipb)
    forbidden(v, path, "may not specify both ipBlock and another peer");
}

static void validate_network_policy(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  label_selector(v, json_object_get(spec, "podSelector"), "spec.podSelector");
  static const char *const dirs[][2] = {{"ingress", "from"}, {"egress", "to"}};
  for (size_t d = 0; d < 2; d++) {
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(spec, dirs[d][0]), i, rule) {
      size_t k;
      json_t *x;
      json_array_foreach(json_object_get(rule, "ports"), k, x) {
        _cleanup_free_ char *pp = xasprintf("spec.%s[%zu].ports[%zu]", dirs[d][0], i, k);
        check_enum(v, x, "protocol", pp, PROTOCOLS);
        _cleanup_free_ char *portp = at(pp, "port");
        int_or_port_name(v, json_object_get(x, "port"), portp);
        json_t *end = json_object_get(x, "endPort");
        if (end && json_is_integer(end)) {
          _cleanup_free_ char *epp = at(pp, "endPort");
          json_t *port = json_object_get(x, "port");
          if (!json_is_integer(port))
            required(v, portp, "must be specified when endPort is set");
          else if (json_integer_value(end) < json_integer_value(port))
            invalid_json(v, epp, end, "must be greater than or equal to `port`");
        }
      }
      json_array_foreach(json_object_get(rule, dirs[d][1]), k, x) {
        _cleanup_free_ char *pp = xasprintf("spec.%s[%zu].%s[%zu]", dirs[d][0], i, dirs[d][1], k);
        network_policy_peer(v, x, pp);
      }
    }
  }
  json_t *types = json_object_get(spec, "policyTypes");
  if (json_array_size(types) > 2) {
    invalid_json(v, "spec.policyTypes", types, "may not specify more than two policyTypes");
    return;
  }
  static const char *const allowed[] = {"Ingress", "Egress", NULL};
  size_t i;
  json_t *t;
  json_array_foreach(types, i, t) {
    const char *s = json_string_value(t);
    if (!s || !one_of(s, allowed)) {
      _cleanup_free_ char *p = xasprintf("spec.policyTypes[%zu]", i);
      unsupported(v, p, s ? s : "", allowed);
    }
  }
}

/* ---- rbac.authorization.k8s.io ---- */

static char *go_strings(json_t *arr) {
  Buf b = BUF_INIT;
  buf_puts(&b, "[]string{");
  size_t i;
  json_t *s;
  json_array_foreach(arr, i, s)
      buf_printf(&b, "%s\"%s\"", i ? ", " : "", json_is_string(s) ? json_string_value(s) : "");
  buf_puts(&b, "}");
  return b.data;
}

static void validate_rules(V *v, json_t *obj, bool namespaced) {
  size_t i;
  json_t *rule;
  json_array_foreach(json_object_get(obj, "rules"), i, rule) {
    _cleanup_free_ char *rp = xasprintf("rules[%zu]", i);
    _cleanup_free_ char *vp = at(rp, "verbs");
    if (json_array_size(json_object_get(rule, "verbs")) == 0)
      required(v, vp, "verbs must contain at least one value");
    json_t *urls = json_object_get(rule, "nonResourceURLs");
    size_t groups = json_array_size(json_object_get(rule, "apiGroups"));
    size_t resources = json_array_size(json_object_get(rule, "resources"));
    if (json_array_size(urls) > 0) {
      _cleanup_free_ char *up = at(rp, "nonResourceURLs");
      _cleanup_free_ char *val = go_strings(urls);
      if (namespaced) {
        _cleanup_free_ char *m =
            xasprintf("Invalid value: %s: namespaced rules cannot apply to non-resource URLs", val);
        add(v, "FieldValueInvalid", up, m);
      }
      if (groups || resources || json_array_size(json_object_get(rule, "resourceNames"))) {
        _cleanup_free_ char *m = xasprintf(
            "Invalid value: %s: rules cannot apply to both regular resources and non-resource URLs", val);
        add(v, "FieldValueInvalid", up, m);
      }
      continue;
    }
    if (groups == 0) {
      _cleanup_free_ char *p = at(rp, "apiGroups");
      required(v, p, "resource rules must supply at least one api group");
    }
    if (resources == 0) {
      _cleanup_free_ char *p = at(rp, "resources");
      required(v, p, "resource rules must supply at least one resource");
    }
  }
}

#define RBAC_GROUP "rbac.authorization.k8s.io"

static void validate_binding(V *v, json_t *obj, bool namespaced) {
  json_t *ref = json_object_get(obj, "roleRef");
  const char *group = jstr(ref, "apiGroup"), *kind = jstr(ref, "kind"), *name = jstr(ref, "name");
  static const char *const groups[] = {RBAC_GROUP, NULL};
  if (!streq_ptr(group, RBAC_GROUP))
    unsupported(v, "roleRef.apiGroup", group ? group : "", groups);
  static const char *const ns_kinds[] = {"Role", "ClusterRole", NULL}, *const cluster_kinds[] = {
                                                                           "ClusterRole", NULL};
  const char *const *kinds = namespaced ? ns_kinds : cluster_kinds;
  if (!kind || !one_of(kind, kinds))
    unsupported(v, "roleRef.kind", kind ? kind : "", kinds);
  if (isempty(name))
    required(v, "roleRef.name", NULL);
  else if (strchr(name, '/') || strchr(name, '%') || streq(name, ".") || streq(name, ".."))
    invalid_str(v, "roleRef.name", name, "may not contain '/' or '%' and may not be '.' or '..'");
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(obj, "subjects"), i, s) {
    _cleanup_free_ char *sp = xasprintf("subjects[%zu]", i);
    const char *sk = jstr(s, "kind"), *sn = jstr(s, "name"), *sg = jstr(s, "apiGroup");
    if (isempty(sn)) {
      _cleanup_free_ char *p = at(sp, "name");
      required(v, p, NULL);
    }
    _cleanup_free_ char *gp = at(sp, "apiGroup");
    if (streq_ptr(sk, "ServiceAccount")) {
      if (!isempty(sn) && !validate_dns1123_subdomain(sn)) {
        _cleanup_free_ char *p = at(sp, "name");
        invalid_str(v, p, sn, DNS_SUBDOMAIN_MSG);
      }
      static const char *const core[] = {"", NULL};
      if (!isempty(sg))
        unsupported(v, gp, sg, core);
      if (!namespaced && isempty(jstr(s, "namespace"))) {
        _cleanup_free_ char *p = at(sp, "namespace");
        required(v, p, NULL);
      }
    } else if (streq_ptr(sk, "User") || streq_ptr(sk, "Group")) {
      if (!streq_ptr(sg, RBAC_GROUP))
        unsupported(v, gp, sg ? sg : "", groups);
    } else {
      static const char *const skinds[] = {"ServiceAccount", "User", "Group", NULL};
      _cleanup_free_ char *p = at(sp, "kind");
      unsupported(v, p, sk ? sk : "", skinds);
    }
  }
}

static void validate_binding_update(V *v, json_t *obj, json_t *old) {
  json_t *a = json_object_get(obj, "roleRef"), *b = json_object_get(old, "roleRef");
  if (json_equal(a ? a : json_null(), b ? b : json_null()))
    return;
  _cleanup_free_ char *m = xasprintf(
      "Invalid value: rbac.RoleRef{APIGroup:\"%s\", Kind:\"%s\", Name:\"%s\"}: cannot change roleRef",
      jstr(a, "apiGroup") ? jstr(a, "apiGroup") : "", jstr(a, "kind") ? jstr(a, "kind") : "",
      jstr(a, "name") ? jstr(a, "name") : "");
  add(v, "FieldValueInvalid", "roleRef", m);
}

/* ---- core/v1 configuration ---- */

static size_t data_size(json_t *data, bool base64) {
  size_t total = 0;
  const char *k;
  json_t *val;
  json_object_foreach(data, k, val) {
    size_t n = json_is_string(val) ? json_string_length(val) : 0;
    if (base64 && n) {
      /* Decoded length of standard base64 with padding. */
      const char *s = json_string_value(val);
      size_t pad = (n >= 1 && s[n - 1] == '=') + (n >= 2 && s[n - 2] == '=');
      n = n / 4 * 3 - (n % 4 == 0 ? pad : 0) + (n % 4 ? (n % 4) * 3 / 4 : 0);
    }
    total += n;
  }
  return total;
}

static bool has_key(json_t *obj, const char *key) {
  return json_object_get(json_object_get(obj, "data"), key) ||
         json_object_get(json_object_get(obj, "stringData"), key);
}

static void require_key(V *v, json_t *obj, const char *key) {
  if (!has_key(obj, key)) {
    _cleanup_free_ char *p = xasprintf("data[%s]", key);
    required(v, p, NULL);
  }
}

static void validate_secret(V *v, json_t *obj) {
  size_t size =
      data_size(json_object_get(obj, "data"), true) + data_size(json_object_get(obj, "stringData"), false);
  if (size > MAX_SECRET_SIZE)
    add(v, "FieldValueTooLong", "data", "Too long: may not be more than 1048576 bytes");
  const char *type = jstr(obj, "type");
  if (!type)
    return;
  if (streq(type, "kubernetes.io/service-account-token")) {
    if (isempty(jstr(
            json_object_get(jpath(obj, "metadata.annotations"), "kubernetes.io/service-account.name"), "")) &&
        !json_is_string(
            json_object_get(jpath(obj, "metadata.annotations"), "kubernetes.io/service-account.name")))
      required(v, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
  } else if (streq(type, "kubernetes.io/dockercfg")) {
    require_key(v, obj, ".dockercfg");
  } else if (streq(type, "kubernetes.io/dockerconfigjson")) {
    require_key(v, obj, ".dockerconfigjson");
  } else if (streq(type, "kubernetes.io/basic-auth")) {
    if (!has_key(obj, "username") && !has_key(obj, "password")) {
      required(v, "data[username]", NULL);
      required(v, "data[password]", NULL);
    }
  } else if (streq(type, "kubernetes.io/ssh-auth")) {
    require_key(v, obj, "ssh-privatekey");
  } else if (streq(type, "kubernetes.io/tls")) {
    require_key(v, obj, "tls.key");
    require_key(v, obj, "tls.crt");
  }
}

static void validate_configmap(V *v, json_t *obj) {
  size_t size =
      data_size(json_object_get(obj, "data"), false) + data_size(json_object_get(obj, "binaryData"), true);
  if (size > MAX_SECRET_SIZE)
    add(v, "FieldValueTooLong", "", "Too long: may not be more than 1048576 bytes");
}

/* ---- other kinds ---- */

static void int_or_percent(V *v, json_t *x, const char *path) {
  if (json_is_integer(x)) {
    if (json_integer_value(x) < 0)
      invalid_json(v, path, x, "must be greater than or equal to 0");
    return;
  }
  const char *s = json_string_value(x);
  if (!s)
    return;
  char *end;
  long pct = strtol(s, &end, 10);
  if (end == s || strcmp(end, "%") != 0 || pct < 0 || !(*s >= '0' && *s <= '9'))
    invalid_json(v, path, x,
                 "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
                 "'93%', regex used for validation is '[0-9]+%')");
  else if (pct > 100)
    invalid_json(v, path, x, "must not be greater than 100%");
}

static void validate_pdb(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *min = json_object_get(spec, "minAvailable"), *max = json_object_get(spec, "maxUnavailable");
  if (min && max && !json_is_null(min) && !json_is_null(max)) {
    _cleanup_free_ char *a = json_compact(min), *b = json_compact(max);
    _cleanup_free_ char *m = xasprintf(
        "Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:%s, MaxUnavailable:%s}: minAvailable and "
        "maxUnavailable cannot be both set",
        a, b);
    add(v, "FieldValueInvalid", "spec", m);
  }
  int_or_percent(v, min, "spec.minAvailable");
  int_or_percent(v, max, "spec.maxUnavailable");
  label_selector(v, json_object_get(spec, "selector"), "spec.selector");
  static const char *const policies[] = {"AlwaysAllow", "IfHealthyBudget", NULL};
  check_enum(v, spec, "unhealthyPodEvictionPolicy", "spec", policies);
}

#define HIGHEST_USER_PRIORITY 1000000000

static void validate_priority_class(V *v, json_t *obj) {
  const char *name = jstr(obj, "metadata.name");
  int64_t value = jint(obj, "value", 0);
  if (name && startswith(name, "system-")) {
    bool known = (streq(name, "system-cluster-critical") && value == 2000000000) ||
                 (streq(name, "system-node-critical") && value == 2000001000);
    if (!known || json_is_true(json_object_get(obj, "globalDefault"))) {
      _cleanup_free_ char *m =
          xasprintf("priority class names with 'system-' prefix are reserved for system use "
                    "only. error: %s is not a known system priority class",
                    name);
      forbidden(v, "metadata.name", m);
    }
  } else if (value > HIGHEST_USER_PRIORITY) {
    forbidden(v, "value", "maximum allowed value of a user defined priority is 1000000000");
  }
  static const char *const policies[] = {"Never", "PreemptLowerPriority", NULL};
  check_enum(v, obj, "preemptionPolicy", "", policies);
}

static void validate_lease(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *d = json_object_get(spec, "leaseDurationSeconds");
  if (json_is_integer(d) && json_integer_value(d) <= 0)
    invalid_json(v, "spec.leaseDurationSeconds", d, "must be greater than 0");
  json_t *t = json_object_get(spec, "leaseTransitions");
  if (json_is_integer(t) && json_integer_value(t) < 0)
    invalid_json(v, "spec.leaseTransitions", t, "must be greater than or equal to 0");
}

static void endpoint_ports(V *v, json_t *ports, const char *base, bool name_required) {
  size_t i;
  json_t *p;
  json_array_foreach(ports, i, p) {
    _cleanup_free_ char *pp = xasprintf("%s[%zu]", base, i);
    const char *name = jstr(p, "name");
    _cleanup_free_ char *np = at(pp, "name");
    if (name_required && isempty(name))
      required(v, np, NULL);
    else if (!isempty(name) && !validate_dns1123_label(name))
      invalid_str(v, np, name, VALIDATE_DNS_LABEL_MSG);
    port_number(v, p, "port", pp, false);
    check_enum(v, p, "protocol", pp, PROTOCOLS);
  }
}

static const char IP_MSG[] = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

static void validate_endpoints(V *v, json_t *obj) {
  size_t i;
  json_t *sub;
  json_array_foreach(json_object_get(obj, "subsets"), i, sub) {
    static const char *const lists[] = {"addresses", "notReadyAddresses"};
    for (size_t l = 0; l < 2; l++) {
      size_t k;
      json_t *a;
      json_array_foreach(json_object_get(sub, lists[l]), k, a) {
        const char *ip = jstr(a, "ip");
        if (!is_ip(ip)) {
          _cleanup_free_ char *p = xasprintf("subsets[%zu].%s[%zu].ip", i, lists[l], k);
          invalid_str(v, p, ip ? ip : "", IP_MSG);
        }
      }
    }
    _cleanup_free_ char *base = xasprintf("subsets[%zu].ports", i);
    endpoint_ports(v, json_object_get(sub, "ports"), base,
                   json_array_size(json_object_get(sub, "ports")) > 1);
  }
}

static void validate_endpoint_slice(V *v, json_t *obj) {
  static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
  const char *type = jstr(obj, "addressType");
  if (isempty(type))
    required(v, "addressType", NULL);
  else if (!one_of(type, types))
    unsupported(v, "addressType", type, types);
  size_t i;
  json_t *ep;
  json_array_foreach(json_object_get(obj, "endpoints"), i, ep) {
    json_t *addrs = json_object_get(ep, "addresses");
    _cleanup_free_ char *ap = xasprintf("endpoints[%zu].addresses", i);
    if (json_array_size(addrs) == 0)
      required(v, ap, "must contain at least 1 address");
    else if (json_array_size(addrs) > 100)
      add(v, "FieldValueTooMany", ap, "Too many: must have at most 100 items");
    size_t k;
    json_t *a;
    json_array_foreach(addrs, k, a) {
      const char *s = json_string_value(a);
      _cleanup_free_ char *p = xasprintf("%s[%zu]", ap, k);
      unsigned char buf[16];
      if (streq_ptr(type, "IPv4") && !(s && inet_pton(AF_INET, s, buf) == 1))
        invalid_str(v, p, s ? s : "", "must be a valid IPv4 address");
      else if (streq_ptr(type, "IPv6") && !(s && inet_pton(AF_INET6, s, buf) == 1))
        invalid_str(v, p, s ? s : "", "must be a valid IPv6 address");
      else if (streq_ptr(type, "FQDN") && !(s && validate_dns1123_subdomain(s)))
        invalid_str(v, p, s ? s : "", DNS_SUBDOMAIN_MSG);
    }
  }
  endpoint_ports(v, json_object_get(obj, "ports"), "ports", false);
}

/* A ResourceList whose quantities must parse and be >= 0; the parsed values go into ret when not NULL. */
static void resource_list(V *v, json_t *list, const char *path) {
  const char *k;
  json_t *q;
  json_object_foreach(list, k, q) {
    Quantity qty;
    Error qe = ERROR_INIT;
    _cleanup_free_ char *p = xasprintf("%s[%s]", path, k);
    if (quantity_from_json(q, &qty, &qe) < 0)
      invalid_json(v, p, q, qe.message ? qe.message : "must be a valid quantity");
    else if (quantity_sign(&qty) < 0) {
      _cleanup_free_ char *t = quantity_canonical(&qty);
      invalid_str(v, p, t, "must be greater than or equal to 0");
    }
    error_reset(&qe);
  }
}

static bool qty_of(json_t *list, const char *k, Quantity *ret) {
  json_t *q = json_object_get(list, k);
  Error qe = ERROR_INIT;
  bool ok = q && quantity_from_json(q, ret, &qe) >= 0;
  error_reset(&qe);
  return ok;
}

/* lower[k] <= upper[k] for every k in both: "<path>[k]: Invalid value: "x": <what> value x is greater than
 * <than> value y". */
static void not_greater(V *v, json_t *item, const char *lo, const char *hi, const char *path,
                        const char *what, const char *than) {
  json_t *lower = json_object_get(item, lo), *upper = json_object_get(item, hi);
  const char *k;
  json_t *q;
  json_object_foreach(lower, k, q) {
    Quantity a, b;
    if (!qty_of(lower, k, &a) || !qty_of(upper, k, &b) || quantity_cmp(&a, &b) <= 0)
      continue;
    _cleanup_free_ char *sa = quantity_canonical(&a), *sb = quantity_canonical(&b);
    _cleanup_free_ char *p = xasprintf("%s.%s[%s]", path, lo, k);
    _cleanup_free_ char *m = xasprintf("%s value %s is greater than %s value %s", what, sa, than, sb);
    invalid_str(v, p, sa, m);
  }
}

static void validate_limit_range(V *v, json_t *obj) {
  size_t i;
  json_t *item;
  json_array_foreach(jpath(obj, "spec.limits"), i, item) {
    _cleanup_free_ char *ip = xasprintf("spec.limits[%zu]", i);
    static const char *const types[] = {"Container", "PersistentVolumeClaim", "Pod", NULL};
    const char *type = jstr(item, "type");
    _cleanup_free_ char *tp = at(ip, "type");
    if (!type || !one_of(type, types))
      unsupported(v, tp, type ? type : "", types);
    static const char *const lists[] = {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"};
    for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
      _cleanup_free_ char *lp = at(ip, lists[l]);
      resource_list(v, json_object_get(item, lists[l]), lp);
    }
    not_greater(v, item, "min", "max", ip, "min", "max");
    not_greater(v, item, "default", "max", ip, "default", "max");
    not_greater(v, item, "defaultRequest", "default", ip, "default request", "default limit");
    not_greater(v, item, "defaultRequest", "max", ip, "default request", "max");
  }
}

static void validate_node(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(spec, "podCIDRs"), i, c) {
    int fam, bits;
    unsigned char a[16];
    if (!parse_cidr(json_string_value(c), &fam, a, &bits)) {
      _cleanup_free_ char *p = xasprintf("spec.podCIDRs[%zu]", i);
      invalid_json(v, p, c, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    }
  }
  json_t *t;
  json_array_foreach(json_object_get(spec, "taints"), i, t) {
    _cleanup_free_ char *tp = xasprintf("spec.taints[%zu]", i);
    const char *key = jstr(t, "key");
    _cleanup_free_ char *kp = at(tp, "key");
    if (isempty(key))
      required(v, kp, NULL);
    else if (!validate_qualified_name(key))
      invalid_str(v, kp, key, VALIDATE_QUALIFIED_NAME_MSG);
    const char *eff = jstr(t, "effect");
    static const char *const effects[] = {"NoExecute", "NoSchedule", "PreferNoSchedule", NULL};
    _cleanup_free_ char *ep = at(tp, "effect");
    if (isempty(eff))
      required(v, ep, NULL);
    else if (!one_of(eff, effects))
      unsupported(v, ep, eff, effects);
  }
}

/* podCIDR(s) and providerID may go from unset to set, never change after. */
static void validate_node_update(V *v, json_t *obj, json_t *old) {
  json_t *spec = json_object_get(obj, "spec"), *ospec = json_object_get(old, "spec");
  json_t *oc = json_object_get(ospec, "podCIDRs"), *nc = json_object_get(spec, "podCIDRs");
  const char *op = jstr(ospec, "podCIDR"), *np = jstr(spec, "podCIDR");
  if ((json_array_size(oc) > 0 && !json_equal(oc, nc ? nc : json_null())) ||
      (!isempty(op) && !streq_ptr(op, np)))
    forbidden(v, "spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid");
  const char *opid = jstr(ospec, "providerID");
  if (!isempty(opid) && !streq_ptr(opid, jstr(spec, "providerID")))
    forbidden(v, "spec.providerID", "node updates may not change providerID except from \"\" to valid");
}

bool validate_misc_object(V *v, const char *group, const char *kind, json_t *obj) {
  if (!*group) {
    if (streq(kind, "Secret"))
      validate_secret(v, obj);
    else if (streq(kind, "ConfigMap"))
      validate_configmap(v, obj);
    else if (streq(kind, "Endpoints"))
      validate_endpoints(v, obj);
    else if (streq(kind, "LimitRange"))
      validate_limit_range(v, obj);
    else if (streq(kind, "ResourceQuota"))
      resource_list(v, jpath(obj, "spec.hard"), "spec.hard");
    else if (streq(kind, "Node"))
      validate_node(v, obj);
    else
      return false;
  } else if (streq(group, "networking.k8s.io") && streq(kind, "Ingress"))
    validate_ingress(v, obj);
  else if (streq(group, "networking.k8s.io") && streq(kind, "NetworkPolicy"))
    validate_network_policy(v, obj);
  else if (streq(group, RBAC_GROUP) && (streq(kind, "Role") || streq(kind, "ClusterRole")))
    validate_rules(v, obj, streq(kind, "Role"));
  else if (streq(group, RBAC_GROUP) && (streq(kind, "RoleBinding") || streq(kind, "ClusterRoleBinding")))
    validate_binding(v, obj, streq(kind, "RoleBinding"));
  else if (streq(group, "policy") && streq(kind, "PodDisruptionBudget"))
    validate_pdb(v, obj);
  else if (streq(group, "scheduling.k8s.io") && streq(kind, "PriorityClass"))
    validate_priority_class(v, obj);
  else if (streq(group, "coordination.k8s.io") && streq(kind, "Lease"))
    validate_lease(v, obj);
  else if (streq(group, "discovery.k8s.io") && streq(kind, "EndpointSlice"))
    validate_endpoint_slice(v, obj);
  else
    return false;
  return true;
}

bool validate_misc_update(V *v, const char *group, const char *kind, json_t *obj, json_t *old) {
  if (!*group && streq(kind, "Secret")) {
    json_t *t = json_object_get(obj, "type"), *ot = json_object_get(old, "type");
    if (ot && !json_equal(t ? t : json_null(), ot))
      invalid_json(v, "type", t, "field is immutable");
  } else if (!*group && streq(kind, "Node"))
    validate_node_update(v, obj, old);
  else if (streq(group, RBAC_GROUP) && (streq(kind, "RoleBinding") || streq(kind, "ClusterRoleBinding")))
    validate_binding_update(v, obj, old);
  else if (streq(group, "scheduling.k8s.io") && streq(kind, "PriorityClass")) {
    json_t *a = json_object_get(obj, "value"), *b = json_object_get(old, "value");
    if (!json_equal(a ? a : json_null(), b ? b : json_null()))
      forbidden(v, "value", "may not be changed in an update.");
    immutable(v, obj, old, "preemptionPolicy");
  } else if (streq(group, "discovery.k8s.io") && streq(kind, "EndpointSlice"))
    immutable(v, obj, old, "addressType");
  else if (streq(group, "networking.k8s.io") && streq(kind, "IngressClass"))
    immutable(v, obj, old, "spec.controller");
  else
    return false;
  return true;
}
