/* Helpers every controller uses: owner references, pod state (active, ready, available), conditions,
 * int-or-percent values, and expectations — the bookkeeping that keeps a controller from acting twice on
 * a change it made itself but has not yet seen come back through its informer. */
#include <errno.h>
#include <math.h>

#include "controllers/controllers-internal.h"

int64_t ctrl_now_sec(void) {
  return (int64_t)(now_realtime_usec() / 1000000u);
}

void ctrl_format_time(int64_t unix_sec, char buf[static 32]) {
  format_rfc3339(unix_sec, buf);
}

int ctrl_parse_time(const char *s, int64_t *ret) {
  if (isempty(s))
    return -EINVAL;
  return parse_rfc3339(s, ret);
}

json_t *ctrl_controller_ref(json_t *obj) {
  json_t *refs = jpath(obj, "metadata.ownerReferences");
  size_t i;
  json_t *r;
  json_array_foreach(refs, i, r) {
    if (json_is_true(json_object_get(r, "controller")))
      return r;
  }
  return NULL;
}

bool ctrl_is_controlled_by(json_t *obj, json_t *owner) {
  json_t *ref = ctrl_controller_ref(obj);
  const char *uid = jstr(owner, "metadata.uid");
  return ref && uid && streq_ptr(jstr(ref, "uid"), uid);
}

json_t *ctrl_new_controller_ref(json_t *owner, const char *api_version, const char *kind) {
  return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b}", "apiVersion", api_version, "kind", kind, "name",
                   jstr(owner, "metadata.name"), "uid", jstr(owner, "metadata.uid"), "controller", 1,
                   "blockOwnerDeletion", 1);
}

bool ctrl_has_finalizer(json_t *obj, const char *f) {
  size_t i;
  json_t *v;
  json_array_foreach(jpath(obj, "metadata.finalizers"), i, v) {
    if (streq_ptr(json_string_value(v), f))
      return true;
  }
  return false;
}

bool ctrl_is_deleting(json_t *obj) {
  return jstr(obj, "metadata.deletionTimestamp") != NULL;
}

json_t *ctrl_condition(json_t *obj, const char *path, const char *type) {
  json_t *conds = jpath(obj, path);
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (streq_ptr(jstr(c, "type"), type))
      return c;
  }
  return NULL;
}

bool ctrl_pod_is_active(json_t *pod) {
  const char *phase = jstr(pod, "status.phase");
  if (phase && (streq(phase, "Succeeded") || streq(phase, "Failed")))
    return false;
  return !ctrl_is_deleting(pod);
}

bool ctrl_pod_is_ready(json_t *pod) {
  json_t *c = ctrl_condition(pod, "status.conditions", "Ready");
  return c && streq_ptr(jstr(c, "status"), "True");
}

bool ctrl_pod_is_available(json_t *pod, int64_t min_ready_sec, int64_t now) {
  if (!ctrl_pod_is_ready(pod))
    return false;
  if (min_ready_sec <= 0)
    return true;
  json_t *c = ctrl_condition(pod, "status.conditions", "Ready");
  int64_t since;
  if (ctrl_parse_time(jstr(c, "lastTransitionTime"), &since) < 0)
    return false;
  return since + min_ready_sec <= now;
}

int64_t ctrl_pod_restarts(json_t *pod) {
  /* Kubernetes ranks by the restarts of the container that restarted most. */
  int64_t max = 0;
  size_t i;
  json_t *cs;
  json_array_foreach(jpath(pod, "status.containerStatuses"), i, cs) {
    int64_t n = jint(cs, "restartCount", 0);
    if (n > max)
      max = n;
  }
  return max;
}

LabelSelector *ctrl_selector(json_t *obj, const char *path) {
  LabelSelector *sel = NULL;
  if (label_selector_from_json(jpath(obj, path), &sel, NULL) < 0)
    return NULL;
  return sel;
}

int ctrl_int_or_percent(json_t *v, int64_t total, bool round_up, int64_t *ret) {
  if (!v || json_is_null(v)) {
    *ret = 0;
    return 0;
  }
  if (json_is_integer(v)) {
    *ret = json_integer_value(v);
    return 0;
  }
  const char *s = json_string_value(v);
  if (!s)
    return -EINVAL;
  char *end;
  long long n = strtoll(s, &end, 10);
  if (end == s)
    return -EINVAL;
  if (!*end) {
    *ret = n; /* "2" is accepted as an integer, as intstr does */
    return 0;
  }
  if (!streq(end, "%"))
    return -EINVAL;
  double x = (double)n * (double)total / 100.0;
  *ret = (int64_t)(round_up ? ceil(x) : floor(x));
  return 0;
}

