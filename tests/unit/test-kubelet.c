/* Unit tests for the kubelet's pure parts: the restart back-off, restartPolicy decisions, the container
 * state machine, the pod phase from container states (kubelet's getPhase) and the status written to the
 * API (containerStatuses, conditions, qosClass). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/kubelet.h"
#include "api/jsonutil.h"

static void test_backoff(void **state) {
  assert_int_equal(kubelet_backoff_usec(0), 0);
  assert_int_equal(kubelet_backoff_usec(1), 10000000);
  assert_int_equal(kubelet_backoff_usec(2), 20000000);
  assert_int_equal(kubelet_backoff_usec(3), 40000000);
  assert_int_equal(kubelet_backoff_usec(5), 160000000);
  assert_int_equal(kubelet_backoff_usec(6), 300000000); /* capped at 5 min */
  assert_int_equal(kubelet_backoff_usec(100), 300000000);
}

static void test_restart_policy(void **state) {
  assert_true(kubelet_should_restart("Always", 0));
  assert_true(kubelet_should_restart(NULL, 0));
  assert_true(kubelet_should_restart("OnFailure", 1));
  assert_false(kubelet_should_restart("OnFailure", 0));
  assert_false(kubelet_should_restart("Never", 1));
}

static KubeletCtr ctr(KubeletCtrState st, int exit_code, bool has_last) {
  KubeletCtr c = {.name = "c", .state = st, .instance = -1};
  c.term.exit_code = exit_code;
  c.has_last = has_last;
  return c;
}

static void test_phase(void **state) {
  KubeletCtr waiting = ctr(KUBELET_CTR_WAITING, 0, false), running = ctr(KUBELET_CTR_RUNNING, 0, false);
  KubeletCtr ok = ctr(KUBELET_CTR_TERMINATED, 0, false), bad = ctr(KUBELET_CTR_TERMINATED, 1, false);
  KubeletCtr backoff = ctr(KUBELET_CTR_WAITING, 0, true);
  backoff.last.exit_code = 2;
  assert_string_equal(kubelet_pod_phase("Always", &waiting, 1), "Pending");
  assert_string_equal(kubelet_pod_phase("Always", &running, 1), "Running");
  KubeletCtr two[] = {running, waiting};
  assert_string_equal(kubelet_pod_phase("Always", two, 2), "Pending");
  assert_string_equal(kubelet_pod_phase("Never", &ok, 1), "Succeeded");
  assert_string_equal(kubelet_pod_phase("Never", &bad, 1), "Failed");
  assert_string_equal(kubelet_pod_phase("Always", &ok, 1), "Running");
  assert_string_equal(kubelet_pod_phase("OnFailure", &ok, 1), "Succeeded");
  assert_string_equal(kubelet_pod_phase("OnFailure", &bad, 1), "Running");
  /* CrashLoopBackOff counts as stopped, not waiting: the pod stays Running. */
  assert_string_equal(kubelet_pod_phase("Always", &backoff, 1), "Running");
  KubeletCtr mixed[] = {running, ok};
  assert_string_equal(kubelet_pod_phase("Never", mixed, 2), "Running");
}

static void test_transitions(void **state) {
  KubeletCtr c = {.name = xstrdup("c"), .state = KUBELET_CTR_WAITING, .instance = -1};
  kubelet_ctr_transition(&c, KUBELET_CTR_WAITING, "ErrImagePull", "no");
  assert_string_equal(c.reason, "ErrImagePull");
  kubelet_ctr_transition(&c, KUBELET_CTR_RUNNING, NULL, NULL);
  assert_null(c.reason);
  kubelet_ctr_transition(&c, KUBELET_CTR_TERMINATED, NULL, NULL);
  kubelet_ctr_transition(&c, KUBELET_CTR_WAITING, "CrashLoopBackOff", "back-off");
  assert_int_equal(c.state, KUBELET_CTR_WAITING);
  assert_string_equal(kubelet_ctr_state_to_string(KUBELET_CTR_TERMINATED), "terminated");
  assert_int_equal(kubelet_ctr_state_from_string("running"), KUBELET_CTR_RUNNING);
  assert_int_equal(kubelet_ctr_state_from_string("bogus"), KUBELET_CTR_INVALID);
  kubelet_ctr_done(&c);
}

