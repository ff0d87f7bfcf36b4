/* The schema of every built-in kind coracle serves: one descriptor per Kubernetes Go struct (message), one
 * row per field, written from the facts of the Kubernetes API (k8s.io/api and k8s.io/apimachinery v1.32
 * types.go and generated.proto): JSON name, protobuf field number, Go type, pointer-ness, inline embedding,
 * patch strategy and merge key, closed sets of values, and whether OpenAPI calls the field required.
 * Everything that needs to know the shape of an object derives from these tables: protobuf request
 * decoding (protobuf.c), strict decoding and pruning with Kubernetes' error wording (schema_check), and the
 * OpenAPI v3 documents kubectl downloads (schema_openapi_v3). The tables are static and immutable, so they
 * may be read from any thread. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/error.h"

/* How a field's value is encoded; the wire format (protobuf) and the JSON form both follow from it. */
typedef enum SchemaType {
  SCHEMA_STRING,
  SCHEMA_BYTES, /* []byte: base64 string in JSON */
  SCHEMA_BOOL,
  SCHEMA_INT32,
  SCHEMA_INT64,
  SCHEMA_DOUBLE,
  SCHEMA_MESSAGE,       /* nested struct described by SchemaField.message: a JSON object */
  SCHEMA_MAP,           /* map[string]V: a JSON object; V's type in SchemaField.value */
  SCHEMA_TIME,          /* meta/v1 Time: RFC 3339 string, seconds precision */
  SCHEMA_MICRO_TIME,    /* meta/v1 MicroTime: RFC 3339 string with microseconds */
  SCHEMA_DURATION,      /* meta/v1 Duration: Go duration string ("1h2m3s") */
  SCHEMA_QUANTITY,      /* resource.Quantity: string or number ("500Mi", 0.5) */
  SCHEMA_INT_OR_STRING, /* intstr.IntOrString: int32 or string */
  SCHEMA_RAW_EXTENSION, /* runtime.RawExtension, meta/v1 FieldsV1: any embedded JSON */
  _SCHEMA_TYPE_MAX,
  _SCHEMA_TYPE_INVALID = -EINVAL,
} SchemaType;

/* What a validator or an OpenAPI consumer sees of a field: the JSON kind its value must have. */
typedef enum SchemaJsonKind {
  SCHEMA_JSON_STRING,
  SCHEMA_JSON_BYTES, /* base64 string */
  SCHEMA_JSON_INT32,
  SCHEMA_JSON_INT64,
  SCHEMA_JSON_NUMBER,
  SCHEMA_JSON_BOOLEAN,
  SCHEMA_JSON_OBJECT, /* a nested message */
  SCHEMA_JSON_ARRAY,  /* a repeated field; the element is described by the rest of the row */
  SCHEMA_JSON_MAP,
  SCHEMA_JSON_QUANTITY,
  SCHEMA_JSON_INT_OR_STRING,
  SCHEMA_JSON_DATE_TIME,
  SCHEMA_JSON_DURATION,
  SCHEMA_JSON_RAW,
  _SCHEMA_JSON_KIND_MAX,
  _SCHEMA_JSON_KIND_INVALID = -EINVAL,
} SchemaJsonKind;

enum {
  SCHEMA_REPEATED = 1 << 0, /* JSON array (protobuf: repeated; packed and unpacked both accepted) */
  SCHEMA_POINTER = 1 << 1,  /* Go pointer: presence is meaningful, a zero value is kept */
  SCHEMA_INLINE = 1 << 2,   /* Go struct embedded with json:",inline": its fields land in the parent */
};

/* patchStrategy tags, for strategic merge patch and x-kubernetes-patch-strategy. */
enum {
  SCHEMA_PATCH_MERGE = 1 << 0,       /* lists merge item by item (on merge_key; primitive lists as sets) */
  SCHEMA_PATCH_RETAIN_KEYS = 1 << 1, /* keys missing from the patch are cleared */
  SCHEMA_PATCH_REPLACE = 1 << 2,     /* replaced whole */
};

typedef struct SchemaMessage SchemaMessage;

/* A named Go type of a scalar field ("v1.Protocol", "types.UID") or of a map ("v1.ResourceList"). Kubernetes
 * names it in its decoding errors. values is its closed set of values (sorted) when Kubernetes declares one
 * (+enum), NULL otherwise; OpenAPI publishes it as "enum". */
typedef struct SchemaEnum {
  const char *go_type;
  const char *const *values;
  size_t n_values;
} SchemaEnum;

