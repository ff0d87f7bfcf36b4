/* libFuzzer target for src/api/jsonfast.c, differential: json_fast_loadb must accept exactly what
 * json_loadb (flags 0) accepts, with an equal value, and refuse the rest with a message. Inputs with a NUL
 * byte are only checked not to crash: jansson drops a NUL that follows a literal or a number ("[null\0]"
 * is [null] to it), which json_fast_loadb refuses. Also: json_fast_loadb_drop (managedFields left out of the
 * objects at depth 1, 2 or 3, chosen by the input's length) accepts and refuses the same, with the value
 * json_fast_loadb gives less those fields; and json_fast_dumps writes what json_dumps writes, compact. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfast.h"

#include "../jsonfast-ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_error_t je, fe;
  json_t *want = json_loadb((const char *)data, size, 0, &je);
  json_t *got = json_fast_loadb((const char *)data, size, &fe);
  bool nul = memchr(data, 0, size) != NULL;
  if ((!nul && (!want != !got || (want && !json_equal(want, got)))) || (!got && !fe.text[0]))
    __builtin_trap();
  int d = 1 + (int)(size % 3);
  json_t *dropped = json_fast_loadb_drop((const char *)data, size, d, &fe);
  if (!dropped != !got)
    __builtin_trap();
  if (got) {
    char *a = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY), *b = json_fast_dumps(got, NULL);
    if (!a || !b || strcmp(a, b) != 0)
      __builtin_trap();
    free(a);
    free(b);
    jsonfast_ref_drop_at(got, 1, d);
    if (!json_equal(got, dropped))
      __builtin_trap();
  }
  json_decref(want);
  json_decref(got);
  json_decref(dropped);
  return 0;
}
