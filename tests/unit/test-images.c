/* Unit tests for the parsers of the image service: references (normalisation and the InvalidImageName
 * cases), manifests and indexes (platform choice among several), registries.yaml (mirrors, rewrites,
 * credentials), WWW-Authenticate challenges and size formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/images/images.h"
#include "agent/images/manifest.h"
#include "agent/images/reference.h"
#include "agent/images/registries.h"
#include "agent/images/registry-client.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static void test_reference_normalised(void **state) {
  static const struct {
    const char *in, *domain, *path, *tag, *digest, *record;
  } cases[] = {
      {"nginx", "docker.io", "library/nginx", "latest", NULL, "docker.io/library/nginx:latest"},
      {"nginx:1.14.2", "docker.io", "library/nginx", "1.14.2", NULL, "docker.io/library/nginx:1.14.2"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "docker.io/library/busybox:1.36"},
      {"team/app", "docker.io", "team/app", "latest", NULL, "docker.io/team/app:latest"},
      {"docker.io/nginx", "docker.io", "library/nginx", "latest", NULL, NULL},
      {"index.docker.io/library/nginx:1", "docker.io", "library/nginx", "1", NULL, NULL},
      {"node1:5000/web:v2", "node1:5000", "web", "v2", NULL, "node1:5000/web:v2"},
      {"localhost/app", "localhost", "app", "latest", NULL, NULL},
      {"localhost:5000/a/b/c:1", "localhost:5000", "a/b/c", "1", NULL, NULL},
      {"127.0.0.1:5000/hp/busybox:1.35", "127.0.0.1:5000", "hp/busybox", "1.35", NULL, NULL},
      {"[::1]:5000/app:x", "[::1]:5000", "app", "x", NULL, NULL},
      {"quay.io/a_b/c__d/e-f.g---h:Tag_1.0-rc", "quay.io", "a_b/c__d/e-f.g---h", "Tag_1.0-rc", NULL, NULL},
      {"Registry.Example.COM/app", "Registry.Example.COM", "app", "latest", NULL, NULL},
      {"nginx@sha256:" HEX64, "docker.io", "library/nginx", NULL, "sha256:" HEX64,
       "docker.io/library/nginx@sha256:" HEX64},
      {"nginx:1.2@sha256:" HEX64, "docker.io", "library/nginx", "1.2", "sha256:" HEX64,
       "docker.io/library/nginx@sha256:" HEX64},
      {"h:1/p@sha256:" HEX64, "h:1", "p", NULL, "sha256:" HEX64, NULL},
      {"localhost:5000", "docker.io", "library/localhost", "5000", NULL, NULL}, /* Docker reads it so too */
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    ImageRef r = {0};
    Error err = ERROR_INIT;
    int rc = image_ref_parse(cases[i].in, &r, &err);
    if (rc < 0)
      fail_msg("%s: %s", cases[i].in, err.message);
    assert_string_equal(r.domain, cases[i].domain);
    assert_string_equal(r.path, cases[i].path);
    if (cases[i].tag)
      assert_string_equal(r.tag, cases[i].tag);
    else
      assert_null(r.tag);
    if (cases[i].digest)
      assert_string_equal(r.digest, cases[i].digest);
    else
      assert_null(r.digest);
    if (cases[i].record) {
      char *n = image_ref_record_name(&r);
      assert_string_equal(n, cases[i].record);
      free(n);
    }
    /* The canonical string parses back to itself. */
    char *s = image_ref_string(&r);
    ImageRef again = {0};
    assert_int_equal(image_ref_parse(s, &again, NULL), 0);
    char *s2 = image_ref_string(&again);
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    image_ref_done(&again);
    image_ref_done(&r);
  }
}

