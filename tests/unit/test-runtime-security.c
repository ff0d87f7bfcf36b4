/* Unit tests for the runtime's securityContext handling (runAsNonRoot, users and groups, capabilities,
 * sysctls, seccomp, privileged, procMount, read-only root), the pod cgroups per QoS class (values, names,
 * v1 and v2 writes, OOM counters) and container log rotation. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <zlib.h>

#include "agent/runtime/cgroup.h"
#include "agent/runtime/crilog.h"
#include "agent/runtime/logrotate.h"
#include "agent/runtime/security.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"
#include "base/strv.h"

static json_t *J(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  return j;
}

static bool has_string(json_t *a, const char *s) {
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) if (streq_ptr(json_string_value(v), s)) return true;
  return false;
}

static char *tmpdir(void) {
  char t[] = "/tmp/coracle-rt-XXXXXX";
  assert_non_null(mkdtemp(t));
  return xstrdup(t);
}

static void write_text(const char *path, const char *text) {
  assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/* ---- runAsNonRoot and sysctls ---- */

static int check(const char *pod_sc, const char *ctr_sc, const char *image_user, Error *e) {
  _cleanup_free_ char *text = xasprintf(
      "{\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"uid\":\"u1\"},\"spec\":{\"securityContext\":%s,"
      "\"containers\":[{\"name\":\"c\",\"securityContext\":%s}]}}",
      pod_sc, ctr_sc);
  _cleanup_json_ json_t *pod = J(text);
  _cleanup_json_ json_t *img = image_user ? json_pack("{s:s}", "User", image_user) : NULL;
  error_reset(e);
  return runtime_security_check(pod, json_array_get(jpath(pod, "spec.containers"), 0), img, e);
}

static void test_run_as_non_root(void **state) {
  Error e = ERROR_INIT;
  assert_int_equal(check("{}", "{}", NULL, &e), 0);                           /* not asked: anything goes */
  assert_int_equal(check("{\"runAsNonRoot\":true}", "{}", NULL, &e), -EPERM); /* no USER: root */
  assert_string_equal(
      e.message, "container has runAsNonRoot and image will run as root (pod: \"p_ns(u1)\", container: c)");
  assert_int_equal(check("{}", "{\"runAsNonRoot\":true}", "0:0", &e), -EPERM);
  assert_non_null(strstr(e.message, "image will run as root"));
  assert_int_equal(check("{\"runAsNonRoot\":true}", "{}", "app:staff", &e), -EPERM);
  assert_string_equal(e.message,
                      "container has runAsNonRoot and image has non-numeric user (app), cannot verify "
                      "user is non-root (pod: \"p_ns(u1)\", container: c)");
  assert_int_equal(check("{\"runAsNonRoot\":true}", "{}", "1000", &e), 0);
  /* runAsUser decides, the container's over the pod's. */
  assert_int_equal(check("{\"runAsNonRoot\":true,\"runAsUser\":1000}", "{}", "0", &e), 0);
  assert_int_equal(check("{\"runAsNonRoot\":true,\"runAsUser\":1000}", "{\"runAsUser\":0}", "app", &e),
                   -EPERM);
  assert_non_null(strstr(e.message, "container's runAsUser breaks non-root policy"));
  /* The container can turn the pod's requirement off. */
  assert_int_equal(check("{\"runAsNonRoot\":true}", "{\"runAsNonRoot\":false}", "0", &e), 0);
  error_reset(&e);
}

