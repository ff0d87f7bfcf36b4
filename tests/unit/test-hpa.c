/* Unit tests for the HPA's arithmetic (src/controllers/hpa-calc.c): the replica calculator (tolerance,
 * unready and missing pods, average values) and the normalization (default stabilization and scale-up
 * limit, behavior policies and windows), with cases worked out from Kubernetes' replica_calculator and
 * horizontal controller rules; and the metrics store and formats (src/apiserver/metrics.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>

#include "apiserver/metrics.h"
#include "controllers/hpa.h"

#define SEC 1000000ull
#define NOW (1000000 * SEC)

/* A running, ready pod started long ago with a cpu metric (millicores) and a request. */
static HpaPod pod(const char *name, int64_t usage, int64_t request) {
  return (HpaPod){.name = name,
                  .has_metric = true,
                  .metric = usage,
                  .metric_time = NOW - 5 * SEC,
                  .metric_window = 15 * SEC,
                  .request = request,
                  .has_ready = true,
                  .ready = true,
                  .ready_transition = NOW - 3000 * SEC,
                  .has_start = true,
                  .start = NOW - 3000 * SEC};
}

static int32_t util_replicas(HpaPod *p, size_t n, int32_t current, int32_t target, int32_t *ret_util) {
  int32_t r = -1, u = 0;
  int64_t raw;
  Error e = ERROR_INIT;
  int rc = hpa_utilization_replicas(p, n, true, current, target, NOW, &r, &u, &raw, &e);
  if (rc < 0)
    fail_msg("%s", e.message);
  error_reset(&e);
  if (ret_util)
    *ret_util = u;
  return r;
}

static void test_scale_up_and_tolerance(void **state) {
  HpaPod p[] = {pod("a", 100, 100), pod("b", 100, 100)}; /* 100% of requests, target 50% */
  int32_t u;
  assert_int_equal(util_replicas(p, 2, 2, 50, &u), 4);
  assert_int_equal(u, 100);
  /* 54% against 50%: within the 0.1 tolerance, stays. */
  HpaPod q[] = {pod("a", 54, 100), pod("b", 54, 100)};
  assert_int_equal(util_replicas(q, 2, 2, 50, NULL), 2);
  /* 56%: ratio 1.12, ceil(1.12 * 2) = 3. */
  HpaPod r[] = {pod("a", 56, 100), pod("b", 56, 100)};
  assert_int_equal(util_replicas(r, 2, 2, 50, NULL), 3);
  /* Idle: 0% -> 0 replicas proposed (min applies later). */
  HpaPod z[] = {pod("a", 0, 100), pod("b", 0, 100), pod("c", 0, 100)};
  assert_int_equal(util_replicas(z, 3, 3, 50, NULL), 0);
}

static void test_missing_and_unready(void **state) {
  /* Scale up with a pod lacking metrics: it counts as 0, ratio (100+100+0)/300 = 66% -> 1.33 -> 4. */
  HpaPod p[] = {pod("a", 100, 100), pod("b", 100, 100), pod("c", 0, 100)};
  p[2].has_metric = false;
  assert_int_equal(util_replicas(p, 3, 3, 50, NULL), 4);
  /* Scale down with a missing pod: it counts as 100% of its request, which reverses the direction. */
  HpaPod d[] = {pod("a", 10, 100), pod("b", 10, 100), pod("c", 0, 100)};
  d[2].has_metric = false;
  assert_int_equal(util_replicas(d, 3, 3, 50, NULL), 3);
  /* An unready pod on a scale up counts as idle: (200 + 0) / 300 = 66% of 50% -> ceil(1.33 * 3) = 4. */
  HpaPod u[] = {pod("a", 100, 100), pod("b", 100, 100), pod("c", 500, 100)};
  u[2].ready = false;
  u[2].start = NOW - 10 * SEC; /* still in its cpu initialization period */
  u[2].ready_transition = NOW - 10 * SEC;
  assert_int_equal(hpa_classify_pod(&u[2], true, NOW), HPA_POD_UNREADY);
  assert_int_equal(hpa_classify_pod(&u[2], false, NOW), HPA_POD_READY); /* only cpu cares */
  assert_int_equal(util_replicas(u, 3, 3, 50, NULL), 4);
  /* Ready but its metric window started before readiness: still unready for cpu. */
  HpaPod w = pod("w", 100, 100);
  w.start = NOW - 20 * SEC;
  w.ready_transition = NOW - 10 * SEC;
  assert_int_equal(hpa_classify_pod(&w, true, NOW), HPA_POD_UNREADY);
  w.metric_time = NOW;
  w.metric_window = 5 * SEC;
  assert_int_equal(hpa_classify_pod(&w, true, NOW), HPA_POD_READY);
  /* Deleting and failed pods are ignored, pending ones unready. */
  HpaPod g = pod("g", 1, 1);
  g.deleting = true;
  assert_int_equal(hpa_classify_pod(&g, true, NOW), HPA_POD_IGNORED);
  g = pod("g", 1, 1);
  g.pending = true;
  assert_int_equal(hpa_classify_pod(&g, true, NOW), HPA_POD_UNREADY);
}

