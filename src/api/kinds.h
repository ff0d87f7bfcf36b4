/* The registry of API resources coracle serves: for each (group, version, resource) its kind, scope,
 * short names, categories, verbs and subresources. Discovery, routing, storage keys and Table printing
 * all read this one table. A resource served in several versions (autoscaling v1 and v2) has one entry per
 * version; entries sharing storage name the same storage_resource. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define KIND_MAX_SHORT 4
#define KIND_MAX_SUB 10

typedef struct ApiSubresource {
  const char *name;  /* "status", "scale", "log"... */
  const char *kind;  /* kind of the subresource's object */
  const char *group; /* group/version of that kind when it differs (Scale is autoscaling/v1) */
  const char *version;
  const char *verbs; /* space-separated */
} ApiSubresource;

typedef struct ApiResource {
  const char *group; /* "" for core */
  const char *version;
  const char *resource; /* plural, "deployments" */
  const char *singular;
  const char *kind;
  bool namespaced;
  const char *short_names[KIND_MAX_SHORT];
  bool in_all;       /* categories: ["all"] */
  const char *verbs; /* space-separated; NULL = the standard eight */
  ApiSubresource subresources[KIND_MAX_SUB];
  bool preferred; /* this version is the group's preferred one */
} ApiResource;

typedef struct ApiGroup {
  const char *name;        /* "" for core */
  const char *versions[4]; /* in preference order */
} ApiGroup;

extern const ApiResource api_resources[];
extern const size_t api_resources_count;
extern const ApiGroup api_groups[];
extern const size_t api_groups_count;

/* The standard verb list, space-separated. */
extern const char *const api_standard_verbs;

/* Looks a resource up by group, version and plural name (NULL if not served). */
const ApiResource *api_resource_find(const char *group, const char *version, const char *resource);
/* Looks a resource up by group/version and kind. */
const ApiResource *api_resource_find_kind(const char *group, const char *version, const char *kind);
/* The subresource entry of r, or NULL. */
const ApiSubresource *api_subresource_find(const ApiResource *r, const char *name);
/* True if verb is allowed on r. */
bool api_resource_has_verb(const ApiResource *r, const char *verb);
/* "apps/v1" or "v1" into buf. */
const char *api_resource_group_version(const ApiResource *r, char *buf, size_t size);
/* The storage prefix "/registry/<resource>[.<group>]/" into buf (shared by all versions). */
const char *api_resource_storage_prefix(const ApiResource *r, char *buf, size_t size);
/* "deployments.apps" or "pods" — how Kubernetes names the resource in messages. */
const char *api_resource_qualified_name(const ApiResource *r, char *buf, size_t size);