static void test_sysctls(void **state) {
  Error e = ERROR_INIT;
  assert_true(runtime_sysctl_is_safe("net.ipv4.ip_local_port_range"));
  assert_true(runtime_sysctl_is_safe("net/ipv4/tcp_syncookies"));
  assert_true(runtime_sysctl_is_safe("kernel.shm_rmid_forced"));
  assert_false(runtime_sysctl_is_safe("net.core.somaxconn"));
  assert_false(runtime_sysctl_is_safe("kernel.msgmax"));
  assert_int_equal(
      check("{\"sysctls\":[{\"name\":\"net.ipv4.ping_group_range\",\"value\":\"0 1000\"}]}", "{}", NULL, &e),
      0);
  assert_int_equal(
      check("{\"sysctls\":[{\"name\":\"net.core.somaxconn\",\"value\":\"1024\"}]}", "{}", NULL, &e), -EPERM);
  assert_string_equal(e.message, "forbidden sysctl: \"net.core.somaxconn\" not allowlisted");
  /* Never the node's own network settings. */
  _cleanup_json_ json_t *pod =
      J("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"hostNetwork\":true,\"securityContext\":"
        "{\"sysctls\":[{\"name\":\"net.ipv4.tcp_syncookies\",\"value\":\"1\"}]}}}");
  error_reset(&e);
  assert_int_equal(runtime_security_check(pod, NULL, NULL, &e), -EPERM);
  assert_non_null(strstr(e.message, "not allowed with host net enabled"));
  error_reset(&e);
  _cleanup_json_ json_t *sc =
      J("{\"sysctls\":[{\"name\":\"net/ipv4/ip_unprivileged_port_start\",\"value\":\"0\"}]}");
  _cleanup_json_ json_t *o = runtime_sysctls(sc);
  assert_string_equal(json_string_value(json_object_get(o, "net.ipv4.ip_unprivileged_port_start")), "0");
  assert_null(runtime_sysctls(NULL));
}

/* ---- capabilities ---- */

static json_t *caps_of(const char *sc, bool privileged, uint64_t bounding) {
  _cleanup_json_ json_t *j = J(sc);
  json_t *c = runtime_capabilities(j, privileged, bounding);
  json_t *b = json_incref(json_object_get(c, "bounding"));
  assert_true(json_equal(b, json_object_get(c, "effective")) &&
              json_equal(b, json_object_get(c, "permitted")));
  json_decref(c);
  return b;
}

static void test_capabilities(void **state) {
  _cleanup_json_ json_t *def = caps_of("{}", false, 0);
  assert_int_equal(json_array_size(def), 14); /* containerd's default set */
  assert_true(has_string(def, "CAP_NET_RAW") && has_string(def, "CAP_KILL"));
  assert_false(has_string(def, "CAP_SYS_ADMIN"));
  _cleanup_json_ json_t *none = caps_of("{\"capabilities\":{\"drop\":[\"ALL\"]}}", false, 0);
  assert_int_equal(json_array_size(none), 0);
  /* drop ALL, then the named adds; with or without CAP_, any case. */
  _cleanup_json_ json_t *one = caps_of(
      "{\"capabilities\":{\"drop\":[\"ALL\"],\"add\":[\"NET_BIND_SERVICE\",\"cap_sys_time\"]}}", false, 0);
  assert_int_equal(json_array_size(one), 2);
  assert_true(has_string(one, "CAP_NET_BIND_SERVICE") && has_string(one, "CAP_SYS_TIME"));
  _cleanup_json_ json_t *mixed =
      caps_of("{\"capabilities\":{\"add\":[\"CAP_NET_ADMIN\"],\"drop\":[\"kill\",\"NET_RAW\"]}}", false, 0);
  assert_true(has_string(mixed, "CAP_NET_ADMIN"));
  assert_false(has_string(mixed, "CAP_KILL") || has_string(mixed, "CAP_NET_RAW"));
  /* add ALL, drop one: everything the host has but that one; this host lacks CAP_SYS_RESOURCE (24). */
  uint64_t host = ((1ull << 41) - 1) & ~(1ull << 24);
  _cleanup_json_ json_t *all =
      caps_of("{\"capabilities\":{\"add\":[\"ALL\"],\"drop\":[\"CHOWN\"]}}", false, host);
  assert_int_equal(json_array_size(all), 39);
  assert_false(has_string(all, "CAP_CHOWN") || has_string(all, "CAP_SYS_RESOURCE"));
  /* Privileged: all of them whatever is dropped. */
  _cleanup_json_ json_t *priv = caps_of("{\"capabilities\":{\"drop\":[\"ALL\"]}}", true, host);
  assert_int_equal(json_array_size(priv), 40);
  assert_true(has_string(priv, "CAP_SYS_ADMIN") && has_string(priv, "CAP_BPF"));
  /* A name that is no capability goes to runc as written, which rejects it. */
  _cleanup_json_ json_t *bad = caps_of("{\"capabilities\":{\"add\":[\"BOGUS\"]}}", false, 0);
  assert_true(has_string(bad, "CAP_BOGUS"));
}

