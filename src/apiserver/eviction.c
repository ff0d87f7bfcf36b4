/* POST pods/NAME/eviction (kube-apiserver's EvictionREST): a delete that asks the pod's
 * PodDisruptionBudget first. The order is Kubernetes': a terminal, Pending or already terminating pod is
 * deleted at once; otherwise the budgets of the namespace whose selector matches the pod are found (more
 * than one is an error, none means delete); an unready pod goes without spending a disruption when the
 * budget is healthy anyway (unhealthyPodEvictionPolicy IfHealthyBudget, the default, or AlwaysAllow), with
 * a resourceVersion precondition so it is still the pod that was judged; otherwise the budget must allow a
 * disruption: its status is written with disruptionsAllowed - 1 and the pod in disruptedPods (a
 * compare-and-swap on the budget, retried on conflict — the disruption controller writes it too), then the
 * pod is deleted with the Eviction's deleteOptions. The budget's numbers come from the disruption
 * controller (controllers/disruption.c); a budget it has not processed yet refuses with 429. */
#include <errno.h>
#include <unistd.h>

#include "api/jsonutil.h"
#include "api/protobuf.h"
#include "api/selector.h"
#include "apiserver/eviction.h"
#include "base/log.h"

#define MAX_DISRUPTED_PODS 2000 /* Kubernetes' MaxDisruptedPodSize */
#define EVICTION_ATTEMPTS 20
#define VIOLATION "Cannot evict pod as it would violate the pod's disruption budget."

bool eviction_can_ignore_pdb(json_t *pod) {
  const char *phase = jstr(pod, "status.phase");
  return streq_ptr(phase, "Succeeded") || streq_ptr(phase, "Failed") || streq_ptr(phase, "Pending") ||
         jpath(pod, "metadata.deletionTimestamp") != NULL;
}

static int too_many(Error *err, const char *fmt, const char *pdb, int64_t a, int64_t b) {
  error_setk(err, -EAGAIN, 429, "TooManyRequests", VIOLATION);
  error_add_cause(err, "DisruptionBudget", NULL, fmt, pdb, (long long)a, (long long)b);
  return -EAGAIN;
}

static void set_allowed_false(json_t *st, int64_t now) {
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(st, "conditions", conds);
  }
  char ts[32];
  format_rfc3339(now, ts);
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!streq_ptr(jstr(c, "type"), "DisruptionAllowed"))
      continue;
    if (!streq_ptr(jstr(c, "status"), "False"))
      json_object_set_new(c, "lastTransitionTime", json_string(ts));
    json_object_set_new(c, "status", json_string("False"));
    json_object_set_new(c, "reason", json_string("InsufficientPods"));
    json_object_set_new(c, "message", json_string(""));
    json_object_set_new(c, "observedGeneration", json_integer(jint(st, "observedGeneration", 0)));
    return;
  }
  json_array_append_new(conds,
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "type", "DisruptionAllowed", "status", "False",
                                  "reason", "InsufficientPods", "message", "", "lastTransitionTime", ts,
                                  "observedGeneration", (json_int_t)jint(st, "observedGeneration", 0)));
}

