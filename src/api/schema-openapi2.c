/* The OpenAPI v2 (Swagger 2.0) document kubectl 1.27 and 1.28 download from /openapi/v2 before
 * `kubectl apply/create -f` (client-side validation), before an apply patch (patch strategies and merge
 * keys) and for `kubectl explain`. They accept it only as protobuf, in the messages of gnostic's
 * OpenAPIv2.proto (the field numbers below are facts of that wire format), and parse it with kube-openapi's
 * proto models. The document is derived from the OpenAPI v3 documents of schema-openapi.c, so that both
 * versions always describe the same schema; what v2 needs differently is done while encoding:
 *  - references are plain "$ref": "#/definitions/..." (kube-openapi's v2 models ignore allOf), with the
 *    property's description and patch extensions beside them;
 *  - Quantity and IntOrString, oneOf in v3, are strings (format int-or-string for the latter), as
 *    kube-apiserver publishes them in v2; a string accepts any JSON scalar in kubectl's validation;
 *  - vendor extensions are NamedAny values whose Any carries the value as YAML text; JSON is YAML, so
 *    the value is written as compact JSON;
 *  - operations carry no parameters: kubectl 1.27/1.28 look for a fieldValidation query parameter on the
 *    PATCH operation of each kind and, not finding it, validate the objects themselves against the
 *    definitions, which gives users the familiar "error validating data: ValidationError(...)" message
 *    before anything is sent. */
#include <stdlib.h>

#include "api/kinds.h"
#include "api/schema-internal.h"
#include "config.h"

/* Field numbers of gnostic's openapi.v2 messages (only those written here). */
enum {
  PB_DOCUMENT_SWAGGER = 1,
  PB_DOCUMENT_INFO = 2,
  PB_DOCUMENT_PATHS = 8,
  PB_DOCUMENT_DEFINITIONS = 9,
  PB_INFO_TITLE = 1,
  PB_INFO_VERSION = 2,
  PB_PATHS_PATH = 2,
  PB_NAMED_NAME = 1, /* NamedPathItem, NamedSchema, NamedAny, NamedResponseValue */
  PB_NAMED_VALUE = 2,
  PB_PATH_ITEM_GET = 2,
  PB_PATH_ITEM_PUT = 3,
  PB_PATH_ITEM_POST = 4,
  PB_PATH_ITEM_DELETE = 5,
  PB_PATH_ITEM_PATCH = 8,
  PB_OPERATION_ID = 5,
  PB_OPERATION_RESPONSES = 9,
  PB_OPERATION_VENDOR_EXTENSION = 13,
  PB_RESPONSES_RESPONSE_CODE = 1,
  PB_RESPONSE_VALUE_RESPONSE = 1,
  PB_RESPONSE_DESCRIPTION = 1,
  PB_RESPONSE_SCHEMA = 2,
  PB_SCHEMA_ITEM_SCHEMA = 1,
  PB_DEFINITIONS_ADDITIONAL_PROPERTIES = 1,
  PB_PROPERTIES_ADDITIONAL_PROPERTIES = 1,
  PB_SCHEMA_REF = 1,
  PB_SCHEMA_FORMAT = 2,
  PB_SCHEMA_DESCRIPTION = 4,
  PB_SCHEMA_REQUIRED = 19,
  PB_SCHEMA_ENUM = 20,
  PB_SCHEMA_ADDITIONAL_PROPERTIES = 21,
  PB_SCHEMA_TYPE = 22,
  PB_SCHEMA_ITEMS = 23,
  PB_SCHEMA_PROPERTIES = 25,
  PB_SCHEMA_VENDOR_EXTENSION = 31,
  PB_ADDITIONAL_PROPERTIES_SCHEMA = 1,
  PB_ADDITIONAL_PROPERTIES_BOOLEAN = 2,
  PB_TYPE_ITEM_VALUE = 1,
  PB_ITEMS_ITEM_SCHEMA = 1,
  PB_ANY_YAML = 2,
};

#define V3_REF_PREFIX "#/components/schemas/"
#define V2_REF_PREFIX "#/definitions/"

