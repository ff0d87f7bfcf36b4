/* The garbage collector: ownerReferences cascade deletion, as kube-controller-manager's, over the resources
 * the controller manager watches (pods, ReplicaSets, Deployments, Services, Endpoints, EndpointSlices, Jobs,
 * CronJobs, DaemonSets, StatefulSets, ControllerRevisions, ConfigMaps, Secrets, ServiceAccounts).
 *
 * Keys are "<resource index>|ns/name". An object is looked at in two roles:
 *  - as an owner being deleted (deletionTimestamp set) that holds the finalizer
 *      "orphan": its dependents lose their reference to it, then the finalizer goes;
 *      "foregroundDeletion": its dependents are deleted (in the foreground themselves when they have
 *      dependents of their own), and the finalizer goes once no dependent with blockOwnerDeletion remains;
 *  - as a dependent: when none of its owners exists any more (background propagation: the owner was deleted
 *    outright) it is deleted; references to owners that are gone or deleting in the foreground are dropped
 *    when another owner remains.
 * Absence is never concluded from the cache alone: a live GET confirms it (a new owner may not have reached
 * the informer yet), and uids confirmed gone are remembered, since a uid never comes back. */
#include <errno.h>

#include "controllers/controllers-internal.h"

#define COMPONENT "garbage-collector"
#define GC_ABSENT_MAX 20000 /* remembered absent uids before the set is cleared */

/* Kubernetes' collector watches every resource through metadata-only informers; this one watches the
 * resources that own or are owned in practice. A foreground or orphan finalizer on anything else stays
 * until removed by hand. */
static const CtrlRes gc_tracked[] = {CTRL_PODS,
                                     CTRL_REPLICASETS,
                                     CTRL_DEPLOYMENTS,
                                     CTRL_SERVICES,
                                     CTRL_ENDPOINTS,
                                     CTRL_ENDPOINTSLICES,
                                     CTRL_JOBS,
                                     CTRL_CRONJOBS,
                                     CTRL_DAEMONSETS,
                                     CTRL_STATEFULSETS,
                                     CTRL_CONTROLLERREVISIONS,
                                     CTRL_CONFIGMAPS,
                                     CTRL_SECRETS,
                                     CTRL_SERVICEACCOUNTS};

typedef struct GcState GcState;

typedef struct GcHandler {
  GcState *s;
  CtrlRes res;
} GcHandler;

struct GcState {
  CtrlController *c;
  CtrlManager *m;
  GcHandler handlers[ELEMENTSOF(gc_tracked)];
  pthread_mutex_t lock; /* guards absent */
  json_t *absent;       /* uid → true */
};

static bool tracked(CtrlRes r) {
  for (size_t i = 0; i < ELEMENTSOF(gc_tracked); i++) {
    if (gc_tracked[i] == r)
      return true;
  }
  return false;
}

static char *gc_key(CtrlRes r, json_t *obj) {
  _cleanup_free_ char *k = informer_key(obj);
  return k ? xasprintf("%d|%s", (int)r, k) : NULL;
}

static void enqueue(GcState *s, CtrlRes r, json_t *obj) {
  _cleanup_free_ char *key = gc_key(r, obj);
  ctrl_enqueue(s->c, key);
}

static bool refers_to(json_t *obj, const char *uid) {
  size_t i;
  json_t *ref;
  json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, ref) {
    if (streq_ptr(jstr(ref, "uid"), uid))
      return true;
  }
  return false;
}

/* Every cached object (of the tracked resources) that names owner among its owners, as
 * [[resource index, object]...]. Namespaced owners only own objects of their namespace. */
static json_t *dependents(GcState *s, json_t *owner) {
  json_t *out = json_array();
  const char *uid = jstr(owner, "metadata.uid"), *ns = jstr(owner, "metadata.namespace");
  if (!uid)
    return out;
  for (size_t i = 0; i < ELEMENTSOF(gc_tracked); i++) {
    Informer *inf = ctrl_informer(s->m, gc_tracked[i]);
    _cleanup_json_ json_t *objs = ns ? informer_list_namespace(inf, ns) : informer_list(inf);
    size_t k;
    json_t *o;
    json_array_foreach(objs, k, o) {
      if (refers_to(o, uid))
        json_array_append_new(out, json_pack("[iO]", (int)gc_tracked[i], o));
    }
  }
  return out;
}

