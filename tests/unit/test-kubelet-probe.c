/* Unit tests for probes, init containers and their status: probe defaults, threshold counting, scheduling,
 * named ports, HTTP verdicts, the handlers against loopback servers and a fake runc (exec with a timeout),
 * init container ordering, the phase and the Initialized condition, and ready/started in the status. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/kubelet/initctr.h"
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"

static json_t *J(const char *text) {
  json_t *j = json_loads(text, 0, NULL);
  assert_non_null(j);
  return j;
}

static void test_spec_defaults(void **state) {
  _cleanup_json_ json_t *p = J("{\"httpGet\":{\"port\":80}}");
  KubeletProbeSpec s;
  kubelet_probe_spec_parse(p, &s);
  assert_int_equal(s.initial_delay_sec, 0);
  assert_int_equal(s.timeout_sec, 1);
  assert_int_equal(s.period_sec, 10);
  assert_int_equal(s.success_threshold, 1);
  assert_int_equal(s.failure_threshold, 3);
  assert_int_equal(s.grace_sec, -1);
  _cleanup_json_ json_t *q =
      J("{\"initialDelaySeconds\":5,\"periodSeconds\":5,\"successThreshold\":3,"
        "\"timeoutSeconds\":2,\"failureThreshold\":1,\"terminationGracePeriodSeconds\":7}");
  kubelet_probe_spec_parse(q, &s);
  assert_int_equal(s.initial_delay_sec, 5);
  assert_int_equal(s.period_sec, 5);
  assert_int_equal(s.success_threshold, 3);
  assert_int_equal(s.timeout_sec, 2);
  assert_int_equal(s.failure_threshold, 1);
  assert_int_equal(s.grace_sec, 7);
}

static void test_thresholds(void **state) {
  KubeletProbeSpec s = {.success_threshold = 3, .failure_threshold = 2, .period_sec = 1, .timeout_sec = 1};
  KubeletProbeCounter c;
  /* Readiness starts as failure; three successes in a row make it a success (seed 001's probe). */
  kubelet_probe_counter_init(&c, KUBELET_PROBE_READINESS);
  assert_int_equal(c.result, KUBELET_PROBE_FAILURE);
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s));
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s));
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_FAILURE, &s)); /* breaks the run */
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s));
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s));
  assert_int_equal(c.result, KUBELET_PROBE_FAILURE);
  assert_true(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s));
  assert_int_equal(c.result, KUBELET_PROBE_SUCCESS);
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &s)); /* no change */
  /* Two failures in a row turn it back. */
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_FAILURE, &s));
  assert_true(kubelet_probe_count(&c, KUBELET_PROBE_FAILURE, &s));
  assert_int_equal(c.result, KUBELET_PROBE_FAILURE);
  /* Liveness starts as success, startup as unknown. */
  kubelet_probe_counter_init(&c, KUBELET_PROBE_LIVENESS);
  assert_int_equal(c.result, KUBELET_PROBE_SUCCESS);
  kubelet_probe_counter_init(&c, KUBELET_PROBE_STARTUP);
  assert_int_equal(c.result, KUBELET_PROBE_UNKNOWN);
  KubeletProbeSpec one = {.success_threshold = 1, .failure_threshold = 1};
  assert_true(kubelet_probe_count(&c, KUBELET_PROBE_SUCCESS, &one));
  assert_false(kubelet_probe_count(&c, KUBELET_PROBE_UNKNOWN, &one));
  assert_int_equal(c.result, KUBELET_PROBE_SUCCESS);
}

static void test_next_due(void **state) {
  KubeletProbeSpec s = {.initial_delay_sec = 5, .period_sec = 10};
  assert_int_equal(kubelet_probe_next_due(&s, 1000000, 0), 6000000);
  assert_int_equal(kubelet_probe_next_due(&s, 1000000, 6000000), 16000000);
  s.initial_delay_sec = 0;
  assert_int_equal(kubelet_probe_next_due(&s, 1000000, 0), 1000000);
  /* A restarted instance (started after the last run) waits for its own delay. */
  s.initial_delay_sec = 20;
  assert_int_equal(kubelet_probe_next_due(&s, 1000000, 2000000), 21000000);
}

