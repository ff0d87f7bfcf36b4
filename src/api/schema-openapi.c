/* OpenAPI v3 documents derived from the schema, one per group/version, in the shape kube-apiserver serves
 * under /openapi/v3 and kubectl reads:
 *  - `kubectl apply/create/replace` look, for each object's kind, for a path whose operation carries
 *    x-kubernetes-group-version-kind and a fieldValidation query parameter; found, they leave validation
 *    to the server and send fieldValidation=Strict;
 *  - `kubectl explain` finds the resource's path to learn its kind, then the component schema tagged with
 *    that x-kubernetes-group-version-kind, and walks properties, allOf/$ref, items and
 *    additionalProperties. Its type column comes from "type", or from the name of a referenced component
 *    that has no primitive type: that is why Quantity and IntOrString are described with oneOf and no
 *    "type" (explain prints <Quantity>, <IntOrString>) while Time is a string (<string>).
 * Components are named after the Go package of each type ("io.k8s.api.core.v1.PodSpec"), as Kubernetes
 * names them, and each document carries the closure of the types its kinds use. Descriptions are ours and
 * short: one per kind and one per common top-level field. */
#include <ctype.h>

#include "api/kinds.h"
#include "api/schema-internal.h"
#include "config.h"

#define REF_PREFIX "#/components/schemas/"
#define META_PKG SCHEMA_PKG_META_V1