/* ---- handlers ---- */

static void on_add(json_t *obj, void *ud) {
  GcHandler *h = ud;
  if (json_array_size(jpath(obj, "metadata.ownerReferences")) ||
      (ctrl_is_deleting(obj) &&
       (ctrl_has_finalizer(obj, "orphan") || ctrl_has_finalizer(obj, "foregroundDeletion"))))
    enqueue(h->s, h->res, obj);
}

static void on_update(json_t *old, json_t *obj, void *ud) {
  on_add(obj, ud);
}

static void on_delete(json_t *obj, void *ud) {
  GcHandler *h = ud;
  GcState *s = h->s;
  const char *uid = jstr(obj, "metadata.uid");
  if (uid) {
    pthread_mutex_lock(&s->lock);
    if (json_object_size(s->absent) >= GC_ABSENT_MAX)
      json_object_clear(s->absent);
    json_object_set_new(s->absent, uid, json_true());
    pthread_mutex_unlock(&s->lock);
  }
  /* Its dependents may now be orphans... */
  _cleanup_json_ json_t *deps = dependents(s, obj);
  size_t i;
  json_t *d;
  json_array_foreach(deps, i, d)
      enqueue(s, (CtrlRes)json_integer_value(json_array_get(d, 0)), json_array_get(d, 1));
  /* ...and owners waiting for it in the foreground may now finish. */
  json_t *ref;
  json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, ref) {
    CtrlRes r = ctrl_res_from_kind(jstr(ref, "apiVersion"), jstr(ref, "kind"));
    if (r == CTRL_RES_INVALID || !tracked(r))
      continue;
    const ApiResource *ar = ctrl_resource(r);
    _cleanup_free_ char *key =
        ar->namespaced ? xasprintf("%d|%s/%s", (int)r, jstr(obj, "metadata.namespace"), jstr(ref, "name"))
                       : xasprintf("%d|%s", (int)r, jstr(ref, "name"));
    ctrl_enqueue(s->c, key);
  }
}

/* ---- owner lookup ---- */

typedef enum OwnerState { OWNER_ABSENT, OWNER_PRESENT, OWNER_WAITING } OwnerState;

static int owner_state(GcState *s, json_t *dep, json_t *ref, OwnerState *ret, Error *err) {
  const char *uid = jstr(ref, "uid"), *api_version = jstr(ref, "apiVersion"), *kind = jstr(ref, "kind");
  pthread_mutex_lock(&s->lock);
  bool gone = uid && json_object_get(s->absent, uid);
  pthread_mutex_unlock(&s->lock);
  if (gone) {
    *ret = OWNER_ABSENT;
    return 0;
  }
  _cleanup_free_ char *group = NULL;
  const char *version = api_version;
  const char *slash = api_version ? strchr(api_version, '/') : NULL;
  if (slash) {
    group = xstrndup(api_version, (size_t)(slash - api_version));
    version = slash + 1;
  }
  const ApiResource *ar =
      api_resource_find_kind(group ? group : "", version ? version : "", kind ? kind : "");
  if (!ar) {
    /* An owner kind we do not serve cannot be checked; never delete on a guess. */
    *ret = OWNER_PRESENT;
    return 0;
  }
  const char *ns = ar->namespaced ? jstr(dep, "metadata.namespace") : NULL;
  _cleanup_json_ json_t *owner = NULL;
  CtrlRes r = ctrl_res_from_kind(api_version, kind);
  if (r != CTRL_RES_INVALID && tracked(r))
    owner = informer_get_by_name(ctrl_informer(s->m, r), ns, jstr(ref, "name"));
  if (!owner || !streq_ptr(jstr(owner, "metadata.uid"), uid)) {
    json_decref(owner);
    owner = NULL;
    Error e = ERROR_INIT;
    int rc = client_get(s->m->client, ar, ns, jstr(ref, "name"), &owner, &e);
    if (rc < 0 && rc != -ENOENT) {
      return ctrl_pass_error(rc, &e, err);
    }
    error_reset(&e);
  }
  if (!owner || !streq_ptr(jstr(owner, "metadata.uid"), uid)) {
    if (uid) {
      pthread_mutex_lock(&s->lock);
      json_object_set_new(s->absent, uid, json_true());
      pthread_mutex_unlock(&s->lock);
    }
    *ret = OWNER_ABSENT;
  } else if (ctrl_is_deleting(owner) && ctrl_has_finalizer(owner, "foregroundDeletion")) {
    *ret = OWNER_WAITING;
  } else {
    *ret = OWNER_PRESENT;
  }
  return 0;
}