typedef struct SchemaField SchemaField;
struct SchemaField {
  const char *json;             /* JSON name; NULL for an inline struct */
  const SchemaMessage *message; /* SCHEMA_MESSAGE: the struct (of each element, for a list) */
  const SchemaEnum *named;      /* the Go named type of the value (of each element, for a list), or NULL */
  const char *merge_key;        /* patchMergeKey, or NULL */
  uint32_t number;              /* generated.proto field number; 0 = not on the wire (apiVersion, kind) */
  uint8_t type;                 /* SchemaType */
  uint8_t value;                /* SchemaType of a SCHEMA_MAP's values */
  uint8_t flags;                /* SCHEMA_REPEATED | SCHEMA_POINTER | SCHEMA_INLINE */
  uint8_t patch;                /* SCHEMA_PATCH_* */
  bool required;                /* OpenAPI "required": no omitempty and no +optional in Kubernetes */
};

struct SchemaMessage {
  const char *name;    /* Go type name: "DeploymentSpec" */
  const char *package; /* OpenAPI prefix of its Go package: "io.k8s.api.apps.v1" */
  const SchemaField *fields;
  size_t n_fields;
  const char *description; /* short, our own words; may be NULL */
};

/* A top-level kind as served under one group/version. */
typedef struct SchemaKind {
  const char *group; /* "" for core */
  const char *version;
  const char *kind;
  const SchemaMessage *message;
  const char *description;
} SchemaKind;

extern const SchemaKind schema_kinds[];
extern const size_t schema_kinds_count;

/* The descriptor of a kind, or NULL if coracle has no schema for it. */
const SchemaMessage *schema_for_kind(const char *group, const char *version, const char *kind);
/* The registry entry of a kind, or NULL. */
const SchemaKind *schema_kind_find(const char *group, const char *version, const char *kind);
/* The registry entry whose message is m (m is a top-level kind), or NULL. */
const SchemaKind *schema_kind_of(const SchemaMessage *m);

/* The field of m (or of a struct m embeds inline) with this JSON name, or NULL. */
const SchemaField *schema_field_find(const SchemaMessage *m, const char *json);
/* The field at a dotted path of JSON names below m ("spec.template.spec.containers.ports"): lists and maps
 * are crossed without naming an index or key, inline structs without naming them. NULL if the path leaves
 * the schema. Strategic merge patch reads patch/merge_key there. */
const SchemaField *schema_field_at(const SchemaMessage *m, const char *path);
/* The field of m with this protobuf field number (inline structs are fields of their own), or NULL. */
const SchemaField *schema_field_by_number(const SchemaMessage *m, uint32_t number);
/* The JSON kind of the field's value (SCHEMA_JSON_ARRAY for repeated fields). */
SchemaJsonKind schema_field_json_kind(const SchemaField *f);
/* The JSON kind of one element of a repeated field (or of the field itself when it is not repeated). */
SchemaJsonKind schema_field_element_json_kind(const SchemaField *f);

/* Go's name of the field's type as reflect prints it in decoding errors: "int32", "[]v1.Container",
 * "v1.DeploymentSpec", "map[string]string". element selects the type of one element of a list. buf is
 * returned. */
const char *schema_field_go_type(const SchemaField *f, bool element, char *buf, size_t size);
/* "io.k8s.api.apps.v1.DeploymentSpec", the name of m's OpenAPI component. Caller frees. */
char *schema_openapi_name(const SchemaMessage *m);

const char *schema_type_to_string(SchemaType t);
const char *schema_json_kind_to_string(SchemaJsonKind k);

/* ---- strict decoding (schema-check.c) ---- */

/* The fieldValidation query parameter of create, update and patch. */
typedef enum SchemaCheckMode {
  SCHEMA_CHECK_IGNORE, /* unknown fields are dropped silently */
  SCHEMA_CHECK_WARN,   /* dropped; the caller sends one Warning header per path */
  SCHEMA_CHECK_STRICT, /* refused with 400 BadRequest */
  _SCHEMA_CHECK_MODE_MAX,
  _SCHEMA_CHECK_MODE_INVALID = -EINVAL,
} SchemaCheckMode;

/* The mode a fieldValidation value asks for: "Ignore", "Warn", "Strict" (exact case, as Kubernetes
 * requires); NULL or "" is Warn, kube-apiserver's default. Anything else is _SCHEMA_CHECK_MODE_INVALID,
 * which Kubernetes answers with 422: 'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported
 * value: "x": supported values: "", "Ignore", "Strict", "Warn"' (UpdateOptions, PatchOptions likewise). */
SchemaCheckMode schema_check_mode_from_string(const char *s);
const char *schema_check_mode_to_string(SchemaCheckMode m);