int eviction_check_pdb(json_t *pdb, const char *pod_name, int64_t now, json_t **ret_status, Error *err) {
  const char *name = jstr(pdb, "metadata.name") ?: "";
  json_t *st = jpath(pdb, "status");
  if (jint(st, "observedGeneration", 0) < jint(pdb, "metadata.generation", 0)) {
    error_setk(err, -EAGAIN, 429, "TooManyRequests", VIOLATION);
    error_add_cause(err, "DisruptionBudget", NULL,
                    "The disruption budget %s is still being processed by the server.", name);
    return -EAGAIN;
  }
  int64_t allowed = jint(st, "disruptionsAllowed", 0);
  if (allowed < 0)
    return error_setk(err, -EACCES, 403, "Forbidden",
                      "poddisruptionbudgets.policy \"%s\" is forbidden: pdb disruptions allowed is negative",
                      name);
  if (json_object_size(json_object_get(st, "disruptedPods")) > MAX_DISRUPTED_PODS)
    return error_setk(err, -EACCES, 403, "Forbidden",
                      "poddisruptionbudgets.policy \"%s\" is forbidden: DisruptedPods map too big - too many "
                      "evictions not confirmed by PDB controller",
                      name);
  if (allowed == 0)
    return too_many(err, "The disruption budget %s needs %lld healthy pods and has %lld currently", name,
                    jint(st, "desiredHealthy", 0), jint(st, "currentHealthy", 0));
  json_t *ns = json_deep_copy(st);
  json_object_set_new(ns, "disruptionsAllowed", json_integer(allowed - 1));
  if (allowed - 1 == 0)
    set_allowed_false(ns, now);
  json_t *dp = json_object_get(ns, "disruptedPods");
  if (!json_is_object(dp)) {
    dp = json_object();
    json_object_set_new(ns, "disruptedPods", dp);
  }
  char ts[32];
  format_rfc3339(now, ts);
  json_object_set_new(dp, pod_name, json_string(ts));
  *ret_status = ns;
  return 0;
}

/* ---- the handler ---- */

static int decode(HttpRequest *req, json_t **ret, Error *err) {
  const char *ct = http_header(req, "Content-Type");
  if (req->body_len == 0)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the request body is empty");
  if (ct && startswith(ct, "application/vnd.kubernetes.protobuf"))
    return k8s_protobuf_decode(req->body, req->body_len, ret, err);
  if (ct && (startswith(ct, "application/yaml") || startswith(ct, "application/x-yaml")))
    return yaml_decode_body(req->body, req->body_len, ret, err);
  return json_decode_body(req->body, req->body_len, ret, err);
}

static int check_eviction(json_t *ev, const char *name, Error *err) {
  if (!json_is_object(ev))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the body of the request was not a JSON object");
  const char *kind = jstr(ev, "kind"), *av = jstr(ev, "apiVersion");
  if (kind && !streq(kind, "Eviction"))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "kind %s does not match the expected kind Eviction",
                      kind);
  if (av && !streq(av, "policy/v1") && !streq(av, "policy/v1beta1"))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "unsupported Eviction apiVersion %s", av);
  if (!streq_ptr(jstr(ev, "metadata.name"), name))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "name in URL does not match name in Eviction object");
  return 0;
}

/* The budgets of ns whose selector matches pod (a nil selector matches nothing, {} everything). New array
 * of CacheObj-independent copies. */
static json_t *matching_pdbs(ApiServer *s, const char *ns, json_t *pod) {
  json_t *out = json_array();
  const ApiResource *r = api_resource_find("policy", "v1", "poddisruptionbudgets");
  if (!r)
    return out;
  _cleanup_free_ char *prefix = registry_prefix(r, ns);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  for (size_t i = 0; i < n; i++) {
    json_t *sel_json = jpath(objs[i]->obj, "spec.selector");
    LabelSelector *sel = NULL;
    if (!json_is_object(sel_json) || label_selector_from_json(sel_json, &sel, NULL) < 0)
      continue;
    if (label_selector_matches(sel, jpath(pod, "metadata.labels")))
      json_array_append(out, objs[i]->obj);
    label_selector_free(sel);
  }
  watch_cache_list_free(objs, n);
  return out;
}

