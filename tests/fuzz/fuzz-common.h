/* Pieces the libFuzzer targets share (a header, not a .c: scripts/fuzz.sh builds every .c of tests/fuzz as
 * a target of its own). fuzz_patch calls one PATCH flavour and asserts the contract the API server relies
 * on; with -DFUZZ_STANDALONE the including target gets a main() that replays the files named on its
 * command line without libFuzzer. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/patch.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* patch applied to target by flavour 0 (merge patch), 1 (JSON patch) or 2 (strategic merge patch for
 * group/kind): the result (caller owns it), or NULL when the patch failed. Aborts when the call breaks its
 * contract: a result exactly when it succeeds, and a message with the returned code when it fails. */
static inline json_t *fuzz_patch(int flavour, json_t *target, json_t *patch, const char *group,
                                 const char *kind) {
  json_t *got = NULL;
  Error err = ERROR_INIT;
  int r = flavour == 0   ? patch_merge(target, patch, &got, &err)
          : flavour == 1 ? patch_json(target, patch, &got, &err)
                         : patch_strategic(target, patch, group, kind, &got, &err);
  if ((r >= 0) != (got != NULL))
    abort();
  if (r < 0 && (!err.message || err.code != r))
    abort();
  error_reset(&err);
  return got;
}

#ifdef FUZZ_STANDALONE
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    char *buf = NULL;
    size_t len = 0;
    if (read_file(argv[i], &buf, &len) < 0) {
      fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
    free(buf);
  }
  return 0;
}
#endif