/* Checks obj, a decoded request body of the kind m describes, the way kube-apiserver's strict JSON decoding
 * of built-in types does, and brings obj to what Kubernetes would keep of it:
 *  - a value of the wrong JSON type, an int32 out of range, a malformed quantity, time or base64 string:
 *    -EBADMSG (400 BadRequest) with Kubernetes' message, e.g. for a top-level kind
 *    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go
 *    struct field DeploymentSpec.spec.replicas of type int32', whatever the mode;
 *  - unknown fields (ObjectMeta and status included): with SCHEMA_CHECK_STRICT, -EBADMSG with
 *    '... cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica", unknown
 *    field "spec.template.spec.containers[0].imagePullPolcy"'; otherwise they are removed from obj.
 * On success obj has lost its unknown fields and its explicit nulls of struct fields, integral floats in
 * integer fields have become integers, quantities are in Kubernetes' canonical form ("0.5" -> "500m",
 * "1024Mi" -> "1Gi", as `kubectl get -o yaml` shows them after a round trip), and *ret_unknown_paths (if not
 * NULL) gets the paths of the unknown fields in document order, without a leading dot ("spec.replica"), or
 * NULL when there were none; the return value is their number. On failure obj may be partly normalised
 * and is best discarded. Duplicate fields are not detected (jansson keeps the last). */
int schema_check(const SchemaMessage *m, json_t *obj, SchemaCheckMode mode, char ***ret_unknown_paths,
                 Error *err);

/* The text of the Warning kube-apiserver sends for an unknown field under fieldValidation=Warn:
 * 'unknown field "spec.replica"' (Go-quoted). The header is then: 299 - "<this text, escaped>". Caller
 * frees. */
char *schema_unknown_field_warning(const char *path);

/* schema_check for PATCH: patched is the object after the patch (any patch type) was applied to the
 * stored one, patch the patch document as received. kube-apiserver converts the patched object with
 * unknown-field tracking and answers failures with 422 Invalid naming the patch as Go prints a map:
 *  - a type error: ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:3e]]": json: cannot
 *    unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' (Kubernetes' own
 *    detail there comes from its object converter and is worded differently; this keeps the JSON one);
 *  - unknown fields under SCHEMA_CHECK_STRICT: ' "" is invalid: patch: Invalid value: "map[spec:map[
 *    replica:3]]": strict decoding error: unknown field "spec.replica"';
 * with one FieldValueInvalid cause on field "patch". Otherwise as schema_check: patched is normalised and
 * the unknown paths (for Warn headers) are returned. */
int schema_check_patched(const SchemaMessage *m, json_t *patch, json_t *patched, SchemaCheckMode mode,
                         char ***ret_unknown_paths, Error *err);
/* The Strict failure of schema_check_patched on its own, for given paths. Returns -EINVAL. */
int schema_patch_strict_error(json_t *patch, char *const *unknown_paths, Error *err);
/* Go's fmt %v of a JSON document decoded into interface{} ("map[a:1 b:[x y]]", keys sorted). Caller
 * frees. */
char *schema_go_sprint(json_t *v);

/* ---- OpenAPI (schema-openapi.c) ---- */

/* The OpenAPI v3 document of one group/version ("" and "v1" for core) as /openapi/v3/api/v1 and
 * /openapi/v3/apis/<group>/<version> serve it: for every kind served there (kinds.c), the resource's list
 * and item paths with their operations tagged x-kubernetes-group-version-kind and a fieldValidation query
 * parameter (what `kubectl apply/create` check before sending fieldValidation=Strict), and
 * components.schemas with the closure of their messages, named as Kubernetes names them
 * ("io.k8s.api.apps.v1.Deployment"), kinds tagged with x-kubernetes-group-version-kind (what `kubectl
 * explain` looks for). NULL if nothing is served in that group/version. New reference. */
json_t *schema_openapi_v3(const char *group, const char *version);

/* The OpenAPI v2 document /openapi/v2 serves to kubectl 1.27 and 1.28, encoded as gnostic's openapi.v2
 * Document protobuf (the only form they accept): every served kind's paths and the definitions of
 * schema_openapi_v3, all group-versions in one document (schema-openapi2.c says what differs from v3).
 * *ret (caller frees) and *ret_len are set on success; fails only if the v3 documents are malformed. */
int schema_openapi_v2_protobuf(uint8_t **ret, size_t *ret_len, Error *err);
/* The same from given v3 documents (n_docs of them, borrowed); for tests. */
int schema_openapi_v2_from_v3(json_t *const *docs, size_t n_docs, uint8_t **ret, size_t *ret_len, Error *err);
