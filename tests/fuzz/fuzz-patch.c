/* libFuzzer target for the three PATCH flavours (src/api/patch.c). The input is one selector byte (which
 * kind the strategic merge patch is for), then two JSON documents separated by the first NUL byte (or the
 * first newline when there is none): the live object and the patch. Each document is applied with
 * patch_merge, patch_json and patch_strategic. Besides the sanitizers' checks it asserts the contract
 * callers rely on: a result exactly when the call succeeds, a message when it fails, and inputs left as
 * they were. Build with -DFUZZ_STANDALONE to replay files given on the command line without libFuzzer. */
#include "fuzz-common.h"

static const struct {
  const char *group;
  const char *kind;
} kinds[] = {
    {"apps", "Deployment"},
    {"", "Pod"},
    {"batch", "CronJob"},
    {"", "Node"},
    {"", "Service"},
    {"apps", "DaemonSet"},
    {"policy", "PodDisruptionBudget"},
    {"example.com", "Widget"},
};

static char *dump(const json_t *j) {
  return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || size > 256 * 1024)
    return 0;
  uint8_t selector = data[0];
  const char *text = (const char *)data + 1;
  size_t len = size - 1;
  const char *sep = memchr(text, '\0', len);
  if (!sep)
    sep = memchr(text, '\n', len);
  if (!sep)
    return 0;
  size_t first = sep - text;
  json_t *target = json_loadb(text, first, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  json_t *patch = json_loadb(sep + 1, len - first - 1, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  if (target && patch) {
    char *target_before = dump(target), *patch_before = dump(patch);
    size_t k = selector % ELEMENTSOF(kinds);
    for (int flavour = 0; flavour < 3; flavour++)
      json_decref(fuzz_patch(flavour, target, patch, kinds[k].group, kinds[k].kind));
    char *target_after = dump(target), *patch_after = dump(patch);
    if (!streq(target_before, target_after) || !streq(patch_before, patch_after))
      abort();
    free(target_before);
    free(target_after);
    free(patch_before);
    free(patch_after);
  }
  json_decref(target);
  json_decref(patch);
  return 0;
}
