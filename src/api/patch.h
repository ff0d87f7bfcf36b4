/* PATCH semantics on JSON objects, as the Kubernetes API server applies them:
 *  - JSON merge patch (RFC 7386, application/merge-patch+json);
 *  - JSON patch (RFC 6902, application/json-patch+json), with Kubernetes' error wording;
 *  - strategic merge patch (application/strategic-merge-patch+json): lists merged by their merge key
 *    (containers/env/volumes by name, container ports by containerPort, service ports by port, ...),
 *    primitive lists with "merge" strategy (finalizers...), null deletes a key, and the directives
 *    $patch (replace/merge/delete), $retainKeys, $setElementOrder/<list>, $deleteFromPrimitiveList/<list>.
 * The merge keys and strategies come from the per-kind patch metadata (patch-meta.c), keyed by
 * (group, kind) and the field path. All functions leave their inputs untouched and return a new object. */
#pragma once

#include <jansson.h>

#include "base/error.h"

/* RFC 7386. -EBADMSG (400) if patch is not an object. */
int patch_merge(json_t *target, json_t *patch, json_t **ret, Error *err);
/* RFC 6902 operations array (add, remove, replace, move, copy, test). Failures are -EINVAL with a message
 * such as Kubernetes gives ("the server rejected our request due to an error in our request"...) — see
 * patch.c for the exact wording used. */
int patch_json(json_t *target, json_t *ops, json_t **ret, Error *err);
/* Strategic merge patch of an object of the given group ("" for core) and kind. Unknown kinds merge like
 * a JSON merge patch except for the directives. -EBADMSG on malformed directives. */
int patch_strategic(json_t *target, json_t *patch, const char *group, const char *kind, json_t **ret,
                    Error *err);

/* Patch metadata lookup: for a field path inside a kind (e.g. group "apps", kind "Deployment", path
 * "spec.template.spec.containers"), the list's merge key ("name") and strategy flags. Paths use '.' and no
 * indices. Returns false if the field has no strategy (atomic list / plain map). */
typedef struct PatchMeta {
  const char *merge_key; /* NULL for primitive lists with merge strategy */
  bool merge;            /* patchStrategy includes "merge" */
  bool retain_keys;      /* patchStrategy includes "retainKeys" */
  bool replace;          /* patchStrategy "replace": a map field taken whole, never merged */
} PatchMeta;
bool patch_meta_lookup(const char *group, const char *kind, const char *path, PatchMeta *ret);