static void test_reference_invalid(void **state) {
  static const struct {
    const char *in, *fragment;
  } cases[] = {
      {"", "invalid reference format"},
      {"Nginx", "must be lowercase"},
      {"docker.io/Library/nginx", "must be lowercase"},
      {"nginx:", "tag"},
      {"nginx:-x", "tag"},
      {"nginx:.x", "tag"},
      {"nginx:a b", "tag"},
      {"a//b", "invalid reference format"},
      {"a/b/", "invalid reference format"},
      {"/a", "invalid reference format"},
      {"a..b", "invalid reference format"},
      {"-a", "invalid reference format"},
      {"a-", "invalid reference format"},
      {"a_-b", "invalid reference format"},
      {"a___b", "invalid reference format"},
      {"nginx@sha256:abc", "digest"},
      {"nginx@sha256:" HEX64 "0", "digest"},
      {"nginx@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "digest"},
      {"nginx@md5:" HEX64, "unsupported digest algorithm"},
      {"nginx@" HEX64, "no algorithm"},
      {HEX64, "image ID"},
      {"-host.com/a", "invalid reference format"},
      {"ho_st.com:5000/a", "registry"},
      {"host.com:50a0/a", "registry"},
      {"host.com:/a", "registry"},
      {"[zz]:5000/a", "registry"},
      {"nginx:latest:again", "invalid reference format"},
      {"spaces in/name", "invalid reference format"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    ImageRef r = {0};
    Error err = ERROR_INIT;
    int rc = image_ref_parse(cases[i].in, &r, &err);
    if (rc != -EINVAL)
      fail_msg("\"%s\" parsed (rc %d)", cases[i].in, rc);
    assert_non_null(err.message);
    if (!strstr(err.message, "couldn't parse image name") || !strstr(err.message, cases[i].fragment))
      fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].in, err.message, cases[i].fragment);
    assert_null(r.domain);
    error_reset(&err);
  }
  /* Length limits: 255 for the name, 128 for the tag. */
  char name[300];
  memset(name, 'a', sizeof name);
  name[256] = 0;
  Error err = ERROR_INIT;
  ImageRef r = {0};
  assert_int_equal(image_ref_parse(name, &r, &err), -EINVAL);
  assert_non_null(strstr(err.message, "255"));
  error_reset(&err);
  char tagged[200];
  snprintf(tagged, sizeof tagged, "a:%0129d", 0);
  assert_int_equal(image_ref_parse(tagged, &r, NULL), -EINVAL);
  snprintf(tagged, sizeof tagged, "a:%0128d", 0);
  assert_int_equal(image_ref_parse(tagged, &r, NULL), 0);
  image_ref_done(&r);
}

static const char *const manifest_oci =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:" HEX64
    "\",\"size\":123},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" HEX64B
    "\",\"size\":1000},{\"mediaType\":\"application/"
    "vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"sha256:" HEX64 "\",\"size\":5}]}";

static void test_manifest_parse(void **state) {
  ImageManifest m = {0};
  Error err = ERROR_INIT;
  assert_int_equal(image_manifest_parse(manifest_oci, strlen(manifest_oci), MEDIA_OCI_MANIFEST, &m, &err), 0);
  assert_int_equal(m.kind, IMAGE_MANIFEST_OCI);
  assert_string_equal(m.config.digest, "sha256:" HEX64);
  assert_int_equal(m.config.size, 123);
  assert_int_equal(m.n_layers, 2);
  assert_string_equal(m.layers[0].digest, "sha256:" HEX64B);
  assert_int_equal(m.layers[1].size, 5);
  image_manifest_done(&m);
  /* Without a Content-Type (an archive) the mediaType field decides; parameters are ignored. */
  assert_int_equal(image_manifest_parse(manifest_oci, strlen(manifest_oci), NULL, &m, &err), 0);
  image_manifest_done(&m);
  assert_int_equal(image_manifest_parse(manifest_oci, strlen(manifest_oci),
                                        MEDIA_OCI_MANIFEST "; charset=utf-8", &m, &err),
                   0);
  image_manifest_done(&m);

  static const struct {
    const char *ct, *doc, *fragment;
  } bad[] = {
      {MEDIA_DOCKER_MANIFEST, NULL, "but was served as"}, /* doc is manifest_oci */
      {"application/vnd.docker.distribution.manifest.v1+prettyjws", "{}", "schema 1"},
      {NULL, "{\"schemaVersion\":1,\"fsLayers\":[]}", "schema 1"},
      {"application/x-weird", "{}", "unsupported manifest media type"},
      {NULL, "[]", "not a JSON object"},
      {NULL, "{\"schemaVersion\":2,", "invalid manifest"},
      {MEDIA_OCI_MANIFEST,
       "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}",
       "invalid digest"},
      {MEDIA_OCI_MANIFEST,
       "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" HEX64 "\",\"size\":-1},\"layers\":[]}",
       "size"},
      {MEDIA_OCI_MANIFEST,
       "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" HEX64
       "\",\"size\":1},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+lz4\",\"digest\":"
       "\"sha256:" HEX64 "\",\"size\":1}]}",
       "unsupported media type"},
      {MEDIA_OCI_MANIFEST, "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:" HEX64 "\",\"size\":1}}",
       "no layers"},
      {MEDIA_OCI_INDEX, "{\"schemaVersion\":2,\"manifests\":{}}", "no manifests array"},
      {MEDIA_OCI_INDEX,
       "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:" HEX64 "\",\"size\":1,\"platform\":{}}]}",
       "platform needs os and architecture"},
  };
  for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
    const char *doc = bad[i].doc ? bad[i].doc : manifest_oci;
    int rc = image_manifest_parse(doc, strlen(doc), bad[i].ct, &m, &err);
    if (rc >= 0)
      fail_msg("case %zu parsed", i);
    if (!err.message || !strstr(err.message, bad[i].fragment))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].fragment);
    error_reset(&err);
  }
}

