/* Strict decoding of request bodies against the schema (schema_check), reproducing what kube-apiserver's
 * JSON decoding of built-in types reports and keeps:
 *  - Go's encoding/json (as forked in sigs.k8s.io/json) records the first type mismatch, keeps decoding,
 *    and reports it at the end: 'json: cannot unmarshal <string|number|number 3.5|bool|object|array> into
 *    Go struct field <Struct>.<field.path> of type <Go type>', where Struct is the innermost struct being
 *    decoded and the path lists struct field names only (no indices, no map keys);
 *  - a value handled by an UnmarshalJSON method (Quantity, Time, MicroTime, Duration, IntOrString) stops
 *    decoding at once with that method's error, which wins over an earlier recorded mismatch;
 *  - base64 errors of []byte fields are recorded like mismatches, without context;
 *  - unknown fields are collected as paths ("spec.template.spec.containers[0].imagePullPolcy": dots before
 *    field names and map keys, brackets for indices) and reported, only when nothing else failed, as
 *    'strict decoding error: unknown field "a", unknown field "b"' (at most 100);
 *  - the API server prefixes the message with '<Kind> in version "<version>" cannot be handled as a
 *    <Kind>: ' and answers 400 BadRequest.
 * Decoding into Go structs also drops what the struct cannot hold, and encoding writes some values in
 * their canonical form (quantities); the same normalisation is applied to the JSON tree so that what is
 * stored is what Kubernetes would store. */
#include "api/quantity.h"
#include "api/schema-internal.h"
#include "base/strv.h"

#define CHECK_MAX_UNKNOWN 100 /* sigs.k8s.io/json stops collecting strict errors there */
#define CHECK_MAX_FIELDS 64

typedef struct Check {
  char *saved;    /* the first recorded error */
  char *fatal;    /* an error that ended decoding */
  char **unknown; /* strict errors: paths of unknown fields */
  size_t n_unknown;
  Buf path;                             /* strict path of the value being checked */
  const char *fields[CHECK_MAX_FIELDS]; /* Go's error context: struct field names from the root */
  size_t n_fields;
  const SchemaMessage *strukt; /* Go's error context: the struct whose field is being decoded */
} Check;

static void check_done(Check *c) {
  free(c->saved);
  free(c->fatal);
  strv_free(c->unknown);
  buf_free(&c->path);
}

static const char *json_what(json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING:
    return "string";
  case JSON_INTEGER:
  case JSON_REAL:
    return "number";
  case JSON_TRUE:
  case JSON_FALSE:
    return "bool";
  case JSON_OBJECT:
    return "object";
  case JSON_ARRAY:
    return "array";
  default:
    return "null";
  }
}

/* "number 3000000000", "number 2.5": what Go says of a number that does not fit an integer field. Go
 * quotes the body's text; jansson keeps none, so the number is written as Go's JSON encoder writes it,
 * which is the text kubectl sends for a number from a YAML manifest. */
static char *number_what(json_t *v) {
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_puts(&b, "number ");
  if (json_is_integer(v))
    buf_printf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else
    schema_go_format_float(&b, json_real_value(v));
  return buf_steal(&b, NULL);
}

static char *type_error(Check *c, const char *what, const char *go_type) {
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_printf(&b, "json: cannot unmarshal %s into Go ", what);
  if (c->strukt || c->n_fields > 0) {
    buf_printf(&b, "struct field %s.", c->strukt ? c->strukt->name : "");
    for (size_t i = 0; i < MIN(c->n_fields, (size_t)CHECK_MAX_FIELDS); i++) {
      if (i > 0)
        buf_putc(&b, '.');
      buf_puts(&b, c->fields[i]);
    }
  } else
    buf_puts(&b, "value");
  buf_printf(&b, " of type %s", go_type);
  return buf_steal(&b, NULL);
}

static void save(Check *c, char *msg) {
  if (!c->saved)
    c->saved = msg;
  else
    free(msg);
}

static void fail(Check *c, char *msg) {
  if (!c->fatal)
    c->fatal = msg;
  else
    free(msg);
}

static size_t path_push_key(Check *c, const char *key) {
  size_t old = c->path.len;
  if (old > 0)
    buf_putc(&c->path, '.');
  buf_puts(&c->path, key);
  return old;
}

static size_t path_push_index(Check *c, size_t i) {
  size_t old = c->path.len;
  buf_printf(&c->path, "[%zu]", i);
  return old;
}

static void path_pop(Check *c, size_t len) {
  c->path.len = len;
  if (c->path.data)
    c->path.data[len] = 0;
}

