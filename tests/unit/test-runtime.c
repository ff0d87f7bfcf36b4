/* Unit tests for the runtime's pure parts: the OCI config Kubernetes-style (ENTRYPOINT/CMD against
 * command/args, env merge and $(VAR) expansion, user, resources → cgroup values, namespaces, mounts) and CRI
 * log records (formatting, parsing, rendering with tail, partial lines and timestamps); and the pod network
 * namespace made in-process (as root). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/runtime/crilog.h"
#include "agent/runtime/runtime.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"

static json_t *J(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  return j;
}

static char *args_of(const char *ctr, const char *img) {
  _cleanup_json_ json_t *c = J(ctr), *i = J(img), *env = json_pack("[s]", "NAME=x");
  _cleanup_json_ json_t *a = runtime_spec_args(c, i, env);
  return json_compact(a);
}

static void test_args_merge(void **state) {
  const char *img = "{\"Entrypoint\":[\"/ep\",\"-e\"],\"Cmd\":[\"c1\",\"c2\"]}";
  static const struct {
    const char *ctr, *want;
  } cases[] = {
      {"{}", "[\"/ep\",\"-e\",\"c1\",\"c2\"]"},         /* image ENTRYPOINT + CMD */
      {"{\"command\":[\"/bin/x\"]}", "[\"/bin/x\"]"},   /* command drops CMD */
      {"{\"args\":[\"a\"]}", "[\"/ep\",\"-e\",\"a\"]"}, /* args replace CMD */
      {"{\"command\":[\"/bin/x\"],\"args\":[\"a\",\"b\"]}", "[\"/bin/x\",\"a\",\"b\"]"},
      {"{\"command\":[\"echo\",\"$(NAME)\",\"$$(NAME)\",\"$(NOPE)\"]}",
       "[\"echo\",\"x\",\"$(NAME)\",\"$(NOPE)\"]"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_free_ char *got = args_of(cases[i].ctr, img);
    assert_string_equal(got, cases[i].want);
  }
  _cleanup_free_ char *none = args_of("{}", "{}");
  assert_string_equal(none, "[]");
}

static void test_env_merge(void **state) {
  _cleanup_json_ json_t *img = J("{\"Env\":[\"PATH=/bin\",\"A=img\",\"B=img\"]}");
  _cleanup_json_ json_t *ctr =
      J("{\"env\":[{\"name\":\"B\",\"value\":\"ctr\"},{\"name\":\"C\",\"value\":\"$(B)-$(A)\"},"
        "{\"name\":\"D\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}]}");
  _cleanup_json_ json_t *resolved = J("{\"D\":\"pod1\"}");
  _cleanup_json_ json_t *env = runtime_spec_env(ctr, img, resolved, "pod1");
  _cleanup_free_ char *text = json_compact(env);
  assert_string_equal(text, "[\"PATH=/bin\",\"A=img\",\"B=ctr\",\"HOSTNAME=pod1\",\"C=ctr-img\",\"D=pod1\"]");
  /* No PATH in the image: the default one comes first. */
  _cleanup_json_ json_t *e2 = runtime_spec_env(NULL, NULL, NULL, NULL);
  assert_true(startswith(json_string_value(json_array_get(e2, 0)), "PATH=/usr/local/sbin:"));
}

static void test_cgroup_values(void **state) {
  assert_int_equal(runtime_cpu_shares(0), 2);
  assert_int_equal(runtime_cpu_shares(1), 2);
  assert_int_equal(runtime_cpu_shares(250), 256);
  assert_int_equal(runtime_cpu_shares(1000), 1024);
  assert_int_equal(runtime_cpu_shares(1000000), 262144);
  assert_int_equal(runtime_cpu_quota(0, 100000), -1);
  assert_int_equal(runtime_cpu_quota(500, 100000), 50000);
  assert_int_equal(runtime_cpu_quota(1, 100000), 1000);
  _cleanup_json_ json_t *c = J("{\"resources\":{\"limits\":{\"cpu\":\"1500m\",\"memory\":\"64Mi\"}}}");
  assert_int_equal(runtime_resource_milli_cpu(c, true), 1500);
  assert_int_equal(runtime_resource_milli_cpu(c, false), 1500); /* request defaults to the limit */
  assert_int_equal(runtime_resource_memory(c, true), 64 * 1024 * 1024);
}

