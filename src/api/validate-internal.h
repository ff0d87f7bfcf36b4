/* Shared by the validation files (validate.c, validate-storage.c, validate-misc.c): the accumulator of
 * causes and the helpers that render Kubernetes' field.Error wording, plus the kind dispatchers of the
 * files beyond validate.c. Not for use outside src/api. */
#pragma once

#include <jansson.h>

#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/error.h"

typedef struct V {
  Error *err;
  int n;
} V;

static inline void add(V *v, const char *reason, const char *path, const char *msg) {
  error_add_cause(v->err, reason, path, "%s", msg);
  v->n++;
}

static inline void required(V *v, const char *path, const char *detail) {
  _cleanup_free_ char *m = detail ? xasprintf("Required value: %s", detail) : xstrdup("Required value");
  add(v, "FieldValueRequired", path, m);
}

static inline void invalid_str(V *v, const char *path, const char *value, const char *detail) {
  _cleanup_free_ char *m = xasprintf("Invalid value: \"%s\": %s", value, detail);
  add(v, "FieldValueInvalid", path, m);
}

static inline void invalid_int(V *v, const char *path, int64_t value, const char *detail) {
  _cleanup_free_ char *m = xasprintf("Invalid value: %lld: %s", (long long)value, detail);
  add(v, "FieldValueInvalid", path, m);
}

static inline void invalid_json(V *v, const char *path, json_t *value, const char *detail) {
  _cleanup_free_ char *j = json_compact(value ? value : json_null());
  _cleanup_free_ char *m = xasprintf("Invalid value: %s: %s", j, detail);
  add(v, "FieldValueInvalid", path, m);
}

static inline void unsupported(V *v, const char *path, const char *value, const char *const *allowed) {
  Buf b = BUF_INIT;
  buf_printf(&b, "Unsupported value: \"%s\": supported values: ", value);
  for (size_t i = 0; allowed[i]; i++)
    buf_printf(&b, "%s\"%s\"", i ? ", " : "", allowed[i]);
  add(v, "FieldValueNotSupported", path, b.data);
  buf_free(&b);
}

static inline void duplicate(V *v, const char *path, const char *value) {
  _cleanup_free_ char *m = xasprintf("Duplicate value: \"%s\"", value);
  add(v, "FieldValueDuplicate", path, m);
}

static inline void forbidden(V *v, const char *path, const char *detail) {
  _cleanup_free_ char *m = xasprintf("Forbidden: %s", detail);
  add(v, "FieldValueForbidden", path, m);
}

static inline void not_found(V *v, const char *path, const char *value) {
  _cleanup_free_ char *m = xasprintf("Not found: \"%s\"", value);
  add(v, "FieldValueNotFound", path, m);
}

static inline bool one_of(const char *s, const char *const *allowed) {
  for (size_t i = 0; allowed[i]; i++)
    if (streq(s, allowed[i]))
      return true;
  return false;
}

/* Checks an optional enum-valued string field. */
static inline void check_enum(V *v, json_t *o, const char *key, const char *path,
                              const char *const *allowed) {
  json_t *x = json_object_get(o, key);
  if (!x)
    return;
  _cleanup_free_ char *p = *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
  if (!json_is_string(x))
    unsupported(v, p, "", allowed);
  else if (!one_of(json_string_value(x), allowed))
    unsupported(v, p, json_string_value(x), allowed);
}

/* An update may not change the value at a dotted path: "<path>: Invalid value: <new>: field is immutable". */
static inline void immutable(V *v, json_t *obj, json_t *old, const char *path) {
  json_t *a = jpath(obj, path), *b = jpath(old, path);
  if (!json_equal(a ? a : json_null(), b ? b : json_null()))
    invalid_json(v, path, a, "field is immutable");
}

/* Grammars and messages of validate.c. */
extern const char VALIDATE_QUALIFIED_NAME_MSG[];
extern const char VALIDATE_LABEL_VALUE_MSG[];
extern const char VALIDATE_DNS_LABEL_MSG[];
void validate_labels(V *v, json_t *labels, const char *path);
/* IANA_SVC_NAME (a port name). */
bool validate_port_name(const char *s);
/* A ConfigMap or Secret key. */
bool validate_config_key(const char *k);

/* Kind dispatchers of the other validation files; each returns true when it handled group/kind. */
bool validate_storage_object(V *v, const char *group, const char *kind, json_t *obj);
bool validate_storage_update(V *v, const char *group, const char *kind, json_t *obj, json_t *old);
bool validate_misc_object(V *v, const char *group, const char *kind, json_t *obj);
bool validate_misc_update(V *v, const char *group, const char *kind, json_t *obj, json_t *old);
