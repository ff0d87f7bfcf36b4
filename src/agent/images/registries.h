/* registries.yaml in the k3s format (default /etc/coracle/registries.yaml):
 *
 *   mirrors:
 *     docker.io:                          # a registry name as it appears in image references, or "*"
 *       endpoint: ["http://127.0.0.1:5000", "https://mirror.example.com/prefix"]
 *       rewrite: {"^library/(.*)": "mirror/$1"}   # repository rewrites for the mirror endpoints
 *   configs:
 *     "127.0.0.1:5000":                   # an endpoint host[:port]
 *       auth: {username: u, password: p}  # or auth: base64("u:p"), or identity_token
 *       tls: {insecure_skip_verify: true, ca_file: /ca.crt, cert_file: /c.crt, key_file: /c.key}
 *
 * A pull tries the registry's mirror endpoints in order (those of "*" when the registry has no entry of
 * its own) and then the registry itself, as k3s does. The registry itself is reached over HTTPS, except
 * localhost and loopback addresses, which are reached over plain HTTP as containerd does. Rewrite
 * patterns are POSIX extended regular expressions (RE2's common subset: anchors, groups, classes, .*);
 * "$1" or "${1}" in the replacement stands for a group. */
#pragma once

#include "agent/images/reference.h"
#include "base/error.h"

typedef struct RegistryAuth {
  char *username;
  char *password;
  char *identity_token; /* an OAuth2 refresh token for the registry's token service */
} RegistryAuth;

typedef struct RegistryTls {
  bool insecure_skip_verify;
  char *ca_file;
  char *cert_file;
  char *key_file;
} RegistryTls;

/* One place to try: a URL root and the repository path to ask it for. */
typedef struct RegistryEndpoint {
  char *url;  /* "https://host:port[/prefix]" without the trailing "/v2" */
  char *host; /* "host:port" as written in the URL, the key of configs */
  char *repository;
  bool is_default; /* the registry itself rather than a mirror */
  RegistryAuth auth;
  RegistryTls tls;
} RegistryEndpoint;

typedef struct RegistryConfig RegistryConfig;

/* Loads path; a missing file is an empty configuration. Syntax and type errors name the file and key. */
int registry_config_load(const char *path, RegistryConfig **ret, Error *err);
/* Parses a document already in memory (for tests and fuzzing). */
int registry_config_parse(const char *data, size_t len, const char *origin, RegistryConfig **ret, Error *err);
void registry_config_free(RegistryConfig *c);

/* The endpoints to try for ref, in order. Each endpoint's auth and tls come from configs; auth, when not
 * NULL (credentials from an image pull secret), is used for endpoints without configured credentials. */
int registry_config_endpoints(const RegistryConfig *c, const ImageRef *ref, const RegistryAuth *auth,
                              RegistryEndpoint **ret, size_t *ret_n, Error *err);
void registry_endpoints_free(RegistryEndpoint *e, size_t n);
void registry_auth_done(RegistryAuth *a);
