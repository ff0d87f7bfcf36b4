/* Unit tests of the scheduler's plugins (src/scheduler/plugins.c, model.c): taints and tolerations, node
 * affinity operators, resource fit with quantities and init containers, host ports, pod anti-affinity,
 * scoring, and kube-scheduler's "0/N nodes are available" message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "api/jsonutil.h"
#include "scheduler/sched-internal.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j)
    fail_msg("bad JSON in test: %s: %s", e.text, text);
  return j;
}

static SchedNode *node(const char *name, const char *extra_spec, const char *labels, const char *cpu,
                       const char *mem) {
  char buf[2048];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"%s\",\"labels\":%s},\"spec\":%s,\"status\":{\"allocatable\":"
           "{\"cpu\":\"%s\",\"memory\":\"%s\",\"pods\":\"3\"},\"conditions\":[{\"type\":\"Ready\",\"status\":"
           "\"True\"}]}}",
           name, labels ? labels : "{}", extra_spec ? extra_spec : "{}", cpu, mem);
  json_t *o = J(buf);
  SchedNode *n = sched_node_new(name);
  sched_node_set(n, o);
  json_decref(o);
  return n;
}

static SchedPod *pod(const char *name, const char *spec) {
  char buf[4096];
  snprintf(buf, sizeof buf,
           "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\",\"labels\":{\"app\":\"%s\"}},"
           "\"spec\":%s}",
           name, name, spec);
  json_t *o = J(buf);
  SchedPod *p = sched_pod_new(o);
  json_decref(o);
  return p;
}

static void test_tolerations(void **state) {
  json_t *t = J("[{\"key\":\"a\",\"operator\":\"Equal\",\"value\":\"x\",\"effect\":\"NoSchedule\"},"
                "{\"key\":\"b\",\"operator\":\"Exists\"}]");
  assert_true(sched_tolerates(t, "a", "x", SCHED_TAINT_NO_SCHEDULE));
  assert_false(sched_tolerates(t, "a", "y", SCHED_TAINT_NO_SCHEDULE));
  assert_false(sched_tolerates(t, "a", "x", SCHED_TAINT_NO_EXECUTE));
  assert_true(sched_tolerates(t, "b", "anything", SCHED_TAINT_NO_EXECUTE));
  assert_false(sched_tolerates(t, "c", "", SCHED_TAINT_NO_SCHEDULE));
  json_decref(t);
  t = J("[{\"operator\":\"Exists\"}]");
  assert_true(sched_tolerates(t, "any", "thing", SCHED_TAINT_NO_EXECUTE));
  json_decref(t);
  assert_false(sched_tolerates(NULL, "a", "", SCHED_TAINT_NO_SCHEDULE));
}

static void test_taint_filter(void **state) {
  SchedNode *n =
      node("n1", "{\"taints\":[{\"key\":\"dedicated\",\"value\":\"infra\",\"effect\":\"NoSchedule\"}]}", NULL,
           "4", "8Gi");
  SchedPod *p = pod("web", "{\"containers\":[{\"name\":\"c\"}]}");
  SchedStatus st = {0};
  assert_false(sched_filter_taints(p, n, &st));
  assert_int_equal(st.n, 1);
  assert_string_equal(st.reasons[0], "node(s) had untolerated taint {dedicated: infra}");
  assert_true(st.unresolvable);
  sched_pod_free(p);
  p = pod("web", "{\"containers\":[{\"name\":\"c\"}],\"tolerations\":[{\"key\":\"dedicated\",\"operator\":"
                 "\"Exists\",\"effect\":\"NoSchedule\"}]}");
  assert_true(sched_filter_taints(p, n, NULL));
  sched_pod_free(p);
  /* A NotReady node acts as tainted not-ready. */
  n->ready = false;
  p = pod("web", "{\"containers\":[{\"name\":\"c\"}],\"tolerations\":[{\"key\":\"dedicated\",\"operator\":"
                 "\"Exists\"}]}");
  st = (SchedStatus){0};
  assert_false(sched_filter_taints(p, n, &st));
  assert_string_equal(st.reasons[0], "node(s) had untolerated taint {node.kubernetes.io/not-ready: }");
  sched_pod_free(p);
  sched_node_free(n);
}