/* ---- a minimal protobuf writer: varints and length-delimited fields, all this document needs ---- */

static void pb_varint(Buf *b, uint64_t v) {
  while (v >= 0x80) {
    buf_putc(b, (char)(v | 0x80));
    v >>= 7;
  }
  buf_putc(b, (char)v);
}

static void pb_bytes(Buf *b, uint32_t field, const void *p, size_t n) {
  pb_varint(b, (uint64_t)field << 3 | 2);
  pb_varint(b, n);
  buf_append(b, p, n);
}

static void pb_string(Buf *b, uint32_t field, const char *s) {
  pb_bytes(b, field, s, strlen(s));
}

static void pb_bool(Buf *b, uint32_t field, bool v) {
  pb_varint(b, (uint64_t)field << 3);
  pb_varint(b, v);
}

/* Appends child as a length-delimited field of b and empties it for reuse. Nested messages are built in
 * their own buffer first because the length prefix must precede them; the document is built once, so the
 * copies do not matter. */
static void pb_message(Buf *b, uint32_t field, Buf *child) {
  pb_bytes(b, field, child->data, child->len);
  buf_reset(child);
}

/* ---- v3 JSON to v2 messages ---- */

/* An Any holding v as YAML (compact JSON is valid YAML). */
static void any_yaml(Buf *b, uint32_t field, json_t *v) {
  _cleanup_free_ char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  _cleanup_buf_ Buf any = BUF_INIT;
  pb_string(&any, PB_ANY_YAML, text ? text : "null");
  pb_message(b, field, &any);
}

static void named_any(Buf *b, uint32_t field, const char *name, json_t *v) {
  _cleanup_buf_ Buf na = BUF_INIT;
  pb_string(&na, PB_NAMED_NAME, name);
  any_yaml(&na, PB_NAMED_VALUE, v);
  pb_message(b, field, &na);
}

static int encode_schema(Buf *b, json_t *s, unsigned depth, Error *err);

static int named_schema(Buf *b, uint32_t field, const char *name, json_t *s, unsigned depth, Error *err) {
  _cleanup_buf_ Buf ns = BUF_INIT, value = BUF_INIT;
  pb_string(&ns, PB_NAMED_NAME, name);
  int r = encode_schema(&value, s, depth + 1, err);
  if (r < 0)
    return error_wrap(err, "%s: ", name);
  pb_message(&ns, PB_NAMED_VALUE, &value);
  pb_message(b, field, &ns);
  return 0;
}

static int ref_v2(Buf *b, const char *ref, Error *err) {
  if (!startswith(ref, V3_REF_PREFIX))
    return error_set(err, -EINVAL, NULL, "unexpected reference %s", ref);
  _cleanup_free_ char *v2 = xasprintf(V2_REF_PREFIX "%s", ref + strlen(V3_REF_PREFIX));
  pb_string(b, PB_SCHEMA_REF, v2);
  return 0;
}

/* One JSON schema of the v3 document as a v2 Schema message. Keys v2 has no room for (oneOf, a
 * description-less allOf beyond one reference) are folded as described atop the file. */
