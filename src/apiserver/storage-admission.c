/* Storage admission on create (see storage-admission.h): the default StorageClass for claims that name
 * none, and the protection finalizers of claims and volumes. The classes are read from the watch cache. */
#include "apiserver/storage-admission.h"
#include "api/jsonutil.h"
#include "apiserver/apiserver-internal.h"

#define DEFAULT_CLASS_ANN "storageclass.kubernetes.io/is-default-class"
#define BETA_CLASS_ANN "volume.beta.kubernetes.io/storage-class"

static void add_finalizer(json_t *obj, const char *f) {
  json_t *meta = jobj(obj, "metadata");
  json_t *list = json_object_get(meta, "finalizers");
  if (!json_is_array(list)) {
    list = json_array();
    json_object_set_new(meta, "finalizers", list);
  }
  size_t i;
  json_t *v;
  json_array_foreach(list, i, v) {
    if (streq_ptr(json_string_value(v), f))
      return;
  }
  json_array_append_new(list, json_string(f));
}

/* The name of the default class (the newest one when several are marked), or NULL. Caller frees. */
static char *default_class(ApiServer *s) {
  const ApiResource *r = api_resource_find("storage.k8s.io", "v1", "storageclasses");
  if (!r)
    return NULL;
  _cleanup_free_ char *prefix = registry_prefix(r, NULL);
  CacheObj **objs;
  size_t n;
  int64_t rev;
  watch_cache_list(s->cache, prefix, NULL, 0, &objs, &n, &rev, NULL);
  const char *best = NULL, *best_t = NULL;
  for (size_t i = 0; i < n; i++) {
    json_t *o = objs[i]->obj;
    json_t *ann = jpath(o, "metadata.annotations");
    if (!streq_ptr(json_string_value(json_object_get(ann, DEFAULT_CLASS_ANN)), "true"))
      continue;
    const char *t = jstr(o, "metadata.creationTimestamp") ?: "";
    if (!best || strcmp(t, best_t) > 0) {
      best = jstr(o, "metadata.name");
      best_t = t;
    }
  }
  char *name = best ? xstrdup(best) : NULL;
  watch_cache_list_free(objs, n);
  return name;
}

void storage_admit_create(ApiServer *s, const ApiResource *r, json_t *obj) {
  if (r->group[0])
    return;
  if (streq(r->resource, "persistentvolumes")) {
    add_finalizer(obj, "kubernetes.io/pv-protection");
    return;
  }
  if (!streq(r->resource, "persistentvolumeclaims"))
    return;
  add_finalizer(obj, "kubernetes.io/pvc-protection");
  json_t *ann = jpath(obj, "metadata.annotations");
  if (jpath(obj, "spec.storageClassName") || json_object_get(ann, BETA_CLASS_ANN))
    return; /* "" included: it asks for no class */
  _cleanup_free_ char *def = default_class(s);
  if (def)
    json_object_set_new(jobj(obj, "spec"), "storageClassName", json_string(def));
}
