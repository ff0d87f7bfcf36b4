/* Semantic validation of built-in kinds with Kubernetes' field paths and messages ("spec.replicas: Invalid
 * value: -1: must be greater than or equal to 0"): names and labels, pod specs (containers, ports, probes,
 * volumes, env), workload selectors matching their templates, Services, ConfigMap/Secret keys, Jobs, HPAs,
 * and the fields that are immutable on update. Structural problems (wrong JSON types, unknown fields) are
 * the schema's business; this is what Kubernetes' validation package checks after decoding.
 * Each problem adds one cause to err (error_add_cause); the functions return -EINVAL when any was added. */
#pragma once

#include <jansson.h>

#include "base/error.h"

int validate_object(const char *group, const char *kind, json_t *obj, Error *err);
/* Checks an update against the stored object (immutable fields), after validate_object passed. */
int validate_update(const char *group, const char *kind, json_t *obj, json_t *old, Error *err);

/* Building blocks, exported for the unit tests and for other callers (e.g. the API server's name check). */
bool validate_dns1123_label(const char *s);
bool validate_dns1123_subdomain(const char *s);
bool validate_qualified_name(const char *s);
bool validate_label_value(const char *s);
