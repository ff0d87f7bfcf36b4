/* Unit tests for the kubelet API pieces of `kubectl logs` and for fsGroup: the PodLogOptions query decoding
 * and validation shared by the API server and the agent (runtime/logquery.h), the kubelet's waiting
 * messages (kubelet/logserver.h), and the fsGroup ownership walk over a volume (kubelet/fsgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/kubelet/fsgroup.h"
#include "agent/kubelet/logserver.h"
#include "agent/runtime/logquery.h"
#include "api/jsonutil.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad test JSON: %s: %s", e.text, text);
  return j;
}

/* ---- the query ---- */

/* A query as NULL-terminated name/value pairs; a NULL value stands for a bare name. */
typedef struct Q {
  const char *kv[16];
} Q;

static const char *q_get(void *userdata, const char *name) {
  Q *q = userdata;
  for (size_t i = 0; q->kv[i]; i += 2)
    if (streq(q->kv[i], name))
      return q->kv[i + 1] ? q->kv[i + 1] : "";
  return NULL;
}

#define NOW 1800000000LL

static int parse(Q q, RuntimeLogQuery *ret, Error *e) {
  return runtime_log_query_parse(q_get, &q, NOW, ret, e);
}

static void test_query_defaults(void **state) {
  RuntimeLogQuery q;
  assert_int_equal(parse((Q){{NULL}}, &q, NULL), 0);
  assert_false(q.follow || q.previous || q.opts.timestamps);
  assert_int_equal(q.opts.tail, -1);
  assert_int_equal(q.opts.since_sec, 0);
  assert_int_equal(q.limit_bytes, 0);
  Buf b = BUF_INIT;
  runtime_log_query_format(&q, &b);
  assert_int_equal(b.len, 0);
  buf_free(&b);
}

static void test_query_values(void **state) {
  RuntimeLogQuery q;
  assert_int_equal(parse((Q){{"follow", "true", "previous", "1", "timestamps", "True", "tailLines", "10",
                              "sinceSeconds", "60", "limitBytes", "500", NULL}},
                         &q, NULL),
                   0);
  assert_true(q.follow && q.previous && q.opts.timestamps);
  assert_int_equal(q.opts.tail, 10);
  assert_int_equal(q.opts.since_sec, NOW - 60);
  assert_int_equal(q.limit_bytes, 500);
  Buf b = BUF_INIT;
  runtime_log_query_format(&q, &b);
  buf_putc(&b, 0);
  assert_string_equal(
      b.data, "follow=true&previous=true&timestamps=true&sinceSeconds=60&tailLines=10&limitBytes=500");
  buf_free(&b);
  /* false spellings, a bare name, sinceTime */
  assert_int_equal(parse((Q){{"follow", "false", "previous", "0", "timestamps", NULL, "sinceTime",
                              "2027-01-15T08:00:00Z", NULL}},
                         &q, NULL),
                   0);
  assert_false(q.follow || q.previous);
  assert_true(q.opts.timestamps);
  assert_int_equal(q.opts.since_sec, 1800000000LL); /* 2027-01-15T08:00:00Z */
  b = (Buf)BUF_INIT;
  runtime_log_query_format(&q, &b);
  buf_putc(&b, 0);
  assert_string_equal(b.data, "timestamps=true&sinceTime=2027-01-15T08:00:00Z");
  buf_free(&b);
}

static void test_query_legacy_tail(void **state) {
  RuntimeLogQuery q;
  assert_int_equal(parse((Q){{"tail", "3", NULL}}, &q, NULL), 0);
  assert_int_equal(q.opts.tail, 3);
  assert_int_equal(parse((Q){{"tail", "all", NULL}}, &q, NULL), 0);
  assert_int_equal(q.opts.tail, -1);
  assert_int_equal(parse((Q){{"tail", "5", "tailLines", "2", NULL}}, &q, NULL), 0);
  assert_int_equal(q.opts.tail, 2);
  assert_int_equal(parse((Q){{"tailLines", "0", NULL}}, &q, NULL), 0);
  assert_int_equal(q.opts.tail, 0);
}

static void test_query_decode_errors(void **state) {
  RuntimeLogQuery q = {.limit_bytes = 77};
  Error e = ERROR_INIT;
  assert_int_equal(parse((Q){{"tailLines", "x", NULL}}, &q, &e), -EBADMSG);
  assert_int_equal(e.http, 400);
  assert_string_equal(e.message, "invalid value for tailLines: x");
  assert_int_equal(q.limit_bytes, 77); /* untouched on failure */
  error_reset(&e);
  assert_int_equal(parse((Q){{"follow", "yes", NULL}}, &q, &e), -EBADMSG);
  error_reset(&e);
  assert_int_equal(parse((Q){{"sinceTime", "yesterday", NULL}}, &q, &e), -EBADMSG);
  error_reset(&e);
  assert_int_equal(parse((Q){{"limitBytes", "", NULL}}, &q, &e), -EBADMSG);
  error_reset(&e);
}

