/* An OCI distribution (registry v2 API) client over client/httpc.h, for one endpoint and one repository.
 *
 * Authentication follows the registry's 401 answers: "Basic" gets the configured credentials; "Bearer"
 * sends the client to the realm named in WWW-Authenticate for a token (anonymously, with basic
 * credentials, or with an identity token as an OAuth2 refresh token), which is then kept for the client's
 * life and renewed once when a request is refused again. Redirects (to blob storage) are followed over
 * http/https only, and credentials are never sent to the host redirected to.
 *
 * A RegistryClient may be shared by the threads of one pull: its token is guarded by its mutex, and its
 * keep-alive connections (made with the endpoint's TLS settings) are pooled for all of them. */
#pragma once

#include "agent/images/content.h"
#include "agent/images/registries.h"
#include "base/error.h"

typedef struct RegistryClient RegistryClient;

/* The client copies what it needs from ep. cancel (may be NULL) is polled during transfers: when it
 * becomes non-zero they stop with -ECANCELED. */
RegistryClient *registry_client_new(const RegistryEndpoint *ep, const char *user_agent, const int *cancel);
void registry_client_free(RegistryClient *c);
/* Replaces the cancel flag (before the client is shared between threads). */
void registry_client_set_cancel(RegistryClient *c, const int *cancel);
const char *registry_client_url(const RegistryClient *c);

typedef struct RegistryManifest {
  char *data;
  size_t len;
  char *content_type;
  char digest[CONTENT_DIGEST_SIZE]; /* sha256 of data, checked against the reference or the registry */
} RegistryManifest;
void registry_manifest_done(RegistryManifest *m);

/* GETs /v2/<repo>/manifests/<reference> (a tag or a digest) with the full Accept list. The body must hash
 * to the digest when reference is one, and to Docker-Content-Digest when the registry sends it. Errors
 * carry the registry's own message (-ENOENT for "manifest unknown", -EACCES for refused credentials). */
int registry_client_get_manifest(RegistryClient *c, const char *reference, RegistryManifest *ret, Error *err);

/* GETs /v2/<repo>/blobs/<digest> into w (whose expected digest and size the caller set). Does not commit. */
int registry_client_get_blob(RegistryClient *c, const char *digest, ContentWriter *w, Error *err);

/* Parses a WWW-Authenticate value: the scheme and up to 8 key="value" parameters. Exposed for tests. */
typedef struct RegistryChallenge {
  char scheme[16];
  char *keys[8];
  char *values[8];
  size_t n;
} RegistryChallenge;
int registry_challenge_parse(const char *header, RegistryChallenge *ret);
const char *registry_challenge_get(const RegistryChallenge *c, const char *key);
void registry_challenge_done(RegistryChallenge *c);
