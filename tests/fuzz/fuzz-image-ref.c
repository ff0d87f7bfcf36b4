/* libFuzzer target for the image service's parsers, all fed the same input: image references (with the
 * property the kubelet relies on: a reference that parses prints a canonical form that parses back to
 * itself, and every refusal says why), manifests and indexes under each media type (plus platform
 * selection), image configs, WWW-Authenticate challenges and registries.yaml. */
#include <stdint.h>

#include "agent/images/manifest.h"
#include "agent/images/reference.h"
#include "agent/images/registries.h"
#include "agent/images/registry-client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reference(const char *s) {
  Error err = ERROR_INIT;
  ImageRef r = {0};
  if (image_ref_parse(s, &r, &err) == 0) {
    char *canon = image_ref_string(&r);
    ImageRef again = {0};
    if (image_ref_parse(canon, &again, NULL) < 0)
      abort();
    char *canon2 = image_ref_string(&again);
    if (!streq(canon, canon2) || !streq(r.domain, again.domain) || !streq(r.path, again.path))
      abort();
    image_ref_done(&again);
    char *name = image_ref_record_name(&r);
    if (image_ref_parse(name, &again, NULL) < 0)
      abort();
    free(name);
    free(canon);
    free(canon2);
    image_ref_done(&again);
    image_ref_done(&r);
  } else if (!err.message || !strstr(err.message, "couldn't parse image name")) {
    abort();
  }
  error_reset(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = xstrndup((const char *)data, size);
  check_reference(s);

  static const char *const types[] = {NULL,
                                      MEDIA_OCI_INDEX,
                                      MEDIA_OCI_MANIFEST,
                                      MEDIA_DOCKER_LIST,
                                      MEDIA_DOCKER_MANIFEST,
                                      "application/json; charset=utf-8"};
  for (size_t i = 0; i < ELEMENTSOF(types); i++) {
    Error err = ERROR_INIT;
    ImageManifest m = {0};
    if (image_manifest_parse((const char *)data, size, types[i], &m, &err) == 0) {
      size_t pick;
      if (image_manifest_kind_is_index(m.kind)) {
        if (image_manifest_select(&m, "linux", "amd64", NULL, &pick, &err) == 0 && pick >= m.n_manifests)
          abort();
      } else if (!image_ref_digest_valid(m.config.digest)) {
        abort();
      }
      image_manifest_done(&m);
    } else if (!err.message) {
      abort();
    }
    error_reset(&err);
  }

  Error err = ERROR_INIT;
  ImageConfig c = {0};
  if (image_config_parse((const char *)data, size, &c, &err) == 0) {
    for (size_t i = 0; i < c.n_diff_ids; i++)
      if (!image_ref_digest_valid(c.diff_ids[i]))
        abort();
    image_config_done(&c);
  }
  error_reset(&err);

  RegistryChallenge ch = {0};
  if (registry_challenge_parse(s, &ch) == 0) {
    (void)registry_challenge_get(&ch, "realm");
    registry_challenge_done(&ch);
  }

  RegistryConfig *rc = NULL;
  if (registry_config_parse((const char *)data, size, "fuzz", &rc, &err) == 0) {
    ImageRef r = {0};
    if (image_ref_parse("docker.io/library/busybox:1", &r, NULL) == 0) {
      RegistryEndpoint *eps = NULL;
      size_t n = 0;
      if (registry_config_endpoints(rc, &r, NULL, &eps, &n, NULL) == 0)
        registry_endpoints_free(eps, n);
      image_ref_done(&r);
    }
    registry_config_free(rc);
  }
  error_reset(&err);
  free(s);
  return 0;
}
