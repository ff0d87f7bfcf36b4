/* Image pull secrets: credentials for a pull from the pod's spec.imagePullSecrets and its service account's
 * imagePullSecrets, in the two formats Kubernetes knows: kubernetes.io/dockerconfigjson (.dockerconfigjson:
 * {"auths": {"host": {...}}}, what `kubectl create secret docker-registry` makes) and the legacy
 * kubernetes.io/dockercfg (.dockercfg: {"host": {...}}). An entry holds "auth" (base64 of user:password)
 * or "username" and "password", or an "identitytoken". Keys are matched as the kubelet's keyring does:
 * scheme and trailing "/v1/" ignored, the host (glob "*." allowed) and port equal, the key's path a prefix
 * of the repository's; Docker Hub keys (index.docker.io, registry-1.docker.io) match docker.io images. The
 * most specific match wins. */
#pragma once

#include <jansson.h>

#include "agent/images/registries.h"

typedef struct Kubelet Kubelet;

/* The credentials in a decoded docker config (either format) for domain/path (an image's registry host
 * and repository path). 1 and *ret filled when found (release with registry_auth_done), 0 when not. */
int kubelet_docker_config_auth(json_t *config, const char *domain, const char *path, RegistryAuth *ret);

/* The credentials the pod's pull secrets hold for image; 1 when found, 0 when none (a missing or
 * malformed secret is skipped, as the kubelet does, and logged). */
int kubelet_pull_auth(Kubelet *k, json_t *pod, const char *image, RegistryAuth *ret);
