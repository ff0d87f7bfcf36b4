/* Unit tests for the node lifecycle and disruption decisions: conditions of a silent node, taints by
 * condition, the taint manager's eviction delay, PodDisruptionBudget status (int and percent minAvailable,
 * maxUnavailable, disrupted pods), the eviction API's budget check, and event expiry. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "apiserver/eventttl.h"
#include "apiserver/eviction.h"
#include "controllers/nodelifecycle.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  if (!v)
    fail_msg("bad JSON in test: %s: %s", e.text, text);
  return v;
}

static json_t *cond(json_t *status, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(json_object_get(status, "conditions"), i, c) {
    if (streq_ptr(jstr(c, "type"), type))
      return c;
  }
  return NULL;
}

/* ---- node conditions and taints ---- */

static void test_mark_unknown(void **state) {
  (void)state;
  json_t *st =
      J("{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\","
        "\"lastHeartbeatTime\":\"2026-01-01T00:00:00Z\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"},"
        "{\"type\":\"MemoryPressure\",\"status\":\"False\"}]}");
  assert_true(nlc_mark_unknown(st, "2025-12-31T00:00:00Z", "2026-01-01T00:01:00Z"));
  json_t *r = cond(st, "Ready");
  assert_string_equal(jstr(r, "status"), "Unknown");
  assert_string_equal(jstr(r, "reason"), "NodeStatusUnknown");
  assert_string_equal(jstr(r, "message"), "Kubelet stopped posting node status.");
  assert_string_equal(jstr(r, "lastTransitionTime"), "2026-01-01T00:01:00Z");
  assert_string_equal(jstr(r, "lastHeartbeatTime"), "2026-01-01T00:00:00Z"); /* kept */
  assert_string_equal(jstr(cond(st, "MemoryPressure"), "status"), "Unknown");
  json_t *d = cond(st, "DiskPressure"); /* missing: added as never updated */
  assert_string_equal(jstr(d, "reason"), "NodeStatusNeverUpdated");
  assert_string_equal(jstr(d, "message"), "Kubelet never posted node status.");
  assert_non_null(cond(st, "PIDPressure"));
  assert_int_equal(json_array_size(json_object_get(st, "conditions")), 4);
  /* A second pass changes nothing, so the controller writes once. */
  assert_false(nlc_mark_unknown(st, "2025-12-31T00:00:00Z", "2026-01-01T00:02:00Z"));
  assert_string_equal(jstr(r, "lastTransitionTime"), "2026-01-01T00:01:00Z");
  json_decref(st);
}

static json_t *taint(json_t *taints, const char *key, const char *effect) {
  size_t i;
  json_t *t;
  json_array_foreach(taints, i, t) {
    if (streq_ptr(jstr(t, "key"), key) && streq_ptr(jstr(t, "effect"), effect))
      return t;
  }
  return NULL;
}

