/* Unit tests for the kubelet's volumes and environment: volume file paths, ConfigMap/Secret/downwardAPI
 * projection (items, modes, optional), the atomic writer's layout and in-place updates, hostPath type
 * checks, environment assembly (service links < envFrom < env, $(VAR) expansion), resourceFieldRef and
 * image pull secret matching. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agent/kubelet/env.h"
#include "agent/kubelet/pullsecrets.h"
#include "agent/kubelet/volumes.h"
#include "api/jsonutil.h"
#include "base/base64.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s: %s", e.text, text);
  return j;
}

static const VolumeFile *file(const VolumePayload *p, const char *path) {
  for (size_t i = 0; i < p->n; i++)
    if (streq(p->files[i].path, path))
      return &p->files[i];
  return NULL;
}

static void assert_file(const VolumePayload *p, const char *path, const char *data, unsigned mode) {
  const VolumeFile *f = file(p, path);
  if (!f)
    fail_msg("no file %s", path);
  assert_int_equal(f->len, strlen(data));
  assert_memory_equal(f->data, data, f->len);
  assert_int_equal(f->mode, mode);
}

static void test_path_valid(void **state) {
  assert_true(volume_path_valid("key"));
  assert_true(volume_path_valid("dir/key.txt"));
  assert_true(volume_path_valid("a..b"));
  assert_false(volume_path_valid(""));
  assert_false(volume_path_valid("/etc/passwd"));
  assert_false(volume_path_valid(".."));
  assert_false(volume_path_valid("..data"));
  assert_false(volume_path_valid("a/../../b"));
  assert_false(volume_path_valid("a/.."));
}

static void test_project_configmap(void **state) {
  _cleanup_json_ json_t *cm = J("{\"data\":{\"game.properties\":\"lives=3\",\"ui\":\"dark\"},"
                                "\"binaryData\":{\"bin\":\"AAEC\"}}");
  _cleanup_(volume_payload_done) VolumePayload p = {0};
  Error err = ERROR_INIT;
  assert_int_equal(volume_project_object(&p, cm, false, "cfg", NULL, 0644, false, &err), 0);
  assert_int_equal(p.n, 3);
  assert_file(&p, "game.properties", "lives=3", 0644);
  const VolumeFile *bin = file(&p, "bin");
  assert_non_null(bin);
  assert_int_equal(bin->len, 3);
  assert_int_equal(bin->data[2], 2);
  volume_payload_done(&p);
  /* items pick keys, rename them, and carry their own mode. */
  _cleanup_json_ json_t *items = J("[{\"key\":\"ui\",\"path\":\"conf/ui.cfg\",\"mode\":256}]");
  assert_int_equal(volume_project_object(&p, cm, false, "cfg", items, 0600, false, &err), 0);
  assert_int_equal(p.n, 1);
  assert_file(&p, "conf/ui.cfg", "dark", 0400);
  volume_payload_done(&p);
  /* A missing key fails unless optional. */
  _cleanup_json_ json_t *bad = J("[{\"key\":\"nope\",\"path\":\"x\"}]");
  assert_int_equal(volume_project_object(&p, cm, false, "cfg", bad, 0644, false, &err), -ENOENT);
  assert_string_equal(err.message, "configmap references non-existent config key: nope");
  error_reset(&err);
  assert_int_equal(volume_project_object(&p, cm, false, "cfg", bad, 0644, true, &err), 0);
  assert_int_equal(p.n, 0);
  /* A missing object likewise. */
  assert_int_equal(volume_project_object(&p, NULL, false, "gone", NULL, 0644, false, &err), -ENOENT);
  assert_string_equal(err.message, "configmap \"gone\" not found");
  error_reset(&err);
  assert_int_equal(volume_project_object(&p, NULL, true, "gone", NULL, 0644, true, &err), 0);
  /* Paths escaping the volume are refused. */
  _cleanup_json_ json_t *evil = J("[{\"key\":\"ui\",\"path\":\"../../etc/x\"}]");
  assert_int_equal(volume_project_object(&p, cm, false, "cfg", evil, 0644, false, &err), -EINVAL);
  error_reset(&err);
}