static void test_status(void **state) {
  _cleanup_json_ json_t *pod = json_loads("{\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid\":"
                                          "\"u\"},\"spec\":{\"restartPolicy\":\"Always\","
                                          "\"containers\":[{\"name\":\"a\",\"image\":\"busybox\","
                                          "\"resources\":{\"limits\":{\"cpu\":\"1\",\"memory\":"
                                          "\"1Gi\"}}},{\"name\":\"b\",\"image\":\"busybox\"}]}}",
                                          0, NULL);
  KubeletCtr ctrs[2] = {
      {.name = "a",
       .state = KUBELET_CTR_RUNNING,
       .id = "abc",
       .started_at = 1795701213,
       .restart_count = 2,
       .image = "docker.io/library/busybox:latest",
       .image_id = "docker.io/library/busybox@sha256:1"},
      {.name = "b",
       .state = KUBELET_CTR_WAITING,
       .reason = "CrashLoopBackOff",
       .message = "back-off 10s",
       .has_last = true,
       .restart_count = 1},
  };
  ctrs[1].last = (KubeletTerm){
      .exit_code = 3, .reason = "Error", .started_at = 1, .finished_at = 2, .container_id = "def"};
  KubeletPod kp = {.uid = "u",
                   .ns = "default",
                   .name = "p",
                   .ctrs = ctrs,
                   .n_ctrs = 2,
                   .start_time = 1795701200,
                   .sandbox_ready = true};
  _cleanup_json_ json_t *st = kubelet_pod_status(pod, &kp, "10.0.0.1", NULL, 1795701300);
  assert_string_equal(jstr(st, "phase"), "Running");
  assert_string_equal(jstr(st, "hostIP"), "10.0.0.1");
  assert_string_equal(jstr(st, "startTime"), "2026-11-26T13:53:20Z");
  assert_string_equal(jstr(st, "qosClass"), "Burstable");
  json_t *a = json_array_get(json_object_get(st, "containerStatuses"), 0);
  json_t *b = json_array_get(json_object_get(st, "containerStatuses"), 1);
  assert_string_equal(jstr(a, "state.running.startedAt"), "2026-11-26T13:53:33Z");
  assert_string_equal(jstr(a, "containerID"), "runc://abc");
  assert_true(json_is_true(json_object_get(a, "ready")));
  assert_int_equal(jint(a, "restartCount", -1), 2);
  assert_string_equal(jstr(b, "state.waiting.reason"), "CrashLoopBackOff");
  assert_int_equal(jint(b, "lastState.terminated.exitCode", -1), 3);
  assert_string_equal(jstr(b, "lastState.terminated.containerID"), "runc://def");
  assert_false(json_is_true(json_object_get(b, "ready")));
  assert_string_equal(jstr(b, "image"), "busybox"); /* never pulled: the spec's name */
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(st, "conditions"), i, c) {
    if (streq(jstr(c, "type"), "Ready")) {
      assert_string_equal(jstr(c, "status"), "False");
      assert_string_equal(jstr(c, "reason"), "ContainersNotReady");
    }
    if (streq(jstr(c, "type"), "PodScheduled"))
      assert_string_equal(jstr(c, "status"), "True");
  }
  /* A condition whose status did not change keeps its lastTransitionTime. */
  _cleanup_json_ json_t *st2 = kubelet_pod_status(pod, &kp, "10.0.0.1", st, 1795709999);
  json_array_foreach(json_object_get(st2, "conditions"), i, c) {
    if (streq(jstr(c, "type"), "Ready"))
      assert_string_equal(jstr(c, "lastTransitionTime"), "2026-11-26T13:55:00Z");
  }
  /* QoS classes. */
  _cleanup_json_ json_t *be = json_loads("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", 0, NULL);
  assert_string_equal(kubelet_qos_class(be), "BestEffort");
  _cleanup_json_ json_t *g =
      json_loads("{\"spec\":{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":"
                 "{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}",
                 0, NULL);
  assert_string_equal(kubelet_qos_class(g), "Guaranteed");
}