static void test_spec_build(void **state) {
  _cleanup_json_ json_t *ctr =
      J("{\"name\":\"c\",\"command\":[\"sleep\",\"1\"],\"workingDir\":\"/w\","
        "\"securityContext\":{\"runAsUser\":1000,\"capabilities\":{\"drop\":[\"KILL\"]}},"
        "\"resources\":{\"requests\":{\"cpu\":\"250m\"},\"limits\":{\"cpu\":\"500m\","
        "\"memory\":\"128Mi\"}}}");
  _cleanup_json_ json_t *img = J("{\"User\":\"nobody\",\"Env\":[\"PATH=/bin\"]}");
  RuntimeMount m[] = {{"/etc/hosts", "/p/hosts", false}};
  RuntimeSpecInput in = {.container = ctr,
                         .image_config = img,
                         .rootfs = "/r",
                         .hostname = "pod1",
                         .netns_path = "/run/netns/coracle-u",
                         .cgroups_path = "/coracle/pods/u/c",
                         .mounts = m,
                         .n_mounts = 1};
  _cleanup_json_ json_t *cfg = NULL;
  Error e = ERROR_INIT;
  /* "nobody" needs a passwd file to resolve: without one it is an error (when no runAsUser replaces it). */
  json_t *sc = json_object_get(ctr, "securityContext");
  json_object_del(sc, "runAsUser");
  assert_int_equal(runtime_spec_build(&in, &cfg, &e), -EINVAL);
  assert_non_null(strstr(e.message, "unable to find user nobody"));
  error_reset(&e);
  json_object_set_new(sc, "runAsUser", json_integer(1000));
  json_object_set_new(img, "User", json_string("7:8"));
  assert_int_equal(runtime_spec_build(&in, &cfg, &e), 0);
  assert_int_equal(jint(cfg, "process.user.uid", -1), 1000); /* runAsUser wins over the image's user */
  /* ...and its group too: containerd takes it from /etc/passwd (none here: 0), not from the image. */
  assert_int_equal(jint(cfg, "process.user.gid", -1), 0);
  assert_string_equal(jstr(cfg, "process.cwd"), "/w");
  assert_false(json_is_true(jpath(cfg, "process.terminal")));
  assert_string_equal(jstr(cfg, "hostname"), "pod1");
  assert_string_equal(jstr(cfg, "root.path"), "/r");
  assert_string_equal(jstr(cfg, "linux.cgroupsPath"), "/coracle/pods/u/c");
  assert_int_equal(jint(cfg, "linux.resources.cpu.shares", 0), 256);
  assert_int_equal(jint(cfg, "linux.resources.cpu.quota", 0), 50000);
  assert_int_equal(jint(cfg, "linux.resources.cpu.period", 0), 100000);
  assert_int_equal(jint(cfg, "linux.resources.memory.limit", 0), 128 * 1024 * 1024);
  json_t *ns = jpath(cfg, "linux.namespaces");
  assert_int_equal(json_array_size(ns), 5);
  assert_string_equal(jstr(json_array_get(ns, 4), "path"), "/run/netns/coracle-u");
  json_t *caps = jpath(cfg, "process.capabilities.bounding");
  bool has_kill = false, has_chown = false;
  size_t i;
  json_t *v;
  json_array_foreach(caps, i, v) {
    has_kill = has_kill || streq(json_string_value(v), "CAP_KILL");
    has_chown = has_chown || streq(json_string_value(v), "CAP_CHOWN");
  }
  assert_false(has_kill);
  assert_true(has_chown);
  assert_true(json_array_size(jpath(cfg, "linux.maskedPaths")) > 0);
  bool hosts = false;
  json_array_foreach(jpath(cfg, "mounts"), i, v) hosts =
      hosts || streq_ptr(jstr(v, "destination"), "/etc/hosts");
  assert_true(hosts);
  /* No command at all. */
  _cleanup_json_ json_t *empty = J("{\"name\":\"c\"}"), *cfg2 = NULL;
  in.container = empty;
  assert_int_equal(runtime_spec_build(&in, &cfg2, &e), -EINVAL);
  error_reset(&e);
}

