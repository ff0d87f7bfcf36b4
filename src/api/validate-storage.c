/* Validation of PersistentVolumeClaims, PersistentVolumes and StorageClasses, with Kubernetes' field paths
 * and wording (pkg/apis/core/validation and pkg/apis/storage/validation, v1.32): access modes, the storage
 * request or capacity, exactly one volume source, reclaim policies and volume modes, and what may change on
 * update (a claim's spec only by growing the request once bound; a class's provisioner, parameters,
 * reclaimPolicy and volumeBindingMode never). */
#include <ctype.h>
#include <errno.h>

#include "api/quantity.h"
#include "api/validate-internal.h"
#include "api/validate.h"

static const char *const ACCESS_MODES[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                           "ReadWriteOncePod", NULL};
static const char *const VOLUME_MODES[] = {"Block", "Filesystem", NULL};

/* spec.accessModes: at least one (when required), known values, ReadWriteOncePod alone. */
static void access_modes(V *v, json_t *spec, const char *detail) {
  json_t *modes = json_object_get(spec, "accessModes");
  if (json_array_size(modes) == 0) {
    required(v, "spec.accessModes", detail);
    return;
  }
  bool rwop = false;
  size_t i;
  json_t *m;
  json_array_foreach(modes, i, m) {
    const char *s = json_string_value(m);
    if (!s || !one_of(s, ACCESS_MODES))
      unsupported(v, "spec.accessModes", s ? s : "", ACCESS_MODES);
    else if (streq(s, "ReadWriteOncePod"))
      rwop = true;
  }
  if (rwop && json_array_size(modes) > 1)
    forbidden(v, "spec.accessModes", "may not use ReadWriteOncePod with other access modes");
}

/* A quantity of a ResourceList that must be >= 0 (and > 0 when positive). false if it is not one. */
static bool check_quantity(V *v, json_t *q, const char *path, bool positive, Quantity *ret) {
  Quantity qty;
  Error qe = ERROR_INIT;
  if (quantity_from_json(q, &qty, &qe) < 0) {
    invalid_json(v, path, q, qe.message ? qe.message : "must be a valid quantity");
    error_reset(&qe);
    return false;
  }
  _cleanup_free_ char *text = quantity_canonical(&qty);
  if (quantity_sign(&qty) < 0)
    invalid_str(v, path, text, "must be greater than or equal to 0");
  else if (positive && quantity_is_zero(&qty))
    invalid_str(v, path, text, "must be greater than zero");
  if (ret)
    *ret = qty;
  return true;
}

