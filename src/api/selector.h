/* Label and field selectors as Kubernetes parses and applies them.
 * Label selectors: the string form of ?labelSelector= ("a=b,c!=d,e in (x,y),f notin (z),g,!h", also "==")
 * and the metav1.LabelSelector JSON form (matchLabels + matchExpressions with In/NotIn/Exists/DoesNotExist).
 * Field selectors: "a=b,c!=d" (also "==") over the fields Kubernetes supports for each resource
 * (metadata.name and metadata.namespace everywhere; per resource e.g. pods spec.nodeName and status.phase,
 * events involvedObject.* / reason / type / source, secrets type, nodes spec.unschedulable...). A field a
 * resource does not support is a 400 BadRequest ("field label not supported: x"). */
#pragma once

#include <jansson.h>

#include "base/error.h"

typedef struct LabelSelector LabelSelector;
typedef struct FieldSelector FieldSelector;

/* Parses the string form. An empty or NULL string gives a selector that matches everything.
 * Errors: -EBADMSG with a message like Kubernetes' ("unable to parse requirement: ..."). */
int label_selector_parse(const char *s, LabelSelector **ret, Error *err);
/* Builds a selector from a metav1.LabelSelector JSON object (NULL or {} matches everything; note that
 * workload controllers treat an empty selector specially — that is their business). -EINVAL on a bad
 * operator or values, with the field path relative to the selector (e.g. "matchExpressions[0].operator"). */
int label_selector_from_json(json_t *sel, LabelSelector **ret, Error *err);
/* True if the labels (a JSON object of string values, or NULL for none) satisfy every requirement. */
bool label_selector_matches(const LabelSelector *sel, json_t *labels);
bool label_selector_is_empty(const LabelSelector *sel);
/* Canonical string form ("app=web,tier in (a,b)") as Kubernetes prints it (Scale status.selector,
 * `kubectl get rs -o wide` SELECTOR). Caller frees. */
char *label_selector_to_string(const LabelSelector *sel);
void label_selector_free(LabelSelector *sel);

/* Parses the string form. NULL or "" matches everything. -EBADMSG on syntax errors. */
int field_selector_parse(const char *s, FieldSelector **ret, Error *err);
/* Checks every field is supported for the resource (group "" for core, resource plural like "pods").
 * -EBADMSG with "field label not supported: <field>" otherwise. */
int field_selector_validate(const FieldSelector *fs, const char *group, const char *resource, Error *err);
/* True if the object satisfies every requirement (missing fields compare as ""; booleans as "true"/"false").
 */
bool field_selector_matches(const FieldSelector *fs, const char *group, const char *resource, json_t *obj);
bool field_selector_is_empty(const FieldSelector *fs);
/* If the selector requires exactly field == value (e.g. metadata.name), returns that value (borrowed). */
const char *field_selector_required_value(const FieldSelector *fs, const char *field);
void field_selector_free(FieldSelector *fs);

static inline void label_selector_freep(LabelSelector **s) {
  label_selector_free(*s);
}
static inline void field_selector_freep(FieldSelector **s) {
  field_selector_free(*s);
}
#define _cleanup_label_selector_ _cleanup_(label_selector_freep)
#define _cleanup_field_selector_ _cleanup_(field_selector_freep)
