/* POST pods/NAME/binding: the scheduler's way of placing a pod (kube-apiserver's BindingREST). The Binding
 * names a node; the pod gets spec.nodeName, the Binding's annotations and the condition PodScheduled=True in
 * one compare-and-swap write. Pod specs are otherwise immutable, so this bypasses the update path's
 * validation on purpose, exactly as Kubernetes' binding storage does, and writes the store directly. A pod
 * that already has a node, or is being deleted, cannot be bound (409 Conflict on pods/binding); the answer
 * to a successful bind is a Status Success with code 201. */
#include <errno.h>

#include "api/jsonutil.h"
#include "apiserver/binding.h"
#include "base/log.h"

static int binding_conflict(Error *err, const char *name, const char *why) {
  return error_setk(err, -ECANCELED, 409, "Conflict",
                    "Operation cannot be fulfilled on pods/binding \"%s\": %s", name, why);
}

/* Sets PodScheduled=True on a pod object, keeping the other conditions (podutil.UpdatePodCondition). */
static void set_scheduled_condition(json_t *pod) {
  json_t *st = jobj(pod, "status");
  json_t *conds = json_object_get(st, "conditions");
  if (!json_is_array(conds)) {
    conds = json_array();
    json_object_set_new(st, "conditions", conds);
  }
  char ts[32];
  format_rfc3339((int64_t)(now_realtime_usec() / 1000000u), ts);
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!streq_ptr(jstr(c, "type"), "PodScheduled"))
      continue;
    /* The transition time moves only when the status does. */
    if (!streq_ptr(jstr(c, "status"), "True"))
      json_object_set_new(c, "lastTransitionTime", json_string(ts));
    json_object_set_new(c, "status", json_string("True"));
    json_object_del(c, "reason");
    json_object_del(c, "message");
    json_object_set_new(c, "lastProbeTime", json_null());
    return;
  }
  json_array_append_new(conds, json_pack("{s:s,s:s,s:n,s:s}", "type", "PodScheduled", "status", "True",
                                         "lastProbeTime", "lastTransitionTime", ts));
}

/* The pod to write for a binding: old's tree with fresh copies of only what the binding changes (the top
 * level, metadata and its annotations, spec, status and its conditions); the rest — containers, volumes —
 * stays shared with the published object, which is immutable, instead of being copied whole. */
static json_t *pod_for_binding(json_t *old) {
  json_t *pod = json_copy(old);
  static const char *const fresh[] = {"metadata", "spec", "status"};
  for (size_t i = 0; i < ELEMENTSOF(fresh); i++) {
    json_t *v = json_object_get(pod, fresh[i]);
    json_object_set_new(pod, fresh[i], json_is_object(v) ? json_copy(v) : json_object());
  }
  json_t *meta = json_object_get(pod, "metadata");
  json_t *ann = json_object_get(meta, "annotations");
  if (json_is_object(ann))
    json_object_set_new(meta, "annotations", json_copy(ann));
  json_t *st = json_object_get(pod, "status");
  json_t *conds = json_object_get(st, "conditions");
  if (json_is_array(conds))
    json_object_set_new(st, "conditions", json_deep_copy(conds));
  return pod;
}

/* Validates the Binding as ValidatePodBinding does. */
static int check_binding(const ApiResource *pods, const char *name, json_t *b, Error *err) {
  if (!json_is_object(b))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "the body of the request was not a JSON object");
  const char *kind = jstr(b, "kind");
  if (kind && !streq(kind, "Binding"))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "kind %s does not match the expected kind Binding",
                      kind);
  if (!streq_ptr(jstr(b, "metadata.name"), name))
    return error_setk(err, -EBADMSG, 400, "BadRequest", "name in URL does not match name in Binding object");
  const char *tkind = jstr(b, "target.kind");
  if (!isempty(tkind) && !streq(tkind, "Node"))
    error_add_cause(err, "FieldValueNotSupported", "target.kind",
                    "Unsupported value: \"%s\": supported values: \"Node\", \"<empty>\"", tkind);
  if (isempty(jstr(b, "target.name")))
    error_add_cause(err, "FieldValueRequired", "target.name", "Required value");
  if (err && err->n_causes) {
    const ApiResource *r = api_resource_find("", "v1", "bindings");
    return status_invalid(err, r ? r : pods, name);
  }
  return 0;
}