/* ---- groups ---- */

static void test_groups(void **state) {
  _cleanup_free_ char *dir = tmpdir(), *group = xasprintf("%s/group", dir);
  write_text(group, "root:x:0:\nwheel:x:10:root,app\napp:x:1000:app\nstaff:x:50:other,app\n");
  _cleanup_json_ json_t *sc = J("{\"fsGroup\":2000,\"supplementalGroups\":[4000,50]}");
  _cleanup_json_ json_t *g = runtime_additional_gids(sc, 3000, "app", group);
  _cleanup_free_ char *text = json_compact(g);
  /* the primary group, app's memberships (not its own-named group), fsGroup, supplementalGroups */
  assert_string_equal(text, "[3000,10,50,2000,4000]");
  _cleanup_json_ json_t *g2 = runtime_additional_gids(NULL, 0, NULL, NULL);
  _cleanup_free_ char *t2 = json_compact(g2);
  assert_string_equal(t2, "[0]");
  unlink(group);
  rmdir(dir);
}

/* ---- seccomp ---- */

static void test_seccomp(void **state) {
  Error e = ERROR_INIT;
  json_t *p = NULL;
  assert_int_equal(runtime_seccomp(NULL, NULL, false, false, NULL, &p, &e), 0);
  assert_null(p); /* the kubelet's default: Unconfined */
  _cleanup_json_ json_t *rd = J("{\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}");
  assert_int_equal(runtime_seccomp(rd, NULL, false, false, NULL, &p, &e), 0);
  assert_string_equal(jstr(p, "defaultAction"), "SCMP_ACT_ALLOW");
  json_t *names = json_object_get(json_array_get(json_object_get(p, "syscalls"), 0), "names");
  assert_true(has_string(names, "kexec_load") && has_string(names, "mount") && has_string(names, "unshare"));
  assert_string_equal(jstr(json_array_get(json_object_get(p, "syscalls"), 0), "action"), "SCMP_ACT_ERRNO");
  json_decref(p);
  /* With CAP_SYS_ADMIN kept, mounting is the container's business. */
  assert_int_equal(runtime_seccomp(rd, NULL, false, true, NULL, &p, &e), 0);
  names = json_object_get(json_array_get(json_object_get(p, "syscalls"), 0), "names");
  assert_false(has_string(names, "mount"));
  json_decref(p);
  /* The container's Unconfined wins over the pod's RuntimeDefault; privileged is always unconfined. */
  _cleanup_json_ json_t *unc = J("{\"seccompProfile\":{\"type\":\"Unconfined\"}}");
  assert_int_equal(runtime_seccomp(rd, unc, false, false, NULL, &p, &e), 0);
  assert_null(p);
  assert_int_equal(runtime_seccomp(rd, NULL, true, false, NULL, &p, &e), 0);
  assert_null(p);
  /* Localhost: a profile file under the root, Docker's "name" accepted. */
  _cleanup_free_ char *dir = tmpdir(), *sub = xasprintf("%s/profiles", dir),
                      *f = xasprintf("%s/audit.json", sub);
  mkdir(sub, 0755);
  write_text(
      f,
      "{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"name\":\"chmod\",\"action\":\"SCMP_ACT_ERRNO\"}],"
      "\"comment\":\"x\"}");
  _cleanup_json_ json_t *lh =
      J("{\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"profiles/audit.json\"}}");
  assert_int_equal(runtime_seccomp(NULL, lh, false, false, dir, &p, &e), 0);
  assert_string_equal(jstr(p, "defaultAction"), "SCMP_ACT_LOG");
  assert_null(json_object_get(p, "comment"));
  assert_true(
      has_string(json_object_get(json_array_get(json_object_get(p, "syscalls"), 0), "names"), "chmod"));
  json_decref(p);
  _cleanup_json_ json_t *missing =
      J("{\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"nope.json\"}}");
  assert_int_equal(runtime_seccomp(NULL, missing, false, false, dir, &p, &e), -EINVAL);
  assert_non_null(strstr(e.message, "cannot load seccomp profile"));
  error_reset(&e);
  _cleanup_json_ json_t *escape =
      J("{\"seccompProfile\":{\"type\":\"Localhost\",\"localhostProfile\":\"../etc/x\"}}");
  assert_int_equal(runtime_seccomp(NULL, escape, false, false, dir, &p, &e), -EINVAL);
  error_reset(&e);
  unlink(f);
  rmdir(sub);
  rmdir(dir);
}