static void test_ports(void **state) {
  _cleanup_json_ json_t *c =
      J("{\"ports\":[{\"name\":\"http\",\"containerPort\":8000},{\"containerPort\":9}]}");
  _cleanup_json_ json_t *n = json_integer(8080), *named = json_string("http"), *num = json_string("81"),
                        *unknown = json_string("nope"), *bad = json_integer(70000);
  assert_int_equal(kubelet_probe_port(n, c), 8080);
  assert_int_equal(kubelet_probe_port(named, c), 8000);
  assert_int_equal(kubelet_probe_port(num, c), 81);
  assert_int_equal(kubelet_probe_port(unknown, c), -1);
  assert_int_equal(kubelet_probe_port(bad, c), -1);
  assert_int_equal(kubelet_probe_port(NULL, c), -1);
}

static void test_http_verdict(void **state) {
  _cleanup_buf_ Buf m = BUF_INIT;
  assert_int_equal(kubelet_probe_http_verdict(200, &m), KUBELET_PROBE_SUCCESS);
  assert_int_equal(kubelet_probe_http_verdict(302, &m), KUBELET_PROBE_SUCCESS);
  assert_int_equal(kubelet_probe_http_verdict(399, &m), KUBELET_PROBE_SUCCESS);
  assert_int_equal(m.len, 0);
  assert_int_equal(kubelet_probe_http_verdict(404, &m), KUBELET_PROBE_FAILURE);
  assert_string_equal(m.data, "HTTP probe failed with statuscode: 404");
  buf_reset(&m);
  assert_int_equal(kubelet_probe_http_verdict(199, &m), KUBELET_PROBE_FAILURE);
}

/* ---- handlers against loopback ---- */

typedef struct Server {
  int fd;
  int port;
  const char *reply;
  char request[2048];
} Server;

static void *serve_one(void *arg) {
  Server *s = arg;
  int c = accept(s->fd, NULL, NULL);
  if (c < 0)
    return NULL;
  size_t got = 0;
  while (got < sizeof s->request - 1) {
    ssize_t n = read(c, s->request + got, sizeof s->request - 1 - got);
    if (n <= 0)
      break;
    got += (size_t)n;
    s->request[got] = 0;
    if (strstr(s->request, "\r\n\r\n"))
      break;
  }
  if (write(c, s->reply, strlen(s->reply)) < 0)
    s->request[0] = 0;
  close(c);
  return NULL;
}

static void listen_loopback(Server *s) {
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s->fd, 4), 0);
  socklen_t len = sizeof a;
  getsockname(s->fd, (struct sockaddr *)&a, &len);
  s->port = ntohs(a.sin_port);
}