/* ---- actions ---- */

static int delete_object(GcState *s, CtrlRes r, json_t *obj, const char *policy, Error *err) {
  ClientDeleteOptions o = {.propagation_policy = policy, .precondition_uid = jstr(obj, "metadata.uid")};
  int rc = client_delete(s->m->client, ctrl_resource(r), jstr(obj, "metadata.namespace"),
                         jstr(obj, "metadata.name"), &o, NULL, err);
  if (rc == -ENOENT) {
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"deleting dependent\" resource=%s object=%s/%s policy=%s",
             ctrl_resource(r)->resource, jstr(obj, "metadata.namespace") ?: "", jstr(obj, "metadata.name"),
             policy);
  return rc;
}

/* PUTs obj without the owner references whose uids are in drop (an object uid → true). */
static int drop_refs(GcState *s, CtrlRes r, json_t *obj, json_t *drop, Error *err) {
  _cleanup_json_ json_t *upd = json_deep_copy(obj);
  json_t *refs = jpath(upd, "metadata.ownerReferences");
  for (size_t i = 0; i < json_array_size(refs);) {
    if (json_object_get(drop, jstr(json_array_get(refs, i), "uid") ?: ""))
      json_array_remove(refs, i);
    else
      i++;
  }
  if (json_array_size(refs) == 0)
    json_object_del(jpath(upd, "metadata"), "ownerReferences");
  int rc = client_update(s->m->client, ctrl_resource(r), NULL, upd, NULL, err);
  if (rc == -ENOENT) {
    error_reset(err);
    return 0;
  }
  return rc;
}

static int remove_finalizer(GcState *s, CtrlRes r, json_t *obj, const char *fin, Error *err) {
  _cleanup_json_ json_t *upd = json_deep_copy(obj);
  json_t *f = jpath(upd, "metadata.finalizers");
  for (size_t i = 0; i < json_array_size(f);) {
    if (streq_ptr(json_string_value(json_array_get(f, i)), fin))
      json_array_remove(f, i);
    else
      i++;
  }
  int rc = client_update(s->m->client, ctrl_resource(r), NULL, upd, NULL, err);
  if (rc == -ENOENT) {
    error_reset(err);
    return 0;
  }
  if (rc >= 0)
    log_info(COMPONENT, "msg=\"removed finalizer\" finalizer=%s resource=%s object=%s/%s", fin,
             ctrl_resource(r)->resource, jstr(obj, "metadata.namespace") ?: "", jstr(obj, "metadata.name"));
  return rc;
}