static int encode_schema(Buf *b, json_t *s, unsigned depth, Error *err) {
  /* The schema tables are finite and references break cycles, so this only guards against a mistake. */
  if (depth > 32 || !json_is_object(s))
    return error_set(err, -EINVAL, NULL, "malformed schema");
  _cleanup_buf_ Buf child = BUF_INIT;
  json_t *v;
  int r;

  const char *ref = json_string_value(json_object_get(s, "$ref"));
  json_t *all_of = json_object_get(s, "allOf");
  if (!ref && json_array_size(all_of) == 1)
    ref = json_string_value(json_object_get(json_array_get(all_of, 0), "$ref"));
  if (ref && (r = ref_v2(b, ref, err)) < 0)
    return r;
  if ((v = json_object_get(s, "format")) && json_is_string(v))
    pb_string(b, PB_SCHEMA_FORMAT, json_string_value(v));
  if ((v = json_object_get(s, "description")) && json_is_string(v))
    pb_string(b, PB_SCHEMA_DESCRIPTION, json_string_value(v));
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(s, "required"), i, e) if (json_is_string(e))
      pb_string(b, PB_SCHEMA_REQUIRED, json_string_value(e));
  json_array_foreach(json_object_get(s, "enum"), i, e) any_yaml(b, PB_SCHEMA_ENUM, e);
  if ((v = json_object_get(s, "additionalProperties"))) {
    _cleanup_buf_ Buf ap = BUF_INIT;
    if (json_is_boolean(v))
      pb_bool(&ap, PB_ADDITIONAL_PROPERTIES_BOOLEAN, json_is_true(v));
    else {
      if ((r = encode_schema(&child, v, depth + 1, err)) < 0)
        return r;
      pb_message(&ap, PB_ADDITIONAL_PROPERTIES_SCHEMA, &child);
    }
    pb_message(b, PB_SCHEMA_ADDITIONAL_PROPERTIES, &ap);
  }
  const char *type = json_string_value(json_object_get(s, "type"));
  if (!type && !ref && json_object_get(s, "oneOf"))
    type = "string";
  if (type) {
    pb_string(&child, PB_TYPE_ITEM_VALUE, type);
    pb_message(b, PB_SCHEMA_TYPE, &child);
  }
  if ((v = json_object_get(s, "items"))) {
    _cleanup_buf_ Buf items = BUF_INIT;
    if ((r = encode_schema(&child, v, depth + 1, err)) < 0)
      return r;
    pb_message(&items, PB_ITEMS_ITEM_SCHEMA, &child);
    pb_message(b, PB_SCHEMA_ITEMS, &items);
  }
  if ((v = json_object_get(s, "properties"))) {
    /* Written even when empty: kube-openapi tells a struct (properties present) from a map. */
    const char *name;
    json_t *p;
    json_object_foreach(v, name, p) if ((r = named_schema(&child, PB_PROPERTIES_ADDITIONAL_PROPERTIES, name,
                                                          p, depth, err)) < 0) return r;
    pb_message(b, PB_SCHEMA_PROPERTIES, &child);
  }
  const char *key;
  json_object_foreach(s, key, v) if (startswith(key, "x-")) named_any(b, PB_SCHEMA_VENDOR_EXTENSION, key, v);
  return 0;
}

static int encode_operation(Buf *b, json_t *op, Error *err) {
  json_t *v;
  int r;
  if ((v = json_object_get(op, "operationId")) && json_is_string(v))
    pb_string(b, PB_OPERATION_ID, json_string_value(v));
  json_t *ok = json_object_get(json_object_get(op, "responses"), "200");
  if (ok) {
    _cleanup_buf_ Buf resp = BUF_INIT, value = BUF_INIT, named = BUF_INIT, responses = BUF_INIT;
    const char *desc = json_string_value(json_object_get(ok, "description"));
    pb_string(&resp, PB_RESPONSE_DESCRIPTION, desc ? desc : "OK");
    const char *ref = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(ok, "content"), "application/json"), "schema"),
        "$ref"));
    if (ref) {
      _cleanup_buf_ Buf schema = BUF_INIT, item = BUF_INIT;
      if ((r = ref_v2(&schema, ref, err)) < 0)
        return r;
      pb_message(&item, PB_SCHEMA_ITEM_SCHEMA, &schema);
      pb_message(&resp, PB_RESPONSE_SCHEMA, &item);
    }
    pb_message(&value, PB_RESPONSE_VALUE_RESPONSE, &resp);
    pb_string(&named, PB_NAMED_NAME, "200");
    pb_message(&named, PB_NAMED_VALUE, &value);
    pb_message(&responses, PB_RESPONSES_RESPONSE_CODE, &named);
    pb_message(b, PB_OPERATION_RESPONSES, &responses);
  }
  const char *key;
  json_object_foreach(op, key, v) if (startswith(key, "x-"))
      named_any(b, PB_OPERATION_VENDOR_EXTENSION, key, v);
  return 0;
}