static bool int_fits(SchemaType type, json_int_t x) {
  return type != SCHEMA_INT32 && type != SCHEMA_INT_OR_STRING ? true : x >= INT32_MIN && x <= INT32_MAX;
}

/* An integer field's number: a JSON integer in range, or a float with an integral value in range, which
 * becomes an integer (YAML's 3.0 and 1e3 reach Kubernetes as 3 and 1000). Returns false if it does not
 * fit; *ret_repl gets the integer that replaces a float. */
static bool check_integer(SchemaType type, json_t *v, json_t **ret_repl) {
  if (json_is_integer(v))
    return int_fits(type, json_integer_value(v));
  double x = json_real_value(v);
  /* The range test comes first: converting a double outside int64 is undefined. */
  if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0) || (double)(json_int_t)x != x ||
      !int_fits(type, (json_int_t)x))
    return false;
  *ret_repl = json_integer((json_int_t)x);
  return true;
}

/* Checks one scalar value (an element of a list, a value of a map) of the given type; go_type names the
 * Go type of that value for mismatch messages. Returns a replacement (new reference) when the value has
 * to change, NULL otherwise. */
static json_t *check_scalar(Check *c, SchemaType type, const char *go_type, json_t *v) {
  json_t *repl = NULL;

  switch (type) {
  case SCHEMA_STRING:
    if (!json_is_string(v))
      save(c, type_error(c, json_what(v), go_type));
    break;
  case SCHEMA_BYTES:
    if (!json_is_string(v))
      save(c, type_error(c, json_what(v), go_type));
    else {
      long off = schema_base64_error_offset(json_string_value(v), json_string_length(v));
      if (off >= 0)
        save(c, xasprintf("illegal base64 data at input byte %ld", off));
    }
    break;
  case SCHEMA_BOOL:
    if (!json_is_boolean(v))
      save(c, type_error(c, json_what(v), go_type));
    break;
  case SCHEMA_INT32:
  case SCHEMA_INT64:
    if (!json_is_number(v))
      save(c, type_error(c, json_what(v), go_type));
    else if (!check_integer(type, v, &repl)) {
      _cleanup_free_ char *what = number_what(v);
      save(c, type_error(c, what, go_type));
    }
    break;
  case SCHEMA_DOUBLE:
    if (!json_is_number(v))
      save(c, type_error(c, json_what(v), go_type));
    break;
  case SCHEMA_TIME:
  case SCHEMA_MICRO_TIME:
  case SCHEMA_DURATION: {
    /* Their UnmarshalJSON decodes a Go string first, then parses it. */
    if (!json_is_string(v)) {
      fail(c, type_error(c, json_what(v), "string"));
      break;
    }
    char *e = type == SCHEMA_DURATION ? schema_duration_error(json_string_value(v))
                                      : schema_time_error(json_string_value(v), type == SCHEMA_MICRO_TIME);
    if (e)
      fail(c, e);
    break;
  }
  case SCHEMA_QUANTITY: {
    /* Quantity.UnmarshalJSON reads strings and numbers and fails with ParseQuantity's error; what is
     * stored is the quantity as Kubernetes writes it back ("0.5" -> "500m"). */
    _cleanup_error_ Error qerr = ERROR_INIT;
    Quantity q;
    if (quantity_from_json(v, &q, &qerr) < 0) {
      fail(c, xstrdup(qerr.message ? qerr.message : "invalid quantity"));
      break;
    }
    _cleanup_free_ char *canonical = quantity_canonical(&q);
    if (!json_is_string(v) || !streq(json_string_value(v), canonical))
      repl = json_string(canonical);
    break;
  }
  case SCHEMA_INT_OR_STRING:
    if (json_is_string(v))
      break;
    if (!json_is_number(v))
      fail(c, type_error(c, json_what(v), "int32"));
    else if (!check_integer(type, v, &repl)) {
      _cleanup_free_ char *what = number_what(v);
      fail(c, type_error(c, what, "int32"));
    }
    break;
  default: /* RawExtension, FieldsV1: any JSON */
    break;
  }
  return repl;
}

/* What Go leaves in a list element or a map value that was null: the zero value of its type. NULL keeps
 * the null (a zero Time is written as null anyway). */
static json_t *zero_value(SchemaType type) {
  switch (type) {
  case SCHEMA_STRING:
  case SCHEMA_BYTES:
    return json_string("");
  case SCHEMA_BOOL:
    return json_false();
  case SCHEMA_INT32:
  case SCHEMA_INT64:
  case SCHEMA_INT_OR_STRING:
    return json_integer(0);
  case SCHEMA_DOUBLE:
    return json_real(0);
  case SCHEMA_QUANTITY:
    return json_string("0");
  case SCHEMA_MESSAGE:
    return json_object();
  default:
    return NULL;
  }
}