/* ---- the whole config ---- */

static json_t *build(const char *ctr, const char *pod_sc, const char *img_user, Error *e) {
  _cleanup_json_ json_t *c = J(ctr), *psc = pod_sc ? J(pod_sc) : NULL;
  _cleanup_json_ json_t *img = json_pack("{s:s}", "User", img_user ? img_user : "");
  _cleanup_free_ char *dir = tmpdir();
  RuntimeSpecInput in = {.container = c,
                         .image_config = img,
                         .rootfs = "/r",
                         .hostname = "p",
                         .cgroups_path = "/coracle/pods/podu/c",
                         .pod_security_context = psc,
                         .host_cap_bounding = (1ull << 41) - 1,
                         .dev_dir = dir};
  json_t *cfg = NULL;
  int rc = runtime_spec_build(&in, &cfg, e);
  rmdir(dir);
  return rc < 0 ? NULL : cfg;
}

static void test_spec_security(void **state) {
  Error e = ERROR_INIT;
  /* Pod-level user and groups; the container overrides the user. */
  _cleanup_json_ json_t *a = build(
      "{\"name\":\"c\",\"command\":[\"id\"],\"securityContext\":{\"runAsUser\":1001}}",
      "{\"runAsUser\":1000,\"runAsGroup\":3000,\"fsGroup\":2000,\"supplementalGroups\":[4000]}", "5", &e);
  assert_non_null(a);
  assert_int_equal(jint(a, "process.user.uid", -1), 1001);
  assert_int_equal(jint(a, "process.user.gid", -1), 3000);
  _cleanup_free_ char *gids = json_compact(jpath(a, "process.user.additionalGids"));
  assert_string_equal(gids, "[3000,2000,4000]");
  assert_false(json_is_true(jpath(a, "process.noNewPrivileges"))); /* unset: escalation allowed */
  assert_false(json_is_true(jpath(a, "root.readonly")));
  assert_null(jpath(a, "linux.seccomp"));
  assert_true(json_array_size(jpath(a, "linux.maskedPaths")) > 0);
  assert_false(json_is_true(jpath(json_array_get(jpath(a, "linux.resources.devices"), 0), "allow")));
  assert_null(jpath(a, "linux.devices"));
  /* The image's numeric user when nothing overrides it. */
  _cleanup_json_ json_t *b =
      build("{\"name\":\"c\",\"command\":[\"id\"],\"securityContext\":{\"readOnlyRootFilesystem\":"
            "true,\"allowPrivilegeEscalation\":false,\"procMount\":\"Unmasked\","
            "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}",
            "{\"sysctls\":[{\"name\":\"kernel.shm_rmid_forced\",\"value\":\"1\"}]}", "7:9", &e);
  assert_non_null(b);
  assert_int_equal(jint(b, "process.user.uid", -1), 7);
  assert_int_equal(jint(b, "process.user.gid", -1), 9);
  assert_true(json_is_true(jpath(b, "root.readonly")));
  assert_true(json_is_true(jpath(b, "process.noNewPrivileges")));
  assert_null(jpath(b, "linux.maskedPaths")); /* procMount: Unmasked */
  assert_null(jpath(b, "linux.readonlyPaths"));
  assert_string_equal(json_string_value(json_object_get(jpath(b, "linux.sysctl"), "kernel.shm_rmid_forced")),
                      "1");
  assert_string_equal(jstr(jpath(b, "linux.seccomp"), "defaultAction"), "SCMP_ACT_ALLOW");
  /* Privileged: every capability, no masks, rw /sys, all devices. */
  _cleanup_json_ json_t *p =
      build("{\"name\":\"c\",\"command\":[\"id\"],\"securityContext\":{\"privileged\":true,"
            "\"seccompProfile\":{\"type\":\"RuntimeDefault\"}}}",
            NULL, NULL, &e);
  assert_non_null(p);
  assert_int_equal(json_array_size(jpath(p, "process.capabilities.bounding")), 41);
  assert_null(jpath(p, "linux.maskedPaths"));
  assert_null(jpath(p, "linux.seccomp"));
  assert_true(json_is_true(jpath(json_array_get(jpath(p, "linux.resources.devices"), 0), "allow")));
  assert_true(json_is_array(jpath(p, "linux.devices")));
  size_t i;
  json_t *m;
  json_array_foreach(jpath(p, "mounts"), i, m) {
    if (streq_ptr(jstr(m, "destination"), "/sys"))
      assert_false(has_string(json_object_get(m, "options"), "ro"));
  }
  /* A bad seccomp profile is a CreateContainerError. */
  assert_null(build(
      "{\"name\":\"c\",\"command\":[\"id\"],\"securityContext\":{\"seccompProfile\":{\"type\":\"Bogus\"}}}",
      NULL, NULL, &e));
  assert_non_null(strstr(e.message, "unsupported seccomp type Bogus"));
  error_reset(&e);
}

