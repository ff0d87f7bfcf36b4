/* Conversion between the versions of a resource that share one storage: core/v1 Events are also served
 * as events.k8s.io/v1 Events (stored in the core shape, as Kubernetes does), and autoscaling/v1
 * HorizontalPodAutoscalers are a view of the stored autoscaling/v2 object. Every other resource is served
 * in the version it is stored in. */
#pragma once

#include <jansson.h>

#include "api/kinds.h"
#include "base/error.h"

/* The resource entry whose shape is stored for r (r itself for most resources). */
const ApiResource *api_resource_storage(const ApiResource *r);

/* Converts an object in r's version into the storage version. Returns a new reference (the same object
 * with one more reference when no conversion is needed). -EINVAL for values that cannot be represented. */
int convert_to_storage(const ApiResource *r, json_t *obj, json_t **ret, Error *err);

/* Converts a stored object into r's version. Returns a new reference. */
json_t *convert_from_storage(const ApiResource *r, json_t *stored);