static const char *map_value_go_type(SchemaType t) {
  switch (t) {
  case SCHEMA_BYTES:
    return "[]uint8";
  case SCHEMA_BOOL:
    return "bool";
  case SCHEMA_INT32:
    return "int32";
  case SCHEMA_INT64:
    return "int64";
  case SCHEMA_DOUBLE:
    return "float64";
  default:
    return "string";
  }
}

static void check_message(Check *c, const SchemaMessage *m, json_t *obj);

static void check_list(Check *c, const SchemaField *f, json_t *arr) {
  char whole[256], elem[256];

  schema_field_go_type(f, false, whole, sizeof whole);
  if (!json_is_array(arr)) {
    save(c, type_error(c, json_what(arr), whole));
    return;
  }
  schema_field_go_type(f, true, elem, sizeof elem);
  for (size_t i = 0; i < json_array_size(arr) && !c->fatal; i++) {
    json_t *e = json_array_get(arr, i), *repl = NULL;
    size_t mark = path_push_index(c, i);
    if (json_is_null(e))
      repl = zero_value((SchemaType)f->type);
    else if (f->type == SCHEMA_MESSAGE) {
      if (json_is_object(e))
        check_message(c, f->message, e);
      else
        save(c, type_error(c, json_what(e), elem));
    } else
      repl = check_scalar(c, (SchemaType)f->type, elem, e);
    if (repl)
      json_array_set_new(arr, i, repl);
    path_pop(c, mark);
  }
}

static void check_map(Check *c, const SchemaField *f, json_t *map) {
  const char *key;
  json_t *v;
  void *tmp;

  if (!json_is_object(map)) {
    char go[256];
    save(c, type_error(c, json_what(map), schema_field_go_type(f, false, go, sizeof go)));
    return;
  }
  json_object_foreach_safe(map, tmp, key, v) {
    if (c->fatal)
      return;
    size_t mark = path_push_key(c, key);
    json_t *repl = json_is_null(v) ? zero_value((SchemaType)f->value)
                                   : check_scalar(c, (SchemaType)f->value, map_value_go_type(f->value), v);
    if (repl)
      json_object_set_new(map, key, repl);
    path_pop(c, mark);
  }
}

/* One field of the struct m, found (possibly through an inline struct) under key in obj. */
static void check_field(Check *c, const SchemaMessage *m, const SchemaField *f, json_t *obj, const char *key,
                        json_t *v) {
  const SchemaMessage *outer = c->strukt;
  size_t mark = path_push_key(c, key);

  if (c->n_fields < CHECK_MAX_FIELDS)
    c->fields[c->n_fields] = f->json;
  c->n_fields++;
  c->strukt = m;

  if (json_is_null(v))
    json_object_del(obj, key); /* a null leaves a Go field at its zero value, which JSON omits */
  else if (f->flags & SCHEMA_REPEATED)
    check_list(c, f, v);
  else if (f->type == SCHEMA_MAP)
    check_map(c, f, v);
  else if (f->type == SCHEMA_MESSAGE) {
    if (json_is_object(v))
      check_message(c, f->message, v);
    else {
      char go[256];
      save(c, type_error(c, json_what(v), schema_field_go_type(f, false, go, sizeof go)));
    }
  } else {
    char go[256];
    json_t *repl = check_scalar(c, (SchemaType)f->type, schema_field_go_type(f, false, go, sizeof go), v);
    if (repl)
      json_object_set_new(obj, key, repl);
  }

  /* Go restores the context when it leaves a struct; an error that ended decoding keeps it. */
  if (!c->fatal) {
    c->strukt = outer;
    c->n_fields--;
  }
  path_pop(c, mark);
}

static void check_message(Check *c, const SchemaMessage *m, json_t *obj) {
  const char *key;
  json_t *v;
  void *tmp;

  json_object_foreach_safe(obj, tmp, key, v) {
    if (c->fatal)
      return;
    const SchemaField *f = schema_field_find(m, key);
    if (f) {
      check_field(c, m, f, obj, key, v);
      continue;
    }
    if (c->n_unknown < CHECK_MAX_UNKNOWN) {
      size_t mark = path_push_key(c, key);
      strv_push(&c->unknown, c->path.data);
      c->n_unknown++;
      path_pop(c, mark);
    }
    json_object_del(obj, key);
  }
}

static int check_error(const SchemaMessage *m, const char *detail, Error *err) {
  const SchemaKind *k = schema_kind_of(m);
  if (!k)
    return error_set(err, -EBADMSG, NULL, "%s", detail);
  return error_set(err, -EBADMSG, NULL, "%s in version \"%s\" cannot be handled as a %s: %s", k->kind,
                   k->version, k->kind, detail);
}

