/* Server-side printing: the meta.k8s.io/v1 Table columns and cells Kubernetes' own printers produce for
 * each built-in resource (the columns of `kubectl get` and, with priority 1, of `kubectl get -o wide`).
 * Column names, order, types and priorities follow Kubernetes; cells are computed from the object,
 * including AGE relative to `now`. Resources without a dedicated printer get Kubernetes' default
 * (Name, Age... as the generic TableConvertor does: "Name" and "Created At"). */
#pragma once

#include <jansson.h>
#include <stdint.h>

/* Returns a new JSON array of column definitions
 * ({"name","type","format","description","priority"}) for group/resource (group "" for core). */
json_t *table_columns(const char *group, const char *resource);
/* Returns a new JSON array with one cell per column for obj (same order as table_columns). */
json_t *table_cells(const char *group, const char *resource, json_t *obj, int64_t now_unix);