static int bind_pod(ApiServer *s, const ApiResource *r, const char *ns, const char *name, json_t *binding,
                    bool dry_run, Error *err) {
  const char *node = jstr(binding, "target.name");
  const char *want_uid = jstr(binding, "metadata.uid");
  json_t *annotations = jpath(binding, "metadata.annotations");
  _cleanup_free_ char *key = registry_key(r, ns, name);
  /* Retry on a concurrent write to the pod (the agent or a controller), like GuaranteedUpdate. */
  for (int attempt = 0; attempt < 16; attempt++) {
    _cleanup_cache_obj_ CacheObj *old = watch_cache_get(s->cache, key);
    if (!old)
      return status_not_found(err, r, name);
    const char *uid = jstr(old->obj, "metadata.uid");
    if (!isempty(want_uid) && !streq_ptr(uid, want_uid)) {
      _cleanup_free_ char *why = xasprintf(
          "Precondition failed: UID in precondition: %s, UID in object meta: %s", want_uid, uid ? uid : "");
      return binding_conflict(err, name, why);
    }
    if (jpath(old->obj, "metadata.deletionTimestamp")) {
      _cleanup_free_ char *why = xasprintf("pod %s is being deleted, cannot be assigned to a host", name);
      return binding_conflict(err, name, why);
    }
    const char *cur = jstr(old->obj, "spec.nodeName");
    if (!isempty(cur)) {
      _cleanup_free_ char *why = xasprintf("pod %s is already assigned to node \"%s\"", name, cur);
      return binding_conflict(err, name, why);
    }
    if (dry_run)
      return 0;
    _cleanup_json_ json_t *pod = pod_for_binding(old->obj);
    json_object_set_new(jobj(pod, "spec"), "nodeName", json_string(node));
    if (json_is_object(annotations) && json_object_size(annotations))
      json_object_update(jobj(pod, "metadata.annotations"), annotations);
    set_scheduled_condition(pod);
    /* Stored objects carry no resourceVersion: the store's revision is the truth. */
    jdel(pod, "metadata.resourceVersion");
    _cleanup_free_ char *text = json_compact(pod);
    Error serr = ERROR_INIT;
    watch_cache_offer(s->cache, text, pod); /* the commit hook takes pod instead of parsing text */
    int rc = store_update(s->store, key, text, strlen(text), old->mod_rev, NULL, &serr);
    watch_cache_withdraw(s->cache, text);
    if (rc == -ECANCELED) {
      error_reset(&serr);
      continue;
    }
    if (rc == -ENOENT) {
      error_reset(&serr);
      return status_not_found(err, r, name);
    }
    if (rc < 0) {
      rc = error_setk(err, rc, 500, "InternalError", "storage error: %s", serr.message ? serr.message : "");
      error_reset(&serr);
      return rc;
    }
    return 0;
  }
  return binding_conflict(err, name,
                          "the object has been modified; please apply your changes to the latest version "
                          "and try again");
}

void binding_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                    const char *name) {
  _cleanup_error_ Error e = ERROR_INIT;
  if (!streq(req->method, "POST")) {
    error_setk(&e, -EOPNOTSUPP, 405, "MethodNotAllowed",
               "the server does not allow this method on the requested resource");
    http_respond_json(resp, 405, status_from_error(&e, NULL, NULL));
    return;
  }
  _cleanup_json_ json_t *body = NULL;
  const char *ct = http_header(req, "Content-Type");
  int rc;
  if (req->body_len == 0)
    rc = error_setk(&e, -EBADMSG, 400, "BadRequest", "the request body is empty");
  else if (ct && (startswith(ct, "application/yaml") || startswith(ct, "application/x-yaml")))
    rc = yaml_decode_body(req->body, req->body_len, &body, &e);
  else
    rc = json_decode_body(req->body, req->body_len, &body, &e);
  const char *d = http_query(req, "dryRun");
  bool dry_run = !isempty(d) && streq(d, "All");
  if (rc >= 0)
    rc = check_binding(r, name, body, &e);
  if (rc >= 0)
    rc = bind_pod(s, r, ns, name, body, dry_run, &e);
  if (rc < 0) {
    http_respond_json(resp, error_http_status(&e), status_from_error(&e, r, name));
    return;
  }
  log_debug("apiserver", "bound pod=%s/%s node=%s", ns, name, jstr(body, "target.name"));
  http_respond_json(resp, 201,
                    json_pack("{s:s,s:s,s:{},s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
                              "status", "Success", "code", 201));
}
