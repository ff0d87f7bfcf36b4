/* Validation of built-in kinds (see validate.h). Messages follow Kubernetes' field.Error rendering:
 * "<path>: Required value", "<path>: Invalid value: <value>: <detail>", "<path>: Unsupported value: \"x\":
 * supported values: \"a\", \"b\"", "<path>: Duplicate value: \"x\"", "<path>: Forbidden: <detail>",
 * "<path>: Not found: \"x\"". The path is kept in the cause's field and the rest in its message, so the
 * API server can build the Status ("Deployment.apps \"web\" is invalid: [...]"). */
#include "api/validate.h"

#include <ctype.h>
#include <errno.h>

#include "api/cron.h"
#include "api/jsonutil.h"
#include "api/selector.h"
#include "api/validate-internal.h"
#include "base/buf.h"

/* ---- name grammars ---- */

static bool alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool validate_dns1123_label(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!alnum_lower(s[i]) && s[i] != '-')
      return false;
  return true;
}

bool validate_dns1123_subdomain(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 253 || !alnum_lower(s[0]) || !alnum_lower(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (alnum_lower(s[i]) || s[i] == '-')
      continue;
    if (s[i] == '.' && alnum_lower(s[i - 1]) && alnum_lower(s[i + 1]))
      continue;
    return false;
  }
  return true;
}