static void test_desired_taints(void **state) {
  (void)state;
  const char *now = "2026-01-01T00:00:00Z";
  /* Unknown: unreachable NoExecute (with timeAdded) and NoSchedule; a user's taint is kept. */
  json_t *n =
      J("{\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}]},"
        "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"Unknown\"}]}}");
  json_t *t = nlc_desired_taints(n, now);
  assert_int_equal(json_array_size(t), 3);
  assert_string_equal(jstr(json_array_get(t, 0), "key"), "dedicated");
  assert_string_equal(jstr(taint(t, NLC_TAINT_UNREACHABLE, "NoExecute"), "timeAdded"), now);
  assert_non_null(taint(t, NLC_TAINT_UNREACHABLE, "NoSchedule"));
  assert_null(jstr(taint(t, NLC_TAINT_UNREACHABLE, "NoSchedule"), "timeAdded"));
  assert_null(taint(t, NLC_TAINT_NOT_READY, "NoExecute"));

  /* Applied, then the node turns Ready=False: unreachable swapped for not-ready. */
  json_object_set(json_object_get(n, "spec"), "taints", t);
  json_decref(t);
  jset(json_array_get(jpath(n, "status.conditions"), 0), "status", json_string("False"));
  t = nlc_desired_taints(n, "2026-01-01T00:05:00Z");
  assert_null(taint(t, NLC_TAINT_UNREACHABLE, "NoExecute"));
  assert_null(taint(t, NLC_TAINT_UNREACHABLE, "NoSchedule"));
  assert_string_equal(jstr(taint(t, NLC_TAINT_NOT_READY, "NoExecute"), "timeAdded"), "2026-01-01T00:05:00Z");
  assert_non_null(taint(t, NLC_TAINT_NOT_READY, "NoSchedule"));

  /* Unchanged conditions keep timeAdded (the taint manager's clock must not restart). */
  json_object_set(json_object_get(n, "spec"), "taints", t);
  json_decref(t);
  t = nlc_desired_taints(n, "2026-01-01T00:09:00Z");
  assert_true(json_equal(t, jpath(n, "spec.taints")));
  json_decref(t);

  /* Ready again, cordoned, memory pressure: only unschedulable and memory-pressure besides the user's. */
  jset(json_array_get(jpath(n, "status.conditions"), 0), "status", json_string("True"));
  json_array_append_new(jpath(n, "status.conditions"),
                        J("{\"type\":\"MemoryPressure\",\"status\":\"True\"}"));
  jset(n, "spec.unschedulable", json_true());
  t = nlc_desired_taints(n, now);
  assert_int_equal(json_array_size(t), 3);
  assert_non_null(taint(t, NLC_TAINT_UNSCHEDULABLE, "NoSchedule"));
  assert_non_null(taint(t, NLC_TAINT_MEMORY_PRESSURE, "NoSchedule"));
  json_decref(t);
  json_decref(n);

  /* No Ready condition yet (just registered): no readiness taint. */
  n = J("{\"spec\":{},\"status\":{}}");
  t = nlc_desired_taints(n, now);
  assert_int_equal(json_array_size(t), 0);
  json_decref(t);
  json_decref(n);
}

static void test_eviction_delay(void **state) {
  (void)state;
  json_t *taints = J("[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"},"
                     "{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoSchedule\"}]");
  json_t *defaults =
      J("[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
        "\"tolerationSeconds\":300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":"
        "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}]");
  assert_int_equal(nlc_eviction_delay(defaults, taints), 300);
  json_t *none = J("[]");
  assert_int_equal(nlc_eviction_delay(none, taints), 0); /* not tolerated: at once */
  assert_int_equal(nlc_eviction_delay(NULL, taints), 0);
  json_t *forever = J("[{\"operator\":\"Exists\"}]"); /* tolerates everything, no time limit */
  assert_int_equal(nlc_eviction_delay(forever, taints), NLC_EVICT_NEVER);
  json_t *zero =
      J("[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"tolerationSeconds\":0}]");
  assert_int_equal(nlc_eviction_delay(zero, taints), 0);
  json_t *wrong_value =
      J("[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Equal\",\"value\":\"x\"}]");
  assert_int_equal(nlc_eviction_delay(wrong_value, taints), 0);
  json_t *noschedule_only = J("[{\"key\":\"a\",\"effect\":\"NoSchedule\"}]");
  assert_int_equal(nlc_eviction_delay(none, noschedule_only), NLC_EVICT_NEVER);
  /* Two NoExecute taints: the smallest tolerationSeconds of the tolerations used. */
  json_t *two = J("[{\"key\":\"node.kubernetes.io/unreachable\",\"effect\":\"NoExecute\"},"
                  "{\"key\":\"custom\",\"value\":\"v\",\"effect\":\"NoExecute\"}]");
  json_t *tols =
      J("[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"tolerationSeconds\":60},"
        "{\"key\":\"custom\",\"operator\":\"Equal\",\"value\":\"v\",\"tolerationSeconds\":7}]");
  assert_int_equal(nlc_eviction_delay(tols, two), 7);
  assert_int_equal(nlc_eviction_delay(defaults, two), 0); /* custom not tolerated */
  json_decref(taints);
  json_decref(defaults);
  json_decref(none);
  json_decref(forever);
  json_decref(zero);
  json_decref(wrong_value);
  json_decref(noschedule_only);
  json_decref(two);
  json_decref(tols);
}

/* ---- PodDisruptionBudget status ---- */

