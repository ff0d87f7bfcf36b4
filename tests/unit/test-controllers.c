/* Unit tests for the controllers' pure logic over plain JSON: int-or-percent and fencepost resolution, the
 * pod-template hash and template equality, rolling-update steps (how far the new ReplicaSet grows, how far
 * old ones shrink), proportional scaling, Deployment status and its Available / Progressing conditions,
 * ReplicaSet victim ordering, status and pod construction, expectations, and Endpoints / EndpointSlice
 * computation (readiness, named ports, placeholders, chunking). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "controllers/controllers-internal.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  if (!v)
    fail_msg("bad JSON in test: %s: %s", e.text, text);
  return v;
}

static json_t *deploy(int replicas, const char *surge, const char *unavail) {
  json_t *d =
      J("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"d-uid\",\"generation\":2},"
        "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"progressDeadlineSeconds\":600,"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}},\"status\":{}}");
  jset(d, "spec.replicas", json_integer(replicas));
  jset(d, "spec.strategy.type", json_string("RollingUpdate"));
  if (surge)
    jset(d, "spec.strategy.rollingUpdate.maxSurge",
         surge[strlen(surge) - 1] == '%' ? json_string(surge) : json_integer(atoi(surge)));
  if (unavail)
    jset(d, "spec.strategy.rollingUpdate.maxUnavailable",
         unavail[strlen(unavail) - 1] == '%' ? json_string(unavail) : json_integer(atoi(unavail)));
  return d;
}

static json_t *rs(const char *name, int replicas, int status_replicas, int available, const char *created) {
  json_t *r = json_pack("{s:{s:s,s:s,s:s},s:{s:i},s:{s:i,s:i,s:i}}", "metadata", "name", name, "uid", name,
                        "creationTimestamp", created, "spec", "replicas", replicas, "status", "replicas",
                        status_replicas, "availableReplicas", available, "readyReplicas", available);
  return r;
}

/* ---- int-or-percent and fenceposts ---- */