static void test_errors(void **state) {
  Error e = ERROR_INIT;
  int32_t r, u;
  int64_t raw;
  assert_int_equal(hpa_utilization_replicas(NULL, 0, true, 1, 50, NOW, &r, &u, &raw, &e), -ENODATA);
  assert_string_equal(e.message, "no pods returned by selector while calculating replica count");
  error_reset(&e);
  HpaPod p[] = {pod("a", 100, 100)};
  p[0].has_metric = false;
  assert_int_equal(hpa_utilization_replicas(p, 1, true, 1, 50, NOW, &r, &u, &raw, &e), -ENODATA);
  assert_string_equal(e.message, "did not receive metrics for targeted pods (pods might be unready)");
  error_reset(&e);
  HpaPod q[] = {pod("a", 100, 0)};
  q[0].missing_request = "web";
  assert_true(hpa_utilization_replicas(q, 1, true, 1, 50, NOW, &r, &u, &raw, &e) < 0);
  assert_string_equal(e.message, "missing request for cpu in container web of Pod a");
  error_reset(&e);
}

static void test_average_value(void **state) {
  /* 300m and 100m against an average of 100m: 200m average -> ratio 2 -> 4 replicas. */
  HpaPod p[] = {pod("a", 300, 0), pod("b", 100, 0)};
  int32_t r;
  int64_t usage;
  Error e = ERROR_INIT;
  assert_int_equal(hpa_average_value_replicas(p, 2, true, 2, 100, NOW, &r, &usage, &e), 0);
  assert_int_equal(r, 4);
  assert_int_equal(usage, 200);
}

static void test_normalize_default(void **state) {
  HpaHistory h = {0};
  HpaNormalized n;
  hpa_history_init(&h, 2, NOW);
  /* Up at once, but at most to max(2 * current, 4). */
  hpa_normalize(&h, NULL, 300 * SEC, 2, 10, 1, 20, NOW, &n);
  assert_int_equal(n.replicas, 4);
  assert_true(n.limited);
  assert_string_equal(n.limit_reason, "ScaleUpLimit");
  /* The 10 recommended before is still the window's highest: limited by max. */
  hpa_normalize(&h, NULL, 300 * SEC, 4, 6, 1, 6, NOW + 15 * SEC, &n);
  assert_int_equal(n.replicas, 6);
  assert_true(n.limited);
  assert_string_equal(n.limit_reason, "TooManyReplicas");
  hpa_normalize(&h, NULL, 300 * SEC, 4, 5, 1, 20, NOW + 16 * SEC, &n);
  assert_int_equal(n.replicas, 8); /* stabilized 10, at most 2 * 4 */
  /* Down only once the window has no higher recommendation. */
  hpa_normalize(&h, NULL, 300 * SEC, 6, 2, 2, 6, NOW + 30 * SEC, &n);
  assert_int_equal(n.replicas, 6);
  assert_string_equal(n.able_reason, "ScaleDownStabilized");
  hpa_normalize(&h, NULL, 300 * SEC, 6, 2, 2, 6, NOW + 400 * SEC, &n);
  assert_int_equal(n.replicas, 2);
  assert_string_equal(n.able_reason, "ReadyForNewScale");
  /* Below the minimum. */
  hpa_normalize(&h, NULL, 300 * SEC, 2, 0, 2, 6, NOW + 1000 * SEC, &n);
  assert_int_equal(n.replicas, 2);
  assert_string_equal(n.limit_reason, "TooFewReplicas");
  hpa_history_done(&h);
}

