/* Private declarations shared by the protobuf body decoder (protobuf.c) and its message tables
 * (protobuf-schema.c for ObjectMeta, the top-level kinds and the kind registry, protobuf-schema-pod.c for
 * the pod template closure). A table row describes one field of a Kubernetes generated.proto message: its
 * field number, the JSON name Kubernetes' Go types give it, how its payload turns into JSON, and whether the
 * Go field is a pointer. The pointer bit matters because Go's protobuf marshaller writes non-pointer
 * scalars even when they hold the zero value, while a pointer is written only when set: a zero that arrives
 * in a non-pointer field means "unset" and is dropped, one in a pointer field is kept. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "base/util.h"

typedef enum PbType {
  PB_STRING,
  PB_BYTES, /* base64 string in JSON */
  PB_BOOL,
  PB_INT32,
  PB_INT64,
  PB_DOUBLE,
  PB_MESSAGE,       /* nested message described by PbField.message: a JSON object */
  PB_MAP,           /* map<string, value>: repeated {1 key, 2 value} entries; value type in PbField.value */
  PB_TIME,          /* meta/v1 Time {1 seconds, 2 nanos}: RFC 3339 with seconds precision */
  PB_MICRO_TIME,    /* meta/v1 MicroTime: RFC 3339 with microseconds */
  PB_DURATION,      /* meta/v1 Duration {1 nanoseconds}: Go duration string ("1h2m3s") */
  PB_QUANTITY,      /* resource.Quantity {1 string} */
  PB_INT_OR_STRING, /* intstr.IntOrString {1 type, 2 intVal, 3 strVal}: JSON number or string */
  PB_RAW_EXTENSION, /* runtime.RawExtension and meta/v1 FieldsV1 {1 raw JSON bytes}: embedded JSON */
  _PB_TYPE_MAX,
  _PB_TYPE_INVALID = -EINVAL,
} PbType;

enum {
  PB_REPEATED = 1 << 0, /* JSON array; packed and unpacked scalar encodings are both accepted */
  PB_POINTER = 1 << 1,  /* Go pointer: presence is meaningful, zero values are kept */
  PB_INLINE = 1 << 2,   /* Go struct embedded with json:",inline": its fields land in the parent object */
};

typedef struct PbMessage PbMessage;

typedef struct PbField {
  uint32_t number;
  uint8_t type;  /* PbType */
  uint8_t value; /* PbType of the values of a PB_MAP */
  uint8_t flags; /* PB_REPEATED | PB_POINTER | PB_INLINE */
  const char *json;
  const PbMessage *message; /* PB_MESSAGE only */
} PbField;

struct PbMessage {
  const char *name; /* generated.proto message name, for diagnostics */
  const PbField *fields;
  size_t n_fields;
};

/* Table rows: a singular field, a Go pointer field, a repeated scalar, a map, a nested message (singular or
 * repeated) and an embedded (inline) struct. */
#define PB_FIELD(n, j, t)                                                                                    \
  { (n), PB_##t, 0, 0, (j), NULL }
#define PB_OPTIONAL(n, j, t)                                                                                 \
  { (n), PB_##t, 0, PB_POINTER, (j), NULL }
#define PB_LIST(n, j, t)                                                                                     \
  { (n), PB_##t, 0, PB_REPEATED, (j), NULL }
#define PB_MAP_OF(n, j, t)                                                                                   \
  { (n), PB_MAP, PB_##t, 0, (j), NULL }
#define PB_OBJECT(n, j, m)                                                                                   \
  { (n), PB_MESSAGE, 0, 0, (j), &(m) }
#define PB_OBJECT_LIST(n, j, m)                                                                              \
  { (n), PB_MESSAGE, 0, PB_REPEATED, (j), &(m) }
#define PB_EMBEDDED(n, m)                                                                                    \
  { (n), PB_MESSAGE, 0, PB_INLINE, NULL, &(m) }
#define PB_MESSAGE_DEF(name, fields)                                                                         \
  { (name), (fields), ELEMENTSOF(fields) }

/* Message descriptor for an apiVersion/kind pair from the envelope's typeMeta, or NULL when the layout is
 * not known. */
const PbMessage *k8s_protobuf_schema_find(const char *api_version, const char *kind);

/* Decodes one message laid out as m (no envelope) into obj, adding to what obj holds. For unit tests of
 * the wire rules with tables of their own. */
int k8s_protobuf_decode_message(const PbMessage *m, const void *data, size_t len, json_t *obj, Error *err);

/* Descriptors shared between the two schema files. */
extern const PbMessage k8s_protobuf_object_meta;                  /* protobuf-schema.c */
extern const PbMessage k8s_protobuf_label_selector;               /* protobuf-schema.c */
extern const PbMessage k8s_protobuf_pod_template_spec;            /* protobuf-schema-pod.c */
extern const PbMessage k8s_protobuf_local_object_reference;       /* protobuf-schema-pod.c */
extern const PbMessage k8s_protobuf_typed_local_object_reference; /* protobuf-schema-pod.c */