static void test_host_devices(void **state) {
  _cleanup_json_ json_t *d = runtime_host_devices(NULL);
  bool null_dev = false, pts = false;
  size_t i;
  json_t *v;
  json_array_foreach(d, i, v) {
    null_dev = null_dev || (streq_ptr(jstr(v, "path"), "/dev/null") && streq_ptr(jstr(v, "type"), "c") &&
                            jint(v, "major", 0) == 1 && jint(v, "minor", 0) == 3);
    pts = pts || startswith(jstr(v, "path") ?: "", "/dev/pts/");
  }
  assert_true(null_dev);
  assert_false(pts);
}

/* ---- pod cgroups ---- */

static void test_pod_resources(void **state) {
  RuntimePodResources r;
  /* Guaranteed, two containers: summed. */
  _cleanup_json_ json_t *g =
      J("{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}},"
        "{\"resources\":{\"limits\":{\"cpu\":\"250m\",\"memory\":\"32Mi\"}}}]}}");
  runtime_pod_resources(g, "Guaranteed", -1, &r);
  assert_int_equal(r.cpu_shares, 768);
  assert_int_equal(r.cpu_quota, 75000);
  assert_int_equal(r.memory_limit, 96 * 1024 * 1024);
  assert_int_equal(r.pids_limit, 0);
  /* Burstable with one container unlimited: shares from requests, no quota and no memory limit. */
  _cleanup_json_ json_t *b =
      J("{\"spec\":{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"100m\"},\"limits\":"
        "{\"cpu\":\"1\",\"memory\":\"64Mi\"}}},{\"resources\":{\"requests\":{\"cpu\":\"200m\"}}}]}}");
  runtime_pod_resources(b, "Burstable", 100, &r);
  assert_int_equal(r.cpu_shares, 307);
  assert_int_equal(r.cpu_quota, -1);
  assert_int_equal(r.memory_limit, 0);
  assert_int_equal(r.pids_limit, 100);
  /* An init container larger than the containers' sum sets the pod's size; overhead adds up. */
  _cleanup_json_ json_t *i =
      J("{\"spec\":{\"overhead\":{\"cpu\":\"100m\",\"memory\":\"1Mi\"},\"initContainers\":"
        "[{\"resources\":{\"limits\":{\"cpu\":\"2\",\"memory\":\"128Mi\"}}}],\"containers\":"
        "[{\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"64Mi\"}}}]}}");
  runtime_pod_resources(i, "Guaranteed", 0, &r);
  assert_int_equal(r.cpu_shares, 2150); /* 2100m */
  assert_int_equal(r.cpu_quota, 210000);
  assert_int_equal(r.memory_limit, 129 * 1024 * 1024);
  /* BestEffort: the smallest weight and nothing else. */
  _cleanup_json_ json_t *be = J("{\"spec\":{\"containers\":[{}]}}");
  runtime_pod_resources(be, "BestEffort", -1, &r);
  assert_int_equal(r.cpu_shares, 2);
  assert_int_equal(r.cpu_quota, -1);
  assert_int_equal(r.memory_limit, 0);
  _cleanup_free_ char *n1 = runtime_pod_cgroup_name("u1", "Guaranteed"),
                      *n2 = runtime_pod_cgroup_name("u1", "Burstable"),
                      *n3 = runtime_pod_cgroup_name("u1", "BestEffort");
  assert_string_equal(n1, "/coracle/pods/podu1");
  assert_string_equal(n2, "/coracle/pods/burstable/podu1");
  assert_string_equal(n3, "/coracle/pods/besteffort/podu1");
}

