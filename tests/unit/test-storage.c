/* Unit tests for persistent volumes: the controller's claim/volume matching (class, access modes, capacity,
 * selector, volume mode, pre-bound volumes, smallest fit), the pvc-protection rule, the node choice of
 * local-path provisioning and the default class; the agent's provisioned PV and directory rules; and the
 * scheduler's VolumeBinding pre-filter and filter with kube-scheduler's messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/kubelet/storage.h"
#include "api/jsonutil.h"
#include "controllers/volume-util.h"
#include "scheduler/volumebinding.h"

/* JSON with ' for " (test readability). */
static json_t *J(const char *text) {
  char *t = xstrdup(text);
  for (char *p = t; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_error_t e;
  json_t *v = json_loads(t, 0, &e);
  if (!v)
    fail_msg("bad JSON in test: %s: %s", e.text, t);
  free(t);
  return v;
}

static json_t *pv(const char *name, const char *size, const char *klass, const char *extra) {
  _cleanup_free_ char *s = xasprintf("{'metadata':{'name':'%s','labels':{'tier':'%s'}},'spec':{'capacity':{"
                                     "'storage':'%s'},'accessModes':['ReadWriteOnce','ReadOnlyMany'],"
                                     "'storageClassName':'%s'%s},'status':{'phase':'Available'}}",
                                     name, strstr(name, "slow") ? "slow" : "fast", size, klass, extra);
  return J(s);
}

static json_t *claim(const char *size, const char *klass, const char *extra) {
  _cleanup_free_ char *s = xasprintf(
      "{'metadata':{'name':'c','namespace':'ns','uid':'u1'},'spec':{'accessModes':['ReadWriteOnce'],"
      "'resources':{'requests':{'storage':'%s'}},'storageClassName':'%s'%s}}",
      size, klass, extra);
  return J(s);
}

static const char *match_name(json_t *pvs, json_t *pvc) {
  json_t *m = volume_find_match(pvs, pvc);
  return m ? jstr(m, "metadata.name") : NULL;
}

static void test_match_smallest_fit(void **state) {
  _cleanup_json_ json_t *pvs = json_array();
  json_array_append_new(pvs, pv("big", "5Gi", "manual", ""));
  json_array_append_new(pvs, pv("small", "1Gi", "manual", ""));
  json_array_append_new(pvs, pv("tiny", "100Mi", "manual", ""));
  json_array_append_new(pvs, pv("other-class", "1Gi", "gold", ""));
  _cleanup_json_ json_t *c1 = claim("500Mi", "manual", "");
  assert_string_equal(match_name(pvs, c1), "small");
  _cleanup_json_ json_t *c2 = claim("1Gi", "manual", ""); /* exactly the capacity fits */
  assert_string_equal(match_name(pvs, c2), "small");
  _cleanup_json_ json_t *c3 = claim("10Gi", "manual", "");
  assert_null(match_name(pvs, c3));
  _cleanup_json_ json_t *c4 = claim("1Gi", "gold", "");
  assert_string_equal(match_name(pvs, c4), "other-class");
  _cleanup_json_ json_t *c5 = claim("1Gi", "", ""); /* "" only matches volumes without a class */
  assert_null(match_name(pvs, c5));
}

static void test_match_modes_selector_mode(void **state) {
  _cleanup_json_ json_t *pvs = json_array();
  json_array_append_new(pvs, pv("fast", "1Gi", "m", ""));
  json_array_append_new(pvs, pv("slow", "1Gi", "m", ""));
  _cleanup_json_ json_t *rwx = claim("1Gi", "m", ",'accessModes':['ReadWriteMany']");
  assert_null(match_name(pvs, rwx));
  _cleanup_json_ json_t *both = claim("1Gi", "m", ",'accessModes':['ReadOnlyMany','ReadWriteOnce']");
  assert_non_null(match_name(pvs, both));
  _cleanup_json_ json_t *sel = claim("1Gi", "m", ",'selector':{'matchLabels':{'tier':'slow'}}");
  assert_string_equal(match_name(pvs, sel), "slow");
  _cleanup_json_ json_t *expr = claim(
      "1Gi", "m", ",'selector':{'matchExpressions':[{'key':'tier','operator':'NotIn','values':['slow']}]}");
  assert_string_equal(match_name(pvs, expr), "fast");
  _cleanup_json_ json_t *block = claim("1Gi", "m", ",'volumeMode':'Block'");
  assert_null(match_name(pvs, block));
}

static void test_match_binding_state(void **state) {
  _cleanup_json_ json_t *pvs = json_array();
  /* taken by another claim, released, being deleted: never chosen */
  json_array_append_new(pvs,
                        pv("taken", "1Gi", "m", ",'claimRef':{'namespace':'ns','name':'other','uid':'u9'}"));
  json_t *rel = pv("released", "1Gi", "m", "");
  jset(rel, "status.phase", json_string("Released"));
  json_array_append_new(pvs, rel);
  json_t *del = pv("deleting", "1Gi", "m", "");
  jset(del, "metadata.deletionTimestamp", json_string("2026-11-26T00:00:00Z"));
  json_array_append_new(pvs, del);
  _cleanup_json_ json_t *c = claim("1Gi", "m", "");
  assert_null(match_name(pvs, c));
  /* a volume pre-bound to the claim by name wins over a smaller free one */
  json_array_append_new(pvs, pv("free", "1Gi", "m", ""));
  json_array_append_new(pvs, pv("mine", "4Gi", "m", ",'claimRef':{'namespace':'ns','name':'c'}"));
  assert_string_equal(match_name(pvs, c), "mine");
  json_t *mine = json_array_get(pvs, json_array_size(pvs) - 1);
  assert_true(volume_pv_bound_to_claim(mine, c));
  jset(mine, "spec.claimRef.uid", json_string("another-incarnation"));
  assert_false(volume_pv_bound_to_claim(mine, c));
  assert_string_equal(match_name(pvs, c), "free");
}

static void test_class_of(void **state) {
  _cleanup_json_ json_t *a = J("{'spec':{'storageClassName':'x'}}");
  _cleanup_json_ json_t *b =
      J("{'metadata':{'annotations':{'volume.beta.kubernetes.io/storage-class':'old'}},'spec':{}}");
  _cleanup_json_ json_t *c = J("{'spec':{}}");
  assert_string_equal(volume_class_of(a), "x");
  assert_string_equal(volume_class_of(b), "old");
  assert_string_equal(volume_class_of(c), "");
}

static void test_claim_in_use(void **state) {
  _cleanup_json_ json_t *c = claim("1Gi", "m", "");
  _cleanup_json_ json_t *pods =
      J("[{'metadata':{'namespace':'other'},'spec':{'volumes':[{'name':'v','persistentVolumeClaim':{'"
        "claimName':'c'}}]}},"
        " {'metadata':{'namespace':'ns'},'spec':{'volumes':[{'name':'v','persistentVolumeClaim':{'claimName':"
        "'c'}}]},"
        "  'status':{'phase':'Succeeded'}},"
        " {'metadata':{'namespace':'ns'},'spec':{'volumes':[{'name':'v','emptyDir':{}}]}}]");
  assert_false(volume_claim_in_use(pods, c));
  json_array_append_new(pods, J("{'metadata':{'namespace':'ns','deletionTimestamp':'2026-11-26T00:00:00Z'},"
                                "'spec':{'volumes':[{'name':'v','persistentVolumeClaim':{'claimName':'c'}}]},"
                                "'status':{'phase':'Running'}}"));
  assert_true(volume_claim_in_use(pods, c)); /* being deleted but still running: in use */
}

static json_t *node(const char *name, bool ready, bool unschedulable) {
  _cleanup_free_ char *s = xasprintf(
      "{'metadata':{'name':'%s'},'spec':{'unschedulable':%s},'status':{'conditions':[{'type':'Ready',"
      "'status':'%s'}]}}",
      name, unschedulable ? "true" : "false", ready ? "True" : "False");
  return J(s);
}

static void test_pick_node(void **state) {
  _cleanup_json_ json_t *nodes = json_array(), *pvs = json_array(), *pvcs = json_array();
  assert_null(volume_pick_node(nodes, pvs, pvcs));
  json_array_append_new(nodes, node("a", true, false));
  json_array_append_new(nodes, node("b", true, false));
  json_array_append_new(nodes, node("c", false, false));
  json_array_append_new(nodes, node("d", true, true));
  assert_string_equal(volume_pick_node(nodes, pvs, pvcs), "a"); /* a tie goes by name */
  json_array_append_new(
      pvs, J("{'spec':{'nodeAffinity':{'required':{'nodeSelectorTerms':[{'matchExpressions':[{'key':"
             "'kubernetes.io/hostname','operator':'In','values':['a']}]}]}}}}"));
  assert_string_equal(volume_pick_node(nodes, pvs, pvcs), "b");
  assert_string_equal(volume_pv_node(json_array_get(pvs, 0)), "a");
  json_array_append_new(
      pvcs, J("{'metadata':{'annotations':{'volume.kubernetes.io/selected-node':'b'}},'spec':{}}"));
  json_array_append_new(
      pvcs, J("{'metadata':{'annotations':{'volume.kubernetes.io/selected-node':'b'}},'spec':{}}"));
  assert_string_equal(volume_pick_node(nodes, pvs, pvcs), "a");
}

static void test_default_class(void **state) {
  _cleanup_json_ json_t *classes =
      J("[{'metadata':{'name':'plain','creationTimestamp':'2026-11-26T10:00:00Z'}},"
        " {'metadata':{'name':'local-path','creationTimestamp':'2026-11-26T09:00:00Z',"
        "  'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}}},"
        " {'metadata':{'name':'off','creationTimestamp':'2026-11-26T11:00:00Z',"
        "  'annotations':{'storageclass.kubernetes.io/is-default-class':'false'}}}]");
  assert_string_equal(jstr(volume_default_class(classes), "metadata.name"), "local-path");
  json_array_append_new(classes, J("{'metadata':{'name':'newer','creationTimestamp':'2026-11-26T12:00:00Z',"
                                   "'annotations':{'storageclass.kubernetes.io/is-default-class':'true'}}}"));
  assert_string_equal(jstr(volume_default_class(classes), "metadata.name"), "newer");
  _cleanup_json_ json_t *none = J("[]");
  assert_null(volume_default_class(none));
}

static void test_provisioned_pv(void **state) {
  _cleanup_json_ json_t *c =
      J("{'metadata':{'name':'data','namespace':'db','uid':'1234','resourceVersion':'7'},"
        "'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{'storage':'2Gi'}},"
        "'storageClassName':'local-path','volumeMode':'Filesystem'}}");
  _cleanup_json_ json_t *sc = J("{'metadata':{'name':'local-path'},'provisioner':'rancher.io/local-path',"
                                "'reclaimPolicy':'Retain'}");
  _cleanup_free_ char *dir = kubelet_storage_dir("/var/lib/coracle/storage", c);
  assert_string_equal(dir, "/var/lib/coracle/storage/pvc-1234_db_data");
  _cleanup_json_ json_t *p = kubelet_storage_new_pv(c, sc, "n1", dir);
  _cleanup_json_ json_t *want = J(
      "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'pvc-1234','annotations':{"
      "'pv.kubernetes.io/provisioned-by':'rancher.io/local-path','local.path.provisioner/"
      "selected-node':'n1'}},"
      "'spec':{'capacity':{'storage':'2Gi'},'accessModes':['ReadWriteOnce'],'storageClassName':'local-path',"
      "'persistentVolumeReclaimPolicy':'Retain','volumeMode':'Filesystem','hostPath':{'path':"
      "'/var/lib/coracle/storage/pvc-1234_db_data','type':'DirectoryOrCreate'},'nodeAffinity':{'required':{"
      "'nodeSelectorTerms':[{'matchExpressions':[{'key':'kubernetes.io/"
      "hostname','operator':'In','values':['n1']}]}]}},"
      "'claimRef':{'apiVersion':'v1','kind':'PersistentVolumeClaim','namespace':'db','name':'data','uid':'"
      "1234',"
      "'resourceVersion':'7'}}}");
  if (!json_equal(p, want)) {
    _cleanup_free_ char *got = json_dumps(p, JSON_SORT_KEYS);
    fail_msg("provisioned PV: %s", got);
  }
  /* the provisioned volume matches its claim */
  assert_true(volume_pv_matches_claim(p, c));
  assert_true(volume_pv_bound_to_claim(p, c));
}

static void test_owns_path(void **state) {
  assert_true(kubelet_storage_owns_path("/d/storage", "/d/storage/pvc-1_ns_n"));
  assert_false(kubelet_storage_owns_path("/d/storage", "/d/storage"));
  assert_false(kubelet_storage_owns_path("/d/storage", "/d/storage/other"));
  assert_false(kubelet_storage_owns_path("/d/storage", "/d/storage/pvc-1/../../etc"));
  assert_false(kubelet_storage_owns_path("/d/storage", "/d/storage2/pvc-1"));
  assert_false(kubelet_storage_owns_path("/d/storage", "/etc/pvc-1"));
}

/* ---- the scheduler's VolumeBinding ---- */

static json_t *view_claims, *view_volumes;

static json_t *view_claim(void *ud, const char *ns, const char *name) {
  _cleanup_free_ char *k = xasprintf("%s/%s", ns, name);
  return json_incref(json_object_get(view_claims, k));
}
static json_t *view_volume(void *ud, const char *name) {
  return json_incref(json_object_get(view_volumes, name));
}

static void test_volume_binding(void **state) {
  view_claims =
      J("{'ns/bound':{'spec':{'volumeName':'pv-a'}},'ns/unbound':{'spec':{}},"
        "'ns/going':{'metadata':{'deletionTimestamp':'2026-11-26T00:00:00Z'},'spec':{'volumeName':'pv-a'}},"
        "'ns/lost':{'spec':{'volumeName':'missing'}}}");
  view_volumes = J("{'pv-a':{'spec':{'nodeAffinity':{'required':{'nodeSelectorTerms':[{'matchExpressions':[{"
                   "'key':'kubernetes.io/hostname','operator':'In','values':['a']}]}]}}}}}");
  SchedVolumeView v = {.claim = view_claim, .volume = view_volume};
  _cleanup_json_ json_t *na = J("{'metadata':{'name':'a','labels':{'kubernetes.io/hostname':'a'}}}");
  _cleanup_json_ json_t *nb = J("{'metadata':{'name':'b','labels':{'kubernetes.io/hostname':'b'}}}");
  struct {
    const char *claim, *pre;
    bool a, b;
  } cases[] = {
      {"bound", NULL, true, false},
      {"unbound", "pod has unbound immediate PersistentVolumeClaims", false, false},
      {"nope", "persistentvolumeclaim \"nope\" not found", false, false},
      {"going", "persistentvolumeclaim \"going\" is being deleted", false, false},
      {"lost", NULL, false, false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    _cleanup_free_ char *s =
        xasprintf("{'metadata':{'namespace':'ns'},'spec':{'volumes':[{'name':'e','emptyDir':{}},"
                  "{'name':'v','persistentVolumeClaim':{'claimName':'%s'}}]}}",
                  cases[i].claim);
    _cleanup_json_ json_t *pod = J(s);
    SchedStatus st = {0};
    bool pre = sched_volume_prefilter(pod, &v, &st);
    assert_int_equal(pre, cases[i].pre == NULL);
    if (!pre) {
      assert_string_equal(st.reasons[0], cases[i].pre);
      assert_true(st.prefilter && st.unresolvable);
      continue;
    }
    st = (SchedStatus){0};
    assert_int_equal(sched_volume_filter(pod, na, &v, &st), cases[i].a);
    st = (SchedStatus){0};
    assert_int_equal(sched_volume_filter(pod, nb, &v, &st), cases[i].b);
    if (streq(cases[i].claim, "bound"))
      assert_string_equal(st.reasons[0], "node(s) had volume node affinity conflict");
    if (streq(cases[i].claim, "lost"))
      assert_string_equal(st.reasons[0],
                          "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)");
    assert_false(st.prefilter);
  }
  json_decref(view_claims);
  json_decref(view_volumes);
}

static void test_prefilter_message(void **state) {
  SchedDiagnosis d = {.n_nodes = 2};
  SchedStatus st = {.n = 1, .unresolvable = true, .prefilter = true};
  snprintf(st.reasons[0], sizeof st.reasons[0], "persistentvolumeclaim \"x\" not found");
  sched_diagnosis_add(&d, &st);
  sched_diagnosis_add(&d, &st);
  _cleanup_free_ char *msg = sched_diagnosis_message(&d);
  assert_string_equal(
      msg, "0/2 nodes are available: persistentvolumeclaim \"x\" not found. preemption: 0/2 nodes are "
           "available: 2 Preemption is not helpful for scheduling.");
  sched_diagnosis_done(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_match_smallest_fit),  cmocka_unit_test(test_match_modes_selector_mode),
      cmocka_unit_test(test_match_binding_state), cmocka_unit_test(test_class_of),
      cmocka_unit_test(test_claim_in_use),        cmocka_unit_test(test_pick_node),
      cmocka_unit_test(test_default_class),       cmocka_unit_test(test_provisioned_pv),
      cmocka_unit_test(test_owns_path),           cmocka_unit_test(test_volume_binding),
      cmocka_unit_test(test_prefilter_message),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
