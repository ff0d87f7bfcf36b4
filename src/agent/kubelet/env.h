/* A container's environment as the kubelet computes it (makeEnvironmentVariables): service variables of
 * the namespace's Services in Docker-links style, then envFrom (ConfigMaps and Secrets, with prefix), then
 * env (plain values with $(VAR) expansion against what came before, and valueFrom: configMapKeyRef,
 * secretKeyRef, fieldRef, resourceFieldRef). Later sources override earlier ones by name. The result is
 * the list handed to the runtime, which puts it over the image's Env.
 *
 * The pure parts (service variables, env name validation, assembly) are separate from the part that reads
 * objects through the client, so the unit tests pin every rule. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

typedef struct Kubelet Kubelet;

/* Kubernetes' C_IDENTIFIER-like rule for environment variable names: [-._a-zA-Z][-._a-zA-Z0-9]*, and not
 * "." or "..". envFrom keys that fail it are skipped. */
bool kubelet_env_name_valid(const char *name);

/* The service variables of services (an array of Service objects; those without a cluster IP are skipped),
 * in name order: NAME_SERVICE_HOST, NAME_SERVICE_PORT, NAME_SERVICE_PORT_<PORTNAME>, NAME_PORT,
 * NAME_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}; NAME upper-cased with '-' as '_'. Returns a new array of
 * {"name","value"}. */
json_t *kubelet_service_env(json_t *services);

/* The final environment from its parts: from_env (object NAME -> value from envFrom, in order),
 * value_from (object NAME -> value of env entries with valueFrom, resolved by the caller; an entry
 * missing there is left out, as an optional reference is), service_env (array of {"name","value"}).
 * Plain values are $(VAR)-expanded against envFrom, earlier env entries and the service variables.
 * Returns a new array of {"name","value"}. */
json_t *kubelet_env_assemble(json_t *spec_ctr, json_t *from_env, json_t *value_from, json_t *service_env);

/* A fieldRef value (metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'],
 * metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s)).
 * NULL for an unsupported path. Caller frees. */
char *kubelet_field_ref(json_t *pod, const char *host_ip, const char *path);

/* A resourceFieldRef value for spec_ctr: limits.cpu|memory|ephemeral-storage, requests.* divided by
 * divisor (default 1) and rounded up; a limit not set is the node's capacity (node_milli_cpu,
 * node_memory). -EINVAL for an unknown resource or a bad divisor. Caller frees *ret. */
int kubelet_resource_field_ref(json_t *spec_ctr, const char *resource, json_t *divisor,
                               int64_t node_milli_cpu, int64_t node_memory, char **ret, Error *err);

/* The whole environment of spec_ctr in pod: Services listed through the client, envFrom and valueFrom
 * objects fetched. A missing object or key that is not optional fails with the kubelet's message
 * (`configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`): the caller reports
 * CreateContainerConfigError. *ret is a new array of {"name","value"}. */
int kubelet_env_build(Kubelet *k, json_t *pod, json_t *spec_ctr, json_t **ret, Error *err);

/* The node's CPU count in millicores and memory in bytes (for limits that are not set). */
int64_t kubelet_node_milli_cpu(void);
int64_t kubelet_node_memory(void);
