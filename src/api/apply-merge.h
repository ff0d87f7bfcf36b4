/* The pure part of server-side apply: field sets in Kubernetes' FieldsV1 encoding and the merge of an
 * applied configuration into a live object, modelled on structured-merge-diff. A field set is a JSON
 * object tree whose keys are "f:<field>" (a struct or map field), "k:<json of the merge key>" (an item of
 * a keyed list), "v:<json>" (an item of a set list) and "." (the list item itself); a node without
 * children is a member, a node with children only leads to members (except through "."). Lists are keyed
 * by the schema's patchMergeKey (containers by name, ports by containerPort...), primitive lists with the
 * merge strategy are sets, every other list is atomic. The schema may be NULL (unknown kinds): objects are
 * then maps and lists atomic. Nothing here touches its inputs; results are new references. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "api/schema.h"

/* The set of fields obj sets, without what the server owns (apiVersion, kind, metadata.name, namespace,
 * uid, resourceVersion, generation, creationTimestamp, managedFields...) and without status when
 * skip_status (kinds with a status subresource). Explicit nulls set nothing. */
json_t *fieldset_from_object(const SchemaMessage *m, json_t *obj, bool skip_status);
/* The members of nw whose value differs from old (added or changed; removals are not members), or an
 * empty set when nothing changed. Same exclusions as fieldset_from_object. */
json_t *fieldset_changed(const SchemaMessage *m, json_t *old, json_t *nw, bool skip_status);
/* dst |= src (in place). */
void fieldset_union_into(json_t *dst, json_t *src);
/* set -= minus (in place): every member of minus loses its node in set, with what hangs below it; nodes
 * left without children are dropped so that they do not turn into members. */
void fieldset_subtract(json_t *set, json_t *minus);
/* Drops from set (in place) the members whose field or item no longer exists in obj. */
void fieldset_prune(json_t *set, json_t *obj);
/* Members in Kubernetes' path notation (".spec.replicas", ".spec.containers[name=\"web\"].image"), in
 * set order. NULL-terminated, caller frees with strv_free. */
char **fieldset_paths(json_t *set);
bool fieldset_is_empty(json_t *set);

/* The members of applied (the set of config) that another manager owning other would see change: the
 * field exists in live with a different value and other's set holds the path. Empty set if none. */
json_t *apply_conflicts(json_t *applied, json_t *config, json_t *live, json_t *other);
/* The object after applying config to live: config's fields overwrite, keyed lists merge item by item,
 * and what the applier owned before (prev, may be NULL) but config no longer sets is removed unless
 * another manager (others: the union of their sets, may be NULL) owns it. */
json_t *apply_merge(const SchemaMessage *m, json_t *live, json_t *config, json_t *prev, json_t *others);