static json_t *pods_ready(int ready, int unready) {
  json_t *a = json_array();
  for (int i = 0; i < ready + unready; i++) {
    char buf[256];
    snprintf(buf, sizeof buf,
             "{\"metadata\":{\"name\":\"p%d\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
             "\"Ready\",\"status\":\"%s\"}]}}",
             i, i < ready ? "True" : "False");
    json_array_append_new(a, J(buf));
  }
  return a;
}

static void test_pdb_min_available_int(void **state) {
  (void)state;
  json_t *pdb = J("{\"metadata\":{\"name\":\"web\",\"generation\":2},\"spec\":{\"minAvailable\":2}}");
  json_t *pods = pods_ready(3, 1);
  int64_t recheck = -1;
  json_t *st = pdb_compute_status(pdb, pods, -1, 1000, &recheck);
  assert_int_equal(jint(st, "expectedPods", -1), 4);
  assert_int_equal(jint(st, "desiredHealthy", -1), 2);
  assert_int_equal(jint(st, "currentHealthy", -1), 3);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 1);
  assert_int_equal(jint(st, "observedGeneration", -1), 2);
  assert_int_equal(recheck, 0);
  json_t *c = cond(st, "DisruptionAllowed");
  assert_string_equal(jstr(c, "status"), "True");
  assert_string_equal(jstr(c, "reason"), "SufficientPods");
  json_decref(st);

  /* p0 was just evicted (in disruptedPods): not healthy for two minutes, then counted again. */
  jset(pdb, "status.disruptedPods", J("{\"p0\":\"1970-01-01T00:16:00Z\"}")); /* 960 */
  st = pdb_compute_status(pdb, pods, -1, 1000, &recheck);
  assert_int_equal(jint(st, "currentHealthy", -1), 2);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 0);
  assert_int_equal(recheck, 960 + PDB_DELETION_TIMEOUT_SEC);
  assert_non_null(jpath(st, "disruptedPods.p0"));
  c = cond(st, "DisruptionAllowed");
  assert_string_equal(jstr(c, "status"), "False");
  assert_string_equal(jstr(c, "reason"), "InsufficientPods");
  json_decref(st);
  st = pdb_compute_status(pdb, pods, -1, 960 + PDB_DELETION_TIMEOUT_SEC, &recheck);
  assert_int_equal(jint(st, "currentHealthy", -1), 3);
  assert_null(jpath(st, "disruptedPods"));
  json_decref(st);
  json_decref(pods);
  json_decref(pdb);
}

static void test_pdb_percent_and_max_unavailable(void **state) {
  (void)state;
  json_t *pods = pods_ready(4, 0);
  /* 50% of a scale of 5 rounds up to 3. */
  json_t *pdb = J("{\"metadata\":{\"generation\":1},\"spec\":{\"minAvailable\":\"50%\"}}");
  json_t *st = pdb_compute_status(pdb, pods, 5, 0, NULL);
  assert_int_equal(jint(st, "expectedPods", -1), 5);
  assert_int_equal(jint(st, "desiredHealthy", -1), 3);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 1);
  json_decref(st);
  json_decref(pdb);
  /* maxUnavailable 1 of 5: 4 needed, 4 healthy, none allowed. */
  pdb = J("{\"metadata\":{\"generation\":1},\"spec\":{\"maxUnavailable\":1}}");
  st = pdb_compute_status(pdb, pods, 5, 0, NULL);
  assert_int_equal(jint(st, "desiredHealthy", -1), 4);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 0);
  json_decref(st);
  json_decref(pdb);
  /* maxUnavailable 25% of 4 rounds up to 1. */
  pdb = J("{\"metadata\":{\"generation\":1},\"spec\":{\"maxUnavailable\":\"25%\"}}");
  st = pdb_compute_status(pdb, pods, 4, 0, NULL);
  assert_int_equal(jint(st, "desiredHealthy", -1), 3);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 1);
  json_decref(st);
  json_decref(pdb);
  /* No expected pods: nothing may be disrupted even with minAvailable 0. */
  json_t *empty = json_array();
  pdb = J("{\"metadata\":{\"generation\":1},\"spec\":{\"minAvailable\":0}}");
  st = pdb_compute_status(pdb, empty, -1, 0, NULL);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 0);
  json_decref(st);
  json_decref(pdb);
  json_decref(empty);
  json_decref(pods);
}

/* ---- eviction API budget check ---- */