int ctrl_write_status(Client *c, const ApiResource *r, json_t *obj, json_t *status, Error *err) {
  _cleanup_json_ json_t *upd = json_copy(obj); /* shallow: only its status is replaced */
  json_object_set(upd, "status", status);
  return client_update_status(c, r, NULL, upd, NULL, err);
}

int ctrl_update_status(Client *c, const ApiResource *r, json_t *obj, json_t *status, Error *err) {
  Error e = ERROR_INIT;
  int rc = ctrl_write_status(c, r, obj, status, &e);
  if (rc != -ECANCELED) {
    if (rc < 0 && err)
      *err = e;
    else
      error_reset(&e);
    return rc;
  }
  /* Our cache lags our own writes: retry once on the latest version, as kube-controller-manager does,
   * unless the spec moved on (the status we computed would then describe an older generation). */
  error_reset(&e);
  _cleanup_json_ json_t *fresh = NULL;
  rc = client_get(c, r, jstr(obj, "metadata.namespace"), jstr(obj, "metadata.name"), &fresh, err);
  if (rc < 0)
    return rc;
  if (!streq_ptr(jstr(fresh, "metadata.uid"), jstr(obj, "metadata.uid")) ||
      jint(fresh, "metadata.generation", 0) != jint(obj, "metadata.generation", 0))
    return error_set(err, -ECANCELED, NULL, "%s changed while its status was computed",
                     jstr(obj, "metadata.name"));
  if (json_equal(jpath(fresh, "status"), status))
    return 0;
  json_object_set(fresh, "status", status);
  return client_update_status(c, r, NULL, fresh, NULL, err);
}

/* ---- expectations ---- */

void ctrl_expectations_init(CtrlExpectations *e) {
  pthread_mutex_init(&e->lock, NULL);
  e->map = json_object();
}

void ctrl_expectations_destroy(CtrlExpectations *e) {
  json_decref(e->map);
  pthread_mutex_destroy(&e->lock);
}

void ctrl_expectations_expect(CtrlExpectations *e, const char *key, int64_t adds, json_t *del_uids) {
  json_t *del = json_object();
  size_t i;
  json_t *u;
  json_array_foreach(del_uids, i, u) {
    if (json_is_string(u))
      json_object_set_new(del, json_string_value(u), json_true());
  }
  pthread_mutex_lock(&e->lock);
  json_object_set_new(e->map, key,
                      json_pack("{s:I,s:o,s:I}", "add", (json_int_t)adds, "del", del, "ts",
                                (json_int_t)now_monotonic_usec()));
  pthread_mutex_unlock(&e->lock);
}

void ctrl_expectations_lower_adds(CtrlExpectations *e, const char *key, int64_t n) {
  pthread_mutex_lock(&e->lock);
  json_t *rec = json_object_get(e->map, key);
  if (rec)
    json_object_set_new(rec, "add", json_integer(jint(rec, "add", 0) - n));
  pthread_mutex_unlock(&e->lock);
}

void ctrl_expectations_creation_observed(CtrlExpectations *e, const char *key) {
  ctrl_expectations_lower_adds(e, key, 1);
}

void ctrl_expectations_deletion_observed(CtrlExpectations *e, const char *key, const char *uid) {
  if (!uid)
    return;
  pthread_mutex_lock(&e->lock);
  json_t *rec = json_object_get(e->map, key);
  if (rec)
    json_object_del(json_object_get(rec, "del"), uid);
  pthread_mutex_unlock(&e->lock);
}

bool ctrl_expectations_satisfied(CtrlExpectations *e, const char *key) {
  pthread_mutex_lock(&e->lock);
  json_t *rec = json_object_get(e->map, key);
  bool ok = !rec || (jint(rec, "add", 0) <= 0 && json_object_size(json_object_get(rec, "del")) == 0) ||
            now_monotonic_usec() - (uint64_t)jint(rec, "ts", 0) > CTRL_EXPECTATIONS_TIMEOUT_USEC;
  pthread_mutex_unlock(&e->lock);
  return ok;
}

void ctrl_expectations_delete(CtrlExpectations *e, const char *key) {
  pthread_mutex_lock(&e->lock);
  json_object_del(e->map, key);
  pthread_mutex_unlock(&e->lock);
}

int ctrl_pass_error(int rc, Error *e, Error *err) {
  error_reset(err);
  if (err)
    *err = *e;
  else
    error_reset(e);
  *e = (Error){0};
  return rc;
}

void ctrl_keep_first_error(int rc, Error *e, int *ret, Error *err) {
  if (rc >= 0 || *ret < 0) {
    error_reset(e);
    return;
  }
  *ret = ctrl_pass_error(rc, e, err);
}
