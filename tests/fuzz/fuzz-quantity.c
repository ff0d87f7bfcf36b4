/* libFuzzer target for the quantity parser. Besides crashes and leaks it checks what the API server relies
 * on when it re-reads what it stored: a serialized quantity parses back to the same value and serializes
 * to the same string, every failure says why, and the int64 accessors agree with the value's sign. The
 * input is also tried as a JSON string member, which goes through whitespace trimming. */
#include <stdint.h>

#include "api/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const Quantity *q) {
  char *canon = quantity_canonical(q);
  Quantity again;
  Error err = ERROR_INIT;
  if (quantity_parse(canon, &again, &err) < 0)
    abort(); /* the API server could not read back what it wrote */
  if (quantity_cmp(q, &again) != 0 || quantity_cmp(&again, q) != 0)
    abort();
  char *canon2 = quantity_canonical(&again);
  if (!streq(canon, canon2))
    abort(); /* a second round trip must not rewrite the stored form */
  int sign = quantity_sign(q);
  int64_t v = quantity_value(q), m = quantity_milli_value(q);
  if ((sign > 0 && (v <= 0 || m <= 0)) || (sign < 0 && (v >= 0 || m >= 0)) || (sign == 0 && (v || m)))
    abort();
  if (quantity_is_zero(q) != (sign == 0))
    abort();
  free(canon2);
  free(canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = xstrndup((const char *)data, size); /* stops at a NUL, as a C caller would */
  Error err = ERROR_INIT;
  Quantity q;

  if (quantity_parse(s, &q, &err) == 0)
    check_roundtrip(&q);
  else if (!err.message)
    abort();
  error_reset(&err);

  json_t *obj = json_object();
  json_object_set_new(obj, "q", json_stringn((const char *)data, size));
  if (json_object_get(obj, "q")) { /* NULL when the bytes are not UTF-8 */
    if (quantity_canonicalize_json(obj, "q", &err) == 0) {
      if (quantity_parse(json_string_value(json_object_get(obj, "q")), &q, NULL) < 0)
        abort();
      check_roundtrip(&q);
    } else if (!err.message) {
      abort();
    }
    error_reset(&err);
  }
  json_decref(obj);
  free(s);
  return 0;
}