static void test_normalize_behavior(void **state) {
  HpaBehavior b;
  hpa_behavior_defaults(&b);
  b.down.stabilization_sec = 10;
  HpaHistory h = {0};
  HpaNormalized n;
  hpa_history_init(&h, 2, NOW);
  /* Default scale-up policies: max(+4 pods, +100%) per 15 s from 2 -> 6. */
  hpa_normalize(&h, &b, 0, 2, 20, 1, 20, NOW, &n);
  assert_int_equal(n.replicas, 6);
  assert_string_equal(n.limit_reason, "ScaleUpLimit");
  hpa_store_scale_event(&h, &b, 2, 6, NOW);
  /* Within the same 15 s period nothing more may be added. */
  hpa_normalize(&h, &b, 0, 6, 20, 1, 20, NOW + 5 * SEC, &n);
  assert_int_equal(n.replicas, 6);
  /* After it: 6 + max(4, 6) = 12. */
  hpa_normalize(&h, &b, 0, 6, 20, 1, 20, NOW + 20 * SEC, &n);
  assert_int_equal(n.replicas, 12);
  hpa_store_scale_event(&h, &b, 6, 12, NOW + 20 * SEC);
  /* Down: the 10 s window still holds 20 -> stays at 12. */
  hpa_normalize(&h, &b, 0, 12, 1, 1, 20, NOW + 25 * SEC, &n);
  assert_int_equal(n.replicas, 12);
  assert_string_equal(n.able_reason, "ScaleDownStabilized");
  /* A Pods policy of 1 per 60 s, selectPolicy Min. */
  b.down.n_policies = 2;
  b.down.policies[0].type = HPA_POLICY_PODS;
  b.down.policies[0].value = 1;
  b.down.policies[0].period_sec = 60;
  b.down.policies[1].type = HPA_POLICY_PERCENT;
  b.down.policies[1].value = 50;
  b.down.policies[1].period_sec = 60;
  b.down.select = HPA_SELECT_MIN;
  hpa_normalize(&h, &b, 0, 12, 1, 1, 20, NOW + 60 * SEC, &n);
  assert_int_equal(n.replicas, 5); /* the period started at 12 - 6 added = 6: max(6 - 1, 6 * 50%) */
  hpa_normalize(&h, &b, 0, 12, 1, 1, 20, NOW + 100 * SEC, &n);
  assert_int_equal(n.replicas, 11);
  assert_string_equal(n.limit_reason, "ScaleDownLimit");
  b.down.select = HPA_SELECT_MAX; /* the bigger change: 50% */
  hpa_normalize(&h, &b, 0, 12, 1, 1, 20, NOW + 101 * SEC, &n);
  assert_int_equal(n.replicas, 6);
  b.down.select = HPA_SELECT_DISABLED;
  hpa_normalize(&h, &b, 0, 12, 1, 1, 20, NOW + 102 * SEC, &n);
  assert_int_equal(n.replicas, 12);
  hpa_history_done(&h);
}

/* ---- metrics store ---- */

static json_t *summary(const char *t, uint64_t ctr_ns, uint64_t ws, const char *uid) {
  return json_pack(
      "{s:{s:s,s:{s:s,s:I},s:{s:s,s:I}},s:[{s:{s:s,s:s,s:s},s:[{s:s,s:{s:s,s:I},s:{s:s,s:I}}]}]}", "node",
      "nodeName", "n1", "cpu", "time", t, "usageCoreNanoSeconds", (json_int_t)(ctr_ns * 2), "memory", "time",
      t, "workingSetBytes", (json_int_t)(ws * 4), "pods", "podRef", "name", "web", "namespace", "default",
      "uid", uid, "containers", "name", "c", "cpu", "time", t, "usageCoreNanoSeconds", (json_int_t)ctr_ns,
      "memory", "time", t, "workingSetBytes", (json_int_t)ws);
}