#define ENTRY(digest, plat)                                                                                  \
  "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" digest                \
  "\",\"size\":10" plat "}"

static void test_index_select(void **state) {
  static const char doc[] =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[" ENTRY(
          "1111111111111111111111111111111111111111111111111111111111111111",
          ",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}") "," //
      ENTRY("2222222222222222222222222222222222222222222222222222222222222222",
            ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") "," //
      ENTRY("3333333333333333333333333333333333333333333333333333333333333333",
            ",\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}") "," //
      ENTRY("4444444444444444444444444444444444444444444444444444444444444444",
            ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}") "," //
      ENTRY("5555555555555555555555555555555555555555555555555555555555555555",
            ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}") "," //
      ENTRY("6666666666666666666666666666666666666666666666666666666666666666",
            ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v6\"}") "]}";
  ImageManifest m = {0};
  Error err = ERROR_INIT;
  assert_int_equal(image_manifest_parse(doc, strlen(doc), MEDIA_OCI_INDEX, &m, &err), 0);
  assert_true(image_manifest_kind_is_index(m.kind));
  assert_int_equal(m.n_manifests, 6);
  size_t pick = 99;
  assert_int_equal(image_manifest_select(&m, "linux", "amd64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 3);
  assert_int_equal(image_manifest_select(&m, "linux", "x86_64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 3);
  assert_int_equal(image_manifest_select(&m, "linux", "arm64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 1);
  assert_int_equal(image_manifest_select(&m, "linux", "aarch64", "v8", &pick, &err), 0);
  assert_int_equal(pick, 1);
  assert_int_equal(image_manifest_select(&m, "linux", "arm", "v6", &pick, &err), 0);
  assert_int_equal(pick, 5);
  assert_int_equal(image_manifest_select(&m, "windows", "amd64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 2);
  assert_int_equal(image_manifest_select(&m, "linux", "s390x", NULL, &pick, &err), -ENOENT);
  assert_non_null(strstr(err.message, "no image for linux/s390x"));
  assert_non_null(strstr(err.message, "linux/amd64"));
  error_reset(&err);
  image_manifest_done(&m);

  /* A Docker manifest list, and an index whose only entry has no platform (a nested index). */
  static const char list[] =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.list.v2+json\","
      "\"manifests\":[{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"digest\":"
      "\"sha256:" HEX64 "\",\"size\":7,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
  assert_int_equal(image_manifest_parse(list, strlen(list), MEDIA_DOCKER_LIST, &m, &err), 0);
  assert_int_equal(m.kind, IMAGE_MANIFEST_DOCKER_LIST);
  assert_int_equal(image_manifest_select(&m, "linux", "amd64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 0);
  image_manifest_done(&m);
  static const char nested[] =
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
      "\"digest\":\"sha256:" HEX64
      "\",\"size\":7,\"annotations\":{\"org.opencontainers.image.ref.name\":\"multi\","
      "\"io.containerd.image.name\":\"docker.io/library/x:1\"}}]}";
  assert_int_equal(image_manifest_parse(nested, strlen(nested), NULL, &m, &err), 0);
  assert_int_equal(m.kind, IMAGE_MANIFEST_OCI_INDEX);
  assert_string_equal(m.manifests[0].ref_name, "multi");
  assert_string_equal(m.manifests[0].containerd_name, "docker.io/library/x:1");
  assert_int_equal(image_manifest_select(&m, "linux", "amd64", NULL, &pick, &err), 0);
  assert_int_equal(pick, 0);
  image_manifest_done(&m);
}

static void test_config_parse(void **state) {
  static const char cfg[] =
      "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" HEX64 "\",\"sha256:" HEX64B "\"]}}";
  ImageConfig c = {0};
  Error err = ERROR_INIT;
  assert_int_equal(image_config_parse(cfg, strlen(cfg), &c, &err), 0);
  assert_int_equal(c.n_diff_ids, 2);
  assert_string_equal(c.diff_ids[1], "sha256:" HEX64B);
  assert_null(c.diff_ids[2]);
  assert_string_equal(c.os, "linux");
  assert_string_equal(c.architecture, "amd64");
  image_config_done(&c);
  static const char bad[] = "{\"rootfs\":{\"diff_ids\":[\"md5:x\"]}}";
  assert_int_equal(image_config_parse(bad, strlen(bad), &c, &err), -EBADMSG);
  assert_non_null(strstr(err.message, "diff_ids[0]"));
  error_reset(&err);
}

static void test_registries(void **state) {
  static const char yaml[] = "mirrors:\n"
                             "  docker.io:\n"
                             "    endpoint:\n"
                             "      - \"http://127.0.0.1:5000\"\n"
                             "      - \"https://mirror.example.com/prefix/\"\n"
                             "    rewrite:\n"
                             "      \"^library/(.*)\": \"hub/$1\"\n"
                             "  \"*\":\n"
                             "    endpoint: [\"https://everything.example.com/v2\"]\n"
                             "configs:\n"
                             "  \"127.0.0.1:5000\":\n"
                             "    auth: {username: alice, password: s3cret}\n"
                             "  mirror.example.com:\n"
                             "    auth: {auth: \"Ym9iOnB3\"}\n" /* bob:pw */
                             "    tls: {insecure_skip_verify: true, ca_file: /ca.pem}\n";
  RegistryConfig *c = NULL;
  Error err = ERROR_INIT;
  if (registry_config_parse(yaml, strlen(yaml), "registries.yaml", &c, &err) < 0)
    fail_msg("%s", err.message);
  ImageRef ref = {0};
  assert_int_equal(image_ref_parse("busybox:1.36", &ref, NULL), 0);
  RegistryEndpoint *eps = NULL;
  size_t n = 0;
  assert_int_equal(registry_config_endpoints(c, &ref, NULL, &eps, &n, &err), 0);
  assert_int_equal(n, 3);
  assert_string_equal(eps[0].url, "http://127.0.0.1:5000/v2");
  assert_string_equal(eps[0].host, "127.0.0.1:5000");
  assert_string_equal(eps[0].repository, "hub/busybox");
  assert_string_equal(eps[0].auth.username, "alice");
  assert_string_equal(eps[0].auth.password, "s3cret");
  assert_false(eps[0].is_default);
  assert_string_equal(eps[1].url, "https://mirror.example.com/prefix/v2");
  assert_string_equal(eps[1].auth.username, "bob");
  assert_string_equal(eps[1].auth.password, "pw");
  assert_true(eps[1].tls.insecure_skip_verify);
  assert_string_equal(eps[1].tls.ca_file, "/ca.pem");
  assert_string_equal(eps[2].url, "https://registry-1.docker.io/v2");
  assert_string_equal(eps[2].repository, "library/busybox");
  assert_true(eps[2].is_default);
  assert_null(eps[2].auth.username);
  registry_endpoints_free(eps, n);
  image_ref_done(&ref);

  /* "*" covers registries without an entry; loopback registries default to plain HTTP; credentials from a
   * pull secret fill in where registries.yaml has none. */
  assert_int_equal(image_ref_parse("quay.io/x/y", &ref, NULL), 0);
  RegistryAuth secret = {.username = "sec", .password = "ret"};
  assert_int_equal(registry_config_endpoints(c, &ref, &secret, &eps, &n, &err), 0);
  assert_int_equal(n, 2);
  assert_string_equal(eps[0].url, "https://everything.example.com/v2");
  assert_string_equal(eps[0].repository, "x/y");
  assert_string_equal(eps[1].url, "https://quay.io/v2");
  assert_string_equal(eps[1].auth.username, "sec");
  registry_endpoints_free(eps, n);
  image_ref_done(&ref);
  registry_config_free(c);

  c = NULL;
  assert_int_equal(registry_config_parse("", 0, "empty", &c, &err), 0);
  assert_int_equal(image_ref_parse("localhost:5000/app:1", &ref, NULL), 0);
  assert_int_equal(registry_config_endpoints(c, &ref, NULL, &eps, &n, &err), 0);
  assert_int_equal(n, 1);
  assert_string_equal(eps[0].url, "http://localhost:5000/v2");
  registry_endpoints_free(eps, n);
  image_ref_done(&ref);
  registry_config_free(c);

  static const struct {
    const char *doc, *fragment;
  } bad[] = {
      {"mirrors: [1]\n", "must be mappings"},
      {"mirors: {}\n", "unknown key"},
      {"mirrors:\n  docker.io:\n    endpoints: [x]\n", "unknown key mirrors[\"docker.io\"].endpoints"},
      {"mirrors:\n  docker.io:\n    endpoint: [\"ftp://x\"]\n", "only http:// and https://"},
      {"mirrors:\n  docker.io:\n    rewrite: {\"(\": x}\n", "pattern"},
      {"configs:\n  h:\n    tls: {insecure_skip_verify: \"yes\"}\n", "true or false"},
      {"configs:\n  h:\n    auth: {username: [1]}\n", "must be a string"},
      {"- a\n", "must be a mapping"},
  };
  for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
    c = NULL;
    if (registry_config_parse(bad[i].doc, strlen(bad[i].doc), "r.yaml", &c, &err) >= 0)
      fail_msg("case %zu parsed", i);
    if (!strstr(err.message, bad[i].fragment) || !strstr(err.message, "r.yaml"))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.message, bad[i].fragment);
    error_reset(&err);
  }
  /* A missing file is an empty configuration. */
  assert_int_equal(registry_config_load("/nonexistent/registries.yaml", &c, &err), 0);
  registry_config_free(c);
}

static void test_challenge(void **state) {
  RegistryChallenge ch = {0};
  assert_int_equal(
      registry_challenge_parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry."
                               "example.com\",scope=\"repository:a/b:pull\"",
                               &ch),
      0);
  assert_string_equal(ch.scheme, "Bearer");
  assert_string_equal(registry_challenge_get(&ch, "realm"), "https://auth.example.com/token");
  assert_string_equal(registry_challenge_get(&ch, "service"), "registry.example.com");
  assert_string_equal(registry_challenge_get(&ch, "scope"), "repository:a/b:pull");
  assert_null(registry_challenge_get(&ch, "error"));
  registry_challenge_done(&ch);
  assert_int_equal(registry_challenge_parse("Basic realm=\"Registry \\\"Realm\\\"\"", &ch), 0);
  assert_string_equal(ch.scheme, "Basic");
  assert_string_equal(registry_challenge_get(&ch, "REALM"), "Registry \"Realm\"");
  registry_challenge_done(&ch);
  assert_int_equal(registry_challenge_parse("Bearer realm=unquoted, service=x", &ch), 0);
  assert_string_equal(registry_challenge_get(&ch, "realm"), "unquoted");
  assert_string_equal(registry_challenge_get(&ch, "service"), "x");
  registry_challenge_done(&ch);
  assert_int_equal(registry_challenge_parse("Bearer realm=\"unterminated", &ch), -EINVAL);
  assert_int_equal(registry_challenge_parse("", &ch), -EINVAL);
}

static void test_format_size(void **state) {
  static const struct {
    int64_t n;
    const char *want;
  } cases[] = {
      {0, "0B"},           {999, "999B"},        {1000, "1kB"},
      {4259, "4.259kB"},   {1294336, "1.294MB"}, {52428800, "52.43MB"},
      {1000000000, "1GB"}, {-5, "0B"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    char buf[32];
    image_format_size(cases[i].n, buf);
    assert_string_equal(buf, cases[i].want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reference_normalised),
      cmocka_unit_test(test_reference_invalid),
      cmocka_unit_test(test_manifest_parse),
      cmocka_unit_test(test_index_select),
      cmocka_unit_test(test_config_parse),
      cmocka_unit_test(test_registries),
      cmocka_unit_test(test_challenge),
      cmocka_unit_test(test_format_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
