/* Unit tests for the resource registry (kinds.c) and the JSON/YAML helpers (jsonutil.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api/jsonutil.h"
#include "api/kinds.h"

static void test_lookup(void **state) {
  const ApiResource *r = api_resource_find("apps", "v1", "deployments");
  assert_non_null(r);
  assert_string_equal(r->kind, "Deployment");
  assert_true(r->namespaced);
  assert_true(r->in_all);
  assert_non_null(api_subresource_find(r, "scale"));
  assert_null(api_subresource_find(r, "log"));
  assert_true(api_resource_has_verb(r, "watch"));
  assert_true(api_resource_has_verb(r, "deletecollection"));
  char buf[128];
  assert_string_equal(api_resource_storage_prefix(r, buf, sizeof buf), "/registry/deployments.apps/");
  assert_string_equal(api_resource_qualified_name(r, buf, sizeof buf), "deployments.apps");
  assert_string_equal(api_resource_group_version(r, buf, sizeof buf), "apps/v1");

  const ApiResource *ns = api_resource_find("", "v1", "namespaces");
  assert_non_null(ns);
  assert_false(ns->namespaced);
  assert_false(api_resource_has_verb(ns, "deletecollection"));
  assert_string_equal(api_resource_storage_prefix(ns, buf, sizeof buf), "/registry/namespaces/");
  assert_null(api_resource_find("", "v1", "deployments"));
  assert_non_null(api_resource_find_kind("autoscaling", "v1", "HorizontalPodAutoscaler"));
  const ApiResource *b = api_resource_find("", "v1", "bindings");
  assert_true(api_resource_has_verb(b, "create"));
  assert_false(api_resource_has_verb(b, "get"));
}

static void test_every_resource_has_a_group(void **state) {
  for (size_t i = 0; i < api_resources_count; i++) {
    bool found = false;
    for (size_t g = 0; g < api_groups_count; g++)
      for (size_t v = 0; v < 4 && api_groups[g].versions[v]; v++)
        if (!strcmp(api_groups[g].name, api_resources[i].group) &&
            !strcmp(api_groups[g].versions[v], api_resources[i].version))
          found = true;
    assert_true(found);
  }
}

static void test_jpath(void **state) {
  json_t *o = json_loads("{\"metadata\":{\"name\":\"x\",\"n\":3},\"spec\":5}", 0, NULL);
  assert_string_equal(jstr(o, "metadata.name"), "x");
  assert_int_equal(jint(o, "metadata.n", 0), 3);
  assert_null(jstr(o, "metadata.n"));
  assert_null(jpath(o, "spec.x"));
  jset(o, "spec.replicas", json_integer(2)); /* replaces the non-object */
  assert_int_equal(jint(o, "spec.replicas", 0), 2);
  jdel(o, "metadata.name");
  assert_null(jpath(o, "metadata.name"));
  json_decref(o);
}

static void test_yaml(void **state) {
  const char *y = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: \"1\"}\n"
                  "data:\n  n: \"42\"\n  t: yes\nlist:\n- 1\n- 2.5\n- null\n- \"true\"\n- true\n";
  json_t *o = NULL;
  Error e = ERROR_INIT;
  assert_int_equal(yaml_decode_body(y, strlen(y), &o, &e), 0);
  assert_string_equal(jstr(o, "metadata.name"), "x");
  assert_string_equal(jstr(o, "metadata.labels.a"), "1");
  assert_string_equal(jstr(o, "data.n"), "42");
  assert_true(json_is_true(jpath(o, "data.t")));
  json_t *l = json_object_get(o, "list");
  assert_int_equal(json_array_size(l), 5);
  assert_true(json_is_integer(json_array_get(l, 0)));
  assert_true(json_is_real(json_array_get(l, 1)));
  assert_true(json_is_null(json_array_get(l, 2)));
  assert_true(json_is_string(json_array_get(l, 3)));
  assert_true(json_is_true(json_array_get(l, 4)));
  json_decref(o);

  const char *bad = "a: [1, 2\nb: 3\n";
  assert_int_equal(yaml_decode_body(bad, strlen(bad), &o, &e), -EBADMSG);
  assert_non_null(strstr(e.message, "yaml"));
  error_reset(&e);
}

static void test_json_limits(void **state) {
  json_t *o = NULL;
  Error e = ERROR_INIT;
  assert_int_equal(json_decode_body("{\"a\":", 5, &o, &e), -EBADMSG);
  error_reset(&e);
  char deep[512];
  size_t n = 0;
  for (int i = 0; i < 150; i++)
    deep[n++] = '[';
  for (int i = 0; i < 150; i++)
    deep[n++] = ']';
  assert_int_equal(json_decode_body(deep, n, &o, &e), -E2BIG);
  error_reset(&e);
  assert_int_equal(json_decode_body("{\"a\":1}", 7, &o, &e), 0);
  json_decref(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lookup),      cmocka_unit_test(test_every_resource_has_a_group),
      cmocka_unit_test(test_jpath),       cmocka_unit_test(test_yaml),
      cmocka_unit_test(test_json_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