static const char *write_of(RuntimeCgroupWrite *w, size_t n, const char *file) {
  for (size_t i = 0; i < n; i++)
    if (streq(w[i].file, file))
      return w[i].value;
  return NULL;
}

static void test_cgroup_writes(void **state) {
  RuntimePodResources r = {.cpu_shares = 512, .cpu_quota = 50000, .memory_limit = 67108864, .pids_limit = 64};
  RuntimeCgroupWrite w[RUNTIME_CGROUP_MAX_WRITES];
  size_t n = runtime_cgroup_writes(&r, false, w);
  assert_string_equal(write_of(w, n, "cpu.shares"), "512");
  assert_string_equal(write_of(w, n, "cpu.cfs_quota_us"), "50000");
  assert_string_equal(write_of(w, n, "cpu.cfs_period_us"), "100000");
  assert_string_equal(write_of(w, n, "memory.limit_in_bytes"), "67108864");
  assert_string_equal(write_of(w, n, "pids.max"), "64");
  assert_string_equal(w[0].controller, "cpu");
  n = runtime_cgroup_writes(&r, true, w);
  assert_null(w[0].controller);
  assert_string_equal(write_of(w, n, "cpu.weight"), "20");
  assert_string_equal(write_of(w, n, "cpu.max"), "50000 100000");
  assert_string_equal(write_of(w, n, "memory.max"), "67108864");
  assert_string_equal(write_of(w, n, "pids.max"), "64");
  RuntimePodResources none = {.cpu_shares = 2, .cpu_quota = -1};
  n = runtime_cgroup_writes(&none, true, w);
  assert_string_equal(write_of(w, n, "cpu.max"), "max 100000");
  assert_string_equal(write_of(w, n, "memory.max"), "max");
  assert_string_equal(write_of(w, n, "pids.max"), "max");
  n = runtime_cgroup_writes(&none, false, w);
  assert_string_equal(write_of(w, n, "cpu.cfs_quota_us"), "-1");
  assert_string_equal(write_of(w, n, "memory.limit_in_bytes"), "-1");
  assert_int_equal(runtime_cgroup_shares_to_weight(2), 1);
  assert_int_equal(runtime_cgroup_shares_to_weight(1024), 39);
  assert_int_equal(runtime_cgroup_shares_to_weight(262144), 10000);
  assert_int_equal(runtime_cgroup_parse_oom_kills("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
  assert_int_equal(
      runtime_cgroup_parse_oom_kills("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n"), 1);
  assert_int_equal(runtime_cgroup_parse_oom_kills("oom_kill_disable 0\nunder_oom 0\n"), 0);
}

/* ---- log rotation ---- */

static void test_log_rotation(void **state) {
  assert_false(runtime_log_should_rotate(0, 100, 10)); /* an empty file takes the record anyway */
  assert_true(runtime_log_should_rotate(5, 6, 10));
  assert_false(runtime_log_should_rotate(5, 5, 10));
  assert_false(runtime_log_should_rotate(500, 500, 0));
  _cleanup_free_ char *name = runtime_log_rotated_name("/x/0.log", 0);
  assert_true(startswith(name, "/x/0.log.19700101-") || startswith(name, "/x/0.log.19691231-"));
  assert_int_equal(strlen(name), strlen("/x/0.log.19700101-000000"));

  _cleanup_free_ char *dir = tmpdir(), *path = xasprintf("%s/0.log", dir),
                      *other = xasprintf("%s/1.log", dir);
  write_text(other, "another instance's log\n");
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0640);
  assert_true(fd >= 0);
  int reader = open(path, O_RDONLY);
  for (int i = 0; i < 5; i++) {
    char line[64];
    int n = snprintf(line, sizeof line, "record %d\n", i);
    assert_int_equal(write(fd, line, (size_t)n), n);
    assert_int_equal(runtime_log_rotate(path, 3, &fd), 0);
  }
  /* A reader of the first file sees that it is gone from the path. */
  assert_true(runtime_crilog_rotated(path, reader));
  close(reader);
  reader = open(path, O_RDONLY);
  assert_false(runtime_crilog_rotated(path, reader));
  close(reader);
  _cleanup_strv_free_ char **l = runtime_log_rotated(path);
  /* max 3 files: the current one, the newest rotated one as it is, one older compressed. */
  assert_int_equal(strv_length(l), 2);
  assert_true(endswith(l[0], ".gz"));
  assert_false(endswith(l[1], ".gz"));
  _cleanup_free_ char *newest = NULL;
  assert_int_equal(read_file(l[1], &newest, NULL), 0);
  assert_string_equal(newest, "record 4\n");
  gzFile gz = gzopen(l[0], "rb");
  char buf[64] = {0};
  assert_true(gzread(gz, buf, sizeof buf - 1) > 0);
  gzclose(gz);
  assert_string_equal(buf, "record 3\n");
  _cleanup_free_ char *cur = NULL;
  assert_int_equal(read_file(path, &cur, NULL), 0);
  assert_string_equal(cur, "");
  assert_int_equal(access(other, F_OK), 0); /* other instances' logs are not this file's rotations */
  /* A follower that slept through three rotations reads the files it missed (one compressed by then), in
   * order, then the current one. */
  static const char *const recs[] = {"2026-11-26T13:53:33.000000001+00:00 stdout F in A\n",
                                     "2026-11-26T13:53:33.000000002+00:00 stdout F in B\n",
                                     "2026-11-26T13:53:33.000000003+00:00 stdout F in C\n",
                                     "2026-11-26T13:53:33.000000004+00:00 stdout F in D\n"};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(write(fd, recs[i], strlen(recs[i])), (ssize_t)strlen(recs[i]));
    if (i < 3)
      assert_int_equal(runtime_log_rotate(path, 4, &fd), 0);
  }
  char ts[RUNTIME_CRILOG_TS_MAX];
  assert_true(runtime_crilog_last_timestamp(recs[0], strlen(recs[0]), ts));
  assert_string_equal(ts, "2026-11-26T13:53:33.000000001+00:00");
  for (size_t i = 1; i < 4; i++) {
    int next = runtime_crilog_open_next(path, ts);
    char got[128] = {0};
    assert_true(next >= 0);
    assert_true(read(next, got, sizeof got - 1) > 0);
    assert_string_equal(got, recs[i]); /* B was compressed by then, C is the newest rotated, D current */
    if (i == 3)
      assert_false(runtime_crilog_rotated(path, next));
    runtime_crilog_file_last_timestamp(next, (off_t)strlen(got), ts);
    close(next);
  }
  close(fd);
  strv_free(l);
  l = runtime_log_rotated(path);
  for (char **p = l; *p; p++)
    unlink(*p);
  unlink(path);
  unlink(other);
  assert_int_equal(rmdir(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_run_as_non_root), cmocka_unit_test(test_sysctls),
      cmocka_unit_test(test_capabilities),    cmocka_unit_test(test_groups),
      cmocka_unit_test(test_seccomp),         cmocka_unit_test(test_spec_security),
      cmocka_unit_test(test_host_devices),    cmocka_unit_test(test_pod_resources),
      cmocka_unit_test(test_cgroup_writes),   cmocka_unit_test(test_log_rotation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
