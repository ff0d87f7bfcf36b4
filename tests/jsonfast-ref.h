/* The reference for json_fast_loadb_drop, shared by tests/unit/test-jsonfast.c and
 * tests/fuzz/fuzz-jsonfast.c: removes metadata.managedFields, in place, from the objects at depth d of v
 * (v itself at depth 1). */
#pragma once

#include <jansson.h>

static void jsonfast_ref_drop_at(json_t *v, int depth, int d) {
  if (depth == d) {
    json_t *meta = json_object_get(v, "metadata");
    if (json_is_object(meta) && json_is_object(v))
      json_object_del(meta, "managedFields");
    return;
  }
  size_t i;
  json_t *x;
  const char *k;
  if (json_is_array(v))
    json_array_foreach(v, i, x) jsonfast_ref_drop_at(x, depth + 1, d);
  else if (json_is_object(v))
    json_object_foreach(v, k, x) jsonfast_ref_drop_at(x, depth + 1, d);
}