static void test_node_images(void **state) {
  (void)state;
  ImageInfo a = {.name = "docker.io/library/busybox:1.36",
                 .repository = "docker.io/library/busybox",
                 .digest = "sha256:aaa",
                 .config = "sha256:c1",
                 .size = 100};
  ImageInfo a2 = a; /* the same image under a second tag */
  a2.name = "docker.io/library/busybox:latest";
  ImageInfo b = {.name = "docker.io/library/nginx:1.14.2",
                 .repository = "docker.io/library/nginx",
                 .digest = "sha256:bbb",
                 .config = "sha256:c2",
                 .size = 500};
  ImageInfo *list[] = {&a, &a2, &b};
  _cleanup_json_ json_t *out = kubelet_node_images(list, 3);
  assert_int_equal(json_array_size(out), 2);
  /* largest first */
  assert_int_equal(jint(json_array_get(out, 0), "sizeBytes", 0), 500);
  json_t *names = json_object_get(json_array_get(out, 1), "names");
  assert_int_equal(json_array_size(names), 3);
  assert_string_equal(json_string_value(json_array_get(names, 0)), "docker.io/library/busybox@sha256:aaa");
  assert_string_equal(json_string_value(json_array_get(names, 1)), "docker.io/library/busybox:1.36");
  assert_string_equal(json_string_value(json_array_get(names, 2)), "docker.io/library/busybox:latest");
  /* capped at the kubelet's 50 */
  ImageInfo many[60];
  ImageInfo *ptrs[60];
  char ids[60][16];
  for (int i = 0; i < 60; i++) {
    snprintf(ids[i], sizeof ids[i], "sha256:%02d", i);
    many[i] = (ImageInfo){.name = ids[i], .config = ids[i], .size = i};
    ptrs[i] = &many[i];
  }
  _cleanup_json_ json_t *capped = kubelet_node_images(ptrs, 60);
  assert_int_equal(json_array_size(capped), KUBELET_NODE_MAX_IMAGES);
  assert_int_equal(jint(json_array_get(capped, 0), "sizeBytes", -1), 59);
  assert_int_equal(jint(json_array_get(capped, KUBELET_NODE_MAX_IMAGES - 1), "sizeBytes", -1), 10);
}

/* ---- the node's address without --node-ip ---- */

static struct ifaddrs *fake_if(struct ifaddrs *next, const char *name, const char *ip, unsigned flags,
                               struct sockaddr_in *sa) {
  struct ifaddrs *i = test_malloc(sizeof *i);
  *i = (struct ifaddrs){.ifa_next = next, .ifa_name = (char *)name, .ifa_flags = flags};
  *sa = (struct sockaddr_in){.sin_family = AF_INET};
  inet_pton(AF_INET, ip, &sa->sin_addr);
  i->ifa_addr = (struct sockaddr *)sa;
  return i;
}

static void test_node_ip_pick(void **state) {
  (void)state;
  struct sockaddr_in sa[3];
  /* getifaddrs order: lo, eth0, eth1; the default route leaves through eth1. */
  struct ifaddrs *eth1 = fake_if(NULL, "eth1", "192.168.77.1", IFF_UP, &sa[2]);
  struct ifaddrs *eth0 = fake_if(eth1, "eth0", "10.0.0.5", IFF_UP, &sa[1]);
  struct ifaddrs *lo = fake_if(eth0, "lo", "127.0.0.1", IFF_UP | IFF_LOOPBACK, &sa[0]);
  const char *routes = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
                       "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"
                       "eth1\t00000000\t024DA8C0\t0003\t0\t0\t0\t00000000\n";
  char *ip = kubelet_node_ip_pick(routes, lo);
  assert_string_equal(ip, "192.168.77.1");
  free(ip);
  /* No default route: the first address that is not loopback. */
  ip = kubelet_node_ip_pick("Iface\tDestination\n eth0\t0000000A\n", lo);
  assert_string_equal(ip, "10.0.0.5");
  free(ip);
  ip = kubelet_node_ip_pick(NULL, lo);
  assert_string_equal(ip, "10.0.0.5");
  free(ip);
  /* Only loopback (an isolated namespace). */
  eth0->ifa_next = NULL;
  lo->ifa_next = NULL;
  ip = kubelet_node_ip_pick(routes, lo);
  assert_string_equal(ip, "127.0.0.1");
  free(ip);
  test_free(lo);
  test_free(eth0);
  test_free(eth1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_backoff),      cmocka_unit_test(test_restart_policy),
      cmocka_unit_test(test_phase),        cmocka_unit_test(test_transitions),
      cmocka_unit_test(test_status),       cmocka_unit_test(test_node_images),
      cmocka_unit_test(test_node_ip_pick),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