static void test_project_secret(void **state) {
  _cleanup_json_ json_t *s = J("{\"data\":{\"password\":\"czNjcjN0\",\"user\":\"YWRtaW4=\"}}");
  _cleanup_(volume_payload_done) VolumePayload p = {0};
  Error err = ERROR_INIT;
  assert_int_equal(volume_project_object(&p, s, true, "db", NULL, 0400, false, &err), 0);
  assert_file(&p, "password", "s3cr3t", 0400);
  assert_file(&p, "user", "admin", 0400);
  _cleanup_json_ json_t *items = J("[{\"key\":\"user\",\"path\":\"user\"}]");
  assert_int_equal(volume_project_object(&p, s, true, "db", items, 0644, false, &err), 0);
  assert_file(&p, "user", "admin", 0644); /* a later source replaces the file */
  _cleanup_json_ json_t *bad = J("[{\"key\":\"x\",\"path\":\"x\"}]");
  assert_int_equal(volume_project_object(&p, s, true, "db", bad, 0644, false, &err), -ENOENT);
  assert_string_equal(err.message, "secret references non-existent secret key: x");
  error_reset(&err);
}

static void test_project_downward(void **state) {
  _cleanup_json_ json_t *pod =
      J("{\"metadata\":{\"name\":\"web\",\"namespace\":\"prod\",\"uid\":\"u-1\","
        "\"labels\":{\"tier\":\"front\",\"app\":\"web\"},\"annotations\":{\"note\":\"say \\\"hi\\\"\\n\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":{\"memory\":\"64Mi\",\"cpu\":"
        "\"250m\"}}}]}}");
  _cleanup_json_ json_t *items =
      J("[{\"path\":\"labels\",\"fieldRef\":{\"fieldPath\":\"metadata.labels\"}},"
        "{\"path\":\"annotations\",\"fieldRef\":{\"fieldPath\":\"metadata.annotations\"}},"
        "{\"path\":\"name\",\"fieldRef\":{\"fieldPath\":\"metadata.name\"},\"mode\":384},"
        "{\"path\":\"tier\",\"fieldRef\":{\"fieldPath\":\"metadata.labels['tier']\"}},"
        "{\"path\":\"mem\",\"resourceFieldRef\":{\"containerName\":\"c\",\"resource\":\"limits.memory\","
        "\"divisor\":\"1Mi\"}},"
        "{\"path\":\"cpu\",\"resourceFieldRef\":{\"containerName\":\"c\",\"resource\":\"limits.cpu\","
        "\"divisor\":\"1m\"}}]");
  _cleanup_(volume_payload_done) VolumePayload p = {0};
  Error err = ERROR_INIT;
  assert_int_equal(volume_project_downward(&p, pod, "10.0.0.1", items, 0644, &err), 0);
  assert_file(&p, "labels", "app=\"web\"\ntier=\"front\"", 0644);
  assert_file(&p, "annotations", "note=\"say \\\"hi\\\"\\n\"", 0644);
  assert_file(&p, "name", "web", 0600);
  assert_file(&p, "tier", "front", 0644);
  assert_file(&p, "mem", "64", 0644);
  assert_file(&p, "cpu", "250", 0644);
  _cleanup_json_ json_t *bad = J("[{\"path\":\"ip\",\"fieldRef\":{\"fieldPath\":\"status.podIP\"}}]");
  assert_int_equal(volume_project_downward(&p, pod, NULL, bad, 0644, &err), -EINVAL);
  error_reset(&err);
}

static char *read_link_at(const char *dir, const char *name) {
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
  char buf[PATH_MAX];
  ssize_t n = readlink(p, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  return xstrndup(buf, (size_t)n);
}

static char *read_at(const char *dir, const char *name) {
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
  char *data = NULL;
  if (read_file(p, &data, NULL) < 0)
    return NULL;
  return data;
}

static void test_atomic_writer(void **state) {
  char tmpl[] = "/tmp/coracle-volumes-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  VolumePayload p = {0};
  volume_payload_add(&p, "a", "one", 3, 0644);
  volume_payload_add(&p, "dir/b", "two", 3, 0600);
  Error err = ERROR_INIT;
  bool changed = false;
  assert_int_equal(volume_atomic_write(tmpl, &p, &changed, &err), 0);
  assert_true(changed);
  _cleanup_free_ char *a = read_at(tmpl, "a"), *b = read_at(tmpl, "dir/b");
  assert_string_equal(a, "one");
  assert_string_equal(b, "two");
  _cleanup_free_ char *la = read_link_at(tmpl, "a"), *ld = read_link_at(tmpl, "dir"),
                      *data1 = read_link_at(tmpl, "..data");
  assert_string_equal(la, "..data/a");
  assert_string_equal(ld, "..data/dir");
  assert_true(startswith(data1, ".."));
  _cleanup_free_ char *bpath = xasprintf("%s/dir/b", tmpl);
  struct stat st;
  assert_int_equal(stat(bpath, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  /* The same payload again changes nothing. */
  assert_int_equal(volume_atomic_write(tmpl, &p, &changed, &err), 0);
  assert_false(changed);
  _cleanup_free_ char *data2 = read_link_at(tmpl, "..data");
  assert_string_equal(data1, data2);
  /* An update: new value, a key gone, a key added; the old data directory goes. */
  volume_payload_done(&p);
  volume_payload_add(&p, "a", "uno", 3, 0644);
  volume_payload_add(&p, "c", "tres", 4, 0644);
  assert_int_equal(volume_atomic_write(tmpl, &p, &changed, &err), 0);
  assert_true(changed);
  _cleanup_free_ char *a2 = read_at(tmpl, "a"), *c = read_at(tmpl, "c"),
                      *data3 = read_link_at(tmpl, "..data");
  assert_string_equal(a2, "uno");
  assert_string_equal(c, "tres");
  assert_string_not_equal(data3, data1);
  _cleanup_free_ char *dpath = xasprintf("%s/dir", tmpl), *old = xasprintf("%s/%s", tmpl, data1);
  assert_int_equal(lstat(dpath, &st), -1);
  assert_int_equal(lstat(old, &st), -1);
  /* A mode change alone is a change too. */
  volume_payload_done(&p);
  volume_payload_add(&p, "a", "uno", 3, 0400);
  volume_payload_add(&p, "c", "tres", 4, 0644);
  assert_int_equal(volume_atomic_write(tmpl, &p, &changed, &err), 0);
  assert_true(changed);
  /* Empty: every link goes. */
  volume_payload_done(&p);
  assert_int_equal(volume_atomic_write(tmpl, &p, &changed, &err), 0);
  _cleanup_free_ char *apath = xasprintf("%s/a", tmpl);
  assert_int_equal(lstat(apath, &st), -1);
  volume_payload_done(&p);
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", tmpl);
  assert_int_equal(system(cmd), 0);
}

static void test_host_path(void **state) {
  char tmpl[] = "/tmp/coracle-hostpath-XXXXXX";
  assert_non_null(mkdtemp(tmpl));
  Error err = ERROR_INIT;
  _cleanup_free_ char *d = xasprintf("%s/new/dir", tmpl), *f = xasprintf("%s/sub/file", tmpl);
  assert_int_equal(volume_host_path_check(d, "Directory", &err), -ENOTDIR);
  _cleanup_free_ char *msg = xasprintf("hostPath type check failed: %s is not a directory", d);
  assert_string_equal(err.message, msg);
  error_reset(&err);
  assert_int_equal(volume_host_path_check(d, "DirectoryOrCreate", &err), 0);
  assert_int_equal(volume_host_path_check(d, "Directory", &err), 0);
  assert_int_equal(volume_host_path_check(d, "File", &err), -EINVAL);
  error_reset(&err);
  assert_int_equal(volume_host_path_check(f, "FileOrCreate", &err), 0);
  assert_int_equal(volume_host_path_check(f, "File", &err), 0);
  assert_int_equal(volume_host_path_check(f, "Socket", &err), -EINVAL);
  _cleanup_free_ char *m2 = xasprintf("hostPath type check failed: %s is not a socket file", f);
  assert_string_equal(err.message, m2);
  error_reset(&err);
  assert_int_equal(volume_host_path_check("/dev/null", "CharDevice", &err), 0);
  assert_int_equal(volume_host_path_check("/nonexistent/x", "", &err), 0);
  assert_int_equal(volume_host_path_check(d, "Bogus", &err), -EINVAL);
  error_reset(&err);
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", tmpl);
  assert_int_equal(system(cmd), 0);
}

static const char *env_get(json_t *env, const char *name) {
  size_t i;
  json_t *v;
  const char *found = NULL;
  json_array_foreach(env, i, v) {
    if (streq_ptr(jstr(v, "name"), name)) {
      if (found)
        fail_msg("%s appears twice", name);
      found = jstr(v, "value");
    }
  }
  return found;
}

static void test_env_names(void **state) {
  assert_true(kubelet_env_name_valid("MY_VAR"));
  assert_true(kubelet_env_name_valid("my.env-name"));
  assert_true(kubelet_env_name_valid("_x1"));
  assert_false(kubelet_env_name_valid("1abc"));
  assert_false(kubelet_env_name_valid("a b"));
  assert_false(kubelet_env_name_valid("a=b"));
  assert_false(kubelet_env_name_valid("."));
  assert_false(kubelet_env_name_valid("..x"));
  assert_false(kubelet_env_name_valid(""));
}

static void test_service_env(void **state) {
  _cleanup_json_ json_t *svcs =
      J("[{\"metadata\":{\"name\":\"redis-primary\"},\"spec\":{\"clusterIP\":\"10.43.0.11\",\"ports\":["
        "{\"name\":\"client\",\"port\":6379,\"protocol\":\"TCP\"},{\"name\":\"gossip\",\"port\":16379,"
        "\"protocol\":\"UDP\"}]}},"
        "{\"metadata\":{\"name\":\"headless\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80}]}},"
        "{\"metadata\":{\"name\":\"kubernetes\"},\"spec\":{\"clusterIP\":\"10.43.0.1\",\"ports\":["
        "{\"name\":\"https\",\"port\":443}]}}]");
  _cleanup_json_ json_t *env = kubelet_service_env(svcs);
  assert_string_equal(env_get(env, "REDIS_PRIMARY_SERVICE_HOST"), "10.43.0.11");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_SERVICE_PORT"), "6379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_SERVICE_PORT_CLIENT"), "6379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_SERVICE_PORT_GOSSIP"), "16379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT"), "tcp://10.43.0.11:6379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT_6379_TCP"), "tcp://10.43.0.11:6379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT_6379_TCP_PROTO"), "tcp");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT_6379_TCP_PORT"), "6379");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT_6379_TCP_ADDR"), "10.43.0.11");
  assert_string_equal(env_get(env, "REDIS_PRIMARY_PORT_16379_UDP"), "udp://10.43.0.11:16379");
  assert_string_equal(env_get(env, "KUBERNETES_SERVICE_HOST"), "10.43.0.1");
  assert_string_equal(env_get(env, "KUBERNETES_SERVICE_PORT_HTTPS"), "443");
  assert_string_equal(env_get(env, "KUBERNETES_PORT_443_TCP"), "tcp://10.43.0.1:443");
  assert_null(env_get(env, "HEADLESS_SERVICE_HOST"));
  /* Sorted by service name: kubernetes before redis-primary. */
  assert_string_equal(jstr(json_array_get(env, 0), "name"), "KUBERNETES_SERVICE_HOST");
}

static void test_env_assemble(void **state) {
  _cleanup_json_ json_t *ctr =
      J("{\"env\":["
        "{\"name\":\"A\",\"value\":\"a-$(FROM_CM)\"},"
        "{\"name\":\"FROM_CM\",\"value\":\"overridden\"},"
        "{\"name\":\"B\",\"value\":\"$(A)/$(FOO_SERVICE_HOST)/$(UNDEF)/$$(A)\"},"
        "{\"name\":\"SECRET\",\"valueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\"}}},"
        "{\"name\":\"OPT\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"s\",\"key\":\"k\","
        "\"optional\":true}}},"
        "{\"name\":\"FOO_SERVICE_PORT\",\"value\":\"1\"},"
        "{\"name\":\"EMPTY\"}]}");
  _cleanup_json_ json_t *from = J("{\"FROM_CM\":\"cm\",\"OTHER\":\"o\"}");
  _cleanup_json_ json_t *vals = J("{\"SECRET\":\"shh\"}");
  _cleanup_json_ json_t *svc = J("[{\"name\":\"FOO_SERVICE_HOST\",\"value\":\"10.0.0.5\"},"
                                 "{\"name\":\"FOO_SERVICE_PORT\",\"value\":\"80\"}]");
  _cleanup_json_ json_t *env = kubelet_env_assemble(ctr, from, vals, svc);
  assert_string_equal(env_get(env, "A"), "a-cm");
  assert_string_equal(env_get(env, "FROM_CM"), "overridden"); /* env over envFrom */
  assert_string_equal(env_get(env, "OTHER"), "o");
  assert_string_equal(env_get(env, "B"), "a-cm/10.0.0.5/$(UNDEF)/$(A)");
  assert_string_equal(env_get(env, "SECRET"), "shh");
  assert_null(env_get(env, "OPT"));                           /* optional and missing: left out */
  assert_string_equal(env_get(env, "FOO_SERVICE_PORT"), "1"); /* env over service links */
  assert_string_equal(env_get(env, "FOO_SERVICE_HOST"), "10.0.0.5");
  assert_string_equal(env_get(env, "EMPTY"), "");
  /* Service variables come last. */
  assert_string_equal(jstr(json_array_get(env, json_array_size(env) - 1), "name"), "FOO_SERVICE_HOST");
}

static void test_resource_field_ref(void **state) {
  _cleanup_json_ json_t *ctr = J("{\"resources\":{\"limits\":{\"cpu\":\"1500m\",\"memory\":\"128Mi\"},"
                                 "\"requests\":{\"cpu\":\"100m\"}}}");
  _cleanup_json_ json_t *none = J("{}");
  _cleanup_json_ json_t *mi = json_string("1Mi"), *m1 = json_string("1m"), *zero = json_string("0");
  Error err = ERROR_INIT;
  char *v = NULL;
  assert_int_equal(kubelet_resource_field_ref(ctr, "limits.cpu", NULL, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "2"); /* rounded up */
  free(v);
  assert_int_equal(kubelet_resource_field_ref(ctr, "limits.cpu", m1, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "1500");
  free(v);
  assert_int_equal(kubelet_resource_field_ref(ctr, "requests.cpu", m1, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "100");
  free(v);
  assert_int_equal(kubelet_resource_field_ref(ctr, "limits.memory", mi, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "128");
  free(v);
  /* No limit: the node's capacity. */
  assert_int_equal(kubelet_resource_field_ref(none, "limits.memory", NULL, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "1073741824");
  free(v);
  assert_int_equal(kubelet_resource_field_ref(none, "limits.cpu", NULL, 2000, 1 << 30, &v, &err), 0);
  assert_string_equal(v, "2");
  free(v);
  assert_int_equal(kubelet_resource_field_ref(ctr, "limits.gpu", NULL, 2000, 1 << 30, &v, &err), -EINVAL);
  error_reset(&err);
  assert_int_equal(kubelet_resource_field_ref(ctr, "limits.cpu", zero, 2000, 1 << 30, &v, &err), -EINVAL);
  error_reset(&err);
}

static void test_field_ref(void **state) {
  _cleanup_json_ json_t *pod =
      J("{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"labels\":{\"a\":\"b\"}},"
        "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"podIP\":\"10.42.0.5\"}}");
  char *v;
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "metadata.name")), "p");
  free(v);
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "metadata.labels['a']")), "b");
  free(v);
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "metadata.labels['zz']")), "");
  free(v);
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "spec.nodeName")), "n1");
  free(v);
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "status.hostIP")), "192.168.1.2");
  free(v);
  assert_string_equal((v = kubelet_field_ref(pod, "192.168.1.2", "status.podIP")), "10.42.0.5");
  free(v);
  assert_null(kubelet_field_ref(pod, NULL, "spec.containers"));
}