static bool alnum(char c) {
  return isalnum((unsigned char)c) != 0;
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most max characters, may be empty when allow_empty. */
static bool name_part(const char *s, size_t n, size_t max, bool allow_empty) {
  if (n == 0)
    return allow_empty;
  if (n > max || !alnum(s[0]) || !alnum(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return false;
  return true;
}

bool validate_qualified_name(const char *s) {
  const char *slash = strchr(s, '/');
  if (!slash)
    return name_part(s, strlen(s), 63, false);
  _cleanup_free_ char *prefix = xstrndup(s, (size_t)(slash - s));
  return validate_dns1123_subdomain(prefix) && name_part(slash + 1, strlen(slash + 1), 63, false);
}

bool validate_label_value(const char *s) {
  return name_part(s, strlen(s), 63, true);
}

const char VALIDATE_QUALIFIED_NAME_MSG[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const char VALIDATE_LABEL_VALUE_MSG[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
    "for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const char VALIDATE_DNS_LABEL_MSG[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/* ---- metadata ---- */

void validate_labels(V *v, json_t *labels, const char *path) {
  if (!labels || json_is_null(labels))
    return;
  if (!json_is_object(labels)) {
    invalid_json(v, path, labels, "must be a map of strings");
    return;
  }
  const char *k;
  json_t *val;
  json_object_foreach(labels, k, val) {
    if (!validate_qualified_name(k))
      invalid_str(v, path, k, VALIDATE_QUALIFIED_NAME_MSG);
    if (!json_is_string(val))
      invalid_json(v, path, val, "must be a string");
    else if (!validate_label_value(json_string_value(val)))
      invalid_str(v, path, json_string_value(val), VALIDATE_LABEL_VALUE_MSG);
  }
}

static void validate_meta(V *v, json_t *meta, const char *path) {
  _cleanup_free_ char *lp = xasprintf("%s.labels", path);
  validate_labels(v, json_object_get(meta, "labels"), lp);
  json_t *ann = json_object_get(meta, "annotations");
  if (json_is_object(ann)) {
    _cleanup_free_ char *ap = xasprintf("%s.annotations", path);
    const char *k;
    json_t *val;
    size_t total = 0;
    json_object_foreach(ann, k, val) {
      if (!validate_qualified_name(k))
        invalid_str(v, ap, k, VALIDATE_QUALIFIED_NAME_MSG);
      total += strlen(k) + (json_is_string(val) ? json_string_length(val) : 0);
    }
    if (total > 256 * 1024)
      add(v, "FieldValueTooLong", ap, "Too long: must have at most 262144 bytes");
  }
}

/* ---- pod spec ---- */

bool validate_port_name(const char *s) {
  /* IANA_SVC_NAME: at most 15 characters, lower-case alphanumerics and '-', at least one letter, no '--'. */
  size_t n = strlen(s);
  bool letter = false;
  if (n == 0 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= 'a' && s[i] <= 'z')
      letter = true;
    else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
      return false;
  }
  return letter;
}

static bool valid_env_name(const char *s) {
  if (!*s || (s[0] >= '0' && s[0] <= '9'))
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return false;
  return true;
}

static void validate_probe(V *v, json_t *probe, const char *path, bool success_one) {
  if (!probe || json_is_null(probe))
    return;
  int handlers = !!json_object_get(probe, "exec") + !!json_object_get(probe, "httpGet") +
                 !!json_object_get(probe, "tcpSocket") + !!json_object_get(probe, "grpc");
  if (handlers == 0)
    required(v, path, "must specify a handler type");
  else if (handlers > 1)
    forbidden(v, path, "may not specify more than 1 handler type");
  static const char *const fields[] = {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                                       "successThreshold", "failureThreshold"};
  for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
    json_t *x = json_object_get(probe, fields[i]);
    if (json_is_integer(x) && json_integer_value(x) < 0) {
      _cleanup_free_ char *p = xasprintf("%s.%s", path, fields[i]);
      invalid_int(v, p, json_integer_value(x), "must be greater than or equal to 0");
    }
  }
  json_t *st = json_object_get(probe, "successThreshold");
  if (success_one && json_is_integer(st) && json_integer_value(st) != 1) {
    _cleanup_free_ char *p = xasprintf("%s.successThreshold", path);
    invalid_int(v, p, json_integer_value(st), "must be 1");
  }
  json_t *port = jpath(probe, "httpGet.port");
  if (json_object_get(probe, "httpGet") && !port) {
    _cleanup_free_ char *p = xasprintf("%s.httpGet.port", path);
    required(v, p, NULL);
  }
}

static void validate_container(V *v, json_t *c, const char *path, json_t *volume_names, json_t *names,
                               bool probes_allowed) {
  if (!json_is_object(c)) {
    invalid_json(v, path, c, "must be an object");
    return;
  }
  _cleanup_free_ char *np = xasprintf("%s.name", path);
  const char *name = jstr(c, "name");
  if (isempty(name))
    required(v, np, NULL);
  else if (!validate_dns1123_label(name))
    invalid_str(v, np, name, VALIDATE_DNS_LABEL_MSG);
  else if (json_object_get(names, name))
    duplicate(v, np, name);
  else
    json_object_set_new(names, name, json_true());
  if (isempty(jstr(c, "image"))) {
    _cleanup_free_ char *ip = xasprintf("%s.image", path);
    required(v, ip, NULL);
  }
  static const char *const pull[] = {"Always", "IfNotPresent", "Never", NULL};
  check_enum(v, c, "imagePullPolicy", path, pull);
  static const char *const tmp[] = {"File", "FallbackToLogsOnError", NULL};
  check_enum(v, c, "terminationMessagePolicy", path, tmp);

  json_t *port_names = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(c, "ports"), i, p) {
    _cleanup_free_ char *pp = xasprintf("%s.ports[%zu]", path, i);
    json_t *cp = json_object_get(p, "containerPort");
    _cleanup_free_ char *cpp = xasprintf("%s.containerPort", pp);
    if (!cp)
      required(v, cpp, NULL);
    else if (!json_is_integer(cp) || json_integer_value(cp) < 1 || json_integer_value(cp) > 65535)
      invalid_json(v, cpp, cp, "must be between 1 and 65535, inclusive");
    json_t *hp = json_object_get(p, "hostPort");
    if (json_is_integer(hp) && (json_integer_value(hp) < 0 || json_integer_value(hp) > 65535)) {
      _cleanup_free_ char *hpp = xasprintf("%s.hostPort", pp);
      invalid_int(v, hpp, json_integer_value(hp), "must be between 1 and 65535, inclusive");
    }
    static const char *const protos[] = {"SCTP", "TCP", "UDP", NULL};
    check_enum(v, p, "protocol", pp, protos);
    const char *pn = jstr(p, "name");
    if (pn) {
      _cleanup_free_ char *pnp = xasprintf("%s.name", pp);
      if (!validate_port_name(pn))
        invalid_str(
            v, pnp, pn,
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), must contain at least "
            "one letter, must be no more than 15 characters");
      else if (json_object_get(port_names, pn))
        duplicate(v, pnp, pn);
      else
        json_object_set_new(port_names, pn, json_true());
    }
  }
  json_decref(port_names);

  json_array_foreach(json_object_get(c, "env"), i, p) {
    _cleanup_free_ char *ep = xasprintf("%s.env[%zu].name", path, i);
    const char *en = jstr(p, "name");
    if (isempty(en))
      required(v, ep, NULL);
    else if (!valid_env_name(en))
      invalid_str(
          v, ep, en,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
          "'.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or "
          "'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
    json_t *vf = json_object_get(p, "valueFrom");
    if (json_is_object(vf)) {
      _cleanup_free_ char *vp = xasprintf("%s.env[%zu].valueFrom", path, i);
      size_t sources = json_object_size(vf);
      if (sources == 0)
        invalid_str(
            v, vp, "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
      else if (sources > 1)
        invalid_str(v, vp, "", "may not have more than one field specified at a time");
      if (json_object_get(p, "value") && json_string_length(json_object_get(p, "value")) > 0)
        invalid_str(v, vp, "", "may not be specified when `value` is not empty");
    }
  }
  json_array_foreach(json_object_get(c, "volumeMounts"), i, p) {
    const char *vn = jstr(p, "name");
    _cleanup_free_ char *vp = xasprintf("%s.volumeMounts[%zu]", path, i);
    if (isempty(vn)) {
      _cleanup_free_ char *q = xasprintf("%s.name", vp);
      required(v, q, NULL);
    } else if (!json_object_get(volume_names, vn)) {
      _cleanup_free_ char *q = xasprintf("%s.name", vp);
      not_found(v, q, vn);
    }
    if (isempty(jstr(p, "mountPath"))) {
      _cleanup_free_ char *q = xasprintf("%s.mountPath", vp);
      required(v, q, NULL);
    }
  }
  static const char *const probes[] = {"livenessProbe", "readinessProbe", "startupProbe"};
  for (size_t k = 0; k < ELEMENTSOF(probes); k++) {
    json_t *pr = json_object_get(c, probes[k]);
    if (!pr)
      continue;
    _cleanup_free_ char *pp = xasprintf("%s.%s", path, probes[k]);
    if (!probes_allowed) {
      forbidden(v, pp, "may not be set for init containers without restartPolicy=Always");
      continue;
    }
    validate_probe(v, pr, pp, k != 1);
  }
}

typedef enum PodContext {
  POD_PLAIN,    /* a Pod */
  POD_WORKLOAD, /* template of a Deployment, ReplicaSet, StatefulSet, DaemonSet: restartPolicy Always */
  POD_JOB,      /* template of a Job: OnFailure or Never */
} PodContext;

static void validate_pod_spec(V *v, json_t *spec, const char *path, PodContext ctx) {
  if (!json_is_object(spec)) {
    required(v, path, NULL);
    return;
  }
  json_t *volume_names = json_object();
  size_t i;
  json_t *vol;
  json_array_foreach(json_object_get(spec, "volumes"), i, vol) {
    _cleanup_free_ char *vp = xasprintf("%s.volumes[%zu].name", path, i);
    const char *vn = jstr(vol, "name");
    if (isempty(vn))
      required(v, vp, NULL);
    else if (!validate_dns1123_label(vn))
      invalid_str(v, vp, vn, VALIDATE_DNS_LABEL_MSG);
    else if (json_object_get(volume_names, vn))
      duplicate(v, vp, vn);
    else
      json_object_set_new(volume_names, vn, json_true());
  }
  json_t *containers = json_object_get(spec, "containers");
  _cleanup_free_ char *cp = xasprintf("%s.containers", path);
  json_t *names = json_object();
  if (!json_is_array(containers) || json_array_size(containers) == 0)
    required(v, cp, NULL);
  json_t *c;
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
    _cleanup_free_ char *p = xasprintf("%s.initContainers[%zu]", path, i);
    bool sidecar = streq_ptr(jstr(c, "restartPolicy"), "Always");
    validate_container(v, c, p, volume_names, names, sidecar);
  }
  json_array_foreach(containers, i, c) {
    _cleanup_free_ char *p = xasprintf("%s[%zu]", cp, i);
    validate_container(v, c, p, volume_names, names, true);
  }
  json_decref(names);
  json_decref(volume_names);

  const char *rp = jstr(spec, "restartPolicy");
  _cleanup_free_ char *rpp = xasprintf("%s.restartPolicy", path);
  if (ctx == POD_WORKLOAD && rp && !streq(rp, "Always")) {
    static const char *const always[] = {"Always", NULL};
    unsupported(v, rpp, rp, always);
  } else if (ctx == POD_JOB && (!rp || (!streq(rp, "OnFailure") && !streq(rp, "Never")))) {
    if (!rp || streq(rp, "Always"))
      required(v, rpp, "valid values: \"OnFailure\", \"Never\"");
    else {
      static const char *const job[] = {"OnFailure", "Never", NULL};
      unsupported(v, rpp, rp, job);
    }
  } else {
    static const char *const all[] = {"Always", "OnFailure", "Never", NULL};
    check_enum(v, spec, "restartPolicy", path, all);
  }
  static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL};
  check_enum(v, spec, "dnsPolicy", path, dns);
  json_t *tgps = json_object_get(spec, "terminationGracePeriodSeconds");
  if (json_is_integer(tgps) && json_integer_value(tgps) < 0) {
    _cleanup_free_ char *p = xasprintf("%s.terminationGracePeriodSeconds", path);
    invalid_int(v, p, json_integer_value(tgps), "must be greater than or equal to 0");
  }
  if (streq_ptr(jstr(spec, "dnsPolicy"), "None") && !json_object_get(spec, "dnsConfig")) {
    _cleanup_free_ char *p = xasprintf("%s.dnsConfig", path);
    required(v, p, "must provide `dnsConfig` when `dnsPolicy` is None");
  }
  _cleanup_free_ char *nsp = xasprintf("%s.nodeSelector", path);
  validate_labels(v, json_object_get(spec, "nodeSelector"), nsp);
}

/* ---- workloads ---- */

static void validate_selector_and_template(V *v, json_t *spec, const char *kind_word, PodContext ctx) {
  json_t *sel = json_object_get(spec, "selector");
  json_t *labels = jpath(spec, "template.metadata.labels");
  if (!sel || json_is_null(sel)) {
    required(v, "spec.selector", NULL);
  } else {
    LabelSelector *ls = NULL;
    Error se = ERROR_INIT;
    if (label_selector_from_json(sel, &ls, &se) < 0) {
      for (size_t i = 0; i < se.n_causes; i++) {
        _cleanup_free_ char *p = xasprintf("spec.selector.%s", se.causes[i].field ? se.causes[i].field : "");
        add(v, se.causes[i].reason ? se.causes[i].reason : "FieldValueInvalid", p,
            se.causes[i].message ? se.causes[i].message : "invalid");
      }
      if (!se.n_causes)
        invalid_json(v, "spec.selector", sel, se.message ? se.message : "invalid selector");
    } else if (label_selector_is_empty(ls)) {
      _cleanup_free_ char *d = xasprintf("empty selector is invalid for %s", kind_word);
      invalid_json(v, "spec.selector", sel, d);
    } else if (!label_selector_matches(ls, labels)) {
      /* Kubernetes prints the labels as a Go map literal. */
      Buf b = BUF_INIT;
      buf_puts(&b, "Invalid value: map[string]string{");
      const char *k;
      json_t *val;
      bool first = true;
      json_object_foreach(labels, k, val) {
        buf_printf(&b, "%s\"%s\":\"%s\"", first ? "" : ", ", k,
                   json_is_string(val) ? json_string_value(val) : "");
        first = false;
      }
      buf_puts(&b, "}: `selector` does not match template `labels`");
      add(v, "FieldValueInvalid", "spec.template.metadata.labels", b.data);
      buf_free(&b);
    }
    error_reset(&se);
    label_selector_free(ls);
  }
  validate_labels(v, labels, "spec.template.metadata.labels");
  /* A StatefulSet's containers mount its volumeClaimTemplates by name: they count as volumes (the
   * controller adds them to each pod as persistentVolumeClaim volumes). */
  json_t *tspec = jpath(spec, "template.spec");
  json_t *claims = json_object_get(spec, "volumeClaimTemplates");
  _cleanup_json_ json_t *with_claims = NULL;
  if (json_is_object(tspec) && json_array_size(claims)) {
    with_claims = json_copy(tspec);
    json_t *vols = json_is_array(json_object_get(tspec, "volumes"))
                       ? json_copy(json_object_get(tspec, "volumes"))
                       : json_array();
    size_t i;
    json_t *c;
    json_array_foreach(claims, i, c) {
      const char *n = jstr(c, "metadata.name");
      bool dup = false; /* a template volume of the same name is replaced by the claim */
      size_t j;
      json_t *vol;
      json_array_foreach(vols, j, vol) dup = dup || streq_ptr(jstr(vol, "name"), n);
      if (n && !dup)
        json_array_append_new(vols,
                              json_pack("{s:s,s:{s:s}}", "name", n, "persistentVolumeClaim", "claimName", n));
    }
    json_object_set_new(with_claims, "volumes", vols);
    tspec = with_claims;
  }
  validate_pod_spec(v, tspec, "spec.template.spec", ctx);
}

static void non_negative(V *v, json_t *o, const char *key, const char *path) {
  json_t *x = json_object_get(o, key);
  if (x && (!json_is_integer(x) || json_integer_value(x) < 0)) {
    _cleanup_free_ char *p = xasprintf("%s.%s", path, key);
    invalid_json(v, p, x, "must be greater than or equal to 0");
  }
}

/* An IntOrString that must be a non-negative integer or a percentage. */
static bool int_or_percent_zero(V *v, json_t *x, const char *path) {
  if (!x)
    return false;
  if (json_is_integer(x)) {
    if (json_integer_value(x) < 0)
      invalid_json(v, path, x, "must be greater than or equal to 0");
    return json_integer_value(x) == 0;
  }
  const char *s = json_string_value(x);
  char *end;
  long pct = s ? strtol(s, &end, 10) : -1;
  if (!s || end == s || strcmp(end, "%") != 0 || pct < 0) {
    invalid_json(v, path, x,
                 "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or "
                 "'93%', regex used for validation is '[0-9]+%')");
    return false;
  }
  if (pct > 100)
    invalid_json(v, path, x, "must not be greater than 100%");
  return pct == 0;
}

static void validate_deployment(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  non_negative(v, spec, "replicas", "spec");
  non_negative(v, spec, "minReadySeconds", "spec");
  non_negative(v, spec, "revisionHistoryLimit", "spec");
  validate_selector_and_template(v, spec, "deployment", POD_WORKLOAD);
  json_t *st = json_object_get(spec, "strategy");
  const char *type = jstr(st, "type");
  static const char *const types[] = {"Recreate", "RollingUpdate", NULL};
  check_enum(v, st, "type", "spec.strategy", types);
  json_t *ru = json_object_get(st, "rollingUpdate");
  if (streq_ptr(type, "Recreate") && ru && !json_is_null(ru))
    forbidden(v, "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
  if (json_is_object(ru)) {
    bool surge0 =
        int_or_percent_zero(v, json_object_get(ru, "maxSurge"), "spec.strategy.rollingUpdate.maxSurge");
    json_t *mu = json_object_get(ru, "maxUnavailable");
    bool unavail0 = int_or_percent_zero(v, mu, "spec.strategy.rollingUpdate.maxUnavailable");
    if (surge0 && unavail0)
      invalid_json(v, "spec.strategy.rollingUpdate.maxUnavailable", mu, "may not be 0 when `maxSurge` is 0");
  }
  json_t *pds = json_object_get(spec, "progressDeadlineSeconds");
  if (json_is_integer(pds) && json_integer_value(pds) <= jint(spec, "minReadySeconds", 0))
    invalid_int(v, "spec.progressDeadlineSeconds", json_integer_value(pds),
                "must be greater than minReadySeconds");
}

static void validate_workload(V *v, json_t *obj, const char *word) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  non_negative(v, spec, "replicas", "spec");
  non_negative(v, spec, "minReadySeconds", "spec");
  validate_selector_and_template(v, spec, word, POD_WORKLOAD);
}

static void validate_job(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  non_negative(v, spec, "parallelism", "spec");
  non_negative(v, spec, "completions", "spec");
  non_negative(v, spec, "backoffLimit", "spec");
  json_t *ads = json_object_get(spec, "activeDeadlineSeconds");
  if (json_is_integer(ads) && json_integer_value(ads) <= 0)
    invalid_int(v, "spec.activeDeadlineSeconds", json_integer_value(ads), "must be greater than 0");
  static const char *const modes[] = {"NonIndexed", "Indexed", NULL};
  check_enum(v, spec, "completionMode", "spec", modes);
  validate_labels(v, jpath(spec, "template.metadata.labels"), "spec.template.metadata.labels");
  validate_pod_spec(v, jpath(spec, "template.spec"), "spec.template.spec", POD_JOB);
}

static void validate_cronjob(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  CronSchedule sched;
  Error cerr = ERROR_INIT;
  if (isempty(jstr(spec, "schedule")))
    required(v, "spec.schedule", NULL);
  else if (cron_parse(jstr(spec, "schedule"), &sched, &cerr) < 0)
    invalid_str(v, "spec.schedule", jstr(spec, "schedule"), cerr.message);
  error_reset(&cerr);
  static const char *const policies[] = {"Allow", "Forbid", "Replace", NULL};
  check_enum(v, spec, "concurrencyPolicy", "spec", policies);
  validate_pod_spec(v, jpath(spec, "jobTemplate.spec.template.spec"), "spec.jobTemplate.spec.template.spec",
                    POD_JOB);
}

/* ---- services ---- */

static void validate_service(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  static const char *const types[] = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL};
  check_enum(v, spec, "type", "spec", types);
  static const char *const aff[] = {"ClientIP", "None", NULL};
  check_enum(v, spec, "sessionAffinity", "spec", aff);
  const char *type = jstr(spec, "type");
  bool external = streq_ptr(type, "ExternalName");
  bool headless = streq_ptr(jstr(spec, "clusterIP"), "None");
  if (external && isempty(jstr(spec, "externalName")))
    required(v, "spec.externalName", NULL);
  json_t *ports = json_object_get(spec, "ports");
  if (!external && !headless && json_array_size(ports) == 0)
    required(v, "spec.ports", NULL);
  json_t *names = json_object();
  size_t i;
  json_t *p;
  bool many = json_array_size(ports) > 1;
  json_array_foreach(ports, i, p) {
    _cleanup_free_ char *pp = xasprintf("spec.ports[%zu]", i);
    const char *name = jstr(p, "name");
    _cleanup_free_ char *npath = xasprintf("%s.name", pp);
    if (many && isempty(name))
      required(v, npath, NULL);
    else if (!isempty(name) && !validate_dns1123_label(name))
      invalid_str(v, npath, name, VALIDATE_DNS_LABEL_MSG);
    else if (!isempty(name) && json_object_get(names, name))
      duplicate(v, npath, name);
    else if (!isempty(name))
      json_object_set_new(names, name, json_true());
    json_t *port = json_object_get(p, "port");
    _cleanup_free_ char *portp = xasprintf("%s.port", pp);
    if (!port)
      required(v, portp, NULL);
    else if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
      invalid_json(v, portp, port, "must be between 1 and 65535, inclusive");
    static const char *const protos[] = {"SCTP", "TCP", "UDP", NULL};
    check_enum(v, p, "protocol", pp, protos);
    json_t *tp = json_object_get(p, "targetPort");
    _cleanup_free_ char *tpp = xasprintf("%s.targetPort", pp);
    if (json_is_integer(tp) && (json_integer_value(tp) < 1 || json_integer_value(tp) > 65535))
      invalid_json(v, tpp, tp, "must be between 1 and 65535, inclusive");
    else if (json_is_string(tp) && !validate_port_name(json_string_value(tp)))
      invalid_json(
          v, tpp, tp,
          "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), must contain at least "
          "one letter, must be no more than 15 characters");
    if (json_object_get(p, "nodePort") && jint(p, "nodePort", 0) != 0 && !streq_ptr(type, "NodePort") &&
        !streq_ptr(type, "LoadBalancer")) {
      _cleanup_free_ char *q = xasprintf("%s.nodePort", pp);
      forbidden(v, q, "may not be used when `type` is 'ClusterIP'");
    }
  }
  json_decref(names);
  validate_labels(v, json_object_get(spec, "selector"), "spec.selector");
}

