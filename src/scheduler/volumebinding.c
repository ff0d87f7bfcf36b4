/* The VolumeBinding filter (see volumebinding.h). */
#include <errno.h>
#include <pthread.h>

#include "api/jsonutil.h"
#include "base/log.h"
#include "client/informer.h"
#include "scheduler/volumebinding.h"

static bool fail(SchedStatus *st, bool prefilter, const char *fmt, const char *arg) {
  if (st && st->n < SCHED_MAX_REASONS) {
    snprintf(st->reasons[st->n++], sizeof st->reasons[0], fmt, arg ? arg : "");
    st->unresolvable = true;
    st->prefilter = st->prefilter || prefilter;
  }
  return false;
}

bool sched_volume_prefilter(json_t *pod, const SchedVolumeView *v, SchedStatus *st) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  bool unbound = false;
  size_t i;
  json_t *vol;
  json_array_foreach(jpath(pod, "spec.volumes"), i, vol) {
    const char *name = jstr(vol, "persistentVolumeClaim.claimName");
    if (!name)
      continue;
    _cleanup_json_ json_t *pvc = v->claim(v->ud, ns, name);
    if (!pvc)
      return fail(st, true, "persistentvolumeclaim \"%s\" not found", name);
    if (jpath(pvc, "metadata.deletionTimestamp"))
      return fail(st, true, "persistentvolumeclaim \"%s\" is being deleted", name);
    if (isempty(jstr(pvc, "spec.volumeName")))
      unbound = true;
  }
  if (unbound)
    return fail(st, true, "pod has unbound immediate PersistentVolumeClaims", NULL);
  return true;
}

bool sched_volume_filter(json_t *pod, json_t *node, const SchedVolumeView *v, SchedStatus *st) {
  const char *ns = jstr(pod, "metadata.namespace") ?: "default";
  size_t i, j;
  json_t *vol, *term;
  json_array_foreach(jpath(pod, "spec.volumes"), i, vol) {
    const char *name = jstr(vol, "persistentVolumeClaim.claimName");
    if (!name)
      continue;
    _cleanup_json_ json_t *pvc = v->claim(v->ud, ns, name);
    const char *vn = jstr(pvc, "spec.volumeName");
    if (isempty(vn))
      continue; /* the pre-filter's business */
    _cleanup_json_ json_t *pv = v->volume(v->ud, vn);
    if (!pv)
      return fail(st, false, "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)",
                  NULL);
    json_t *terms = jpath(pv, "spec.nodeAffinity.required.nodeSelectorTerms");
    if (!json_array_size(terms))
      continue;
    bool ok = false;
    json_array_foreach(terms, j, term) ok = ok || sched_node_selector_term_matches(term, node);
    if (!ok)
      return fail(st, false, "node(s) had volume node affinity conflict", NULL);
  }
  return true;
}

/* ---- the process-wide view ---- */

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t view_rw = PTHREAD_RWLOCK_INITIALIZER; /* guards the pointers against stop */
static Informer *view_pvcs, *view_pvs;
static int view_refs;

static json_t *informer_claim(void *ud, const char *ns, const char *name) {
  return informer_get_by_name(view_pvcs, ns, name);
}
static json_t *informer_volume(void *ud, const char *name) {
  return informer_get(view_pvs, name);
}

static const SchedVolumeView informer_view = {.claim = informer_claim, .volume = informer_volume};

bool sched_prefilter_volumes(const SchedPod *pod, SchedStatus *st) {
  if (!pod->has_claims) /* looked up once per pod (sched_pod_new), not per node */
    return true;
  pthread_rwlock_rdlock(&view_rw);
  bool ok = !view_pvcs || sched_volume_prefilter(pod->obj, &informer_view, st);
  pthread_rwlock_unlock(&view_rw);
  return ok;
}

bool sched_filter_volumes(const SchedPod *pod, const SchedNode *node, SchedStatus *st) {
  if (!node->obj || !pod->has_claims)
    return true;
  pthread_rwlock_rdlock(&view_rw);
  bool ok = !view_pvcs || sched_volume_filter(pod->obj, node->obj, &informer_view, st);
  pthread_rwlock_unlock(&view_rw);
  return ok;
}

int sched_volumes_start(Client *c, Error *err) {
  pthread_mutex_lock(&view_lock);
  int rc = 0;
  if (view_refs++ == 0) {
    Informer *pvcs = NULL, *pvs = NULL;
    if ((rc = informer_new(c, api_resource_find("", "v1", "persistentvolumeclaims"), NULL, &pvcs, err)) < 0 ||
        (rc = informer_new(c, api_resource_find("", "v1", "persistentvolumes"), NULL, &pvs, err)) < 0 ||
        (rc = informer_start(pvcs, err)) < 0 || (rc = informer_start(pvs, err)) < 0) {
      informer_free(pvcs); /* the reference stays counted: the stop that pairs with it frees nothing */
      informer_free(pvs);
    } else {
      pthread_rwlock_wrlock(&view_rw);
      view_pvcs = pvcs;
      view_pvs = pvs;
      pthread_rwlock_unlock(&view_rw);
    }
  }
  pthread_mutex_unlock(&view_lock);
  return rc;
}

void sched_volumes_stop(void) {
  pthread_mutex_lock(&view_lock);
  if (view_refs > 0 && --view_refs == 0) {
    pthread_rwlock_wrlock(&view_rw);
    Informer *pvcs = view_pvcs, *pvs = view_pvs;
    view_pvcs = view_pvs = NULL;
    pthread_rwlock_unlock(&view_rw);
    informer_free(pvcs);
    informer_free(pvs);
  }
  pthread_mutex_unlock(&view_lock);
}
