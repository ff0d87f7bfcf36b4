/* libFuzzer target for the protobuf request body decoder: any byte string must either decode into a JSON
 * object or fail with -EBADMSG / -EPROTONOSUPPORT and a message, without crashing, leaking or reading out
 * of bounds. Seed it with real kubectl bodies (the hex strings in tests/unit/test-protobuf.c) so that the
 * mutations reach deep into the message tables instead of dying at the magic. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Error err = ERROR_INIT;
  json_t *obj = NULL;

  int r = k8s_protobuf_decode(data, size, &obj, &err);
  if (r >= 0) {
    if (!json_is_object(obj))
      abort();
    /* Serialising proves the result is well-formed JSON (valid UTF-8 strings, no NaN). */
    char *s = json_dumps(obj, JSON_COMPACT);
    if (!s)
      abort();
    free(s);
    json_decref(obj);
  } else if (obj || (r != -EBADMSG && r != -EPROTONOSUPPORT) || !err.message)
    abort();
  error_reset(&err);
  return 0;
}
