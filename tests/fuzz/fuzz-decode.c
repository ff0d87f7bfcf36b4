/* libFuzzer target for request body decoding (src/api/jsonutil.c): the same bytes go through the JSON and
 * the YAML decoder, which must either produce a value or fail with a message — never crash, leak or nest
 * past the depth limit. */
#include <stdint.h>

#include "api/jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *v = NULL;
  Error e = ERROR_INIT;
  if (json_decode_body((const char *)data, size, &v, &e) < 0) {
    if (!e.message)
      __builtin_trap();
  } else {
    json_decref(v);
  }
  error_reset(&e);
  v = NULL;
  if (yaml_decode_body((const char *)data, size, &v, &e) < 0) {
    if (!e.message)
      __builtin_trap();
  } else {
    json_decref(v);
  }
  error_reset(&e);
  return 0;
}