static void test_eviction_check(void **state) {
  (void)state;
  Error e = ERROR_INIT;
  json_t *st = NULL;
  /* Not yet processed by the controller. */
  json_t *pdb = J("{\"metadata\":{\"name\":\"web\",\"generation\":1},\"status\":{}}");
  assert_int_equal(eviction_check_pdb(pdb, "p0", 100, &st, &e), -EAGAIN);
  assert_int_equal(error_http_status(&e), 429);
  assert_string_equal(e.reason, "TooManyRequests");
  assert_string_equal(e.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  assert_string_equal(e.causes[0].message,
                      "The disruption budget web is still being processed by the server.");
  error_reset(&e);
  json_decref(pdb);
  /* No disruption left. */
  pdb = J("{\"metadata\":{\"name\":\"web\",\"generation\":1},\"status\":{\"observedGeneration\":1,"
          "\"disruptionsAllowed\":0,\"desiredHealthy\":2,\"currentHealthy\":2}}");
  assert_int_equal(eviction_check_pdb(pdb, "p0", 100, &st, &e), -EAGAIN);
  assert_string_equal(e.causes[0].reason, "DisruptionBudget");
  assert_string_equal(e.causes[0].message,
                      "The disruption budget web needs 2 healthy pods and has 2 currently");
  error_reset(&e);
  /* One left: spent, recorded, condition turned False. */
  jset(pdb, "status.disruptionsAllowed", json_integer(1));
  jset(pdb, "status.currentHealthy", json_integer(3));
  assert_int_equal(eviction_check_pdb(pdb, "p0", 100, &st, &e), 0);
  assert_int_equal(jint(st, "disruptionsAllowed", -1), 0);
  assert_string_equal(jstr(st, "disruptedPods.p0"), "1970-01-01T00:01:40Z");
  assert_string_equal(jstr(cond(st, "DisruptionAllowed"), "reason"), "InsufficientPods");
  json_decref(st);
  /* Negative: forbidden. */
  jset(pdb, "status.disruptionsAllowed", json_integer(-1));
  assert_int_equal(eviction_check_pdb(pdb, "p0", 100, &st, &e), -EACCES);
  assert_int_equal(error_http_status(&e), 403);
  error_reset(&e);
  json_decref(pdb);

  json_t *pod = J("{\"status\":{\"phase\":\"Running\"}}");
  assert_false(eviction_can_ignore_pdb(pod));
  jset(pod, "status.phase", json_string("Pending"));
  assert_true(eviction_can_ignore_pdb(pod));
  jset(pod, "status.phase", json_string("Running"));
  jset(pod, "metadata.deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
  assert_true(eviction_can_ignore_pdb(pod));
  json_decref(pod);
}

/* ---- event expiry ---- */

static void test_event_ttl(void **state) {
  (void)state;
  json_t *ev = J("{\"metadata\":{\"creationTimestamp\":\"1970-01-01T00:00:10Z\"},"
                 "\"lastTimestamp\":\"1970-01-01T00:01:00Z\"}");
  assert_int_equal(eventttl_last_write(ev), 60);
  assert_false(eventttl_expired(ev, 60 + 3599, 3600));
  assert_true(eventttl_expired(ev, 60 + 3600, 3600));
  /* events.k8s.io style: eventTime (MicroTime) and a series. */
  json_t *ev2 = J("{\"eventTime\":\"1970-01-01T00:00:05.123456Z\",\"series\":{\"count\":3,"
                  "\"lastObservedTime\":\"1970-01-01T00:02:00.000001Z\"}}");
  assert_int_equal(eventttl_last_write(ev2), 120);
  json_t *ev3 = J("{}");
  assert_int_equal(eventttl_last_write(ev3), -1);
  assert_false(eventttl_expired(ev3, 1000000, 1)); /* no time at all: kept */
  json_decref(ev);
  json_decref(ev2);
  json_decref(ev3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mark_unknown),
      cmocka_unit_test(test_desired_taints),
      cmocka_unit_test(test_eviction_delay),
      cmocka_unit_test(test_pdb_min_available_int),
      cmocka_unit_test(test_pdb_percent_and_max_unavailable),
      cmocka_unit_test(test_eviction_check),
      cmocka_unit_test(test_event_ttl),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