static void test_metrics_store(void **state) {
  MetricsStore *m = metrics_store_new();
  json_t *s1 = summary("2026-01-01T00:00:00.000000Z", 1000000000ull, 4096, "u1");
  metrics_store_ingest(m, s1);
  assert_null(metrics_store_pod(m, "default", "web")); /* one sample: no rate yet */
  /* 15 s later the container used 15 more cpu-seconds: one core. */
  json_t *s2 = summary("2026-01-01T00:00:15.000000Z", 16000000000ull, 8192, "u1");
  metrics_store_ingest(m, s2);
  json_t *pm = metrics_store_pod(m, "default", "web");
  assert_non_null(pm);
  assert_string_equal(json_string_value(json_object_get(pm, "window")), "15s");
  assert_string_equal(json_string_value(json_object_get(pm, "timestamp")), "2026-01-01T00:00:15Z");
  json_t *usage = json_object_get(json_array_get(json_object_get(pm, "containers"), 0), "usage");
  assert_string_equal(json_string_value(json_object_get(usage, "cpu")), "1");
  assert_string_equal(json_string_value(json_object_get(usage, "memory")), "8Ki");
  json_decref(pm);
  json_t *nm = metrics_store_node(m, "n1");
  assert_non_null(nm);
  assert_string_equal(json_string_value(json_object_get(json_object_get(nm, "usage"), "cpu")), "2");
  json_decref(nm);
  /* A counter that goes back (the container restarted) starts over; a new uid too. */
  json_t *s3 = summary("2026-01-01T00:00:30.500000Z", 1000ull, 8192, "u1");
  metrics_store_ingest(m, s3);
  assert_null(metrics_store_pod(m, "default", "web"));
  json_t *s4 = summary("2026-01-01T00:00:31.000000Z", 1000ull + 250000000ull, 1000, "u1");
  metrics_store_ingest(m, s4);
  pm = metrics_store_pod(m, "default", "web");
  usage = json_object_get(json_array_get(json_object_get(pm, "containers"), 0), "usage");
  assert_string_equal(json_string_value(json_object_get(usage, "cpu")), "500m");
  assert_string_equal(json_string_value(json_object_get(usage, "memory")),
                      "1k"); /* < 1Ki prints as DecimalSI */
  assert_string_equal(json_string_value(json_object_get(pm, "window")), "0.5s");
  json_decref(pm);
  /* A summary without the pod forgets it. */
  json_t *s5 = json_pack("{s:{s:s},s:[]}", "node", "nodeName", "n1", "pods");
  metrics_store_ingest(m, s5);
  assert_int_equal(metrics_store_pod_count(m), 0);
  json_decref(s1);
  json_decref(s2);
  json_decref(s3);
  json_decref(s4);
  json_decref(s5);
  metrics_store_free(m);
}

static void test_metrics_formats(void **state) {
  char b[40];
  metrics_format_duration(15002100, b);
  assert_string_equal(b, "15.0021s");
  metrics_format_duration(60500000, b);
  assert_string_equal(b, "1m0.5s");
  metrics_format_duration(0, b);
  assert_string_equal(b, "0s");
  uint64_t us;
  assert_int_equal(metrics_parse_time("2026-01-01T00:00:01.25Z", &us), 0);
  assert_int_equal(us % 1000000, 250000);
  assert_int_equal(metrics_parse_time("nope", &us), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scale_up_and_tolerance),
      cmocka_unit_test(test_missing_and_unready),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_average_value),
      cmocka_unit_test(test_normalize_default),
      cmocka_unit_test(test_normalize_behavior),
      cmocka_unit_test(test_metrics_store),
      cmocka_unit_test(test_metrics_formats),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