/* The components of the types that are not structs. */
static json_t *special_schema(const char *name) {
  if (streq(name, META_PKG ".Time") || streq(name, META_PKG ".MicroTime"))
    return json_pack(
        "{s:s,s:s,s:s}", "type", "string", "format", "date-time", "description",
        streq(name, META_PKG ".Time")
            ? "A point in time, in RFC 3339 form with seconds precision (2024-01-31T12:00:00Z)."
            : "A point in time, in RFC 3339 form with microseconds (2024-01-31T12:00:00.000000Z).");
  if (streq(name, META_PKG ".Duration"))
    return json_pack("{s:s,s:s}", "type", "string", "description", "A Go duration such as 1h30m or 250ms.");
  if (streq(name, "io.k8s.apimachinery.pkg.api.resource.Quantity"))
    return json_pack("{s:[{s:s},{s:s}],s:s}", "oneOf", "type", "string", "type", "number", "description",
                     "An amount with an optional suffix: 100m (a tenth of a CPU), 512Mi, 1Gi, 2, 0.5.");
  if (streq(name, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"))
    return json_pack("{s:[{s:s},{s:s}],s:s,s:s}", "oneOf", "type", "integer", "type", "string", "format",
                     "int-or-string", "description",
                     "An integer or a string, such as a port number or name.");
  if (streq(name, META_PKG ".FieldsV1"))
    return json_pack("{s:s,s:s}", "type", "object", "description",
                     "A set of fields, in the fieldsV1 format.");
  return json_pack("{s:s,s:s}", "type", "object", "description", "An embedded object, as JSON.");
}

static const char *special_name(const SchemaField *f, SchemaType t) {
  switch (t) {
  case SCHEMA_TIME:
    return META_PKG ".Time";
  case SCHEMA_MICRO_TIME:
    return META_PKG ".MicroTime";
  case SCHEMA_DURATION:
    return META_PKG ".Duration";
  case SCHEMA_QUANTITY:
    return "io.k8s.apimachinery.pkg.api.resource.Quantity";
  case SCHEMA_INT_OR_STRING:
    return "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
  case SCHEMA_RAW_EXTENSION:
    /* One type in the tables covers both; managedFields' fieldsV1 is the only FieldsV1. */
    return f && f->json && streq(f->json, "fieldsV1") ? META_PKG ".FieldsV1"
                                                      : "io.k8s.apimachinery.pkg.runtime.RawExtension";
  default:
    return NULL;
  }
}

static json_t *ref(const char *name) {
  _cleanup_free_ char *r = xasprintf(REF_PREFIX "%s", name);
  /* Wrapped in allOf, as Kubernetes does, so that a description can sit beside the reference. */
  return json_pack("{s:[{s:s}]}", "allOf", "$ref", r);
}

static void add_message(json_t *schemas, const SchemaMessage *m, const SchemaKind *kind);

static json_t *value_schema(json_t *schemas, const SchemaField *f, SchemaType t) {
  const char *special = special_name(f, t);
  if (special) {
    if (!json_object_get(schemas, special))
      json_object_set_new(schemas, special, special_schema(special));
    return ref(special);
  }
  switch (t) {
  case SCHEMA_STRING: {
    json_t *s = json_pack("{s:s}", "type", "string");
    if (f->named && f->named->n_values > 0) {
      json_t *e = json_array();
      for (size_t i = 0; i < f->named->n_values; i++)
        json_array_append_new(e, json_string(f->named->values[i]));
      json_object_set_new(s, "enum", e);
    }
    return s;
  }
  case SCHEMA_BYTES:
    return json_pack("{s:s,s:s}", "type", "string", "format", "byte");
  case SCHEMA_BOOL:
    return json_pack("{s:s}", "type", "boolean");
  case SCHEMA_INT32:
    return json_pack("{s:s,s:s}", "type", "integer", "format", "int32");
  case SCHEMA_INT64:
    return json_pack("{s:s,s:s}", "type", "integer", "format", "int64");
  case SCHEMA_DOUBLE:
    return json_pack("{s:s,s:s}", "type", "number", "format", "double");
  case SCHEMA_MESSAGE: {
    add_message(schemas, f->message, NULL);
    _cleanup_free_ char *name = schema_openapi_name(f->message);
    return ref(name);
  }
  default:
    return json_pack("{s:s}", "type", "object");
  }
}

static const char *patch_strategy(uint8_t patch) {
  if ((patch & SCHEMA_PATCH_MERGE) && (patch & SCHEMA_PATCH_RETAIN_KEYS))
    return "merge,retainKeys";
  if (patch & SCHEMA_PATCH_MERGE)
    return "merge";
  if (patch & SCHEMA_PATCH_RETAIN_KEYS)
    return "retainKeys";
  if (patch & SCHEMA_PATCH_REPLACE)
    return "replace";
  return NULL;
}

/* Our words for the fields every kind has. */
static const char *top_level_description(const char *field) {
  static const struct {
    const char *field, *text;
  } table[] = {
      {"apiVersion", "The group and version of the schema of this object, such as apps/v1 or v1."},
      {"kind", "The kind of this object, such as Deployment; it names the schema together with apiVersion."},
      {"metadata",
       "Standard object metadata: name, namespace, labels, annotations, and the fields the system "
       "maintains (uid, resourceVersion, creationTimestamp...)."},
      {"spec", "The desired state of the object, as written by its users."},
      {"status", "The most recently observed state of the object, written by the system. Read-only for "
                 "users."},
      {"data", "The content of the object, as keys and values."},
  };
  for (size_t i = 0; i < ELEMENTSOF(table); i++)
    if (streq(table[i].field, field))
      return table[i].text;
  return NULL;
}

static json_t *field_schema(json_t *schemas, const SchemaField *f, bool top_level) {
  json_t *s;

  if (f->flags & SCHEMA_REPEATED)
    s = json_pack("{s:s,s:o}", "type", "array", "items", value_schema(schemas, f, (SchemaType)f->type));
  else if (f->type == SCHEMA_MAP)
    s = json_pack("{s:s,s:o}", "type", "object", "additionalProperties",
                  value_schema(schemas, f, (SchemaType)f->value));
  else
    s = value_schema(schemas, f, (SchemaType)f->type);

  const char *desc = top_level ? top_level_description(f->json) : NULL;
  if (desc)
    json_object_set_new(s, "description", json_string(desc));
  const char *strategy = patch_strategy(f->patch);
  if (strategy)
    json_object_set_new(s, "x-kubernetes-patch-strategy", json_string(strategy));
  if (f->merge_key)
    json_object_set_new(s, "x-kubernetes-patch-merge-key", json_string(f->merge_key));
  if (f->merge_key && f->type == SCHEMA_MESSAGE && f->message && (f->flags & SCHEMA_REPEATED)) {
    /* Server-side apply's list keys (apply-merge.c): ports are keyed by number and protocol. */
    bool port = streq(f->message->name, "ContainerPort") || streq(f->message->name, "ServicePort");
    json_object_set_new(s, "x-kubernetes-list-type", json_string("map"));
    json_object_set_new(s, "x-kubernetes-list-map-keys",
                        port ? json_pack("[s,s]", f->merge_key, "protocol") : json_pack("[s]", f->merge_key));
  }
  return s;
}

/* The fields of m, with those of inline structs lifted into it as Go's JSON encoding does. */
static void add_properties(json_t *schemas, const SchemaMessage *m, json_t *props, json_t *required,
                           bool top_level) {
  for (size_t i = 0; i < m->n_fields; i++) {
    const SchemaField *f = &m->fields[i];
    if (f->flags & SCHEMA_INLINE) {
      add_properties(schemas, f->message, props, required, top_level);
      continue;
    }
    json_object_set_new(props, f->json, field_schema(schemas, f, top_level));
    if (f->required)
      json_array_append_new(required, json_string(f->json));
  }
}

static void add_message(json_t *schemas, const SchemaMessage *m, const SchemaKind *kind) {
  _cleanup_free_ char *name = schema_openapi_name(m);
  if (json_object_get(schemas, name))
    return;
  /* Published before its properties are filled in, so that a type reached again is not redone. */
  json_t *s = json_pack("{s:s}", "type", "object");
  json_object_set_new(schemas, name, s);

  const char *desc = kind ? kind->description : m->description;
  if (desc)
    json_object_set_new(s, "description", json_string(desc));
  json_t *props = json_object(), *required = json_array();
  add_properties(schemas, m, props, required, kind != NULL);
  json_object_set_new(s, "properties", props);
  if (json_array_size(required) > 0)
    json_object_set_new(s, "required", required);
  else
    json_decref(required);
  if (kind)
    json_object_set_new(
        s, "x-kubernetes-group-version-kind",
        json_pack("[{s:s,s:s,s:s}]", "group", kind->group, "version", kind->version, "kind", kind->kind));
}

/* "AppsV1", "CoreV1", "RbacAuthorizationV1": how operation ids spell a group/version. */
static char *operation_gv(const char *group, const char *version) {
  _cleanup_buf_ Buf b = BUF_INIT;
  const char *g = group[0] ? group : "core";
  size_t n = endswith(g, ".k8s.io") ? strlen(g) - strlen(".k8s.io") : strlen(g);
  bool up = true;
  for (size_t i = 0; i < n; i++) {
    if (g[i] == '.') {
      up = true;
      continue;
    }
    buf_putc(&b, up ? (char)toupper((unsigned char)g[i]) : g[i]);
    up = false;
  }
  buf_putc(&b, (char)toupper((unsigned char)version[0]));
  buf_puts(&b, version + 1);
  return buf_steal(&b, NULL);
}

static json_t *query_param(const char *name, const char *type, const char *desc) {
  return json_pack("{s:s,s:s,s:s,s:{s:s,s:b}}", "name", name, "in", "query", "description", desc, "schema",
                   "type", type, "uniqueItems", 1);
}

static json_t *write_params(bool patch) {
  json_t *p = json_array();
  json_array_append_new(p, query_param("dryRun", "string", "When present (All), nothing is persisted."));
  json_array_append_new(p, query_param("fieldManager", "string", "The name of the actor making the change."));
  json_array_append_new(
      p, query_param("fieldValidation", "string",
                     "What to do with unknown fields in the object: Ignore, Warn (the default) or Strict."));
  if (patch)
    json_array_append_new(p, query_param("force", "boolean", "Force an apply patch over conflicts."));
  return p;
}

/* No requestBody: kubectl >= 1.27 computes an apply's strategic merge patch from OpenAPI v3 only when the
 * PATCH operation lists application/strategic-merge-patch+json among its request content types; without
 * it, kubectl keeps to its compiled-in knowledge of the built-in types, the behaviour verified against
 * our patch implementation. */
static json_t *operation(const ApiResource *r, const char *verb, const char *action, bool namespaced,
                         const char *component) {
  _cleanup_free_ char *gv = operation_gv(r->group, r->version);
  _cleanup_free_ char *id = xasprintf("%s%s%s%s", verb, gv, namespaced ? "Namespaced" : "", r->kind);
  _cleanup_free_ char *schema_ref = xasprintf(REF_PREFIX "%s", component);
  json_t *op = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:{s:s,s:{s:{s:{s:s}}}}}}", "operationId", id,
                         "x-kubernetes-action", action, "x-kubernetes-group-version-kind", "group", r->group,
                         "version", r->version, "kind", r->kind, "responses", "200", "description", "OK",
                         "content", "application/json", "schema", "$ref", schema_ref);
  if (streq(action, "post") || streq(action, "put") || streq(action, "patch"))
    json_object_set_new(op, "parameters", write_params(streq(action, "patch")));
  return op;
}

