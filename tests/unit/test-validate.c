/* Unit tests for src/api/validate.c: the field paths and messages of Kubernetes' validation for the
 * objects users write most (pods, deployments, services, config maps, jobs, HPAs) and immutable fields, of
 * the storage, networking, RBAC and other kinds (validate-storage.c, validate-misc.c), and defaulting.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api/defaulting.h"
#include "api/jsonutil.h"
#include "api/validate.h"
#include "base/buf.h"

/* Validates a JSON literal and returns the causes as "field: message" lines joined by '\n'. */
static char *causes(const char *group, const char *kind, const char *json, const char *old_json) {
  json_t *obj = json_loads(json, 0, NULL);
  assert_non_null(obj);
  Error e = ERROR_INIT;
  int r = validate_object(group, kind, obj, &e);
  if (old_json) {
    json_t *old = json_loads(old_json, 0, NULL);
    assert_non_null(old);
    int r2 = validate_update(group, kind, obj, old, &e);
    r = r < 0 ? r : r2;
    json_decref(old);
  }
  json_decref(obj);
  Buf b = BUF_INIT;
  for (size_t i = 0; i < e.n_causes; i++)
    buf_printf(&b, "%s: %s\n", e.causes[i].field ? e.causes[i].field : "", e.causes[i].message);
  assert_int_equal(r, e.n_causes ? -EINVAL : 0);
  error_reset(&e);
  return buf_steal(&b, NULL);
}

#define DEPLOY(spec) "{\"metadata\":{\"name\":\"web\"},\"spec\":" spec "}"
#define TEMPLATE(labels, podspec) "\"template\":{\"metadata\":{\"labels\":" labels "},\"spec\":" podspec "}"

static void test_valid_objects(void **state) {
  static const struct {
    const char *group, *kind, *json;
  } ok[] = {
      {"", "Pod",
       "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":"
       "\"web\","
       "\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],\"env\":[{\"name\":\"A_B\","
       "\"value\":\"1\"}],\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":8000},"
       "\"successThreshold\":3}}]}}"},
      {"apps", "Deployment",
       DEPLOY("{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," TEMPLATE(
           "{\"app\":\"web\",\"tier\":\"x\"}",
           "{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}]}") "}")},
      {"", "Service",
       "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":\"http\"}]}}"},
      {"", "Service", "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"clusterIP\":\"None\"}}"},
      {"", "ConfigMap", "{\"metadata\":{\"name\":\"c\"},\"data\":{\"a.b_c-d\":\"x\"}}"},
      {"batch", "Job",
       "{\"metadata\":{\"name\":\"j\"},\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
       "\"containers\":[{\"name\":\"j\",\"image\":\"busybox\"}]}}}}"},
  };
  for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
    _cleanup_free_ char *c = causes(ok[i].group, ok[i].kind, ok[i].json, NULL);
    assert_string_equal(c, "");
  }
}

static void test_pod_errors(void **state) {
  _cleanup_free_ char *c =
      causes("", "Pod",
             "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"restartPolicy\":\"Sometimes\",\"containers\":[{"
             "\"name\":\"Web\"},"
             "{\"name\":\"b\",\"image\":\"x\",\"imagePullPolicy\":\"Maybe\",\"ports\":[{\"containerPort\":0},"
             "{\"containerPort\":80,\"name\":\"verylongportname1\"}],\"volumeMounts\":[{\"name\":\"nope\","
             "\"mountPath\":\"/x\"}],"
             "\"livenessProbe\":{\"periodSeconds\":5}}]}}",
             NULL);
  assert_non_null(strstr(c, "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label"));
  assert_non_null(strstr(c, "spec.containers[0].image: Required value\n"));
  assert_non_null(
      strstr(c, "spec.containers[1].imagePullPolicy: Unsupported value: \"Maybe\": supported values: "
                "\"Always\", \"IfNotPresent\", \"Never\"\n"));
  assert_non_null(strstr(c, "spec.containers[1].ports[0].containerPort: Invalid value: 0: must be between 1 "
                            "and 65535, inclusive\n"));
  assert_non_null(strstr(c, "spec.containers[1].ports[1].name: Invalid value: \"verylongportname1\""));
  assert_non_null(strstr(c, "spec.containers[1].volumeMounts[0].name: Not found: \"nope\"\n"));
  assert_non_null(
      strstr(c, "spec.containers[1].livenessProbe: Required value: must specify a handler type\n"));
  assert_non_null(strstr(c, "spec.restartPolicy: Unsupported value: \"Sometimes\""));
  _cleanup_free_ char *none = causes("", "Pod", "{\"metadata\":{\"name\":\"p\"},\"spec\":{}}", NULL);
  assert_string_equal(none, "spec.containers: Required value\n");
}