static void test_query_validation(void **state) {
  RuntimeLogQuery q;
  Error e = ERROR_INIT;
  assert_int_equal(parse((Q){{"tailLines", "-1", NULL}}, &q, &e), -EINVAL);
  assert_int_equal(e.n_causes, 1);
  assert_string_equal(e.causes[0].field, "tailLines");
  assert_string_equal(e.causes[0].message, "Invalid value: -1: must be greater than or equal to 0");
  error_reset(&e);
  assert_int_equal(parse((Q){{"limitBytes", "0", "sinceSeconds", "0", NULL}}, &q, &e), -EINVAL);
  assert_int_equal(e.n_causes, 2);
  assert_string_equal(e.causes[0].field, "limitBytes");
  assert_string_equal(e.causes[1].field, "sinceSeconds");
  assert_string_equal(e.causes[1].message, "Invalid value: 0: must be greater than 0");
  error_reset(&e);
  assert_int_equal(parse((Q){{"sinceSeconds", "10", "sinceTime", "2027-01-15T08:00:00Z", NULL}}, &q, &e),
                   -EINVAL);
  assert_int_equal(e.n_causes, 1);
  assert_null(e.causes[0].field);
  assert_string_equal(e.causes[0].message,
                      "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
  error_reset(&e);
  assert_int_equal(parse((Q){{"tail", "-2", NULL}}, &q, NULL), -EINVAL);
}

static void test_waiting_messages(void **state) {
  char *m = kubelet_log_waiting_message(NULL, "c", "p");
  assert_string_equal(m, "container \"c\" in pod \"p\" is waiting to start: ContainerCreating");
  free(m);
  json_t *st = J("{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}}}");
  m = kubelet_log_waiting_message(st, "c", "p");
  assert_string_equal(m, "container \"c\" in pod \"p\" is waiting to start: image can't be pulled");
  free(m);
  json_decref(st);
  st = J("{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}}");
  m = kubelet_log_waiting_message(st, "c", "p");
  assert_string_equal(m,
                      "container \"c\" in pod \"p\" is waiting to start: trying and failing to pull image");
  free(m);
  json_decref(st);
  st = J("{\"name\":\"c\",\"state\":{\"waiting\":{\"reason\":\"CreateContainerConfigError\"}}}");
  m = kubelet_log_waiting_message(st, "c", "p");
  assert_string_equal(m, "container \"c\" in pod \"p\" is waiting to start: CreateContainerConfigError");
  free(m);
  json_decref(st);
}

/* ---- fsGroup ---- */

static gid_t test_gid(void) {
  return geteuid() == 0 ? 54321 : getegid(); /* a group we may give files to */
}

static char *mkpath(const char *root, const char *rel) {
  return xasprintf("%s/%s", root, rel);
}

static void write_mode(const char *path, unsigned mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "x", 1), 1);
  close(fd);
  assert_int_equal(chmod(path, mode), 0);
}

static unsigned mode_of(const char *root, const char *rel, gid_t *ret_gid, bool follow) {
  _cleanup_free_ char *p = mkpath(root, rel);
  struct stat st;
  assert_int_equal(follow ? stat(p, &st) : lstat(p, &st), 0);
  if (ret_gid)
    *ret_gid = st.st_gid;
  return st.st_mode & 07777;
}

typedef struct Tree {
  char vol[64], outside[64];
} Tree;

/* vol/{a (0644), sub/ (0755), sub/b (0600), link -> ../outside/t} and outside/t (0600). */
static void make_tree(Tree *t) {
  snprintf(t->vol, sizeof t->vol, "/tmp/coracle-fsg-XXXXXX");
  assert_non_null(mkdtemp(t->vol));
  snprintf(t->outside, sizeof t->outside, "/tmp/coracle-fsg-out-XXXXXX");
  assert_non_null(mkdtemp(t->outside));
  chmod(t->vol, 0755);
  _cleanup_free_ char *a = mkpath(t->vol, "a"), *sub = mkpath(t->vol, "sub"), *b = mkpath(t->vol, "sub/b"),
                      *link = mkpath(t->vol, "link"), *out = mkpath(t->outside, "t");
  write_mode(a, 0644);
  assert_int_equal(mkdir(sub, 0755), 0);
  write_mode(b, 0600);
  write_mode(out, 0600);
  assert_int_equal(symlink(out, link), 0);
}

static void drop_tree(Tree *t) {
  rm_rf(t->vol);
  rm_rf(t->outside);
}