/* One attempt: -ECANCELED when the budget changed under us (retry). *ret_options = what to delete with. */
static int evict_once(ApiServer *s, const ApiResource *pods, const char *ns, const char *name, json_t *ev,
                      bool dry_run, Error *err) {
  _cleanup_free_ char *key = registry_key(pods, ns, name);
  _cleanup_cache_obj_ CacheObj *pod = watch_cache_get(s->cache, key);
  if (!pod)
    return status_not_found(err, pods, name);
  json_t *dopts = jpath(ev, "deleteOptions");
  _cleanup_json_ json_t *options = json_is_object(dopts) ? json_deep_copy(dopts) : json_object();
  if (!eviction_can_ignore_pdb(pod->obj)) {
    _cleanup_json_ json_t *pdbs = matching_pdbs(s, ns, pod->obj);
    if (json_array_size(pdbs) > 1)
      return error_setk(err, -EIO, 500, "InternalError",
                        "Internal error occurred: This pod has more than one PodDisruptionBudget, which the "
                        "eviction subresource does not support.");
    json_t *pdb = json_array_get(pdbs, 0);
    if (pdb) {
      json_t *st = jpath(pdb, "status");
      const char *policy = jstr(pdb, "spec.unhealthyPodEvictionPolicy");
      json_t *ready = NULL;
      size_t i;
      json_t *c;
      json_array_foreach(jpath(pod->obj, "status.conditions"), i, c) {
        if (streq_ptr(jstr(c, "type"), "Ready"))
          ready = c;
      }
      bool is_ready = ready && streq_ptr(jstr(ready, "status"), "True");
      int64_t healthy = jint(st, "currentHealthy", 0), desired = jint(st, "desiredHealthy", 0);
      bool skip_budget =
          !is_ready && (streq_ptr(policy, "AlwaysAllow") || (healthy >= desired && desired > 0));
      if (skip_budget) {
        char rv[32];
        snprintf(rv, sizeof rv, "%lld", (long long)pod->mod_rev);
        json_object_set_new(options, "preconditions", json_pack("{s:s}", "resourceVersion", rv));
      } else {
        _cleanup_json_ json_t *new_status = NULL;
        int rc = eviction_check_pdb(pdb, name, (int64_t)(now_realtime_usec() / 1000000u), &new_status, err);
        if (rc < 0)
          return rc;
        if (!dry_run) {
          const ApiResource *pr = api_resource_find("policy", "v1", "poddisruptionbudgets");
          _cleanup_json_ json_t *upd = json_deep_copy(pdb);
          json_object_set(upd, "status", new_status);
          _cleanup_cache_obj_ CacheObj *res = NULL;
          Error ue = ERROR_INIT;
          rc = registry_update(s, pr, ns, jstr(pdb, "metadata.name"), "status", upd, false, &res, &ue);
          if (rc < 0) {
            if (ue.code == -ECANCELED || error_http_status(&ue) == 409) {
              error_reset(&ue);
              return -ECANCELED;
            }
            if (err)
              *err = ue;
            else
              error_reset(&ue);
            return rc;
          }
        }
      }
    }
  }
  _cleanup_cache_obj_ CacheObj *res = NULL;
  bool gone = false;
  int rc = registry_delete(s, pods, ns, name, options, dry_run, &res, &gone, err);
  if (rc >= 0)
    log_info("apiserver", "msg=\"pod evicted\" pod=%s/%s", ns, name);
  return rc;
}

void eviction_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                     const char *name) {
  _cleanup_error_ Error e = ERROR_INIT;
  if (!streq(req->method, "POST")) {
    error_setk(&e, -EOPNOTSUPP, 405, "MethodNotAllowed",
               "the server does not allow this method on the requested resource");
    http_respond_json(resp, 405, status_from_error(&e, NULL, NULL));
    return;
  }
  _cleanup_json_ json_t *ev = NULL;
  int rc = decode(req, &ev, &e);
  if (rc >= 0)
    rc = check_eviction(ev, name, &e);
  const char *d = http_query(req, "dryRun");
  json_t *dd = jpath(ev, "deleteOptions.dryRun");
  bool dry_run = (!isempty(d) && streq(d, "All")) || (json_is_array(dd) && json_array_size(dd) > 0);
  for (int attempt = 0; rc >= 0; attempt++) {
    rc = evict_once(s, r, ns, name, ev, dry_run, &e);
    if (rc != -ECANCELED || e.code)
      break;
    if (attempt + 1 >= EVICTION_ATTEMPTS) {
      rc = status_conflict(&e, r, name, "the PodDisruptionBudget kept changing; please try again");
      break;
    }
    usleep(20000);
  }
  if (rc < 0) {
    bool about_pod = error_http_status(&e) == 404 || error_http_status(&e) == 409;
    http_respond_json(resp, error_http_status(&e),
                      status_from_error(&e, about_pod ? r : NULL, about_pod ? name : NULL));
    return;
  }
  http_respond_json(resp, 201,
                    json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                              "status", "Success", "code", 201));
}