static void test_deployment_errors(void **state) {
  _cleanup_free_ char *c =
      causes("apps", "Deployment",
             DEPLOY("{\"replicas\":-1,\"selector\":{\"matchLabels\":{\"app\":\"x\"}},\"strategy\":{\"type\":"
                    "\"Recreate\","
                    "\"rollingUpdate\":{\"maxSurge\":1}}," TEMPLATE(
                        "{\"app\":\"y\"}", "{\"restartPolicy\":\"OnFailure\",\"containers\":[{\"name\":"
                                           "\"w\",\"image\":\"i\"}]}") "}"),
             NULL);
  assert_non_null(strstr(c, "spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"));
  assert_non_null(strstr(c, "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"y\"}: "
                            "`selector` does not match template `labels`\n"));
  assert_non_null(strstr(
      c,
      "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'\n"));
  assert_non_null(strstr(
      c,
      "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"\n"));
  _cleanup_free_ char *nosel = causes(
      "apps", "Deployment",
      DEPLOY("{" TEMPLATE("{\"a\":\"b\"}", "{\"containers\":[{\"name\":\"w\",\"image\":\"i\"}]}") "}"), NULL);
  assert_string_equal(nosel, "spec.selector: Required value\n");
  _cleanup_free_ char *zero = causes(
      "apps", "Deployment",
      DEPLOY("{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"strategy\":{\"rollingUpdate\":{\"maxSurge\":0,"
             "\"maxUnavailable\":\"0%\"}}," TEMPLATE(
                 "{\"a\":\"b\"}", "{\"containers\":[{\"name\":\"w\",\"image\":\"i\"}]}") "}"),
      NULL);
  assert_string_equal(zero, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 "
                            "when `maxSurge` is 0\n");
}

static void test_service_and_config(void **state) {
  _cleanup_free_ char *c =
      causes("", "Service",
             "{\"metadata\":{\"name\":\"s\"},\"spec\":{\"type\":\"Magic\",\"ports\":[{\"port\":80},"
             "{\"port\":70000,\"name\":\"b\"}]}}",
             NULL);
  assert_non_null(strstr(c, "spec.type: Unsupported value: \"Magic\""));
  assert_non_null(strstr(c, "spec.ports[0].name: Required value\n"));
  assert_non_null(
      strstr(c, "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n"));
  _cleanup_free_ char *noports = causes("", "Service", "{\"metadata\":{\"name\":\"s\"},\"spec\":{}}", NULL);
  assert_string_equal(noports, "spec.ports: Required value\n");
  _cleanup_free_ char *cm =
      causes("", "ConfigMap", "{\"metadata\":{\"name\":\"c\"},\"data\":{\"bad key\":\"x\"}}", NULL);
  assert_non_null(
      strstr(cm, "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of"));
  _cleanup_free_ char *lab =
      causes("", "ConfigMap", "{\"metadata\":{\"name\":\"c\",\"labels\":{\"-x\":\"ok\"}}}", NULL);
  assert_non_null(strstr(lab, "metadata.labels: Invalid value: \"-x\": name part must consist of"));
}

static void test_jobs_and_hpa(void **state) {
  _cleanup_free_ char *j = causes("batch", "Job",
                                  "{\"metadata\":{\"name\":\"j\"},\"spec\":{\"template\":{\"spec\":{"
                                  "\"containers\":[{\"name\":\"j\",\"image\":\"b\"}]}}}}",
                                  NULL);
  assert_string_equal(
      j, "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"\n");
  _cleanup_free_ char *h =
      causes("autoscaling", "HorizontalPodAutoscaler",
             "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"scaleTargetRef\":{\"kind\":\"Deployment\","
             "\"name\":\"web\"},\"minReplicas\":3,\"maxReplicas\":2}}",
             NULL);
  assert_string_equal(h,
                      "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`\n");
}

static void test_immutable(void **state) {
  const char *old = DEPLOY("{\"selector\":{\"matchLabels\":{\"a\":\"b\"}}," TEMPLATE(
      "{\"a\":\"b\",\"c\":\"d\"}", "{\"containers\":[{\"name\":\"w\",\"image\":\"i\"}]}") "}");
  const char *neu = DEPLOY("{\"selector\":{\"matchLabels\":{\"c\":\"d\"}}," TEMPLATE(
      "{\"a\":\"b\",\"c\":\"d\"}", "{\"containers\":[{\"name\":\"w\",\"image\":\"i\"}]}") "}");
  _cleanup_free_ char *c = causes("apps", "Deployment", neu, old);
  assert_string_equal(c,
                      "spec.selector: Invalid value: {\"matchLabels\":{\"c\":\"d\"}}: field is immutable\n");
  const char *pod =
      "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":\"i:1\"}]}}";
  const char *pod2 =
      "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":\"i:2\"}]}}";
  _cleanup_free_ char *img = causes("", "Pod", pod2, pod);
  assert_string_equal(img, "");
  const char *pod3 =
      "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"w\","
      "\"image\":\"i:1\"}]}}";
  _cleanup_free_ char *rp = causes("", "Pod", pod3, pod);
  assert_non_null(strstr(rp, "spec: Forbidden: pod updates may not change fields other than"));
}

static void test_names(void **state) {
  assert_true(validate_dns1123_label("a-1"));
  assert_false(validate_dns1123_label("-a"));
  assert_false(validate_dns1123_label("A"));
  assert_true(validate_dns1123_subdomain("a.b-c.d"));
  assert_false(validate_dns1123_subdomain("a..b"));
  assert_true(validate_qualified_name("app.kubernetes.io/name"));
  assert_false(validate_qualified_name("app/"));
  assert_false(validate_qualified_name("Bad_/x"));
  assert_true(validate_label_value(""));
  assert_false(validate_label_value("a b"));
}

/* ---- kinds with validation of their own (validate-storage.c, validate-misc.c) and defaulting ---- */

/* causes() for JSON written with single quotes (no backslashes in the literals below). */
static char *causes_q(const char *group, const char *kind, const char *json, const char *old_json) {
  _cleanup_free_ char *a = xstrdup(json), *b = old_json ? xstrdup(old_json) : NULL;
  for (char *p = a; *p; p++)
    if (*p == '\'')
      *p = '"';
  for (char *p = b; p && *p; p++)
    if (*p == '\'')
      *p = '"';
  return causes(group, kind, a, b);
}

static void expect(const char *got, const char *want) {
  if (!strstr(got, want))
    fail_msg("missing cause \"%s\" in:\n%s", want, got);
}

static void test_pvc(void **state) {
  _cleanup_free_ char *ok = causes_q("", "PersistentVolumeClaim",
                                     "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],"
                                     "'resources':{'requests':{'storage':'1Gi'}},'volumeMode':'Filesystem'}}",
                                     NULL);
  assert_string_equal(ok, "");
  _cleanup_free_ char *empty =
      causes_q("", "PersistentVolumeClaim", "{'metadata':{'name':'d'},'spec':{}}", NULL);
  expect(empty, "spec.accessModes: Required value: at least 1 access mode is required\n");
  expect(empty, "spec.resources[storage]: Required value\n");
  _cleanup_free_ char *bad = causes_q(
      "", "PersistentVolumeClaim",
      "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOncePod','Sometimes'],'volumeMode':'Raw',"
      "'resources':{'requests':{'storage':'0'}}}}",
      NULL);
  expect(bad, "spec.accessModes: Unsupported value: \"Sometimes\": supported values: \"ReadOnlyMany\", "
              "\"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"\n");
  expect(bad, "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes\n");
  expect(bad, "spec.resources[storage]: Invalid value: \"0\": must be greater than zero\n");
  expect(bad, "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"\n");

  /* Updates: binding sets volumeName; a bound claim may grow, not shrink, and nothing else changes. */
  const char *pending = "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],"
                        "'resources':{'requests':{'storage':'1Gi'}}},'status':{'phase':'Pending'}}";
  const char *bound = "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],'volumeName':'pv1',"
                      "'resources':{'requests':{'storage':'1Gi'}}},'status':{'phase':'Bound',"
                      "'capacity':{'storage':'1Gi'}}}";
  _cleanup_free_ char *bind = causes_q("", "PersistentVolumeClaim", bound, pending);
  assert_string_equal(bind, "");
  _cleanup_free_ char *grow = causes_q("", "PersistentVolumeClaim",
                                       "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],"
                                       "'volumeName':'pv1','resources':{'requests':{'storage':'2Gi'}}}}",
                                       bound);
  assert_string_equal(grow, "");
  _cleanup_free_ char *shrink = causes_q("", "PersistentVolumeClaim",
                                         "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],"
                                         "'volumeName':'pv1','resources':{'requests':{'storage':'512Mi'}}}}",
                                         bound);
  expect(shrink, "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity\n");
  _cleanup_free_ char *grow_pending =
      causes_q("", "PersistentVolumeClaim",
               "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteOnce'],"
               "'resources':{'requests':{'storage':'2Gi'}}}}",
               pending);
  expect(grow_pending, "spec: Forbidden: spec is immutable after creation except resources.requests and "
                       "volumeAttributesClassName for bound claims\n");
  _cleanup_free_ char *modes = causes_q("", "PersistentVolumeClaim",
                                        "{'metadata':{'name':'d'},'spec':{'accessModes':['ReadWriteMany'],"
                                        "'volumeName':'pv1','resources':{'requests':{'storage':'1Gi'}}}}",
                                        bound);
  expect(modes, "spec: Forbidden: spec is immutable after creation");
}

static void test_pv_and_storage_class(void **state) {
  _cleanup_free_ char *ok = causes_q("", "PersistentVolume",
                                     "{'metadata':{'name':'v'},'spec':{'capacity':{'storage':'5Gi'},"
                                     "'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/x'},"
                                     "'persistentVolumeReclaimPolicy':'Retain'}}",
                                     NULL);
  assert_string_equal(ok, "");
  _cleanup_free_ char *none = causes_q("", "PersistentVolume", "{'metadata':{'name':'v'},'spec':{}}", NULL);
  expect(none, "spec.accessModes: Required value\n");
  expect(none, "spec.capacity: Required value\n");
  expect(none, "spec: Required value: must specify a volume type\n");
  _cleanup_free_ char *two =
      causes_q("", "PersistentVolume",
               "{'metadata':{'name':'v'},'spec':{'capacity':{'storage':'-1'},"
               "'accessModes':['ReadWriteOnce'],'hostPath':{'path':'/x'},'nfs':{'server':"
               "'s','path':'/'},'persistentVolumeReclaimPolicy':'Keep'}}",
               NULL);
  expect(two, "spec.nfs: Forbidden: may not specify more than 1 volume type\n");
  expect(two, "spec.capacity[storage]: Invalid value: \"-1\": must be greater than or equal to 0\n");
  expect(two,
         "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", "
         "\"Recycle\", \"Retain\"\n");
  _cleanup_free_ char *local = causes_q("", "PersistentVolume",
                                        "{'metadata':{'name':'v'},'spec':{'capacity':{'storage':'1Gi'},"
                                        "'accessModes':['ReadWriteOnce'],'local':{'path':'/x'}}}",
                                        NULL);
  expect(local, "spec.nodeAffinity: Required value: Local volume requires node affinity\n");

  _cleanup_free_ char *sc = causes_q("storage.k8s.io", "StorageClass",
                                     "{'metadata':{'name':'s'},'reclaimPolicy':'Recycle',"
                                     "'volumeBindingMode':'Later'}",
                                     NULL);
  expect(sc, "provisioner: Required value\n");
  expect(sc, "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"\n");
  expect(sc, "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", "
             "\"WaitForFirstConsumer\"\n");
  const char *old = "{'metadata':{'name':'s'},'provisioner':'a.io/x','parameters':{'k':'v'},"
                    "'reclaimPolicy':'Delete','volumeBindingMode':'Immediate'}";
  _cleanup_free_ char *upd =
      causes_q("storage.k8s.io", "StorageClass",
               "{'metadata':{'name':'s'},'provisioner':'b.io/y','parameters':{'k':'w'},"
               "'reclaimPolicy':'Retain','volumeBindingMode':'WaitForFirstConsumer'}",
               old);
  expect(upd, "parameters: Forbidden: updates to parameters are forbidden.\n");
  expect(upd, "provisioner: Forbidden: updates to provisioner are forbidden.\n");
  expect(upd, "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.\n");
  expect(upd, "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable\n");
  _cleanup_free_ char *same = causes_q("storage.k8s.io", "StorageClass", old, old);
  assert_string_equal(same, "");
}

static void test_ingress_and_network_policy(void **state) {
  _cleanup_free_ char *ok = causes_q(
      "networking.k8s.io", "Ingress",
      "{'metadata':{'name':'i'},'spec':{'ingressClassName':'nginx','rules':[{'host':'*.example.com','http':"
      "{'paths':[{'path':'/"
      "','pathType':'Prefix','backend':{'service':{'name':'web','port':{'name':'http'}}}}]}}"
      "]}}",
      NULL);
  assert_string_equal(ok, "");
  _cleanup_free_ char *none =
      causes_q("networking.k8s.io", "Ingress", "{'metadata':{'name':'i'},'spec':{}}", NULL);
  expect(none,
         "spec: Invalid value: \"[]networking.IngressRule(nil)\": either `defaultBackend` or `rules` must "
         "be specified\n");
  _cleanup_free_ char *bad =
      causes_q("networking.k8s.io", "Ingress",
               "{'metadata':{'name':'i'},'spec':{'rules':[{'host':'10.0.0.1','http':{'paths':["
               "{'path':'/','backend':{'service':{'name':'web','port':{'number':80}}}},"
               "{'path':'x','pathType':'Exact','backend':{'service':{'name':'web'}}},"
               "{'path':'/a','pathType':'Regex','backend':{}}]}},{'http':{'paths':[]}}]}}",
               NULL);
  expect(bad, "spec.rules[0].host: Invalid value: \"10.0.0.1\": must be a DNS name, not an IP address\n");
  expect(bad, "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified\n");
  expect(bad, "spec.rules[0].http.paths[1].path: Invalid value: \"x\": must be an absolute path\n");
  expect(bad, "spec.rules[0].http.paths[1].backend: Required value: port name or number is required\n");
  expect(bad,
         "spec.rules[0].http.paths[2].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", "
         "\"ImplementationSpecific\", \"Prefix\"\n");
  expect(
      bad,
      "spec.rules[0].http.paths[2].backend: Invalid value: \"\": resource or service backend is required\n");
  expect(bad, "spec.rules[1].http.paths: Required value\n");

  _cleanup_free_ char *np = causes_q(
      "networking.k8s.io", "NetworkPolicy",
      "{'metadata':{'name':'n'},'spec':{'podSelector':{},'policyTypes':['Ingress','Sideways'],'ingress':[{"
      "'ports':[{'protocol':'ICMP','port':70000}],'from':[{},{'ipBlock':{'cidr':'10.0.0.0/8','except':"
      "['192.168.0.0/16']},'podSelector':{}}]}]}}",
      NULL);
  expect(np, "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", "
             "\"TCP\", \"UDP\"\n");
  expect(np, "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\n");
  expect(np, "spec.ingress[0].from[0]: Required value: must specify a peer\n");
  expect(np, "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict "
             "subset of `cidr`\n");
  expect(np, "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer\n");
  expect(np,
         "spec.policyTypes[1]: Unsupported value: \"Sideways\": supported values: \"Ingress\", \"Egress\"\n");
}

static void test_rbac(void **state) {
  _cleanup_free_ char *role =
      causes_q("rbac.authorization.k8s.io", "Role",
               "{'metadata':{'name':'r'},'rules':[{'apiGroups':[''],'resources':['pods']},{'verbs':['get'],"
               "'nonResourceURLs':['/healthz']},{'verbs':['get']}]}",
               NULL);
  expect(role, "rules[0].verbs: Required value: verbs must contain at least one value\n");
  expect(role,
         "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply "
         "to non-resource URLs\n");
  expect(role, "rules[2].apiGroups: Required value: resource rules must supply at least one api group\n");
  expect(role, "rules[2].resources: Required value: resource rules must supply at least one resource\n");
  _cleanup_free_ char *cr =
      causes_q("rbac.authorization.k8s.io", "ClusterRole",
               "{'metadata':{'name':'r'},'rules':[{'verbs':['get'],'nonResourceURLs':['/x']}]}", NULL);
  assert_string_equal(cr, "");

  _cleanup_free_ char *rb =
      causes_q("rbac.authorization.k8s.io", "ClusterRoleBinding",
               "{'metadata':{'name':'b'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role'},"
               "'subjects':[{'kind':'ServiceAccount','name':'default'},{'kind':'Robot','name':'x'}]}",
               NULL);
  expect(rb, "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"\n");
  expect(rb, "roleRef.name: Required value\n");
  expect(rb, "subjects[0].namespace: Required value\n");
  expect(rb,
         "subjects[1].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", "
         "\"Group\"\n");
  const char *old =
      "{'metadata':{'name':'b'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role',"
      "'name':'a'}}";
  _cleanup_free_ char *upd =
      causes_q("rbac.authorization.k8s.io", "RoleBinding",
               "{'metadata':{'name':'b'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
               "'kind':'Role','name':'b'}}",
               old);
  assert_string_equal(upd, "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
                           "Kind:\"Role\", Name:\"b\"}: cannot change roleRef\n");
}

static void test_secrets_and_others(void **state) {
  _cleanup_free_ char *docker = causes_q("", "Secret",
                                         "{'metadata':{'name':'s'},'type':'kubernetes.io/dockerconfigjson',"
                                         "'data':{'config':'e30='}}",
                                         NULL);
  assert_string_equal(docker, "data[.dockerconfigjson]: Required value\n");
  _cleanup_free_ char *tls = causes_q("", "Secret",
                                      "{'metadata':{'name':'s'},'type':'kubernetes.io/tls','stringData':"
                                      "{'tls.crt':'x'}}",
                                      NULL);
  assert_string_equal(tls, "data[tls.key]: Required value\n");
  _cleanup_free_ char *type = causes_q("", "Secret", "{'metadata':{'name':'s'},'type':'Opaque'}",
                                       "{'metadata':{'name':'s'},'type':'kubernetes.io/basic-auth','data':"
                                       "{'username':'YQ=='}}");
  assert_string_equal(type, "type: Invalid value: \"Opaque\": field is immutable\n");
  /* 1 MiB of decoded data at most. */
  Buf big = BUF_INIT;
  buf_puts(&big, "{\"metadata\":{\"name\":\"s\"},\"data\":{\"a\":\"");
  for (size_t i = 0; i < (1024 * 1024 + 3) / 3 + 1; i++)
    buf_puts(&big, "QUFB");
  buf_puts(&big, "\"}}");
  _cleanup_free_ char *large = causes("", "Secret", big.data, NULL);
  assert_string_equal(large, "data: Too long: may not be more than 1048576 bytes\n");
  buf_free(&big);

  _cleanup_free_ char *pdb =
      causes_q("policy", "PodDisruptionBudget",
               "{'metadata':{'name':'p'},'spec':{'minAvailable':1,'maxUnavailable':'150%'}}", NULL);
  expect(pdb, "spec: Invalid value: policy.PodDisruptionBudgetSpec{MinAvailable:1, MaxUnavailable:\"150%\"}: "
              "minAvailable and maxUnavailable cannot be both set\n");
  expect(pdb, "spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%\n");
  _cleanup_free_ char *pc =
      causes_q("scheduling.k8s.io", "PriorityClass",
               "{'metadata':{'name':'high'},'value':2000000000,'preemptionPolicy':'Always'}", NULL);
  expect(pc, "value: Forbidden: maximum allowed value of a user defined priority is 1000000000\n");
  expect(pc, "preemptionPolicy: Unsupported value: \"Always\": supported values: \"Never\", "
             "\"PreemptLowerPriority\"\n");
  _cleanup_free_ char *pcu =
      causes_q("scheduling.k8s.io", "PriorityClass", "{'metadata':{'name':'a'},'value':2}",
               "{'metadata':{'name':'a'},'value':1}");
  assert_string_equal(pcu, "value: Forbidden: may not be changed in an update.\n");
  _cleanup_free_ char *sys =
      causes_q("scheduling.k8s.io", "PriorityClass",
               "{'metadata':{'name':'system-node-critical'},'value':2000001000}", NULL);
  assert_string_equal(sys, "");
  _cleanup_free_ char *lease = causes_q("coordination.k8s.io", "Lease",
                                        "{'metadata':{'name':'l'},'spec':{'leaseDurationSeconds':0}}", NULL);
  assert_string_equal(lease, "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0\n");
  _cleanup_free_ char *eps =
      causes_q("discovery.k8s.io", "EndpointSlice",
               "{'metadata':{'name':'e'},'addressType':'IPv4','endpoints':[{'addresses':"
               "['10.0.0.300']},{'addresses':[]}],'ports':[{'port':0}]}",
               NULL);
  expect(eps, "endpoints[0].addresses[0]: Invalid value: \"10.0.0.300\": must be a valid IPv4 address\n");
  expect(eps, "endpoints[1].addresses: Required value: must contain at least 1 address\n");
  expect(eps, "ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n");
  _cleanup_free_ char *ep = causes_q("", "Endpoints",
                                     "{'metadata':{'name':'e'},'subsets':[{'addresses':[{'ip':'x'}],'ports':"
                                     "[{'port':80},{'name':'b','port':81,'protocol':'ICMP'}]}]}",
                                     NULL);
  expect(ep, "subsets[0].addresses[0].ip: Invalid value: \"x\": must be a valid IP address");
  expect(ep, "subsets[0].ports[0].name: Required value\n");
  expect(ep, "subsets[0].ports[1].protocol: Unsupported value: \"ICMP\"");
  _cleanup_free_ char *lr =
      causes_q("", "LimitRange",
               "{'metadata':{'name':'l'},'spec':{'limits':[{'type':'Container','max':"
               "{'cpu':'1'},'min':{'cpu':'2'},'default':{'cpu':'500m'},'defaultRequest':"
               "{'cpu':'600m'}},{'type':'Node'}]}}",
               NULL);
  expect(lr, "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1\n");
  expect(lr,
         "spec.limits[0].defaultRequest[cpu]: Invalid value: \"600m\": default request value 600m is greater "
         "than default limit value 500m\n");
  expect(lr, "spec.limits[1].type: Unsupported value: \"Node\"");
  _cleanup_free_ char *rq =
      causes_q("", "ResourceQuota", "{'metadata':{'name':'q'},'spec':{'hard':{'pods':'-1'}}}", NULL);
  assert_string_equal(rq, "spec.hard[pods]: Invalid value: \"-1\": must be greater than or equal to 0\n");
  const char *node =
      "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.42.0.0/24','podCIDRs':['10.42.0.0/24']}}";
  _cleanup_free_ char *set = causes_q("", "Node", node, "{'metadata':{'name':'n'},'spec':{}}");
  assert_string_equal(set, "");
  _cleanup_free_ char *change = causes_q(
      "", "Node", "{'metadata':{'name':'n'},'spec':{'podCIDR':'10.42.1.0/24','podCIDRs':['10.42.1.0/24']}}",
      node);
  assert_string_equal(change,
                      "spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to "
                      "valid\n");
}

static json_t *defaulted(const char *group, const char *kind, const char *json_q) {
  _cleanup_free_ char *a = xstrdup(json_q);
  for (char *p = a; *p; p++)
    if (*p == '\'')
      *p = '"';
  json_t *obj = json_loads(a, 0, NULL);
  assert_non_null(obj);
  defaulting_apply(group, kind, obj);
  return obj;
}

static void test_defaulting(void **state) {
  _cleanup_json_ json_t *pvc =
      defaulted("", "PersistentVolumeClaim", "{'spec':{'accessModes':['ReadWriteOnce']}}");
  assert_string_equal(jstr(pvc, "spec.volumeMode"), "Filesystem");
  assert_string_equal(jstr(pvc, "status.phase"), "Pending");
  _cleanup_json_ json_t *pv = defaulted("", "PersistentVolume", "{'spec':{'volumeMode':'Block'}}");
  assert_string_equal(jstr(pv, "spec.persistentVolumeReclaimPolicy"), "Retain");
  assert_string_equal(jstr(pv, "spec.volumeMode"), "Block");
  _cleanup_json_ json_t *sc = defaulted("storage.k8s.io", "StorageClass", "{'provisioner':'x'}");
  assert_string_equal(jstr(sc, "reclaimPolicy"), "Delete");
  assert_string_equal(jstr(sc, "volumeBindingMode"), "Immediate");
  _cleanup_json_ json_t *np = defaulted("networking.k8s.io", "NetworkPolicy",
                                        "{'spec':{'podSelector':{},'egress':[{'ports':[{'port':53}]}]}}");
  _cleanup_free_ char *types = json_compact(jpath(np, "spec.policyTypes"));
  assert_string_equal(types, "[\"Ingress\",\"Egress\"]");
  assert_string_equal(
      jstr(json_array_get(json_object_get(json_array_get(jpath(np, "spec.egress"), 0), "ports"), 0),
           "protocol"),
      "TCP");
  _cleanup_json_ json_t *rb =
      defaulted("rbac.authorization.k8s.io", "RoleBinding",
                "{'subjects':[{'kind':'User','name':'a'},{'kind':'ServiceAccount','name':'b'}]}");
  assert_string_equal(jstr(json_array_get(json_object_get(rb, "subjects"), 0), "apiGroup"),
                      "rbac.authorization.k8s.io");
  assert_string_equal(jstr(json_array_get(json_object_get(rb, "subjects"), 1), "apiGroup"), "");
  _cleanup_json_ json_t *lr =
      defaulted("", "LimitRange", "{'spec':{'limits':[{'type':'Container','max':{'cpu':'1'}}]}}");
  assert_string_equal(jstr(json_array_get(jpath(lr, "spec.limits"), 0), "default.cpu"), "1");
  assert_string_equal(jstr(json_array_get(jpath(lr, "spec.limits"), 0), "defaultRequest.cpu"), "1");
  _cleanup_json_ json_t *pc = defaulted("scheduling.k8s.io", "PriorityClass", "{'value':1}");
  assert_string_equal(jstr(pc, "preemptionPolicy"), "PreemptLowerPriority");
  /* A spec of the wrong type is left for validation to report, not replaced. */
  _cleanup_json_ json_t *dep = defaulted("apps", "Deployment", "{'spec':[1]}");
  _cleanup_free_ char *spec = json_compact(json_object_get(dep, "spec"));
  assert_string_equal(spec, "[1]");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_objects),
      cmocka_unit_test(test_pod_errors),
      cmocka_unit_test(test_deployment_errors),
      cmocka_unit_test(test_service_and_config),
      cmocka_unit_test(test_jobs_and_hpa),
      cmocka_unit_test(test_immutable),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_pvc),
      cmocka_unit_test(test_pv_and_storage_class),
      cmocka_unit_test(test_ingress_and_network_policy),
      cmocka_unit_test(test_rbac),
      cmocka_unit_test(test_secrets_and_others),
      cmocka_unit_test(test_defaulting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