static void test_crilog(void **state) {
  _cleanup_buf_ Buf b = BUF_INIT;
  runtime_crilog_format(&b, 1795701213789185010ull, "stdout", false, "hello", 5);
  assert_string_equal(b.data, "2026-11-26T13:53:33.789185010+00:00 stdout F hello\n");
  RuntimeLogRecord r;
  assert_int_equal(runtime_crilog_parse(b.data, b.len - 1, &r), 0);
  assert_false(r.is_stderr);
  assert_false(r.partial);
  assert_int_equal(r.content_len, 5);
  assert_int_equal(runtime_crilog_parse("garbage", 7, &r), -EBADMSG);
  runtime_crilog_format(&b, 1795701214000000000ull, "stderr", true, "par", 3);
  runtime_crilog_format(&b, 1795701214000000000ull, "stderr", false, "t2", 2);
  runtime_crilog_format(&b, 1795701215000000000ull, "stdout", false, "", 0);
  buf_puts(&b, "2026-11-26T13:53:36.000000000+00:00 stdout F incomp"); /* not yet a whole line */
  _cleanup_buf_ Buf out = BUF_INIT;
  RuntimeLogOptions all = {.tail = -1};
  size_t used = runtime_crilog_render(b.data, b.len, &all, &out);
  assert_string_equal(out.data, "hello\npart2\n\n");
  assert_int_equal(b.data[used - 1], '\n');
  assert_true(used < b.len);
  buf_reset(&out);
  RuntimeLogOptions tail = {.tail = 2};
  runtime_crilog_render(b.data, b.len, &tail, &out);
  assert_string_equal(out.data, "part2\n\n");
  buf_reset(&out);
  RuntimeLogOptions ts = {.tail = 1, .timestamps = true};
  runtime_crilog_render(b.data, b.len, &ts, &out);
  assert_string_equal(out.data, "2026-11-26T13:53:35.000000000+00:00 \n");
  buf_reset(&out);
  RuntimeLogOptions zero = {.tail = 0};
  runtime_crilog_render(b.data, b.len, &zero, &out);
  assert_int_equal(out.len, 0);
}

static void test_expand(void **state) {
  _cleanup_json_ json_t *env = json_pack("[s,s]", "A=1", "AB=2");
  _cleanup_free_ char *a = runtime_expand_vars("$(A)$(AB)$$x$(", env);
  assert_string_equal(a, "12$x$(");
}

/* Whether lo is up in the namespace at path: looked at from a child process that enters it. */
static bool netns_lo_up(const char *path) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
      _exit(2);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    _exit(s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) ? 0 : 1);
  }
  int st = -1;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The in-process namespace: a named nsfs bind mount (not the agent's own namespace), loopback up,
 * idempotent, removed completely. Needs root (as the e2e suite does); skipped otherwise. */
static void test_netns(void **state) {
  if (geteuid() != 0) {
    skip();
    return;
  }
  char name[64];
  snprintf(name, sizeof name, "coracle-unit-%d", (int)getpid());
  _cleanup_free_ char *path = xasprintf("/run/netns/%s", name);
  _cleanup_error_ Error err = ERROR_INIT;
  assert_int_equal(runtime_netns_create(name, &err), 0);
  struct stat ns, self;
  assert_int_equal(stat(path, &ns), 0);
  assert_int_equal(stat("/proc/self/ns/net", &self), 0);
  assert_true(ns.st_ino != self.st_ino); /* a new namespace, and this process did not move into it */
  assert_true(netns_lo_up(path));
  assert_int_equal(runtime_netns_create(name, &err), 0); /* again: the same one */
  struct stat again;
  assert_int_equal(stat(path, &again), 0);
  assert_int_equal(again.st_ino, ns.st_ino);
  /* A plain file left by a crash is replaced by a namespace. */
  assert_int_equal(runtime_netns_delete(name), 0);
  assert_int_not_equal(access(path, F_OK), 0);
  int fd = open(path, O_CREAT | O_WRONLY, 0444);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(runtime_netns_create(name, &err), 0);
  assert_true(netns_lo_up(path));
  assert_int_equal(runtime_netns_delete(name), 0);
  assert_int_equal(runtime_netns_delete(name), 0); /* missing is fine */
  assert_int_not_equal(access(path, F_OK), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_args_merge),    cmocka_unit_test(test_env_merge),
      cmocka_unit_test(test_cgroup_values), cmocka_unit_test(test_spec_build),
      cmocka_unit_test(test_crilog),        cmocka_unit_test(test_expand),
      cmocka_unit_test(test_netns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