/* ---- configuration ---- */

bool validate_config_key(const char *k) {
  if (!*k || strlen(k) > 253 || streq(k, ".") || streq(k, "..") || startswith(k, ".."))
    return false;
  for (const char *p = k; *p; p++)
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
      return false;
  return true;
}

static void validate_keys(V *v, json_t *obj, const char *field, json_t *seen) {
  json_t *data = json_object_get(obj, field);
  const char *k;
  json_t *val;
  json_object_foreach(data, k, val) {
    _cleanup_free_ char *p = xasprintf("%s[%s]", field, k);
    if (!validate_config_key(k))
      invalid_str(
          v, p, k,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
          "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    else if (seen && json_object_get(seen, k))
      duplicate(v, p, k);
    else if (seen)
      json_object_set_new(seen, k, json_true());
  }
}

static void validate_hpa(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  json_t *ref = json_object_get(spec, "scaleTargetRef");
  if (isempty(jstr(ref, "kind")))
    required(v, "spec.scaleTargetRef.kind", NULL);
  if (isempty(jstr(ref, "name")))
    required(v, "spec.scaleTargetRef.name", NULL);
  int64_t minr = jint(spec, "minReplicas", 1), maxr = jint(spec, "maxReplicas", 0);
  if (minr < 1)
    invalid_int(v, "spec.minReplicas", minr, "must be greater than or equal to 1");
  if (maxr < 1)
    invalid_int(v, "spec.maxReplicas", maxr, "must be greater than or equal to 1");
  else if (maxr < minr)
    invalid_int(v, "spec.maxReplicas", maxr, "must be greater than or equal to `minReplicas`");
}

int validate_object(const char *group, const char *kind, json_t *obj, Error *err) {
  V v = {.err = err};
  validate_meta(&v, json_object_get(obj, "metadata"), "metadata");
  if (!*group && streq(kind, "Pod"))
    validate_pod_spec(&v, json_object_get(obj, "spec"), "spec", POD_PLAIN);
  else if (streq(group, "apps") && streq(kind, "Deployment"))
    validate_deployment(&v, obj);
  else if (streq(group, "apps") && streq(kind, "ReplicaSet"))
    validate_workload(&v, obj, "replicaset");
  else if (streq(group, "apps") && streq(kind, "StatefulSet"))
    validate_workload(&v, obj, "statefulset");
  else if (streq(group, "apps") && streq(kind, "DaemonSet"))
    validate_workload(&v, obj, "daemonset");
  else if (streq(group, "batch") && streq(kind, "Job"))
    validate_job(&v, obj);
  else if (streq(group, "batch") && streq(kind, "CronJob"))
    validate_cronjob(&v, obj);
  else if (!*group && streq(kind, "Service"))
    validate_service(&v, obj);
  else if (!*group && (streq(kind, "ConfigMap") || streq(kind, "Secret"))) {
    json_t *seen = json_object();
    validate_keys(&v, obj, "data", seen);
    validate_keys(&v, obj, streq(kind, "ConfigMap") ? "binaryData" : "stringData",
                  streq(kind, "ConfigMap") ? seen : NULL);
    json_decref(seen);
  } else if (streq(group, "autoscaling") && streq(kind, "HorizontalPodAutoscaler"))
    validate_hpa(&v, obj);
  if (!validate_storage_object(&v, group, kind, obj))
    validate_misc_object(&v, group, kind, obj);
  return v.n ? -EINVAL : 0;
}

int validate_update(const char *group, const char *kind, json_t *obj, json_t *old, Error *err) {
  V v = {.err = err};
  if (streq(group, "apps") && (streq(kind, "Deployment") || streq(kind, "ReplicaSet") ||
                               streq(kind, "StatefulSet") || streq(kind, "DaemonSet")))
    immutable(&v, obj, old, "spec.selector");
  if (streq(group, "batch") && streq(kind, "Job")) {
    immutable(&v, obj, old, "spec.selector");
    immutable(&v, obj, old, "spec.completions");
    /* The template may change only while the Job is suspended (Kubernetes allows scheduling directives). */
    if (!json_is_true(jpath(old, "spec.suspend")))
      immutable(&v, obj, old, "spec.template");
  }
  if (!*group && (streq(kind, "ConfigMap") || streq(kind, "Secret")) &&
      json_is_true(jpath(old, "immutable"))) {
    if (!json_equal(json_object_get(obj, "data") ? json_object_get(obj, "data") : json_null(),
                    json_object_get(old, "data") ? json_object_get(old, "data") : json_null()))
      forbidden(&v, "data", "field is immutable when `immutable` is set");
    if (!json_is_true(json_object_get(obj, "immutable")))
      forbidden(&v, "immutable", "field is immutable when `immutable` is set");
  }
  if (!validate_storage_update(&v, group, kind, obj, old))
    validate_misc_update(&v, group, kind, obj, old);
  if (!*group && streq(kind, "Pod")) {
    /* Pod specs are immutable apart from container images, activeDeadlineSeconds, tolerations (additions)
     * and terminationGracePeriodSeconds; compare with those fields blanked. */
    json_t *a = json_deep_copy(jpath(obj, "spec")), *b = json_deep_copy(jpath(old, "spec"));
    json_t *specs[] = {a, b};
    for (size_t k = 0; k < 2; k++) {
      if (!json_is_object(specs[k]))
        continue;
      json_object_del(specs[k], "activeDeadlineSeconds");
      json_object_del(specs[k], "tolerations");
      json_object_del(specs[k], "terminationGracePeriodSeconds");
      static const char *const lists[] = {"containers", "initContainers"};
      for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(specs[k], lists[l]), i, c) if (json_is_object(c))
            json_object_del(c, "image");
      }
    }
    if (!json_equal(a ? a : json_null(), b ? b : json_null()))
      forbidden(
          &v, "spec",
          "pod updates may not change fields other than "
          "`spec.containers[*].image`,`spec.initContainers[*].image`,"
          "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
          "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");
    json_decref(a);
    json_decref(b);
  }
  return v.n ? -EINVAL : 0;
}
