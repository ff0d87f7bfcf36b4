/* libFuzzer target for src/api/jsonfast.c, differential: json_fast_loadb must accept exactly what
 * json_loadb (flags 0) accepts, with an equal value, and refuse the rest with a message. Inputs with a NUL
 * byte are only checked not to crash: jansson drops a NUL that follows a literal or a number ("[null\0]"
 * is [null] to it), which json_fast_loadb refuses. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "api/jsonfast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t je, fe;
  json_t *want = json_loadb((const char *)data, size, 0, &je);
  json_t *got = json_fast_loadb((const char *)data, size, &fe);
  bool nul = memchr(data, 0, size) != NULL;
  if ((!nul && (!want != !got || (want && !json_equal(want, got)))) || (!got && !fe.text[0]))
    __builtin_trap();
  json_decref(want);
  json_decref(got);
  return 0;
}