static void test_int_or_percent(void **state) {
  int64_t v;
  _cleanup_json_ json_t *p = json_string("25%"), *i = json_integer(3), *bad = json_string("x%"),
                        *s = json_string("4"), *junk = json_string("5x");
  assert_int_equal(ctrl_int_or_percent(p, 10, true, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(ctrl_int_or_percent(p, 10, false, &v), 0);
  assert_int_equal(v, 2);
  assert_int_equal(ctrl_int_or_percent(i, 10, false, &v), 0);
  assert_int_equal(v, 3);
  assert_int_equal(ctrl_int_or_percent(s, 10, false, &v), 0);
  assert_int_equal(v, 4);
  assert_int_equal(ctrl_int_or_percent(bad, 10, false, &v), -EINVAL);
  assert_int_equal(ctrl_int_or_percent(junk, 10, false, &v), -EINVAL);
  assert_int_equal(ctrl_int_or_percent(NULL, 10, false, &v), 0);
  assert_int_equal(v, 0);
}

static void test_fenceposts(void **state) {
  int64_t s, u;
  _cleanup_json_ json_t *d4 = deploy(4, NULL, NULL); /* defaults 25%/25% */
  deploy_fenceposts(d4, &s, &u);
  assert_int_equal(s, 1);
  assert_int_equal(u, 1);
  _cleanup_json_ json_t *d1 = deploy(1, "25%", "25%"); /* surge rounds up, unavailable down */
  deploy_fenceposts(d1, &s, &u);
  assert_int_equal(s, 1);
  assert_int_equal(u, 0);
  _cleanup_json_ json_t *d0 = deploy(3, "0", "10%"); /* both resolve to 0: unavailable becomes 1 */
  deploy_fenceposts(d0, &s, &u);
  assert_int_equal(s, 0);
  assert_int_equal(u, 1);
  _cleanup_json_ json_t *big = deploy(2, "1", "5"); /* maxUnavailable is capped at replicas */
  assert_int_equal(deploy_max_unavailable(big), 2);
  _cleanup_json_ json_t *rec = deploy(4, NULL, NULL);
  jset(rec, "spec.strategy.type", json_string("Recreate"));
  deploy_fenceposts(rec, &s, &u);
  assert_int_equal(s, 0);
  assert_int_equal(u, 0);
  assert_int_equal(deploy_max_unavailable(rec), 0);
}

/* ---- hash ---- */

static void test_template_hash(void **state) {
  _cleanup_json_ json_t *d = deploy(1, NULL, NULL);
  json_t *t = jpath(d, "spec.template");
  char a[16], b[16], c[16], e[16], f[16];
  deploy_template_hash(t, -1, a);
  deploy_template_hash(t, -1, b);
  assert_string_equal(a, b);
  assert_true(strlen(a) >= 1 && strlen(a) <= 10);
  assert_int_equal(strspn(a, "bcdfghjklmnpqrstvwxz2456789"), strlen(a));
  /* The pod-template-hash label is not part of the template's identity. */
  _cleanup_json_ json_t *labelled = json_deep_copy(t);
  jset(labelled, "metadata.labels.pod-template-hash", json_string(a));
  deploy_template_hash(labelled, -1, c);
  assert_string_equal(a, c);
  assert_true(deploy_templates_equal(t, labelled));
  /* Key order does not matter, content does. */
  _cleanup_json_ json_t *reordered =
      J("{\"spec\":{\"containers\":[{\"image\":\"nginx\",\"name\":\"c\"}]},\"metadata\":{\"labels\":{\"app\":"
        "\"web\"}}}");
  assert_true(deploy_templates_equal(t, reordered));
  _cleanup_json_ json_t *other = json_deep_copy(t);
  jset(json_array_get(jpath(other, "spec.containers"), 0), "image", json_string("nginx:2"));
  deploy_template_hash(other, -1, e);
  assert_string_not_equal(a, e);
  assert_false(deploy_templates_equal(t, other));
  /* collisionCount gives another name for the same template. */
  deploy_template_hash(t, 1, f);
  assert_string_not_equal(a, f);
}

/* ---- rolling steps ---- */

static void test_new_rs_new_replicas(void **state) {
  _cleanup_json_ json_t *d = deploy(4, NULL, NULL); /* surge 1 */
  _cleanup_json_ json_t *old = rs("old", 4, 4, 4, "2026-01-01T00:00:00Z");
  _cleanup_json_ json_t *nrs = rs("new", 0, 0, 0, "2026-01-02T00:00:00Z");
  _cleanup_json_ json_t *all = json_pack("[OO]", old, nrs);
  assert_int_equal(deploy_new_rs_new_replicas(d, all, nrs), 1);
  jset(nrs, "spec.replicas", json_integer(1)); /* at 5 = 4 + surge: no more */
  assert_int_equal(deploy_new_rs_new_replicas(d, all, nrs), 1);
  jset(old, "spec.replicas", json_integer(3));
  assert_int_equal(deploy_new_rs_new_replicas(d, all, nrs), 2);
  jset(old, "spec.replicas", json_integer(0));
  jset(nrs, "spec.replicas", json_integer(2)); /* never beyond replicas */
  assert_int_equal(deploy_new_rs_new_replicas(d, all, nrs), 4);
  jset(d, "spec.strategy.type", json_string("Recreate"));
  assert_int_equal(deploy_new_rs_new_replicas(d, all, nrs), 4);
}

static void test_scale_down_old(void **state) {
  _cleanup_json_ json_t *d = deploy(4, NULL, NULL); /* min available 3 */
  _cleanup_json_ json_t *old = rs("old", 4, 4, 4, "2026-01-01T00:00:00Z");
  _cleanup_json_ json_t *nrs = rs("new", 1, 1, 0, "2026-01-02T00:00:00Z");
  _cleanup_json_ json_t *all = json_pack("[OO]", old, nrs), *olds = json_pack("[O]", old);
  /* 5 pods, the new one not yet available: one old pod may go. */
  _cleanup_json_ json_t *p1 = deploy_plan_scale_down_old(d, all, olds, nrs);
  assert_int_equal(jint(p1, "old", -1), 3);
  /* Nothing may go while we are at the minimum. */
  jset(old, "spec.replicas", json_integer(3));
  jset(old, "status.availableReplicas", json_integer(3));
  jset(nrs, "spec.replicas", json_integer(2));
  _cleanup_json_ json_t *p2 = deploy_plan_scale_down_old(d, all, olds, nrs);
  assert_int_equal(json_object_size(p2), 0);
  /* Unavailable old pods go first and cost nothing. */
  jset(old, "spec.replicas", json_integer(4));
  jset(old, "status.availableReplicas", json_integer(2));
  jset(nrs, "spec.replicas", json_integer(1));
  jset(nrs, "status.availableReplicas", json_integer(1));
  _cleanup_json_ json_t *p3 = deploy_plan_scale_down_old(d, all, olds, nrs);
  assert_int_equal(jint(p3, "old", -1), 2);
  /* The oldest ReplicaSet shrinks first. */
  _cleanup_json_ json_t *older = rs("older", 2, 2, 2, "2025-01-01T00:00:00Z");
  jset(old, "status.availableReplicas", json_integer(2));
  jset(old, "spec.replicas", json_integer(2));
  jset(nrs, "spec.replicas", json_integer(2));
  jset(nrs, "status.availableReplicas", json_integer(2));
  _cleanup_json_ json_t *all2 = json_pack("[OOO]", old, older, nrs), *olds2 = json_pack("[OO]", old, older);
  _cleanup_json_ json_t *p4 = deploy_plan_scale_down_old(d, all2, olds2, nrs);
  assert_int_equal(jint(p4, "older", -1), 0);
  assert_int_equal(jint(p4, "old", -1), 1);
}

static void test_proportional(void **state) {
  _cleanup_json_ json_t *d = deploy(10, NULL, NULL); /* surge 3 */
  _cleanup_json_ json_t *old = rs("old", 3, 3, 3, "2026-01-01T00:00:00Z");
  _cleanup_json_ json_t *nrs = rs("new", 3, 3, 0, "2026-01-02T00:00:00Z");
  jset(old, "metadata.annotations", json_pack("{s:s}", DEPLOY_MAX_REPLICAS_ANN, "6"));
  jset(nrs, "metadata.annotations", json_pack("{s:s}", DEPLOY_MAX_REPLICAS_ANN, "6"));
  _cleanup_json_ json_t *olds = json_pack("[O]", old);
  _cleanup_json_ json_t *p = deploy_plan_proportional(d, nrs, olds);
  /* 6 → 13 (10 + surge), shared by size: newer first on ties, leftovers to the largest. */
  assert_int_equal(jint(p, "new", -1) + jint(p, "old", -1), 13);
  assert_int_equal(jint(p, "new", -1), 7);
  assert_int_equal(jint(p, "old", -1), 6);
  /* A single active ReplicaSet simply takes the new size. */
  jset(old, "spec.replicas", json_integer(0));
  _cleanup_json_ json_t *q = deploy_plan_proportional(d, nrs, olds);
  assert_int_equal(jint(q, "new", -1), 10);
  assert_int_equal(json_object_size(q), 1);
  /* Scaling to 0 empties everything. */
  jset(d, "spec.replicas", json_integer(0));
  jset(old, "spec.replicas", json_integer(3));
  _cleanup_json_ json_t *z = deploy_plan_proportional(d, nrs, olds);
  assert_int_equal(jint(z, "new", -1), 0);
  assert_int_equal(jint(z, "old", -1), 0);
}

/* ---- status and conditions ---- */

static json_t *cond(json_t *status, const char *type) {
  return ctrl_condition(status, "conditions", type);
}

static void test_deployment_status(void **state) {
  _cleanup_json_ json_t *d = deploy(3, NULL, NULL); /* maxUnavailable 0 → 25% of 3 rounds down */
  _cleanup_json_ json_t *nrs = rs("web-abc", 3, 3, 3, "2026-01-02T00:00:00Z");
  _cleanup_json_ json_t *all = json_pack("[O]", nrs);
  _cleanup_json_ json_t *st = deploy_calculate_status(d, all, nrs, 1000);
  assert_int_equal(jint(st, "observedGeneration", 0), 2);
  assert_int_equal(jint(st, "replicas", 0), 3);
  assert_int_equal(jint(st, "updatedReplicas", 0), 3);
  assert_int_equal(jint(st, "availableReplicas", 0), 3);
  assert_null(json_object_get(st, "unavailableReplicas")); /* omitempty */
  assert_string_equal(jstr(cond(st, "Available"), "reason"), "MinimumReplicasAvailable");
  assert_string_equal(jstr(cond(st, "Available"), "message"), "Deployment has minimum availability.");
  assert_true(deploy_complete(d, st));
  deploy_update_progressing(d, st, nrs, 1000);
  assert_string_equal(jstr(cond(st, "Progressing"), "reason"), "NewReplicaSetAvailable");
  assert_string_equal(jstr(cond(st, "Progressing"), "message"),
                      "ReplicaSet \"web-abc\" has successfully progressed.");

  /* Two unavailable out of three: below the minimum. */
  jset(nrs, "status.availableReplicas", json_integer(1));
  _cleanup_json_ json_t *st2 = deploy_calculate_status(d, all, nrs, 1000);
  assert_int_equal(jint(st2, "unavailableReplicas", 0), 2);
  assert_string_equal(jstr(cond(st2, "Available"), "status"), "False");
  assert_string_equal(jstr(cond(st2, "Available"), "reason"), "MinimumReplicasUnavailable");
  assert_false(deploy_complete(d, st2));
  /* More ready than before: progressing, refreshing lastUpdateTime. */
  deploy_update_progressing(d, st2, nrs, 1000);
  assert_string_equal(jstr(cond(st2, "Progressing"), "reason"), "ReplicaSetUpdated");
  assert_string_equal(jstr(cond(st2, "Progressing"), "message"), "ReplicaSet \"web-abc\" is progressing.");
  /* No progress past the deadline (600 s after lastUpdateTime): timed out. */
  json_object_set(jobj(d, "status"), "conditions", json_object_get(st2, "conditions"));
  json_object_set_new(jobj(d, "status"), "availableReplicas", json_integer(1));
  json_object_set_new(jobj(d, "status"), "readyReplicas", json_integer(3));
  json_object_set_new(jobj(d, "status"), "replicas", json_integer(3));
  json_object_set_new(jobj(d, "status"), "updatedReplicas", json_integer(3));
  _cleanup_json_ json_t *st3 = deploy_calculate_status(d, all, nrs, 1700);
  assert_false(deploy_timed_out(d, st3, 1500));
  assert_true(deploy_timed_out(d, st3, 1700));
  deploy_update_progressing(d, st3, nrs, 1700);
  assert_string_equal(jstr(cond(st3, "Progressing"), "status"), "False");
  assert_string_equal(jstr(cond(st3, "Progressing"), "reason"), "ProgressDeadlineExceeded");
  assert_string_equal(jstr(cond(st3, "Progressing"), "message"),
                      "ReplicaSet \"web-abc\" has timed out progressing.");
}

static void test_set_condition_keeps_transition_time(void **state) {
  _cleanup_json_ json_t *st = json_object();
  deploy_set_condition(st, "Available", "True", "A", "m", 100);
  deploy_set_condition(st, "Available", "True", "A", "m", 200); /* same: untouched */
  assert_string_equal(jstr(cond(st, "Available"), "lastUpdateTime"), "1970-01-01T00:01:40Z");
  deploy_set_condition(st, "Available", "True", "B", "m", 300); /* new reason, same status */
  assert_string_equal(jstr(cond(st, "Available"), "lastTransitionTime"), "1970-01-01T00:01:40Z");
  assert_string_equal(jstr(cond(st, "Available"), "lastUpdateTime"), "1970-01-01T00:05:00Z");
  deploy_set_condition(st, "Available", "False", "C", "m", 400);
  assert_string_equal(jstr(cond(st, "Available"), "lastTransitionTime"), "1970-01-01T00:06:40Z");
  assert_int_equal(json_array_size(json_object_get(st, "conditions")), 1);
}

/* ---- ReplicaSet ---- */

static json_t *pod(const char *name, const char *node, const char *phase, bool ready, int restarts,
                   const char *created) {
  json_t *p = json_pack("{s:{s:s,s:s,s:s,s:{s:s}},s:{s:s},s:{s:s,s:[{s:s,s:s,s:s}],s:[{s:i}]}}", "metadata",
                        "name", name, "uid", name, "creationTimestamp", created, "labels", "app", "web",
                        "spec", "nodeName", node, "status", "phase", phase, "conditions", "type", "Ready",
                        "status", ready ? "True" : "False", "lastTransitionTime", "2026-01-01T00:00:00Z",
                        "containerStatuses", "restartCount", restarts);
  return p;
}

static void test_victim_order(void **state) {
  _cleanup_json_ json_t *pods = json_array();
  json_array_append_new(pods, pod("running-ready-old", "n1", "Running", true, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("running-ready-new", "n2", "Running", true, 0, "2026-01-03T00:00:00Z"));
  json_array_append_new(pods,
                        pod("running-ready-restarts", "n3", "Running", true, 5, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("running-notready", "n4", "Running", false, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("unknown", "n5", "Unknown", true, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("pending", "n6", "Pending", false, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("unscheduled", "", "Pending", false, 0, "2026-01-01T00:00:00Z"));
  rs_sort_victims(pods, 2000000000);
  const char *want[] = {
      "unscheduled",       "pending",          "unknown", "running-notready", "running-ready-restarts",
      "running-ready-new", "running-ready-old"};
  for (size_t i = 0; i < ELEMENTSOF(want); i++)
    assert_string_equal(jstr(json_array_get(pods, i), "metadata.name"), want[i]);
  /* Pods sharing a node with siblings go before lone ones; a lower deletion cost goes first. */
  _cleanup_json_ json_t *p2 = json_array();
  json_array_append_new(p2, pod("alone", "n1", "Running", true, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(p2, pod("crowded-a", "n2", "Running", true, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(p2, pod("crowded-b", "n2", "Running", true, 0, "2026-01-01T00:00:00Z"));
  json_t *cheap = pod("cheap", "n3", "Running", true, 0, "2026-01-01T00:00:00Z");
  jset(cheap, "metadata.annotations", json_pack("{s:s}", "controller.kubernetes.io/pod-deletion-cost", "-5"));
  json_array_append_new(p2, cheap);
  rs_sort_victims(p2, 2000000000);
  assert_string_equal(jstr(json_array_get(p2, 0), "metadata.name"), "cheap");
  assert_string_equal(jstr(json_array_get(p2, 1), "metadata.name"), "crowded-a");
  assert_string_equal(jstr(json_array_get(p2, 3), "metadata.name"), "alone");
}

static void test_rs_status_and_pod(void **state) {
  _cleanup_json_ json_t *r =
      J("{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"ns\",\"uid\":\"rs-uid\","
        "\"generation\":4},\"spec\":{\"replicas\":3,\"minReadySeconds\":30,"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"fe\"},"
        "\"annotations\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}}}");
  _cleanup_json_ json_t *pods = json_array();
  json_array_append_new(pods, pod("a", "n1", "Running", true, 0, "2026-01-01T00:00:00Z"));
  json_array_append_new(pods, pod("b", "n1", "Running", false, 0, "2026-01-01T00:00:00Z"));
  json_t *c = pod("c", "n1", "Running", true, 0, "2026-01-01T00:00:00Z");
  jset(c, "metadata.labels.tier", json_string("fe"));
  json_array_append_new(pods, c);
  int64_t t0;
  assert_int_equal(parse_rfc3339("2026-01-01T00:00:00Z", &t0), 0);
  _cleanup_json_ json_t *st = rs_calculate_status(r, pods, t0 + 10);
  assert_int_equal(jint(st, "replicas", -1), 3);
  assert_int_equal(jint(st, "fullyLabeledReplicas", -1), 1);
  assert_int_equal(jint(st, "readyReplicas", -1), 2);
  assert_null(json_object_get(st, "availableReplicas")); /* ready for 10 s < minReadySeconds */
  assert_int_equal(jint(st, "observedGeneration", -1), 4);
  _cleanup_json_ json_t *st2 = rs_calculate_status(r, pods, t0 + 30);
  assert_int_equal(jint(st2, "availableReplicas", -1), 2);

  _cleanup_json_ json_t *p = rs_new_pod(r);
  assert_string_equal(jstr(p, "metadata.generateName"), "web-abc-");
  assert_string_equal(jstr(p, "metadata.namespace"), "ns");
  assert_string_equal(jstr(p, "metadata.labels.tier"), "fe");
  assert_string_equal(jstr(p, "metadata.annotations.a"), "b");
  json_t *ref = json_array_get(jpath(p, "metadata.ownerReferences"), 0);
  assert_string_equal(jstr(ref, "kind"), "ReplicaSet");
  assert_string_equal(jstr(ref, "apiVersion"), "apps/v1");
  assert_string_equal(jstr(ref, "uid"), "rs-uid");
  assert_true(json_is_true(json_object_get(ref, "controller")));
  assert_true(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
  assert_string_equal(jstr(json_array_get(jpath(p, "spec.containers"), 0), "name"), "c");
  assert_ptr_equal(ctrl_controller_ref(p), ref);
}

static void test_replica_failure(void **state) {
  _cleanup_json_ json_t *cached = J("{\"conditions\":[{\"type\":\"Other\",\"status\":\"True\"}]}");
  _cleanup_json_ json_t *st = json_pack("{s:O}", "conditions", json_object_get(cached, "conditions"));
  rs_set_failure(st, -EACCES, -2, "pods \"x\" is forbidden", 100);
  json_t *f = ctrl_condition(st, "conditions", "ReplicaFailure");
  assert_non_null(f);
  assert_string_equal(jstr(f, "reason"), "FailedCreate");
  assert_string_equal(jstr(f, "message"), "pods \"x\" is forbidden");
  assert_int_equal(json_array_size(json_object_get(cached, "conditions")), 1); /* the cache is not touched */
  rs_set_failure(st, -ECANCELED, -2, "conflict", 100); /* conflicts are not failures; the condition stays */
  assert_non_null(ctrl_condition(st, "conditions", "ReplicaFailure"));
  /* The Deployment mirrors it. */
  _cleanup_json_ json_t *rsx = json_pack("{s:{s:s},s:O}", "metadata", "name", "web-x", "status", st);
  _cleanup_json_ json_t *all = json_pack("[O]", rsx), *dst = json_object();
  deploy_replica_failure(dst, all, rsx, 100);
  assert_string_equal(jstr(ctrl_condition(dst, "conditions", "ReplicaFailure"), "reason"), "FailedCreate");
  rs_set_failure(st, 0, 0, "", 200); /* success clears it */
  assert_null(ctrl_condition(st, "conditions", "ReplicaFailure"));
  assert_non_null(ctrl_condition(st, "conditions", "Other"));
  json_object_set(rsx, "status", st);
  deploy_replica_failure(dst, all, rsx, 200);
  assert_null(ctrl_condition(dst, "conditions", "ReplicaFailure"));
}

static void test_expectations(void **state) {
  CtrlExpectations e;
  ctrl_expectations_init(&e);
  assert_true(ctrl_expectations_satisfied(&e, "ns/a"));
  ctrl_expectations_expect(&e, "ns/a", 2, NULL);
  assert_false(ctrl_expectations_satisfied(&e, "ns/a"));
  ctrl_expectations_creation_observed(&e, "ns/a");
  assert_false(ctrl_expectations_satisfied(&e, "ns/a"));
  ctrl_expectations_lower_adds(&e, "ns/a", 1); /* a failed create */
  assert_true(ctrl_expectations_satisfied(&e, "ns/a"));
  _cleanup_json_ json_t *uids = json_pack("[ss]", "u1", "u2");
  ctrl_expectations_expect(&e, "ns/a", 0, uids);
  ctrl_expectations_deletion_observed(&e, "ns/a", "u1");
  ctrl_expectations_deletion_observed(&e, "ns/a", "u1"); /* counted once */
  assert_false(ctrl_expectations_satisfied(&e, "ns/a"));
  ctrl_expectations_deletion_observed(&e, "ns/a", "u2");
  assert_true(ctrl_expectations_satisfied(&e, "ns/a"));
  ctrl_expectations_expect(&e, "ns/b", 1, NULL);
  ctrl_expectations_delete(&e, "ns/b");
  assert_true(ctrl_expectations_satisfied(&e, "ns/b"));
  ctrl_expectations_destroy(&e);
}

/* ---- Endpoints ---- */

static json_t *ep_pod(const char *name, const char *ip, bool ready, const char *port_name, int port) {
  json_t *p = pod(name, "n1", "Running", ready, 0, "2026-01-01T00:00:00Z");
  jset(p, "metadata.namespace", json_string("ns"));
  if (ip)
    jset(p, "status.podIP", json_string(ip));
  jset(p, "spec.containers",
       json_pack("[{s:s,s:[{s:s,s:i}]}]", "name", "c", "ports", "name", port_name, "containerPort", port));
  return p;
}

static void test_endpoints_subsets(void **state) {
  _cleanup_json_ json_t *svc =
      J("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"uid\":\"s\"},\"spec\":{\"selector\":{\"app\":"
        "\"web\"},\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":\"http\"}]}}");
  _cleanup_json_ json_t *pods = json_array();
  json_array_append_new(pods, ep_pod("b", "10.0.0.2", true, "http", 8080));
  json_array_append_new(pods, ep_pod("a", "10.0.0.1", true, "http", 8080));
  json_array_append_new(pods, ep_pod("c", "10.0.0.3", false, "http", 8080));
  json_array_append_new(pods, ep_pod("noip", NULL, true, "http", 8080));
  json_array_append_new(pods, ep_pod("other-port", "10.0.0.4", true, "http", 9090));
  json_array_append_new(pods, ep_pod("unnamed", "10.0.0.5", true, "metrics", 9100)); /* no port named http */
  json_t *done = ep_pod("done", "10.0.0.6", false, "http", 8080);
  jset(done, "status.phase", json_string("Succeeded"));
  json_array_append_new(pods, done);
  json_t *going = ep_pod("going", "10.0.0.7", true, "http", 8080);
  jset(going, "metadata.deletionTimestamp", json_string("2026-01-01T00:00:00Z"));
  json_array_append_new(pods, going);

  _cleanup_json_ json_t *subsets = endpoints_compute_subsets(svc, pods);
  assert_int_equal(json_array_size(subsets), 2);
  json_t *s0 = json_array_get(subsets, 0), *s1 = json_array_get(subsets, 1);
  assert_int_equal(json_array_size(json_object_get(s0, "addresses")), 2);
  assert_string_equal(jstr(json_array_get(json_object_get(s0, "addresses"), 0), "ip"), "10.0.0.1");
  assert_string_equal(jstr(json_array_get(json_object_get(s0, "addresses"), 0), "targetRef.name"), "a");
  assert_int_equal(json_array_size(json_object_get(s0, "notReadyAddresses")), 1);
  assert_int_equal(jint(json_array_get(json_object_get(s0, "ports"), 0), "port", 0), 8080);
  assert_string_equal(jstr(json_array_get(json_object_get(s0, "ports"), 0), "name"), "http");
  assert_int_equal(jint(json_array_get(json_object_get(s1, "ports"), 0), "port", 0), 9090);
  assert_null(json_object_get(s1, "notReadyAddresses"));

  _cleanup_json_ json_t *slices = endpoints_compute_slices(svc, pods);
  assert_int_equal(json_array_size(slices), 2);
  json_t *eps = json_object_get(json_array_get(slices, 0), "endpoints");
  /* EndpointSlices keep terminating pods, not ready and terminating. */
  assert_int_equal(json_array_size(eps), 4);
  json_t *last = json_array_get(eps, 3);
  assert_string_equal(json_string_value(json_array_get(json_object_get(last, "addresses"), 0)), "10.0.0.7");
  assert_true(json_is_false(jpath(last, "conditions.ready")));
  assert_true(json_is_true(jpath(last, "conditions.serving")));
  assert_true(json_is_true(jpath(last, "conditions.terminating")));
  assert_true(json_is_false(jpath(json_array_get(eps, 2), "conditions.ready")));

  /* Numeric targetPort, and none at all (= port). */
  _cleanup_json_ json_t *svc2 =
      J("{\"metadata\":{\"name\":\"w\",\"namespace\":\"ns\",\"uid\":\"s\"},\"spec\":{\"selector\":{\"app\":"
        "\"web\"},\"ports\":[{\"port\":80,\"targetPort\":8000,\"protocol\":\"TCP\"},{\"name\":\"x\",\"port\":"
        "81,"
        "\"protocol\":\"UDP\"}]}}");
  _cleanup_json_ json_t *sub2 = endpoints_compute_subsets(svc2, pods);
  json_t *ports = json_object_get(json_array_get(sub2, 0), "ports");
  assert_int_equal(json_array_size(ports), 2);
  assert_null(json_object_get(json_array_get(ports, 0), "name"));
  assert_int_equal(jint(json_array_get(ports, 0), "port", 0), 8000);
  assert_int_equal(jint(json_array_get(ports, 1), "port", 0), 81);
  assert_string_equal(jstr(json_array_get(ports, 1), "protocol"), "UDP");
}

static void test_endpoint_slices_chunks_and_placeholder(void **state) {
  _cleanup_json_ json_t *svc =
      J("{\"metadata\":{\"name\":\"web\",\"namespace\":\"ns\",\"uid\":\"s\"},\"spec\":{\"selector\":{\"app\":"
        "\"web\"},\"ports\":[{\"port\":80}]}}");
  _cleanup_json_ json_t *none = json_array();
  _cleanup_json_ json_t *ph = endpoints_compute_slices(svc, none);
  assert_int_equal(json_array_size(ph), 1);
  assert_int_equal(json_array_size(json_object_get(json_array_get(ph, 0), "endpoints")), 0);
  _cleanup_json_ json_t *many = json_array();
  for (int i = 0; i < 250; i++) {
    char name[16], ip[32];
    snprintf(name, sizeof name, "p%d", i);
    snprintf(ip, sizeof ip, "10.1.%d.%d", i / 200, i % 200 + 1);
    json_array_append_new(many, ep_pod(name, ip, true, "http", 80));
  }
  _cleanup_json_ json_t *sl = endpoints_compute_slices(svc, many);
  assert_int_equal(json_array_size(sl), 3);
  assert_int_equal(json_array_size(json_object_get(json_array_get(sl, 2), "endpoints")), 50);
  assert_string_equal(jstr(json_array_get(json_object_get(json_array_get(sl, 0), "ports"), 0), "name"), "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_int_or_percent),    cmocka_unit_test(test_fenceposts),
      cmocka_unit_test(test_template_hash),     cmocka_unit_test(test_new_rs_new_replicas),
      cmocka_unit_test(test_scale_down_old),    cmocka_unit_test(test_proportional),
      cmocka_unit_test(test_deployment_status), cmocka_unit_test(test_set_condition_keeps_transition_time),
      cmocka_unit_test(test_victim_order),      cmocka_unit_test(test_rs_status_and_pod),
      cmocka_unit_test(test_replica_failure),   cmocka_unit_test(test_expectations),
      cmocka_unit_test(test_endpoints_subsets), cmocka_unit_test(test_endpoint_slices_chunks_and_placeholder),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