static int process_owner(GcState *s, CtrlRes r, json_t *obj, Error *err) {
  _cleanup_json_ json_t *deps = dependents(s, obj);
  const char *uid = jstr(obj, "metadata.uid");
  size_t i;
  json_t *d;
  if (ctrl_has_finalizer(obj, "orphan")) {
    _cleanup_json_ json_t *drop = json_pack("{s:b}", uid, 1);
    json_array_foreach(deps, i, d) {
      int rc =
          drop_refs(s, (CtrlRes)json_integer_value(json_array_get(d, 0)), json_array_get(d, 1), drop, err);
      if (rc < 0)
        return rc;
    }
    return remove_finalizer(s, r, obj, "orphan", err);
  }
  /* foregroundDeletion */
  size_t blocking = 0;
  json_array_foreach(deps, i, d) {
    CtrlRes dr = (CtrlRes)json_integer_value(json_array_get(d, 0));
    json_t *dep = json_array_get(d, 1);
    json_t *ref = NULL, *x;
    size_t k;
    json_array_foreach(jpath(dep, "metadata.ownerReferences"), k, x) {
      if (streq_ptr(jstr(x, "uid"), uid))
        ref = x;
    }
    if (json_is_true(json_object_get(ref, "blockOwnerDeletion")))
      blocking++;
    if (ctrl_is_deleting(dep))
      continue;
    _cleanup_json_ json_t *grand = dependents(s, dep);
    int rc = delete_object(s, dr, dep, json_array_size(grand) ? "Foreground" : "Background", err);
    if (rc < 0)
      return rc;
  }
  if (blocking == 0)
    return remove_finalizer(s, r, obj, "foregroundDeletion", err);
  return 0; /* the dependents' deletion events bring us back */
}

static int process_dependent(GcState *s, CtrlRes r, json_t *obj, Error *err) {
  json_t *refs = jpath(obj, "metadata.ownerReferences");
  if (!json_array_size(refs) || ctrl_is_deleting(obj))
    return 0;
  size_t present = 0, waiting = 0;
  _cleanup_json_ json_t *drop = json_object();
  size_t i;
  json_t *ref;
  json_array_foreach(refs, i, ref) {
    OwnerState st;
    int rc = owner_state(s, obj, ref, &st, err);
    if (rc < 0)
      return rc;
    if (st == OWNER_PRESENT)
      present++;
    else
      json_object_set_new(drop, jstr(ref, "uid") ?: "", json_true());
    waiting += st == OWNER_WAITING;
  }
  if (present) {
    /* Still owned: only forget the owners that are gone or going. */
    return json_object_size(drop) ? drop_refs(s, r, obj, drop, err) : 0;
  }
  _cleanup_json_ json_t *grand = dependents(s, obj);
  const char *policy = waiting && json_array_size(grand) ? "Foreground" : "Background";
  return delete_object(s, r, obj, policy, err);
}

static int gc_sync(CtrlController *c, const char *key, Error *err) {
  GcState *s = c->state;
  char *bar = strchr(key, '|');
  if (!bar)
    return 0;
  CtrlRes r = (CtrlRes)atoi(key);
  if (r < 0 || r >= _CTRL_RES_MAX || !tracked(r))
    return 0;
  _cleanup_json_ json_t *obj = informer_get(ctrl_informer(s->m, r), bar + 1);
  if (!obj)
    return 0;
  if (ctrl_is_deleting(obj) &&
      (ctrl_has_finalizer(obj, "orphan") || ctrl_has_finalizer(obj, "foregroundDeletion")))
    return process_owner(s, r, obj, err);
  return process_dependent(s, r, obj, err);
}

static void gc_state_free(void *p) {
  GcState *s = p;
  json_decref(s->absent);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

int gc_controller_setup(CtrlManager *m, Error *err) {
  GcState *s = xzalloc(sizeof *s);
  s->m = m;
  s->absent = json_object();
  pthread_mutex_init(&s->lock, NULL);
  s->c = ctrl_controller_new(m, "garbage-collector", gc_sync, s, gc_state_free);
  for (size_t i = 0; i < ELEMENTSOF(gc_tracked); i++) {
    s->handlers[i] = (GcHandler){.s = s, .res = gc_tracked[i]};
    informer_add_handlers(ctrl_informer(m, gc_tracked[i]), &(InformerHandlers){.on_add = on_add,
                                                                               .on_update = on_update,
                                                                               .on_delete = on_delete,
                                                                               .userdata = &s->handlers[i]});
  }
  return 0;
}