static void test_docker_config(void **state) {
  _cleanup_free_ char *b64 = base64_encode("alice:won:derland", 17, false);
  _cleanup_free_ char *text =
      xasprintf("{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"%s\"},"
                "\"https://registry.example.com/v1/\":{\"username\":\"bob\",\"password\":\"pw\"},"
                "\"registry.example.com/team\":{\"username\":\"team\",\"password\":\"tpw\"},"
                "\"*.corp.example\":{\"username\":\"glob\",\"password\":\"g\"},"
                "\"https://index.docker.io/v1/\":{\"username\":\"hub\",\"password\":\"h\"}}}",
                b64);
  _cleanup_json_ json_t *cfg = J(text);
  RegistryAuth a = {0};
  assert_int_equal(kubelet_docker_config_auth(cfg, "127.0.0.1:5000", "private/app", &a), 1);
  assert_string_equal(a.username, "alice");
  assert_string_equal(a.password, "won:derland");
  registry_auth_done(&a);
  assert_int_equal(kubelet_docker_config_auth(cfg, "127.0.0.1:5001", "private/app", &a), 0);
  assert_int_equal(kubelet_docker_config_auth(cfg, "registry.example.com", "other/app", &a), 1);
  assert_string_equal(a.username, "bob");
  registry_auth_done(&a);
  assert_int_equal(kubelet_docker_config_auth(cfg, "registry.example.com", "team/app", &a), 1);
  assert_string_equal(a.username, "team"); /* the most specific key */
  registry_auth_done(&a);
  assert_int_equal(kubelet_docker_config_auth(cfg, "registry.example.com", "teamx/app", &a), 1);
  assert_string_equal(a.username, "bob");
  registry_auth_done(&a);
  assert_int_equal(kubelet_docker_config_auth(cfg, "r.corp.example", "x", &a), 1);
  assert_string_equal(a.username, "glob");
  registry_auth_done(&a);
  assert_int_equal(kubelet_docker_config_auth(cfg, "a.b.corp.example", "x", &a), 0);
  assert_int_equal(kubelet_docker_config_auth(cfg, "docker.io", "library/busybox", &a), 1);
  assert_string_equal(a.username, "hub");
  registry_auth_done(&a);
  /* The legacy .dockercfg form has no "auths" level. */
  _cleanup_json_ json_t *legacy = J("{\"quay.io\":{\"username\":\"q\",\"password\":\"p\",\"email\":\"e\"}}");
  assert_int_equal(kubelet_docker_config_auth(legacy, "quay.io", "org/app", &a), 1);
  assert_string_equal(a.username, "q");
  registry_auth_done(&a);
}