static int encode_path_item(Buf *b, json_t *item, Error *err) {
  static const struct {
    const char *method;
    uint32_t field;
  } methods[] = {
      {"get", PB_PATH_ITEM_GET},       {"put", PB_PATH_ITEM_PUT},     {"post", PB_PATH_ITEM_POST},
      {"delete", PB_PATH_ITEM_DELETE}, {"patch", PB_PATH_ITEM_PATCH},
  };
  for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
    json_t *op = json_object_get(item, methods[i].method);
    if (!op)
      continue;
    _cleanup_buf_ Buf o = BUF_INIT;
    int r = encode_operation(&o, op, err);
    if (r < 0)
      return r;
    pb_message(b, methods[i].field, &o);
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted, so that the document does not depend on the order of the tables. */
static const char **sorted_keys(json_t *obj, size_t *ret_n) {
  size_t n = json_object_size(obj), i = 0;
  const char **keys = xmalloc((n ? n : 1) * sizeof *keys);
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v) keys[i++] = k;
  qsort(keys, n, sizeof *keys, cmp_str);
  *ret_n = n;
  return keys;
}

int schema_openapi_v2_from_v3(json_t *const *docs, size_t n_docs, uint8_t **ret, size_t *ret_len,
                              Error *err) {
  /* All group-versions share one v2 document: merge their paths and components (a component reached from
   * several group-versions, ObjectMeta for one, is the same everywhere). */
  _cleanup_(json_decrefp) json_t *paths = json_object(), *schemas = json_object();
  for (size_t i = 0; i < n_docs; i++) {
    json_object_update_missing(paths, json_object_get(docs[i], "paths"));
    json_object_update_missing(schemas, json_object_get(json_object_get(docs[i], "components"), "schemas"));
  }

  _cleanup_buf_ Buf doc = BUF_INIT, child = BUF_INIT, list = BUF_INIT;
  int r;
  pb_string(&doc, PB_DOCUMENT_SWAGGER, "2.0");
  pb_string(&child, PB_INFO_TITLE, "Kubernetes");
  pb_string(&child, PB_INFO_VERSION, CORACLE_K8S_VERSION);
  pb_message(&doc, PB_DOCUMENT_INFO, &child);

  size_t n;
  _cleanup_free_ const char **path_keys = sorted_keys(paths, &n);
  for (size_t i = 0; i < n; i++) {
    _cleanup_buf_ Buf named = BUF_INIT;
    if ((r = encode_path_item(&child, json_object_get(paths, path_keys[i]), err)) < 0)
      return error_wrap(err, "path %s: ", path_keys[i]);
    pb_string(&named, PB_NAMED_NAME, path_keys[i]);
    pb_message(&named, PB_NAMED_VALUE, &child);
    pb_message(&list, PB_PATHS_PATH, &named);
  }
  pb_message(&doc, PB_DOCUMENT_PATHS, &list);

  _cleanup_free_ const char **schema_keys = sorted_keys(schemas, &n);
  for (size_t i = 0; i < n; i++)
    if ((r = named_schema(&list, PB_DEFINITIONS_ADDITIONAL_PROPERTIES, schema_keys[i],
                          json_object_get(schemas, schema_keys[i]), 0, err)) < 0)
      return r;
  pb_message(&doc, PB_DOCUMENT_DEFINITIONS, &list);

  *ret_len = doc.len;
  *ret = (uint8_t *)buf_steal(&doc, NULL);
  return 0;
}

int schema_openapi_v2_protobuf(uint8_t **ret, size_t *ret_len, Error *err) {
  size_t cap = 0, n = 0;
  for (size_t i = 0; i < api_groups_count; i++)
    cap += ELEMENTSOF(api_groups[i].versions);
  _cleanup_free_ json_t **docs = xmalloc((cap ? cap : 1) * sizeof *docs);
  for (size_t i = 0; i < api_groups_count; i++)
    for (size_t v = 0; v < ELEMENTSOF(api_groups[i].versions) && api_groups[i].versions[v]; v++) {
      json_t *d = schema_openapi_v3(api_groups[i].name, api_groups[i].versions[v]);
      if (d)
        docs[n++] = d;
    }
  int r = schema_openapi_v2_from_v3(docs, n, ret, ret_len, err);
  for (size_t i = 0; i < n; i++)
    json_decref(docs[i]);
  return r;
}