static void add_paths(json_t *paths, const ApiResource *r, const char *component) {
  const char *root = r->group[0] ? "apis" : "api";
  char gv[128];
  api_resource_group_version(r, gv, sizeof gv);
  _cleanup_free_ char *list = r->namespaced
                                  ? xasprintf("/%s/%s/namespaces/{namespace}/%s", root, gv, r->resource)
                                  : xasprintf("/%s/%s/%s", root, gv, r->resource);
  _cleanup_free_ char *item = xasprintf("%s/{name}", list);
  json_t *list_ops = json_object(), *item_ops = json_object();

  if (api_resource_has_verb(r, "list"))
    json_object_set_new(list_ops, "get", operation(r, "list", "list", r->namespaced, component));
  if (api_resource_has_verb(r, "create"))
    json_object_set_new(list_ops, "post", operation(r, "create", "post", r->namespaced, component));
  if (api_resource_has_verb(r, "get"))
    json_object_set_new(item_ops, "get", operation(r, "read", "get", r->namespaced, component));
  if (api_resource_has_verb(r, "update"))
    json_object_set_new(item_ops, "put", operation(r, "replace", "put", r->namespaced, component));
  if (api_resource_has_verb(r, "patch"))
    json_object_set_new(item_ops, "patch", operation(r, "patch", "patch", r->namespaced, component));
  if (api_resource_has_verb(r, "delete"))
    json_object_set_new(item_ops, "delete", operation(r, "delete", "delete", r->namespaced, component));

  json_t *ns = json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", "namespace", "in", "path", "required", 1, "schema",
                         "type", "string");
  json_t *name = json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", "name", "in", "path", "required", 1, "schema",
                           "type", "string");
  if (json_object_size(list_ops) > 0) {
    if (r->namespaced)
      json_object_set_new(list_ops, "parameters", json_pack("[O]", ns));
    json_object_set_new(paths, list, list_ops);
  } else
    json_decref(list_ops);
  if (json_object_size(item_ops) > 0) {
    json_object_set_new(item_ops, "parameters",
                        r->namespaced ? json_pack("[O,O]", name, ns) : json_pack("[O]", name));
    json_object_set_new(paths, item, item_ops);
  } else
    json_decref(item_ops);
  json_decref(ns);
  json_decref(name);
}

json_t *schema_openapi_v3(const char *group, const char *version) {
  json_t *paths = json_object(), *schemas = json_object();
  bool found = false;

  for (size_t i = 0; i < api_resources_count; i++) {
    const ApiResource *r = &api_resources[i];
    if (!streq(r->group, group) || !streq(r->version, version))
      continue;
    const SchemaKind *k = schema_kind_find(group, version, r->kind);
    if (!k)
      continue;
    found = true;
    add_message(schemas, k->message, k);
    _cleanup_free_ char *component = schema_openapi_name(k->message);
    add_paths(paths, r, component);
  }
  if (!found) {
    json_decref(paths);
    json_decref(schemas);
    return NULL;
  }
  return json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o}}", "openapi", "3.0.0", "info", "title", "Kubernetes",
                   "version", CORACLE_K8S_VERSION, "paths", paths, "components", "schemas", schemas);
}
