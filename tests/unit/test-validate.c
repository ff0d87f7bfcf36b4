/* Unit tests for src/api/validate.c: the field paths and messages of Kubernetes' validation for the
 * objects users write most (pods, deployments, services, config maps, jobs, HPAs) and immutable fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_objects),
      cmocka_unit_test(test_pod_errors),
      cmocka_unit_test(test_deployment_errors),
      cmocka_unit_test(test_service_and_config),
      cmocka_unit_test(test_jobs_and_hpa),
      cmocka_unit_test(test_immutable),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