static void test_node_affinity(void **state) {
  json_t *n = J("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\",\"gen\":\"5\"}}}");
  struct {
    const char *term;
    bool want;
  } cases[] = {
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}", false},
      {"{\"matchExpressions\":[{\"key\":\"missing\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Exists\"}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"DoesNotExist\"}]}", false},
      {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Gt\",\"values\":[\"4\"]}]}", true},
      {"{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Lt\",\"values\":[\"5\"]}]}", false},
      {"{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}", false},
      {"{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}]}", true},
      {"{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"NotIn\",\"values\":[\"n1\"]}]}", false},
      {"{}", false},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    json_t *t = J(cases[i].term);
    if (sched_node_selector_term_matches(t, n) != cases[i].want)
      fail_msg("term %s: wanted %d", cases[i].term, cases[i].want);
    json_decref(t);
  }
  json_t *p = J("{\"spec\":{\"nodeSelector\":{\"zone\":\"a\"},\"affinity\":{\"nodeAffinity\":{"
                "\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":["
                "{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"z\"]}]},"
                "{\"matchExpressions\":[{\"key\":\"gen\",\"operator\":\"Exists\"}]}]}}}}}");
  assert_true(sched_pod_matches_node_selector(p, n)); /* terms are ORed */
  json_object_set_new(jobj(p, "spec.nodeSelector"), "zone", json_string("b"));
  assert_false(sched_pod_matches_node_selector(p, n));
  json_decref(p);
  json_decref(n);
}

static void test_resources(void **state) {
  SchedNode *n = node("n1", NULL, NULL, "2", "4Gi");
  /* 1500m + max(init 1800m) → 1800m; memory 1Gi */
  SchedPod *p =
      pod("a", "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"1500m\","
               "\"memory\":\"1Gi\"}}}],\"initContainers\":[{\"name\":\"i\",\"resources\":{\"requests\":"
               "{\"cpu\":\"1.8\"}}}]}");
  assert_int_equal(p->milli_cpu, 1800);
  assert_int_equal(p->memory, 1024ll * 1024 * 1024);
  assert_false(p->has_claims);
  SchedPod *v = pod("v", "{\"containers\":[{\"name\":\"c\"}],\"volumes\":[{\"name\":\"e\",\"emptyDir\":{}},"
                         "{\"name\":\"d\",\"persistentVolumeClaim\":{\"claimName\":\"data\"}}]}");
  assert_true(v->has_claims); /* the volume filters then apply */
  sched_pod_free(v);
  assert_true(sched_filter_resources(p, n, NULL));
  sched_node_add_pod(n, p);
  SchedPod *q = pod("b", "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"300m\","
                         "\"memory\":\"3500Mi\"}}}]}");
  SchedStatus st = {0};
  assert_false(sched_filter_resources(q, n, &st));
  assert_int_equal(st.n, 2);
  assert_string_equal(st.reasons[0], "Insufficient cpu");
  assert_string_equal(st.reasons[1], "Insufficient memory");
  assert_false(st.unresolvable);
  /* Pods without requests need only a pod slot (3 allocatable). */
  SchedPod *z1 = pod("z1", "{\"containers\":[{\"name\":\"c\"}]}"), *z2 = pod("z2", "{\"containers\":[{}]}");
  assert_int_equal(z1->nz_milli_cpu, 100);
  assert_true(sched_filter_resources(z1, n, NULL));
  sched_node_add_pod(n, z1);
  sched_node_add_pod(n, z2);
  st = (SchedStatus){0};
  assert_false(sched_filter_resources(z1, n, &st));
  assert_string_equal(st.reasons[0], "Too many pods");
  sched_node_remove_pod(n, z2);
  sched_node_remove_pod(n, z1);
  sched_node_remove_pod(n, p);
  assert_int_equal(n->req_milli_cpu, 0);
  sched_pod_free(p);
  sched_pod_free(q);
  sched_pod_free(z1);
  sched_pod_free(z2);
  sched_node_free(n);
}