/* Runs the check; on return c holds the decoding error (fatal or saved) and the unknown paths. */
static void check_run(Check *c, const SchemaMessage *m, json_t *obj) {
  if (!json_is_object(obj)) {
    char go[256];
    snprintf(go, sizeof go, "%s.%s", strrchr(m->package, '.') + 1, m->name);
    c->fatal = type_error(c, json_what(obj), go);
    return;
  }
  check_message(c, m, obj);
}

static void put_unknown_fields(Buf *b, char *const *paths, bool quote) {
  buf_puts(b, "strict decoding error: ");
  for (size_t i = 0; paths && paths[i]; i++) {
    if (i > 0)
      buf_puts(b, ", ");
    buf_puts(b, "unknown field ");
    if (quote)
      schema_go_quote(b, paths[i]);
    else
      /* The object converter patches go through words it with %s, not %q: no escaping. */
      buf_printf(b, "\"%s\"", paths[i]);
  }
}

int schema_check(const SchemaMessage *m, json_t *obj, SchemaCheckMode mode, char ***ret_unknown_paths,
                 Error *err) {
  _cleanup_(check_done) Check c = {0};

  check_run(&c, m, obj);
  if (c.fatal || c.saved)
    return check_error(m, c.fatal ? c.fatal : c.saved, err);
  if (c.n_unknown > 0 && mode == SCHEMA_CHECK_STRICT) {
    _cleanup_buf_ Buf b = BUF_INIT;
    put_unknown_fields(&b, c.unknown, true);
    return check_error(m, b.data, err);
  }
  if (ret_unknown_paths)
    *ret_unknown_paths = TAKE_PTR(c.unknown);
  return (int)c.n_unknown;
}

/* NewInvalid(GroupKind{}, "", [Invalid("patch", fmt.Sprintf("%+v", patchMap), detail)]): the message
 * starts with ' "" is invalid' because the kind and the name are empty. */
static int patch_error(json_t *patch, const char *detail, Error *err) {
  _cleanup_buf_ Buf b = BUF_INIT;
  _cleanup_free_ char *value = schema_go_sprint(patch);

  buf_puts(&b, "Invalid value: ");
  schema_go_quote(&b, value);
  buf_printf(&b, ": %s", detail);
  if (!err)
    return -EINVAL;
  int r = error_setk(err, -EINVAL, 422, "Invalid", " \"\" is invalid: patch: %s", b.data);
  error_add_cause(err, "FieldValueInvalid", "patch", "%s", b.data);
  return r;
}

int schema_check_patched(const SchemaMessage *m, json_t *patch, json_t *patched, SchemaCheckMode mode,
                         char ***ret_unknown_paths, Error *err) {
  _cleanup_(check_done) Check c = {0};

  check_run(&c, m, patched);
  if (c.fatal || c.saved)
    return patch_error(patch, c.fatal ? c.fatal : c.saved, err);
  if (c.n_unknown > 0 && mode == SCHEMA_CHECK_STRICT)
    return schema_patch_strict_error(patch, c.unknown, err);
  if (ret_unknown_paths)
    *ret_unknown_paths = TAKE_PTR(c.unknown);
  return (int)c.n_unknown;
}

int schema_patch_strict_error(json_t *patch, char *const *unknown_paths, Error *err) {
  _cleanup_buf_ Buf b = BUF_INIT;
  put_unknown_fields(&b, unknown_paths, false);
  return patch_error(patch, b.data, err);
}

char *schema_unknown_field_warning(const char *path) {
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_puts(&b, "unknown field ");
  schema_go_quote(&b, path);
  return buf_steal(&b, NULL);
}

static const char *const check_mode_table[_SCHEMA_CHECK_MODE_MAX] = {
    [SCHEMA_CHECK_IGNORE] = "Ignore",
    [SCHEMA_CHECK_WARN] = "Warn",
    [SCHEMA_CHECK_STRICT] = "Strict",
};

SchemaCheckMode schema_check_mode_from_string(const char *s) {
  if (isempty(s))
    return SCHEMA_CHECK_WARN;
  for (int i = 0; i < _SCHEMA_CHECK_MODE_MAX; i++)
    if (streq(check_mode_table[i], s))
      return (SchemaCheckMode)i;
  return _SCHEMA_CHECK_MODE_INVALID;
}

const char *schema_check_mode_to_string(SchemaCheckMode m) {
  if (m < 0 || m >= _SCHEMA_CHECK_MODE_MAX)
    return NULL;
  return check_mode_table[m];
}