/* The kubelet's environment goes over the image's as it is: no second expansion, container.env unread. */
static void test_spec_final_env(void **state) {
  _cleanup_json_ json_t *ctr = J("{\"name\":\"c\",\"command\":[\"echo\",\"$(A)\"],"
                                 "\"env\":[{\"name\":\"X\",\"value\":\"ignored\"}]}");
  _cleanup_json_ json_t *img = J("{\"Env\":[\"PATH=/bin\",\"A=img\",\"B=img\"]}");
  _cleanup_json_ json_t *fin =
      J("[{\"name\":\"A\",\"value\":\"final\"},{\"name\":\"C\",\"value\":\"$(A)\"}]");
  RuntimeSpecInput in = {.container = ctr,
                         .image_config = img,
                         .final_env = fin,
                         .rootfs = "/r",
                         .hostname = "p",
                         .cgroups_path = "/coracle/pods/u/c"};
  _cleanup_json_ json_t *config = NULL;
  Error err = ERROR_INIT;
  assert_int_equal(runtime_spec_build(&in, &config, &err), 0);
  _cleanup_free_ char *env = json_compact(jpath(config, "process.env"));
  assert_string_equal(env, "[\"PATH=/bin\",\"A=final\",\"B=img\",\"HOSTNAME=p\",\"C=$(A)\"]");
  _cleanup_free_ char *args = json_compact(jpath(config, "process.args"));
  assert_string_equal(args, "[\"echo\",\"final\"]");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_valid),     cmocka_unit_test(test_project_configmap),
      cmocka_unit_test(test_project_secret), cmocka_unit_test(test_project_downward),
      cmocka_unit_test(test_atomic_writer),  cmocka_unit_test(test_host_path),
      cmocka_unit_test(test_env_names),      cmocka_unit_test(test_service_env),
      cmocka_unit_test(test_env_assemble),   cmocka_unit_test(test_resource_field_ref),
      cmocka_unit_test(test_field_ref),      cmocka_unit_test(test_docker_config),
      cmocka_unit_test(test_spec_final_env),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