static void test_fsgroup_walk_rw(void **state) {
  Tree t;
  make_tree(&t);
  gid_t gid = test_gid(), g;
  assert_true(volume_fsgroup_root_mismatch(t.vol, gid, false));
  assert_int_equal(volume_apply_fsgroup(t.vol, gid, false, NULL), 0);
  assert_int_equal(mode_of(t.vol, ".", &g, false), 02775);
  assert_int_equal(g, gid);
  assert_int_equal(mode_of(t.vol, "a", &g, false), 0664);
  assert_int_equal(g, gid);
  assert_int_equal(mode_of(t.vol, "sub", &g, false), 02775);
  assert_int_equal(mode_of(t.vol, "sub/b", &g, false), 0660);
  assert_int_equal(g, gid);
  mode_of(t.vol, "link", &g, false);
  assert_int_equal(g, gid);                                  /* the link itself re-grouped... */
  assert_int_equal(mode_of(t.outside, "t", &g, true), 0600); /* ...but never what it points to */
  assert_false(volume_fsgroup_root_mismatch(t.vol, gid, false));
  /* OnRootMismatch: a root that looks done is not walked again; Always walks. */
  _cleanup_free_ char *b = mkpath(t.vol, "sub/b");
  chmod(b, 0600);
  assert_int_equal(volume_apply_fsgroup(t.vol, gid, true, NULL), 0);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0600);
  assert_int_equal(volume_apply_fsgroup(t.vol, gid, false, NULL), 0);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0660);
  /* The same through a pod's fsGroupChangePolicy. */
  _cleanup_free_ char *podtext = xasprintf(
      "{\"spec\":{\"securityContext\":{\"fsGroup\":%u,\"fsGroupChangePolicy\":\"OnRootMismatch\"}}}",
      (unsigned)gid);
  json_t *pod = J(podtext);
  chmod(b, 0600);
  assert_int_equal(volume_pod_apply_fsgroup_policy(pod, t.vol, false, NULL), 0);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0600);
  json_object_del(json_object_get(json_object_get(pod, "spec"), "securityContext"), "fsGroupChangePolicy");
  assert_int_equal(volume_pod_apply_fsgroup_policy(pod, t.vol, false, NULL), 0);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0660);
  json_decref(pod);
  /* A root without setgid (or another group) does get walked with OnRootMismatch. */
  chmod(t.vol, 0775);
  chmod(b, 0600);
  assert_true(volume_fsgroup_root_mismatch(t.vol, gid, false));
  assert_int_equal(volume_apply_fsgroup(t.vol, gid, true, NULL), 0);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0660);
  drop_tree(&t);
  Error e = ERROR_INIT;
  assert_true(volume_apply_fsgroup("/nonexistent/coracle-fsg", gid, false, &e) < 0);
  assert_non_null(e.message);
  error_reset(&e);
}

static void test_fsgroup_walk_ro(void **state) {
  Tree t;
  make_tree(&t);
  gid_t gid = test_gid();
  assert_int_equal(volume_apply_fsgroup_mode(t.vol, gid, true, false, NULL), 0);
  assert_int_equal(mode_of(t.vol, ".", NULL, false), 02755);
  assert_int_equal(mode_of(t.vol, "a", NULL, false), 0644);
  assert_int_equal(mode_of(t.vol, "sub/b", NULL, false), 0640);
  drop_tree(&t);
}

static void test_fsgroup_pod(void **state) {
  gid_t gid = 0;
  bool orm = true;
  json_t *pod = J("{\"spec\":{\"securityContext\":{\"fsGroup\":2000}}}");
  assert_true(volume_pod_fsgroup(pod, &gid, &orm));
  assert_int_equal(gid, 2000);
  assert_false(orm);
  VolumePayload p = {0};
  volume_payload_add(&p, "k", "v", 1, 0400);
  volume_payload_add(&p, "d/k2", "v", 1, 0600);
  volume_pod_fsgroup_payload(pod, &p);
  assert_int_equal(p.files[0].mode, 0440);
  assert_int_equal(p.files[1].mode, 0640);
  json_decref(pod);
  pod = J("{\"spec\":{\"securityContext\":{\"fsGroup\":7,\"fsGroupChangePolicy\":\"OnRootMismatch\"}}}");
  assert_true(volume_pod_fsgroup(pod, &gid, &orm));
  assert_true(orm && gid == 7);
  json_decref(pod);
  pod = J("{\"spec\":{\"securityContext\":{\"runAsUser\":1}}}");
  assert_false(volume_pod_fsgroup(pod, &gid, NULL));
  volume_pod_fsgroup_payload(pod, &p); /* no fsGroup: modes untouched */
  assert_int_equal(p.files[0].mode, 0440);
  assert_int_equal(volume_pod_apply_fsgroup(pod, "/nonexistent", false, NULL), 0);
  json_decref(pod);
  volume_payload_done(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_query_defaults),    cmocka_unit_test(test_query_values),
      cmocka_unit_test(test_query_legacy_tail), cmocka_unit_test(test_query_decode_errors),
      cmocka_unit_test(test_query_validation),  cmocka_unit_test(test_waiting_messages),
      cmocka_unit_test(test_fsgroup_walk_rw),   cmocka_unit_test(test_fsgroup_walk_ro),
      cmocka_unit_test(test_fsgroup_pod),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