static void storage_class_name(V *v, json_t *spec) {
  const char *sc = jstr(spec, "storageClassName");
  if (!isempty(sc) && !validate_dns1123_subdomain(sc))
    invalid_str(
        v, "spec.storageClassName", sc,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

/* ---- PersistentVolumeClaim ---- */

static void validate_pvc(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  access_modes(v, spec, "at least 1 access mode is required");
  json_t *storage = jpath(spec, "resources.requests.storage");
  if (!storage)
    required(v, "spec.resources[storage]", NULL);
  else
    check_quantity(v, storage, "spec.resources[storage]", true, NULL);
  json_t *limit = jpath(spec, "resources.limits.storage");
  if (limit)
    check_quantity(v, limit, "spec.resources.limits[storage]", false, NULL);
  check_enum(v, spec, "volumeMode", "spec", VOLUME_MODES);
  storage_class_name(v, spec);
  validate_labels(v, jpath(spec, "selector.matchLabels"), "spec.selector.matchLabels");
}

/* The spec fields an update may change: spec.volumeName and storageClassName from unset (binding, and the
 * retroactive default class), the storage request of a bound claim (expansion), volumeAttributesClassName. */
static void validate_pvc_update(V *v, json_t *obj, json_t *old) {
  json_t *spec = json_object_get(obj, "spec"), *ospec = json_object_get(old, "spec");
  if (!json_is_object(spec) || !json_is_object(ospec))
    return;
  _cleanup_json_ json_t *a = json_deep_copy(spec), *b = json_deep_copy(ospec);
  if (isempty(jstr(ospec, "volumeName"))) {
    json_object_del(a, "volumeName");
    json_object_del(b, "volumeName");
  }
  if (!json_object_get(ospec, "storageClassName"))
    json_object_del(a, "storageClassName");
  json_object_del(a, "volumeAttributesClassName");
  json_object_del(b, "volumeAttributesClassName");
  bool bound = streq_ptr(jstr(old, "status.phase"), "Bound");
  if (bound) {
    json_t *want = jpath(ospec, "resources.requests.storage");
    json_t *req = jpath(a, "resources.requests");
    if (json_is_object(req) && want)
      json_object_set(req, "storage", want);
  }
  if (!json_equal(a, b)) {
    forbidden(v, "spec",
              "spec is immutable after creation except resources.requests and volumeAttributesClassName for "
              "bound claims");
    return;
  }
  if (!bound)
    return;
  /* Expansion only: the request may not drop below what the volume already has. */
  Quantity now, floor;
  Error qe = ERROR_INIT;
  json_t *cap = jpath(old, "status.capacity.storage");
  json_t *prev = cap ? cap : jpath(ospec, "resources.requests.storage");
  json_t *req = jpath(spec, "resources.requests.storage");
  /* Only a lowered request is checked (Kubernetes compares with the old request first): a claim bound to a
   * volume larger than it asked for keeps its request through any other update. */
  Quantity before;
  json_t *oreq = jpath(ospec, "resources.requests.storage");
  bool lowered = oreq && req && quantity_from_json(req, &now, &qe) >= 0 &&
                 quantity_from_json(oreq, &before, &qe) >= 0 && quantity_cmp(&now, &before) < 0;
  if (lowered && prev && quantity_from_json(prev, &floor, &qe) >= 0 && quantity_cmp(&now, &floor) < 0)
    forbidden(v, "spec.resources.requests.storage",
              cap ? "field can not be less than status.capacity"
                  : "field can not be less than previous value");
  error_reset(&qe);
}

/* ---- PersistentVolume ---- */

static const char *const PV_SOURCES[] = {"awsElasticBlockStore",
                                         "azureDisk",
                                         "azureFile",
                                         "cephfs",
                                         "cinder",
                                         "csi",
                                         "fc",
                                         "flexVolume",
                                         "flocker",
                                         "gcePersistentDisk",
                                         "glusterfs",
                                         "hostPath",
                                         "iscsi",
                                         "local",
                                         "nfs",
                                         "photonPersistentDisk",
                                         "portworxVolume",
                                         "quobyte",
                                         "rbd",
                                         "scaleIO",
                                         "storageos",
                                         "vsphereVolume"};

static void require_str(V *v, json_t *o, const char *key, const char *path) {
  if (isempty(jstr(o, key))) {
    _cleanup_free_ char *p = xasprintf("%s.%s", path, key);
    required(v, p, NULL);
  }
}

static void validate_pv(V *v, json_t *obj) {
  json_t *spec = json_object_get(obj, "spec");
  if (!json_is_object(spec)) {
    required(v, "spec", NULL);
    return;
  }
  access_modes(v, spec, NULL);
  json_t *cap = json_object_get(spec, "capacity");
  if (json_object_size(cap) == 0) {
    required(v, "spec.capacity", NULL);
  } else {
    json_t *storage = json_object_get(cap, "storage");
    if (!storage || json_object_size(cap) > 1) {
      /* Kubernetes prints the Go map; its keys are what matter to the reader. */
      Buf b = BUF_INIT;
      buf_puts(&b, "Unsupported value: core.ResourceList{");
      const char *k;
      json_t *val;
      bool first = true;
      json_object_foreach(cap, k, val) {
        buf_printf(&b, "%s\"%s\"", first ? "" : ", ", k);
        first = false;
      }
      buf_puts(&b, "}: supported values: \"storage\"");
      add(v, "FieldValueNotSupported", "spec.capacity", b.data);
      buf_free(&b);
    }
    const char *k;
    json_t *val;
    json_object_foreach(cap, k, val) {
      _cleanup_free_ char *p = xasprintf("spec.capacity[%s]", k);
      check_quantity(v, val, p, false, NULL);
    }
  }
  const char *first = NULL;
  for (size_t i = 0; i < ELEMENTSOF(PV_SOURCES); i++) {
    json_t *src = json_object_get(spec, PV_SOURCES[i]);
    if (!src || json_is_null(src))
      continue;
    if (first) {
      _cleanup_free_ char *p = xasprintf("spec.%s", PV_SOURCES[i]);
      forbidden(v, p, "may not specify more than 1 volume type");
      continue;
    }
    first = PV_SOURCES[i];
  }
  if (!first)
    required(v, "spec", "must specify a volume type");
  else if (streq(first, "hostPath"))
    require_str(v, json_object_get(spec, "hostPath"), "path", "spec.hostPath");
  else if (streq(first, "local")) {
    require_str(v, json_object_get(spec, "local"), "path", "spec.local");
    if (!json_object_get(spec, "nodeAffinity"))
      required(v, "spec.nodeAffinity", "Local volume requires node affinity");
  } else if (streq(first, "nfs")) {
    require_str(v, json_object_get(spec, "nfs"), "server", "spec.nfs");
    require_str(v, json_object_get(spec, "nfs"), "path", "spec.nfs");
  } else if (streq(first, "csi")) {
    require_str(v, json_object_get(spec, "csi"), "driver", "spec.csi");
    require_str(v, json_object_get(spec, "csi"), "volumeHandle", "spec.csi");
  }
  static const char *const reclaim[] = {"Delete", "Recycle", "Retain", NULL};
  check_enum(v, spec, "persistentVolumeReclaimPolicy", "spec", reclaim);
  check_enum(v, spec, "volumeMode", "spec", VOLUME_MODES);
  storage_class_name(v, spec);
}

static void validate_pv_update(V *v, json_t *obj, json_t *old) {
  json_t *spec = json_object_get(obj, "spec"), *ospec = json_object_get(old, "spec");
  for (size_t i = 0; i < ELEMENTSOF(PV_SOURCES); i++) {
    json_t *a = json_object_get(spec, PV_SOURCES[i]), *b = json_object_get(ospec, PV_SOURCES[i]);
    if (!json_equal(a ? a : json_null(), b ? b : json_null())) {
      forbidden(v, "spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation");
      break;
    }
  }
  immutable(v, obj, old, "spec.volumeMode");
}

/* ---- StorageClass ---- */

static void validate_storage_class(V *v, json_t *obj) {
  const char *prov = jstr(obj, "provisioner");
  if (isempty(prov)) {
    required(v, "provisioner", NULL);
  } else {
    _cleanup_free_ char *lower = xstrdup(prov);
    for (char *p = lower; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    if (!validate_qualified_name(lower))
      invalid_str(v, "provisioner", prov, VALIDATE_QUALIFIED_NAME_MSG);
  }
  static const char *const reclaim[] = {"Delete", "Retain", NULL};
  check_enum(v, obj, "reclaimPolicy", "", reclaim);
  static const char *const binding[] = {"Immediate", "WaitForFirstConsumer", NULL};
  check_enum(v, obj, "volumeBindingMode", "", binding);
  json_t *params = json_object_get(obj, "parameters");
  if (json_object_size(params) > 512)
    add(v, "FieldValueTooMany", "parameters", "Too many: must have at most 512 items");
}

static void validate_storage_class_update(V *v, json_t *obj, json_t *old) {
  static const struct {
    const char *key;
    const char *msg;
  } fixed[] = {{"parameters", "updates to parameters are forbidden."},
               {"provisioner", "updates to provisioner are forbidden."},
               {"reclaimPolicy", "updates to reclaimPolicy are forbidden."}};
  for (size_t i = 0; i < ELEMENTSOF(fixed); i++) {
    json_t *a = json_object_get(obj, fixed[i].key), *b = json_object_get(old, fixed[i].key);
    /* An empty parameters map is the same as none (Go compares nil and empty maps as equal here). */
    if (json_object_size(a) == 0 && json_object_size(b) == 0 && streq(fixed[i].key, "parameters"))
      continue;
    if (!json_equal(a ? a : json_null(), b ? b : json_null()))
      forbidden(v, fixed[i].key, fixed[i].msg);
  }
  immutable(v, obj, old, "volumeBindingMode");
}

bool validate_storage_object(V *v, const char *group, const char *kind, json_t *obj) {
  if (!*group && streq(kind, "PersistentVolumeClaim"))
    validate_pvc(v, obj);
  else if (!*group && streq(kind, "PersistentVolume"))
    validate_pv(v, obj);
  else if (streq(group, "storage.k8s.io") && streq(kind, "StorageClass"))
    validate_storage_class(v, obj);
  else
    return false;
  return true;
}

bool validate_storage_update(V *v, const char *group, const char *kind, json_t *obj, json_t *old) {
  if (!*group && streq(kind, "PersistentVolumeClaim"))
    validate_pvc_update(v, obj, old);
  else if (!*group && streq(kind, "PersistentVolume"))
    validate_pv_update(v, obj, old);
  else if (streq(group, "storage.k8s.io") && streq(kind, "StorageClass"))
    validate_storage_class_update(v, obj, old);
  else
    return false;
  return true;
}