static void test_http_and_tcp_handlers(void **state) {
  Server s = {.reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"};
  listen_loopback(&s);
  pthread_t t;
  pthread_create(&t, NULL, serve_one, &s);
  _cleanup_free_ char *text = xasprintf("{\"httpGet\":{\"path\":\"/test\",\"port\":%d,\"host\":\"127.0.0.1\","
                                        "\"httpHeaders\":[{\"name\":\"X-Probe\",\"value\":\"yes\"}]}}",
                                        s.port);
  _cleanup_json_ json_t *h = J(text);
  KubeletHandlerTarget tg = {.cancel_fd = -1};
  _cleanup_buf_ Buf m = BUF_INIT;
  assert_int_equal(kubelet_handler_run(&tg, h, 5, &m), KUBELET_PROBE_FAILURE);
  pthread_join(t, NULL);
  assert_string_equal(m.data, "HTTP probe failed with statuscode: 404");
  assert_non_null(strstr(s.request, "GET /test HTTP/1.1\r\n"));
  assert_non_null(strstr(s.request, "X-Probe: yes\r\n"));
  assert_non_null(strstr(s.request, "User-Agent: kube-probe/1.32\r\n"));

  s.reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  pthread_create(&t, NULL, serve_one, &s);
  buf_reset(&m);
  assert_int_equal(kubelet_handler_run(&tg, h, 5, &m), KUBELET_PROBE_SUCCESS);
  pthread_join(t, NULL);

  /* tcpSocket: open, then closed. */
  _cleanup_free_ char *tt = xasprintf("{\"tcpSocket\":{\"port\":%d}}", s.port);
  _cleanup_json_ json_t *th = J(tt);
  buf_reset(&m);
  assert_int_equal(kubelet_handler_run(&tg, th, 1, &m), KUBELET_PROBE_SUCCESS);
  close(s.fd);
  buf_reset(&m);
  assert_int_equal(kubelet_handler_run(&tg, th, 1, &m), KUBELET_PROBE_FAILURE);
  _cleanup_free_ char *want = xasprintf("dial tcp 127.0.0.1:%d: connect: connection refused", s.port);
  assert_string_equal(m.data, want);
  buf_reset(&m);
  assert_int_equal(kubelet_handler_run(&tg, h, 1, &m), KUBELET_PROBE_FAILURE);
  assert_non_null(strstr(m.data, "connect: connection refused"));
}

static void test_exec_handler(void **state) {
  /* A stand-in for runc: drops "--root ROOT exec ID" and runs the command. */
  char path[] = "/tmp/fake-runc-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *script = "#!/bin/sh\nshift 4\nexec \"$@\"\n";
  assert_int_equal(write(fd, script, strlen(script)), (ssize_t)strlen(script));
  fchmod(fd, 0755);
  close(fd);
  KubeletHandlerTarget tg = {.runc = path, .runc_root = "/nonexistent", .ctr_id = "id", .cancel_fd = -1};
  _cleanup_buf_ Buf m = BUF_INIT;
  _cleanup_json_ json_t *ok = J("{\"exec\":{\"command\":[\"true\"]}}");
  assert_int_equal(kubelet_handler_run(&tg, ok, 5, &m), KUBELET_PROBE_SUCCESS);
  _cleanup_json_ json_t *bad = J("{\"exec\":{\"command\":[\"sh\",\"-c\",\"echo not healthy; exit 3\"]}}");
  assert_int_equal(kubelet_handler_run(&tg, bad, 5, &m), KUBELET_PROBE_FAILURE);
  assert_string_equal(m.data, "not healthy\n");
  buf_reset(&m);
  _cleanup_json_ json_t *quiet = J("{\"exec\":{\"command\":[\"false\"]}}");
  assert_int_equal(kubelet_handler_run(&tg, quiet, 5, &m), KUBELET_PROBE_FAILURE);
  assert_string_equal(m.data, "command terminated with exit code 1");
  buf_reset(&m);
  uint64_t t0 = now_monotonic_usec();
  _cleanup_json_ json_t *hang = J("{\"exec\":{\"command\":[\"sleep\",\"30\"]}}");
  assert_int_equal(kubelet_handler_run(&tg, hang, 1, &m), KUBELET_PROBE_FAILURE);
  uint64_t took = now_monotonic_usec() - t0;
  assert_true(took >= 1000000 && took < 5000000);
  assert_string_equal(m.data, "command \"sleep 30\" timed out");
  /* The cancel pipe ends a running handler at once. */
  int p[2];
  assert_int_equal(pipe(p), 0);
  close(p[1]);
  tg.cancel_fd = p[0];
  t0 = now_monotonic_usec();
  assert_int_equal(kubelet_handler_run(&tg, hang, 20, &m), KUBELET_PROBE_FAILURE);
  assert_true(now_monotonic_usec() - t0 < 5000000);
  close(p[0]);
  unlink(path);
}

/* ---- init containers and status ---- */

static KubeletCtr ctr(const char *name, KubeletCtrState st, int exit_code, bool has_last) {
  KubeletCtr c = {.name = (char *)name, .state = st, .instance = -1};
  c.term.exit_code = exit_code;
  c.has_last = has_last;
  c.last.exit_code = exit_code;
  return c;
}

static void test_init_rules(void **state) {
  assert_string_equal(kubelet_init_restart_policy("Always"), "OnFailure");
  assert_string_equal(kubelet_init_restart_policy("OnFailure"), "OnFailure");
  assert_string_equal(kubelet_init_restart_policy("Never"), "Never");
  KubeletCtr inits[2] = {ctr("a", KUBELET_CTR_TERMINATED, 0, false), ctr("b", KUBELET_CTR_RUNNING, 0, false)};
  KubeletCtr app = ctr("app", KUBELET_CTR_WAITING, 0, false);
  KubeletPod kp = {.ctrs = &app, .n_ctrs = 1, .inits = inits, .n_inits = 2};
  assert_int_equal(kubelet_init_next(inits, 2), 1);
  assert_string_equal(kubelet_pod_phase_init("Always", &kp), "Pending");
  _cleanup_buf_ Buf m = BUF_INIT;
  assert_false(kubelet_pod_initialized(&kp, &m));
  assert_string_equal(m.data, "containers with incomplete status: [b]");
  /* b fails: Never fails the pod, Always keeps it pending (restarts b). */
  inits[1] = ctr("b", KUBELET_CTR_TERMINATED, 2, false);
  assert_string_equal(kubelet_pod_phase_init("Never", &kp), "Failed");
  assert_string_equal(kubelet_pod_phase_init("Always", &kp), "Pending");
  inits[1] = ctr("b", KUBELET_CTR_WAITING, 2, true); /* CrashLoopBackOff */
  assert_string_equal(kubelet_pod_phase_init("OnFailure", &kp), "Pending");
  /* All done: the app containers decide. */
  inits[1] = ctr("b", KUBELET_CTR_TERMINATED, 0, false);
  assert_int_equal(kubelet_init_next(inits, 2), 2);
  app = ctr("app", KUBELET_CTR_RUNNING, 0, false);
  assert_string_equal(kubelet_pod_phase_init("Always", &kp), "Running");
  buf_reset(&m);
  assert_true(kubelet_pod_initialized(&kp, &m));
  assert_int_equal(m.len, 0);
}

static void test_status_ready_started_inits(void **state) {
  _cleanup_json_ json_t *pod =
      J("{\"spec\":{\"restartPolicy\":\"Always\",\"containers\":[{\"name\":\"app\","
        "\"image\":\"busybox\"}],\"initContainers\":[{\"name\":\"a\",\"image\":\"busybox\"},"
        "{\"name\":\"b\",\"image\":\"busybox\"}]}}");
  KubeletCtr inits[2] = {ctr("a", KUBELET_CTR_TERMINATED, 0, false), ctr("b", KUBELET_CTR_RUNNING, 0, false)};
  inits[1].started_at = 1795701213;
  KubeletCtr app = ctr("app", KUBELET_CTR_WAITING, 0, false);
  app.reason = "PodInitializing";
  KubeletPod kp = {.ctrs = &app, .n_ctrs = 1, .inits = inits, .n_inits = 2, .sandbox_ready = true};
  _cleanup_json_ json_t *st = kubelet_pod_status(pod, &kp, "10.0.0.1", NULL, 1795701300);
  assert_string_equal(jstr(st, "phase"), "Pending");
  json_t *is = json_object_get(st, "initContainerStatuses");
  assert_int_equal(json_array_size(is), 2);
  assert_true(json_is_true(json_object_get(json_array_get(is, 0), "ready")));
  assert_false(json_is_true(json_object_get(json_array_get(is, 0), "started")));
  assert_false(json_is_true(json_object_get(json_array_get(is, 1), "ready")));
  assert_string_equal(
      jstr(json_array_get(json_object_get(st, "containerStatuses"), 0), "state.waiting.reason"),
      "PodInitializing");
  json_t *c;
  size_t i;
  json_array_foreach(json_object_get(st, "conditions"), i, c) {
    if (streq(jstr(c, "type"), "Initialized")) {
      assert_string_equal(jstr(c, "status"), "False");
      assert_string_equal(jstr(c, "reason"), "ContainersNotInitialized");
      assert_string_equal(jstr(c, "message"), "containers with incomplete status: [b]");
    }
  }
  /* Running but not ready (a readiness probe not passed yet), and not started (startup probe). */
  inits[1] = ctr("b", KUBELET_CTR_TERMINATED, 0, false);
  app = ctr("app", KUBELET_CTR_RUNNING, 0, false);
  app.started_at = 1795701213;
  app.not_ready = true;
  _cleanup_json_ json_t *st2 = kubelet_pod_status(pod, &kp, "10.0.0.1", st, 1795701300);
  json_t *cs = json_array_get(json_object_get(st2, "containerStatuses"), 0);
  assert_false(json_is_true(json_object_get(cs, "ready")));
  assert_true(json_is_true(json_object_get(cs, "started")));
  assert_string_equal(jstr(st2, "phase"), "Running");
  json_array_foreach(json_object_get(st2, "conditions"), i, c) {
    if (streq(jstr(c, "type"), "Ready") || streq(jstr(c, "type"), "ContainersReady"))
      assert_string_equal(jstr(c, "status"), "False");
    if (streq(jstr(c, "type"), "Initialized"))
      assert_string_equal(jstr(c, "status"), "True");
  }
  app.not_ready = false;
  _cleanup_json_ json_t *st3 = kubelet_pod_status(pod, &kp, "10.0.0.1", st2, 1795701300);
  cs = json_array_get(json_object_get(st3, "containerStatuses"), 0);
  assert_true(json_is_true(json_object_get(cs, "ready")));
  json_array_foreach(json_object_get(st3, "conditions"), i, c) {
    if (streq(jstr(c, "type"), "Ready"))
      assert_string_equal(jstr(c, "status"), "True");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spec_defaults),
      cmocka_unit_test(test_thresholds),
      cmocka_unit_test(test_next_due),
      cmocka_unit_test(test_ports),
      cmocka_unit_test(test_http_verdict),
      cmocka_unit_test(test_http_and_tcp_handlers),
      cmocka_unit_test(test_exec_handler),
      cmocka_unit_test(test_init_rules),
      cmocka_unit_test(test_status_ready_started_inits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
