/* libFuzzer target for the API server's write path on one object, through the same functions the server
 * calls: body decoding (json_decode_body / yaml_decode_body) -> strict schema check (schema_check with
 * fieldValidation=Strict) -> defaulting (defaulting_apply) -> validation (validate_object) -> a PATCH of
 * that object (merge, JSON, strategic merge, or a server-side apply merge) -> the patched object's schema
 * check, defaulting, validation and update validation (validate_update against the first object).
 *
 * Input: byte 0 selects the kind when the document does not name one of coracle's kinds itself
 * (apiVersion + kind); byte 1: bit 0 = the object is YAML, bits 1-2 = patch flavour; then the object,
 * then optionally a NUL byte and the patch document (JSON). Besides the sanitizers it asserts: defaulting
 * is idempotent, validation fails exactly when it reported causes, a failed check leaves a message, and
 * patches leave their inputs alone. Build with -DFUZZ_STANDALONE to replay files without libFuzzer. */
#include "api/apply-merge.h"
#include "api/defaulting.h"
#include "api/jsonutil.h"
#include "api/patch.h"
#include "api/schema.h"
#include "api/validate.h"
#include "base/strv.h"
#include "fuzz-common.h"

static const SchemaKind *kind_of(json_t *obj, uint8_t selector) {
  const char *av = jstr(obj, "apiVersion"), *kind = jstr(obj, "kind");
  if (av && kind) {
    const char *slash = strchr(av, '/');
    _cleanup_free_ char *group = slash ? xstrndup(av, (size_t)(slash - av)) : xstrdup("");
    const SchemaKind *k = schema_kind_find(group, slash ? slash + 1 : av, kind);
    if (k)
      return k;
  }
  return &schema_kinds[selector % schema_kinds_count];
}

/* Strict decode of obj (in place) against k; true when it passed. */
static bool check(const SchemaKind *k, json_t *obj, json_t *patch) {
  Error err = ERROR_INIT;
  char **unknown = NULL;
  int r = patch ? schema_check_patched(k->message, patch, obj, SCHEMA_CHECK_STRICT, &unknown, &err)
                : schema_check(k->message, obj, SCHEMA_CHECK_STRICT, &unknown, &err);
  if (r < 0 && !err.message && err.n_causes == 0)
    abort();
  strv_free(unknown);
  error_reset(&err);
  return r >= 0;
}

/* Defaults obj twice (the second pass must change nothing) and validates it. */
static bool default_and_validate(const SchemaKind *k, json_t *obj) {
  defaulting_apply(k->group, k->kind, obj);
  json_t *again = json_deep_copy(obj);
  defaulting_apply(k->group, k->kind, again);
  if (!json_equal(again, obj))
    abort();
  json_decref(again);
  Error err = ERROR_INIT;
  int r = validate_object(k->group, k->kind, obj, &err);
  if ((r < 0) != (err.n_causes > 0))
    abort();
  error_reset(&err);
  return r >= 0;
}

static json_t *apply_patch(const SchemaKind *k, json_t *obj, json_t *patch, int flavour) {
  if (flavour < 3)
    return fuzz_patch(flavour, obj, patch, k->group, k->kind);
  /* Server-side apply: the object's own fields were set by a previous apply of the same manager. */
  if (!json_is_object(patch))
    return NULL;
  json_t *prev = fieldset_from_object(k->message, obj, false);
  json_t *got = apply_merge(k->message, obj, patch, prev, NULL);
  json_t *conflicts = apply_conflicts(prev, patch, obj, prev);
  char **paths = fieldset_paths(conflicts);
  strv_free(paths);
  json_decref(conflicts);
  json_decref(prev);
  return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3 || size > 256 * 1024)
    return 0;
  uint8_t selector = data[0], flags = data[1];
  const char *text = (const char *)data + 2;
  size_t len = size - 2;
  const char *sep = memchr(text, '\0', len);
  size_t first = sep ? (size_t)(sep - text) : len;
  json_t *obj = NULL;
  Error err = ERROR_INIT;
  int r = (flags & 1) ? yaml_decode_body(text, first, &obj, &err) : json_decode_body(text, first, &obj, &err);
  if (r < 0 && (obj || !err.message))
    abort();
  error_reset(&err);
  if (r < 0 || !json_is_object(obj)) {
    json_decref(obj);
    return 0;
  }
  const SchemaKind *k = kind_of(obj, selector);
  if (!check(k, obj, NULL) || !default_and_validate(k, obj) || !sep) {
    json_decref(obj);
    return 0;
  }
  json_t *patch = NULL;
  r = json_decode_body(sep + 1, len - first - 1, &patch, &err);
  error_reset(&err);
  if (r >= 0 && patch) {
    char *before = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT),
         *pbefore = json_dumps(patch, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    json_t *got = apply_patch(k, obj, patch, (flags >> 1) & 3);
    char *after = json_dumps(obj, JSON_SORT_KEYS | JSON_COMPACT),
         *pafter = json_dumps(patch, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
    if (!streq(before, after) || !streq(pbefore, pafter))
      abort();
    free(before);
    free(after);
    free(pbefore);
    free(pafter);
    if (json_is_object(got) && check(k, got, patch) && default_and_validate(k, got)) {
      Error uerr = ERROR_INIT;
      int u = validate_update(k->group, k->kind, got, obj, &uerr);
      if ((u < 0) != (uerr.n_causes > 0))
        abort();
      error_reset(&uerr);
    }
    json_decref(got);
  }
  json_decref(patch);
  json_decref(obj);
  return 0;
}