static void test_ports_and_anti_affinity(void **state) {
  SchedNode *n = node("n1", NULL, "{\"kubernetes.io/hostname\":\"n1\"}", "4", "8Gi");
  const char *anti = "\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
                     "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"db\"}},\"topologyKey\":"
                     "\"kubernetes.io/hostname\"}]}}";
  char spec[1024];
  snprintf(spec, sizeof spec,
           "{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80,\"hostPort\":8080}]}],%s}",
           anti);
  SchedPod *a = pod("db", spec);
  assert_int_equal(a->n_ports, 1);
  assert_true(a->has_required_anti_affinity);
  SchedCluster cl = {.nodes = &n, .n_nodes = 1};
  assert_true(sched_filter(a, n, &cl, NULL));
  sched_node_add_pod(n, a);
  SchedPod *b = pod("db", spec); /* same labels, same port */
  SchedStatus st;
  assert_false(sched_filter(b, n, &cl, &st));
  assert_string_equal(st.reasons[0], "node(s) didn't have free ports for the requested pod ports");
  b->ports[0].port = 9090;
  /* A different key, so it is not mistaken for the pod already placed. */
  free(b->key);
  b->key = xstrdup("default/db2");
  assert_false(sched_filter(b, n, &cl, &st));
  assert_string_equal(st.reasons[0], "node(s) didn't match pod anti-affinity rules");
  SchedPod *other = pod("web", "{\"containers\":[{\"name\":\"c\"}]}");
  SchedPod *anti_pods[] = {a};
  cl.anti_affinity_pods = anti_pods;
  cl.n_anti_affinity_pods = 1;
  assert_true(sched_filter(other, n, &cl, NULL));
  sched_pod_free(other);
  other = pod("db", "{\"containers\":[{\"name\":\"c\"}]}");
  free(other->key);
  other->key = xstrdup("default/db3");
  assert_false(sched_filter(other, n, &cl, &st));
  /* The pod's own anti-affinity is checked first... this one has none, so the existing pod's rule says no. */
  assert_string_equal(st.reasons[0], "node(s) didn't satisfy existing pods anti-affinity rules");
  sched_node_remove_pod(n, a);
  sched_pod_free(other);
  sched_pod_free(a);
  sched_pod_free(b);
  sched_node_free(n);
}

static void test_message(void **state) {
  SchedDiagnosis d = {.n_nodes = 3};
  SchedStatus cpu = {.n = 1}, taint = {.n = 1, .unresolvable = true};
  snprintf(cpu.reasons[0], sizeof cpu.reasons[0], "Insufficient cpu");
  snprintf(taint.reasons[0], sizeof taint.reasons[0], "node(s) had untolerated taint {a: b}");
  for (int i = 0; i < 3; i++)
    sched_diagnosis_add(&d, &cpu);
  char *m = sched_diagnosis_message(&d);
  assert_string_equal(
      m, "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No "
         "preemption victims found for incoming pod.");
  free(m);
  sched_diagnosis_done(&d);
  d = (SchedDiagnosis){.n_nodes = 12};
  for (int i = 0; i < 10; i++)
    sched_diagnosis_add(&d, &taint);
  SchedStatus both = {.n = 2};
  snprintf(both.reasons[0], sizeof both.reasons[0], "Insufficient cpu");
  snprintf(both.reasons[1], sizeof both.reasons[1], "Insufficient memory");
  sched_diagnosis_add(&d, &both);
  sched_diagnosis_add(&d, &both);
  m = sched_diagnosis_message(&d);
  /* Sorted as strings, like Go's sort.Strings: "10 ..." before "2 ...". */
  assert_string_equal(
      m, "0/12 nodes are available: 10 node(s) had untolerated taint {a: b}, 2 Insufficient cpu, "
         "2 Insufficient memory. preemption: 0/12 nodes are available: 10 Preemption is not "
         "helpful for scheduling, 2 No preemption victims found for incoming pod.");
  free(m);
  sched_diagnosis_done(&d);
  d = (SchedDiagnosis){0};
  m = sched_diagnosis_message(&d);
  assert_string_equal(m, "no nodes available to schedule pods");
  free(m);
}

static void test_scores(void **state) {
  SchedNode *busy = node("busy", NULL, NULL, "4", "8Gi"), *idle = node("idle", NULL, NULL, "4", "8Gi");
  SchedPod *filler = pod("f", "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"2\","
                              "\"memory\":\"4Gi\"}}}]}");
  sched_node_add_pod(busy, filler);
  SchedPod *p = pod("p", "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"1\","
                         "\"memory\":\"2Gi\"}}}]}");
  assert_int_equal(sched_score_least_allocated(p, idle), 75);
  assert_int_equal(sched_score_least_allocated(p, busy), 25);
  assert_int_equal(sched_score_balanced(p, idle), 100);
  SchedNode *nodes[] = {busy, idle};
  int64_t scores[2];
  sched_score(p, nodes, 2, NULL, scores);
  assert_true(scores[1] > scores[0]);
  assert_int_equal(sched_num_feasible_to_find(50), 50);
  assert_int_equal(sched_num_feasible_to_find(1000), 420);
  assert_int_equal(sched_num_feasible_to_find(150), 100);
  sched_node_remove_pod(busy, filler);
  sched_pod_free(filler);
  sched_pod_free(p);
  sched_node_free(busy);
  sched_node_free(idle);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tolerations),
      cmocka_unit_test(test_taint_filter),
      cmocka_unit_test(test_node_affinity),
      cmocka_unit_test(test_resources),
      cmocka_unit_test(test_ports_and_anti_affinity),
      cmocka_unit_test(test_message),
      cmocka_unit_test(test_scores),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
